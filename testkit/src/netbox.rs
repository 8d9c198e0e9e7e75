//! A NetBox-shaped web server for integration tests: the login page, Django's CSRF check, the SSO
//! begin views of each NetBox generation and the OIDC callback, on `127.0.0.1:<ephemeral>`.
//!
//! It answers like NetBox (Django + social-auth-app-django + social-core 5.2.0) does, as measured
//! on a real NetBox 4.7.3 (its `templates/login.html`, `urls.py` and `account/views.py`):
//!
//! * [`LoginStyle::PostBegin`] (4.7.1+): the login page has `<form action="/<BASE_PATH>oauth/begin/oidc/"
//!   method="post" class="sso-login-form">`; `POST` there (CSRF cookie + form token) answers
//!   302 to the IdP, or 200 `{"url": "<authorize url>"}` with `Accept: application/json`; `GET` 405.
//!   `POST /oauth/login/oidc/` still works, `GET` there is 405.
//! * [`LoginStyle::PostLogin`] (4.7.0): `<form action="/<BASE_PATH>oauth/login/oidc/" method="post">`;
//!   `GET /oauth/login/oidc/` 405; `/oauth/begin/` does not exist (404).
//! * [`LoginStyle::GetLink`] (≤ 4.6): `<a href="/<BASE_PATH>oauth/login/oidc/?next=…" class="btn w-100">`;
//!   `GET` (or `POST` with CSRF) there answers 302 to the IdP.
//! * no SSO configured ([`TestNetboxBuilder::no_sso`]): no SSO block on the page, `oauth/…/oidc/` 404.
//!
//! The authorize URL carries exactly social-core 5.2.0's parameters, in its order and its
//! encoding (`url_add_parameters(…, unquote=True)`: values raw, spaces as `+`): `client_id`,
//! `redirect_uri`, `state`, `response_type=code`, [`code_challenge_method=S256`, `code_challenge`],
//! `nonce`, `scope` (`SOCIAL_AUTH_OIDC_SCOPE` extras first, then `openid profile email`).
//! `redirect_uri` is built like Django with `USE_X_FORWARDED_HOST = True` and
//! `SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')`, then social-core's
//! `REDIRECT_IS_HTTPS` rewrite. A "proxy" in front ([`HeaderRule`]s for `Host`,
//! `X-Forwarded-Host`, `X-Forwarded-Proto`) can rewrite what the client sent, to reproduce
//! redirect mismatches.
//!
//! `Date` is `floor(now + clock_offset)`, taken after `latency_before` and followed by
//! `latency_after` ([`TestNetboxBuilder::latency`] sets both: a symmetric delay that keeps the
//! Date at the midpoint of the round trip). Plain HTTP by default, TLS (own throw-away CA) with
//! [`TestNetboxBuilder::tls`]. Own thread and runtime (sync or async tests); stops on drop.
//!
//! Every request is recorded ([`TestNetbox::requests`]), every authorize URL issued too
//! ([`TestNetbox::logins`]). `GET /<BASE_PATH>oauth/complete/oidc/` is only recorded (nothing is
//! verified): 302 to `/<BASE_PATH>` when it carries `code` and a `state` this server issued,
//! else 302 to the login page (where real NetBox shows its "Single sign-on failed" toast).
//!
//! ```ignore
//! let nb = TestNetbox::builder()
//!     .authorize_endpoint(&format!("{}/ui/oauth2", idp.origin()))
//!     .use_pkce(true)
//!     .public_url("https://netbox.example.com")
//!     .start_blocking();
//! let r = nb.headless_begin(&[], true);
//! let url = authorize_url_of(&r).unwrap();
//! ```

use std::convert::Infallible;
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rand::Rng as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use sha2::Digest as _;

/// The only backend this server knows (`social_core.backends.open_id_connect.OpenIdConnectAuth`).
pub const BACKEND: &str = "oidc";
/// social-core's `OpenIdConnectAuth.DEFAULT_SCOPE`.
pub const DEFAULT_SCOPE: [&str; 3] = ["openid", "profile", "email"];
/// NetBox's built-in display name for the `oidc` backend (no icon).
pub const DEFAULT_LABEL: &str = "OpenID Connect";
/// Django's 403 page text for a CSRF failure.
pub const CSRF_FAILED: &str = "CSRF verification failed. Request aborted.";

const CSRF_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const CSRF_COOKIE_MAX_AGE: u64 = 31_449_600;
const SESSION_COOKIE_MAX_AGE: u64 = 1_209_600;
const NEVER_CACHE: &str = "max-age=0, no-cache, no-store, must-revalidate, private";

/// How the login page starts SSO (NetBox ≤ 4.6, 4.7.0, 4.7.1+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginStyle {
    /// NetBox ≤ 4.6: `<a href="/oauth/login/oidc/?next=…">`, a GET.
    GetLink,
    /// NetBox 4.7.0: a POST form to `/oauth/login/oidc/` (GET there is 405).
    PostLogin,
    /// NetBox 4.7.1+: a POST form to `/oauth/begin/oidc/` (JSON-capable).
    PostBegin,
}

impl LoginStyle {
    /// The SSO entry path below BASE_PATH.
    pub fn begin_path(self) -> &'static str {
        match self {
            Self::GetLink | Self::PostLogin => "oauth/login/oidc/",
            Self::PostBegin => "oauth/begin/oidc/",
        }
    }

    /// The NetBox release whose page this style copies.
    pub fn version(self) -> &'static str {
        match self {
            Self::GetLink => "4.6.8",
            Self::PostLogin => "4.7.0",
            Self::PostBegin => "4.7.3",
        }
    }
}

impl From<nbsso::versions::LoginStyle> for LoginStyle {
    fn from(style: nbsso::versions::LoginStyle) -> Self {
        match style {
            nbsso::versions::LoginStyle::GetLink => Self::GetLink,
            nbsso::versions::LoginStyle::PostLogin => Self::PostLogin,
            nbsso::versions::LoginStyle::PostBegin => Self::PostBegin,
        }
    }
}

/// What the reverse proxy in front of NetBox does with one request header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HeaderRule {
    /// Pass what the client sent (or did not send).
    #[default]
    Pass,
    /// Remove it.
    Strip,
    /// Replace it with this value (add it if absent).
    Set(String),
}

/// The SSO settings NetBox "has" (configuration.py).
#[derive(Clone, Debug)]
pub struct SsoSettings {
    /// The IdP's `authorization_endpoint` (social-core reads it from discovery), e.g.
    /// `https://127.0.0.1:<port>/ui/oauth2`.
    pub authorize_endpoint: String,
    /// `SOCIAL_AUTH_OIDC_KEY`.
    pub client_id: String,
    /// `SOCIAL_AUTH_OIDC_SCOPE` (sent before the default scopes).
    pub extra_scopes: Vec<String>,
    /// `SOCIAL_AUTH_OIDC_IGNORE_DEFAULT_SCOPE`.
    pub ignore_default_scope: bool,
    /// `SOCIAL_AUTH_OIDC_USE_PKCE` (S256, 43-character verifier).
    pub use_pkce: bool,
    /// `SOCIAL_AUTH_REDIRECT_IS_HTTPS`.
    pub redirect_is_https: bool,
    /// `SOCIAL_AUTH_BACKEND_ATTRS['oidc'][0]`.
    pub display_name: String,
    /// `SOCIAL_AUTH_BACKEND_ATTRS['oidc'][1]`: an MDI icon name, or an image URL (contains `://`).
    pub icon: Option<String>,
}

impl Default for SsoSettings {
    fn default() -> Self {
        SsoSettings {
            authorize_endpoint: "https://idm.example.com/ui/oauth2".to_string(),
            client_id: "netbox".to_string(),
            extra_scopes: Vec::new(),
            ignore_default_scope: false,
            use_pkce: false,
            redirect_is_https: false,
            display_name: DEFAULT_LABEL.to_string(),
            icon: None,
        }
    }
}

impl SsoSettings {
    /// The `scope` value social-core sends.
    pub fn scope(&self) -> String {
        let mut scopes = self.extra_scopes.clone();
        if !self.ignore_default_scope {
            scopes.extend(DEFAULT_SCOPE.iter().map(|s| s.to_string()));
        }
        scopes.join(" ")
    }
}

/// Everything that decides how the server answers; change it at run time with
/// [`TestNetbox::configure`].
#[derive(Clone, Debug)]
pub struct NetboxConfig {
    pub style: LoginStyle,
    /// Normalised BASE_PATH: `""` or `"netbox/"` (no leading slash, one trailing slash).
    pub base_path: String,
    /// `None`: SSO not configured (no button, `oauth/…/oidc/` is 404).
    pub sso: Option<SsoSettings>,
    /// NetBox clock minus real clock in ms (positive = NetBox ahead); moves `Date`.
    pub clock_offset_ms: i64,
    /// Slept after the request arrived, before `Date` is taken.
    pub latency_before: Duration,
    /// Slept after `Date` is taken, before the answer leaves.
    pub latency_after: Duration,
    /// What the proxy does with `Host`.
    pub host: HeaderRule,
    /// What the proxy does with `X-Forwarded-Host`.
    pub forwarded_host: HeaderRule,
    /// What the proxy does with `X-Forwarded-Proto`.
    pub forwarded_proto: HeaderRule,
    /// `CSRF_TRUSTED_ORIGINS` (exact origins).
    pub csrf_trusted_origins: Vec<String>,
    /// `LOGIN_FORM_HIDDEN`.
    pub login_form_hidden: bool,
}

impl NetboxConfig {
    /// NetBox's clock.
    pub fn now(&self) -> SystemTime {
        shift(SystemTime::now(), self.clock_offset_ms)
    }

    /// `/<BASE_PATH>` + `rel`.
    pub fn path(&self, rel: &str) -> String {
        format!("/{}{}", self.base_path, rel.trim_start_matches('/'))
    }
}

/// A request as the server received it (before the proxy rules), with what Django made of it.
#[derive(Clone, Debug)]
pub struct NetboxRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names, in arrival order, as the client sent them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub peer: SocketAddr,
    /// When it arrived (real clock).
    pub at: SystemTime,
    /// Django's `request.scheme` after the proxy rules (`http`/`https`).
    pub scheme: String,
    /// Django's `request.get_host()` after the proxy rules.
    pub host: String,
    /// The status answered.
    pub status: u16,
    /// Django's CSRF rejection reason, when the answer was a CSRF 403.
    pub csrf_failure: Option<String>,
}

impl NetboxRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
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

    pub fn form_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// One SSO start: the authorize URL this server sent and the secrets it kept in the session.
#[derive(Clone, Debug)]
pub struct IssuedLogin {
    /// The path that started it (`/<BASE_PATH>oauth/begin/oidc/` or `…/login/oidc/`).
    pub via: String,
    pub authorize_url: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub code_verifier: Option<String>,
    pub code_challenge: Option<String>,
    pub scope: String,
    /// The `next` the user asked for, if any.
    pub next: Option<String>,
    /// The `sessionid` cookie value it was stored under.
    pub session: String,
}

struct Shared {
    origin: String,
    port: u16,
    tls: bool,
    config: Mutex<NetboxConfig>,
    seen: Mutex<Vec<NetboxRequest>>,
    logins: Mutex<Vec<IssuedLogin>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct TestNetboxBuilder {
    config: NetboxConfig,
    tls: bool,
}

impl TestNetboxBuilder {
    fn sso(&mut self) -> &mut SsoSettings {
        self.config.sso.get_or_insert_with(SsoSettings::default)
    }

    pub fn style(mut self, style: LoginStyle) -> Self {
        self.config.style = style;
        self
    }

    /// BASE_PATH as in configuration.py (`"netbox"`, `"netbox/"` and `"/netbox/"` are the same).
    pub fn base_path(mut self, base: &str) -> Self {
        self.config.base_path = normalise_base_path(base);
        self
    }

    /// Replace all SSO settings at once.
    pub fn sso_settings(mut self, sso: SsoSettings) -> Self {
        self.config.sso = Some(sso);
        self
    }

    /// No social backend configured: the page has no SSO button.
    pub fn no_sso(mut self) -> Self {
        self.config.sso = None;
        self
    }

    pub fn authorize_endpoint(mut self, url: &str) -> Self {
        self.sso().authorize_endpoint = url.to_string();
        self
    }

    pub fn client_id(mut self, key: &str) -> Self {
        self.sso().client_id = key.to_string();
        self
    }

    /// `SOCIAL_AUTH_OIDC_SCOPE`: scopes sent before `openid profile email`.
    pub fn extra_scopes(mut self, scopes: &[&str]) -> Self {
        self.sso().extra_scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn ignore_default_scope(mut self, ignore: bool) -> Self {
        self.sso().ignore_default_scope = ignore;
        self
    }

    pub fn use_pkce(mut self, on: bool) -> Self {
        self.sso().use_pkce = on;
        self
    }

    pub fn redirect_is_https(mut self, on: bool) -> Self {
        self.sso().redirect_is_https = on;
        self
    }

    /// `SOCIAL_AUTH_BACKEND_ATTRS = {'oidc': (label, icon)}`; `icon` is an MDI name or a URL.
    pub fn button(mut self, label: &str, icon: Option<&str>) -> Self {
        let sso = self.sso();
        sso.display_name = label.to_string();
        sso.icon = icon.map(str::to_string);
        self
    }

    pub fn clock_offset_ms(mut self, ms: i64) -> Self {
        self.config.clock_offset_ms = ms;
        self
    }

    /// Symmetric injected latency: `d` before the `Date` is taken and `d` after.
    pub fn latency(mut self, d: Duration) -> Self {
        self.config.latency_before = d;
        self.config.latency_after = d;
        self
    }

    pub fn latency_split(mut self, before: Duration, after: Duration) -> Self {
        self.config.latency_before = before;
        self.config.latency_after = after;
        self
    }

    pub fn host_header(mut self, rule: HeaderRule) -> Self {
        self.config.host = rule;
        self
    }

    pub fn forwarded_host(mut self, rule: HeaderRule) -> Self {
        self.config.forwarded_host = rule;
        self
    }

    pub fn forwarded_proto(mut self, rule: HeaderRule) -> Self {
        self.config.forwarded_proto = rule;
        self
    }

    /// A proxy that serves NetBox at `url` (e.g. `https://netbox.example.com`): it sets
    /// `X-Forwarded-Proto` and `X-Forwarded-Host` from it, like NetBox's contrib/nginx.conf.
    pub fn public_url(mut self, url: &str) -> Self {
        let (scheme, authority) = split_origin(url);
        self.config.forwarded_proto = HeaderRule::Set(scheme);
        self.config.forwarded_host = HeaderRule::Set(authority);
        self
    }

    pub fn csrf_trusted_origin(mut self, origin: &str) -> Self {
        self.config.csrf_trusted_origins.push(origin.to_string());
        self
    }

    pub fn login_form_hidden(mut self, hidden: bool) -> Self {
        self.config.login_form_hidden = hidden;
        self
    }

    /// Serve HTTPS with a certificate (for `127.0.0.1` and `localhost`) from a throw-away CA.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    pub async fn start(self) -> TestNetbox {
        self.start_blocking()
    }

    pub fn start_blocking(self) -> TestNetbox {
        TestNetbox::spawn(self.config, self.tls)
    }
}

/// A running NetBox-shaped server; dropping it stops the server.
pub struct TestNetbox {
    shared: Arc<Shared>,
    tls: Option<TlsFiles>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct TlsFiles {
    ca_pem: String,
    ca_pem_path: PathBuf,
    client: Arc<rustls::ClientConfig>,
    _dir: tempfile::TempDir,
}

impl TestNetbox {
    pub fn builder() -> TestNetboxBuilder {
        TestNetboxBuilder {
            config: NetboxConfig {
                style: LoginStyle::PostBegin,
                base_path: String::new(),
                sso: Some(SsoSettings::default()),
                clock_offset_ms: 0,
                latency_before: Duration::ZERO,
                latency_after: Duration::ZERO,
                host: HeaderRule::Pass,
                forwarded_host: HeaderRule::Pass,
                forwarded_proto: HeaderRule::Pass,
                csrf_trusted_origins: Vec::new(),
                login_form_hidden: false,
            },
            tls: false,
        }
    }

    fn spawn(config: NetboxConfig, tls: bool) -> TestNetbox {
        let (acceptor, files) = if tls {
            let (ca_pem, chain, key) = super::certs::ca_and_server_cert("nbsso test NetBox CA");
            let dir = tempfile::TempDir::new().expect("NetBox tempdir");
            let ca_pem_path = dir.path().join("netbox-test-ca.pem");
            std::fs::write(&ca_pem_path, &ca_pem).expect("write CA PEM");
            let client = client_config(&ca_pem);
            (
                Some(super::certs::acceptor(chain, key)),
                Some(TlsFiles {
                    ca_pem,
                    ca_pem_path,
                    client,
                    _dir: dir,
                }),
            )
        } else {
            (None, None)
        };

        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let scheme = if tls { "https" } else { "http" };
        let shared = Arc::new(Shared {
            origin: format!("{scheme}://127.0.0.1:{port}"),
            port,
            tls,
            config: Mutex::new(config),
            seen: Mutex::new(Vec::new()),
            logins: Mutex::new(Vec::new()),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("test-netbox-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("NetBox runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    tokio::select! {
                        _ = serve(listener, acceptor, serve_shared) => {}
                        _ = rx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_millis(200));
            })
            .expect("NetBox thread");
        TestNetbox {
            shared,
            tls: files,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>` (or `https://` with TLS).
    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    pub fn is_tls(&self) -> bool {
        self.shared.tls
    }

    /// `<origin>/<BASE_PATH>`: the NetBox root URL.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.shared.origin, self.path(""))
    }

    /// `/<BASE_PATH>` + `rel`.
    pub fn path(&self, rel: &str) -> String {
        lock(&self.shared.config).path(rel)
    }

    /// `<origin>/<BASE_PATH>` + `rel`.
    pub fn url(&self, rel: &str) -> String {
        format!("{}{}", self.shared.origin, self.path(rel))
    }

    pub fn login_url(&self) -> String {
        self.url("login/")
    }

    /// The SSO entry of the configured style.
    pub fn begin_url(&self) -> String {
        let style = lock(&self.shared.config).style;
        self.url(style.begin_path())
    }

    pub fn complete_url(&self) -> String {
        self.url("oauth/complete/oidc/")
    }

    /// The redirect_uri NetBox sends when it is reached at `public_origin` (`scheme://host[:port]`),
    /// with REDIRECT_IS_HTTPS applied.
    pub fn redirect_uri_for(&self, public_origin: &str) -> String {
        let config = lock(&self.shared.config);
        let uri = format!(
            "{}{}",
            public_origin.trim_end_matches('/'),
            config.path("oauth/complete/oidc/")
        );
        match &config.sso {
            Some(sso) if sso.redirect_is_https => uri.replace("http://", "https://"),
            _ => uri,
        }
    }

    /// The CA that issued the server certificate (TLS only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca_pem.as_str())
    }

    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca_pem_path.as_path())
    }

    /// All requests received so far, oldest first.
    pub fn requests(&self) -> Vec<NetboxRequest> {
        lock(&self.shared.seen).clone()
    }

    /// Requests whose path is exactly `path` (e.g. `nb.path("login/")`).
    pub fn requests_to(&self, path: &str) -> Vec<NetboxRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Requests to `/<BASE_PATH>oauth/complete/oidc/`.
    pub fn callbacks(&self) -> Vec<NetboxRequest> {
        self.requests_to(&self.path("oauth/complete/oidc/"))
    }

    /// Every authorize URL issued so far, oldest first.
    pub fn logins(&self) -> Vec<IssuedLogin> {
        lock(&self.shared.logins).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.seen).clear();
        lock(&self.shared.logins).clear();
    }

    pub fn config(&self) -> NetboxConfig {
        lock(&self.shared.config).clone()
    }

    /// Change the configuration while running (e.g. `|c| c.clock_offset_ms = -1500`).
    pub fn configure(&self, f: impl FnOnce(&mut NetboxConfig)) {
        f(&mut lock(&self.shared.config));
    }

    /// NetBox's clock.
    pub fn now(&self) -> SystemTime {
        lock(&self.shared.config).now()
    }

    /// One blocking HTTP/1.1 request to this server (`Connection: close`). `target` is a path
    /// with optional query (`/login/?next=/`); a `host` header in `headers` replaces the default
    /// `127.0.0.1:<port>`. Panics on I/O errors (the server is well-behaved).
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> NbResponse {
        let port = self.shared.port;
        let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("connect 127.0.0.1:{port}: {e}"));
        tcp.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let mut head = format!("{method} {target} HTTP/1.1\r\n");
        if find_pair(headers, "host").is_none() {
            head.push_str(&format!("host: 127.0.0.1:{port}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("connection: close\r\n\r\n");
        let mut raw = Vec::new();
        let result = match &self.tls {
            None => {
                let mut tcp = tcp;
                tcp.write_all(head.as_bytes())
                    .and_then(|()| tcp.write_all(body))
                    .and_then(|()| tcp.read_to_end(&mut raw))
            }
            Some(files) => {
                let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
                let conn = rustls::ClientConnection::new(files.client.clone(), name)
                    .expect("TLS client connection");
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                tls.write_all(head.as_bytes())
                    .and_then(|()| tls.write_all(body))
                    .and_then(|()| tls.flush())
                    .and_then(|()| tls.read_to_end(&mut raw))
            }
        };
        match result {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => panic!("{method} {target}: {e}"),
        }
        parse_response(&raw).unwrap_or_else(|| {
            panic!(
                "malformed response to {method} {target}: {:?}",
                String::from_utf8_lossy(&raw)
            )
        })
    }

    pub fn get(&self, target: &str, headers: &[(&str, &str)]) -> NbResponse {
        self.request("GET", target, headers, b"")
    }

    /// POST `application/x-www-form-urlencoded`.
    pub fn post_form(
        &self,
        target: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> NbResponse {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request("POST", target, &all, body.as_bytes())
    }

    /// What a browser does when the SSO button is pressed: GET the login page (with `headers`,
    /// e.g. `X-Forwarded-*`), then follow the button — GET the link (≤ 4.6), or POST the form
    /// with the CSRF cookie and token (4.7.x), asking for JSON when `json`. Returns that answer
    /// (use [`authorize_url_of`]). Panics when the page has no SSO button.
    pub fn headless_begin(&self, headers: &[(&str, &str)], json: bool) -> NbResponse {
        let page = self.get(&self.path("login/"), headers);
        assert_eq!(page.status, 200, "login page: {}", page.text());
        let html = page.text();
        let csrf = page.cookie("csrftoken").expect("csrftoken cookie");
        let cookie = format!("csrftoken={csrf}");
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.push(("cookie", &cookie));
        if json {
            all.push(("accept", "application/json"));
        }
        if let Some(href) = sso_link(&html) {
            return self.get(&href, &all);
        }
        let action = sso_form_action(&html).expect("the login page has an SSO button");
        let token = csrf_token_of(&html).expect("csrfmiddlewaretoken");
        self.post_form(&action, &[("csrfmiddlewaretoken", &token)], &all)
    }
}

impl Drop for TestNetbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An answer read by [`TestNetbox::request`].
#[derive(Clone, Debug)]
pub struct NbResponse {
    pub status: u16,
    /// Lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl NbResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value a `Set-Cookie` gives to cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers_named("set-cookie").into_iter().find_map(|c| {
            let first = c.split(';').next()?;
            let (k, v) = first.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    }

    /// The whole `Set-Cookie` line for cookie `name`.
    pub fn set_cookie_line(&self, name: &str) -> Option<&str> {
        self.headers_named("set-cookie")
            .into_iter()
            .find(|c| c.split('=').next().map(str::trim) == Some(name))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

/// The IdP URL of a begin answer: the `Location` of a 302, or `url` of a 200 JSON answer.
pub fn authorize_url_of(r: &NbResponse) -> Option<String> {
    match r.status {
        301 | 302 | 303 | 307 | 308 => r.header("location").map(str::to_string),
        200 => serde_json::from_slice::<serde_json::Value>(&r.body)
            .ok()?
            .get("url")?
            .as_str()
            .map(str::to_string),
        _ => None,
    }
}

/// The `csrfmiddlewaretoken` value of the first form on a page.
pub fn csrf_token_of(html: &str) -> Option<String> {
    attr_after(html, r#"name="csrfmiddlewaretoken" value=""#)
}

/// The action of the SSO form (`class="sso-login-form"` in 4.7.1+, the form that follows
/// NetBox's "Or" divider in 4.7.0), unescaped.
pub fn sso_form_action(html: &str) -> Option<String> {
    html.match_indices("<form ")
        .map(|(i, _)| {
            let tag = &html[i..];
            &tag[..tag.find('>').unwrap_or(tag.len())]
        })
        .filter_map(|tag| Some((tag, attr_after(tag, "action=\"")?)))
        .find(|(tag, action)| tag.contains("sso-login-form") || action.contains("/oauth/"))
        .map(|(_, action)| action)
}

/// The href of a ≤ 4.6 SSO link (`<a href="…/oauth/login/oidc/?…" class="btn w-100">`), unescaped.
pub fn sso_link(html: &str) -> Option<String> {
    html.match_indices("<a href=\"")
        .filter_map(|(i, _)| attr_after(&html[i..], "<a href=\""))
        .find(|href| href.contains("/oauth/login/"))
}

fn attr_after(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')? + start;
    Some(html_unescape(&html[start..end]))
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------------------------
// Serving
// ---------------------------------------------------------------------------------------------

async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = {
                let shared = shared.clone();
                hyper::service::service_fn(move |req| handle(shared.clone(), peer, req))
            };
            let builder = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(acceptor) => {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                }
                None => {
                    let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                }
            }
        });
    }
}

/// An answer before it becomes a hyper response.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    csrf_failure: Option<String>,
}

impl Answer {
    fn new(status: u16) -> Self {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            csrf_failure: None,
        }
    }

    fn html(status: u16, body: String) -> Self {
        Self::new(status)
            .header("content-type", "text/html; charset=utf-8")
            .body(body.into_bytes())
    }

    fn redirect(status: u16, location: &str) -> Self {
        Self::new(status)
            .header("content-type", "text/html; charset=utf-8")
            .header("location", location)
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
}

/// The request as Django sees it behind the proxy.
struct Incoming<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    /// After the proxy rules.
    headers: Vec<(String, String)>,
    body: &'a [u8],
    /// The connection to this server is TLS.
    tls: bool,
    port: u16,
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `request.scheme` with `SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')`.
    fn scheme(&self) -> &'static str {
        match self.header("x-forwarded-proto") {
            Some(v) => {
                let first = v.split(',').next().unwrap_or("").trim();
                if first == "https" { "https" } else { "http" }
            }
            None if self.tls => "https",
            None => "http",
        }
    }

    fn is_secure(&self) -> bool {
        self.scheme() == "https"
    }

    /// `request.get_host()` with `USE_X_FORWARDED_HOST = True` and `ALLOWED_HOSTS = ['*']`;
    /// `None` is Django's DisallowedHost (400).
    fn host(&self) -> Option<String> {
        let raw = self
            .header("x-forwarded-host")
            .or_else(|| self.header("host"))
            .map(str::to_string)
            .unwrap_or_else(|| format!("127.0.0.1:{}", self.port));
        valid_host(&raw).then_some(raw)
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_string())
    }

    /// `request.POST` (urlencoded bodies only, like Django for this content type).
    fn form(&self, name: &str) -> Option<String> {
        let urlencoded = self
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if self.method != "POST" || !urlencoded {
            return None;
        }
        url::form_urlencoded::parse(self.body)
            .into_owned()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// `request.GET` or `request.POST`, as social-core's `request_data()` merges them.
    fn data(&self, name: &str) -> Option<String> {
        self.form(name).or_else(|| {
            url::form_urlencoded::parse(self.query.unwrap_or("").as_bytes())
                .into_owned()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        })
    }
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let at = SystemTime::now();
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 4 << 20).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let received: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let config = lock(&shared.config).clone();
    let incoming = Incoming {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: apply_proxy(&config, &received),
        body: &body,
        tls: shared.tls,
        port: shared.port,
    };
    let answer = route(&shared, &config, &incoming);
    let seen = NetboxRequest {
        method: incoming.method.to_string(),
        path: incoming.path.to_string(),
        query: incoming.query.map(str::to_string),
        headers: received,
        body: body.clone(),
        peer,
        at,
        scheme: incoming.scheme().to_string(),
        host: incoming.host().unwrap_or_default(),
        status: answer.status,
        csrf_failure: answer.csrf_failure.clone(),
    };
    lock(&shared.seen).push(seen);

    if !config.latency_before.is_zero() {
        tokio::time::sleep(config.latency_before).await;
    }
    let date = httpdate::fmt_http_date(lock(&shared.config).now());
    if !config.latency_after.is_zero() {
        tokio::time::sleep(config.latency_after).await;
    }
    let mut builder = hyper::Response::builder()
        .status(answer.status)
        .header("date", date)
        .header("server", "WSGIServer/0.2 CPython/3.12.13")
        .header("x-frame-options", "SAMEORIGIN")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "same-origin");
    for (k, v) in &answer.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    Ok(builder
        .body(Full::new(Bytes::from(answer.body)))
        .expect("response"))
}

fn apply_proxy(config: &NetboxConfig, received: &[(String, String)]) -> Vec<(String, String)> {
    let mut headers = received.to_vec();
    for (name, rule) in [
        ("host", &config.host),
        ("x-forwarded-host", &config.forwarded_host),
        ("x-forwarded-proto", &config.forwarded_proto),
    ] {
        match rule {
            HeaderRule::Pass => {}
            HeaderRule::Strip => headers.retain(|(k, _)| k != name),
            HeaderRule::Set(value) => {
                headers.retain(|(k, _)| k != name);
                headers.push((name.to_string(), value.clone()));
            }
        }
    }
    headers
}

fn route(shared: &Shared, config: &NetboxConfig, req: &Incoming<'_>) -> Answer {
    if req.host().is_none() {
        return Answer::html(400, "<h1>Bad Request (400)</h1>".to_string());
    }
    let base = format!("/{}", config.base_path);
    let Some(rel) = req.path.strip_prefix(&base) else {
        return not_found(config);
    };
    let method = match req.method {
        "HEAD" => "GET",
        m => m,
    };
    let segments: Vec<&str> = rel.split('/').collect();
    let known = |rel: &str| -> bool {
        matches!(
            rel.split('/').collect::<Vec<_>>().as_slice(),
            [""] | ["login", ""] | ["oauth", "begin" | "login" | "complete", _, ""]
        )
    };
    // Django's APPEND_SLASH (CommonMiddleware): 301 to the path with a slash.
    if !rel.is_empty() && !rel.ends_with('/') && known(&format!("{rel}/")) {
        let mut location = format!("{}/", req.path);
        if let Some(q) = req.query {
            location = format!("{location}?{q}");
        }
        return Answer::redirect(301, &location);
    }
    let sso_backend = |name: &str| config.sso.is_some() && name == BACKEND;
    match (method, segments.as_slice()) {
        (_, [""]) => Answer::redirect(302, &format!("{}?next={}", config.path("login/"), base)),
        ("GET", ["login", ""]) => login_page(config, req),
        ("POST", ["login", ""]) => match csrf_check(config, req) {
            Err(reason) => csrf_failed(reason),
            Ok(()) => login_page(config, req),
        },
        (_, ["login", ""]) => not_allowed("GET, POST, HEAD, OPTIONS"),
        // NetBox 4.7.1+: SocialAuthBeginView (POST only; CSRF; JSON-capable).
        (m, ["oauth", "begin", name, ""]) if config.style == LoginStyle::PostBegin => {
            if !sso_backend(name) {
                return not_found(config);
            }
            if m != "POST" {
                return not_allowed("POST, OPTIONS");
            }
            if let Err(reason) = csrf_check(config, req) {
                return csrf_failed(reason);
            }
            let answer = social_begin(shared, config, req);
            let wants_json = req
                .header("accept")
                .is_some_and(|a| a.contains("application/json"));
            match answer.headers.iter().find(|(k, _)| k == "location") {
                Some((_, url)) if wants_json => {
                    let body = format!(
                        "{{\"url\": {}}}",
                        serde_json::to_string(url).expect("JSON string")
                    );
                    let mut json = Answer::new(200)
                        .header("content-type", "application/json")
                        .header("expires", &httpdate::fmt_http_date(config.now()))
                        .header("cache-control", NEVER_CACHE)
                        .body(body.into_bytes());
                    json.headers.extend(
                        answer
                            .headers
                            .iter()
                            .filter(|(k, _)| k == "set-cookie")
                            .cloned(),
                    );
                    json
                }
                _ => answer,
            }
        }
        // social_django's `auth` view: POST only from social-auth-app-django 6.0 (NetBox 4.7).
        (m, ["oauth", "login", name, ""]) => {
            if !sso_backend(name) {
                return not_found(config);
            }
            match (m, config.style) {
                ("GET", LoginStyle::GetLink) => social_begin(shared, config, req),
                ("GET", _) => not_allowed("POST"),
                ("POST", _) => match csrf_check(config, req) {
                    Err(reason) => csrf_failed(reason),
                    Ok(()) => social_begin(shared, config, req),
                },
                _ => not_allowed("POST"),
            }
        }
        // social_django's `complete` view (csrf_exempt): only recorded here.
        ("GET" | "POST", ["oauth", "complete", name, ""]) if sso_backend(name) => {
            let state = req.data("state");
            let issued = lock(&shared.logins)
                .iter()
                .any(|l| Some(&l.state) == state.as_ref());
            if issued && req.data("code").is_some() {
                Answer::redirect(302, &config.path(""))
            } else {
                Answer::redirect(302, &config.path("login/"))
            }
        }
        _ => not_found(config),
    }
}

fn not_found(config: &NetboxConfig) -> Answer {
    Answer::html(
        404,
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>Page Not Found | NetBox</title></head>\n\
             <body>\n<div class=\"page-center\">\n<h1>Page Not Found</h1>\n\
             <p>The requested page does not exist.</p>\n<a href=\"/{}\">Home Page</a>\n</div>\n</body>\n</html>\n",
            config.base_path
        ),
    )
}

fn not_allowed(allow: &str) -> Answer {
    Answer::new(405)
        .header("content-type", "text/html; charset=utf-8")
        .header("allow", allow)
}

fn csrf_failed(reason: String) -> Answer {
    let mut answer = Answer::html(
        403,
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  \
             <meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">\n  \
             <meta name=\"robots\" content=\"NONE,NOARCHIVE\">\n  <title>403 Forbidden</title>\n\
             </head>\n<body>\n<div id=\"summary\">\n  <h1>Forbidden <span>(403)</span></h1>\n  \
             <p>{CSRF_FAILED}</p>\n</div>\n</body>\n</html>\n"
        ),
    );
    answer.csrf_failure = Some(reason);
    answer
}

/// Django's `CsrfViewMiddleware.process_view` for a POST: Origin, else (HTTPS) Referer, then
/// the cookie secret against the form field or `X-CSRFToken` (masked or not).
fn csrf_check(config: &NetboxConfig, req: &Incoming<'_>) -> Result<(), String> {
    let host = req.host().unwrap_or_default();
    if let Some(origin) = req.header("origin") {
        let good = format!("{}://{}", req.scheme(), host);
        if origin != good && !config.csrf_trusted_origins.iter().any(|o| o == origin) {
            return Err(format!(
                "Origin checking failed - {origin} does not match any trusted origins."
            ));
        }
    } else if req.is_secure() {
        let Some(referer) = req.header("referer") else {
            return Err("Referer checking failed - no Referer.".to_string());
        };
        let Some((scheme, rest)) = referer.split_once("://") else {
            return Err("Referer checking failed - Referer is malformed.".to_string());
        };
        let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
        if scheme.is_empty() || netloc.is_empty() {
            return Err("Referer checking failed - Referer is malformed.".to_string());
        }
        if scheme != "https" {
            return Err(
                "Referer checking failed - Referer is insecure while host is secure.".to_string(),
            );
        }
        let trusted = config
            .csrf_trusted_origins
            .iter()
            .filter_map(|o| o.strip_prefix("https://"))
            .any(|h| h.eq_ignore_ascii_case(netloc));
        if !trusted && !netloc.eq_ignore_ascii_case(&host) {
            return Err(format!(
                "Referer checking failed - {referer} does not match any trusted origins."
            ));
        }
    }
    let secret = match req.cookie("csrftoken") {
        None => return Err("CSRF cookie not set.".to_string()),
        Some(cookie) => {
            check_token_format(&cookie).map_err(|why| format!("CSRF cookie {why}."))?;
            if cookie.len() == 64 {
                unmask(&cookie)
            } else {
                cookie
            }
        }
    };
    let (token, source) = match req.form("csrfmiddlewaretoken").filter(|t| !t.is_empty()) {
        Some(token) => (token, "POST".to_string()),
        None => match req.header("x-csrftoken") {
            Some(token) => (
                token.to_string(),
                "the 'X-CSRFToken' HTTP header".to_string(),
            ),
            None => return Err("CSRF token missing.".to_string()),
        },
    };
    check_token_format(&token).map_err(|why| format!("CSRF token from {source} {why}."))?;
    let plain = if token.len() == 64 {
        unmask(&token)
    } else {
        token
    };
    if plain != secret {
        return Err(format!("CSRF token from {source} incorrect."));
    }
    Ok(())
}

fn check_token_format(token: &str) -> Result<(), &'static str> {
    if token.len() != 32 && token.len() != 64 {
        return Err("has incorrect length");
    }
    if !token.bytes().all(|b| CSRF_CHARS.contains(&b)) {
        return Err("has invalid characters");
    }
    Ok(())
}

fn csrf_index(b: u8) -> usize {
    CSRF_CHARS.iter().position(|&c| c == b).unwrap_or(0)
}

/// Django's `_mask_cipher_secret`.
fn mask(secret: &str) -> String {
    let mask = random_alnum(32);
    let cipher: String = secret
        .bytes()
        .zip(mask.bytes())
        .map(|(s, m)| CSRF_CHARS[(csrf_index(s) + csrf_index(m)) % CSRF_CHARS.len()] as char)
        .collect();
    format!("{mask}{cipher}")
}

/// Django's `_unmask_cipher_token`.
fn unmask(token: &str) -> String {
    let (mask, cipher) = token.split_at(32);
    let n = CSRF_CHARS.len();
    cipher
        .bytes()
        .zip(mask.bytes())
        .map(|(c, m)| CSRF_CHARS[(csrf_index(c) + n - csrf_index(m)) % n] as char)
        .collect()
}

/// The CSRF secret of this request's cookie (kept if well-formed, as Django does), or a new one.
fn csrf_secret(req: &Incoming<'_>) -> String {
    match req.cookie("csrftoken") {
        Some(c) if check_token_format(&c).is_ok() && c.len() == 32 => c,
        Some(c) if check_token_format(&c).is_ok() => unmask(&c),
        _ => random_alnum(32),
    }
}

fn cookie_line(config: &NetboxConfig, name: &str, value: &str, max_age: u64) -> String {
    let expires = httpdate::fmt_http_date(config.now() + Duration::from_secs(max_age));
    let path = format!("/{}", config.base_path.trim_end_matches('/'));
    format!(
        "{name}={value}; expires={expires}; HttpOnly; Max-Age={max_age}; Path={path}; SameSite=Lax"
    )
}

/// social-core's `do_auth` for `OpenIdConnectAuth`: store state/nonce/verifier in the session and
/// redirect to the IdP.
fn social_begin(shared: &Shared, config: &NetboxConfig, req: &Incoming<'_>) -> Answer {
    let Some(sso) = &config.sso else {
        return not_found(config);
    };
    let host = req.host().unwrap_or_default();
    let mut redirect_uri = format!(
        "{}://{}{}",
        req.scheme(),
        host,
        config.path("oauth/complete/oidc/")
    );
    if sso.redirect_is_https {
        redirect_uri = redirect_uri.replace("http://", "https://");
    }
    let state = random_alnum(32);
    let mut params: Vec<(&str, String)> = vec![
        ("client_id", sso.client_id.clone()),
        ("redirect_uri", redirect_uri.clone()),
        ("state", state.clone()),
        ("response_type", "code".to_string()),
    ];
    let (verifier, challenge) = if sso.use_pkce {
        let verifier = random_alnum(43);
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        params.push(("code_challenge_method", "S256".to_string()));
        params.push(("code_challenge", challenge.clone()));
        (Some(verifier), Some(challenge))
    } else {
        (None, None)
    };
    let nonce = random_alnum(64);
    params.push(("nonce", nonce.clone()));
    let scope = sso.scope();
    if !scope.is_empty() {
        params.push(("scope", scope.clone()));
    }
    let authorize_url = iri_to_uri(&url_add_parameters(&sso.authorize_endpoint, &params));
    let session = req
        .cookie("sessionid")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| random_alnum(32).to_ascii_lowercase());
    lock(&shared.logins).push(IssuedLogin {
        via: req.path.to_string(),
        authorize_url: authorize_url.clone(),
        redirect_uri,
        state,
        nonce,
        code_verifier: verifier,
        code_challenge: challenge,
        scope,
        next: req.data("next"),
        session: session.clone(),
    });
    Answer::redirect(302, &authorize_url)
        .header("expires", &httpdate::fmt_http_date(config.now()))
        .header("cache-control", NEVER_CACHE)
        .header(
            "set-cookie",
            &cookie_line(config, "sessionid", &session, SESSION_COOKIE_MAX_AGE),
        )
}

/// social-core 5.2.0 `url_add_parameters(url, params, _unquote_query=True)`: Python's
/// `urlencode` then `unquote`, i.e. values raw with spaces as `+`. A query already on the
/// endpoint goes through `parse_qs` and comes out as Python list reprs, as in social-core.
fn url_add_parameters(url: &str, params: &[(&str, String)]) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let (base, existing) = match rest.split_once('?') {
        Some((b, q)) => (b, q),
        None => (rest, ""),
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(existing.as_bytes()).into_owned() {
        if v.is_empty() {
            continue;
        }
        match pairs.iter_mut().find(|(pk, _)| *pk == k) {
            Some((_, values)) => values.push_str(&format!(", '{v}'")),
            None => pairs.push((k, format!("'{v}'"))),
        }
    }
    let mut pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (k, format!("[{v}]")))
        .collect();
    for (k, v) in params {
        match pairs.iter_mut().find(|(pk, _)| pk == k) {
            Some((_, value)) => *value = v.clone(),
            None => pairs.push((k.to_string(), v.clone())),
        }
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", k.replace(' ', "+"), v.replace(' ', "+")))
        .collect();
    let mut out = format!("{base}?{}", query.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Django's `iri_to_uri` (what `HttpResponseRedirect` does to `Location`).
fn iri_to_uri(iri: &str) -> String {
    const SAFE: &[u8] = b"/#%[]=:;$&()+,!?*@'~_.-";
    let mut out = String::with_capacity(iri.len());
    for b in iri.bytes() {
        if b.is_ascii_alphanumeric() || SAFE.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// The login page of the configured NetBox generation (the SSO block is rendered with the
/// whitespace Django leaves from `templates/login.html`).
fn login_page(config: &NetboxConfig, req: &Incoming<'_>) -> Answer {
    let secret = csrf_secret(req);
    let token = mask(&secret);
    let next = req.data("next");
    let login_action = config.path("login/");
    let static_url = config.path("static/");
    let version = config.style.version();
    let mut page = String::new();
    page.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\" data-bs-theme=\"light\">\n  <head>\n    \
         <meta charset=\"UTF-8\" />\n    <meta name=\"viewport\" content=\"initial-scale=1, maximum-scale=5, width=device-width, viewport-fit=cover\" />\n    \
         <meta name=\"robots\" content=\"noindex\" />\n    <title>Log In | NetBox</title>\n    \
         <link rel=\"stylesheet\" href=\"{static_url}netbox-light.css?v={version}\" />\n    \
         <script type=\"text/javascript\" src=\"{static_url}netbox.js?v={version}\"></script>\n  \
         </head>\n  <body>\n\n  <div class=\"page page-center\">\n    <div class=\"container container-tight py-4\">\n\n      \
         <div class=\"text-center mb-4\">\n        <img src=\"{static_url}logo_netbox_dark_teal.svg\" alt=\"NetBox Logo\" height=\"80\" class=\"hide-theme-dark logo\">\n      </div>\n\n      \
         <div class=\"card card-md\">\n"
    ));
    if !config.login_form_hidden {
        page.push_str(&format!(
            "          <div class=\"card-body\">\n            <h2 class=\"text-center mb-4\">Log In</h2>\n\n            \
             <form action=\"{login_action}\" method=\"post\">\n              \
             <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{token}\">\n"
        ));
        if let Some(next) = &next {
            page.push_str(&format!(
                "                <input type=\"hidden\" name=\"next\" value=\"{}\" />\n",
                html_escape(next)
            ));
        }
        page.push_str(
            "              <div class=\"form-group mb-3\">\n                \
             <label for=\"id_username\" class=\"form-label\">Username</label>\n                \
             <input type=\"text\" name=\"username\" autofocus autocapitalize=\"none\" autocomplete=\"username\" maxlength=\"150\" class=\"form-control\" placeholder=\"Username\" required id=\"id_username\">\n              \
             </div>\n              <div class=\"form-group\">\n                \
             <label for=\"id_password\" class=\"form-label\">Password</label>\n                \
             <input type=\"password\" name=\"password\" autocomplete=\"current-password\" class=\"form-control\" placeholder=\"Password\" required id=\"id_password\">\n              \
             </div>\n              <div class=\"form-footer\">\n                \
             <button type=\"submit\" class=\"btn btn-primary w-100\">\n                  Sign In\n                </button>\n              \
             </div>\n            </form>\n          </div>\n",
        );
    }
    if let Some(sso) = &config.sso {
        page.push_str(&sso_block(config, sso, &token, next.as_deref()));
    }
    page.push_str("      </div>\n\n    </div>\n  </div>\n\n  </body>\n</html>\n");
    Answer::html(200, page).header("vary", "Cookie").header(
        "set-cookie",
        &cookie_line(config, "csrftoken", &secret, CSRF_COOKIE_MAX_AGE),
    )
}

fn sso_block(config: &NetboxConfig, sso: &SsoSettings, token: &str, next: Option<&str>) -> String {
    let (icon_name, icon_img) = match &sso.icon {
        Some(icon) if icon.contains("://") => (None, Some(icon.as_str())),
        Some(icon) if !icon.is_empty() => (Some(icon.as_str()), None),
        _ => (None, None),
    };
    let display = html_escape(&sso.display_name);
    let mut s = String::new();
    if !config.login_form_hidden {
        s.push_str("          \n            <div class=\"hr-text\">Or</div>\n          \n");
    }
    s.push_str("          <div class=\"card-body\">\n            \n");
    if config.login_form_hidden {
        s.push_str("              <h2 class=\"text-center mb-4\">Log In</h2>\n            \n");
    }
    if config.style == LoginStyle::PostBegin {
        s.push_str(
            "            \n            <div id=\"sso-error\" class=\"alert alert-danger d-none\" role=\"alert\" tabindex=\"-1\">\n              \
             Unable to begin single sign-on. Please try again.\n            </div>\n",
        );
    }
    s.push_str(
        "            <div class=\"row\">\n              \n                <div class=\"col\">\n",
    );
    let icon_line = |indent: &str| -> String {
        match (icon_name, icon_img) {
            (Some(name), _) => format!(
                "{indent}<i class=\"mdi mdi-{}\"></i>\n{indent}\n",
                html_escape(name)
            ),
            (None, Some(img)) => {
                let class = if sso.display_name.is_empty() {
                    ""
                } else {
                    " class=\"me-2 sso-icon\""
                };
                format!(
                    "{indent}<img src=\"{}\" height=\"24\"{class}/>\n",
                    html_escape(img)
                )
            }
            (None, None) => format!("{indent}\n"),
        }
    };
    let begin = config.path(config.style.begin_path());
    match config.style {
        LoginStyle::GetLink => {
            let query = match next {
                Some(n) => url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", n)
                    .finish(),
                None => String::new(),
            };
            let href = html_escape(&format!("{begin}?{query}"));
            s.push_str(&format!(
                "                  <a href=\"{href}\" class=\"btn w-100\">\n"
            ));
            s.push_str(&icon_line("                    "));
            s.push_str(&format!(
                "                    {display}\n                  </a>\n"
            ));
        }
        LoginStyle::PostLogin | LoginStyle::PostBegin => {
            let class = if config.style == LoginStyle::PostBegin {
                " class=\"sso-login-form\""
            } else {
                ""
            };
            s.push_str(&format!(
                "                  \n                  <form action=\"{begin}\" method=\"post\"{class}>\n                    \
                 <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{token}\">\n                    "
            ));
            if let Some(n) = next {
                s.push_str(&format!(
                    "\n                      <input type=\"hidden\" name=\"next\" value=\"{}\" />\n                    ",
                    html_escape(n)
                ));
            }
            s.push_str("\n                    <button type=\"submit\" class=\"btn w-100\">\n");
            s.push_str(&icon_line("                      "));
            s.push_str(&format!(
                "                      {display}\n                    </button>\n                  </form>\n"
            ));
        }
    }
    s.push_str(
        "                </div>\n              \n            </div>\n          </div>\n        \n",
    );
    s
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn shift(t: SystemTime, offset_ms: i64) -> SystemTime {
    let d = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 { t + d } else { t - d }
}

fn random_alnum(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| CSRF_CHARS[rng.gen_range(0..CSRF_CHARS.len())] as char)
        .collect()
}

fn normalise_base_path(base: &str) -> String {
    let trimmed = base.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

/// `scheme://authority[/…]` → (`scheme`, `authority`).
fn split_origin(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    (scheme.to_ascii_lowercase(), authority.to_string())
}

/// Django's `host_validation_re` (on the lower-cased host):
/// `^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$`.
fn valid_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let (name, port) = if host.starts_with('[') {
        match host.find(']') {
            Some(end) => (&host[..=end], &host[end + 1..]),
            None => return false,
        }
    } else {
        match host.find(':') {
            Some(colon) => (&host[..colon], &host[colon..]),
            None => (host.as_str(), ""),
        }
    };
    let port_ok =
        port.is_empty() || (port.len() > 1 && port[1..].bytes().all(|b| b.is_ascii_digit()));
    let name_ok = if let Some(inner) = name.strip_prefix('[') {
        let inner = inner.trim_end_matches(']');
        inner.contains(':')
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    };
    name_ok && port_ok
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn find_pair<'a>(headers: &'a [(&str, &str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

fn client_config(ca_pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("CA PEM parses"))
            .expect("CA cert added");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn parse_response(raw: &[u8]) -> Option<NbResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if let Some(len) = find_header(&headers, "content-length").and_then(|l| l.parse().ok()) {
        body.truncate(len);
    }
    Some(NbResponse {
        status,
        headers,
        body,
    })
}
