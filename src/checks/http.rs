//! The one way checks talk HTTP: a reqwest client that trusts exactly what NetBox would trust, never
//! follows redirects by itself, caps bodies at 1 MiB and records when each request left and returned.

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::OnceCell;

/// Bodies larger than this are refused: no discovery document or login page comes near it.
pub const MAX_BODY: usize = 1024 * 1024;

/// What the response looked like, with the local times around it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Wall clock just before the request was handed to the connection.
    pub sent_at: SystemTime,
    /// Wall clock when the response headers had arrived.
    pub headers_at: SystemTime,
    /// Monotonic duration from send to headers.
    pub rtt: Duration,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request produced no usable response, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("no complete answer within {} s: the server stalls or is too slow", .0.as_secs_f32())]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("TLS: {0}")]
    Tls(TlsProblem),
    #[error("the response body is larger than {} KiB", MAX_BODY / 1024)]
    TooLarge,
    #[error("the connection broke while reading: {0}")]
    Broken(String),
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// The server could not be reached at all (as opposed to answering badly).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Connect(_) | Self::Tls(_))
    }
}

/// TLS failures that have a specific fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsProblem {
    #[error("the certificate is signed by a CA this machine does not trust")]
    UnknownIssuer,
    #[error("the certificate is not valid for this host name")]
    WrongHost,
    #[error("the certificate has expired")]
    Expired,
    #[error("the certificate is not valid yet")]
    NotYetValid,
    #[error("{0}")]
    Other(String),
}

/// What the checks trust: the system roots, or, as NetBox does with `SOCIAL_AUTH_VERIFY_SSL = <path>`,
/// only the certificates in the plan's CA file.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    #[default]
    SystemRoots,
    CaFile(std::path::PathBuf),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read the CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("cannot set up HTTPS: {0}")]
    Build(String),
}

/// Reads every certificate in a PEM file.
pub fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let err = |reason: String| ClientError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("it holds no PEM certificate".into()));
    }
    Ok(certs)
}

/// A rustls client configuration for HTTP/1.1 with the roots `trust` names. Unlike the checks'
/// client it does not fail on a machine without system roots: its handshakes then fail, naming
/// the untrusted issuer.
fn own_tls_config(trust: &Trust) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        Trust::SystemRoots => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
        Trust::CaFile(path) => {
            let shown = path.display();
            let pem =
                std::fs::read(path).map_err(|e| format!("cannot read the CA file {shown}: {e}"))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("the CA file {shown} is not PEM: {e}"))?;
                roots.add(cert).map_err(|e| {
                    format!("the CA file {shown} holds an unusable certificate: {e}")
                })?;
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    trust: Trust,
    /// TLS settings for the connections a check opens itself (the clock's), with the same trust;
    /// built on first use.
    own_tls: Arc<OnceCell<Result<Arc<rustls::ClientConfig>, String>>>,
}

impl HttpClient {
    pub fn new(trust: &Trust, connect_timeout: Duration) -> Result<Self, ClientError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .user_agent(concat!("nbsso/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if let Trust::CaFile(path) = trust {
            builder = builder.tls_built_in_root_certs(false);
            for cert in read_ca_file(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let inner = builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Self {
            inner,
            trust: trust.clone(),
            own_tls: Arc::default(),
        })
    }

    /// TLS settings that trust exactly what this client trusts, for HTTP/1.1 connections a check
    /// opens and times itself. The trusted certificates are read on a blocking thread, once.
    pub async fn own_tls(&self) -> Result<Arc<rustls::ClientConfig>, FetchError> {
        let trust = self.trust.clone();
        let built = self
            .own_tls
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || own_tls_config(&trust))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|config| config.map(Arc::new))
            })
            .await;
        built
            .clone()
            .map_err(|e| FetchError::Tls(TlsProblem::Other(e)))
    }

    pub fn get(&self, url: &str) -> Request<'_> {
        Request::new(self, Method::GET, url)
    }

    pub fn head(&self, url: &str) -> Request<'_> {
        Request::new(self, Method::HEAD, url)
    }

    pub fn post(&self, url: &str) -> Request<'_> {
        Request::new(self, Method::POST, url)
    }
}

/// A request being built; `send` performs it within `deadline`.
pub struct Request<'a> {
    client: &'a HttpClient,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl<'a> Request<'a> {
    fn new(client: &'a HttpClient, method: Method, url: &str) -> Self {
        Self {
            client,
            method,
            url: url.to_string(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        self.body = Some(body.into_bytes());
        self
    }

    /// Sends the request and reads at most [`MAX_BODY`] bytes, all within `deadline`.
    pub async fn send(self, deadline: Duration) -> Result<Captured, FetchError> {
        match tokio::time::timeout(deadline, self.send_inner()).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(deadline)),
        }
    }

    async fn send_inner(self) -> Result<Captured, FetchError> {
        let url = Url::parse(&self.url)
            .map_err(|e| FetchError::Other(format!("bad URL {}: {e}", self.url)))?;
        let mut req = self.client.inner.request(self.method.clone(), url.clone());
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        if let Some(body) = self.body {
            req = req.body(body);
        }
        let sent_at = SystemTime::now();
        let started = Instant::now();
        let mut response = req.send().await.map_err(classify)?;
        let rtt = started.elapsed();
        let headers_at = SystemTime::now();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|len| len > MAX_BODY as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        if self.method != Method::HEAD {
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| FetchError::Broken(root_cause(&e)))?
            {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(FetchError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(Captured {
            url,
            status,
            headers,
            body,
            sent_at,
            headers_at,
            rtt,
        })
    }
}

/// The innermost error message, which is the one that names the real cause.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Finds a rustls error anywhere in the chain (it hides inside io::Error inside hyper's error).
fn find_rustls(err: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls.clone());
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(tls.clone());
        }
        current = e.source();
    }
    None
}

/// The TLS problem behind a failed handshake, if it was one (tokio-rustls wraps rustls' error in
/// the `io::Error` it returns).
pub fn handshake_problem(err: &std::io::Error) -> Option<TlsProblem> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(tls_problem)
}

pub fn tls_problem(err: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => TlsProblem::UnknownIssuer,
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => TlsProblem::WrongHost,
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            TlsProblem::Expired
        }
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            TlsProblem::NotYetValid
        }
        other => TlsProblem::Other(other.to_string()),
    }
}

fn classify(err: reqwest::Error) -> FetchError {
    if let Some(tls) = find_rustls(&err) {
        return FetchError::Tls(tls_problem(&tls));
    }
    if err.is_timeout() {
        return FetchError::Timeout(Duration::ZERO);
    }
    if err.is_connect() {
        return FetchError::Connect(root_cause(&err));
    }
    if err.is_body() || err.is_decode() {
        return FetchError::Broken(root_cause(&err));
    }
    let cause = root_cause(&err);
    if cause.contains("reset") || cause.contains("closed") || cause.contains("incomplete") {
        FetchError::Broken(cause)
    } else {
        FetchError::Other(cause)
    }
}
