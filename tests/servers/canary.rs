//! A canary secret in every input nbsso reads at once (the plan, the client secret file, the kanidm
//! token cache, the environment, an old netbox-docker configuration and its env file, a plan with a
//! secret pasted into a setting that does not exist, an old output file with the secret pasted in), then every subcommand run in its text and
//! `--json` forms against the test servers: the canary is in no output, no error and no file
//! nbsso writes, except the patched env file, which stays 0600. The report's own redaction is
//! tested in `explain_report`, the old configuration's on every shape in `real_tools`'s
//! `import_patch`, and the wizard's screens in `wizard`'s `canary_screens`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use testkit::fixtures;
use testkit::idp::{CannedResponse, TestIdp};
use testkit::netbox::TestNetbox;

/// Every canary starts with this, so one search finds them all.
fn canary(what: &str) -> String {
    format!("nbsso-canary-{}-{what}", std::process::id())
}

/// NetBox in front of a Kanidm whose REST API answers only the canary token (the captured client,
/// registered for netbox.example.com: inspect reports the drift).
fn servers(token: &str) -> (TestIdp, TestNetbox) {
    let client = fixtures::text("kanidm/http/rest-v1-oauth2-netbox.json");
    let persons = fixtures::text("users/persons.rest.json");
    let bearer = format!("Bearer {token}");
    testkit::pair::kanidm_and_netbox(&canary("client-secret"), |idp| {
        idp.intercept(move |req| {
            let body = if req.path.starts_with("/v1/oauth2") {
                client.clone()
            } else if req.path.starts_with("/v1/person") {
                persons.clone()
            } else {
                return None;
            };
            Some(if req.header("authorization") == Some(bearer.as_str()) {
                CannedResponse::new(200)
                    .header("content-type", "application/json")
                    .body(body)
            } else {
                CannedResponse::new(401).body("\"notauthenticated\"")
            })
        })
    })
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn files(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            out.insert(path.clone(), (std::fs::read(&path).unwrap(), mode));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_canary_in_every_input_reaches_no_output_and_no_file_but_the_secret_one() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let token = canary("token-cache");
    let (idp, netbox) = servers(&token);

    // The plan, with the client secret file kanidm-setup.sh writes (0600) and a comment people
    // leave in it.
    let mut draft = testkit::plans::example_draft_for_idp(
        "keycloak-netbox-4.7.3.toml",
        idp.origin(),
        idp.ca_pem_path(),
        dir,
        &canary("secret-file"),
    );
    draft.netbox.url = netbox.origin();
    let secret_file = dir.join("kanidm-oidc-secret");
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let plan = dir.join("plan.toml");
    std::fs::write(
        &plan,
        format!(
            "# old Keycloak client secret: {}\n{}",
            canary("plan-comment"),
            draft.to_toml()
        ),
    )
    .unwrap();
    // A secret pasted into a setting that does not exist.
    let pasted = dir.join("pasted.toml");
    std::fs::write(
        &pasted,
        draft.to_toml().replacen(
            "[kanidm]\n",
            &format!("[kanidm]\nclient_secret = \"{}\"\n", canary("pasted")),
            1,
        ),
    )
    .unwrap();
    // The kanidm CLI's token cache.
    let cache = dir.join("kanidm_tokens");
    let tokens = serde_json::json!({"instances": {"": {"tokens": {"idm_admin@localhost": token}}}});
    std::fs::write(&cache, tokens.to_string()).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o600)).unwrap();
    // netbox-docker set up for Keycloak; its env file holds the old client secret and SECRET_KEY.
    let docker = dir.join("netbox-docker");
    copy_tree(&fixtures::path("netbox-config/docker-keycloak"), &docker);
    let env_file = docker.join("env/netbox.env");
    let env_text = std::fs::read_to_string(&env_file)
        .unwrap()
        .replace(
            "canary-docker-kc-secret-P0o9",
            &canary("env-file-client-secret"),
        )
        .replace("canary-docker-secret-key-", &canary("env-file-secret-key"));
    std::fs::write(&env_file, env_text).unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    // An earlier output directory whose netbox-sso.py had the client secret pasted in by hand.
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::write(
        dir.join("out/netbox-sso.py"),
        format!("SOCIAL_AUTH_OIDC_SECRET = '{}'\n", canary("old-output")),
    )
    .unwrap();
    let export = dir.join("nbsso-export.txt");
    std::fs::copy(fixtures::path("users/keycloak-default.export.txt"), &export).unwrap();
    let inputs = files(dir);

    let proxy = format!("http://proxyuser:{}@proxy.invalid:3128", canary("proxy"));
    let env = [
        ("KANIDM_TOKEN_CACHE_PATH", cache.display().to_string()),
        ("KANIDM_CA_PATH", idp.ca_pem_path().display().to_string()),
        ("KANIDM_PASSWORD", canary("env-password")),
        ("NETBOX_OIDC_SECRET", canary("env-netbox")),
        ("HTTPS_PROXY", proxy),
        ("NO_PROXY", "127.0.0.1,localhost".to_string()),
        ("RUST_BACKTRACE", "1".to_string()),
    ];
    let p = plan.display().to_string();
    let url = idp.origin();
    let docker_conf = docker.join("configuration").display().to_string();
    let env_path = env_file.display().to_string();
    let exp = export.display().to_string();
    let pasted = pasted.display().to_string();
    let explain_input = "social_core.exceptions.AuthStateMissing: Session value state missing.";
    let users = [
        "users", "match", "--netbox", &exp, "--plan", &p, "--url", &url, "--out", "users",
    ];
    let patch = [
        "generate",
        "--plan",
        &p,
        "--out",
        "out",
        "--patch",
        &docker_conf,
        "--env-file",
        &env_path,
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", "--plan", &p, "--timeout", "5", "--json"],
        vec!["check", "--plan", &p, "--timeout", "5", "-v"],
        vec!["inspect", "--plan", &p, "--url", &url, "--json"],
        vec!["inspect", "--plan", &p, "--url", &url, "--plain"],
        with(&users, &["--dry-run", "--json"]),
        with(&users, &["--json"]),
        with(&users, &[]),
        vec![
            "import",
            &docker_conf,
            "--env-file",
            &env_path,
            "--json",
            "--plan-out",
            "imported.toml",
        ],
        vec!["import", &docker_conf, "--env-file", &env_path],
        with(&patch, &["--dry-run", "--json"]),
        with(&patch, &["--dry-run"]),
        with(&patch, &["--json"]),
        vec!["generate", "--plan", &p, "--out", "out", "--json"],
        vec!["explain", "--plan", &p, "--timeout", "5", "--json", "-"],
        vec!["explain", "--plan", &p, "--timeout", "5", "-"],
        vec![
            "report",
            "--plan",
            &p,
            "--import",
            &docker_conf,
            "--timeout",
            "5",
            "--json",
        ],
        vec![
            "report",
            "--plan",
            &p,
            "--import",
            &docker_conf,
            "--timeout",
            "5",
        ],
        vec!["generate", "--plan", &pasted, "--out", "out2", "--json"],
        vec!["check", "--plan", &pasted, "--json"],
    ];
    let mut leaks = Vec::new();
    let prefix = canary("");
    for args in &runs {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nbsso"));
        cmd.args(args)
            .current_dir(dir)
            .env_remove("KANIDM_TOKEN")
            .env_remove("KANIDM_NAME")
            .env_remove("KANIDM_INSTANCE")
            .env_remove("KANIDM_URL")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(explain_input.as_bytes());
        drop(stdin);
        let out: Output = child.wait_with_output().unwrap();
        let code = out.status.code();
        assert!(
            code.is_some_and(|c| c <= 4),
            "{args:?} ended with {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if args.contains(&"--json") && !out.stdout.is_empty() {
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"));
        }
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for line in String::from_utf8_lossy(bytes).lines() {
                if line.contains(&prefix) {
                    leaks.push(format!("{args:?} {stream}: {line}"));
                }
            }
        }
        println!("{args:?}: exit {code:?}, {} bytes out", out.stdout.len());
    }
    // What the runs wrote: the plan and generated files hold no canary; the patched env file keeps
    // its secrets at 0600; a backup is an input's old bytes with its old mode.
    for (path, (bytes, mode)) in files(dir) {
        if inputs.get(&path) == Some(&(bytes.clone(), mode)) || !contains(&bytes, &prefix) {
            continue;
        }
        let name = path.display().to_string();
        let backup_of_input = name.ends_with(".bak")
            && inputs
                .values()
                .any(|(old, old_mode)| *old == bytes && *old_mode == mode);
        if backup_of_input && (mode & 0o077 == 0 || !path.starts_with(docker.join("env"))) {
            continue;
        }
        if path == env_file && mode == 0o600 {
            continue;
        }
        leaks.push(format!("{name} (mode {mode:o}) holds a canary"));
    }
    assert!(
        files(dir).contains_key(&dir.join("out/netbox-sso.py"))
            && files(dir).contains_key(&dir.join("users/user-map.json")),
        "the runs wrote their files"
    );
    let patched = std::fs::read_to_string(&env_file).unwrap();
    assert!(
        !patched.contains("KeycloakOAuth2"),
        "the env file was patched:\n{patched}"
    );
    assert!(leaks.is_empty(), "{leaks:#?}");
}
