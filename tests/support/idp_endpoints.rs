//! Request dispatch of the test IdP: Kanidm 1.11.1's OAuth2/OIDC endpoints, shaped on the
//! captured fixtures in `tests/fixtures/kanidm/` (header sets, bodies, error matrix) and on
//! kanidmd's order of checks (`server/lib/src/idm/oauth2.rs`):
//! authorise = response_type → client_id → redirect_uri → PKCE → session → scopes → consent;
//! token = client auth (401) → code → PKCE verifier (`invalid_request`) → redirect_uri
//! (`invalid_origin`).
//!
//! To add a route or a misbehaviour, extend [`dispatch`] (or use `intercept` on the builder).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Value, json};

use super::idp::{ClientKeys, IdpConfig, KeyMap, SeenRequest, Shared, TestClient, TestUser, lock};
use super::jose::{self, OrderedJson, SigningKey};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../fixtures/kanidm/http/", $name))
    };
}

const H_API_JSON: &str = fixture!("discovery-netbox.headers");
const H_API_EMPTY: &str = fixture!("authorise/netbox-get-pkce-enforced-no-challenge.headers");
const H_API_401: &str = fixture!("userinfo-netbox-no-token.headers");
const H_UI_HTML: &str = fixture!("authorise/netbox-ui-get-pkce-enforced-no-challenge.headers");
const H_STATUS: &str = fixture!("status-get.headers");
const H_NOT_FOUND: &str = fixture!("discovery-netbox-double-slash.headers");
const H_405: &str = fixture!("token-endpoint-get.headers");
const H_415: &str = fixture!("token-endpoint-post-empty.headers");
const B_NOT_FOUND: &str = fixture!("discovery-netbox-double-slash.body");
const B_415: &str = fixture!("token-endpoint-post-empty.body");
const B_UI_ERROR: &str = fixture!("authorise/netbox-ui-get-pkce-enforced-no-challenge.body");
const B_UI_LOGIN: &str = fixture!("authorise/netbox-ui-get-no-pkce-unauthenticated.body");
const FIXTURE_OPID: &str = "b0715495-e42f-4a81-a69d-8d47a8d46340";

/// Kanidm: `OAUTH2_ACCESS_TOKEN_EXPIRY = 15 * 60`; exchange codes live 60 s.
pub const TOKEN_LIFETIME: u64 = 900;
pub const CODE_LIFETIME: u64 = 60;

/// One HTTP answer. Build these in an interceptor to make the IdP misbehave.
#[derive(Clone, Debug)]
pub struct CannedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Extra delay before this answer (on top of the IdP-wide `response_delay`).
    pub delay: Duration,
}

impl CannedResponse {
    pub fn new(status: u16) -> Self {
        CannedResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, value: &Value) -> Self {
        Self::new(status)
            .header("content-type", "application/json")
            .body(value.to_string())
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case(name) || name == "set-cookie");
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Headers of a captured Kanidm response (`*.headers` fixture), without the per-response
    /// ones (`content-length`, `date`); a fresh `x-kanidm-opid` if the capture had one.
    fn kanidm(status: u16, captured: &str) -> Self {
        let mut r = Self::new(status);
        for line in captured.lines().skip(1) {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" | "date" | "set-cookie" => {}
                "x-kanidm-opid" => r.headers.push((k, jose::random_uuid())),
                _ => r.headers.push((k, v.to_string())),
            }
        }
        r
    }

    fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| k != name);
        self
    }

    fn opid(&self) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k == "x-kanidm-opid")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub(crate) fn into_hyper(self, date: &str) -> hyper::Response<Full<Bytes>> {
        let mut builder = hyper::Response::builder().status(self.status);
        let has_date = self.headers.iter().any(|(k, _)| k == "date");
        for (k, v) in &self.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !has_date {
            builder = builder.header("date", date);
        }
        builder
            .body(Full::new(Bytes::from(self.body)))
            .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
    }
}

fn api_json(status: u16, body: String) -> CannedResponse {
    CannedResponse::kanidm(status, H_API_JSON).body(body)
}

fn oauth_error(status: u16, code: &str) -> CannedResponse {
    api_json(status, json!({ "error": code }).to_string())
}

fn unauthorized() -> CannedResponse {
    CannedResponse::kanidm(401, H_API_401)
}

struct CodeGrant {
    client: String,
    user: TestUser,
    redirect_uri: url::Url,
    challenge: Option<Vec<u8>>,
    scopes: BTreeSet<String>,
    nonce: Option<String>,
    expiry: u64,
}

struct TokenGrant {
    client: String,
    claims: OrderedJson,
    exp: u64,
}

/// Codes, tokens, keys and the IdP's "server log" (Kanidm's reasons for refusals).
pub(crate) struct FlowState {
    keys: KeyMap,
    codes: HashMap<String, CodeGrant>,
    tokens: HashMap<String, TokenGrant>,
    pub log: Vec<String>,
}

impl FlowState {
    pub(crate) fn new(config: &IdpConfig) -> Self {
        let mut keys = KeyMap::new();
        for c in &config.clients {
            let entry: &mut ClientKeys = keys.entry(c.name.clone()).or_default();
            entry.es256 = Some(Arc::new(SigningKey::generate_es256()));
            if c.legacy_crypto {
                entry.rs256 = Some(Arc::new(SigningKey::generate_rs256()));
            }
        }
        FlowState {
            keys,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            log: Vec::new(),
        }
    }
}

fn signing_key(shared: &Shared, client: &TestClient) -> Arc<SigningKey> {
    let mut flow = lock(&shared.flow);
    let keys = flow.keys.entry(client.name.clone()).or_default();
    let slot = if client.legacy_crypto {
        &mut keys.rs256
    } else {
        &mut keys.es256
    };
    slot.get_or_insert_with(|| {
        Arc::new(if client.legacy_crypto {
            SigningKey::generate_rs256()
        } else {
            SigningKey::generate_es256()
        })
    })
    .clone()
}

fn log(shared: &Shared, line: String) {
    lock(&shared.flow).log.push(line);
}

fn secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The request dispatcher.
pub(crate) fn dispatch(shared: &Shared, req: &SeenRequest) -> CannedResponse {
    let cfg = lock(&shared.config).clone();
    let segments: Vec<&str> = req.path.split('/').skip(1).collect();
    let client = |name: &str| cfg.client(name).cloned();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET" | "HEAD", ["status"]) => CannedResponse::kanidm(200, H_STATUS).body("true"),
        ("GET", ["oauth2", "openid", c, ".well-known", "openid-configuration"])
        | ("GET", [".well-known", "openid-configuration", "oauth2", "openid", c]) => {
            match client(c) {
                Some(c) => api_json(200, discovery(shared, &c).to_json_string()),
                None => no_matching_entries(),
            }
        }
        (
            "GET",
            [
                "oauth2",
                "openid",
                c,
                ".well-known",
                "oauth-authorization-server",
            ],
        ) => match client(c) {
            Some(c) => api_json(200, rfc8414(shared, &c).to_json_string()),
            None => no_matching_entries(),
        },
        ("GET", ["oauth2", "openid", c, "public_key.jwk"]) => match jwks_value(shared, c) {
            Some(v) => api_json(200, v.to_string()),
            None => no_matching_entries(),
        },
        ("GET" | "POST", ["oauth2", "openid", c, "userinfo"]) => userinfo(shared, &cfg, c, req),
        ("GET", ["oauth2", "authorise"]) => authorise(shared, &cfg, req, Front::ApiGet),
        ("POST", ["oauth2", "authorise"]) => authorise(shared, &cfg, req, Front::ApiPost),
        ("GET", ["ui", "oauth2"]) => authorise(shared, &cfg, req, Front::Ui),
        ("POST", ["oauth2", "token"]) => token(shared, &cfg, req),
        (_, ["oauth2", "token"]) => CannedResponse::kanidm(405, H_405),
        _ => CannedResponse::kanidm(404, H_NOT_FOUND).body(B_NOT_FOUND),
    }
}

fn no_matching_entries() -> CannedResponse {
    api_json(404, "\"nomatchingentries\"".to_string())
}

fn scopes_supported(c: &TestClient) -> Value {
    let set: BTreeSet<&String> = c.scope_map.iter().collect();
    json!(set)
}

fn alg_of(c: &TestClient) -> &'static str {
    if c.legacy_crypto { "RS256" } else { "ES256" }
}

/// `discovery-netbox.json` (PKCE off) / `discovery-strict.json` (PKCE on), key for key.
fn discovery(shared: &Shared, c: &TestClient) -> OrderedJson {
    let o = &shared.origin;
    let iss = format!("{o}/oauth2/openid/{}", c.name);
    let mut d = OrderedJson::new();
    d.set("issuer", iss.clone())
        .set("authorization_endpoint", format!("{o}/ui/oauth2"))
        .set("token_endpoint", format!("{o}/oauth2/token"))
        .set("userinfo_endpoint", format!("{iss}/userinfo"))
        .set("jwks_uri", format!("{iss}/public_key.jwk"))
        .set("scopes_supported", scopes_supported(c))
        .set("response_types_supported", json!(["code"]))
        .set("response_modes_supported", json!(["query", "fragment"]))
        .set(
            "grant_types_supported",
            json!([
                "authorization_code",
                "urn:ietf:params:oauth:grant-type:token-exchange"
            ]),
        )
        .set("subject_types_supported", json!(["public"]))
        .set("id_token_signing_alg_values_supported", json!([alg_of(c)]))
        .set(
            "token_endpoint_auth_methods_supported",
            json!(["client_secret_basic", "client_secret_post"]),
        )
        .set("display_values_supported", json!(["page"]))
        .set("claim_types_supported", json!(["normal"]))
        .set(
            "service_documentation",
            "https://kanidm.github.io/kanidm/master/integrations/oauth2.html",
        )
        .set("claims_parameter_supported", false)
        .set("request_parameter_supported", false)
        .set("request_uri_parameter_supported", false)
        .set("require_request_uri_registration", false)
        .set("code_challenge_methods_supported", pkce_methods(c))
        .set("revocation_endpoint", format!("{o}/oauth2/token/revoke"))
        .set(
            "revocation_endpoint_auth_methods_supported",
            json!(["none"]),
        )
        .set(
            "introspection_endpoint",
            format!("{o}/oauth2/token/introspect"),
        )
        .set(
            "introspection_endpoint_auth_methods_supported",
            json!(["none"]),
        );
    d
}

fn pkce_methods(c: &TestClient) -> Value {
    if c.pkce_enforced {
        json!(["S256"])
    } else {
        json!([])
    }
}

/// `rfc8414-netbox.json`: discovery minus the OIDC-only members.
fn rfc8414(shared: &Shared, c: &TestClient) -> OrderedJson {
    let mut d = discovery(shared, c);
    for k in [
        "userinfo_endpoint",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "display_values_supported",
        "claim_types_supported",
        "claims_parameter_supported",
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "require_request_uri_registration",
    ] {
        d.remove(k);
    }
    let methods = d.get("code_challenge_methods_supported").cloned();
    d.remove("code_challenge_methods_supported");
    d.set(
        "code_challenge_methods_supported",
        methods.unwrap_or(json!([])),
    );
    d
}

pub(crate) fn jwks_value(shared: &Shared, client_name: &str) -> Option<Value> {
    let c = lock(&shared.config).client(client_name).cloned()?;
    let key = signing_key(shared, &c);
    Some(json!({ "keys": [key.public_jwk(c.jwk_alg).to_value()] }))
}

#[derive(Clone, Copy, PartialEq)]
enum Front {
    ApiGet,
    ApiPost,
    Ui,
}

enum Outcome {
    /// Missing/unparsable parameter (axum extractor rejection, text body).
    Rejected(String),
    Error(&'static str),
    AuthenticationRequired(TestClient),
    AccessDenied,
    Consent(TestClient, BTreeSet<String>),
    Permitted(url::Url),
}

fn authorise(shared: &Shared, cfg: &IdpConfig, req: &SeenRequest, front: Front) -> CannedResponse {
    let params: HashMap<String, String> = if front == Front::ApiPost {
        match serde_json::from_slice::<serde_json::Map<String, Value>>(&req.body) {
            Ok(m) => m
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect(),
            Err(e) => return CannedResponse::new(400).body(format!("Invalid JSON body: {e}")),
        }
    } else {
        req.query_pairs().into_iter().collect()
    };
    let outcome = authorise_check(shared, cfg, &params);
    let ui_page = |body: String| CannedResponse::kanidm(200, H_UI_HTML).body(body);
    match (outcome, front) {
        (Outcome::Rejected(text), _) => CannedResponse::new(400)
            .header("content-type", "text/plain; charset=utf-8")
            .body(text),
        (Outcome::Error(code), Front::Ui) => {
            let r = ui_page(String::new());
            let opid = r.opid();
            log(
                shared,
                format!("Unable to authorise - Error ID: {opid} error: {code}"),
            );
            let body = B_UI_ERROR
                .replace(FIXTURE_OPID, &opid)
                .replace("Kanidm localhost", &format!("Kanidm {}", cfg.domain));
            r.body(body)
        }
        (Outcome::Error(code), _) => {
            let r = CannedResponse::kanidm(400, H_API_EMPTY);
            log(
                shared,
                format!("Unable to authorise - Error ID: {} error: {code}", r.opid()),
            );
            r
        }
        (Outcome::AuthenticationRequired(c), Front::Ui) => ui_page(
            B_UI_LOGIN
                .replace(
                    "Authenticate to access NetBox",
                    &format!("Authenticate to access {}", c.display_name),
                )
                .replace("Kanidm localhost", &format!("Kanidm {}", cfg.domain)),
        ),
        (Outcome::AuthenticationRequired(_), _) => unauthorized(),
        (Outcome::AccessDenied, Front::Ui) => {
            // Kanidm renders its oauth2_access_denied template here (not captured).
            let r = ui_page(String::new());
            let body = B_UI_ERROR
                .replace(FIXTURE_OPID, &r.opid())
                .replace("Error Code: InvalidState", "Error Code: AccessDenied")
                .replace("Kanidm localhost", &format!("Kanidm {}", cfg.domain));
            r.body(body)
        }
        (Outcome::AccessDenied, _) => CannedResponse::kanidm(403, H_API_EMPTY),
        (Outcome::Consent(c, scopes), Front::Ui) => ui_page(format!(
            "<!DOCTYPE html><html><body><h2>Consent to Proceed to {}</h2>\
             <p>Scopes: {}</p></body></html>",
            c.display_name,
            scopes.into_iter().collect::<Vec<_>>().join(" ")
        )),
        (Outcome::Consent(c, scopes), _) => {
            let pii: Vec<&str> = if scopes.contains("email") {
                vec!["email", "email_verified"]
            } else {
                vec![]
            };
            let body = json!({"ConsentRequested": {
                "client_name": c.display_name, "scopes": scopes, "pii_scopes": pii,
                "consent_token": jose::random_token(48)}});
            CannedResponse::kanidm(200, H_API_EMPTY)
                .without("access-control-allow-origin")
                .body(body.to_string())
        }
        (Outcome::Permitted(location), front) => {
            let origin = location.origin().ascii_serialization();
            let (status, base) = match front {
                Front::ApiGet => (302, H_API_EMPTY),
                Front::ApiPost => (200, H_API_EMPTY),
                // axum's Redirect::to (kanidm views/oauth2.rs) is a 303.
                Front::Ui => (303, H_UI_HTML),
            };
            let mut r = CannedResponse::kanidm(status, base)
                .header("location", location.as_str())
                .header("access-control-allow-origin", &origin);
            if front == Front::Ui {
                r = r
                    .without("content-type")
                    .header("hx-redirect", location.as_str());
            } else {
                r = r.body("\"Permitted\"");
            }
            r
        }
    }
}

fn authorise_check(shared: &Shared, cfg: &IdpConfig, p: &HashMap<String, String>) -> Outcome {
    let get = |k: &str| p.get(k).map(String::as_str);
    for field in ["response_type", "client_id", "redirect_uri"] {
        if get(field).is_none() {
            return Outcome::Rejected(format!(
                "Failed to deserialize query string: missing field `{field}`"
            ));
        }
    }
    let Ok(redirect_uri) = url::Url::parse(get("redirect_uri").unwrap_or_default()) else {
        return Outcome::Rejected(
            "Failed to deserialize query string: invalid redirect_uri".into(),
        );
    };
    if get("response_type") != Some("code") {
        log(
            shared,
            "Unsupported OAuth2 response_type (should be 'code')".into(),
        );
        return Outcome::Error("unsupported_response_type");
    }
    let mode = get("response_mode").unwrap_or("query");
    if !matches!(mode, "query" | "fragment" | "form_post") {
        return Outcome::Error("invalid_request");
    }
    let client_id = get("client_id").unwrap_or_default();
    let Some(c) = cfg.client(client_id).cloned() else {
        log(
            shared,
            format!(
                "Invalid OAuth2 client_id ({client_id}) Have you configured the OAuth2 resource server?"
            ),
        );
        return Outcome::Error("invalid_client_id");
    };
    let registered: Vec<url::Url> = c
        .redirect_urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .collect();
    let matched = if c.strict_redirect {
        registered.contains(&redirect_uri)
    } else {
        registered
            .iter()
            .any(|u| u.origin() == redirect_uri.origin())
    };
    if !matched {
        log(
            shared,
            format!(
                "Invalid OAuth2 redirect_uri (must be an exact match to a redirect-url) - got {redirect_uri} from client but configured uris do not match (check oauth2_rs_origin entries)"
            ),
        );
        return Outcome::Error("invalid_origin");
    }
    // Kanidm's PkceRequest only deserialises with code_challenge_method=S256; anything else
    // (plain, missing) reads as "no challenge" (fixture strict-get-pkce-plain-method).
    let challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (Some(ch), Some("S256")) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(ch)
            .ok(),
        _ => None,
    };
    if challenge.is_none() && c.pkce_enforced {
        log(
            shared,
            format!(
                "No PKCE code challenge was provided with client in enforced PKCE mode | o2rs.name: \"{}\"",
                c.name
            ),
        );
        return Outcome::Error("invalid_request");
    }
    let Some(user) = cfg.user().cloned() else {
        return Outcome::AuthenticationRequired(c);
    };
    let scopes: BTreeSet<String> = get("scope")
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if scopes.is_empty() {
        return Outcome::Error("invalid_request");
    }
    if !scopes.iter().all(|s| c.scope_map.contains(s)) {
        log(
            shared,
            "Identity does not have access to the requested scopes".into(),
        );
        return Outcome::AccessDenied;
    }
    if c.consent_prompt {
        return Outcome::Consent(c, scopes);
    }
    let code = jose::random_token(48);
    let now = secs(cfg.now());
    lock(&shared.flow).codes.insert(
        code.clone(),
        CodeGrant {
            client: c.name.clone(),
            user,
            redirect_uri: redirect_uri.clone(),
            challenge,
            scopes,
            nonce: get("nonce").map(str::to_string),
            expiry: now + CODE_LIFETIME,
        },
    );
    let mut location = redirect_uri;
    location.set_fragment(None);
    if mode == "fragment" {
        let mut f = url::form_urlencoded::Serializer::new(String::new());
        f.append_pair("code", &code);
        if let Some(state) = get("state") {
            f.append_pair("state", state);
        }
        location.set_query(None);
        location.set_fragment(Some(&f.finish()));
    } else {
        location.query_pairs_mut().append_pair("code", &code);
        if let Some(state) = get("state") {
            location.query_pairs_mut().append_pair("state", state);
        }
    }
    Outcome::Permitted(location)
}

fn token(shared: &Shared, cfg: &IdpConfig, req: &SeenRequest) -> CannedResponse {
    let form_ct = req
        .header("content-type")
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_ct {
        return CannedResponse::kanidm(415, H_415).body(B_415);
    }
    let form: HashMap<String, String> = req.form_pairs().into_iter().collect();
    let get = |k: &str| form.get(k).map(String::as_str);

    // Client authentication: Basic first, then client_secret_post.
    let basic = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let (client_id, secret) = match basic {
        Some(pair) => pair,
        None => match (get("client_id"), get("client_secret")) {
            (Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
            _ => return unauthorized(),
        },
    };
    let Some(c) = cfg.client(&client_id).cloned() else {
        return unauthorized();
    };
    if c.secret != secret {
        log(shared, "Invalid OAuth2 client_id secret".into());
        return unauthorized();
    }
    if get("grant_type") != Some("authorization_code") {
        return oauth_error(400, "unsupported_grant_type");
    }
    let (Some(code), Some(redirect_uri)) = (get("code"), get("redirect_uri")) else {
        return CannedResponse::new(422)
            .header("content-type", "text/plain; charset=utf-8")
            .body("Failed to deserialize form body: missing field");
    };
    let now = secs(cfg.now());
    let flow = lock(&shared.flow);
    let Some(grant) = flow.codes.get(code).filter(|g| g.client == c.name) else {
        drop(flow);
        log(shared, "Failed to decrypt token exchange request".into());
        return oauth_error(400, "invalid_request");
    };
    let verifier = get("code_verifier");
    let problem = if grant.expiry <= now {
        Some(("invalid_request", "Expired token exchange request"))
    } else if let Some(challenge) = &grant.challenge {
        match verifier {
            None => Some((
                "invalid_request",
                "PKCE code verification failed - code challenge is present, but no verifier was provided",
            )),
            Some(v) if jose::pkce_s256(v) != jose::b64url(challenge) => Some((
                "invalid_request",
                "PKCE code verification failed - this may indicate malicious activity",
            )),
            Some(_) => None,
        }
    } else if c.pkce_enforced {
        Some((
            "invalid_request",
            "PKCE code verification failed - no code challenge present in PKCE enforced mode",
        ))
    } else if verifier.is_some() {
        Some((
            "invalid_request",
            "PKCE code verification failed - a code verifier is present, but no code challenge in exchange",
        ))
    } else {
        None
    };
    // Then the redirect_uri must equal the authorise request's.
    let problem = problem.or_else(|| {
        (url::Url::parse(redirect_uri).ok().as_ref() != Some(&grant.redirect_uri)).then_some((
            "invalid_origin",
            "Invalid OAuth2 redirect_uri (differs from original request uri)",
        ))
    });
    if let Some((code, reason)) = problem {
        drop(flow);
        log(shared, reason.to_string());
        return oauth_error(400, code);
    }
    let (user, scopes, nonce) = (
        grant.user.clone(),
        grant.scopes.clone(),
        grant.nonce.clone(),
    );
    drop(flow); // codes stay valid until expiry: Kanidm's are stateless and reusable.
    issue_tokens(shared, cfg, &c, &user, &scopes, nonce)
}

fn issue_tokens(
    shared: &Shared,
    cfg: &IdpConfig,
    c: &TestClient,
    user: &TestUser,
    scopes: &BTreeSet<String>,
    nonce: Option<String>,
) -> CannedResponse {
    let key = signing_key(shared, c);
    let iat = secs(cfg.now());
    let exp = iat + TOKEN_LIFETIME;
    let iss = format!("{}/oauth2/openid/{}", shared.origin, c.name);
    let session_id = jose::random_uuid();
    let scope_list: Vec<&String> = scopes.iter().collect();
    let scope_str = scope_list
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");

    // ID token claims, order as flow/decoded-token-claims.json.
    let mut id = OrderedJson::new();
    id.set("iss", iss.clone())
        .set("sub", user.uuid.clone())
        .set("aud", c.name.clone())
        .set("exp", exp)
        .set("nbf", iat)
        .set("iat", iat)
        .set("auth_time", iat);
    if let Some(n) = &nonce {
        id.set("nonce", n.clone());
    }
    id.set("azp", c.name.clone())
        .set("jti", session_id.clone())
        .set("scopes", json!(scope_list))
        .set("name", user.display_name.clone());
    let username = if c.short_username {
        user.name.clone()
    } else {
        format!("{}@{}", user.name, cfg.domain)
    };
    id.set("preferred_username", username);
    if let (true, Some(mail)) = (scopes.contains("email"), &user.email) {
        id.set("email", mail.clone()).set("email_verified", true);
    }
    id.set("updated_at", iat);
    for (k, v) in &cfg.id_token_set {
        id.set(k, v.clone());
    }
    for k in &cfg.id_token_omit {
        id.remove(k);
    }

    let mut at = OrderedJson::new();
    at.set("iss", iss)
        .set("sub", user.uuid.clone())
        .set("aud", c.name.clone())
        .set("exp", exp)
        .set("nbf", iat)
        .set("iat", iat)
        .set("jti", session_id.clone())
        .set("client_id", c.name.clone())
        .set("auth_time", iat)
        .set("scope", scope_str.clone());
    if let Some(n) = &nonce {
        at.set("nonce", n.clone());
    }
    at.set("session_id", session_id)
        .set("parent_session_id", jose::random_uuid());
    let access_token = key.sign(&[("typ", "at+jwt")], &at);

    lock(&shared.flow).tokens.insert(
        access_token.clone(),
        TokenGrant {
            client: c.name.clone(),
            claims: id.clone(),
            exp,
        },
    );
    let mut body = OrderedJson::new();
    body.set("access_token", access_token)
        .set("token_type", "Bearer")
        .set(
            "issued_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        )
        .set("expires_in", TOKEN_LIFETIME)
        .set("refresh_token", jose::random_token(96))
        .set("scope", scope_str);
    if scopes.contains("openid") {
        body.set("id_token", key.sign(&[], &id));
    }
    api_json(200, body.to_json_string())
}

fn userinfo(shared: &Shared, cfg: &IdpConfig, client: &str, req: &SeenRequest) -> CannedResponse {
    let Some(token) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return unauthorized();
    };
    let flow = lock(&shared.flow);
    match flow.tokens.get(token.trim()) {
        Some(g) if g.client == client.to_ascii_lowercase() && g.exp > secs(cfg.now()) => {
            api_json(200, g.claims.to_json_string())
        }
        _ => unauthorized(),
    }
}
