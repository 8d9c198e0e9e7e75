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
use nbsso::plan::{Plan, PlanDraft, validate};
use nbsso::users::Deployment;
use nbsso::users::export::find_result;
use serde_json::Value;
use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
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

/// NetBox logging in through Keycloak, as a site had it before: nbsso must replace all of it.
const KEYCLOAK_SETTINGS: &str = "\
# Single sign-on through Keycloak (corp realm)
REMOTE_AUTH_BACKEND = 'social_core.backends.keycloak.KeycloakOAuth2'  # SSO
SOCIAL_AUTH_KEYCLOAK_KEY = 'netbox'
SOCIAL_AUTH_KEYCLOAK_SECRET = 'old-keycloak-client-secret'
SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAoldkeycloak'
SOCIAL_AUTH_KEYCLOAK_AUTHORIZATION_URL = 'https://keycloak.example.com/realms/corp/protocol/openid-connect/auth'
SOCIAL_AUTH_KEYCLOAK_ACCESS_TOKEN_URL = 'https://keycloak.example.com/realms/corp/protocol/openid-connect/token'
LOGOUT_REDIRECT_URL = 'https://keycloak.example.com/realms/corp/protocol/openid-connect/logout'
";

/// NetBox logging in through Authentik with the generic OIDC backend (Authentik's guide, with the
/// authorize URL written out so the old button needs no discovery from an unreachable Authentik).
const AUTHENTIK_SETTINGS: &str = "\
REMOTE_AUTH_BACKEND = 'social_core.backends.open_id_connect.OpenIdConnectAuth'
SOCIAL_AUTH_OIDC_ENDPOINT = 'https://authentik.example.com/application/o/netbox/'
SOCIAL_AUTH_OIDC_AUTHORIZATION_URL = 'https://authentik.example.com/application/o/authorize/'
SOCIAL_AUTH_OIDC_KEY = 'kQ7mN2pX9wR4'
SOCIAL_AUTH_OIDC_SECRET = 'old-authentik-client-secret'
SOCIAL_AUTH_OIDC_SCOPE = 'openid profile email roles'.split(' ')
SOCIAL_AUTH_OIDC_USERNAME_KEY = 'sub'
LOGOUT_REDIRECT_URL = 'https://authentik.example.com/application/o/netbox/end-session/'
";

impl World {
    /// NetBox's configuration.py set up for the old IdP (`old`), patched in place by the built
    /// `nbsso generate --patch`; returns the patched text.
    fn patched(
        &mut self,
        case: &str,
        old: &str,
        source: &str,
        stage: &str,
        backend: &str,
    ) -> String {
        let before = self.nb.configuration_text(old, false);
        let config = self.nb.configuration_path();
        std::fs::write(&config, &before).unwrap();
        let mut draft =
            PlanDraft::from_toml(&std::fs::read_to_string(&self.plan_path).unwrap()).unwrap();
        draft.source = source.into();
        draft.deployment.stage = stage.into();
        draft.deployment.backend_name = backend.into();
        draft.deployment.paths = vec![config.display().to_string()];
        let plan_path = self._dir.path().join(format!("plan-{source}-{stage}.toml"));
        std::fs::write(&plan_path, draft.to_toml()).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_nbsso"))
            .args(["generate", "--plan"])
            .arg(&plan_path)
            .arg("--out")
            .arg(self._dir.path().join(format!("out-{source}-{stage}")))
            .arg("--patch")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.contains("old-keycloak-client-secret")
                && !stdout.contains("old-authentik-client-secret")
        );
        let after = std::fs::read_to_string(&config).unwrap();
        assert_ne!(after, before);
        self.report.push(format!(
            "[{case}] nbsso generate --patch:\n    {}",
            stdout.trim().replace('\n', "\n    ")
        ));
        after
    }

    /// `netbox check` on the patched file passes.
    fn netbox_check_passes(&mut self, case: &str) {
        let out = self.nb.check(None);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        self.report
            .push(format!("[{case}] netbox check: exit {}", out.status));
        assert!(
            out.status.success() && text.contains("System check identified no issues"),
            "{text}"
        );
    }

    fn driver(&self) -> LoginDriver {
        LoginDriver::new(&self.nb.url(), self.idp.ca_pem())
    }
}

fn patched_keycloak_configuration_logs_in_through_kanidm(w: &mut World) {
    let patched = w.patched(
        "patched keycloak",
        KEYCLOAK_SETTINGS,
        "keycloak",
        "kanidm",
        "oidc",
    );
    assert!(!patched.contains("SOCIAL_AUTH_KEYCLOAK_"), "{patched}");
    w.netbox_check_passes("patched keycloak");
    w.reset_idp();
    w.nb.serve_configuration(patched, false, None);
    assert_eq!(
        w.driver().buttons(),
        [("oidc".to_string(), "Kanidm".to_string())]
    );
    let login = w.login("patched keycloak");
    assert_eq!(login.end, LoginEnd::LoggedIn("alice".into()), "\n{login}");
    assert_eq!(login.redirect_uri, Some(w.plan.redirect_url()));
}

fn patched_authentik_configuration_logs_in_through_kanidm(w: &mut World) {
    let patched = w.patched(
        "patched authentik",
        AUTHENTIK_SETTINGS,
        "authentik",
        "kanidm",
        "oidc",
    );
    assert!(
        !patched.contains("USERNAME_KEY"),
        "Authentik's 'sub' usernames must not reach Kanidm"
    );
    w.netbox_check_passes("patched authentik");
    w.reset_idp();
    w.nb.serve_configuration(patched, false, None);
    let login = w.login("patched authentik");
    assert_eq!(login.end, LoginEnd::LoggedIn("alice".into()), "\n{login}");
    assert_eq!(login.button.as_deref(), Some("Kanidm"));
}

fn staged_keycloak_shows_both_buttons_and_each_starts_its_own_login(w: &mut World) {
    let patched = w.patched(
        "staged keycloak",
        KEYCLOAK_SETTINGS,
        "keycloak",
        "both",
        "oidc",
    );
    w.netbox_check_passes("staged keycloak");
    w.reset_idp();
    w.nb.serve_configuration(patched, false, None);
    let buttons = w.driver().buttons();
    w.report
        .push(format!("[staged keycloak] buttons: {buttons:?}"));
    assert_eq!(
        buttons,
        [
            ("keycloak".to_string(), "Keycloak".to_string()),
            ("oidc".to_string(), "Kanidm".to_string())
        ]
    );
    let login = w.login("staged keycloak");
    assert_eq!(login.end, LoginEnd::LoggedIn("alice".into()), "\n{login}");
    let old = w
        .driver()
        .begin("keycloak")
        .unwrap_or_else(|l| panic!("{l}"));
    w.report.push(format!(
        "[staged keycloak] the Keycloak button begins at {old}"
    ));
    assert!(
        old.starts_with("https://keycloak.example.com/realms/corp/protocol/openid-connect/auth?"),
        "{old}"
    );
    assert!(old.contains("redirect_uri=http://127.0.0.1:"), "{old}");
    assert!(old.contains("/oauth/complete/keycloak/&"), "{old}");
}

fn staged_authentik_gives_kanidm_its_own_backend_and_both_logins_start(w: &mut World) {
    w.reset_idp();
    let kanidm_callback = format!("{}/oauth/complete/kanidm/", w.nb.url());
    w.idp
        .configure(|c| c.clients[0].redirect_urls.push(kanidm_callback.clone()));
    let patched = w.patched(
        "staged authentik",
        AUTHENTIK_SETTINGS,
        "authentik",
        "both",
        "kanidm",
    );
    w.netbox_check_passes("staged authentik");
    w.nb.serve_configuration(patched, false, None);
    let buttons = w.driver().buttons();
    w.report
        .push(format!("[staged authentik] buttons: {buttons:?}"));
    assert_eq!(
        buttons,
        [
            ("oidc".to_string(), "Authentik".to_string()),
            ("kanidm".to_string(), "Kanidm".to_string())
        ]
    );
    let mut driver = w.driver();
    let login = driver.login_via("kanidm");
    w.report
        .push(format!("[staged authentik] login through Kanidm:\n{login}"));
    assert_eq!(
        login.redirect_uri.as_deref(),
        Some(kanidm_callback.as_str())
    );
    assert!(
        matches!(&login.end, LoginEnd::LoggedIn(user) if user.starts_with("alice")),
        "\n{login}"
    );
    let alice = TestUser::alice();
    assert!(
        w.nb.social_links()
            .iter()
            .any(|(_, provider, uid)| provider == "kanidm" && *uid == alice.uuid),
        "{:?}",
        w.nb.social_links()
    );
    let old = w.driver().begin("oidc").unwrap_or_else(|l| panic!("{l}"));
    w.report.push(format!(
        "[staged authentik] the Authentik button begins at {old}"
    ));
    assert!(
        old.starts_with("https://authentik.example.com/application/o/authorize/?"),
        "{old}"
    );
}

// ---- every user keeps their own account: migrate-users.py on the real NetBox ----

/// Strings that must never leave NetBox or show up in any output: a token signature, a refresh
/// token, an API token, the old IdPs' client secrets (the password hash is read from the database).
const CANARY_SIG: &str = "bmJzc29DYW5hcnlTaWduYXR1cmU";
const CANARY_REFRESH: &str = "nbsso-canary-refresh-7c1e";
const CANARY_API_TOKEN: &str = "c4a7a11ce0c4a7a11ce0c4a7a11ce0c4a7a11ce0";
const KEYCLOAK_SECRET: &str = "nbsso-canary-keycloak-client-secret";
const AUTHENTIK_SECRET: &str = "nbsso-canary-authentik-client-secret";
const ADMIN_PASSWORD: &str = "Adm1n-local-passw0rd";
const AUTHENTIK_ENDPOINT: &str = "https://authentik.example.com/application/o/netbox/";

fn keycloak_settings() -> String {
    format!(
        "REMOTE_AUTH_BACKEND = 'social_core.backends.keycloak.KeycloakOAuth2'\n\
         SOCIAL_AUTH_KEYCLOAK_KEY = 'netbox'\n\
         SOCIAL_AUTH_KEYCLOAK_SECRET = '{KEYCLOAK_SECRET}'\n\
         SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnbssoNotARealKey'\n\
         SOCIAL_AUTH_KEYCLOAK_AUTHORIZATION_URL = 'https://keycloak.example.com/realms/corp/protocol/openid-connect/auth'\n\
         SOCIAL_AUTH_KEYCLOAK_ACCESS_TOKEN_URL = 'https://keycloak.example.com/realms/corp/protocol/openid-connect/token'\n"
    )
}

fn authentik_settings() -> String {
    format!(
        "REMOTE_AUTH_BACKEND = 'social_core.backends.open_id_connect.OpenIdConnectAuth'\n\
         SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = '{AUTHENTIK_ENDPOINT}'\n\
         SOCIAL_AUTH_OIDC_KEY = 'netbox'\n\
         SOCIAL_AUTH_OIDC_SECRET = '{AUTHENTIK_SECRET}'\n"
    )
}

/// Users as the old IdP left them: `admin` (local, with a password, unless `with_admin` is false),
/// `alice` (group netops with an object permission, an API token) and `bob`, each linked
/// `(provider, uid)` with the tokens social-core stored at their last login.
fn seed_users(w: &mut World, provider: &str, with_admin: bool) {
    let era = if provider == "keycloak" {
        keycloak_settings()
    } else {
        authentik_settings()
    };
    w.nb.configure(&era, false);
    let code = format!(
        r#"
import base64, hashlib, json
from django.contrib.auth import get_user_model
from users.models import Group, ObjectPermission, Token
from core.models import ObjectType
from social_django.models import UserSocialAuth
User = get_user_model()
def b64(d): return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b'=').decode()
def jwt(c): return b64({{'alg': 'RS256', 'typ': 'JWT', 'kid': 'old'}}) + '.' + b64(c) + '.{CANARY_SIG}'
if {with_admin}:
    User.objects.create_superuser('admin', 'admin@example.com', '{ADMIN_PASSWORD}')
group = Group.objects.create(name='netops')
perm = ObjectPermission.objects.create(name='netops-devices', actions=['view', 'change'])
perm.object_types.set([ObjectType.objects.get(app_label='dcim', model='device')])
perm.groups.add(group)
for name in ('alice', 'bob'):
    user = User.objects.create_user(name, name + '@example.com')
    sub = hashlib.sha256(('authentik-' + name).encode()).hexdigest()
    claims = {{'sub': sub, 'preferred_username': name, 'email': name + '@example.com', 'session_state': '{CANARY_REFRESH}'}}
    token = 'id_token' if '{provider}' == 'oidc' else 'access_token'
    UserSocialAuth.objects.create(user=user, provider='{provider}', uid=sub if '{provider}' == 'oidc' else name,
        extra_data={{token: jwt(claims), 'refresh_token': '{CANARY_REFRESH}', 'token_type': 'Bearer', 'auth_time': 1795352400}})
    if name == 'alice':
        user.groups.add(group)
        perm.users.add(user)
        Token.objects.create(user=user, version=1, token='{CANARY_API_TOKEN}')
"#,
        with_admin = if with_admin { "True" } else { "False" },
    );
    let out = w.nb.nbshell(&code);
    assert!(
        out.status.success(),
        "seeding users failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Kanidm's persons as `kanidm person list -o json` prints them (no `attrs` wrapper).
fn persons_json(w: &World) -> String {
    let config = w.idp.config();
    let persons: Vec<Value> = config
        .users
        .iter()
        .map(|u| {
            serde_json::json!({
                "class": ["account", "memberof", "object", "person"],
                "displayname": [u.display_name],
                "memberof": [format!("netbox_users@{}", config.domain)],
                "name": [u.name],
                "spn": [format!("{}@{}", u.name, config.domain)],
                "uuid": [u.uuid],
                "mail": u.email.iter().collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_string(&persons).unwrap()
}

/// Kanidm as `kanidm-setup.sh` leaves it, with alice as its only person, logged in.
fn reset_people(w: &mut World) {
    w.reset_idp();
    w.idp.configure(|c| {
        c.users.truncate(1);
        c.logged_in = Some("alice".into());
        c.clients[0].short_username = true;
    });
}

fn test_user(name: &str, uuid: &str) -> TestUser {
    TestUser {
        uuid: uuid.into(),
        name: name.into(),
        display_name: name.into(),
        email: Some(format!("{name}@example.com")),
    }
}

/// One migration's working directory: what `nbsso generate` wrote, the export, the map.
struct Migration {
    dir: PathBuf,
    /// The map is too large for the script and is read from user-map.json.
    in_file: bool,
    /// Every output seen, for the canary check.
    outputs: Vec<String>,
}

impl Migration {
    fn new(w: &mut World, name: &str) -> Migration {
        let dir = w._dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_nbsso"))
            .args(["generate", "--plan"])
            .arg(&w.plan_path)
            .arg("--out")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Migration {
            dir,
            in_file: false,
            outputs: vec![String::from_utf8_lossy(&out.stdout).into_owned()],
        }
    }

    /// The command the checklist prints for the wheel, run on the NetBox host; its result.
    fn run(&mut self, w: &mut World, action: &str, dry_run: bool) -> (i32, Value) {
        let command = Deployment::Wheel.run_script(action, dry_run, self.in_file);
        let t = Instant::now();
        let out = w.nb.host_shell(&self.dir, &command).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().unwrap_or(-1);
        let result = find_result(&stdout)
            .unwrap_or_else(|e| panic!("{command}: {e}\nstdout:\n{stdout}\nstderr:\n{stderr}"));
        w.report.push(format!(
            "[users] {command} → exit {code} in {:.1} s: {}",
            t.elapsed().as_secs_f64(),
            result["message"]
                .as_str()
                .or(result["error"].as_str())
                .unwrap_or_default()
        ));
        if action == "export" {
            std::fs::write(self.dir.join("nbsso-export.txt"), &stdout).unwrap();
        }
        if action == "apply" && !dry_run {
            std::fs::write(self.dir.join("nbsso-apply.txt"), &stdout).unwrap();
        }
        self.outputs.push(stdout);
        self.outputs.push(stderr);
        (code, result)
    }

    /// `nbsso users match`, with the persons saved from Kanidm.
    fn match_users(&mut self, w: &World, extra: &[&str]) -> (i32, Value) {
        std::fs::write(self.dir.join("persons.json"), persons_json(w)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_nbsso"))
            .args(["users", "match", "--plan"])
            .arg(&w.plan_path)
            .args([
                "--netbox",
                "nbsso-export.txt",
                "--kanidm",
                "persons.json",
                "--deployment",
                "wheel",
            ])
            .args(["--out", ".", "--json"])
            .args(extra)
            .current_dir(&self.dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "users match printed no JSON ({e}): {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        self.outputs.push(stdout);
        self.in_file = report["map_place"] == "file";
        (out.status.code().unwrap_or(-1), report)
    }

    fn record(&mut self) {
        let out = Command::new(env!("CARGO_BIN_EXE_nbsso"))
            .args([
                "users",
                "record",
                "--result",
                "nbsso-apply.txt",
                "--out",
                ".",
            ])
            .current_dir(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.outputs
            .push(String::from_utf8_lossy(&out.stdout).into_owned());
    }

    /// No token, password hash or secret in any output or written file.
    fn assert_no_secret(&self, w: &World) {
        let hashes = w.nb.psql(
            "netbox",
            "SELECT password FROM users_user WHERE password NOT LIKE '!%'",
        );
        let mut secrets: Vec<String> = hashes.lines().map(str::to_string).collect();
        secrets.extend(
            [
                CANARY_SIG,
                CANARY_REFRESH,
                CANARY_API_TOKEN,
                KEYCLOAK_SECRET,
                AUTHENTIK_SECRET,
                SECRET,
                ADMIN_PASSWORD,
            ]
            .map(str::to_string),
        );
        let mut texts = self.outputs.clone();
        for entry in std::fs::read_dir(&self.dir).unwrap() {
            texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
        }
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            for text in &texts {
                assert!(!text.contains(secret.as_str()), "a secret leaked: {secret}");
            }
        }
    }
}

fn user_id(w: &World, username: &str) -> String {
    w.nb.psql(
        "netbox",
        &format!("SELECT id FROM users_user WHERE username = '{username}'"),
    )
    .trim()
    .to_string()
}

/// alice's groups and object permissions, by name.
fn access(w: &World, id: &str) -> String {
    w.nb.psql(
        "netbox",
        &format!(
            "SELECT (SELECT string_agg(g.name, ',') FROM users_user_groups ug JOIN users_group g ON g.id = ug.group_id WHERE ug.user_id = {id}), \
             (SELECT string_agg(p.name, ',') FROM users_user_object_permissions up JOIN users_objectpermission p ON p.id = up.objectpermission_id WHERE up.user_id = {id}), \
             (SELECT count(*) FROM users_token WHERE user_id = {id})"
        ),
    )
    .trim_end()
    .to_string()
}

fn tables(w: &World) -> (Vec<String>, Vec<String>) {
    (
        w.nb.rows("social_auth_usersocialauth"),
        w.nb.rows("users_user"),
    )
}

fn login_as(w: &mut World, case: &str, who: &str, short: bool) -> LoginEnd {
    w.idp.configure(|c| {
        c.logged_in = Some(who.to_string());
        c.clients[0].short_username = short;
    });
    w.login(case).end
}

fn users_without_links_a_kanidm_login_makes_a_stray_copy_and_its_fix_restores_alice(w: &mut World) {
    let case = "users: stray";
    w.nb.reset_database();
    reset_people(w);
    seed_users(w, "keycloak", true);
    let alice_id = user_id(w, "alice");
    // What happens without the migration: a new, empty account.
    let settings = w.settings.clone();
    w.serve(&settings, false);
    let LoginEnd::LoggedIn(copy) = login_as(w, case, "alice", true) else {
        panic!("alice could not log in")
    };
    assert!(
        copy.len() == 21 && copy.starts_with("alice") && copy != "alice",
        "{copy}"
    );
    assert_eq!(
        access(w, &user_id(w, &copy)),
        "\t\t0",
        "the copy has no groups, permissions or tokens"
    );
    // Export and match: the copy is reported with its fix, never deleted.
    let mut m = Migration::new(w, "stray");
    assert_eq!(m.run(w, "export", false).0, 0);
    let (code, report) = m.match_users(w, &[]);
    assert_eq!(code, 1, "{report:#}");
    let rows = report["map"]["users"].as_array().unwrap();
    let stray = rows
        .iter()
        .find(|r| r["username"] == copy.as_str())
        .unwrap();
    assert_eq!(stray["state"], "stray", "{stray:#}");
    let real = rows.iter().find(|r| r["username"] == "alice").unwrap();
    assert_eq!(real["state"], "already_linked");
    // The fix, as printed, run inside NetBox.
    let fix = stray["fix"].as_str().unwrap();
    let code = fix
        .split_once("deactivate it: ")
        .unwrap()
        .1
        .split("; then")
        .next()
        .unwrap();
    let out = w.nb.nbshell(&format!("from social_django.models import UserSocialAuth\nfrom django.contrib.auth import get_user_model\nUser = get_user_model()\n{}", code.replace("; ", "\n")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(m.run(w, "export", false).0, 0);
    let (_, report) = m.match_users(w, &[]);
    let rows = report["map"]["users"].as_array().unwrap();
    assert_eq!(
        rows.iter().find(|r| r["username"] == "alice").unwrap()["state"],
        "matched"
    );
    assert_eq!(
        rows.iter()
            .find(|r| r["username"] == copy.as_str())
            .unwrap()["state"],
        "local"
    );
    assert_eq!(m.run(w, "apply", false).0, 0);
    assert_eq!(
        login_as(w, case, "alice", true),
        LoginEnd::LoggedIn("alice".into())
    );
    assert_eq!(user_id(w, "alice"), alice_id);
    m.assert_no_secret(w);
}

fn users_keycloak_era_alice_keeps_her_account_apply_is_idempotent_and_rolls_back_exactly(
    w: &mut World,
) {
    let case = "users: keycloak";
    w.nb.reset_database();
    reset_people(w);
    w.idp.configure(|c| {
        c.users
            .push(test_user("bob", "0d9e2b7c-4f1a-4c3e-8b5d-6a7f8e9d0c1b"))
    });
    seed_users(w, "keycloak", true);
    w.nb.configure(&keycloak_settings(), false);
    let alice_id = user_id(w, "alice");
    let alice_access = access(w, &alice_id);
    assert_eq!(alice_access, "netops\tnetops-devices\t1");
    let users_before = w.nb.usernames();
    let mut m = Migration::new(w, "keycloak");
    let (code, export) = m.run(w, "export", false);
    assert_eq!(code, 0);
    assert_eq!(export["backends"], serde_json::json!(["keycloak"]));
    assert_eq!(export["netbox_version"], "4.7.3");
    let exported_alice = export["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "alice")
        .unwrap()
        .clone();
    assert_eq!(
        exported_alice["links"][0]["claims"]["preferred_username"],
        "alice"
    );
    assert_eq!(exported_alice["usable_password"], false);
    let (code, report) = m.match_users(w, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["map"]["counts"],
        serde_json::json!({"matched": 2, "local": 1})
    );
    // plan: row by row, nothing changed.
    let before = tables(w);
    let (code, plan) = m.run(w, "plan", false);
    assert_eq!(code, 0, "{plan:#}");
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["created"].as_array().unwrap().len(), 2);
    assert_eq!(
        plan["guard"]["usable_superusers"],
        serde_json::json!(["admin"])
    );
    assert_eq!(tables(w), before);
    // apply, then apply again.
    let (code, apply) = m.run(w, "apply", false);
    assert_eq!(code, 0, "{apply:#}");
    assert_eq!(apply["changed"], 2);
    m.record();
    let links = w.nb.social_links();
    assert!(
        links.contains(&("alice".into(), "keycloak".into(), "alice".into())),
        "the old link stays"
    );
    assert!(
        links.contains(&("alice".into(), "oidc".into(), TestUser::alice().uuid)),
        "{links:?}"
    );
    let after_apply = tables(w);
    let (code, again) = m.run(w, "apply", false);
    assert_eq!(code, 0);
    assert_eq!(again["changed"], 0);
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .starts_with("nothing to do"),
        "{again:#}"
    );
    assert_eq!(tables(w), after_apply, "a second apply changes nothing");
    // rollback from the record saved after the first apply: a dry run, then the rows before apply.
    let (code, dry) = m.run(w, "rollback", true);
    assert_eq!(code, 0);
    assert_eq!(dry["deleted"].as_array().unwrap().len(), 2);
    assert_eq!(dry["from_record"], true);
    assert_eq!(tables(w), after_apply);
    let (code, rolled) = m.run(w, "rollback", false);
    assert_eq!(code, 0, "{rolled:#}");
    assert_eq!(tables(w), before, "rollback restores every row");
    // Apply for good (a new run, without the record: found again by the marks), switch, log in.
    m.match_users(w, &[]);
    assert_eq!(m.run(w, "apply", false).1["changed"], 2);
    let settings = w.settings.clone();
    w.serve(&settings, false);
    assert_eq!(
        login_as(w, case, "alice", true),
        LoginEnd::LoggedIn("alice".into())
    );
    assert_eq!(user_id(w, "alice"), alice_id, "the same user");
    assert_eq!(
        access(w, &alice_id),
        alice_access,
        "with her groups, permissions and token"
    );
    assert_eq!(w.nb.usernames(), users_before, "no new user");
    // cleanup: refused while Keycloak is configured, then exactly the old rows of linked users.
    w.nb.configure(&keycloak_settings(), false);
    let (code, refused) = m.run(w, "cleanup", false);
    assert_eq!(code, 1);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("the keycloak backend is still configured"),
        "{refused:#}"
    );
    w.nb.configure(&settings, false);
    let before_cleanup = w.nb.social_links();
    let (code, dry) = m.run(w, "cleanup", true);
    assert_eq!(code, 0, "{dry:#}");
    assert_eq!(w.nb.social_links(), before_cleanup);
    let (code, cleaned) = m.run(w, "cleanup", false);
    assert_eq!(code, 0, "{cleaned:#}");
    assert_eq!(cleaned["removed"], dry["removed"]);
    let expected: Vec<_> = before_cleanup
        .into_iter()
        .filter(|l| l.1 != "keycloak")
        .collect();
    assert_eq!(w.nb.social_links(), expected);
    assert_eq!(cleaned["removed"].as_array().unwrap().len(), 2);
    assert_eq!(
        login_as(w, case, "alice", true),
        LoginEnd::LoggedIn("alice".into())
    );
    m.assert_no_secret(w);
    w.report.push(format!(
        "[{case}] social_auth_usersocialauth after cleanup: {:?}",
        w.nb.social_links()
    ));
}

fn users_apply_killed_midway_leaves_the_database_as_before(w: &mut World) {
    w.nb.reset_database();
    reset_people(w);
    seed_users(w, "keycloak", true);
    let many = 1500;
    let code = format!(
        "from django.contrib.auth import get_user_model\nfrom social_django.models import UserSocialAuth\nUser = get_user_model()\n\
         users = User.objects.bulk_create([User(username='user%05d' % i, email='user%05d@example.com' % i, password='!sso') for i in range({many})])\n\
         UserSocialAuth.objects.bulk_create([UserSocialAuth(user=u, provider='keycloak', uid=u.username, extra_data={{}}) for u in users])\n"
    );
    let out = w.nb.nbshell(&code);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.idp.configure(|c| {
        for i in 0..many {
            c.users.push(test_user(
                &format!("user{i:05}"),
                &format!("00000000-0000-4000-8000-{i:012}"),
            ));
        }
    });
    let mut m = Migration::new(w, "killed");
    m.run(w, "export", false);
    let (_, report) = m.match_users(w, &[]);
    assert_eq!(report["map"]["counts"]["matched"], many + 1);
    assert_eq!(
        report["map_place"], "file",
        "1,501 links are more than one argument holds"
    );
    let before = tables(w);
    let command = Deployment::Wheel.run_script("apply", false, true);
    let mut child =
        w.nb.host_shell(&m.dir, &command)
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("nbsso: linked ") {
            break;
        }
    }
    // SIGKILL to the whole process group: bash and NetBox's Python, mid-transaction.
    let pid = child.id() as i32;
    Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(seen.contains("nbsso: linked 100 of 1501"), "{seen}");
    w.report.push(format!(
        "[users: killed] apply killed ({status}) after: {}",
        seen.lines().last().unwrap_or_default()
    ));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(tables(w), before, "the killed apply left nothing behind");
    assert_eq!(
        m.run(w, "plan", false).1["created"]
            .as_array()
            .unwrap()
            .len(),
        many + 1
    );
}

fn users_guard_refuses_without_a_usable_superuser_and_passes_after_one_is_created(w: &mut World) {
    w.nb.reset_database();
    reset_people(w);
    seed_users(w, "keycloak", false);
    let mut m = Migration::new(w, "guard");
    m.run(w, "export", false);
    let (code, report) = m.match_users(w, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["map"]["guard"]["ok"], false);
    let (code, plan) = m.run(w, "plan", false);
    assert_eq!(code, 1, "{plan:#}");
    assert_eq!(plan["refused"], "lock-out guard");
    assert!(
        plan["error"]
            .as_str()
            .unwrap()
            .ends_with("Create one first: netbox createsuperuser"),
        "{plan:#}"
    );
    let (code, _) = m.run(w, "apply", false);
    assert_eq!(code, 1);
    assert!(
        w.nb.social_links().iter().all(|l| l.1 == "keycloak"),
        "apply refused: nothing written"
    );
    let out =
        w.nb.host_shell(
            &m.dir,
            "netbox createsuperuser --no-input --username rescue --email rescue@example.com",
        )
        .env("DJANGO_SUPERUSER_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, plan) = m.run(w, "plan", false);
    assert_eq!(code, 0, "{plan:#}");
    assert_eq!(
        plan["guard"]["usable_superusers"],
        serde_json::json!(["rescue"])
    );
}

fn users_spn_named_account_is_renamed_and_logs_in_with_the_short_name(w: &mut World) {
    let case = "users: spn";
    w.nb.reset_database();
    reset_people(w);
    w.idp.configure(|c| {
        c.users
            .push(test_user("heidi", "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98"))
    });
    let settings = w.settings.clone();
    w.serve(&settings, false);
    // A test login before short usernames were turned on.
    assert_eq!(
        login_as(w, case, "heidi", false),
        LoginEnd::LoggedIn("heidi@localhost".into())
    );
    let id = user_id(w, "heidi@localhost");
    let out = w.nb.nbshell(&format!(
        "from django.contrib.auth import get_user_model\nget_user_model().objects.create_superuser('admin', 'admin@example.com', '{ADMIN_PASSWORD}')"
    ));
    assert!(out.status.success());
    let mut m = Migration::new(w, "spn");
    m.run(w, "export", false);
    let (code, report) = m.match_users(w, &[]);
    assert_eq!(code, 0, "{report:#}");
    let heidi = report["map"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.parse::<i64>().unwrap())
        .unwrap()
        .clone();
    assert_eq!(heidi["state"], "already_linked");
    assert_eq!(heidi["rename_to"], "heidi");
    let (code, apply) = m.run(w, "apply", false);
    assert_eq!(code, 0, "{apply:#}");
    assert_eq!(apply["renamed"][0]["to"], "heidi");
    assert_eq!(
        login_as(w, case, "heidi", true),
        LoginEnd::LoggedIn("heidi".into())
    );
    assert_eq!(user_id(w, "heidi"), id, "the same account, renamed");
    m.record();
    let (code, _) = m.run(w, "rollback", false);
    assert_eq!(code, 0);
    assert_eq!(
        user_id(w, "heidi@localhost"),
        id,
        "rollback undoes the rename"
    );
}

fn users_authentik_era_cleanup_keeps_the_kanidm_link(w: &mut World) {
    let case = "users: authentik";
    w.nb.reset_database();
    reset_people(w);
    seed_users(w, "oidc", true);
    w.nb.configure(&authentik_settings(), false);
    let alice_id = user_id(w, "alice");
    let mut m = Migration::new(w, "authentik");
    // The test's plan migrates from Keycloak; this NetBox is Authentik's, and so is the plan given to match.
    let (code, export) = m.run(w, "export", false);
    assert_eq!(code, 0);
    assert_eq!(export["oidc_endpoint"], AUTHENTIK_ENDPOINT);
    let plan_text = std::fs::read_to_string(&w.plan_path).unwrap().replacen(
        "source = \"keycloak\"",
        "source = \"authentik\"",
        1,
    );
    let authentik_plan = m.dir.join("plan-authentik.toml");
    std::fs::write(&authentik_plan, plan_text).unwrap();
    let plan_path = std::mem::replace(&mut w.plan_path, authentik_plan);
    let (code, report) = m.match_users(w, &[]);
    w.plan_path = plan_path;
    assert_eq!(code, 1, "bob has no Kanidm person: {report:#}");
    assert_eq!(report["map"]["counts"]["matched"], 1);
    assert_eq!(
        report["map"]["providers"],
        serde_json::json!({"old": "oidc", "new": "oidc"})
    );
    let old_uid = report["map"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["username"] == "alice")
        .unwrap()["old_uids"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(old_uid.len(), 64);
    assert_eq!(m.run(w, "apply", false).1["changed"], 1);
    let (code, refused) = m.run(w, "cleanup", false);
    assert_eq!(code, 1);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("still points at https://authentik.example.com"),
        "{refused:#}"
    );
    let settings = w.settings.clone();
    w.serve(&settings, false);
    assert_eq!(
        login_as(w, case, "alice", true),
        LoginEnd::LoggedIn("alice".into())
    );
    assert_eq!(user_id(w, "alice"), alice_id);
    let (code, cleaned) = m.run(w, "cleanup", false);
    assert_eq!(code, 0, "{cleaned:#}");
    assert_eq!(cleaned["removed"][0]["uid"], old_uid.as_str());
    let links = w.nb.social_links();
    assert!(links.contains(&("alice".into(), "oidc".into(), TestUser::alice().uuid)));
    assert!(!links.iter().any(|l| l.0 == "alice" && l.2 == old_uid));
    assert!(
        links.iter().any(|l| l.0 == "bob"),
        "bob (no Kanidm person) keeps his link"
    );
    m.assert_no_secret(w);
}

type Case = (&'static str, fn(&mut World));

const CASES: [Case; 19] = [
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
    (
        "patched_keycloak_configuration_logs_in_through_kanidm",
        patched_keycloak_configuration_logs_in_through_kanidm,
    ),
    (
        "patched_authentik_configuration_logs_in_through_kanidm",
        patched_authentik_configuration_logs_in_through_kanidm,
    ),
    (
        "staged_keycloak_shows_both_buttons_and_each_starts_its_own_login",
        staged_keycloak_shows_both_buttons_and_each_starts_its_own_login,
    ),
    (
        "staged_authentik_gives_kanidm_its_own_backend_and_both_logins_start",
        staged_authentik_gives_kanidm_its_own_backend_and_both_logins_start,
    ),
    (
        "users_without_links_a_kanidm_login_makes_a_stray_copy_and_its_fix_restores_alice",
        users_without_links_a_kanidm_login_makes_a_stray_copy_and_its_fix_restores_alice,
    ),
    (
        "users_keycloak_era_alice_keeps_her_account_apply_is_idempotent_and_rolls_back_exactly",
        users_keycloak_era_alice_keeps_her_account_apply_is_idempotent_and_rolls_back_exactly,
    ),
    (
        "users_apply_killed_midway_leaves_the_database_as_before",
        users_apply_killed_midway_leaves_the_database_as_before,
    ),
    (
        "users_guard_refuses_without_a_usable_superuser_and_passes_after_one_is_created",
        users_guard_refuses_without_a_usable_superuser_and_passes_after_one_is_created,
    ),
    (
        "users_spn_named_account_is_renamed_and_logs_in_with_the_short_name",
        users_spn_named_account_is_renamed_and_logs_in_with_the_short_name,
    ),
    (
        "users_authentik_era_cleanup_keeps_the_kanidm_link",
        users_authentik_era_cleanup_keeps_the_kanidm_link,
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
