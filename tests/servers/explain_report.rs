//! `nbsso explain` and `nbsso report`: every catalogue entry found from the real text it is for
//! (tests/fixtures/errors/, sources in its README), whole tracebacks and log excerpts, unrelated
//! text, the confirming checks run against the test servers, and the report's redaction.

use nbsso::explain::{self, Catalogue};
use nbsso::generate;
use nbsso::plan::{PlanDraft, validate};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use testkit::idp::{CannedResponse, TestIdp, TestIdpBuilder, TestUser};
use testkit::netbox::{LoginStyle, TestNetbox, TestNetboxBuilder};

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn errors_dir() -> PathBuf {
    crate_root().join("tests/fixtures/errors")
}

// ---------------------------------------------------------------------------------------------
// Capturing the texts of the real social-auth-core (run by hand; see tests/fixtures/errors/README.md)
// ---------------------------------------------------------------------------------------------

const CAPTURE_SECRET: &str = "kanidmbasicsecret0123456789abcdefghijklmnopqrstu";
const CAPTURE_REDIRECT: &str = "https://netbox.example.com/oauth/complete/oidc/";

/// Runs one headless login through the real social-auth-core 5.2.0 with the generated settings
/// for the NetBox 4.7.3 example, edited by `edit`, against `idp`; writes what Python printed on
/// stderr (the traceback and social-core's log) to `name`.txt once it holds `expect` (timing
/// decides some clock messages, so a run may be repeated).
fn capture_login(name: &str, idp: &TestIdp, edit: impl Fn(String) -> String, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let draft = testkit::plans::example_draft_for_idp(
        "keycloak-netbox-4.7.3.toml",
        idp.origin(),
        idp.ca_pem_path(),
        dir.path(),
        CAPTURE_SECRET,
    );
    let (plan, _) = validate(&draft).unwrap();
    let settings = dir.path().join("netbox-sso.py");
    std::fs::write(&settings, edit(generate::netbox_settings(&plan))).unwrap();
    let python = testkit::python::venv_python(testkit::python::SC_NETBOX_4_7);
    let mut last = String::new();
    for _ in 0..5 {
        let out = Command::new(&python)
            .arg(testkit::python::harness_script())
            .arg("login")
            .arg(&settings)
            .args(["--redirect-uri", CAPTURE_REDIRECT, "--browser-ca"])
            .arg(idp.ca_pem_path())
            .env_remove("REQUESTS_CA_BUNDLE")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .unwrap();
        last = String::from_utf8(out.stderr).unwrap();
        if last.contains("Traceback") && last.contains(expect) {
            std::fs::write(errors_dir().join(format!("{name}.txt")), &last).unwrap();
            return;
        }
    }
    panic!("{name}: social-core did not print {expect:?}\n{last}");
}

fn kanidm(secret: &str) -> TestIdpBuilder {
    TestIdp::builder()
        .client("netbox", secret)
        .redirect_url(CAPTURE_REDIRECT)
        .short_username(true)
        .user(TestUser::alice())
}

fn without(line: &'static str) -> impl Fn(String) -> String {
    move |text| {
        assert!(text.contains(line), "the settings lack {line:?}");
        text.replace(line, "")
    }
}

fn replaced(from: &'static str, to: &'static str) -> impl Fn(String) -> String {
    move |text| {
        assert!(text.contains(from), "the settings lack {from:?}");
        text.replace(from, to)
    }
}

/// A change to the generated settings.
type SettingsEdit = Box<dyn Fn(String) -> String>;

fn same(text: String) -> String {
    text
}

/// Regenerates the social-core captures in tests/fixtures/errors/ (needs python3 and PyPI for the
/// venv): `cargo test --test explain_report capture_social_core_texts -- --ignored`.
#[test]
#[ignore = "rewrites fixtures; run by hand"]
fn capture_social_core_texts() {
    let base = || kanidm(CAPTURE_SECRET);
    let idp = base().start_blocking();
    let endpoint = "/oauth2/openid/netbox'";
    let cases: [(&str, SettingsEdit, &str); 5] = [
        (
            "socialcore-alg-not-allowed",
            Box::new(without(
                "SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256']\n",
            )),
            "The specified alg value is not allowed",
        ),
        (
            "socialcore-untrusted-ca",
            Box::new(replaced("SOCIAL_AUTH_VERIFY_SSL", "_NOT_VERIFY_SSL")),
            "CERTIFICATE_VERIFY_FAILED",
        ),
        (
            "socialcore-trailing-slash",
            Box::new(replaced(endpoint, "/oauth2/openid/netbox/'")),
            "//.well-known",
        ),
        (
            "socialcore-unknown-client",
            Box::new(replaced(endpoint, "/oauth2/openid/netbx'")),
            "404 Client Error",
        ),
        (
            "socialcore-connection-refused",
            Box::new(replaced(
                "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = '",
                "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = 'https://127.0.0.1:1/oauth2/openid/netbox'\n_WAS = '",
            )),
            "Connection refused",
        ),
    ];
    for (name, edit, expect) in &cases {
        capture_login(name, &idp, edit, expect);
    }
    capture_login(
        "socialcore-not-rsa-key",
        &kanidm(CAPTURE_SECRET).jwk_alg(false).start_blocking(),
        replaced(
            "SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256']",
            "SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['RS256', 'ES256']",
        ),
        "Not an RSA key",
    );
    capture_login(
        "socialcore-wrong-secret",
        &kanidm("a-secret-reset-since").start_blocking(),
        same,
        "Invalid key/secret",
    );
    let skewed: [(&str, i64, bool, &str); 4] = [
        // 0.95 s: nbf is the next whole second on NetBox's clock in 95 % of logins.
        ("socialcore-nbf", 950, false, "Incorrect id_token: nbf"),
        (
            "socialcore-iat-not-yet-valid",
            3_000,
            true,
            "The token is not yet valid (iat)",
        ),
        (
            "socialcore-iat-too-old",
            -700_000,
            false,
            "Incorrect id_token: iat",
        ),
        (
            "socialcore-signature-expired",
            -1_000_000,
            false,
            "Signature has expired",
        ),
    ];
    for (name, offset, omit_nbf, expect) in skewed {
        let mut idp = base().clock_offset_ms(offset);
        if omit_nbf {
            idp = idp.id_token_omit("nbf");
        }
        capture_login(name, &idp.start_blocking(), same, expect);
    }
    capture_login(
        "socialcore-invalid-audience",
        &base()
            .id_token_claim("aud", serde_json::json!("NetBox"))
            .start_blocking(),
        same,
        "Invalid audience",
    );
    // Kanidm's keys rotated while NetBox verifies against another key set.
    let rotated = TestIdp::builder().start_blocking().jwks("netbox");
    capture_login(
        "socialcore-signature-verification-failed",
        &base()
            .intercept(move |req| {
                req.path
                    .ends_with("/public_key.jwk")
                    .then(|| CannedResponse::json(200, &rotated))
            })
            .start_blocking(),
        same,
        "Signature verification failed",
    );
    let python = testkit::python::venv_python(testkit::python::SC_NETBOX_4_7);
    let status = Command::new(python)
        .arg(errors_dir().join("capture.py"))
        .arg(errors_dir())
        .status()
        .unwrap();
    assert!(status.success());
}

fn fixture(name: &str) -> PathBuf {
    errors_dir().join(name)
}

fn read(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn catalogue() -> &'static Catalogue {
    explain::catalogue().unwrap()
}

#[derive(Debug, Deserialize)]
struct Index {
    case: Vec<Case>,
    lines: Vec<LinesFile>,
}

#[derive(Debug, Deserialize)]
struct Case {
    file: String,
    entry: String,
    #[serde(default)]
    also: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct LinesFile {
    file: String,
}

fn index() -> Index {
    toml::from_str(&read(&fixture("index.toml"))).unwrap()
}

/// `(language, entry, text)` of each line of a lines file.
fn lines_of(file: &str) -> Vec<(String, String, String)> {
    read(&fixture(file))
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let mut next = || parts.next().unwrap().to_string();
            (next(), next(), next())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The catalogue against the real texts
// ---------------------------------------------------------------------------------------------

#[test]
fn every_real_text_is_explained_by_its_entry() {
    let cat = catalogue();
    for case in index().case {
        let text = read(&fixture(&case.file));
        let found = explain::explain(cat, &text);
        let ids: Vec<&str> = found.matches.iter().map(|m| m.entry.id.as_str()).collect();
        assert_eq!(
            ids.first().copied(),
            Some(case.entry.as_str()),
            "{}: found {ids:?}",
            case.file
        );
        for also in &case.also {
            assert!(
                ids.contains(&also.as_str()),
                "{}: {also} not in {ids:?}",
                case.file
            );
        }
        // The line shown is a line of the text that really holds the message.
        let primary = found.primary().unwrap();
        let line = text.lines().nth(primary.line - 1).unwrap();
        assert!(
            explain::strip_ansi(line).contains(primary.text.trim_end_matches('…')),
            "{}: line {} is not {:?}",
            case.file,
            primary.line,
            primary.text
        );
    }
}

#[test]
fn netbox_messages_are_recognised_in_every_language() {
    let cat = catalogue();
    let lines = lines_of(&index().lines[0].file);
    assert!(lines.len() >= 30, "{}", lines.len());
    for (language, entry, text) in lines {
        let found = explain::explain(cat, &text);
        assert_eq!(
            found.primary().map(|m| m.entry.id.as_str()),
            Some(entry.as_str()),
            "{language}: {text}"
        );
    }
}

#[test]
fn every_entry_is_tested_with_a_real_text() {
    let index = index();
    let mut tested: BTreeSet<String> = index.case.iter().map(|c| c.entry.clone()).collect();
    for file in &index.lines {
        tested.extend(lines_of(&file.file).into_iter().map(|(_, entry, _)| entry));
    }
    let entries: BTreeSet<String> = catalogue().entries.iter().map(|e| e.id.clone()).collect();
    let untested: Vec<&String> = entries.difference(&tested).collect();
    assert!(untested.is_empty(), "no real text for {untested:?}");
    assert!(entries.len() >= 30, "{} entries", entries.len());
    // And every fixture file is in the index (none lies around untested).
    let mut listed: BTreeSet<String> = index.case.iter().map(|c| c.file.clone()).collect();
    listed.extend(index.lines.iter().map(|l| l.file.clone()));
    for entry in std::fs::read_dir(errors_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let tooling = ["README.md", "index.toml", "capture.py", "capture_django.py"];
        assert!(
            tooling.contains(&name.as_str()) || listed.contains(&name),
            "{name} is not in index.toml"
        );
    }
}

/// Real output of working setups (the kanidm CLI, Kanidm's endpoints, the example plans) holds no
/// known error.
#[test]
fn unrelated_real_texts_are_not_explained() {
    let kanidm = crate_root().join("tests/fixtures/kanidm");
    let files = [
        kanidm.join("cli/00-login-idm_admin.stdout"),
        kanidm.join("cli/02-oauth2-create.stdout"),
        kanidm.join("cli/17-oauth2-get-final.stdout"),
        kanidm.join("cli/18j-oauth2-list-json.stdout"),
        kanidm.join("http/discovery-netbox.json"),
        kanidm.join("http/jwks-netbox.json"),
        kanidm.join("flow/decoded-token-claims.json"),
        kanidm.join("flow/netbox-02-token.json"),
        kanidm.join("server/cert.pem.txt"),
        crate_root().join("examples/keycloak-netbox-4.7.3.toml"),
        crate_root().join("examples/authentik-netbox-4.5.2.toml"),
        kanidm.join("cli/16-oauth2-disable-consent-prompt-no-name.stdout"),
    ];
    for file in files {
        let found = explain::explain(catalogue(), &read(&file));
        assert!(
            found.is_empty(),
            "{}: {:?}",
            file.display(),
            found
                .matches
                .iter()
                .map(|m| (&m.entry.id, &m.text))
                .collect::<Vec<_>>()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// `nbsso explain`
// ---------------------------------------------------------------------------------------------

fn nbsso(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KANIDM_TOKEN")
        .env_remove("KANIDM_NAME")
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Exit code 0, or the command's stderr in the failure.
fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn explain_finds_the_entry_of_every_real_text_from_standard_input() {
    for case in index().case {
        let text = read(&fixture(&case.file));
        let out = nbsso(&["explain", "--json", "-"], Some(&text));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            case.file,
            stdout(&out)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["entry"]["id"], case.entry.as_str(), "{}", case.file);
        assert_eq!(report["matches"][0]["entry"], case.entry.as_str());
        assert!(
            report["entry"]["causes"][0]["fix"]
                .as_str()
                .is_some_and(|f| !f.is_empty())
        );
    }
}

#[test]
fn explain_prints_the_line_the_causes_and_the_fix() {
    let text = read(&fixture("netbox-debug-log-remote-user.txt"));
    let out = nbsso(&["explain"], Some(&text));
    let shown = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let lines = text.lines().count();
    assert!(shown.starts_with(&format!(
        "Found in line {lines} of {lines}:\n  social_core.exceptions.AuthTokenError: Token error: The specified alg value is not allowed\n\n\
         NetBox refuses the ID token's signature algorithm (Kanidm signs with ES256)\n"
    )), "{shown}");
    assert!(
        shown.contains("  1. configuration.py does not allow ES256"),
        "{shown}"
    );
    assert!(
        shown.contains("     confirm with: nbsso check --plan <plan> --only jwks"),
        "{shown}"
    );
    assert!(
        shown.contains("       SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256']"),
        "{shown}"
    );
    assert!(
        shown.contains("kanidm system oauth2 disable-legacy-crypto netbox --name idm_admin"),
        "{shown}"
    );
    assert!(shown.contains("line 1     remote-user-keyerror"), "{shown}");

    // Words on the command line are one text.
    let out = nbsso(
        &[
            "explain",
            "Token",
            "error:",
            "Incorrect",
            "id_token:",
            "nbf",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("NetBox's clock is behind Kanidm's"));
}

#[test]
fn explain_says_what_it_looked_for_when_nothing_matches() {
    let text = read(&crate_root().join("tests/fixtures/kanidm/cli/17-oauth2-get-final.stdout"));
    let out = nbsso(&["explain", "-"], Some(&text));
    assert_eq!(out.status.code(), Some(1));
    let shown = stdout(&out);
    let n = catalogue().entries.len();
    assert!(
        shown.starts_with(&format!(
            "nbsso found none of its {n} known messages in the text ({} line(s)).\n",
            text.lines().count()
        )),
        "{shown}"
    );
    assert!(
        shown.contains("  The specified alg value is not allowed\n"),
        "{shown}"
    );
    assert!(
        shown.contains("`nbsso explain --list` shows every message"),
        "{shown}"
    );
    let out = nbsso(&["explain", "--json", "-"], Some(&text));
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["matches"], serde_json::json!([]));
    assert_eq!(report["looked_for"], n);
}

#[test]
fn explain_lists_and_shows_entries_by_id() {
    let out = nbsso(&["explain", "--list"], None);
    let shown = stdout(&out);
    for entry in &catalogue().entries {
        assert!(shown.contains(&format!("{}  (", entry.id)), "{}", entry.id);
    }
    let out = nbsso(&["explain", "--entry", "pkce-missing"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("SOCIAL_AUTH_OIDC_USE_PKCE = True"));
    let out = nbsso(&["explain", "--entry", "no-such-entry"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no catalogue entry \"no-such-entry\""));
}

// ---------------------------------------------------------------------------------------------
// Test servers: a NetBox-shaped server in front of the Kanidm-shaped IdP
// ---------------------------------------------------------------------------------------------

/// NetBox started first (its origin is the redirect Kanidm must know), then the IdP, then NetBox
/// pointed at the IdP. `redirect` maps NetBox's callback to what Kanidm has registered.
fn servers(
    nb: impl FnOnce(TestNetboxBuilder) -> TestNetboxBuilder,
    idp: impl FnOnce(TestIdpBuilder, &str) -> TestIdpBuilder,
    redirect: impl FnOnce(String) -> String,
) -> (TestIdp, TestNetbox) {
    let netbox = nb(TestNetbox::builder()
        .style(LoginStyle::PostBegin)
        .client_id("netbox")
        .use_pkce(true)
        .button("Kanidm", Some("login")))
    .start_blocking();
    let registered = redirect(format!("{}/oauth/complete/oidc/", netbox.origin()));
    let builder = TestIdp::builder()
        .client("netbox", CAPTURE_SECRET)
        .redirect_url(&registered);
    let idp = idp(builder, &registered).start_blocking();
    let endpoint = format!("{}/ui/oauth2", idp.origin());
    netbox.configure(|c| {
        if let Some(sso) = c.sso.as_mut() {
            sso.authorize_endpoint = endpoint;
        }
    });
    (idp, netbox)
}

/// The NetBox 4.7.3 example plan pointed at the test servers, in `dir`.
fn plan_for(
    dir: &Path,
    idp: &TestIdp,
    nb: &TestNetbox,
    edit: impl FnOnce(&mut PlanDraft),
) -> PathBuf {
    let mut draft = testkit::plans::example_draft_for_idp(
        "keycloak-netbox-4.7.3.toml",
        idp.origin(),
        idp.ca_pem_path(),
        dir,
        CAPTURE_SECRET,
    );
    draft.netbox.url = nb.origin();
    edit(&mut draft);
    let path = dir.join("plan.toml");
    std::fs::write(&path, draft.to_toml()).unwrap();
    path
}

fn explain_with_plan(plan: &Path, file: &str, json: bool) -> Output {
    let mut args = vec![
        "explain",
        "--timeout",
        "5",
        "--plan",
        plan.to_str().unwrap(),
        "-",
    ];
    if json {
        args.push("--json");
    }
    let out = nbsso(&args, Some(&read(&fixture(file))));
    assert_ok(&out);
    out
}

fn explain_json(plan: &Path, file: &str) -> serde_json::Value {
    serde_json::from_slice(&explain_with_plan(plan, file, true).stdout).unwrap()
}

#[test]
fn with_a_plan_the_checks_say_which_cause_it_is() {
    // Kanidm's clock 1.5 s ahead of NetBox's: the nbf traceback is cause 1, confirmed by the clock.
    let (idp, nb) = servers(|b| b, |b, _| b.clock_offset_ms(1_500), |r| r);
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_for(dir.path(), &idp, &nb, |_| {});
    let report = explain_json(&plan, "socialcore-nbf.txt");
    assert_eq!(report["checks"][0]["id"], "clock");
    assert_eq!(report["checks"][0]["status"], "fail");
    assert_eq!(report["cause"], 1);
    assert_eq!(report["entry"]["causes"][0]["verdict"], "confirmed");
    assert!(
        report["entry"]["causes"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("behind Kanidm"),
        "{report:#}"
    );

    // NetBox sends no PKCE challenge while Kanidm enforces it: kanidmd's log line is cause 1.
    let (idp, nb) = servers(|b| b.use_pkce(false), |b, _| b, |r| r);
    let plan = plan_for(dir.path(), &idp, &nb, |_| {});
    let report = explain_json(&plan, "kanidmd-pkce-missing.log");
    assert_eq!(report["cause"], 1, "{report:#}");
    let shown = stdout(&explain_with_plan(&plan, "kanidmd-pkce-missing.log", false));
    assert!(
        shown.contains("It is cause 1: NetBox does not send PKCE"),
        "{shown}"
    );
    assert!(shown.contains("[✗ confirmed]"), "{shown}");

    // Everything in order: the redirect causes are ruled out, and nbsso says so.
    let (idp, nb) = servers(|b| b, |b, _| b, |r| r);
    let plan = plan_for(dir.path(), &idp, &nb, |_| {});
    let report = explain_json(&plan, "kanidmd-redirect-missing-slash.log");
    assert_eq!(report["cause"], serde_json::Value::Null, "{report:#}");
    assert_eq!(report["entry"]["causes"][0]["verdict"], "ruled-out");
    let shown = stdout(&explain_with_plan(
        &plan,
        "kanidmd-redirect-missing-slash.log",
        false,
    ));
    assert!(shown.contains("No check confirms a cause"), "{shown}");
    assert!(shown.contains("[✓ ruled out]"), "{shown}");
    // kanidmd's log names the redirect it refused: nbsso compares it with the plan's.
    assert!(
        shown.contains(&format!(
            "Kanidm refused https://netbox.example.com/oauth/complete/oidc; the plan's redirect URL is {}/oauth/complete/oidc/: the scheme is https instead of http; the host is netbox.example.com instead of 127.0.0.1",
            nb.origin()
        )),
        "{shown}"
    );
    // The fixes name the plan's own client and redirect URL.
    assert!(
        shown.contains(&format!(
            "kanidm system oauth2 add-redirect-url netbox {}/oauth/complete/oidc/ --name idm_admin",
            nb.origin()
        )),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------------------------
// `nbsso report`
// ---------------------------------------------------------------------------------------------

/// The captured `GET /v1/oauth2/netbox` of a real kanidmd (PKCE disabled, consent prompt off), served
/// to `token` only; every other token gets 401.
fn with_rest_api(builder: TestIdpBuilder, token: &str, redirect: &str) -> TestIdpBuilder {
    let captured =
        read(&crate_root().join("tests/fixtures/kanidm/http/rest-v1-oauth2-netbox.json"));
    let body = captured.replace("https://netbox.example.com/oauth/complete/oidc/", redirect);
    let bearer = format!("Bearer {token}");
    builder.intercept(move |req| {
        if !req.path.starts_with("/v1/oauth2") {
            return None;
        }
        Some(if req.header("authorization") == Some(bearer.as_str()) {
            CannedResponse::new(200)
                .header("content-type", "application/json")
                .body(body.clone())
        } else {
            CannedResponse::new(401).body("\"notauthenticated\"")
        })
    })
}

fn token_cache(dir: &Path, token: &str) -> PathBuf {
    let path = dir.join("kanidm_tokens");
    let cache = serde_json::json!({"instances": {"": {"tokens": {"idm_admin@localhost": token}}}});
    std::fs::write(&path, cache.to_string()).unwrap();
    path
}

fn report(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nbsso"));
    cmd.arg("report").args(args);
    for name in [
        "KANIDM_TOKEN",
        "KANIDM_NAME",
        "KANIDM_INSTANCE",
        "KANIDM_URL",
        "KANIDM_CA_PATH",
        "KANIDM_PASSWORD",
        "NETBOX_OIDC_SECRET",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "HTTPS_PROXY",
        "NO_PROXY",
        "KANIDM_TOKEN_CACHE_PATH",
    ] {
        cmd.env_remove(name);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// A failing setup as people meet it: NetBox's clock 1.5 s behind Kanidm's, NetBox without PKCE,
/// and Kanidm's redirect URL registered without its trailing slash; the Kanidm client is read with
/// the CLI's cached login.
struct FailingSetup {
    _dir: tempfile::TempDir,
    idp: TestIdp,
    nb: TestNetbox,
    plan: PathBuf,
    cache: PathBuf,
}

fn failing_setup(token: &str, edit: impl FnOnce(&mut PlanDraft)) -> FailingSetup {
    let dir = tempfile::tempdir().unwrap();
    let (idp, nb) = servers(
        |b| b.use_pkce(false).clock_offset_ms(-1_500),
        |b, registered| with_rest_api(b, token, registered),
        |r| r.trim_end_matches('/').to_string(),
    );
    let plan = plan_for(dir.path(), &idp, &nb, edit);
    let cache = token_cache(dir.path(), token);
    FailingSetup {
        _dir: dir,
        idp,
        nb,
        plan,
        cache,
    }
}

/// Every line of the report, in each form, without the canary.
fn assert_no_canary(args: &[&str], env: &[(&str, &str)], canary: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for extra in [
        &[][..],
        &["--json"][..],
        &["--anonymise"][..],
        &["--json", "--anonymise"][..],
    ] {
        let mut all = args.to_vec();
        all.extend(extra);
        let out = report(&all, env);
        assert_ok(&out);
        let text = stdout(&out);
        for line in text
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
        {
            assert!(!line.contains(canary), "{extra:?}: a secret in {line:?}");
        }
        texts.push(text);
    }
    texts
}

#[test]
fn no_secret_reaches_the_report() {
    let canary = format!("nbsso-canary-{}", std::process::id());
    let secret = |what: &str| format!("{canary}-{what}");
    let setup = failing_setup(&secret("token-cache"), |_| {});
    let dir = setup.plan.parent().unwrap().to_path_buf();
    // The client secret file kanidm-setup.sh writes, NetBox's configuration and its env file.
    let secret_file = dir.join("kanidm-oidc-secret");
    std::fs::write(&secret_file, format!("{}\n", secret("secret-file"))).unwrap();
    let configuration = dir.join("configuration.py");
    std::fs::write(
        &configuration,
        format!(
            "import os\nSECRET_KEY = '{}'\nREMOTE_AUTH_BACKEND = 'social_core.backends.keycloak.KeycloakOAuth2'\n\
             SOCIAL_AUTH_KEYCLOAK_KEY = 'netbox'\n\
             SOCIAL_AUTH_KEYCLOAK_SECRET = os.environ.get('KC_SECRET', '{}')\n\
             SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['RS256']\n",
            secret("secret-key"),
            secret("configuration")
        ),
    )
    .unwrap();
    let env_file = dir.join("netbox.env");
    std::fs::write(
        &env_file,
        format!(
            "SUPERUSER_PASSWORD={}\nSECRET_KEY={}\n",
            secret("env-file"),
            secret("env-file-key")
        ),
    )
    .unwrap();
    // The plan names both files: the jwks check reads the configuration, the report the secret file.
    let mut draft = PlanDraft::from_toml(&read(&setup.plan)).unwrap();
    draft.netbox.configuration = configuration.display().to_string();
    draft.netbox.secret_file = secret_file.display().to_string();
    std::fs::write(&setup.plan, draft.to_toml()).unwrap();
    let proxy = format!("http://proxyuser:{}@proxy.invalid:3128", secret("proxy"));
    let (password, oidc_secret) = (secret("env-password"), secret("env-netbox"));
    let env = [
        ("KANIDM_TOKEN_CACHE_PATH", setup.cache.to_str().unwrap()),
        ("KANIDM_PASSWORD", password.as_str()),
        ("NETBOX_OIDC_SECRET", oidc_secret.as_str()),
        ("HTTPS_PROXY", proxy.as_str()),
        ("NO_PROXY", "127.0.0.1,localhost"),
    ];
    let args = [
        "--plan",
        setup.plan.to_str().unwrap(),
        "--timeout",
        "5",
        "--import",
        configuration.to_str().unwrap(),
        "--import",
        env_file.to_str().unwrap(),
    ];
    for text in assert_no_canary(&args, &env, &canary) {
        // What the secrets protect was used: the client was read with the cached token, the checks
        // ran (and read the configuration), and the secret file was looked at.
        assert!(
            text.contains("oauth2_allow_insecure_client_disable_pkce"),
            "{text}"
        );
        assert!(text.contains("SOCIAL_AUTH_OIDC_JWT_ALGORITHMS"), "{text}");
        assert!(text.contains("present, mode 0"), "{text}");
        assert!(text.contains("NETBOX_OIDC_SECRET"), "{text}");
        // The imported configuration was read: its old login and its settings, secrets hidden.
        assert!(text.contains("SOCIAL_AUTH_KEYCLOAK_KEY"), "{text}");
        assert!(text.contains("KeycloakOAuth2"), "{text}");
    }
    let seen = setup.idp.requests_to("/v1/oauth2/netbox");
    let expected = format!("Bearer {}", secret("token-cache"));
    assert_eq!(seen[0].header("authorization"), Some(expected.as_str()));

    // Secrets pasted into the plan: the keys are named, their values never shown.
    let pasted = dir.join("pasted.toml");
    let text = read(&setup.plan).replace(
        "[kanidm]\n",
        &format!("[kanidm]\nclient_secret = \"{}\"\n", secret("plan")),
    );
    std::fs::write(
        &pasted,
        format!(
            "{text}\n[secrets]\nadmin_password = \"{}\"\n",
            secret("plan-table")
        ),
    )
    .unwrap();
    let args = ["--plan", pasted.to_str().unwrap(), "--timeout", "5"];
    for text in assert_no_canary(&args, &env, &canary) {
        assert!(text.contains("kanidm.client_secret"), "{text}");
        assert!(text.contains("secrets"), "{text}");
    }
    let _ = &setup.nb;
}

/// The report of the failing setup, as a forum post would show it (volatile values filtered:
/// ports, temp paths, measured times, dates, key ids).
#[test]
fn the_report_of_a_failing_setup() {
    let setup = failing_setup("tok-idm-admin", |_| {});
    let env = [
        ("KANIDM_TOKEN_CACHE_PATH", setup.cache.to_str().unwrap()),
        ("NO_PROXY", "127.0.0.1,localhost"),
    ];
    let out = report(
        &["--plan", setup.plan.to_str().unwrap(), "--timeout", "5"],
        &env,
    );
    assert_ok(&out);
    let text = stdout(&out);
    let mut settings = insta::Settings::clone_current();
    let volatile = [
        (r"/tmp/\.tmp\w+", "<tmp>"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (
            r"[+-]?\d+\.\d{3} s ± \d+\.\d{3} s",
            "<offset> s ± <error> s",
        ),
        (r"\d+\.\d{3} s\b", "<n> s"),
        (r"\d+(\.\d+)? ms", "<ms> ms"),
        (r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?", "<date>"),
        (r"valid for \d+ more days", "valid for <n> more days"),
        // The clock probes until it has what it needs: the count varies with timing.
        (r"\(\d+ requests,", "(<n> requests,"),
        (
            r"nbsso \d+\.\d+\.\d+ on \S+ \S+\.",
            "nbsso <version> on <platform>.",
        ),
        (r"key [0-9a-f]{8,}", "key <kid>"),
    ];
    for (pattern, with) in volatile {
        settings.add_filter(pattern, with);
    }
    settings.bind(|| insta::assert_snapshot!("report_failing_setup", text));
    let _ = (&setup.idp, &setup.nb);
}

#[test]
fn anonymise_replaces_every_host_the_same_way() {
    let plan = crate_root().join("examples/authentik-netbox-4.5.2.toml");
    let plan = plan.to_str().unwrap();
    let out = report(&["--plan", plan, "--offline", "--anonymise"], &[]);
    assert_ok(&out);
    let text = stdout(&out);
    for host in ["tools.example.org", "id.example.org", "example.org"] {
        assert!(!text.contains(host), "{host} in\n{text}");
    }
    assert!(text.contains("url = \"https://netbox.invalid\""), "{text}");
    assert!(
        text.contains("origin = \"https://kanidm.invalid:8443\""),
        "{text}"
    );
    assert!(
        text.contains("host names and addresses are replaced by stand-ins"),
        "{text}"
    );
    // Dotted plan keys are not host names.
    assert!(
        text.contains("- warning `kanidm.pkce`: NetBox 4.5.2"),
        "{text}"
    );
    let out = report(&["--plan", plan, "--offline", "--anonymise", "--json"], &[]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["anonymised"], true);
    assert!(
        json["plan"]["toml"]
            .as_str()
            .unwrap()
            .contains("https://kanidm.invalid:8443")
    );
    // Without --anonymise the host names stay.
    let out = report(&["--plan", plan, "--offline"], &[]);
    assert!(stdout(&out).contains("origin = \"https://id.example.org:8443\""));
}

#[test]
fn a_broken_plan_still_gives_a_report_without_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.toml");
    std::fs::write(&path, "[netbox]\nurl = \"https://netbox.example.com\"\nredirect_is_https = \"hunter2-plan-value\"\n").unwrap();
    let out = report(&["--plan", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("The plan is not valid TOML."), "{text}");
    assert!(
        text.contains("line 3: invalid type: string \"<redacted>\", expected a boolean"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("not run: the plan is not valid"), "{text}");

    let out = report(&["--plan", "/nonexistent/plan.toml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("The plan could not be read."));
    let out = report(&[], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("No plan given (`--plan FILE`)."));
}
