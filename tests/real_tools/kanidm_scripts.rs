//! `kanidm-setup.sh` and `kanidm-undo.sh`, run for real: against `fake-kanidm` (a recording
//! stand-in for the CLI and server that answers with the real CLI 1.11's texts and exit codes), and
//! with every command they issue checked by the real `kanidm` CLI's parser, offline.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use nbsso::plan::Plan;
use serde_json::{Value, json};
use testkit::kanidm::{
    EXAMPLES, FAKE_KANIDM, FakeKanidm, Invocation, Scripts, assert_bash_syntax, assert_converged,
    assert_secret_saved, group, login, normalise_stderr, normalise_stdout, oauth2, offline_check,
    plan_from_toml, real_kanidm,
};

/// Every subcommand the generated scripts can issue; the runs below must exercise them all.
const SCRIPT_SUBCOMMANDS: [&str; 23] = [
    "login",
    "system oauth2 get",
    "system oauth2 create",
    "system oauth2 set-displayname",
    "system oauth2 set-landing-url",
    "system oauth2 add-redirect-url",
    "system oauth2 remove-redirect-url",
    "system oauth2 enable-strict-redirect-url",
    "system oauth2 update-scope-map",
    "system oauth2 delete-scope-map",
    "system oauth2 warning-insecure-client-disable-pkce",
    "system oauth2 enable-pkce",
    "system oauth2 prefer-short-username",
    "system oauth2 prefer-spn-username",
    "system oauth2 disable-consent-prompt",
    "system oauth2 enable-consent-prompt",
    "system oauth2 show-basic-secret",
    "system oauth2 delete",
    "group get",
    "group create",
    "group add-members",
    "group remove-members",
    "group delete",
];

/// A display name that is only safe as a value after `--` (it starts with `-`) and that breaks any
/// unquoted shell use.
const TRICKY_DISPLAY_NAME: &str = r#"-NetBox --help "SSO" $HOME `id` 'x' \n"#;

/// Plans built in code, beyond the examples: a display name starting with `-`, hyphenated names,
/// no members, SPN usernames, no consent prompt, PKCE off, an extra scope, a BASE_PATH; and a
/// Kanidm 1.3 plan (`enable-strict-redirect-url`, no consent toggle) with an SPN member.
fn code_plans() -> Vec<(&'static str, Plan)> {
    let tricky = format!(
        r#"
source = "keycloak"
[netbox]
url = "https://nb.example.net"
base_path = "nb/"
version = "4.7.3"
secret_file = "/etc/netbox/secret"
[kanidm]
origin = "https://idm.example.net"
version = "1.11.1"
client = "netbox-dev"
display_name = {display}
admin = "idm_admin"
group = "netbox-admins"
members = []
extra_scopes = ["groups"]
pkce = "disable"
short_usernames = false
consent_prompt = false
"#,
        display = toml::Value::String(TRICKY_DISPLAY_NAME.into())
    );
    let old = r#"
source = "none"
[netbox]
url = "https://netbox.old.example"
version = "4.2.9"
secret_file = "/etc/netbox/secret"
[kanidm]
origin = "https://idm.old.example:8443"
version = "1.3.3"
client = "netbox"
display_name = "NetBox"
group = "netbox_users"
members = ["alice@localhost", "bob"]
"#;
    vec![
        ("tricky", plan_from_toml(&tricky)),
        ("kanidm-1.3", plan_from_toml(old)),
    ]
}

/// The persons every test server knows (group members must exist in Kanidm).
const PERSONS: [&str; 8] = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "zoe",
    "foobar",
    "idm_admin",
];

fn argvs(log: &[Invocation]) -> Vec<Vec<String>> {
    log.iter().map(|i| i.argv.clone()).collect()
}

fn show(log: &[Invocation]) -> String {
    log.iter()
        .map(|i| format!("rc={} {:?}", i.rc, i.argv))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_all_succeeded(log: &[Invocation], what: &str) {
    assert!(
        log.iter().all(|i| i.rc == 0),
        "{what}: a kanidm command failed:\n{}",
        show(log)
    );
}

fn is_create(i: &Invocation) -> bool {
    matches!(
        i.subcommand().as_str(),
        "system oauth2 create" | "group create"
    )
}

// ---------------------------------------------------------------------------------------------
// The fake itself

/// The fake replays the captured session (commands.json, in order) with the same stdout, stderr
/// and exit code as the real CLI 1.11.1 had, up to uuids, key ids, timestamps and the secret.
#[test]
fn fake_kanidm_answers_like_the_real_cli() {
    // network/TLS failures, person commands, help, logout and sessions are not emulated
    let skipped = [
        "12-", "13-", "50-", "51-", "52-", "53-", "55-", "71-", "87-", "88-",
    ];
    let commands: Value =
        serde_json::from_str(&testkit::fixtures::text("kanidm/cli/commands.json")).unwrap();
    let fake = FakeKanidm::with_state(&json!({ "persons": ["foobar"] }));
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(FAKE_KANIDM, bin.path().join("kanidm")).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let mut replayed = 0;
    let mut failures = Vec::new();
    for entry in commands.as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        if skipped.iter().any(|s| name.starts_with(s)) {
            continue;
        }
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(entry["command"].as_str().unwrap())
            .env_clear()
            .env("PATH", &path)
            .env("RUST_BACKTRACE", "1")
            .env("TERM", "xterm")
            .envs(fake.env())
            .stdin(Stdio::null());
        for word in entry["env"].as_str().unwrap().split(' ') {
            if let Some((k, v)) = word.split_once('=')
                && k.starts_with("KANIDM_")
                && !v.starts_with('<')
            {
                cmd.env(k, v);
            }
        }
        if entry["env"].as_str().unwrap().contains("KANIDM_PASSWORD") {
            cmd.env("KANIDM_PASSWORD", "the-recovered-password");
        }
        let out = cmd.output().unwrap();
        let read = |ext: &str| testkit::fixtures::text(&format!("kanidm/cli/{name}.{ext}"));
        let want_rc: i32 = read("rc").trim().parse().unwrap();
        let (want_out, want_err) = (read("stdout"), read("stderr"));
        let got_out = String::from_utf8_lossy(&out.stdout).into_owned();
        let got_err = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout_ok = if want_out.starts_with("REDACTED-") {
            got_out.len() == 49
                && got_out.ends_with('\n')
                && got_out[..48]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        } else {
            normalise_stdout(&got_out) == normalise_stdout(&want_out)
        };
        if out.status.code() != Some(want_rc)
            || !stdout_ok
            || normalise_stderr(&got_err) != normalise_stderr(&want_err)
        {
            failures.push(format!(
                "{name}: {}\n  rc {:?} (real {want_rc})\n--- stdout\n{got_out}--- real\n{want_out}--- stderr\n{got_err}--- real\n{want_err}",
                entry["command"],
                out.status.code()
            ));
        }
        replayed += 1;
    }
    assert!(
        failures.is_empty(),
        "the fake differs from the real CLI:\n{}",
        failures.join("\n\n")
    );
    assert_eq!(replayed, 60, "commands replayed");
}

/// A write without a login, a second create and an unknown subcommand, as the real CLI answers.
#[test]
fn fake_kanidm_basic_contract() {
    let fake = FakeKanidm::new(&[]);
    let url = [("KANIDM_URL", "https://idm.example.com")];
    let out = fake.run(
        &["system", "oauth2", "get", "--name", "idm_admin", "--", "x"],
        &url,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No valid authentication tokens found"));

    let pw = [
        ("KANIDM_URL", "https://idm.example.com"),
        ("KANIDM_PASSWORD", "pw"),
    ];
    let out = fake.run(&["login", "--name", "idm_admin"], &pw);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Login Success for idm_admin@localhost\n"
    );
    let create = [
        "system",
        "oauth2",
        "create",
        "--name",
        "idm_admin",
        "--",
        "nb",
        "-NB",
        "https://nb.example",
    ];
    let out = fake.run(&create, &url);
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        (Some(0), &b"Success\n"[..])
    );
    let out = fake.run(&create, &url);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP Error: 409 Conflict"));
    assert_eq!(fake.state()["clients"]["nb"]["displayname"], "-NB");
    assert_eq!(
        fake.state()["clients"]["nb"]["landing_url"],
        "https://nb.example/"
    );

    let out = fake.run(
        &[
            "system",
            "oauth2",
            "add-redirect-uri",
            "--name",
            "idm_admin",
            "--",
            "nb",
        ],
        &url,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: unrecognized subcommand 'add-redirect-uri'\n\n  tip: a similar subcommand exists: 'add-redirect-url'")
    );
    let log = fake.log();
    assert_eq!(log.len(), 5);
    assert_eq!(log[1].argv, ["login", "--name", "idm_admin"]);
    assert_eq!(log[1].url.as_deref(), Some("https://idm.example.com"));
    assert_eq!(log[1].ca_path, None);
    assert_eq!(
        log.iter().map(|i| i.rc).collect::<Vec<_>>(),
        [1, 0, 0, 1, 2]
    );
}

// ---------------------------------------------------------------------------------------------
// The scripts against the fake

#[test]
fn scripts_pass_bash_syntax_check() {
    for name in EXAMPLES {
        let scripts = Scripts::from_example(name);
        assert_bash_syntax(&scripts.setup());
        assert_bash_syntax(&scripts.undo());
    }
    for (_, plan) in code_plans() {
        let scripts = Scripts::from_plan(plan);
        assert_bash_syntax(&scripts.setup());
        assert_bash_syntax(&scripts.undo());
    }
}

/// The exact commands of a first run and a second run of the Keycloak example's setup.
#[test]
fn keycloak_setup_issues_exactly_these_commands() {
    let scripts = Scripts::from_example("keycloak-netbox-4.7.3.toml");
    let p = &scripts.plan;
    let fake = FakeKanidm::new(&PERSONS);
    scripts.run_setup(&fake);
    let log = fake.take_log();
    let landing = "https://netbox.example.com/";
    let redirect = "https://netbox.example.com/oauth/complete/oidc/";
    let scopes = ["netbox", "netbox_users", "openid", "profile", "email"];
    assert_eq!(
        argvs(&log),
        vec![
            login(p),
            oauth2(p, "get", &["netbox"]),
            group(p, "get", &["netbox_users"]),
            oauth2(p, "create", &["netbox", "NetBox", landing]),
            oauth2(p, "add-redirect-url", &["netbox", redirect]),
            group(p, "get", &["netbox_users"]),
            group(p, "create", &["netbox_users"]),
            group(p, "add-members", &["netbox_users", "alice", "bob"]),
            oauth2(p, "update-scope-map", &scopes),
            oauth2(p, "enable-pkce", &["netbox"]),
            oauth2(p, "prefer-short-username", &["netbox"]),
            oauth2(p, "enable-consent-prompt", &["netbox"]),
            oauth2(p, "show-basic-secret", &["netbox"]),
            oauth2(p, "get", &["netbox"]),
        ],
        "first run:\n{}",
        show(&log)
    );
    assert_eq!(
        log[3].argv,
        [
            "system",
            "oauth2",
            "create",
            "--name",
            "idm_admin",
            "--",
            "netbox",
            "NetBox",
            landing
        ]
    );
    for i in &log {
        assert_eq!(i.url.as_deref(), Some("https://idm.example.com"), "{i:?}");
        assert_eq!(
            i.ca_path.as_deref(),
            Some("/etc/ssl/certs/kanidm-ca.pem"),
            "{i:?}"
        );
    }
    assert_all_succeeded(&log, "first run");

    scripts.run_setup(&fake);
    let log = fake.take_log();
    assert_eq!(
        argvs(&log),
        vec![
            login(p),
            oauth2(p, "get", &["netbox"]),
            group(p, "get", &["netbox_users"]),
            oauth2(p, "set-displayname", &["netbox", "NetBox"]),
            oauth2(p, "set-landing-url", &["netbox", landing]),
            oauth2(p, "add-redirect-url", &["netbox", redirect]),
            group(p, "add-members", &["netbox_users", "alice", "bob"]),
            oauth2(p, "update-scope-map", &scopes),
            oauth2(p, "enable-pkce", &["netbox"]),
            oauth2(p, "prefer-short-username", &["netbox"]),
            oauth2(p, "enable-consent-prompt", &["netbox"]),
            oauth2(p, "show-basic-secret", &["netbox"]),
            oauth2(p, "get", &["netbox"]),
        ],
        "second run:\n{}",
        show(&log)
    );
    assert_all_succeeded(&log, "second run");
}

/// Setup twice on every plan: no failing create (none at all the second time), every command
/// exits 0, the server ends up as the plan says and unchanged by the second run, the secret is
/// saved 0600 and never printed; then undo deletes what setup created.
#[test]
fn setup_twice_converges_and_undo_deletes_what_it_created() {
    let mut plans: Vec<(String, Scripts)> = EXAMPLES
        .iter()
        .map(|n| (n.to_string(), Scripts::from_example(n)))
        .collect();
    for (name, plan) in code_plans() {
        plans.push((name.to_string(), Scripts::from_plan(plan)));
    }
    for (name, scripts) in &plans {
        let fake = FakeKanidm::new(&PERSONS);
        let first = scripts.run_setup(&fake);
        let log = fake.take_log();
        assert_all_succeeded(&log, name);
        assert_eq!(
            log.iter().filter(|i| is_create(i)).count(),
            2,
            "{name}: one client and one group created:\n{}",
            show(&log)
        );
        assert_converged(&fake, &scripts.plan);
        let after_first = fake.objects();

        let second = scripts.run_setup(&fake);
        let log = fake.take_log();
        assert_all_succeeded(&log, name);
        assert!(
            !log.iter().any(is_create),
            "{name}: the second run created something:\n{}",
            show(&log)
        );
        assert_eq!(
            fake.objects(),
            after_first,
            "{name}: the second run changed the server"
        );
        assert_secret_saved(scripts, &fake, &[&first, &second]);

        let undo = scripts.run_undo(&fake);
        let log = fake.take_log();
        assert_all_succeeded(&log, name);
        assert_eq!(
            fake.objects(),
            json!({"clients": {}, "groups": {}}),
            "{name}"
        );
        assert!(
            !scripts.secret_file().exists(),
            "{name}: undo left the secret"
        );
        assert!(
            !scripts.state_dir().exists(),
            "{name}: undo left its state dir"
        );
        let secret = after_first["clients"][&scripts.plan.kanidm.client]["basic_secret"]
            .as_str()
            .unwrap();
        assert!(!undo.stdout.contains(secret) && !undo.stderr.contains(secret));
    }
}

/// The display name starting with `-` reaches the CLI as one value, unchanged.
#[test]
fn display_name_starting_with_a_dash_reaches_the_cli_as_a_value() {
    let (_, plan) = code_plans().remove(0);
    assert!(plan.kanidm.display_name.starts_with('-'));
    let scripts = Scripts::from_plan(plan);
    let fake = FakeKanidm::new(&PERSONS);
    scripts.run_setup(&fake);
    let create = fake
        .log()
        .into_iter()
        .find(|i| i.subcommand() == "system oauth2 create")
        .unwrap();
    assert_eq!(
        create.positionals(),
        [
            "netbox-dev",
            TRICKY_DISPLAY_NAME,
            "https://nb.example.net/nb/"
        ]
    );
    assert_eq!(
        fake.state()["clients"]["netbox-dev"]["displayname"],
        json!(TRICKY_DISPLAY_NAME)
    );
    scripts.run_setup(&fake);
    let set = fake
        .log()
        .into_iter()
        .find(|i| i.subcommand() == "system oauth2 set-displayname")
        .unwrap();
    assert_eq!(set.positionals(), ["netbox-dev", TRICKY_DISPLAY_NAME]);
}

/// `client_state` must tell "no such client" from a client that merely mentions the words: the
/// CLI prints exactly `No matching entries` for a missing client.
#[test]
fn a_client_whose_display_name_mentions_no_matching_entries_is_found() {
    let toml = std::fs::read_to_string(testkit::kanidm::example_path("keycloak-netbox-4.7.3.toml"))
        .unwrap()
        .replace(
            "display_name = \"NetBox\"",
            "display_name = \"No matching entries\"",
        );
    let scripts = Scripts::from_plan(plan_from_toml(&toml));
    let fake = FakeKanidm::new(&PERSONS);
    scripts.run_setup(&fake);
    scripts.run_setup(&fake);
    assert!(!fake.take_log().iter().skip(1).any(|i| i.rc != 0));
}

/// The client as an old guide leaves it: PKCE off, another display name and landing URL, another
/// redirect URL, a narrower scope map for the group plus one for another group, a group with
/// another member. `explicit_flags` also sets the flags the guide never touched.
fn old_guide_state(explicit_flags: bool) -> Value {
    let mut flags = json!({
        "oauth2_strict_redirect_uri": "true",
        "oauth2_allow_insecure_client_disable_pkce": "true",
    });
    if explicit_flags {
        flags["oauth2_prefer_short_username"] = json!("false");
        flags["oauth2_consent_prompt_enable"] = json!("false");
    }
    json!({
        "persons": PERSONS,
        "clients": {
            "netbox": {
                "displayname": "NetBox (Keycloak era)",
                "landing_url": "https://old-netbox.example.com/",
                "redirect_urls": ["https://old-netbox.example.com/oauth/complete/oidc/"],
                "scope_maps": {"netbox_users": ["openid"], "legacy": ["email", "openid"]},
                "flags": flags,
                "basic_secret": "0123456789abcdefghijklmnopqrstuvwxyz0123456789ab",
                "uuid": "f664bdf1-ce06-4ed8-a39f-1b35ced1a774",
                "key_ids": ["371b019fc66c", "f1c3422006cf"],
            }
        },
        "groups": {
            "netbox_users": {"members": ["alice", "zoe"], "uuid": "11111111-2222-3333-4444-555555555555"},
            "legacy": {"members": [], "uuid": "66666666-7777-8888-9999-000000000000"},
        },
    })
}

/// Setup converges a client an old guide left; undo puts it back exactly (every attribute, the
/// other group's scope map, the group's members).
#[test]
fn setup_converges_an_existing_client_and_undo_restores_it_exactly() {
    let scripts = Scripts::from_example("keycloak-netbox-4.7.3.toml");
    let seed = old_guide_state(true);
    let fake = FakeKanidm::with_state(&seed);
    let before = fake.objects();
    scripts.run_setup(&fake);
    let log = fake.take_log();
    assert_all_succeeded(&log, "setup");
    assert!(!log.iter().any(is_create), "{}", show(&log));
    assert_converged(&fake, &scripts.plan);
    let client = &fake.state()["clients"]["netbox"];
    assert_eq!(
        client["redirect_urls"],
        json!([
            "https://old-netbox.example.com/oauth/complete/oidc/",
            "https://netbox.example.com/oauth/complete/oidc/"
        ])
    );
    assert_eq!(client["scope_maps"]["legacy"], json!(["email", "openid"]));
    assert_eq!(
        fake.state()["groups"]["netbox_users"]["members"],
        json!(["alice", "bob", "zoe"])
    );
    // the secret of the existing client is kept and saved
    assert_eq!(
        std::fs::read_to_string(scripts.secret_file()).unwrap(),
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789ab\n"
    );

    scripts.run_setup(&fake); // a second run must not move undo's starting point
    assert_all_succeeded(&fake.take_log(), "second setup");
    scripts.run_undo(&fake);
    let log = fake.take_log();
    assert_all_succeeded(&log, "undo");
    assert_eq!(fake.objects(), before, "undo did not restore the client");
    let p = &scripts.plan;
    assert_eq!(
        argvs(&log),
        vec![
            login(p),
            oauth2(
                p,
                "remove-redirect-url",
                &["netbox", "https://netbox.example.com/oauth/complete/oidc/"]
            ),
            oauth2(p, "set-displayname", &["netbox", "NetBox (Keycloak era)"]),
            oauth2(
                p,
                "set-landing-url",
                &["netbox", "https://old-netbox.example.com/"]
            ),
            oauth2(p, "update-scope-map", &["netbox", "netbox_users", "openid"]),
            oauth2(p, "warning-insecure-client-disable-pkce", &["netbox"]),
            oauth2(p, "prefer-spn-username", &["netbox"]),
            oauth2(p, "disable-consent-prompt", &["netbox"]),
            group(p, "remove-members", &["netbox_users", "bob"]),
        ],
        "undo:\n{}",
        show(&log)
    );
}

/// When the old client never had the consent and username flags set, undo cannot unset them
/// (the CLI has no command for that): it sets them to the values Kanidm assumes when they are
/// unset, so the client behaves as before but `kanidm system oauth2 get` shows two more lines.
#[test]
fn undo_restores_unset_flags_as_their_defaults() {
    let scripts = Scripts::from_example("keycloak-netbox-4.7.3.toml");
    let seed = old_guide_state(false);
    let fake = FakeKanidm::with_state(&seed);
    let mut before = fake.objects();
    scripts.run_setup(&fake);
    assert_converged(&fake, &scripts.plan);
    scripts.run_undo(&fake);
    assert_all_succeeded(&fake.log(), "setup + undo");
    let after = fake.objects();
    assert_eq!(
        after["clients"]["netbox"]["flags"],
        json!({
            "oauth2_strict_redirect_uri": "true",
            "oauth2_allow_insecure_client_disable_pkce": "true",
            "oauth2_prefer_short_username": "false",  // unset means false (SPN usernames)
            "oauth2_consent_prompt_enable": "true",   // unset means true (consent asked)
        })
    );
    before["clients"]["netbox"]["flags"] = after["clients"]["netbox"]["flags"].clone();
    assert_eq!(after, before);
}

/// A client exists but the group does not: undo restores the client (no scope map for the group)
/// and deletes the group setup created.
#[test]
fn undo_deletes_the_group_setup_created_beside_an_existing_client() {
    let scripts = Scripts::from_example("authentik-netbox-4.5.2.toml");
    let mut seed = old_guide_state(true);
    seed["clients"]["netbox"]["scope_maps"] = json!({"legacy": ["openid"]});
    let fake = FakeKanidm::with_state(&seed);
    let before = fake.objects();
    scripts.run_setup(&fake);
    let log = fake.take_log();
    assert_eq!(
        log.iter()
            .filter(|i| is_create(i))
            .map(Invocation::subcommand)
            .collect::<Vec<_>>(),
        ["group create"]
    );
    assert_converged(&fake, &scripts.plan);
    scripts.run_undo(&fake);
    assert_all_succeeded(&fake.log(), "undo");
    assert_eq!(fake.objects(), before);
}

/// A first run that stops half-way (a member Kanidm does not know) is fixed and run again; undo
/// still returns to the state from before the first run.
#[test]
fn undo_after_a_failed_first_run_returns_to_the_original_state() {
    let scripts = Scripts::from_example("keycloak-netbox-4.7.3.toml");
    let fake = FakeKanidm::with_state(&json!({ "persons": ["alice"] }));
    let run = scripts.run(&scripts.setup(), &fake, &[]);
    assert_eq!(run.rc, Some(1), "{run:?}");
    let log = fake.take_log();
    let last = log.last().unwrap();
    assert_eq!(
        (last.subcommand().as_str(), last.rc),
        ("group add-members", 1)
    );
    assert!(
        run.stderr.contains("ReferentialIntegrity"),
        "{}",
        run.stderr
    );
    assert!(!scripts.secret_file().exists());

    let mut state = fake.state();
    state["persons"] = json!(["alice", "bob"]);
    fake.set_state(&state);
    scripts.run_setup(&fake);
    assert_converged(&fake, &scripts.plan);
    scripts.run_undo(&fake);
    assert_eq!(fake.objects(), json!({"clients": {}, "groups": {}}));
}

/// `KANIDM_OUTPUT=json` in the caller's environment does not break the scripts' text parsing.
#[test]
fn scripts_ignore_kanidm_output_from_the_environment() {
    let scripts = Scripts::from_example("keycloak-netbox-4.7.3.toml");
    let fake = FakeKanidm::with_state(&old_guide_state(true));
    let before = fake.objects();
    let json_env = [("KANIDM_OUTPUT", "json")];
    scripts
        .run(&scripts.setup(), &fake, &json_env)
        .assert_ok("setup");
    assert!(!fake.log().iter().any(is_create));
    assert_converged(&fake, &scripts.plan);
    scripts
        .run(&scripts.undo(), &fake, &json_env)
        .assert_ok("undo");
    assert_eq!(fake.objects(), before);
}

/// Setup stops at the first failing command, with the CLI's error, and changes nothing more.
#[test]
fn setup_stops_at_the_first_failure() {
    let scripts = Scripts::from_example("keycloak-netbox-4.7.3.toml");
    // a wrong password: nothing after login
    let fake = FakeKanidm::with_state(&json!({"passwords": {"idm_admin": "right"}}));
    let run = scripts.run(&scripts.setup(), &fake, &[]);
    assert_eq!(run.rc, Some(1));
    assert_eq!(argvs(&fake.log()), vec![login(&scripts.plan)]);
    assert!(!scripts.state_dir().exists());

    // an account outside idm_oauth2_admins (like Kanidm's `admin`): sees no clients, gets a 403
    let toml = std::fs::read_to_string(testkit::kanidm::example_path("keycloak-netbox-4.7.3.toml"))
        .unwrap()
        .replace("admin = \"idm_admin\"", "admin = \"svc_netbox\"");
    let scripts = Scripts::from_plan(plan_from_toml(&toml));
    let fake = FakeKanidm::new(&PERSONS);
    let run = scripts.run(&scripts.setup(), &fake, &[]);
    assert_eq!(run.rc, Some(1));
    assert!(
        run.stderr
            .contains("HTTP Error: 403 Forbidden AccessDenied"),
        "{}",
        run.stderr
    );
    let log = fake.log();
    assert_eq!(log.last().unwrap().subcommand(), "system oauth2 create");
    assert_eq!(fake.objects(), json!({"clients": {}, "groups": {}}));
}

// ---------------------------------------------------------------------------------------------
// The real CLI's parser

/// Every distinct command the scripts issue, for the examples and the plans built in code: setup
/// twice then undo on an empty server, setup then undo on a client an old guide left. Recorded
/// once and shared by the tests that need it.
fn recorded_commands() -> &'static [Vec<String>] {
    static RECORDED: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let mut all: Vec<Vec<String>> = Vec::new();
        let mut scripts: Vec<Scripts> = EXAMPLES.iter().map(|n| Scripts::from_example(n)).collect();
        scripts.extend(code_plans().into_iter().map(|(_, p)| Scripts::from_plan(p)));
        for s in &scripts {
            for (seed, setups) in [
                (json!({ "persons": PERSONS }), 2),
                (old_guide_state(true), 1),
            ] {
                let scripts = Scripts::from_plan(s.plan.clone());
                let fake = FakeKanidm::with_state(&seed);
                for _ in 0..setups {
                    scripts.run_setup(&fake);
                }
                scripts.run_undo(&fake);
                for i in fake.log() {
                    if !all.contains(&i.argv) {
                        all.push(i.argv);
                    }
                }
            }
        }
        all
    })
}

/// The real `kanidm` CLI parses every command the scripts issue (each reaches the "not logged
/// in" check instead of a usage error), including `--` before every subcommand's positionals.
#[test]
fn real_cli_parser_accepts_every_command_the_scripts_issue() {
    let bin = real_kanidm();
    let commands = recorded_commands();
    let covered: BTreeSet<String> = commands
        .iter()
        .map(|argv| {
            Invocation {
                argv: argv.clone(),
                url: None,
                ca_path: None,
                rc: 0,
            }
            .subcommand()
        })
        .collect();
    let wanted: BTreeSet<String> = SCRIPT_SUBCOMMANDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(covered, wanted, "subcommands exercised");
    assert!(
        commands
            .iter()
            .filter(|a| a[0] != "login")
            .all(|a| a.contains(&"--".to_string())),
        "every command but login passes its positionals after --"
    );
    assert!(
        commands
            .iter()
            .any(|a| a.contains(&TRICKY_DISPLAY_NAME.to_string())),
        "the display name starting with - was checked"
    );

    let mut failures = Vec::new();
    for argv in commands {
        let out = offline_check(&bin, argv);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ok = if argv[0] == "login" {
            // login parses, then (password from KANIDM_PASSWORD) starts authenticating against
            // https://127.0.0.1:1 and fails with "connection refused": rc 1, not a usage error
            out.status.code() == Some(1)
                && stderr.contains("Error during authentication init phase")
                && !stderr.contains("Usage:")
        } else {
            out.status.code() == Some(1) && stderr.contains("No valid authentication tokens found")
        };
        if !ok {
            failures.push(format!(
                "kanidm {argv:?}\n  rc {:?}\n  stderr: {stderr}",
                out.status.code()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "the real kanidm CLI ({}) rejected commands the scripts issue:\n{}",
        bin.display(),
        failures.join("\n")
    );
}

/// Negative controls: the offline check does catch a typo, and a value starting with `-` without
/// the `--` before it.
#[test]
fn real_cli_rejects_a_misspelled_subcommand_and_a_dash_value_without_double_dash() {
    let bin = real_kanidm();
    let typo: Vec<String> = [
        "system",
        "oauth2",
        "add-redirect-uri",
        "--name",
        "idm_admin",
        "--",
        "netbox",
        "https://netbox.example.com/oauth/complete/oidc/",
    ]
    .map(String::from)
    .to_vec();
    let out = offline_check(&bin, &typo);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: unrecognized subcommand 'add-redirect-uri'")
    );

    let without_dashes: Vec<String> = [
        "system",
        "oauth2",
        "set-displayname",
        "--name",
        "idm_admin",
        "netbox",
        TRICKY_DISPLAY_NAME,
    ]
    .map(String::from)
    .to_vec();
    let out = offline_check(&bin, &without_dashes);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: unexpected argument '-N' found")
    );
    let mut with_dashes = without_dashes.clone();
    with_dashes.insert(5, "--".into());
    assert_eq!(offline_check(&bin, &with_dashes).status.code(), Some(1));
}

/// The fake parses like the real CLI: same usage errors (rc 2, same text) and the same "not
/// logged in" answer for valid commands, on the scripts' commands and on broken ones.
#[test]
fn fake_and_real_cli_parse_alike() {
    let bin = real_kanidm();
    let mut cases = recorded_commands().to_vec();
    let broken: &[&[&str]] = &[
        &[
            "system",
            "oauth2",
            "add-redirect-uri",
            "--name",
            "a",
            "--",
            "nb",
            "https://x/",
        ],
        &[
            "system",
            "oauth",
            "create",
            "nb",
            "NB",
            "https://x",
            "--name",
            "a",
        ],
        &["system", "oauth2", "create", "nb", "NB", "--name", "a"],
        &["system", "oauth2", "disable-pkce", "nb", "--name", "a"],
        &[
            "system",
            "oauth2",
            "update-scope-map",
            "--name",
            "a",
            "--",
            "nb",
        ],
        &[
            "system",
            "oauth2",
            "update-scope-map",
            "--name",
            "a",
            "--",
            "nb",
            "g",
        ],
        &["system", "oauth2", "get", "nb", "--nmae", "a"],
        &["system", "oauth2", "get", "nb", "--name"],
        &["system", "oauth2", "get", "--name", "", "--", "nb"],
        &[
            "system", "oauth2", "get", "--name", "a", "--", "nb", "extra",
        ],
        &["system", "oauth2", "get", "--name", "a", "-nb"],
        &[
            "system",
            "oauth2",
            "set-landing-url",
            "--name",
            "a",
            "--",
            "nb",
            "nb.example",
        ],
        &[
            "system",
            "oauth2",
            "add-redirect-url",
            "--name",
            "a",
            "--",
            "nb",
            "https://",
        ],
        &[
            "system",
            "oauth2",
            "remove-redirect-url",
            "--name",
            "a",
            "--",
            "nb",
        ],
        &[
            "system",
            "oauth2",
            "set-displayname",
            "--name",
            "a",
            "--",
            "nb",
        ],
        &[
            "system",
            "oauth2",
            "prefer-short-usernames",
            "nb",
            "--name",
            "a",
        ],
        &[
            "system",
            "oauth2",
            "delete-scope-map",
            "--name",
            "a",
            "--",
            "nb",
        ],
        &["group", "add-member", "g", "foobar", "--name", "a"],
        &["group", "add-members", "--name", "a", "--", "g"],
        &["group", "remove-members", "--name", "a", "--", "g"],
        &["group", "create", "--name", "a", "--", "g", "m", "extra"],
        &["group", "get", "--name", "a", "--"],
        &["login", "extra"],
        &["login", "--bogus"],
        &["bogus"],
    ];
    cases.extend(
        broken
            .iter()
            .map(|a| a.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
    );
    let fake = FakeKanidm::new(&[]);
    let mut failures = Vec::new();
    for argv in cases.iter().filter(|a| a[0] != "login" || a.len() == 2) {
        let real = offline_check(&bin, argv);
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        let faked = fake.run(
            &args,
            &[
                ("KANIDM_URL", "https://127.0.0.1:1"),
                ("KANIDM_TOKEN_CACHE_PATH", "/nonexistent/token-cache"),
                ("NO_COLOR", "1"),
            ],
        );
        let (real_err, fake_err) = (
            normalise_stderr(&String::from_utf8_lossy(&real.stderr)),
            normalise_stderr(&String::from_utf8_lossy(&faked.stderr)),
        );
        if real.status.code() != faked.status.code() || real_err != fake_err {
            failures.push(format!(
                "{argv:?}\n  real rc {:?}: {real_err}  fake rc {:?}: {fake_err}",
                real.status.code(),
                faked.status.code()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fake and real CLI differ:\n{}",
        failures.join("\n")
    );
    let rcs: BTreeMap<String, usize> = fake.log().iter().fold(BTreeMap::new(), |mut m, i| {
        *m.entry(i.rc.to_string()).or_default() += 1;
        m
    });
    assert_eq!(rcs.get("2"), Some(&broken.len()), "usage errors: {rcs:?}");
}
