//! A Kanidm-shaped OpenID Connect provider for integration tests.
//!
//! It serves real TLS on `127.0.0.1:<ephemeral>` with a server certificate issued by a
//! throw-away CA (SANs `127.0.0.1` and `localhost`; the CA PEM is written into a tempdir
//! owned by the handle), and answers like kanidmd 1.11.1 does (shapes taken from
//! `tests/fixtures/kanidm/`; routes in `idp_endpoints.rs`, the code flow in `idp_flow.rs`,
//! settings in `idp_config.rs`). Defaults are Kanidm's, for a user who
//! is logged in and has already consented:
//!
//! * ES256 ID tokens with `kid`, JWK with `alg` (switch: `legacy_crypto` → RS256, `jwk_alg`);
//! * PKCE S256 enforced (switch: `pkce(false)` → `code_challenge_methods_supported: []`);
//! * exact redirect URL match; every requested scope must be in the scope map;
//! * `sub` = person UUID, `preferred_username` = SPN `name@domain` (switch: `short_username`);
//! * `iat = nbf = auth_time` = whole seconds of the IdP clock, `exp = iat + 900`;
//! * `clock_offset_ms` (positive = IdP ahead) moves token times and the `Date` header;
//! * `response_delay` delays every answer (half before the `Date` is stamped, half after, like
//!   network latency); `intercept` lets a test replace any answer.
//!
//! The server runs on its own thread and runtime, so it works from sync and async tests
//! alike (a test may block on a child process while the IdP answers). Dropping the handle
//! stops it.
//!
//! ```ignore
//! let idp = TestIdp::builder()
//!     .client("netbox", "s3cret")
//!     .redirect_url("https://netbox.example.com/oauth/complete/oidc/")
//!     .user(TestUser::alice())
//!     .start()
//!     .await;
//! ```

use std::convert::Infallible;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::https::HttpsClient;
pub(crate) use super::idp_config::{ClientKeys, KeyMap};
pub use super::idp_config::{
    DEFAULT_REDIRECT, DEFAULT_SECRET, IdpConfig, Interceptor, SeenRequest, TestClient, TestUser,
};
pub use super::idp_endpoints::CannedResponse;
use super::idp_endpoints::{self, FlowState};

pub struct TestIdpBuilder {
    config: IdpConfig,
}

impl TestIdpBuilder {
    fn current(&mut self) -> &mut TestClient {
        if self.config.clients.is_empty() {
            self.config
                .clients
                .push(TestClient::new("netbox", DEFAULT_SECRET));
        }
        let last = self.config.clients.len() - 1;
        &mut self.config.clients[last]
    }

    /// Add a client; the client settings below apply to the last client added (a
    /// `netbox` client with [`DEFAULT_SECRET`] is created if none was).
    pub fn client(mut self, name: &str, secret: &str) -> Self {
        self.config.clients.push(TestClient::new(name, secret));
        self
    }

    pub fn display_name(mut self, name: &str) -> Self {
        self.current().display_name = name.to_string();
        self
    }

    pub fn redirect_url(mut self, url: &str) -> Self {
        self.current().redirect_urls.push(url.to_string());
        self
    }

    pub fn scope_map(mut self, scopes: &[&str]) -> Self {
        self.current().scope_map = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn pkce(mut self, enforced: bool) -> Self {
        self.current().pkce_enforced = enforced;
        self
    }

    pub fn legacy_crypto(mut self, rs256: bool) -> Self {
        self.current().legacy_crypto = rs256;
        self
    }

    pub fn jwk_alg(mut self, publish: bool) -> Self {
        self.current().jwk_alg = publish;
        self
    }

    pub fn short_username(mut self, short: bool) -> Self {
        self.current().short_username = short;
        self
    }

    pub fn strict_redirect(mut self, strict: bool) -> Self {
        self.current().strict_redirect = strict;
        self
    }

    pub fn consent_prompt(mut self, prompt: bool) -> Self {
        self.current().consent_prompt = prompt;
        self
    }

    /// Add a person; the first one added is the logged-in user.
    pub fn user(mut self, user: TestUser) -> Self {
        if self.config.users.is_empty() && self.config.logged_in.is_none() {
            self.config.logged_in = Some(user.name.clone());
        }
        self.config.users.push(user);
        self
    }

    /// Which user has a session (`None` = logged out: authorise answers 401 / login page).
    pub fn logged_in(mut self, name: Option<&str>) -> Self {
        self.config.logged_in = name.map(str::to_string);
        self
    }

    pub fn domain(mut self, domain: &str) -> Self {
        self.config.domain = domain.to_string();
        self
    }

    pub fn clock_offset_ms(mut self, ms: i64) -> Self {
        self.config.clock_offset_ms = ms;
        self
    }

    /// The release Kanidm names in its `x-kanidm-version` header (the captures say 1.11.1).
    pub fn server_version(mut self, version: &str) -> Self {
        self.config.server_version = Some(version.to_string());
        self
    }

    pub fn response_delay(mut self, delay: Duration) -> Self {
        self.config.response_delay = delay;
        self
    }

    pub fn id_token_claim(mut self, name: &str, value: Value) -> Self {
        self.config.id_token_set.push((name.to_string(), value));
        self
    }

    pub fn id_token_omit(mut self, name: &str) -> Self {
        self.config.id_token_omit.push(name.to_string());
        self
    }

    pub fn intercept(
        mut self,
        f: impl Fn(&SeenRequest) -> Option<CannedResponse> + Send + Sync + 'static,
    ) -> Self {
        self.config.interceptor = Some(Arc::new(f));
        self
    }

    /// Kanidm's REST API at `path`: `body` (JSON) for the token `tok-idm-admin`, 403 for
    /// `tok-admin` (a login without the rights), 401 for anything else.
    pub fn rest_api(self, path: &'static str, body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        self.intercept(move |req| {
            if req.path != path {
                return None;
            }
            Some(match req.header("authorization").unwrap_or_default() {
                "Bearer tok-idm-admin" => CannedResponse::new(200)
                    .header("content-type", "application/json")
                    .body(body.clone()),
                "Bearer tok-admin" => CannedResponse::new(403).body("\"accessdenied\""),
                _ => CannedResponse::new(401).body("\"notauthenticated\""),
            })
        })
    }

    /// Start serving (the work happens on the IdP's own thread; this returns once the
    /// port is bound).
    pub async fn start(self) -> TestIdp {
        self.start_blocking()
    }

    pub fn start_blocking(mut self) -> TestIdp {
        if self.config.clients.is_empty() {
            self = self.client("netbox", DEFAULT_SECRET);
        }
        for client in &mut self.config.clients {
            if client.redirect_urls.is_empty() {
                client.redirect_urls.push(DEFAULT_REDIRECT.to_string());
            }
        }
        if self.config.users.is_empty() {
            self = self.user(TestUser::alice());
        }
        TestIdp::spawn(self.config)
    }
}

pub(crate) struct Shared {
    pub origin: String,
    pub config: Mutex<IdpConfig>,
    pub seen: Mutex<Vec<SeenRequest>>,
    pub flow: Mutex<FlowState>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct TestIdp {
    shared: Arc<Shared>,
    port: u16,
    ca_pem: String,
    ca_pem_path: PathBuf,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestIdp {
    pub fn builder() -> TestIdpBuilder {
        TestIdpBuilder {
            config: IdpConfig {
                domain: "localhost".to_string(),
                clients: Vec::new(),
                users: Vec::new(),
                logged_in: None,
                clock_offset_ms: 0,
                response_delay: Duration::ZERO,
                id_token_set: Vec::new(),
                id_token_omit: Vec::new(),
                interceptor: None,
                server_version: None,
            },
        }
    }

    fn spawn(config: IdpConfig) -> TestIdp {
        let (ca_pem, chain, key) = super::certs::ca_and_server_cert("nbsso test Kanidm CA");
        let dir = tempfile::TempDir::new().expect("IdP tempdir");
        let ca_pem_path = dir.path().join("kanidm-test-ca.pem");
        std::fs::write(&ca_pem_path, &ca_pem).expect("write CA PEM");

        let acceptor = super::certs::acceptor(chain, key);

        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();

        let shared = Arc::new(Shared {
            origin: format!("https://127.0.0.1:{port}"),
            flow: Mutex::new(FlowState::new(&config)),
            config: Mutex::new(config),
            seen: Mutex::new(Vec::new()),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("test-idp-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("IdP runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    tokio::select! {
                        _ = serve(listener, acceptor, serve_shared) => {}
                        _ = rx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_millis(200));
            })
            .expect("IdP thread");

        TestIdp {
            shared,
            port,
            ca_pem,
            ca_pem_path,
            _dir: dir,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:<port>`
    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `<origin>/oauth2/openid/<first client>`: the value for `SOCIAL_AUTH_OIDC_OIDC_ENDPOINT`.
    pub fn issuer(&self) -> String {
        let first = lock(&self.shared.config).clients[0].name.clone();
        self.issuer_for(&first)
    }

    pub fn issuer_for(&self, client: &str) -> String {
        format!(
            "{}/oauth2/openid/{}",
            self.shared.origin,
            client.to_ascii_lowercase()
        )
    }

    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem_path
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A blocking HTTPS client that trusts this IdP's CA.
    pub fn http(&self) -> HttpsClient {
        HttpsClient::new(&self.ca_pem)
    }

    /// All requests received so far, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        lock(&self.shared.seen).clone()
    }

    /// Requests whose path is exactly `path`.
    pub fn requests_to(&self, path: &str) -> Vec<SeenRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.seen).clear();
    }

    /// Kanidm's server-log reasons for refusals so far (e.g. `No PKCE code challenge was
    /// provided with client in enforced PKCE mode | o2rs.name: "netbox"`).
    pub fn server_log(&self) -> Vec<String> {
        lock(&self.shared.flow).log.clone()
    }

    /// A copy of the current configuration.
    pub fn config(&self) -> IdpConfig {
        lock(&self.shared.config).clone()
    }

    /// Change the configuration while running (e.g. `|c| c.clock_offset_ms = 1500`).
    pub fn configure(&self, f: impl FnOnce(&mut IdpConfig)) {
        f(&mut lock(&self.shared.config));
    }

    /// The IdP's clock.
    pub fn now(&self) -> SystemTime {
        lock(&self.shared.config).now()
    }

    /// The JWKS the IdP serves for `client` right now.
    pub fn jwks(&self, client: &str) -> Value {
        idp_endpoints::jwks_value(&self.shared, client).expect("known client")
    }
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let seen = SeenRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    lock(&shared.seen).push(seen.clone());

    let (interceptor, delay, server_version) = {
        let config = lock(&shared.config);
        (
            config.interceptor.clone(),
            config.response_delay,
            config.server_version.clone(),
        )
    };
    let mut answer = interceptor
        .and_then(|f| f(&seen))
        .unwrap_or_else(|| idp_endpoints::dispatch(&shared, &seen));
    if let Some(version) = server_version {
        answer.replace_header("x-kanidm-version", &version);
    }
    // The delay models network latency, so it is symmetric around the instant the Date is stamped:
    // half on the way in, half on the way out.
    let delay = delay + answer.delay;
    let inbound = delay / 2;
    if !inbound.is_zero() {
        tokio::time::sleep(inbound).await;
    }
    let date = httpdate::fmt_http_date(lock(&shared.config).now());
    let outbound = delay - inbound;
    if !outbound.is_zero() {
        tokio::time::sleep(outbound).await;
    }
    Ok(answer.into_hyper(&date))
}
