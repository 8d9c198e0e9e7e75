//! Request dispatch of the test IdP: Kanidm 1.11.1's OAuth2/OIDC endpoints, shaped on the
//! captured fixtures in `tests/fixtures/kanidm/` (header sets, bodies, error matrix) and on
//! kanidmd's order of checks (`server/lib/src/idm/oauth2.rs`):
//! authorise = response_type → client_id → redirect_uri → PKCE → session → scopes → consent;
//! token = client auth (401) → code → PKCE verifier (`invalid_request`) → redirect_uri
//! (`invalid_origin`).
//!
//! The authorise and token endpoints live in `idp_flow.rs`. To add a route or a
//! misbehaviour, extend [`dispatch`] (or use `intercept` on the builder).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Value, json};

use super::idp::{IdpConfig, SeenRequest, Shared, TestClient, lock};
pub(crate) use super::idp_flow::FlowState;
use super::idp_flow::{Front, authorise, token};
use super::jose::{self, OrderedJson, SigningKey};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/kanidm/http/",
            $name
        ))
    };
}

pub(super) const H_API_JSON: &str = fixture!("discovery-netbox.headers");
pub(super) const H_API_EMPTY: &str =
    fixture!("authorise/netbox-get-pkce-enforced-no-challenge.headers");
pub(super) const H_API_401: &str = fixture!("userinfo-netbox-no-token.headers");
pub(super) const H_UI_HTML: &str =
    fixture!("authorise/netbox-ui-get-pkce-enforced-no-challenge.headers");
pub(super) const H_STATUS: &str = fixture!("status-get.headers");
pub(super) const H_NOT_FOUND: &str = fixture!("discovery-netbox-double-slash.headers");
pub(super) const H_405: &str = fixture!("token-endpoint-get.headers");
pub(super) const H_415: &str = fixture!("token-endpoint-post-empty.headers");
pub(super) const B_NOT_FOUND: &str = fixture!("discovery-netbox-double-slash.body");
pub(super) const B_415: &str = fixture!("token-endpoint-post-empty.body");
pub(super) const B_UI_ERROR: &str =
    fixture!("authorise/netbox-ui-get-pkce-enforced-no-challenge.body");
pub(super) const B_UI_LOGIN: &str =
    fixture!("authorise/netbox-ui-get-no-pkce-unauthenticated.body");
pub(super) const FIXTURE_OPID: &str = "b0715495-e42f-4a81-a69d-8d47a8d46340";

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
    pub(super) fn kanidm(status: u16, captured: &str) -> Self {
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

    /// Sets a header the answer already has to another value.
    pub(super) fn replace_header(&mut self, name: &str, value: &str) {
        for (k, v) in &mut self.headers {
            if k == name {
                *v = value.to_string();
            }
        }
    }

    pub(super) fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| k != name);
        self
    }

    pub(super) fn opid(&self) -> String {
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

pub(super) fn api_json(status: u16, body: String) -> CannedResponse {
    CannedResponse::kanidm(status, H_API_JSON).body(body)
}

pub(super) fn oauth_error(status: u16, code: &str) -> CannedResponse {
    api_json(status, json!({ "error": code }).to_string())
}

pub(super) fn unauthorized() -> CannedResponse {
    CannedResponse::kanidm(401, H_API_401)
}

pub(super) fn signing_key(shared: &Shared, client: &TestClient) -> Arc<SigningKey> {
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

pub(super) fn log(shared: &Shared, line: String) {
    lock(&shared.flow).log.push(line);
}

pub(super) fn secs(t: std::time::SystemTime) -> u64 {
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
