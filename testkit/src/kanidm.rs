//! Helpers for running the generated `kanidm-setup.sh` / `kanidm-undo.sh` against `fake-kanidm`
//! (a recording stand-in for the `kanidm` CLI and server, see `testkit/fake-kanidm`) and for
//! checking their commands with the real `kanidm` CLI's parser, offline.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use nbsso::plan::{Pkce, Plan, PlanDraft, validate};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The fake CLI (python3).
pub const FAKE_KANIDM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fake-kanidm");
/// The example plans shipped in `examples/`.
pub const EXAMPLES: [&str; 3] = [
    "keycloak-netbox-4.7.3.toml",
    "authentik-netbox-4.5.2.toml",
    "fresh-netbox-4.0.toml",
];
/// The password the scripts get through `KANIDM_PASSWORD` (the fake accepts any unless told).
pub const ADMIN_PASSWORD: &str = "fake-admin-password";
/// The CLI release whose parser the scripts are checked against.
pub const REAL_KANIDM_VERSION: &str = "1.11.2";

/// One recorded `kanidm` invocation: the arguments after the program name, the connection
/// environment the CLI saw and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub argv: Vec<String>,
    pub url: Option<String>,
    pub ca_path: Option<String>,
    pub rc: i32,
}

impl Invocation {
    /// `system oauth2 create`, `group get`, `login`: the subcommand path without options/values.
    pub fn subcommand(&self) -> String {
        let path: Vec<&str> = match self.argv.first().map(String::as_str) {
            Some("system") => self.argv.iter().take(3).map(String::as_str).collect(),
            Some("group") => self.argv.iter().take(2).map(String::as_str).collect(),
            _ => self.argv.iter().take(1).map(String::as_str).collect(),
        };
        path.join(" ")
    }

    /// The arguments after `--` (the positionals), empty without `--`.
    pub fn positionals(&self) -> Vec<String> {
        match self.argv.iter().position(|a| a == "--") {
            Some(i) => self.argv[i + 1..].to_vec(),
            None => Vec::new(),
        }
    }
}

/// A fake Kanidm server: a state file and an invocation log in a temporary directory.
pub struct FakeKanidm {
    dir: TempDir,
}

impl FakeKanidm {
    /// An empty server (no clients or groups, nobody logged in) that knows the persons given.
    pub fn new(persons: &[&str]) -> Self {
        Self::with_state(&json!({ "persons": persons }))
    }

    /// A server seeded with this state (see the fake's docstring for the format).
    pub fn with_state(state: &Value) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("fake-kanidm")
            .tempdir()
            .unwrap();
        let fake = Self { dir };
        fake.set_state(state);
        std::fs::write(fake.log_path(), "").unwrap();
        fake
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir().join("state.json")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir().join("invocations.jsonl")
    }

    pub fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_path()).unwrap()).unwrap()
    }

    pub fn set_state(&self, state: &Value) {
        std::fs::write(
            self.state_path(),
            serde_json::to_string_pretty(state).unwrap(),
        )
        .unwrap();
    }

    /// The clients and groups only (what a `kanidm get` shows), for comparing server states.
    pub fn objects(&self) -> Value {
        let state = self.state();
        json!({ "clients": state["clients"], "groups": state["groups"] })
    }

    pub fn log(&self) -> Vec<Invocation> {
        std::fs::read_to_string(self.log_path())
            .unwrap()
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).unwrap();
                Invocation {
                    argv: v["argv"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect(),
                    url: v["env"]["KANIDM_URL"].as_str().map(str::to_string),
                    ca_path: v["env"]["KANIDM_CA_PATH"].as_str().map(str::to_string),
                    rc: i32::try_from(v["rc"].as_i64().unwrap()).unwrap(),
                }
            })
            .collect()
    }

    /// The log so far, which is then emptied.
    pub fn take_log(&self) -> Vec<Invocation> {
        let log = self.log();
        std::fs::write(self.log_path(), "").unwrap();
        log
    }

    /// The environment that points a script (or the fake itself) at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("NBSSO_KANIDM".into(), FAKE_KANIDM.into()),
            (
                "FAKE_KANIDM_STATE".into(),
                self.state_path().display().to_string(),
            ),
            (
                "FAKE_KANIDM_LOG".into(),
                self.log_path().display().to_string(),
            ),
        ]
    }

    /// Runs the fake directly, with a clean environment plus `env`.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(FAKE_KANIDM);
        cmd.args(args).env_clear().env("PATH", path_var());
        cmd.envs(self.env());
        cmd.envs(env.iter().copied());
        cmd.stdin(Stdio::null()).output().unwrap()
    }
}

fn path_var() -> String {
    std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
}

/// A checked plan from TOML text; panics with every problem when it does not validate.
pub fn plan_from_toml(text: &str) -> Plan {
    let draft = PlanDraft::from_toml(text).unwrap();
    match validate(&draft) {
        Ok((plan, _warnings)) => plan,
        Err(problems) => panic!("plan does not validate: {problems:#?}"),
    }
}

pub fn example_path(name: &str) -> PathBuf {
    crate::fixtures::example(name)
}

pub fn example_plan(name: &str) -> Plan {
    plan_from_toml(&std::fs::read_to_string(example_path(name)).unwrap())
}

/// Generated scripts in a temporary directory, with where they keep their state and the secret.
pub struct Scripts {
    dir: TempDir,
    pub plan: Plan,
}

impl Scripts {
    /// `nbsso generate --plan <example> --out <tmp>/out` with the real binary.
    pub fn from_example(name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("nbsso-gen")
            .tempdir()
            .unwrap();
        let out = Command::new(crate::built_nbsso())
            .arg("generate")
            .arg("--plan")
            .arg(example_path(name))
            .arg("--out")
            .arg(dir.path().join("out"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "nbsso generate {name} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let scripts = Self {
            dir,
            plan: example_plan(name),
        };
        assert_eq!(
            std::fs::read_to_string(scripts.setup()).unwrap(),
            nbsso::generate::setup_script(&scripts.plan),
            "the binary and the library disagree on kanidm-setup.sh"
        );
        scripts
    }

    /// The scripts for a plan built in code, written by the library functions.
    pub fn from_plan(plan: Plan) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("nbsso-gen")
            .tempdir()
            .unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        for (name, text) in [
            ("kanidm-setup.sh", nbsso::generate::setup_script(&plan)),
            ("kanidm-undo.sh", nbsso::generate::undo_script(&plan)),
        ] {
            let path = out.join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Self { dir, plan }
    }

    pub fn setup(&self) -> PathBuf {
        self.dir.path().join("out/kanidm-setup.sh")
    }

    pub fn undo(&self) -> PathBuf {
        self.dir.path().join("out/kanidm-undo.sh")
    }

    /// Where the scripts keep the state from before the first run (`NBSSO_STATE_DIR`).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("kanidm-state")
    }

    /// Where setup writes the client secret (`NBSSO_SECRET_FILE`), in a directory it must create.
    pub fn secret_file(&self) -> PathBuf {
        self.dir.path().join("netbox/secret")
    }

    pub fn home(&self) -> PathBuf {
        let home = self.dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        home
    }

    /// Runs a script with bash against the fake, in a clean environment.
    pub fn run(&self, script: &Path, fake: &FakeKanidm, extra_env: &[(&str, &str)]) -> ScriptRun {
        let mut cmd = Command::new("bash");
        cmd.arg(script)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", path_var())
            .env("HOME", self.home())
            .env("KANIDM_PASSWORD", ADMIN_PASSWORD)
            .env("NBSSO_STATE_DIR", self.state_dir())
            .env("NBSSO_SECRET_FILE", self.secret_file())
            .envs(fake.env())
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null());
        let out = cmd.output().unwrap();
        ScriptRun {
            rc: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs setup and requires it to succeed.
    pub fn run_setup(&self, fake: &FakeKanidm) -> ScriptRun {
        let run = self.run(&self.setup(), fake, &[]);
        run.assert_ok("kanidm-setup.sh");
        run
    }

    /// Runs undo and requires it to succeed.
    pub fn run_undo(&self, fake: &FakeKanidm) -> ScriptRun {
        let run = self.run(&self.undo(), fake, &[]);
        run.assert_ok("kanidm-undo.sh");
        run
    }
}

#[derive(Debug)]
pub struct ScriptRun {
    pub rc: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl ScriptRun {
    pub fn assert_ok(&self, what: &str) {
        assert_eq!(
            self.rc,
            Some(0),
            "{what} failed\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// `kanidm` as the scripts call it for this plan: `system oauth2 <sub> --name ADMIN -- args`.
pub fn oauth2(plan: &Plan, sub: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec!["system", "oauth2", sub, "--name", &plan.kanidm.admin, "--"];
    argv.extend_from_slice(args);
    argv.into_iter().map(str::to_string).collect()
}

/// `group <sub> --name ADMIN -- args`.
pub fn group(plan: &Plan, sub: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec!["group", sub, "--name", &plan.kanidm.admin, "--"];
    argv.extend_from_slice(args);
    argv.into_iter().map(str::to_string).collect()
}

pub fn login(plan: &Plan) -> Vec<String> {
    vec!["login".into(), "--name".into(), plan.kanidm.admin.clone()]
}

/// The member names as the fake stores them (an SPN in the fake's domain becomes the name).
pub fn member_names(plan: &Plan) -> BTreeSet<String> {
    plan.kanidm
        .members
        .iter()
        .map(|m| m.strip_suffix("@localhost").unwrap_or(m).to_string())
        .collect()
}

/// Asserts the fake server holds what the plan asks for.
pub fn assert_converged(fake: &FakeKanidm, plan: &Plan) {
    let state = fake.state();
    let k = &plan.kanidm;
    let client = &state["clients"][&k.client];
    assert!(client.is_object(), "no client {} in {state:#}", k.client);
    assert_eq!(client["displayname"], json!(k.display_name), "{client:#}");
    assert_eq!(
        client["landing_url"],
        json!(plan.landing_url()),
        "{client:#}"
    );
    let redirects: Vec<&str> = client["redirect_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        redirects.contains(&plan.redirect_url().as_str()),
        "{} missing from {redirects:?}",
        plan.redirect_url()
    );
    let mut scopes: Vec<String> = k.scopes.clone();
    scopes.sort();
    scopes.dedup();
    assert_eq!(client["scope_maps"][&k.group], json!(scopes), "{client:#}");
    let flags = &client["flags"];
    assert_eq!(
        flags["oauth2_strict_redirect_uri"],
        json!("true"),
        "{client:#}"
    );
    match k.pkce {
        Pkce::Enforced => assert!(
            flags
                .get("oauth2_allow_insecure_client_disable_pkce")
                .is_none(),
            "PKCE should be enforced: {client:#}"
        ),
        Pkce::Disabled => assert_eq!(
            flags["oauth2_allow_insecure_client_disable_pkce"],
            json!("true"),
            "{client:#}"
        ),
    }
    let short = if k.short_usernames { "true" } else { "false" };
    assert_eq!(
        flags["oauth2_prefer_short_username"],
        json!(short),
        "{client:#}"
    );
    if k.caps.consent_prompt_toggle {
        let consent = if k.consent_prompt { "true" } else { "false" };
        assert_eq!(
            flags["oauth2_consent_prompt_enable"],
            json!(consent),
            "{client:#}"
        );
    } else {
        assert!(
            flags.get("oauth2_consent_prompt_enable").is_none(),
            "Kanidm {} has no consent toggle: {client:#}",
            k.caps.version
        );
    }
    let group = &state["groups"][&k.group];
    assert!(group.is_object(), "no group {} in {state:#}", k.group);
    let members: BTreeSet<String> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    assert!(
        member_names(plan).is_subset(&members),
        "members {members:?} lack some of {:?}",
        plan.kanidm.members
    );
}

/// Asserts setup saved the client's secret, 0600, and printed it nowhere.
pub fn assert_secret_saved(scripts: &Scripts, fake: &FakeKanidm, runs: &[&ScriptRun]) {
    let secret = fake.state()["clients"][&scripts.plan.kanidm.client]["basic_secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(secret.len(), 48);
    let path = scripts.secret_file();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{secret}\n")
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
    for run in runs {
        assert!(
            !run.stdout.contains(&secret) && !run.stderr.contains(&secret),
            "the secret was printed:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "secret")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// `bash -n` on a script.
pub fn assert_bash_syntax(script: &Path) {
    let out = Command::new("bash")
        .arg("-n")
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash -n {}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The real kanidm CLI

const INSTALL_HINT: &str = "apt-get install -y libudev-dev pkg-config && \
cargo install kanidm_tools --version 1.11.2 --locked --ignore-rust-version --root ~/.cache/nbsso-ci/kanidm-1.11.2";

/// The real `kanidm` CLI: `$NBSSO_KANIDM_BIN`, else `~/.cache/nbsso-ci/kanidm-1.11.2/bin/kanidm`,
/// else `kanidm` on `PATH`. Panics with how to install it: these checks are never skipped.
pub fn real_kanidm() -> PathBuf {
    if let Some(bin) = std::env::var_os("NBSSO_KANIDM_BIN") {
        let bin = PathBuf::from(bin);
        assert!(
            bin.is_file(),
            "NBSSO_KANIDM_BIN={} does not exist; install the real CLI with:\n  {INSTALL_HINT}",
            bin.display()
        );
        return bin;
    }
    if let Some(home) = std::env::var_os("HOME") {
        let bin = Path::new(&home).join(".cache/nbsso-ci/kanidm-1.11.2/bin/kanidm");
        if bin.is_file() {
            return bin;
        }
    }
    for dir in std::env::split_paths(&path_var()) {
        let bin = dir.join("kanidm");
        if bin.is_file() {
            return bin;
        }
    }
    panic!(
        "the real kanidm CLI {REAL_KANIDM_VERSION} is needed to check the scripts' commands, and none was found \
         (NBSSO_KANIDM_BIN, ~/.cache/nbsso-ci/kanidm-1.11.2/bin/kanidm, PATH). Install it with:\n  {INSTALL_HINT}"
    )
}

/// Runs the real CLI offline (`80-offline-syntax-check.txt`): a closed loopback port as the server,
/// a token cache that does not exist and a fresh HOME, no stdin, no colours. A command the parser
/// accepts fails with rc 1 `No valid authentication tokens found` before any network access;
/// a usage error gives rc 2. `login` needs `KANIDM_PASSWORD` (else it would prompt).
pub fn offline_check(bin: &Path, argv: &[String]) -> Output {
    let home = tempfile::Builder::new()
        .prefix("kanidm-home")
        .tempdir()
        .unwrap();
    let mut cmd = Command::new(bin);
    cmd.args(argv)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home.path())
        .env("KANIDM_URL", "https://127.0.0.1:1")
        .env(
            "KANIDM_TOKEN_CACHE_PATH",
            home.path().join("no-such-token-cache"),
        )
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    if argv.first().map(String::as_str) == Some("login") {
        cmd.env("KANIDM_PASSWORD", "x");
    }
    cmd.output().unwrap()
}

/// Removes what changes on every run from CLI stderr: timestamps, operation ids, thread ids.
pub fn normalise_stderr(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = strip_ansi(line);
        let mut words: Vec<String> = Vec::new();
        for (i, word) in line.split(' ').enumerate() {
            if i == 0 && word.len() >= 20 && word.ends_with('Z') && word.as_bytes()[4] == b'-' {
                words.push("<ts>".into());
            } else {
                words.push(replace_uuids(word));
            }
        }
        let mut line = words.join(" ");
        if let Some(rest) = line.strip_prefix("thread 'main' (")
            && let Some(i) = rest.find(')')
        {
            line = format!("thread 'main' (<tid>){}", &rest[i + 1..]);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Removes what changes between servers from `kanidm get` output (text or `-o json`): uuids and
/// key ids, and the order of the key lines, which follows the key ids.
pub fn normalise_stdout(text: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(text.trim()) {
        return format!("{}\n", normalise_json(value));
    }
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let mut line = replace_uuids(line);
        if let Some(rest) = line.strip_prefix("key_internal_data: ") {
            line = format!("key_internal_data: {}", replace_key_id(rest));
        }
        lines.push(line);
    }
    // key lines are sorted by key id, which differs: sort each run of them
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        while i < lines.len() && lines[i].starts_with("key_internal_data: ") {
            i += 1;
        }
        lines[start..i].sort();
        i = i.max(start + 1);
    }
    lines.join("\n")
}

fn replace_key_id(value: &str) -> String {
    match value.split_once(':') {
        Some((_, tail)) => format!("<kid>:{tail}"),
        None => value.to_string(),
    }
}

fn normalise_json(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(replace_uuids(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(normalise_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if k == "key_internal_data" {
                        let mut keys: Vec<String> = v
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|s| replace_key_id(s.as_str().unwrap_or_default()))
                            .collect();
                        keys.sort();
                        json!(keys)
                    } else {
                        normalise_json(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn replace_uuids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        if i + 36 <= text.len() && is_uuid(&bytes[i..i + 36]) {
            out.push_str("<uuid>");
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_uuid(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}
