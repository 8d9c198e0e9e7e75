//! `drift()`'s `converge` and `undo` command lines, run for real: through bash against
//! `fake-kanidm` (which must converge the client so that no drift remains, and undo must restore
//! the seeded client exactly), and through the real `kanidm` CLI's parser, offline.
//!
//! Where the fake cannot help: it does not emulate `disable-legacy-crypto`,
//! `warning-enable-legacy-crypto` or `disable-strict-redirect-url` (it exits 3, "not emulated").
//! For those three lines this test asserts exactly that exit, then applies the change the real
//! server makes (the flag set to "false"/"true") to the fake's state file by hand; the real CLI's
//! parser still checks the lines themselves.

use std::path::Path;
use std::process::{Command, Stdio};

use nbsso::kanidm::{DriftItem, OAuthClientState, drift, parse_get_text};
use nbsso::plan::{Plan, validate};
use serde_json::{Value, json};
use testkit::kanidm::{FAKE_KANIDM, FakeKanidm, offline_check, real_kanidm};
use testkit::plans::example_draft;

const URL: &str = "https://localhost:8443";
const REDIRECT: &str = "https://netbox.example.com/oauth/complete/oidc/";

/// The Keycloak example against the fixtures' server (domain `localhost`): PKCE enforced,
/// consent prompt on, short usernames, scopes openid profile email for `netbox_users`.
fn plan() -> Plan {
    let mut draft = example_draft("keycloak-netbox-4.7.3.toml");
    draft.kanidm.origin = URL.into();
    match validate(&draft) {
        Ok((plan, _)) => plan,
        Err(problems) => panic!("plan does not validate: {problems:#?}"),
    }
}

/// The fake's state holding the client of capture 17 (`17-oauth2-get-final.stdout`).
fn fixture_17_state() -> Value {
    json!({
        "tokens": ["idm_admin"],
        "groups": { "netbox_users": { "members": [] } },
        "clients": { "netbox": {
            "displayname": "NetBox",
            "landing_url": "https://netbox.example.com/",
            "redirect_urls": [REDIRECT],
            "scope_maps": { "netbox_users": ["email", "openid", "profile"] },
            "flags": {
                "oauth2_allow_insecure_client_disable_pkce": "true",
                "oauth2_consent_prompt_enable": "false",
                "oauth2_prefer_short_username": "true",
                "oauth2_strict_redirect_uri": "true",
            },
        } },
    })
}

/// Capture 17 brought to the plan (PKCE enforced, consent on), then changed by `edit`.
fn converged_with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut state = fixture_17_state();
    let client = &mut state["clients"]["netbox"];
    let flags = client["flags"].as_object_mut().unwrap();
    flags.remove("oauth2_allow_insecure_client_disable_pkce");
    flags.insert("oauth2_consent_prompt_enable".into(), json!("true"));
    edit(client);
    state
}

/// The seeded states, each with the attributes `drift` must report.
fn cases() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    vec![
        (
            "capture 17: PKCE not enforced, consent off",
            fixture_17_state(),
            vec![
                "oauth2_allow_insecure_client_disable_pkce",
                "oauth2_consent_prompt_enable",
            ],
        ),
        (
            "http:// redirect near-miss",
            converged_with(|c| {
                c["redirect_urls"] = json!(["http://netbox.example.com/oauth/complete/oidc/"]);
            }),
            vec!["oauth2_rs_origin"],
        ),
        (
            "redirect without the trailing slash, beside an unrelated one",
            converged_with(|c| {
                c["redirect_urls"] = json!([
                    "https://other.example.com/cb",
                    "https://netbox.example.com/oauth/complete/oidc",
                ]);
            }),
            vec!["oauth2_rs_origin"],
        ),
        (
            "no redirect URL and no scope map",
            converged_with(|c| {
                c["redirect_urls"] = json!([]);
                c["scope_maps"] = json!({});
            }),
            vec!["oauth2_rs_origin", "oauth2_rs_scope_map"],
        ),
        (
            "narrower scope map",
            converged_with(|c| c["scope_maps"]["netbox_users"] = json!(["openid", "profile"])),
            vec!["oauth2_rs_scope_map"],
        ),
        (
            "wider scope map",
            converged_with(|c| {
                c["scope_maps"]["netbox_users"] = json!(["email", "groups", "openid", "profile"]);
            }),
            vec!["oauth2_rs_scope_map"],
        ),
        (
            "landing URL elsewhere",
            converged_with(|c| c["landing_url"] = json!("https://old.example.com/netbox/")),
            vec!["oauth2_rs_origin_landing"],
        ),
        (
            "legacy crypto on",
            converged_with(|c| c["flags"]["oauth2_jwt_legacy_crypto_enable"] = json!("true")),
            vec!["oauth2_jwt_legacy_crypto_enable"],
        ),
        (
            "SPN usernames",
            converged_with(|c| c["flags"]["oauth2_prefer_short_username"] = json!("false")),
            vec!["oauth2_prefer_short_username"],
        ),
        (
            "strict redirect off",
            converged_with(|c| c["flags"]["oauth2_strict_redirect_uri"] = json!("false")),
            vec!["oauth2_strict_redirect_uri"],
        ),
        (
            "display name with a space and quotes",
            converged_with(|c| c["displayname"] = json!("Net Box's \"IPAM\" $HOME")),
            vec!["displayname"],
        ),
        (
            "everything at once",
            {
                let mut state = fixture_17_state();
                let c = &mut state["clients"]["netbox"];
                c["redirect_urls"] = json!([
                    "http://netbox.example.com/oauth/complete/oidc",
                    "https://other.example.com/cb",
                ]);
                c["landing_url"] = json!("https://old.example.com/");
                c["scope_maps"]["netbox_users"] = json!(["openid"]);
                c["displayname"] = json!("it's NetBox");
                let flags = &mut c["flags"];
                flags["oauth2_jwt_legacy_crypto_enable"] = json!("true");
                flags["oauth2_prefer_short_username"] = json!("false");
                flags["oauth2_strict_redirect_uri"] = json!("false");
                state
            },
            vec![
                "oauth2_rs_origin",
                "oauth2_rs_origin_landing",
                "oauth2_rs_scope_map",
                "oauth2_allow_insecure_client_disable_pkce",
                "oauth2_jwt_legacy_crypto_enable",
                "oauth2_prefer_short_username",
                "oauth2_consent_prompt_enable",
                "oauth2_strict_redirect_uri",
                "displayname",
            ],
        ),
    ]
}

/// `kanidm system oauth2 get` through the fake, parsed.
fn get(fake: &FakeKanidm) -> OAuthClientState {
    let out = fake.run(
        &[
            "system",
            "oauth2",
            "get",
            "--name",
            "idm_admin",
            "--",
            "netbox",
        ],
        &[("KANIDM_URL", URL)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_get_text(&String::from_utf8_lossy(&out.stdout))
        .unwrap()
        .expect("the client exists")
}

/// The subcommands the fake does not emulate, with the flag the real server sets.
fn not_emulated(line: &str) -> Option<(&'static str, &'static str)> {
    let sub = line.split(' ').nth(3)?;
    match sub {
        "disable-legacy-crypto" => Some(("oauth2_jwt_legacy_crypto_enable", "false")),
        "warning-enable-legacy-crypto" => Some(("oauth2_jwt_legacy_crypto_enable", "true")),
        "disable-strict-redirect-url" => Some(("oauth2_strict_redirect_uri", "false")),
        _ => None,
    }
}

/// Runs one command line with bash, `kanidm` being the fake (first on PATH).
fn run_line(fake: &FakeKanidm, bin_dir: &Path, line: &str) {
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(line)
        .env_clear()
        .env("PATH", path)
        .env("HOME", fake.dir())
        .env("KANIDM_URL", URL)
        .envs(fake.env())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some((flag, value)) = not_emulated(line) {
        assert_eq!(out.status.code(), Some(3), "{line}: {stdout}{stderr}");
        assert!(stderr.contains("is not emulated"), "{line}: {stderr}");
        let mut state = fake.state();
        state["clients"]["netbox"]["flags"][flag] = json!(value);
        fake.set_state(&state);
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{line}: {stdout}{stderr}");
    assert_eq!(stdout, "Success\n", "{line}: {stderr}");
}

/// The words of a command line as bash splits them (quotes removed).
fn argv(line: &str) -> Vec<String> {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("printf '%s\\0' {line}"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{line}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_string)
        .collect()
}

fn attributes(items: &[DriftItem]) -> Vec<&'static str> {
    items.iter().map(|i| i.attribute).collect()
}

/// Every converge then every undo line of every case, as run against the fake.
fn converge_and_undo(plan: &Plan) -> Vec<String> {
    let bin = tempfile::Builder::new()
        .prefix("kanidm-bin")
        .tempdir()
        .unwrap();
    std::os::unix::fs::symlink(FAKE_KANIDM, bin.path().join("kanidm")).unwrap();
    let mut lines = Vec::new();
    for (name, seed, expected) in cases() {
        let fake = FakeKanidm::with_state(&seed);
        let before = get(&fake);
        let items = drift(&before, plan);
        assert_eq!(attributes(&items), expected, "{name}: {items:#?}");

        for line in items.iter().flat_map(|i| &i.converge) {
            run_line(&fake, bin.path(), line);
        }
        let after = get(&fake);
        assert_eq!(
            drift(&after, plan),
            vec![],
            "{name}: converged to {after:#?}"
        );

        for line in items.iter().rev().flat_map(|i| &i.undo) {
            run_line(&fake, bin.path(), line);
        }
        assert_eq!(
            get(&fake),
            before,
            "{name}: undo did not restore the client"
        );

        for item in &items {
            lines.extend(item.converge.iter().cloned());
            lines.extend(item.undo.iter().cloned());
        }
    }
    lines
}

#[test]
fn the_fake_seeded_like_capture_17_prints_capture_17() {
    let fake = FakeKanidm::with_state(&fixture_17_state());
    let captured = parse_get_text(&testkit::fixtures::text(
        "kanidm/cli/17-oauth2-get-final.stdout",
    ))
    .unwrap()
    .unwrap();
    let without_ids = |s: OAuthClientState| OAuthClientState {
        uuid: None,
        other: Default::default(),
        ..s
    };
    assert_eq!(without_ids(get(&fake)), without_ids(captured));
}

#[test]
fn converge_clears_drift_and_undo_restores_the_client() {
    let plan = plan();
    let lines = converge_and_undo(&plan);
    // every kind of command drift can issue was run
    let mut subs: Vec<&str> = lines.iter().filter_map(|l| l.split(' ').nth(3)).collect();
    subs.sort_unstable();
    subs.dedup();
    assert_eq!(
        subs,
        [
            "add-redirect-url",
            "delete-scope-map",
            "disable-consent-prompt",
            "disable-legacy-crypto",
            "disable-strict-redirect-url",
            "enable-consent-prompt",
            "enable-pkce",
            "enable-strict-redirect-url",
            "prefer-short-username",
            "prefer-spn-username",
            "remove-redirect-url",
            "set-displayname",
            "set-landing-url",
            "update-scope-map",
            "warning-enable-legacy-crypto",
            "warning-insecure-client-disable-pkce",
        ]
    );
}

#[test]
fn converge_and_undo_lines_pass_the_real_cli_parser() {
    let plan = plan();
    let bin = real_kanidm();
    let mut lines: Vec<String> = Vec::new();
    for (_, seed, _) in cases() {
        let fake = FakeKanidm::with_state(&seed);
        for item in drift(&get(&fake), &plan) {
            lines.extend(item.converge);
            lines.extend(item.undo);
        }
    }
    lines.sort();
    lines.dedup();
    assert!(lines.len() >= 20, "{lines:#?}");
    let mut failures = Vec::new();
    for line in &lines {
        let words = argv(line);
        assert_eq!(words[0], "kanidm", "{line}");
        let out = offline_check(&bin, &words[1..]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(1) || !stderr.contains("No valid authentication tokens found")
        {
            failures.push(format!("{line}\n  rc {:?}: {stderr}", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
