//! Relying-party steps against the test IdP over real sockets, for tests that want a quick
//! code flow without Python: authorise through the API endpoint (PKCE S256), then exchange
//! the code at the token endpoint.

use base64::Engine as _;

use super::https::HttpResponse;
use super::idp::TestIdp;
use super::jose;

/// The result of a permitted `/oauth2/authorise`.
#[derive(Clone, Debug)]
pub struct Authorised {
    pub code: String,
    pub state: String,
    pub verifier: String,
    pub nonce: String,
    pub location: url::Url,
}

/// `GET /oauth2/authorise` for `client` with scopes `openid email profile`, a fresh PKCE
/// verifier (S256), nonce and state; asserts Kanidm's 302 `"Permitted"` answer with
/// `code` then `state` in the Location.
pub fn authorise_api(idp: &TestIdp, client: &str, redirect: &str) -> Authorised {
    let verifier = jose::random_token(32);
    let nonce = jose::random_token(16);
    let state = jose::random_token(12);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &jose::pkce_s256(&verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let r = idp
        .http()
        .get(&format!("{}/oauth2/authorise?{query}", idp.origin()));
    assert_eq!(r.status, 302, "authorise: {}", r.text());
    assert_eq!(r.text(), "\"Permitted\"");
    let location = url::Url::parse(r.header("location").expect("Location")).expect("URL");
    assert!(location.as_str().starts_with(redirect), "{location}");
    let q: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    assert_eq!(q[0].0, "code", "code first, as Kanidm");
    assert_eq!(q[1], ("state".to_string(), state.clone()));
    Authorised {
        code: q[0].1.clone(),
        state,
        verifier,
        nonce,
        location,
    }
}

/// `Authorization: Basic …` for client_secret_basic.
pub fn basic_auth(client: &str, secret: &str) -> String {
    let raw = format!("{client}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// `POST /oauth2/token` (authorization_code, client_secret_basic).
pub fn token_request(
    idp: &TestIdp,
    client: &str,
    secret: &str,
    code: &str,
    verifier: Option<&str>,
    redirect: &str,
) -> HttpResponse {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    let auth = basic_auth(client, secret);
    idp.http().post_form(
        &format!("{}/oauth2/token", idp.origin()),
        &form,
        &[("authorization", &auth)],
    )
}
