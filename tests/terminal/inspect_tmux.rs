//! The inspect view end to end: the built `nbsso` in a private tmux server (100×30), as an admin
//! uses it: open, filter, select, read the drift, copy a command (OSC 52, taken by tmux with
//! `set-clipboard on`), quit. Skipped, with the reason printed, when tmux is missing.
//! `NBSSO_BIN` overrides the binary (e.g. the release build).

use std::path::Path;
use testkit::inspect;
use testkit::tmux;
use tmux::Tmux;

#[test]
fn open_filter_select_read_the_drift_copy_a_command_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clients.json"), inspect::clients_json()).unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join(inspect::PLAN);
    let Some(t) = Tmux::start(
        "inspect",
        dir.path(),
        &[
            "inspect",
            "--from",
            "clients.json",
            "--plan",
            plan.to_str().unwrap(),
        ],
        100,
        30,
    ) else {
        return;
    };
    // Programs in the pane may set the clipboard (OSC 52 → a tmux paste buffer).
    t.run(&["set-option", "-s", "set-clipboard", "on"]);
    let screen = t.wait_for("5 of 5 clients");
    assert!(
        screen.contains("▸ netbox    ✗ 2 drift"),
        "the plan's client first: {screen}"
    );
    assert!(screen.contains("✓ in sync"), "{screen}");

    // Filter as you type: a redirect host.
    t.text("grafana.example");
    let screen = t.wait_for("1 of 5 clients");
    assert!(screen.contains("▸ grafana"), "{screen}");
    assert!(!screen.contains("gitea"), "{screen}");
    // A new filter, then select in the filtered list.
    t.keys(&["C-u"]);
    t.text("NETB");
    t.wait_for("2 of 5 clients");
    t.keys(&["Down"]);
    t.wait_for("✓ netbox-dr is in sync with the plan");
    t.keys(&["Up"]);
    let screen = t.wait_for("✗ netbox drifts from the plan in 2 attribute(s) · Enter");
    assert!(screen.contains("✗ drift  PKCE"), "{screen}");
    assert!(screen.contains("✗ drift  consent prompt"), "{screen}");

    // Into the drift, then the commands of the PKCE row; copy the converge command.
    t.keys(&["Enter"]);
    t.wait_for("c copy commands");
    t.keys(&["Tab"]);
    let screen = t.wait_for("c copy command ");
    assert!(
        screen.contains("converge kanidm system oauth2 enable-pkce --name idm_admin -- netbox"),
        "{screen}"
    );
    assert!(screen.contains("why"), "{screen}");
    t.keys(&["c"]);
    t.wait_for("Copied kanidm system oauth2 enable-pkce --name idm_admin -- netbox");
    let clipboard = t.wait_until_clipboard();
    assert_eq!(
        clipboard,
        "kanidm system oauth2 enable-pkce --name idm_admin -- netbox"
    );

    // q quits; the exit code says the plan's client drifts; the terminal is restored.
    t.keys(&["q"]);
    let screen = t.wait_exit();
    assert!(screen.contains("EXIT=1"), "{screen}");
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "raw mode is off again: {screen}"
    );
    assert!(
        !screen.contains("Filter ›"),
        "the alternate screen was left: {screen}"
    );
}

fn start(name: &str, extra: &[&str]) -> Option<(Tmux, tempfile::TempDir)> {
    start_sized(name, extra, 30)
}

/// [`start`] in a pane `height` lines tall.
fn start_sized(name: &str, extra: &[&str], height: u16) -> Option<(Tmux, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clients.json"), inspect::clients_json()).unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join(inspect::PLAN);
    let mut args = vec![
        "inspect",
        "--from",
        "clients.json",
        "--plan",
        plan.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Tmux::start(name, dir.path(), &args, 100, height).map(|t| (t, dir))
}

#[test]
fn plain_prints_the_report_on_a_terminal() {
    // Tall enough for the whole report: the client's attributes, then its drift.
    let Some((t, _dir)) = start_sized("plain", &["--plain"], 50) else {
        return;
    };
    let screen = t.wait_exit();
    assert!(screen.contains("OAuth2 client netbox (NetBox)"), "{screen}");
    assert!(
        screen.contains("Security\n  PKCE            not enforced (disabled)"),
        "{screen}"
    );
    assert!(
        screen.contains("✗ drift    oauth2_allow_insecure_client_disable_pkce"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=1"), "{screen}");
    assert!(!screen.contains("Filter ›"), "{screen}");
}

#[test]
fn the_terminal_is_restored_after_sigterm() {
    let Some((t, _dir)) = start("sigterm", &[]) else {
        return;
    };
    t.wait_for("5 of 5 clients");
    let pid = t.nbsso_pid();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = t.wait_exit();
    assert!(screen.contains("EXIT=143"), "{screen}");
    assert!(screen.lines().any(|l| l.trim() == "icanon"), "{screen}");
    assert!(!screen.contains("Filter ›"), "{screen}");
}

/// The wizard's Checks screen opens the view on the plan's Kanidm, read live with the cached login of
/// the plan's admin account, and Esc comes back.
#[test]
fn the_wizard_inspects_the_plans_kanidm_live_and_comes_back() {
    use testkit::idp::{CannedResponse, TestIdp};
    let body = testkit::fixtures::bytes("kanidm/http/rest-v1-oauth2-list.json");
    let idp = TestIdp::builder()
        .intercept(move |req| {
            (req.path == "/v1/oauth2").then(|| {
                match req.header("authorization").unwrap_or_default() {
                    "Bearer tok-idm-admin" => CannedResponse::new(200)
                        .header("content-type", "application/json")
                        .body(body.clone()),
                    _ => CannedResponse::new(401).body("\"notauthenticated\""),
                }
            })
        })
        .start_blocking();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("kanidm_tokens");
    std::fs::write(
        &cache,
        r#"{"instances":{"":{"tokens":{"idm_admin@localhost":"tok-idm-admin"}}}}"#,
    )
    .unwrap();
    let Some(t) = Tmux::start_with(
        "wizard",
        dir.path(),
        &[
            ("KANIDM_TOKEN_CACHE_PATH", cache.to_str().unwrap()),
            ("KANIDM_NAME", ""),
        ],
        &[],
        100,
        30,
    ) else {
        return;
    };
    t.answer_first_setup_kanidm(&idp.origin(), idp.ca_pem_path(), "alice");
    t.text("https://127.0.0.2:9");
    t.keys(&["Enter"]);
    t.wait_for("REDIRECT_IS_HTTPS");
    t.keys(&["Enter"]);
    t.wait_for("Checks: the live servers");
    t.keys(&["i"]);
    let screen = t.wait_for("1 of 1 clients");
    assert!(
        screen.contains(&format!("{}/v1/oauth2", idp.origin())),
        "{screen}"
    );
    assert!(screen.contains("· plan: the"), "{screen}");
    // The plan's NetBox is elsewhere: the redirect URL drifts, with the command to add it.
    assert!(screen.contains("✗ drift  redirect URL"), "{screen}");
    assert!(
        screen.contains("kanidm system oauth2 add-redirect-url --name idm_admin -- netbox"),
        "{screen}"
    );
    assert!(screen.contains("Esc clear filter / back"), "{screen}");
    assert!(screen.contains("F5 refresh"), "{screen}");
    t.keys(&["Escape"]);
    let screen = t.wait_for("Back from the inspect view");
    assert!(screen.contains("Checks: the live servers"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["d"]);
    assert!(t.wait_exit().contains("EXIT=0"));
}

trait Clipboard {
    fn wait_until_clipboard(&self) -> String;
}

impl Clipboard for Tmux {
    /// The clipboard once something is on it.
    fn wait_until_clipboard(&self) -> String {
        let start = std::time::Instant::now();
        loop {
            let text = self.clipboard();
            if !text.is_empty() || start.elapsed() > tmux::WAIT {
                return text;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
