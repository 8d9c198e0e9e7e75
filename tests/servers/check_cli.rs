//! `nbsso check` as a user runs it: text with glyphs and words, `--json`, `--only`, exit codes.

use nbsso::plan::PlanDraft;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use testkit::idp::TestIdp;

fn write_plan(dir: &Path, idp: &TestIdp, edit: impl FnOnce(&mut PlanDraft)) -> PathBuf {
    let mut draft = testkit::plans::example_draft("keycloak-netbox-4.7.3.toml");
    draft.kanidm.origin = idp.origin();
    draft.tls.ca_file = idp.ca_pem_path().display().to_string();
    // Nothing listens on port 1: NetBox is unreachable unless a test says otherwise.
    draft.netbox.url = "http://127.0.0.1:1".into();
    edit(&mut draft);
    let path = dir.join("plan.toml");
    std::fs::write(&path, draft.to_toml()).unwrap();
    path
}

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .arg("check")
        .args(args)
        .output()
        .unwrap()
}

fn idp() -> TestIdp {
    TestIdp::builder()
        .client("netbox", "s")
        .redirect_url("http://127.0.0.1:1/oauth/complete/oidc/")
        .start_blocking()
}

#[test]
fn all_selected_checks_pass_exit_0() {
    let idp = idp();
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &idp, |_| {});
    let out = check(&[
        "--plan",
        plan.to_str().unwrap(),
        "--only",
        "kanidm-tls,discovery,jwks,authorise",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("✓ ok       Kanidm TLS"), "{stdout}");
    assert!(
        stdout.contains(
            "✓ ok       Discovery                         client netbox found; ES256, PKCE enforced"
        ),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("4 ok, 0 warning(s), 0 failed, 0 skipped\n"),
        "{stdout}"
    );
}

#[test]
fn a_failed_check_exits_1_with_its_fix() {
    let idp = idp();
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &idp, |d| d.kanidm.client = "nbx".into());
    let out = check(&["--plan", plan.to_str().unwrap(), "--only", "discovery"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "✗ failed   Discovery                         Kanidm has no OAuth2 client named nbx"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("fix: run kanidm-setup.sh, or: kanidm system oauth2 create nbx"),
        "{stdout}"
    );
}

#[test]
fn an_unreachable_server_exits_3_and_json_is_stable() {
    let idp = idp();
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &idp, |_| {});
    let out = check(&[
        "--plan",
        plan.to_str().unwrap(),
        "--only",
        "netbox-login,discovery",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["command"], "check");
    assert_eq!(report["exit_code"], 3);
    let checks = report["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["discovery", "netbox-login"]);
    let login = &checks[1];
    assert_eq!(login["status"], "fail");
    assert_eq!(login["unreachable"], true);
    assert!(
        login["summary"]
            .as_str()
            .unwrap()
            .starts_with("NetBox login page: cannot connect"),
        "{login}"
    );
    assert_eq!(checks[0]["status"], "pass");
    assert!(checks[0].get("unreachable").is_none());
}

#[test]
fn usage_errors_exit_2() {
    let idp = idp();
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &idp, |_| {});
    let out = check(&["--plan", plan.to_str().unwrap(), "--only", "dicsovery"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown check \"dicsovery\"; the checks are kanidm-tls, discovery")
    );
    let bad = write_plan(dir.path(), &idp, |d| d.kanidm.origin = "http://x".into());
    let out = check(&["--plan", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no check was run"));
}
