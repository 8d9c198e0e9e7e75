//! `nbsso inspect --from`: a client as the kanidm CLI printed it, its drift from the plan, and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use testkit::fixtures;
use testkit::idp::{CannedResponse, TestIdp};

/// A plan for the fixtures' server; `extra` is appended to the `[kanidm]` table.
fn plan(dir: &Path, netbox_version: &str, extra: &str) -> PathBuf {
    let path = dir.join("plan.toml");
    std::fs::write(
        &path,
        format!(
            "source = \"keycloak\"\n[netbox]\nurl = \"https://netbox.example.com\"\nversion = \"{netbox_version}\"\n\
             [kanidm]\norigin = \"https://localhost:8443\"\nmembers = [\"foobar\"]\n{extra}\n"
        ),
    )
    .unwrap();
    path
}

fn inspect(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .arg("inspect")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn drift_from_the_plan_with_converge_and_undo_commands() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), "4.7.3", "");
    let from = fixtures::path("kanidm/cli/17-oauth2-get-final.stdout");
    let out = inspect(
        &[
            "--plan",
            plan.to_str().unwrap(),
            "--from",
            from.to_str().unwrap(),
        ],
        None,
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("OAuth2 client netbox (NetBox)\n"),
        "{stdout}"
    );
    // The attributes as the interactive view shows them.
    assert!(
        stdout.contains("Security\n  PKCE            not enforced (disabled)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  client secret   set (never shown)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✗ drift    oauth2_allow_insecure_client_disable_pkce: plan enforced"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "           converge: kanidm system oauth2 enable-pkce --name idm_admin -- netbox\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("           undo:     kanidm system oauth2 warning-insecure-client-disable-pkce --name idm_admin -- netbox\n"), "{stdout}");
    assert!(
        stdout.ends_with("2 attribute(s) differ from the plan\n"),
        "{stdout}"
    );
}

#[test]
fn the_json_form_from_stdin_in_sync_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    // NetBox 4.5.2 cannot send PKCE, and this plan skips the consent prompt: fixture 17 is that state.
    let plan = plan(dir.path(), "4.5.2", "consent_prompt = false");
    let json = fixtures::bytes("kanidm/cli/17j-oauth2-get-final-json.stdout");
    let out = inspect(
        &["--plan", plan.to_str().unwrap(), "--from", "-", "--json"],
        Some(&json),
    );
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["command"], "inspect");
    assert_eq!(report["clients"], serde_json::json!(["netbox"]));
    assert_eq!(report["drift"], serde_json::json!([]));
    assert_eq!(
        report["client"]["redirect_urls"][0],
        "https://netbox.example.com/oauth/complete/oidc/"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("REDACTED"),
        "no secret value in reports"
    );
}

#[test]
fn a_missing_client_says_which_account_can_see_clients() {
    for capture in [
        "kanidm/cli/30-oauth2-get-nonexistent.stdout",
        "kanidm/cli/85-oauth2-get-netbox-as-admin.stdout",
    ] {
        let out = inspect(
            &[
                "netbox",
                "--from",
                fixtures::path(capture).to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1), "{capture}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.contains("✗ missing  no OAuth2 client named netbox"),
            "{stdout}"
        );
        assert!(
            stdout.contains(
                "only members of idm_oauth2_admins (such as idm_admin) can see OAuth2 clients"
            ),
            "{stdout}"
        );
    }
}

#[test]
fn unreadable_input_and_usage_errors_exit_2() {
    let out = inspect(&["--from", "-"], Some(b"this is not kanidm output\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("is not the output of kanidm system oauth2 get/list")
    );
    let out = inspect(&[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from FILE"));
    let out = inspect(&["--from", "/nonexistent/file"], None);
    assert_eq!(out.status.code(), Some(2));
}

/// A Kanidm whose REST API serves the captured `GET /v1/oauth2/netbox` to the token `tok-idm-admin`,
/// `null` for other clients, 403 for the token `tok-admin` and 401 for anything else.
fn kanidm_api() -> TestIdp {
    let body = fixtures::bytes("kanidm/http/rest-v1-oauth2-netbox.json");
    TestIdp::builder()
        .intercept(move |req| {
            if !req.path.starts_with("/v1/oauth2") {
                return None;
            }
            Some(match req.header("authorization").unwrap_or_default() {
                "Bearer tok-idm-admin" if req.path == "/v1/oauth2/netbox" => {
                    CannedResponse::new(200)
                        .header("content-type", "application/json")
                        .body(body.clone())
                }
                "Bearer tok-idm-admin" => CannedResponse::new(200).body("null"),
                "Bearer tok-admin" => CannedResponse::new(403).body("\"accessdenied\""),
                _ => CannedResponse::new(401).body("\"notauthenticated\""),
            })
        })
        .start_blocking()
}

fn live(idp: &TestIdp, dir: &Path, args: &[&str], cache_tokens: &str) -> Output {
    let cache = dir.join("kanidm_tokens");
    std::fs::write(
        &cache,
        format!("{{\"instances\":{{\"\":{{\"tokens\":{{{cache_tokens}}}}}}}}}"),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .arg("inspect")
        .args(args)
        .args(["--url", &idp.origin()])
        .env("KANIDM_TOKEN_CACHE_PATH", &cache)
        .env("KANIDM_CA_PATH", idp.ca_pem_path())
        .env_remove("KANIDM_TOKEN")
        .env_remove("KANIDM_NAME")
        .output()
        .unwrap()
}

#[test]
fn live_from_the_rest_api_with_the_cli_login() {
    let idp = kanidm_api();
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), "4.7.3", "");
    let tokens = r#""idm_admin@localhost":"tok-idm-admin","admin@localhost":"tok-admin""#;
    let out = live(
        &idp,
        dir.path(),
        &["--plan", plan.to_str().unwrap(), "--name", "idm_admin"],
        tokens,
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("✗ drift    oauth2_allow_insecure_client_disable_pkce"),
        "{stdout}"
    );
    let seen = idp.requests_to("/v1/oauth2/netbox");
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer tok-idm-admin")
    );
    assert!(
        !stdout.contains("tok-idm-admin"),
        "the token is never printed"
    );

    // Two cached logins and no --name: ask which.
    let out = live(
        &idp,
        dir.path(),
        &["--plan", plan.to_str().unwrap()],
        tokens,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("say which with --name"));
}

#[test]
fn live_refusals_exit_3_and_a_missing_client_exits_1() {
    let idp = kanidm_api();
    let dir = tempfile::tempdir().unwrap();
    let out = live(
        &idp,
        dir.path(),
        &["netbox"],
        r#""admin@localhost":"tok-admin""#,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("Kanidm refused access (403): only members of idm_oauth2_admins")
    );
    let out = live(
        &idp,
        dir.path(),
        &["netbox"],
        r#""idm_admin@localhost":"expired""#,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Kanidm refused the login token (401)"));
    let out = live(
        &idp,
        dir.path(),
        &["grafana"],
        r#""idm_admin@localhost":"tok-idm-admin""#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no OAuth2 client named grafana"));
}
