//! The authorisation-code flow of the test IdP: `/oauth2/authorise`, `/ui/oauth2` and
//! `/oauth2/token`, in kanidmd 1.11.1's order of checks (`server/lib/src/idm/oauth2.rs`):
//! authorise = response_type → client_id → redirect_uri → PKCE → session → scopes → consent;
//! token = client auth (401) → code → PKCE verifier (`invalid_request`) → redirect_uri
//! (`invalid_origin`). Codes are reusable until they expire (60 s), as Kanidm's stateless
//! codes are.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use super::idp::{ClientKeys, IdpConfig, KeyMap, SeenRequest, Shared, TestClient, TestUser, lock};
use super::idp_endpoints::{
    B_415, B_UI_ERROR, B_UI_LOGIN, CannedResponse, FIXTURE_OPID, H_415, H_API_EMPTY, H_UI_HTML,
    api_json, log, oauth_error, secs, signing_key, unauthorized,
};
use super::jose::{self, OrderedJson, SigningKey};

/// Kanidm: `OAUTH2_ACCESS_TOKEN_EXPIRY = 15 * 60`; exchange codes live 60 s.
pub const TOKEN_LIFETIME: u64 = 900;
pub const CODE_LIFETIME: u64 = 60;

struct CodeGrant {
    client: String,
    user: TestUser,
    redirect_uri: url::Url,
    challenge: Option<Vec<u8>>,
    scopes: BTreeSet<String>,
    nonce: Option<String>,
    expiry: u64,
}

pub(super) struct TokenGrant {
    pub(super) client: String,
    pub(super) claims: OrderedJson,
    pub(super) exp: u64,
}

/// Codes, tokens, keys and the IdP's "server log" (Kanidm's reasons for refusals).
pub(crate) struct FlowState {
    pub(super) keys: KeyMap,
    codes: HashMap<String, CodeGrant>,
    pub(super) tokens: HashMap<String, TokenGrant>,
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

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Front {
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

pub(super) fn authorise(
    shared: &Shared,
    cfg: &IdpConfig,
    req: &SeenRequest,
    front: Front,
) -> CannedResponse {
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

pub(super) fn token(shared: &Shared, cfg: &IdpConfig, req: &SeenRequest) -> CannedResponse {
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
