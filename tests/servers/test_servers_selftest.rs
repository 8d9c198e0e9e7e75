//! Self-test of the NetBox-shaped test server (`testkit::netbox`) and of the hostile server
//! kit (`testkit::hostile`), on real sockets.

use testkit::{hostile, netbox};

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hostile::{Hostile, HostileServer, MALFORMED_DATE};
use netbox::{
    CSRF_FAILED, HeaderRule, LoginStyle, NbResponse, TestNetbox, authorize_url_of, csrf_token_of,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use sha2::Digest as _;
use testkit::idp::TestIdp;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

const ENDPOINT: &str = "https://127.0.0.1:9/ui/oauth2";

fn nb_builder(style: LoginStyle) -> netbox::TestNetboxBuilder {
    TestNetbox::builder()
        .style(style)
        .authorize_endpoint(ENDPOINT)
}

/// The query of `url` split on `&`/`=` without decoding: (key, raw value) in order.
fn raw_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').expect("query").1;
    query
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').expect("k=v");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn param(url: &str, name: &str) -> String {
    raw_params(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} in {url}"))
        .1
}

fn alnum(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn date_secs(r: &NbResponse) -> u64 {
    let date = httpdate::parse_http_date(r.header("date").expect("date")).expect("HTTP date");
    date.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

// ------------------------------------------------------------------------------------------
// NetBox: login page markup
// ------------------------------------------------------------------------------------------

#[test]
fn login_page_4_7_1_plus_has_the_post_begin_form_and_a_csrf_cookie() {
    let nb = nb_builder(LoginStyle::PostBegin).start_blocking();
    let r = nb.get("/login/", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let secret = r.cookie("csrftoken").expect("csrftoken cookie");
    assert!(alnum(&secret, 32), "{secret}");
    let line = r.set_cookie_line("csrftoken").unwrap();
    assert!(
        line.ends_with("; HttpOnly; Max-Age=31449600; Path=/; SameSite=Lax"),
        "{line}"
    );
    let html = r.text();
    assert!(
        html.contains(
            "<form action=\"/oauth/begin/oidc/\" method=\"post\" class=\"sso-login-form\">"
        ),
        "{html}"
    );
    let token = csrf_token_of(&html).unwrap();
    assert!(alnum(&token, 64), "masked token: {token}");
    assert!(html.contains(&format!(
        "<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{token}\">"
    )));
    assert!(html.contains("<button type=\"submit\" class=\"btn w-100\">\n"));
    assert!(html.contains("\n                      OpenID Connect\n                    </button>"));
    assert!(!html.contains("mdi mdi-"), "no icon by default");
    assert!(html.contains("Unable to begin single sign-on. Please try again."));
    assert!(!html.contains("/oauth/login/"));
    // The same masked token is in the password form and the SSO form (one render context).
    assert_eq!(html.matches(&token).count(), 2);
}

#[test]
fn login_page_button_label_and_icons() {
    let nb = nb_builder(LoginStyle::PostBegin)
        .button("Kanidm", Some("login"))
        .start_blocking();
    let html = nb.get("/login/", &[]).text();
    assert!(
        html.contains(
            "                      <i class=\"mdi mdi-login\"></i>\n                      \n                      Kanidm\n                    </button>"
        ),
        "{html}"
    );

    let nb = nb_builder(LoginStyle::PostBegin)
        .button(
            "Kanidm <&> \"co\"",
            Some("https://idm.example.com/pkg/img/logo-square.svg"),
        )
        .start_blocking();
    let html = nb.get("/login/", &[]).text();
    assert!(
        html.contains(
            "<img src=\"https://idm.example.com/pkg/img/logo-square.svg\" height=\"24\" class=\"me-2 sso-icon\"/>\n                      Kanidm &lt;&amp;&gt; &quot;co&quot;\n"
        ),
        "{html}"
    );
}

#[test]
fn login_page_4_7_0_posts_to_oauth_login() {
    let nb = nb_builder(LoginStyle::PostLogin)
        .base_path("netbox")
        .start_blocking();
    let r = nb.get("/netbox/login/?next=/netbox/dcim/", &[]);
    assert_eq!(r.status, 200);
    let line = r.set_cookie_line("csrftoken").unwrap();
    assert!(line.contains("; Path=/netbox; "), "{line}");
    let html = r.text();
    assert!(
        html.contains("<form action=\"/netbox/oauth/login/oidc/\" method=\"post\">"),
        "{html}"
    );
    assert!(!html.contains("sso-login-form"));
    assert!(!html.contains("sso-error"));
    assert!(html.contains("<input type=\"hidden\" name=\"next\" value=\"/netbox/dcim/\" />"));
    assert!(html.contains("<form action=\"/netbox/login/\" method=\"post\">"));
}

#[test]
fn login_page_4_6_has_a_get_link() {
    let nb = nb_builder(LoginStyle::GetLink).start_blocking();
    let html = nb.get("/login/?next=/dcim/devices/", &[]).text();
    assert!(
        html.contains(
            "<a href=\"/oauth/login/oidc/?next=%2Fdcim%2Fdevices%2F\" class=\"btn w-100\">"
        ),
        "{html}"
    );
    assert!(!html.contains("/oauth/begin/"));
    let html = nb.get("/login/", &[]).text();
    assert!(html.contains("<a href=\"/oauth/login/oidc/?\" class=\"btn w-100\">"));
    // The link is a plain GET to the IdP.
    let r = nb.get("/oauth/login/oidc/?next=%2Fdcim%2F", &[]);
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().starts_with(ENDPOINT));
    assert_eq!(nb.logins()[0].next.as_deref(), Some("/dcim/"));
}

#[test]
fn no_sso_configured_means_no_button_and_404() {
    let nb = nb_builder(LoginStyle::PostBegin).no_sso().start_blocking();
    let r = nb.get("/login/", &[]);
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(!html.contains("/oauth/"), "{html}");
    assert!(!html.contains("hr-text"));
    let token = csrf_token_of(&html).unwrap();
    let cookie = format!("csrftoken={}", r.cookie("csrftoken").unwrap());
    let r = nb.post_form(
        "/oauth/begin/oidc/",
        &[("csrfmiddlewaretoken", &token)],
        &[("cookie", &cookie)],
    );
    assert_eq!(r.status, 404);
}

// ------------------------------------------------------------------------------------------
// NetBox: begin, authorize URL, proxy headers
// ------------------------------------------------------------------------------------------

#[test]
fn begin_json_returns_the_authorize_url_with_base_path_and_forwarded_headers() {
    let nb = nb_builder(LoginStyle::PostBegin)
        .base_path("/netbox/")
        .client_id("netbox-prod")
        .extra_scopes(&["groups"])
        .use_pkce(true)
        .start_blocking();
    let fwd = [
        ("x-forwarded-host", "netbox.example.com"),
        ("x-forwarded-proto", "https"),
        ("origin", "https://netbox.example.com"),
    ];
    let r = nb.headless_begin(&fwd, true);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.cookie("sessionid").is_some());
    let url = r.json()["url"].as_str().unwrap().to_string();
    assert_eq!(r.text(), format!("{{\"url\": \"{url}\"}}"));
    assert_eq!(authorize_url_of(&r).as_deref(), Some(url.as_str()));

    let keys: Vec<String> = raw_params(&url).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "client_id",
            "redirect_uri",
            "state",
            "response_type",
            "code_challenge_method",
            "code_challenge",
            "nonce",
            "scope"
        ]
    );
    assert!(url.starts_with(&format!(
        "{ENDPOINT}?client_id=netbox-prod&redirect_uri=https://netbox.example.com/netbox/oauth/complete/oidc/&state="
    )));
    assert_eq!(param(&url, "response_type"), "code");
    assert_eq!(param(&url, "code_challenge_method"), "S256");
    assert_eq!(param(&url, "scope"), "groups+openid+profile+email");
    assert!(alnum(&param(&url, "state"), 32));
    assert!(alnum(&param(&url, "nonce"), 64));

    let login = nb.logins().pop().unwrap();
    assert_eq!(login.authorize_url, url);
    assert_eq!(login.via, "/netbox/oauth/begin/oidc/");
    assert_eq!(
        login.redirect_uri,
        "https://netbox.example.com/netbox/oauth/complete/oidc/"
    );
    let verifier = login.code_verifier.unwrap();
    assert!(alnum(&verifier, 43));
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(param(&url, "code_challenge"), challenge);
    assert_eq!(param(&url, "state"), login.state);

    // Without JSON: a 302 with the same kind of URL.
    let r = nb.headless_begin(&fwd, false);
    assert_eq!(r.status, 302);
    let location = r.header("location").unwrap();
    assert!(
        location.contains("&redirect_uri=https://netbox.example.com/netbox/oauth/complete/oidc/&")
    );
    assert_eq!(
        r.header("cache-control"),
        Some("max-age=0, no-cache, no-store, must-revalidate, private")
    );
    // The recorded request shows what Django made of the headers.
    let seen = nb.requests_to("/netbox/oauth/begin/oidc/").pop().unwrap();
    assert_eq!(
        (seen.scheme.as_str(), seen.host.as_str()),
        ("https", "netbox.example.com")
    );
    assert_eq!(seen.status, 302);
}

#[test]
fn redirect_uri_follows_the_proxy() {
    // Direct: the request's own Host and scheme; no PKCE parameters.
    let nb = nb_builder(LoginStyle::PostBegin).start_blocking();
    let url = authorize_url_of(&nb.headless_begin(&[], true)).unwrap();
    let expected = format!("http://127.0.0.1:{}/oauth/complete/oidc/", nb.port());
    assert_eq!(param(&url, "redirect_uri"), expected);
    assert_eq!(nb.redirect_uri_for(&nb.origin()), expected);
    assert!(!url.contains("code_challenge"));
    assert_eq!(param(&url, "scope"), "openid+profile+email");

    // A proxy that serves the public URL.
    let nb = nb_public("https://netbox.example.com", HeaderRule::Pass);
    let url =
        authorize_url_of(&nb.headless_begin(&[("origin", "https://netbox.example.com")], true))
            .unwrap();
    assert_eq!(
        param(&url, "redirect_uri"),
        "https://netbox.example.com/oauth/complete/oidc/"
    );

    // A TLS proxy that forwards X-Forwarded-Proto: http → an http:// redirect_uri ...
    let nb = nb_builder(LoginStyle::PostBegin)
        .forwarded_proto(HeaderRule::Set("http".into()))
        .forwarded_host(HeaderRule::Set("netbox.example.com".into()))
        .start_blocking();
    let url =
        authorize_url_of(&nb.headless_begin(&[("x-forwarded-proto", "https")], true)).unwrap();
    assert_eq!(
        param(&url, "redirect_uri"),
        "http://netbox.example.com/oauth/complete/oidc/"
    );
    // ... which SOCIAL_AUTH_REDIRECT_IS_HTTPS repairs.
    nb.configure(|c| c.sso.as_mut().unwrap().redirect_is_https = true);
    let url = authorize_url_of(&nb.headless_begin(&[], true)).unwrap();
    assert_eq!(
        param(&url, "redirect_uri"),
        "https://netbox.example.com/oauth/complete/oidc/"
    );

    // A proxy that strips X-Forwarded-Host and rewrites Host.
    let nb = nb_builder(LoginStyle::PostBegin)
        .forwarded_host(HeaderRule::Strip)
        .host_header(HeaderRule::Set("netbox.internal:8001".into()))
        .start_blocking();
    let url =
        authorize_url_of(&nb.headless_begin(&[("x-forwarded-host", "netbox.example.com")], true))
            .unwrap();
    assert_eq!(
        param(&url, "redirect_uri"),
        "http://netbox.internal:8001/oauth/complete/oidc/"
    );
}

fn nb_public(public: &str, host: HeaderRule) -> TestNetbox {
    nb_builder(LoginStyle::PostBegin)
        .public_url(public)
        .host_header(host)
        .start_blocking()
}

/// Form fields or request headers.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

#[test]
fn bad_csrf_is_403_like_django() {
    let nb = nb_builder(LoginStyle::PostBegin).start_blocking();
    let page = nb.get("/login/", &[]);
    let token = csrf_token_of(&page.text()).unwrap();
    let secret = page.cookie("csrftoken").unwrap();
    let cookie = format!("csrftoken={secret}");
    let begin = "/oauth/begin/oidc/";
    let json = ("accept", "application/json");
    let wrong = "A".repeat(64);

    let cases: Vec<(Pairs, Pairs, &str)> = vec![
        (
            vec![("csrfmiddlewaretoken", &token)],
            vec![json],
            "CSRF cookie not set.",
        ),
        (
            vec![],
            vec![("cookie", &cookie), json],
            "CSRF token missing.",
        ),
        (
            vec![("csrfmiddlewaretoken", "x")],
            vec![("cookie", &cookie)],
            "CSRF token from POST has incorrect length.",
        ),
        (
            vec![("csrfmiddlewaretoken", &wrong)],
            vec![("cookie", &cookie)],
            "CSRF token from POST incorrect.",
        ),
        (
            vec![("csrfmiddlewaretoken", &token)],
            vec![("cookie", &cookie), ("origin", "http://evil.example")],
            "Origin checking failed - http://evil.example does not match any trusted origins.",
        ),
        (
            vec![("csrfmiddlewaretoken", &token)],
            vec![("cookie", &cookie), ("x-forwarded-proto", "https")],
            "Referer checking failed - no Referer.",
        ),
    ];
    for (form, headers, reason) in cases {
        let r = nb.post_form(begin, &form, &headers);
        assert_eq!(r.status, 403, "{reason}");
        assert!(r.text().contains(CSRF_FAILED));
        let seen = nb.requests().pop().unwrap();
        assert_eq!(seen.csrf_failure.as_deref(), Some(reason));
    }
    assert!(nb.logins().is_empty());

    // Accepted: the masked form token, the raw secret, the X-CSRFToken header, a matching
    // Origin, and HTTPS with a same-host Referer.
    let ok: Vec<(Pairs, Pairs)> = vec![
        (
            vec![("csrfmiddlewaretoken", &token)],
            vec![("cookie", &cookie)],
        ),
        (
            vec![("csrfmiddlewaretoken", &secret)],
            vec![("cookie", &cookie)],
        ),
        (vec![], vec![("cookie", &cookie), ("x-csrftoken", &token)]),
    ];
    for (form, headers) in ok {
        assert_eq!(nb.post_form(begin, &form, &headers).status, 302);
    }
    let origin = nb.origin();
    let r = nb.post_form(
        begin,
        &[("csrfmiddlewaretoken", &token)],
        &[("cookie", &cookie), ("origin", &origin)],
    );
    assert_eq!(r.status, 302);
    let r = nb.post_form(
        begin,
        &[("csrfmiddlewaretoken", &token)],
        &[
            ("cookie", &cookie),
            ("x-forwarded-proto", "https"),
            (
                "referer",
                &format!("https://127.0.0.1:{}/login/", nb.port()),
            ),
        ],
    );
    assert_eq!(r.status, 302);
    assert_eq!(nb.logins().len(), 5);
}

#[test]
fn methods_and_routes_per_style() {
    let nb = nb_builder(LoginStyle::PostBegin).start_blocking();
    let r = nb.get("/oauth/begin/oidc/", &[]);
    assert_eq!((r.status, r.header("allow")), (405, Some("POST, OPTIONS")));
    let r = nb.get("/oauth/login/oidc/", &[]);
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    assert_eq!(nb.get("/oauth/begin/keycloak/", &[]).status, 404);
    assert_eq!(nb.get("/login", &[]).status, 301);
    let r = nb.get("/", &[]);
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("/login/?next=/"))
    );
    // 4.7.1+ still accepts a form POST to social_django's begin view.
    let page = nb.get("/login/", &[]);
    let cookie = format!("csrftoken={}", page.cookie("csrftoken").unwrap());
    let token = csrf_token_of(&page.text()).unwrap();
    let r = nb.post_form(
        "/oauth/login/oidc/",
        &[("csrfmiddlewaretoken", &token)],
        &[("cookie", &cookie), ("accept", "application/json")],
    );
    assert_eq!(r.status, 302, "social_django ignores Accept");

    let nb = nb_builder(LoginStyle::PostLogin).start_blocking();
    let r = nb.get("/oauth/login/oidc/", &[]);
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    assert!(r.body.is_empty());
    assert_eq!(nb.get("/oauth/begin/oidc/", &[]).status, 404);
    let r = nb.headless_begin(&[], true);
    assert_eq!(r.status, 302, "4.7.0 has no JSON answer");
    assert_eq!(nb.logins()[0].via, "/oauth/login/oidc/");

    // Base path: nothing outside it.
    let nb = nb_builder(LoginStyle::PostBegin)
        .base_path("netbox/")
        .start_blocking();
    assert_eq!(nb.get("/login/", &[]).status, 404);
    assert_eq!(nb.get("/netbox/login/", &[]).status, 200);
    assert_eq!(
        nb.begin_url(),
        format!("{}/netbox/oauth/begin/oidc/", nb.origin())
    );
}

#[test]
fn callback_is_recorded() {
    let nb = nb_builder(LoginStyle::PostBegin).start_blocking();
    let url = authorize_url_of(&nb.headless_begin(&[], true)).unwrap();
    let state = param(&url, "state");
    let r = nb.get(
        &format!("/oauth/complete/oidc/?code=abc&state={state}"),
        &[],
    );
    assert_eq!((r.status, r.header("location")), (302, Some("/")));
    let r = nb.get("/oauth/complete/oidc/?code=abc&state=forged", &[]);
    assert_eq!((r.status, r.header("location")), (302, Some("/login/")));
    let calls = nb.callbacks();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].query_param("state"), Some(state));
    assert_eq!(calls[0].query_param("code").as_deref(), Some("abc"));
}

// ------------------------------------------------------------------------------------------
// The skewed-clock server over TLS
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_https_server_charges_two_round_trips_for_a_new_connection() {
    use testkit::skewed_date::{SkewedDateServer, SkewedTls};
    let latency = Duration::from_millis(40);
    let tls = SkewedTls::new();
    let server = SkewedDateServer::builder(-1843)
        .latency(latency)
        .tls(&tls)
        .start();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let ca = std::fs::read(tls.ca_pem_path()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let timed_get = || async {
        let started = Instant::now();
        let r = client.get(server.url()).send().await.unwrap();
        let skew = date_of(&r) - unix(SystemTime::now());
        let took = started.elapsed();
        // Read to the end, so the connection goes back to the pool for the next request.
        assert_eq!(r.text().await.unwrap(), "ok\n");
        (took, skew)
    };
    // TCP, TLS, then the request: three round trips; then one on the same connection.
    let (first, skew) = timed_get().await;
    assert!(first >= latency * 3, "{first:?}");
    assert!((-2.9..=-0.8).contains(&skew), "{skew}");
    let (second, _) = timed_get().await;
    assert!(second >= latency && second < latency * 2, "{second:?}");
    assert_eq!(server.connections(), 1);
    assert_eq!(server.requests(), 2);
}

fn date_of(r: &reqwest::Response) -> f64 {
    let date = r.headers()["date"].to_str().unwrap();
    unix(httpdate::parse_http_date(date).unwrap())
}

// ------------------------------------------------------------------------------------------
// NetBox: Date header, latency, TLS
// ------------------------------------------------------------------------------------------

#[test]
fn date_header_is_skewed_as_configured() {
    for offset_ms in [90_000i64, -3_600_000, 0] {
        let nb = nb_builder(LoginStyle::PostBegin)
            .clock_offset_ms(offset_ms)
            .start_blocking();
        let before = unix(SystemTime::now()) + offset_ms as f64 / 1000.0;
        let r = nb.get("/login/", &[]);
        let after = unix(SystemTime::now()) + offset_ms as f64 / 1000.0;
        assert_eq!(
            r.headers_named("date").len(),
            1,
            "hyper adds no second Date"
        );
        let date = date_secs(&r) as f64;
        assert!(
            date >= before.floor() && date <= after.floor(),
            "offset {offset_ms}: {before} <= {date} <= {after}"
        );
    }
    // Changed at run time.
    let nb = nb_builder(LoginStyle::PostBegin).start_blocking();
    nb.configure(|c| c.clock_offset_ms = 7_200_000);
    let skew = date_secs(&nb.get("/login/", &[])) as i64 - unix(SystemTime::now()) as i64;
    assert!((7_199..=7_201).contains(&skew), "{skew}");
}

#[test]
fn symmetric_latency_puts_the_date_in_the_middle() {
    let nb = nb_builder(LoginStyle::PostBegin)
        .latency(Duration::from_millis(400))
        .clock_offset_ms(-30_000)
        .start_blocking();
    let started = Instant::now();
    let t0 = unix(SystemTime::now());
    let r = nb.get("/login/", &[]);
    let t1 = unix(SystemTime::now());
    assert!(started.elapsed() >= Duration::from_millis(800));
    let date = date_secs(&r) as f64;
    // Stamped between t0 + 0.4 s and t1 - 0.4 s (NetBox clock = real - 30 s).
    assert!(date >= (t0 + 0.4 - 30.0).floor() && date <= (t1 - 0.4 - 30.0).floor());
}

#[test]
fn tls_netbox_builds_https_redirects() {
    let nb = nb_builder(LoginStyle::PostBegin).tls(true).start_blocking();
    assert!(nb.origin().starts_with("https://127.0.0.1:"));
    let ca = std::fs::read_to_string(nb.ca_pem_path().unwrap()).unwrap();
    assert!(ca.contains("BEGIN CERTIFICATE"));
    let origin = nb.origin();
    let r = nb.headless_begin(&[("origin", &origin)], true);
    assert_eq!(r.status, 200, "{}", r.text());
    let url = authorize_url_of(&r).unwrap();
    assert_eq!(
        param(&url, "redirect_uri"),
        format!("{origin}/oauth/complete/oidc/")
    );
    // Django's HTTPS rule: a POST with neither Origin nor Referer is refused.
    let r = nb.headless_begin(&[], true);
    assert_eq!(r.status, 403);
}

#[test]
fn the_test_idp_accepts_what_netbox_sends() {
    let idp = TestIdp::builder()
        .redirect_url("https://netbox.example.com/oauth/complete/oidc/")
        .start_blocking();
    let endpoint = format!("{}/ui/oauth2", idp.origin());
    let nb = TestNetbox::builder()
        .authorize_endpoint(&endpoint)
        .use_pkce(true)
        .public_url("https://netbox.example.com")
        .start_blocking();
    let origin = [("origin", "https://netbox.example.com")];
    let url = authorize_url_of(&nb.headless_begin(&origin, true)).unwrap();
    let r = idp.http().get(&url);
    assert_eq!(r.status, 303, "{}", r.text());
    let back = r.header("location").unwrap();
    let back = back
        .strip_prefix("https://netbox.example.com")
        .expect("back to NetBox's public URL");
    let r = nb.get(back, &[]);
    assert_eq!((r.status, r.header("location")), (302, Some("/")));
    assert!(nb.callbacks()[0].query_param("code").is_some());

    // Without PKCE, Kanidm (PKCE enforced) stops the login at its own page.
    nb.configure(|c| c.sso.as_mut().unwrap().use_pkce = false);
    let url = authorize_url_of(&nb.headless_begin(&origin, true)).unwrap();
    assert_ne!(idp.http().get(&url).status, 303);
    // An http:// redirect_uri (proxy sends X-Forwarded-Proto: http) does not match either.
    nb.configure(|c| {
        c.sso.as_mut().unwrap().use_pkce = true;
        c.forwarded_proto = HeaderRule::Set("http".into());
    });
    let url = authorize_url_of(&nb.headless_begin(&[], true)).unwrap();
    assert!(url.contains("redirect_uri=http://netbox.example.com/"));
    assert_ne!(idp.http().get(&url).status, 303);
}

// ------------------------------------------------------------------------------------------
// Hostile servers: a raw client
// ------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Raw {
    /// The first 4 MiB received.
    data: Vec<u8>,
    total: usize,
    eof: bool,
    timed_out: bool,
    error: Option<std::io::Error>,
}

impl Raw {
    fn head(&self) -> Option<String> {
        let end = self.data.windows(4).position(|w| w == b"\r\n\r\n")?;
        Some(String::from_utf8_lossy(&self.data[..end]).into_owned())
    }

    fn status(&self) -> Option<u16> {
        self.head()?.split(' ').nth(1)?.parse().ok()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head()?.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    fn body(&self) -> &[u8] {
        let end = self
            .data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(self.data.len(), |e| e + 4);
        &self.data[end..]
    }

    fn body_len(&self) -> usize {
        let head_len = self.head().map_or(0, |h| h.len() + 4);
        self.total.saturating_sub(head_len)
    }

    fn error_kind(&self) -> Option<std::io::ErrorKind> {
        self.error.as_ref().map(std::io::Error::kind)
    }

    fn rustls_error(&self) -> Option<rustls::Error> {
        self.error
            .as_ref()?
            .get_ref()?
            .downcast_ref::<rustls::Error>()
            .cloned()
    }
}

fn tls_connector(ca_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// `GET path` on a hostile server (TLS trusting `ca`, default: the CA it hands out); reads
/// until EOF, an error, `stop_after` bytes or `within`.
async fn fetch_with(
    server: &HostileServer,
    path: &str,
    ca: Option<&str>,
    stop_after: usize,
    within: Duration,
) -> Raw {
    let deadline = tokio::time::Instant::now() + within;
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\naccept: application/json\r\nconnection: close\r\n\r\n",
        server.port()
    );
    if !server.is_tls() {
        return exchange(tcp, &request, stop_after, deadline).await;
    }
    let ca = ca.or(server.ca_pem()).unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    match tokio::time::timeout_at(deadline, tls_connector(ca).connect(name, tcp)).await {
        Err(_) => Raw {
            timed_out: true,
            ..Raw::default()
        },
        Ok(Err(e)) => Raw {
            error: Some(e),
            ..Raw::default()
        },
        Ok(Ok(tls)) => exchange(tls, &request, stop_after, deadline).await,
    }
}

async fn fetch(server: &HostileServer, within: Duration) -> Raw {
    fetch_with(
        server,
        "/.well-known/openid-configuration",
        None,
        usize::MAX,
        within,
    )
    .await
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    request: &str,
    stop_after: usize,
    deadline: tokio::time::Instant,
) -> Raw {
    let mut raw = Raw::default();
    if let Err(e) = s.write_all(request.as_bytes()).await {
        raw.error = Some(e);
        return raw;
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => {
                raw.timed_out = true;
                break;
            }
            Ok(Ok(0)) => {
                raw.eof = true;
                break;
            }
            Ok(Ok(n)) => {
                raw.total += n;
                if raw.data.len() < 4 << 20 {
                    raw.data.extend_from_slice(&buf[..n]);
                }
                if raw.total >= stop_after {
                    break;
                }
            }
            Ok(Err(e)) => {
                raw.error = Some(e);
                break;
            }
        }
    }
    raw
}

const SHORT: Duration = Duration::from_secs(10);
const MIB: usize = 1024 * 1024;

// ------------------------------------------------------------------------------------------
// Hostile servers: each case behaves as named
// ------------------------------------------------------------------------------------------

#[test]
fn the_matrix_is_complete_and_local() {
    assert!(Hostile::ALL.len() >= 15);
    let names: std::collections::BTreeSet<_> = Hostile::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(names.len(), Hostile::ALL.len());
    for case in Hostile::ALL {
        let server = case.start();
        assert!(
            server.origin().starts_with("http://127.0.0.1:")
                || server.origin().starts_with("https://127.0.0.1:"),
            "{case}"
        );
        assert_eq!(server.is_tls(), case.is_tls(), "{case}");
    }
}

#[tokio::test]
async fn huge_body_declares_and_sends_50_mib() {
    let server = Hostile::HugeBody.start();
    let raw = fetch_with(&server, "/status", None, 2 * MIB, SHORT).await;
    assert_eq!(raw.status(), Some(200));
    assert_eq!(raw.header("content-length").as_deref(), Some("52428800"));
    assert!(raw.total >= 2 * MIB && !raw.eof && raw.error.is_none());
    assert!(raw.body().starts_with(b"{\"issuer\":\"aaaa"));
}

#[tokio::test]
async fn huge_body_without_length_ends_at_close() {
    let server = Hostile::HugeBodyNoLength.start();
    let raw = fetch_with(&server, "/", None, usize::MAX, Duration::from_secs(30)).await;
    assert!(raw.eof, "{:?}", raw.error);
    assert_eq!(raw.status(), Some(200));
    assert_eq!(raw.header("content-length"), None);
    assert_eq!(raw.body_len() as u64, hostile::HUGE_SIZE);
}

#[tokio::test]
async fn endless_body_keeps_sending_past_2_mib() {
    let server = Hostile::EndlessBody.start();
    let raw = fetch_with(
        &server,
        "/oauth2/openid/netbox/public_key.jwk",
        None,
        3 * MIB,
        SHORT,
    )
    .await;
    assert_eq!(raw.header("transfer-encoding").as_deref(), Some("chunked"));
    assert!(raw.total >= 3 * MIB && !raw.eof && !raw.timed_out);
    let start = String::from_utf8_lossy(&raw.body()[..64]).into_owned();
    let (size, data) = start.split_once("\r\n").unwrap();
    assert!(usize::from_str_radix(size, 16).is_ok() && data.starts_with("{\"keys\":["));
    assert!(server.bytes_sent() >= 2 * MIB as u64);
}

#[tokio::test]
async fn silent_server_sends_nothing() {
    let server = Hostile::SilentAfterAccept.start();
    let raw = fetch(&server, Duration::from_millis(1200)).await;
    assert!(raw.timed_out && raw.total == 0 && !raw.eof);
    assert_eq!(server.requests().len(), 1, "the request was read");
}

#[tokio::test]
async fn dribbled_headers_arrive_a_byte_a_second() {
    let server = Hostile::DribbleHeaders.start();
    let raw = fetch(&server, Duration::from_millis(1500)).await;
    assert!(raw.timed_out);
    assert!((1..=3).contains(&raw.total), "{} bytes", raw.total);
    assert!(b"HTTP/1.1 200 OK".starts_with(&raw.data));
}

#[tokio::test]
async fn slow_body_after_a_prompt_head() {
    let server = Hostile::SlowBody.start();
    let raw = fetch(&server, Duration::from_millis(1500)).await;
    assert!(raw.timed_out);
    assert_eq!(raw.status(), Some(200));
    assert_eq!(raw.header("content-length").as_deref(), Some("1024"));
    assert!((1..=3).contains(&raw.body_len()), "{}", raw.body_len());
}

#[tokio::test]
async fn reset_after_accept_is_a_connection_error() {
    let server = Hostile::ResetOnAccept.start();
    let raw = fetch(&server, SHORT).await;
    assert_eq!(raw.total, 0);
    assert!(
        matches!(
            raw.error_kind(),
            Some(std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe)
        ),
        "{raw:?}"
    );
    // Also over TLS: the handshake is reset.
    let server = Hostile::ResetOnAccept.builder().tls(true).start();
    let raw = fetch(&server, SHORT).await;
    assert!(raw.error.is_some() && raw.total == 0, "{raw:?}");
}

#[tokio::test]
async fn reset_mid_body() {
    let server = Hostile::ResetMidBody.start();
    let raw = fetch(&server, SHORT).await;
    assert_eq!(raw.status(), Some(200));
    assert_eq!(raw.header("content-length").as_deref(), Some("262144"));
    assert!(raw.body_len() > 0 && raw.body_len() < 262_144);
    assert_eq!(
        raw.error_kind(),
        Some(std::io::ErrorKind::ConnectionReset),
        "{raw:?}"
    );
}

#[tokio::test]
async fn close_without_response_is_an_empty_reply() {
    let server = Hostile::CloseWithoutResponse.start();
    let raw = fetch(&server, SHORT).await;
    assert!(raw.eof && raw.total == 0 && raw.error.is_none());
}

#[tokio::test]
async fn untrusted_ca_fails_verification_but_the_real_ca_works() {
    let server = Hostile::UntrustedCa.start();
    assert!(server.origin().starts_with("https://"));
    assert_ne!(server.ca_pem(), server.real_ca_pem());
    let raw = fetch(&server, SHORT).await;
    assert_eq!(
        raw.rustls_error(),
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        )),
        "{raw:?}"
    );
    let raw = fetch_with(&server, "/", server.real_ca_pem(), usize::MAX, SHORT).await;
    assert_eq!(raw.status(), Some(200), "{raw:?}");
    assert_eq!(raw.body(), b"{\"ok\": true}");
    assert!(server.handshake_failures() >= 1);
    let path_pem = std::fs::read_to_string(server.ca_pem_path().unwrap()).unwrap();
    assert_eq!(Some(path_pem.as_str()), server.ca_pem());
}

#[tokio::test]
async fn wrong_hostname_fails_name_verification() {
    let server = Hostile::WrongHostname.start();
    assert_eq!(server.ca_pem(), server.real_ca_pem());
    let raw = fetch(&server, SHORT).await;
    let err = raw.rustls_error().expect("rustls error");
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn expired_certificate_fails_with_an_expiry_error() {
    let server = Hostile::ExpiredCert.start();
    let raw = fetch(&server, SHORT).await;
    let err = raw.rustls_error().expect("rustls error");
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. }
            )
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirect_loop_points_at_itself() {
    let server = Hostile::RedirectLoop.start();
    let path = "/oauth2/openid/netbox/.well-known/openid-configuration?x=1";
    for _ in 0..5 {
        let raw = fetch_with(&server, path, None, usize::MAX, SHORT).await;
        assert_eq!(raw.status(), Some(302));
        assert_eq!(raw.header("location"), Some(server.url(path)));
    }
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn bad_json_bodies() {
    let server = Hostile::InvalidJson.start();
    let raw = fetch(&server, SHORT).await;
    assert_eq!(raw.status(), Some(200));
    assert_eq!(
        raw.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(serde_json::from_slice::<serde_json::Value>(raw.body()).is_err());
    assert!(raw.header("date").is_some());

    let server = Hostile::JsonArray.start();
    let v: serde_json::Value = serde_json::from_slice(fetch(&server, SHORT).await.body()).unwrap();
    assert!(v.is_array());

    let server = Hostile::JsonWrongTypes.start();
    let v: serde_json::Value = serde_json::from_slice(fetch(&server, SHORT).await.body()).unwrap();
    assert_eq!(v["issuer"], 5);
    assert!(v["jwks_uri"].is_null());

    let server = Hostile::HtmlLoginPage.start();
    let raw = fetch(&server, SHORT).await;
    assert_eq!(raw.status(), Some(200));
    assert_eq!(
        raw.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(serde_json::from_slice::<serde_json::Value>(raw.body()).is_err());
    assert!(String::from_utf8_lossy(raw.body()).contains("<form action=\"/login/\""));
}

#[tokio::test]
async fn error_statuses() {
    let server = Hostile::Status500.start();
    let raw = fetch(&server, SHORT).await;
    assert_eq!(raw.status(), Some(500));
    assert!(String::from_utf8_lossy(raw.body()).contains("Server Error (500)"));
    let server = Hostile::Status404.start();
    assert_eq!(fetch(&server, SHORT).await.status(), Some(404));
    // Any case can also be served over TLS with a trusted certificate.
    let server = Hostile::Status500.builder().tls(true).start();
    assert!(server.origin().starts_with("https://"));
    assert_eq!(fetch(&server, SHORT).await.status(), Some(500));
}

#[tokio::test]
async fn date_header_missing_or_malformed() {
    let server = Hostile::NoDateHeader.start();
    let raw = fetch(&server, SHORT).await;
    assert_eq!(raw.status(), Some(200));
    assert_eq!(raw.header("date"), None);

    let server = Hostile::MalformedDateHeader
        .builder()
        .ok_body("application/json", b"true")
        .start();
    let raw = fetch(&server, SHORT).await;
    assert_eq!(raw.status(), Some(200));
    assert_eq!(raw.body(), b"true");
    let date = raw.header("date").unwrap();
    assert_eq!(date, MALFORMED_DATE);
    assert!(httpdate::parse_http_date(&date).is_err());
}

#[tokio::test]
async fn stalled_connections_end_by_themselves_and_on_drop() {
    // The connection deadline cuts a silent server off.
    let server = Hostile::SilentAfterAccept
        .builder()
        .max_connection(Duration::from_millis(300))
        .start();
    let started = Instant::now();
    let raw = fetch(&server, SHORT).await;
    assert!(raw.eof || raw.error.is_some(), "{raw:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // Dropping a server with open stalled connections returns promptly.
    for case in [
        Hostile::EndlessBody,
        Hostile::SilentAfterAccept,
        Hostile::DribbleHeaders,
        Hostile::SlowBody,
    ] {
        assert!(case.stalls());
        let server = case.start();
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
            .await
            .unwrap();
        tcp.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(2), "{case}");
        // The connection is gone afterwards.
        let mut buf = vec![0u8; 1 << 20];
        let closed = tokio::time::timeout(SHORT, async {
            loop {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "{case}");
    }
}
