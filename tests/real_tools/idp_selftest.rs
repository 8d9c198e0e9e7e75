//! Self-test of the Kanidm-shaped test IdP (`testkit::idp`) against the captured kanidmd
//! fixtures, and of the social-auth-core login harness (`testkit::python`) against the IdP.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use testkit::fixtures;
use testkit::https::HttpResponse;
use testkit::idp::{CannedResponse, DEFAULT_REDIRECT, DEFAULT_SECRET, TestIdp, TestUser};
use testkit::jose;
use testkit::oidc_client::{self, authorise_api, basic_auth};
use testkit::python::{self, SC_NETBOX_4_5, SC_NETBOX_4_7};

/// The fixture's discovery document, moved to this IdP's origin and client.
fn expected_discovery(idp: &TestIdp, rel: &str, fixture_client: &str) -> Value {
    let text = fixtures::text(rel)
        .replace("https://localhost:8443", &idp.origin())
        .replace(
            &format!("/oauth2/openid/{fixture_client}"),
            "/oauth2/openid/netbox",
        );
    serde_json::from_str(&text).unwrap()
}

/// Top-level keys of a JSON object text, in order of appearance.
fn key_order(text: &str, keys: &[String]) -> Vec<usize> {
    keys.iter()
        .map(|k| text.find(&format!("\"{k}\":")).expect(k))
        .collect()
}

fn assert_kanidm_headers(r: &HttpResponse) {
    let opid = r.header("x-kanidm-opid").expect("x-kanidm-opid");
    assert_eq!(opid.len(), 36, "opid looks like a UUID: {opid}");
    httpdate::parse_http_date(r.header("date").expect("date")).expect("HTTP date");
}

fn token(idp: &TestIdp, code: &str, verifier: Option<&str>, redirect: &str) -> HttpResponse {
    oidc_client::token_request(idp, "netbox", DEFAULT_SECRET, code, verifier, redirect)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn discovery_has_the_fixture_shape() {
    let idp = TestIdp::builder()
        .client("netbox", DEFAULT_SECRET)
        .redirect_url(DEFAULT_REDIRECT)
        .user(TestUser::alice())
        .start()
        .await;
    let http = idp.http();
    let url = format!("{}/.well-known/openid-configuration", idp.issuer());
    let r = http.get(&url);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_kanidm_headers(&r);
    // PKCE enforced: same keys and values as the enforced client `strict`.
    let expected = expected_discovery(&idp, "kanidm/http/discovery-strict.json", "strict");
    assert_eq!(r.json(), expected);
    let keys: Vec<String> = expected.as_object().unwrap().keys().cloned().collect();
    let fixture_text = fixtures::text("kanidm/http/discovery-strict.json");
    let mut fixture_keys = keys.clone();
    fixture_keys.sort_by_key(|k| fixture_text.find(&format!("\"{k}\":")));
    let order = key_order(&r.text(), &fixture_keys);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "key order as Kanidm");

    // PKCE off: exactly discovery-netbox.json.
    idp.configure(|c| c.clients[0].pkce_enforced = false);
    let expected = expected_discovery(&idp, "kanidm/http/discovery-netbox.json", "netbox");
    assert_eq!(http.get(&url).json(), expected);
    assert_eq!(expected["code_challenge_methods_supported"], json!([]));

    // The alternative prefix and an upper-case client id work; the issuer stays lower case.
    let alt = format!(
        "{}/.well-known/openid-configuration/oauth2/openid/NetBox",
        idp.origin()
    );
    assert_eq!(http.get(&alt).json()["issuer"], json!(idp.issuer()));

    // A trailing slash on the issuer: `//.well-known` is 404 "Route not found".
    let r = http.get(&format!(
        "{}//.well-known/openid-configuration",
        idp.issuer()
    ));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.text(),
        fixtures::text("kanidm/http/discovery-netbox-double-slash.body")
    );
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    // Unknown client: 404 "nomatchingentries".
    let r = http.get(&format!(
        "{}/oauth2/openid/nosuch/.well-known/openid-configuration",
        idp.origin()
    ));
    assert_eq!(
        (r.status, r.text()),
        (
            404,
            fixtures::text("kanidm/http/discovery-unknown-client.body")
        )
    );

    let r = http.get(&format!("{}/status", idp.origin()));
    assert_eq!((r.status, r.text().as_str()), (200, "true"));
    assert_kanidm_headers(&r);
}

#[test]
fn code_flow_tokens_verify_against_the_jwks() {
    let idp = TestIdp::builder().start_blocking();
    let oidc_client::Authorised {
        code,
        verifier,
        nonce,
        ..
    } = authorise_api(&idp, "netbox", DEFAULT_REDIRECT);
    let r = token(&idp, &code, Some(&verifier), DEFAULT_REDIRECT);
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let fixture_body = fixtures::json("kanidm/flow/netbox-02-token.json")["body_json"].clone();
    let mut got: Vec<&String> = body.as_object().unwrap().keys().collect();
    let mut want: Vec<&String> = fixture_body.as_object().unwrap().keys().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "token response members as Kanidm's");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "email openid profile");

    let jwks = idp
        .http()
        .get(&format!("{}/public_key.jwk", idp.issuer()))
        .json();
    let jwk = &jwks["keys"][0];
    let fixture_jwk = &fixtures::json("kanidm/http/jwks-netbox.json")["keys"][0];
    let members = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(members(jwk), members(fixture_jwk));
    assert_eq!(jwk["alg"], "ES256");
    assert_eq!(jwk["kid"].as_str().unwrap().len(), 12);

    let id_token = body["id_token"].as_str().unwrap();
    jose::verify_jws(id_token, jwk).expect("ID token signature verifies");
    let (header, claims) = jose::decode_jws(id_token).unwrap();
    assert_eq!(header, json!({"alg": "ES256", "kid": jwk["kid"]}));
    let fixture_claims = &fixtures::json("kanidm/flow/decoded-token-claims.json")["netbox-02-token"]
        ["id_token"]["payload"];
    assert_eq!(members(&claims), members(fixture_claims), "claim names");
    let payload_text =
        String::from_utf8(jose::b64url_decode(id_token.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    let fixture_order = members(fixture_claims);
    let mut fixture_sorted = fixture_order.clone();
    let fixture_text = fixtures::text("kanidm/flow/netbox-03-userinfo.json");
    fixture_sorted.sort_by_key(|k| fixture_text.find(&format!("\\\"{k}\\\":")));
    let order = key_order(&payload_text, &fixture_sorted);
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "claim order as Kanidm"
    );

    let alice = TestUser::alice();
    assert_eq!(claims["sub"], json!(alice.uuid));
    assert_eq!(claims["preferred_username"], "alice@localhost");
    assert_eq!(claims["name"], "Alice Example");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["iss"], json!(idp.issuer()));
    assert_eq!(
        (&claims["aud"], &claims["azp"]),
        (&json!("netbox"), &json!("netbox"))
    );
    assert_eq!(claims["nonce"], json!(nonce));
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["nbf"], iat);
    assert_eq!(claims["auth_time"], iat);
    assert_eq!(claims["exp"], iat + 900);
    assert!(iat.abs_diff(unix_now()) <= 2);

    // The access token is a JWS too (typ at+jwt); userinfo answers the ID token's claims.
    let access = body["access_token"].as_str().unwrap();
    jose::verify_jws(access, jwk).unwrap();
    assert_eq!(jose::decode_jws(access).unwrap().0["typ"], "at+jwt");
    let r = idp.http().request(
        "GET",
        &format!("{}/userinfo", idp.issuer()),
        &[("authorization", &format!("Bearer {access}"))],
        b"",
    );
    assert_eq!(r.json(), claims);
    let r = idp.http().get(&format!("{}/userinfo", idp.issuer()));
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Bearer"))
    );

    // The same code again is accepted (Kanidm's codes are stateless, valid 60 s).
    assert_eq!(
        token(&idp, &code, Some(&verifier), DEFAULT_REDIRECT).status,
        200
    );
}

#[test]
fn legacy_crypto_short_username_and_jwk_without_alg() {
    let idp = TestIdp::builder()
        .legacy_crypto(true)
        .short_username(true)
        .jwk_alg(false)
        .start_blocking();
    let disc = idp
        .http()
        .get(&format!(
            "{}/.well-known/openid-configuration",
            idp.issuer()
        ))
        .json();
    assert_eq!(
        disc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let oidc_client::Authorised { code, verifier, .. } =
        authorise_api(&idp, "netbox", DEFAULT_REDIRECT);
    let body = token(&idp, &code, Some(&verifier), DEFAULT_REDIRECT).json();
    let jwk = idp.jwks("netbox")["keys"][0].clone();
    assert_eq!(jwk["kty"], "RSA");
    assert!(jwk.get("alg").is_none());
    let id_token = body["id_token"].as_str().unwrap();
    jose::verify_jws(id_token, &jwk).expect("RS256 signature verifies");
    let (header, claims) = jose::decode_jws(id_token).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["preferred_username"], "alice");
}

/// Every row of the captured authorise error matrix (`http/authorise/cases.tsv`): status,
/// body size, and Kanidm's log reason. The captures were unauthenticated.
#[test]
fn authorise_error_matrix_matches_kanidm() {
    let strict_redirect = "https://strict.example.com/oauth/complete/oidc/";
    let idp = TestIdp::builder()
        .client("netbox", DEFAULT_SECRET)
        .display_name("NetBox")
        .redirect_url(DEFAULT_REDIRECT)
        .client("strict", "strict-secret")
        .display_name("Strict PKCE")
        .redirect_url(strict_redirect)
        .user(TestUser::alice())
        .logged_in(None)
        .start_blocking();
    let verifier = jose::random_token(32);
    let challenge = jose::pkce_s256(&verifier);
    for row in fixtures::text("kanidm/http/authorise/cases.tsv")
        .lines()
        .skip(1)
    {
        let cols: Vec<&str> = row.split('\t').collect();
        let (name, status_line, size, reason) = (cols[0], cols[1], cols[2], cols[3]);
        let client = if name.starts_with("strict") {
            "strict"
        } else {
            "netbox"
        };
        let mut redirect = if client == "strict" {
            strict_redirect
        } else {
            DEFAULT_REDIRECT
        };
        let mut p: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("scope", "openid email profile"),
            ("state", "st1"),
        ];
        let mut client_id = client;
        let pkce = !name.contains("no-pkce") && !name.contains("no-challenge");
        match name {
            n if n.contains("wrong-redirect") => redirect = "https://strict.example.com/wrong/",
            n if n.contains("missing-trailing-slash") => {
                redirect = "https://netbox.example.com/oauth/complete/oidc"
            }
            n if n.contains("http-scheme") => {
                redirect = "http://netbox.example.com/oauth/complete/oidc/"
            }
            n if n.contains("other-host") => {
                redirect = "https://netbox.internal/oauth/complete/oidc/"
            }
            "unknown-client-get" => client_id = "nosuchclient",
            "netbox-get-response-type-token" => p[0].1 = "token",
            _ => {}
        }
        if name.contains("plain-method") {
            p.push(("code_challenge", &verifier));
            p.push(("code_challenge_method", "plain"));
        } else if pkce && client == "strict" {
            p.push(("code_challenge", &challenge));
            p.push(("code_challenge_method", "S256"));
        }
        p.push(("client_id", client_id));
        p.push(("redirect_uri", redirect));
        // The netbox client was captured before (pkce-enforced rows) and after PKCE was
        // disabled (no-pkce rows).
        let enforced = name.contains("pkce-enforced") || client == "strict";
        idp.configure(|c| c.clients[0].pkce_enforced = enforced);
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&p)
            .finish();
        let before = idp.server_log().len();
        let r = if name.contains("-post-") {
            let body: serde_json::Map<String, Value> =
                p.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            idp.http().request(
                "POST",
                &format!("{}/oauth2/authorise", idp.origin()),
                &[("content-type", "application/json")],
                Value::Object(body).to_string().as_bytes(),
            )
        } else if name.contains("-ui-") {
            idp.http()
                .get(&format!("{}/ui/oauth2?{query}", idp.origin()))
        } else {
            idp.http()
                .get(&format!("{}/oauth2/authorise?{query}", idp.origin()))
        };
        let want_status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        assert_eq!(r.status, want_status, "{name}: {}", r.text());
        assert_eq!(r.body.len().to_string(), size, "{name}: body size");
        if r.status == 400 {
            assert!(r.header("content-type").is_none(), "{name}");
        }
        if r.status == 200 && size == "1878" {
            assert!(r.text().contains("Error Code: InvalidState"), "{name}");
            let opid = r.header("x-kanidm-opid").unwrap();
            assert!(
                r.text().contains(&format!("Operation ID: {opid}")),
                "{name}"
            );
        }
        let reason = reason
            .trim_start_matches("error: ")
            .trim_start_matches("warn: ");
        if !reason.starts_with("(none") {
            let log = idp.server_log()[before..].join("\n");
            assert!(log.contains(reason), "{name}: log {log:?} lacks {reason:?}");
        }
    }
}

#[test]
fn token_endpoint_errors_are_kanidms() {
    let idp = TestIdp::builder().start_blocking();
    let oidc_client::Authorised { code, verifier, .. } =
        authorise_api(&idp, "netbox", DEFAULT_REDIRECT);
    let url = format!("{}/oauth2/token", idp.origin());
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", DEFAULT_REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let r = idp.http().post_form(
        &url,
        &form,
        &[("authorization", &basic_auth("netbox", "wrong"))],
    );
    assert_eq!((r.status, r.body.len()), (401, 0));
    let missing = token(&idp, &code, None, DEFAULT_REDIRECT);
    assert_eq!(
        (missing.status, missing.json()),
        (400, json!({"error": "invalid_request"}))
    );
    let wrong = token(&idp, &code, Some("not-the-verifier"), DEFAULT_REDIRECT);
    assert_eq!(wrong.json(), json!({"error": "invalid_request"}));
    let slashless = "https://netbox.example.com/oauth/complete/oidc";
    let r = token(&idp, &code, Some(&verifier), slashless);
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, r#"{"error":"invalid_origin"}"#)
    );
    // client_secret_post works too.
    let mut post = form.to_vec();
    post.extend([("client_id", "netbox"), ("client_secret", DEFAULT_SECRET)]);
    assert_eq!(idp.http().post_form(&url, &post, &[]).status, 200);
    assert_eq!(idp.http().get(&url).status, 405);
    let r = idp.http().request("POST", &url, &[], b"");
    assert_eq!(
        (r.status, r.text()),
        (
            415,
            fixtures::text("kanidm/http/token-endpoint-post-empty.body")
        )
    );
}

#[test]
fn scopes_logout_delay_and_interceptor() {
    let idp = TestIdp::builder().start_blocking();
    let q = |scope: &str| {
        format!(
            "{}/oauth2/authorise?client_id=netbox&response_type=code&scope={scope}\
             &redirect_uri={DEFAULT_REDIRECT}&code_challenge={}&code_challenge_method=S256",
            idp.origin(),
            jose::pkce_s256("v")
        )
    };
    let r = idp.http().get(&q("openid+profile+email+groups"));
    assert_eq!(
        r.status, 403,
        "a scope outside the scope map is access_denied"
    );
    assert!(
        idp.server_log()
            .iter()
            .any(|l| l.contains("does not have access"))
    );
    idp.configure(|c| c.logged_in = None);
    assert_eq!(idp.http().get(&q("openid")).status, 401);

    idp.configure(|c| c.response_delay = Duration::from_millis(300));
    let t = Instant::now();
    idp.http().get(&format!("{}/status", idp.origin()));
    assert!(t.elapsed() >= Duration::from_millis(300));

    idp.configure(|c| {
        c.response_delay = Duration::ZERO;
        c.interceptor = Some(std::sync::Arc::new(|req| {
            req.path
                .ends_with("openid-configuration")
                .then(|| CannedResponse::new(500).body("boom"))
        }));
    });
    let r = idp.http().get(&format!(
        "{}/.well-known/openid-configuration",
        idp.issuer()
    ));
    assert_eq!((r.status, r.text().as_str()), (500, "boom"));
    assert!(r.header("date").is_some());
    let seen = idp.requests_to("/oauth2/openid/netbox/.well-known/openid-configuration");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
}

#[test]
fn clock_offset_shows_in_date_and_iat() {
    for offset_ms in [120_000i64, -120_000] {
        let idp = TestIdp::builder()
            .clock_offset_ms(offset_ms)
            .start_blocking();
        let r = idp.http().get(&format!("{}/status", idp.origin()));
        let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
        let date = date.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        let skew = date - unix_now() as i64;
        assert!((skew - offset_ms / 1000).abs() <= 2, "Date skew {skew}s");
        let oidc_client::Authorised { code, verifier, .. } =
            authorise_api(&idp, "netbox", DEFAULT_REDIRECT);
        let body = token(&idp, &code, Some(&verifier), DEFAULT_REDIRECT).json();
        let claims = jose::decode_jws(body["id_token"].as_str().unwrap())
            .unwrap()
            .1;
        let iat = claims["iat"].as_i64().unwrap();
        assert!((iat - unix_now() as i64 - offset_ms / 1000).abs() <= 2);
        assert_eq!(claims["nbf"], iat);
    }
}

// ---------------------------------------------------------------------------------------
// The real social-auth-core against the IdP.

/// A hand-written NetBox configuration.py; `extra` lines are appended verbatim.
fn netbox_settings(idp: &TestIdp, dir: &Path, endpoint: &str, extra: &[&str]) -> PathBuf {
    std::fs::write(dir.join("oidc-secret"), format!("{DEFAULT_SECRET}\n")).unwrap();
    let mut text = format!(
        "import os\n\n\
         def _read_secret(name):\n    \
             env = os.environ.get('NBSSO_OIDC_SECRET')\n    \
             if env:\n        return env\n    \
             with open(os.path.join({dir:?}, name)) as f:\n        return f.read().strip()\n\n\
         REMOTE_AUTH_BACKEND = 'social_core.backends.open_id_connect.OpenIdConnectAuth'\n\
         SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = {endpoint:?}\n\
         SOCIAL_AUTH_OIDC_KEY = 'netbox'\n\
         SOCIAL_AUTH_OIDC_SECRET = _read_secret('oidc-secret')\n\
         SOCIAL_AUTH_VERIFY_SSL = {ca:?}\n\
         SOCIAL_AUTH_BACKEND_ATTRS = {{'oidc': ('Kanidm', 'login')}}\n",
        dir = dir.display().to_string(),
        ca = idp.ca_pem_path().display().to_string(),
    );
    for line in extra {
        text.push_str(line);
        text.push('\n');
    }
    let path = dir.join("configuration.py");
    std::fs::write(&path, text).unwrap();
    path
}

const ES256: &str = "SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256']";
const PKCE: &str = "SOCIAL_AUTH_OIDC_USE_PKCE = True";

fn login(version: &str, idp: &TestIdp, extra: &[&str]) -> python::LoginOutcome {
    login_at(version, idp, &idp.issuer(), extra)
}

fn login_at(version: &str, idp: &TestIdp, endpoint: &str, extra: &[&str]) -> python::LoginOutcome {
    let dir = tempfile::TempDir::new().unwrap();
    let settings = netbox_settings(idp, dir.path(), endpoint, extra);
    let t = Instant::now();
    let out = python::socialcore_login(version, &settings, DEFAULT_REDIRECT, idp.ca_pem_path());
    eprintln!(
        "login via social-core {version} took {:.2?}: {}",
        t.elapsed(),
        out.raw
    );
    out
}

#[test]
fn socialcore_5_2_logs_in_with_kanidm_defaults() {
    let idp = TestIdp::builder().start_blocking();
    let out = login(SC_NETBOX_4_7, &idp, &[ES256, PKCE]);
    assert!(out.ok, "{}", out.raw);
    assert_eq!(out.stage, "done");
    assert_eq!(out.uid.as_deref(), Some(TestUser::alice().uuid.as_str()));
    assert_eq!(out.username.as_deref(), Some("alice@localhost"));
    assert_eq!(out.details["email"], "alice@example.com");
    assert_eq!(out.details["fullname"], "Alice Example");
    assert_eq!(
        out.authorize_status,
        Some(303),
        "/ui/oauth2 redirects with axum's 303"
    );
    let ui = &idp.requests_to("/ui/oauth2")[0];
    assert_eq!(
        ui.query_param("code_challenge_method").as_deref(),
        Some("S256")
    );
    let tok = &idp.requests_to("/oauth2/token")[0];
    assert!(tok.header("authorization").unwrap().starts_with("Basic "));
    assert!(tok.form_param("code_verifier").is_some());
    assert_eq!(idp.requests_to("/oauth2/openid/netbox/userinfo").len(), 1);
}

#[test]
fn socialcore_5_2_stop_points() {
    let idp = TestIdp::builder().start_blocking();
    // ES256 not allowed (default JWT_ALGORITHMS = ['RS256']): fails at the callback.
    let out = login(SC_NETBOX_4_7, &idp, &[PKCE]);
    assert_eq!((out.ok, out.stage.as_str()), (false, "callback"));
    assert_eq!(out.error_type.as_deref(), Some("AuthTokenError"));
    assert_eq!(
        out.error.as_deref(),
        Some("Token error: The specified alg value is not allowed")
    );

    // No PKCE against enforced PKCE: the browser is stopped on Kanidm's page, no callback.
    idp.clear_requests();
    let out = login(SC_NETBOX_4_7, &idp, &[ES256]);
    assert_eq!((out.ok, out.stage.as_str()), (false, "authorize"));
    assert_eq!(
        out.authorize_status,
        Some(200),
        "/ui/oauth2 renders its error page"
    );
    let page = out.raw["authorize_body"].as_str().unwrap();
    assert!(page.contains("Error Code: InvalidState"));
    assert!(idp.requests_to("/oauth2/token").is_empty());
    assert!(
        idp.server_log()
            .iter()
            .any(|l| l.contains("No PKCE code challenge"))
    );
    // The same through the API endpoint: 400, empty body.
    let api = format!(
        "SOCIAL_AUTH_OIDC_AUTHORIZATION_URL = '{}/oauth2/authorise'",
        idp.origin()
    );
    let out = login(SC_NETBOX_4_7, &idp, &[ES256, &api]);
    assert_eq!(
        (out.stage.as_str(), out.authorize_status),
        ("authorize", Some(400))
    );
    assert_eq!(out.raw["authorize_body"], "");

    // Trailing slash on the endpoint: discovery 404, a raw requests.HTTPError at begin.
    let slash = format!("{}/", idp.issuer());
    let out = login_at(SC_NETBOX_4_7, &idp, &slash, &[ES256, PKCE]);
    assert_eq!(
        (out.stage.as_str(), out.error_type.as_deref()),
        ("begin", Some("HTTPError"))
    );
    let want = format!(
        "404 Client Error: Not Found for url: {}//.well-known/openid-configuration",
        idp.issuer()
    );
    assert_eq!(out.error.as_deref(), Some(want.as_str()));
}

#[test]
fn socialcore_5_2_fails_nbf_when_idp_clock_ahead_even_with_leeway() {
    let idp = TestIdp::builder().clock_offset_ms(1500).start_blocking();
    let leeway = "SOCIAL_AUTH_OIDC_JWT_LEEWAY = 5";
    let out = login(SC_NETBOX_4_7, &idp, &[ES256, PKCE, leeway]);
    assert_eq!((out.ok, out.stage.as_str()), (false, "callback"));
    assert_eq!(
        out.error.as_deref(),
        Some("Token error: Incorrect id_token: nbf")
    );
}

#[test]
fn socialcore_4_8_3_logs_in_when_pkce_is_off() {
    let idp = TestIdp::builder().pkce(false).start_blocking();
    let out = login(SC_NETBOX_4_5, &idp, &[ES256]);
    assert!(out.ok, "{}", out.raw);
    assert_eq!(out.uid.as_deref(), Some(TestUser::alice().uuid.as_str()));
    assert_eq!(out.raw["social_core_version"], "4.8.3");
    let ui = &idp.requests_to("/ui/oauth2")[0];
    assert!(
        ui.query_param("code_challenge").is_none(),
        "4.8.3 has no OIDC PKCE"
    );
}

#[test]
fn dump_shows_settings_exactly() {
    let idp = TestIdp::builder().start_blocking();
    let dir = tempfile::TempDir::new().unwrap();
    let settings = netbox_settings(&idp, dir.path(), &idp.issuer(), &[ES256, PKCE]);
    let dump = python::socialcore_dump(SC_NETBOX_4_7, &settings);
    assert_eq!(dump["SOCIAL_AUTH_OIDC_SECRET"], DEFAULT_SECRET);
    assert_eq!(dump["SOCIAL_AUTH_OIDC_OIDC_ENDPOINT"], json!(idp.issuer()));
    assert_eq!(dump["SOCIAL_AUTH_OIDC_JWT_ALGORITHMS"], json!(["ES256"]));
    assert_eq!(dump["SOCIAL_AUTH_OIDC_USE_PKCE"], true);
    assert!(dump.get("_read_secret").is_none() && dump.get("os").is_none());
    let repr = python::socialcore_dump_repr(SC_NETBOX_4_7, &settings);
    assert_eq!(
        repr["SOCIAL_AUTH_BACKEND_ATTRS"],
        "{'oidc': ('Kanidm', 'login')}"
    );
}
