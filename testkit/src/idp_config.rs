//! Configuration and request records of the test IdP (see `idp.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::idp_endpoints::CannedResponse;
use super::jose::SigningKey;

/// The default client secret (48 lowercase alphanumerics, like Kanidm's basic secrets).
pub const DEFAULT_SECRET: &str = "s3cr3tnbsso0test0secret0value0for0kanidm0client0";
pub const DEFAULT_REDIRECT: &str = "https://netbox.example.com/oauth/complete/oidc/";

/// A Kanidm person.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub uuid: String,
    /// Short name; the SPN is `name@<domain>`.
    pub name: String,
    pub display_name: String,
    /// Primary mail; `email`/`email_verified` are sent only with the `email` scope.
    pub email: Option<String>,
}

impl TestUser {
    pub fn alice() -> Self {
        TestUser {
            uuid: "6f1b7c1e-2a55-4d53-9a3e-0c2f4b8d9e71".to_string(),
            name: "alice".to_string(),
            display_name: "Alice Example".to_string(),
            email: Some("alice@example.com".to_string()),
        }
    }
}

/// One OAuth2 client ("resource server") as `kanidm system oauth2` configures it.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub name: String,
    pub display_name: String,
    pub secret: String,
    /// `oauth2_rs_origin` values (`add-redirect-url`).
    pub redirect_urls: Vec<String>,
    /// Scopes the logged-in user's groups map to (`update-scope-map`).
    pub scope_map: Vec<String>,
    /// PKCE enforced (Kanidm default). `false` = `warning-insecure-client-disable-pkce`.
    pub pkce_enforced: bool,
    /// RS256 instead of ES256 (`warning-enable-legacy-crypto`).
    pub legacy_crypto: bool,
    /// Publish `alg` in the JWK (Kanidm does).
    pub jwk_alg: bool,
    /// `prefer-short-username`.
    pub short_username: bool,
    /// Exact redirect match (Kanidm default since 1.4). `false` = origin match.
    pub strict_redirect: bool,
    /// Ask for consent instead of redirecting (Kanidm's default; off here: consented).
    pub consent_prompt: bool,
}

impl TestClient {
    pub fn new(name: &str, secret: &str) -> Self {
        TestClient {
            name: name.to_ascii_lowercase(),
            display_name: name.to_string(),
            secret: secret.to_string(),
            redirect_urls: Vec::new(),
            scope_map: vec!["email".into(), "openid".into(), "profile".into()],
            pkce_enforced: true,
            legacy_crypto: false,
            jwk_alg: true,
            short_username: false,
            strict_redirect: true,
            consent_prompt: false,
        }
    }
}

/// A request as the IdP received it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let q = self.query.as_deref().unwrap_or("");
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Pairs of an `application/x-www-form-urlencoded` body.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    pub fn form_param(&self, name: &str) -> Option<String> {
        self.form_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// Replaces the IdP's answer when it returns `Some` (to make the server misbehave).
pub type Interceptor = Arc<dyn Fn(&SeenRequest) -> Option<CannedResponse> + Send + Sync>;

/// Everything that decides how the IdP answers. Change it at run time with
/// [`TestIdp::configure`].
#[derive(Clone)]
pub struct IdpConfig {
    /// Kanidm domain (SPN suffix, page titles). The fixtures use `localhost`.
    pub domain: String,
    pub clients: Vec<TestClient>,
    pub users: Vec<TestUser>,
    /// Name of the user with a session; `None` = nobody logged in.
    pub logged_in: Option<String>,
    /// IdP clock minus real clock, in ms (positive = IdP ahead).
    pub clock_offset_ms: i64,
    /// Added before every answer.
    pub response_delay: Duration,
    /// ID token claims set (or replaced) after the Kanidm ones are built.
    pub id_token_set: Vec<(String, Value)>,
    /// ID token claims removed.
    pub id_token_omit: Vec<String>,
    pub interceptor: Option<Interceptor>,
    /// Replaces the captured `x-kanidm-version` header (1.11.1) on every answer that has one.
    pub server_version: Option<String>,
}

impl IdpConfig {
    pub fn client(&self, name: &str) -> Option<&TestClient> {
        let name = name.to_ascii_lowercase();
        self.clients.iter().find(|c| c.name == name)
    }

    pub fn user(&self) -> Option<&TestUser> {
        let name = self.logged_in.as_deref()?;
        self.users.iter().find(|u| u.name == name)
    }

    /// The IdP's clock.
    pub fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        let offset = Duration::from_millis(self.clock_offset_ms.unsigned_abs());
        if self.clock_offset_ms >= 0 {
            now + offset
        } else {
            now - offset
        }
    }
}

/// Per-client signing keys, made on first use (RS256 only when legacy crypto is on).
#[derive(Default)]
pub(crate) struct ClientKeys {
    pub es256: Option<Arc<SigningKey>>,
    pub rs256: Option<Arc<SigningKey>>,
}

pub(crate) type KeyMap = HashMap<String, ClientKeys>;
