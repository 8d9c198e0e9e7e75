#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End to end on the real NetBox 4.7.3 (PyPI wheel, Python 3.12, PostgreSQL, Redis) and the Kanidm-shaped
//! test IdP with Kanidm's defaults (ES256, PKCE enforced, `nbf = iat`, exact redirect match, UUID `sub`,
//! short usernames as `kanidm-setup.sh` sets them).
//!
//! nbsso's `netbox-sso.py` for the NetBox 4.7.3 plan is appended to NetBox's stock configuration.py, and a
//! headless browser logs in. Then the mistakes the checks predict are made one at a time, and for each
//! `nbsso check` (the built binary, against the same running NetBox and IdP) must name the cause before a
//! login shows what NetBox does with it: with DEBUG off (what users see) and, where NetBox gets a
//! callback, with DEBUG on (the real exception in the server log).
//!
//! How nbsso reaches NetBox: NetBox listens on `http://127.0.0.1:<port>` and the plan's `netbox.url` is
//! that URL, because `nbsso check` asks NetBox itself for the redirect_uri and must be able to reach it,
//! exactly as a user runs it from a host that reaches NetBox. Kanidm has that URL's callback registered.
//! A deployment behind a TLS proxy is covered too: the login driver can reach NetBox as
//! `https://netbox.example.com` through a simulated proxy that sends `X-Forwarded-Host` and
//! `X-Forwarded-Proto` like NetBox's contrib/nginx.conf, and NetBox then sends the public redirect_uri.
//!
//! One NetBox, one PostgreSQL and one Redis serve every case of this binary (a custom harness, so that
//! they are started once and stopped by pid at the end, also after a failed case); NetBox restarts only
//! when a case needs a different configuration.py. The slow parts (venv, migrated database dump) come from
//! `tests/netbox/setup.sh`, which `tests/run` runs. Without its environment a bare `cargo test` reports
//! that it needs `tests/run` and runs no case; under CI (`CI` set) that is a failure.

use nbsso::generate;
use nbsso::plan::{Plan, validate};
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};
use testkit::idp::{TestIdp, TestUser};
use testkit::netbox_real::{
    BEGIN_ALERT, ENV_VARS, Login, LoginDriver, LoginEnd, Prepared, RealNetBox,
};

const SECRET: &str = "kanidmbasicsecret0123456789abcdefghijklmnopqrstu";
const PUBLIC: &str = "https://netbox.example.com";
const SSO_FAILED: &str = "Single sign-on failed. Please try again or contact your administrator.";
const ES256_LINE: &str = "SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256']\n";
const PKCE_LINE: &str = "SOCIAL_AUTH_OIDC_USE_PKCE = True\n";
const NBF: &str = "Incorrect id_token: nbf";
const IAT: &str = "The token is not yet valid (iat)";

/// Everything the cases share. Fields drop in order: NetBox (and its databases) first, then the IdP.
struct World {
    nb: RealNetBox,
    idp: TestIdp,
    _dir: tempfile::TempDir,
    plan: Plan,
    plan_path: PathBuf,
    /// The generated netbox-sso.py.
    settings: String,
    /// What each case saw, printed at the end.
    report: Vec<String>,
}

impl World {
    fn start(prepared: Prepared) -> World {
        let nb = RealNetBox::start(prepared);
        let redirect = format!("{}/oauth/complete/oidc/", nb.url());
        let idp = TestIdp::builder()
            .client("netbox", SECRET)
            .display_name("NetBox")
            .redirect_url(&redirect)
            .redirect_url(&format!("{PUBLIC}/oauth/complete/oidc/"))
            .short_username(true)
            .user(TestUser::alice())
            .start_blocking();
        let dir = tempfile::tempdir().unwrap();
        let mut draft = testkit::plans::example_draft_for_idp(
            "keycloak-netbox-4.7.3.toml",
            idp.origin(),
            idp.ca_pem_path(),
            dir.path(),
            SECRET,
        );
        draft.netbox.url = nb.url();
        draft.netbox.configuration = nb.configuration_path().display().to_string();
        let (plan, _) = validate(&draft).unwrap();
        let plan_path = dir.path().join("plan.toml");
        std::fs::write(&plan_path, draft.to_toml()).unwrap();
        let settings = generate::netbox_settings(&plan);
        World {
            nb,
            idp,
            _dir: dir,
            plan,
            plan_path,
            settings,
            report: Vec::new(),
        }
    }

    /// The generated settings with one line removed, as a user who missed it would have them.
    fn without(&self, line: &str) -> String {
        assert!(
            self.settings.contains(line),
            "the generated settings no longer contain {line:?}:\n{}",
            self.settings
        );
        self.settings.replacen(line, "", 1)
    }

    /// NetBox with `settings`. Kanidm's CA is trusted through the generated `SOCIAL_AUTH_VERIFY_SSL`.
    fn serve(&mut self, settings: &str, debug: bool) {
        let settings = settings.to_string();
        self.nb.serve(&settings, debug, None);
    }

    /// Kanidm as `kanidm-setup.sh` leaves it (both callbacks registered, clock right).
    fn reset_idp(&self) {
        let redirects = vec![
            self.plan.redirect_url(),
            format!("{PUBLIC}/oauth/complete/oidc/"),
        ];
        self.idp.configure(|c| {
            c.clock_offset_ms = 0;
            c.clients[0].redirect_urls = redirects;
            c.clients[0].pkce_enforced = true;
        });
        self.idp.clear_requests();
    }

    /// `nbsso check --plan … --json`, the built binary.
    fn nbsso_check(&mut self, case: &str) -> CheckRun {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_nbsso"))
            .arg("check")
            .arg("--plan")
            .arg(&self.plan_path)
            .arg("--json")
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "nbsso check printed no JSON ({e}):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let run = CheckRun {
            code: out.status.code().unwrap_or(-1),
            json,
        };
        self.report.push(format!(
            "[{case}] nbsso check → exit {} in {:.1} s\n{}",
            run.code,
            started.elapsed().as_secs_f64(),
            run.lines()
        ));
        run
    }

    fn login_with(&mut self, case: &str, driver: LoginDriver) -> Login {
        let mut driver = driver;
        let login = driver.login();
        self.report.push(format!("[{case}] login:\n{login}"));
        login
    }

    fn login(&mut self, case: &str) -> Login {
        let driver = LoginDriver::new(&self.nb.url(), self.idp.ca_pem());
        self.login_with(case, driver)
    }

    /// A login with DEBUG on, and the exception NetBox logged for it.
    fn login_debug(&mut self, case: &str) -> (Login, String) {
        let mark = self.nb.server_log_mark();
        let login = self.login(case);
        let log = self.nb.server_log_since(mark);
        let exception = last_exception(&log).unwrap_or_default();
        self.report
            .push(format!("[{case}] NetBox's log (DEBUG on): {exception}"));
        (login, exception)
    }
}

/// The parsed JSON report of one `nbsso check`.
struct CheckRun {
    code: i32,
    json: Value,
}

impl CheckRun {
    fn check(&self, id: &str) -> &Value {
        self.json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id}: {:#}", self.json))
    }

    fn status(&self, id: &str) -> &str {
        self.check(id)["status"].as_str().unwrap_or_default()
    }

    fn summary(&self, id: &str) -> &str {
        self.check(id)["summary"].as_str().unwrap_or_default()
    }

    fn fix(&self, id: &str) -> &str {
        self.check(id)["fix"].as_str().unwrap_or_default()
    }

    fn lines(&self) -> String {
        self.json["checks"]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| {
                        format!(
                            "    {:<13} {:<5} {}\n",
                            c["id"].as_str().unwrap_or_default(),
                            c["status"].as_str().unwrap_or_default(),
                            c["summary"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The last `module.SomeError: message` line of a Python traceback in the server log.
fn last_exception(log: &str) -> Option<String> {
    log.lines()
        .rev()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("Traceback"))
        .find(|l| {
            l.split_once(": ").is_some_and(|(name, _)| {
                !name.contains(' ') && (name.ends_with("Error") || name.ends_with("Exception"))
            })
        })
        .map(str::to_string)
}

// ---- the cases, in the order they run (NetBox restarts only when the configuration changes) ----

fn generated_settings_pass_netbox_check(w: &mut World) {
    let settings = w.settings.clone();
    w.nb.configure(&settings, false);
    let out = w.nb.check(None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    w.report.push(format!(
        "[netbox check] exit {}:\n    {}",
        out.status,
        text.trim().replace('\n', "\n    ")
    ));
    assert!(out.status.success(), "netbox check failed:\n{text}");
    assert!(text.contains("System check identified no issues"), "{text}");
}

fn nbsso_check_passes_and_reads_the_login_style_and_redirect_uri(w: &mut World) {
    let settings = w.settings.clone();
    w.reset_idp();
    w.serve(&settings, false);
    let run = w.nbsso_check("configured");
    for id in [
        "kanidm-tls",
        "discovery",
        "jwks",
        "netbox-login",
        "redirect",
        "authorise",
    ] {
        assert_eq!(run.status(id), "pass", "{id}: {:#}", run.check(id));
    }
    // Both servers read this machine's clock. On a loaded machine slow answers can widen the error bar
    // up to the 1 % notice ("may fail"), which is a warning, never a failure.
    let clock = run.status("clock");
    assert!(
        clock == "pass" || (clock == "warn" && run.summary("clock").contains("may fail")),
        "{:#}",
        run.check("clock")
    );
    assert_eq!(run.code, if clock == "pass" { 0 } else { 1 });
    assert_eq!(
        run.check("netbox-login")["detected"]["range"],
        "4.7.1 or later"
    );
    assert_eq!(
        run.summary("netbox-login"),
        "login page offers \"Kanidm\" (POST to /oauth/begin/ (NetBox 4.7.1+))"
    );
    let redirect = w.plan.redirect_url();
    assert_eq!(redirect, format!("{}/oauth/complete/oidc/", w.nb.url()));
    assert_eq!(
        run.summary("redirect"),
        format!("NetBox sends redirect_uri {redirect}")
    );
    let details = run.check("redirect")["details"].to_string();
    assert!(
        details.contains(&format!("{}/ui/oauth2?", w.idp.origin())),
        "the begin endpoint's authorize URL: {details}"
    );
}

fn a_new_kanidm_user_logs_in(w: &mut World) {
    let settings = w.settings.clone();
    w.reset_idp();
    w.serve(&settings, false);
    assert!(w.nb.social_links().is_empty());
    let login = w.login("log in");
    assert_eq!(login.end, LoginEnd::LoggedIn("alice".into()), "\n{login}");
    assert_eq!(login.button.as_deref(), Some(w.plan.login.label.as_str()));
    assert_eq!(login.button.as_deref(), Some("Kanidm"));
    assert_eq!(login.redirect_uri, Some(w.plan.redirect_url()));
    let alice = TestUser::alice();
    assert_eq!(
        w.nb.social_links(),
        [("alice".to_string(), "oidc".to_string(), alice.uuid.clone())]
    );
    assert!(w.nb.usernames().contains(&"alice".to_string()));
    // NetBox sent PKCE S256 and the IdP checked the verifier.
    let authorise = w.idp.requests_to("/ui/oauth2");
    assert_eq!(
        authorise[0].query_param("code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(
        w.idp.requests_to("/oauth2/token")[0]
            .form_param("code_verifier")
            .is_some()
    );
    w.report.push(format!(
        "[log in] social_auth_usersocialauth: {:?}",
        w.nb.social_links()
    ));
}

fn behind_a_proxy_netbox_sends_the_public_redirect_uri(w: &mut World) {
    let settings = w.settings.clone();
    w.reset_idp();
    w.serve(&settings, false);
    let driver = LoginDriver::new(&w.nb.url(), w.idp.ca_pem()).behind_proxy(PUBLIC);
    let login = w.login_with("behind a proxy", driver);
    assert_eq!(
        login.redirect_uri.as_deref(),
        Some("https://netbox.example.com/oauth/complete/oidc/")
    );
    assert_eq!(login.end, LoginEnd::LoggedIn("alice".into()), "\n{login}");
    // The same Kanidm person is the same NetBox user: still one link.
    assert_eq!(w.nb.social_links().len(), 1);
}

fn redirect_registered_without_the_trailing_slash(w: &mut World) {
    let settings = w.settings.clone();
    w.reset_idp();
    let bare = w.plan.redirect_url().trim_end_matches('/').to_string();
    w.idp
        .configure(|c| c.clients[0].redirect_urls = vec![bare.clone()]);
    w.serve(&settings, false);
    let run = w.nbsso_check("redirect without slash");
    assert_eq!(run.code, 1);
    assert_eq!(run.status("authorise"), "fail");
    assert!(
        run.summary("authorise").contains("not registered exactly")
            && run.summary("authorise").contains(&w.plan.redirect_url()),
        "{}",
        run.summary("authorise")
    );
    assert!(
        run.fix("authorise").contains(&format!(
            "add-redirect-url netbox {}",
            w.plan.redirect_url()
        )),
        "{}",
        run.fix("authorise")
    );
    let login = w.login("redirect without slash");
    assert_eq!(
        login.end,
        LoginEnd::StoppedAtKanidm("Error Code: InvalidState".into()),
        "\n{login}"
    );
    assert!(
        !login.hops.iter().any(|h| h
            .url
            .starts_with(&format!("{}/oauth/complete/", w.nb.url()))),
        "NetBox must not get a callback:\n{login}"
    );
    assert!(
        w.idp
            .server_log()
            .iter()
            .any(|l| l.contains("Invalid OAuth2 redirect_uri")),
        "{:?}",
        w.idp.server_log()
    );
}

fn idp_clock_1_5_s_ahead(w: &mut World) {
    let settings = w.settings.clone();
    w.reset_idp();
    w.idp.configure(|c| c.clock_offset_ms = 1500);
    w.serve(&settings, false);
    let run = w.nbsso_check("clock +1.5 s");
    assert_eq!(run.code, 1);
    assert_eq!(run.status("clock"), "fail", "{:#}", run.check("clock"));
    let summary = run.summary("clock");
    assert!(
        summary.starts_with("NetBox is 1.")
            && summary.contains(&format!(
                "behind Kanidm: every login fails with \"{NBF}\" or \"{IAT}\""
            )),
        "{summary}"
    );
    let login = w.login("clock +1.5 s");
    assert_eq!(login.end, LoginEnd::Toast(SSO_FAILED.into()), "\n{login}");
    w.serve(&settings, true);
    let (login, exception) = w.login_debug("clock +1.5 s");
    assert!(
        matches!(login.end, LoginEnd::ServerError(500, _)),
        "\n{login}"
    );
    // PyJWT (iat more than JWT_LEEWAY ahead) or social-core's own nbf check, depending on where in
    // NetBox's second the token arrives; the clock check names both.
    assert!(
        [NBF, IAT].iter().any(
            |m| exception == format!("social_core.exceptions.AuthTokenError: Token error: {m}")
        ),
        "{exception}"
    );
}

fn without_es256_the_callback_fails(w: &mut World) {
    let settings = w.without(ES256_LINE);
    w.reset_idp();
    w.serve(&settings, false);
    let run = w.nbsso_check("no ES256");
    assert_eq!(run.code, 1);
    assert_eq!(run.status("jwks"), "fail", "{:#}", run.check("jwks"));
    assert!(
        run.summary("jwks").contains(
            "is for ES256, but configuration.py does not set SOCIAL_AUTH_OIDC_JWT_ALGORITHMS"
        ),
        "{}",
        run.summary("jwks")
    );
    let login = w.login("no ES256");
    assert_eq!(login.end, LoginEnd::Toast(SSO_FAILED.into()), "\n{login}");
    w.serve(&settings, true);
    let (login, exception) = w.login_debug("no ES256");
    assert!(
        matches!(login.end, LoginEnd::ServerError(500, _)),
        "\n{login}"
    );
    assert_eq!(
        exception,
        "social_core.exceptions.AuthTokenError: Token error: The specified alg value is not allowed"
    );
}

fn pkce_off_while_kanidm_enforces_it(w: &mut World) {
    let settings = w.without(PKCE_LINE);
    w.reset_idp();
    w.serve(&settings, false);
    let run = w.nbsso_check("no PKCE");
    assert_eq!(run.code, 1);
    assert_eq!(run.status("redirect"), "fail");
    assert!(
        run.summary("redirect")
            .contains("NetBox sends no PKCE challenge, but Kanidm enforces PKCE"),
        "{}",
        run.summary("redirect")
    );
    assert_eq!(
        run.fix("redirect"),
        "SOCIAL_AUTH_OIDC_USE_PKCE = True in configuration.py, then restart NetBox"
    );
    assert_eq!(run.status("authorise"), "fail");
    let login = w.login("no PKCE");
    assert_eq!(
        login.end,
        LoginEnd::StoppedAtKanidm("Error Code: InvalidState".into()),
        "\n{login}"
    );
    assert!(
        w.idp
            .server_log()
            .iter()
            .any(|l| l
                .contains("No PKCE code challenge was provided with client in enforced PKCE mode")),
        "{:?}",
        w.idp.server_log()
    );
}

fn endpoint_with_a_trailing_slash_cannot_begin(w: &mut World) {
    let issuer = w.plan.issuer();
    // The endpoint copied with a trailing slash, as from a browser's address bar.
    let line = format!("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = '{issuer}'\n");
    assert!(w.settings.contains(&line), "{}", w.settings);
    let settings = w.settings.replacen(
        &line,
        &format!("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = '{issuer}/'\n"),
        1,
    );
    w.reset_idp();
    w.serve(&settings, false);
    let run = w.nbsso_check("endpoint with /");
    assert_eq!(run.code, 1);
    assert_eq!(run.status("redirect"), "fail");
    assert!(
        run.summary("redirect")
            .contains("HTTP 500): a trailing slash on SOCIAL_AUTH_OIDC_OIDC_ENDPOINT"),
        "{}",
        run.summary("redirect")
    );
    let login = w.login("endpoint with /");
    assert_eq!(
        login.end,
        LoginEnd::BeginFailed(format!("{BEGIN_ALERT} (HTTP 500)")),
        "\n{login}"
    );
    // Even with DEBUG off, NetBox's 500 page names the exception.
    let begin = login.hops.last().unwrap();
    let shown = begin.shown.as_deref().unwrap_or_default();
    assert!(
        shown.contains(&format!(
            "404 Client Error: Not Found for url: {issuer}//.well-known/openid-configuration"
        )),
        "{shown}"
    );
}

type Case = (&'static str, fn(&mut World));

const CASES: [Case; 9] = [
    (
        "generated_settings_pass_netbox_check",
        generated_settings_pass_netbox_check,
    ),
    (
        "nbsso_check_passes_and_reads_the_login_style_and_redirect_uri",
        nbsso_check_passes_and_reads_the_login_style_and_redirect_uri,
    ),
    ("a_new_kanidm_user_logs_in", a_new_kanidm_user_logs_in),
    (
        "behind_a_proxy_netbox_sends_the_public_redirect_uri",
        behind_a_proxy_netbox_sends_the_public_redirect_uri,
    ),
    (
        "redirect_registered_without_the_trailing_slash",
        redirect_registered_without_the_trailing_slash,
    ),
    ("idp_clock_1_5_s_ahead", idp_clock_1_5_s_ahead),
    (
        "without_es256_the_callback_fails",
        without_es256_the_callback_fails,
    ),
    (
        "pkce_off_while_kanidm_enforces_it",
        pkce_off_while_kanidm_enforces_it,
    ),
    (
        "endpoint_with_a_trailing_slash_cannot_begin",
        endpoint_with_a_trailing_slash_cannot_begin,
    ),
];

/// libtest's closing line, so the runner's summary reads like every other test binary's.
fn result_line(passed: usize, failed: usize, filtered: usize, took: Duration) -> String {
    format!(
        "test result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; {filtered} filtered out; finished in {:.2}s",
        if failed == 0 { "ok" } else { "FAILED" },
        took.as_secs_f64()
    )
}

fn main() -> ExitCode {
    let started = Instant::now();
    // libtest's arguments: name filters, and flags (some with a value) that do not matter here.
    let mut filters = Vec::new();
    let mut list = false;
    let mut exact = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => list = true,
            "--exact" => exact = true,
            "--test-threads" | "--format" | "--color" | "--logfile" | "--skip" | "-Z" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            _ => filters.push(arg),
        }
    }
    let selected: Vec<&Case> = CASES
        .iter()
        .filter(|(name, _)| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    if exact {
                        name == f
                    } else {
                        name.contains(f.as_str())
                    }
                })
        })
        .collect();
    if list {
        for (name, _) in &selected {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    let filtered = CASES.len() - selected.len();
    println!("\nrunning {} tests", selected.len());
    if selected.is_empty() {
        println!("{}", result_line(0, 0, filtered, started.elapsed()));
        return ExitCode::SUCCESS;
    }
    let prepared = match Prepared::from_env() {
        Ok(Some(p)) => p,
        Ok(None) => {
            let message = format!(
                "netbox_e2e needs the real NetBox that tests/run prepares ({} unset): run `bash tests/run --test netbox_e2e`",
                ENV_VARS.join(", ")
            );
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") {
                eprintln!("error: {message}");
                println!(
                    "{}",
                    result_line(0, selected.len(), filtered, started.elapsed())
                );
                return ExitCode::FAILURE;
            }
            println!("{message}; no case was run");
            println!("{}", result_line(0, 0, filtered, started.elapsed()));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: netbox_e2e: the prepared NetBox is unusable: {e}");
            println!(
                "{}",
                result_line(0, selected.len(), filtered, started.elapsed())
            );
            return ExitCode::FAILURE;
        }
    };
    let setup = Instant::now();
    let world = std::panic::catch_unwind(|| World::start(prepared));
    let mut world = match world {
        Ok(w) => w,
        Err(_) => {
            eprintln!(
                "error: netbox_e2e: could not start NetBox, PostgreSQL, Redis and the IdP (see above)"
            );
            println!(
                "{}",
                result_line(0, selected.len(), filtered, started.elapsed())
            );
            return ExitCode::FAILURE;
        }
    };
    println!(
        "NetBox 4.7.3 at {} (PostgreSQL, Redis, database restored) in {:.1} s; Kanidm-shaped IdP at {}",
        world.nb.url(),
        setup.elapsed().as_secs_f64(),
        world.idp.origin()
    );
    let mut failed = Vec::new();
    for (name, case) in &selected {
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| case(&mut world)));
        let took = t.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => println!("test {name} ... ok ({took:.1} s)"),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                println!("test {name} ... FAILED ({took:.1} s)");
                failed.push((name, what));
            }
        }
    }
    println!("\nWhat NetBox and nbsso showed:");
    for entry in &world.report {
        println!("{entry}");
    }
    println!("\nTimings:\n{}", world.nb.timing_report());
    if !failed.is_empty() {
        println!("\nfailures:");
        for (name, what) in &failed {
            println!("---- {name} ----\n{what}\n");
        }
        let log = world.nb.server_log_path();
        let _ = std::fs::copy(
            &log,
            std::env::temp_dir().join("nbsso-netbox-e2e-server.log"),
        );
        println!(
            "NetBox's server log was copied to {}",
            std::env::temp_dir()
                .join("nbsso-netbox-e2e-server.log")
                .display()
        );
    }
    // Stop NetBox, Redis and PostgreSQL before the closing line.
    drop(world);
    let passed = selected.len() - failed.len();
    println!(
        "{}",
        result_line(passed, failed.len(), filtered, started.elapsed())
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
