//! Hostile HTTP servers for the checks' failure matrix: one raw TCP (or TLS) server on
//! `127.0.0.1:<ephemeral>` per instance, misbehaving in one chosen way ([`Hostile`]) on every
//! path and method, so it can stand in for discovery, the JWKS, Kanidm's `/status` or NetBox's
//! login page.
//!
//! * Plain HTTP unless the case is a TLS one ([`Hostile::is_tls`]) or
//!   [`HostileBuilder::tls`] asks for TLS with a trusted certificate.
//! * TLS cases: [`HostileServer::ca_pem_path`] is the CA to give the client. For
//!   [`Hostile::UntrustedCa`] it is a valid CA that did **not** issue the server's certificate
//!   (the issuing one is [`HostileServer::real_ca_pem_path`]); for [`Hostile::WrongHostname`]
//!   (certificate only for `other.example`) and [`Hostile::ExpiredCert`] (valid 2020-01-01 to
//!   2021-01-01) it is the issuing CA, so only the named defect fails verification.
//! * Every server stops by itself: each connection is cut after `max_connection` (60 s by
//!   default) or as soon as the client goes away; the accept loop ends after `lifetime`
//!   (10 min) at the latest, and at once when the handle is dropped.
//! * Only `127.0.0.1` is ever bound or named (redirects point back to the server itself).
//!
//! ```ignore
//! let server = HostileServer::start(Hostile::EndlessBody);
//! let url = server.url("/.well-known/openid-configuration");
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

/// 50 MiB.
pub const HUGE_SIZE: u64 = 50 * 1024 * 1024;
/// A `Date` value no HTTP-date parser accepts.
pub const MALFORMED_DATE: &str = "Tue, 32 Foo 2026 25:61:61 XYZ";
/// The host name the [`Hostile::WrongHostname`] certificate is for.
pub const OTHER_HOST: &str = "other.example";

/// One way to misbehave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hostile {
    /// 200 with `Content-Length: 52428800` and that many bytes (a JSON string that never ends
    /// early), unless the client leaves first.
    HugeBody,
    /// The same 50 MiB without `Content-Length` (the body ends when the server closes).
    HugeBodyNoLength,
    /// 200, `Transfer-Encoding: chunked`, 64 KiB chunks forever (no last chunk).
    EndlessBody,
    /// Accepts and reads the request, then sends nothing (slow headers).
    SilentAfterAccept,
    /// Sends a complete, valid answer one byte per `interval` (1 s), status line first.
    DribbleHeaders,
    /// Sends the head at once (`Content-Length: 1024`), then the body one byte per `interval`.
    SlowBody,
    /// Reads the first bytes (the request, or a TLS ClientHello), then resets (RST).
    ResetOnAccept,
    /// Head with `Content-Length: 262144`, 16 KiB of body, then a reset.
    ResetMidBody,
    /// Reads the request, then closes cleanly without a byte (empty reply).
    CloseWithoutResponse,
    /// TLS; the certificate's CA is not the one handed out.
    UntrustedCa,
    /// TLS; the certificate is only for `other.example` (its CA is trusted).
    WrongHostname,
    /// TLS; the certificate expired on 2021-01-01 (its CA is trusted).
    ExpiredCert,
    /// 302 to the very URL requested, forever.
    RedirectLoop,
    /// 200 `application/json` with a truncated JSON document.
    InvalidJson,
    /// 200 `application/json` with a JSON array.
    JsonArray,
    /// 200 `application/json` with an object of the wrong types (`{"issuer": 5, …}`).
    JsonWrongTypes,
    /// 200 `text/html`: a NetBox-style login page where JSON is expected.
    HtmlLoginPage,
    /// 500 with Django's `Server Error (500)` page.
    Status500,
    /// 404 with Django's `Not Found` page.
    Status404,
    /// A normal 200 JSON answer without a `Date` header.
    NoDateHeader,
    /// A normal 200 JSON answer with `Date: Tue, 32 Foo 2026 25:61:61 XYZ`.
    MalformedDateHeader,
}

impl Hostile {
    pub const ALL: [Hostile; 21] = [
        Hostile::HugeBody,
        Hostile::HugeBodyNoLength,
        Hostile::EndlessBody,
        Hostile::SilentAfterAccept,
        Hostile::DribbleHeaders,
        Hostile::SlowBody,
        Hostile::ResetOnAccept,
        Hostile::ResetMidBody,
        Hostile::CloseWithoutResponse,
        Hostile::UntrustedCa,
        Hostile::WrongHostname,
        Hostile::ExpiredCert,
        Hostile::RedirectLoop,
        Hostile::InvalidJson,
        Hostile::JsonArray,
        Hostile::JsonWrongTypes,
        Hostile::HtmlLoginPage,
        Hostile::Status500,
        Hostile::Status404,
        Hostile::NoDateHeader,
        Hostile::MalformedDateHeader,
    ];

    /// The certificate itself is the defect (always served over TLS).
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            Hostile::UntrustedCa | Hostile::WrongHostname | Hostile::ExpiredCert
        )
    }

    /// The client never gets a complete answer in reasonable time (needs a deadline).
    pub fn stalls(self) -> bool {
        matches!(
            self,
            Hostile::EndlessBody
                | Hostile::SilentAfterAccept
                | Hostile::DribbleHeaders
                | Hostile::SlowBody
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Hostile::HugeBody => "huge-body",
            Hostile::HugeBodyNoLength => "huge-body-no-length",
            Hostile::EndlessBody => "endless-body",
            Hostile::SilentAfterAccept => "silent-after-accept",
            Hostile::DribbleHeaders => "dribble-headers",
            Hostile::SlowBody => "slow-body",
            Hostile::ResetOnAccept => "reset-on-accept",
            Hostile::ResetMidBody => "reset-mid-body",
            Hostile::CloseWithoutResponse => "close-without-response",
            Hostile::UntrustedCa => "untrusted-ca",
            Hostile::WrongHostname => "wrong-hostname",
            Hostile::ExpiredCert => "expired-cert",
            Hostile::RedirectLoop => "redirect-loop",
            Hostile::InvalidJson => "invalid-json",
            Hostile::JsonArray => "json-array",
            Hostile::JsonWrongTypes => "json-wrong-types",
            Hostile::HtmlLoginPage => "html-login-page",
            Hostile::Status500 => "status-500",
            Hostile::Status404 => "status-404",
            Hostile::NoDateHeader => "no-date-header",
            Hostile::MalformedDateHeader => "malformed-date-header",
        }
    }

    pub fn builder(self) -> HostileBuilder {
        HostileBuilder {
            case: self,
            tls: self.is_tls(),
            interval: Duration::from_secs(1),
            max_connection: Duration::from_secs(60),
            lifetime: Duration::from_secs(600),
            huge_size: HUGE_SIZE,
            ok_content_type: "application/json".to_string(),
            ok_body: b"{\"ok\": true}".to_vec(),
        }
    }

    /// Start a server with the defaults.
    pub fn start(self) -> HostileServer {
        self.builder().start()
    }
}

impl std::fmt::Display for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub struct HostileBuilder {
    case: Hostile,
    tls: bool,
    interval: Duration,
    max_connection: Duration,
    lifetime: Duration,
    huge_size: u64,
    ok_content_type: String,
    ok_body: Vec<u8>,
}

impl HostileBuilder {
    /// Serve over TLS with a trusted certificate for `127.0.0.1`/`localhost` (TLS cases are
    /// always TLS).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on || self.case.is_tls();
        self
    }

    /// The pace of [`Hostile::DribbleHeaders`] and [`Hostile::SlowBody`] (default 1 s per byte).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The longest a connection is served (default 60 s).
    pub fn max_connection(mut self, d: Duration) -> Self {
        self.max_connection = d;
        self
    }

    /// The accept loop ends after this even if the handle is leaked (default 10 min).
    pub fn lifetime(mut self, d: Duration) -> Self {
        self.lifetime = d;
        self
    }

    /// Body size of the huge cases (default 50 MiB).
    pub fn huge_size(mut self, bytes: u64) -> Self {
        self.huge_size = bytes;
        self
    }

    /// The body of "otherwise fine" answers (TLS cases, Date cases, the dribbled answer);
    /// default `{"ok": true}` as `application/json`.
    pub fn ok_body(mut self, content_type: &str, body: &[u8]) -> Self {
        self.ok_content_type = content_type.to_string();
        self.ok_body = body.to_vec();
        self
    }

    pub fn start(self) -> HostileServer {
        HostileServer::spawn(self)
    }
}

/// What the server saw and did.
#[derive(Default)]
struct Stats {
    connections: AtomicUsize,
    handshake_failures: AtomicUsize,
    bytes_sent: AtomicU64,
    request_heads: Mutex<Vec<String>>,
}

struct Ctx {
    case: Hostile,
    origin: String,
    interval: Duration,
    huge_size: u64,
    ok_content_type: String,
    ok_body: Vec<u8>,
    stats: Arc<Stats>,
}

struct CertFiles {
    trust_pem: String,
    trust_path: PathBuf,
    real_pem: String,
    real_path: PathBuf,
    _dir: tempfile::TempDir,
}

/// A running hostile server; dropping it stops it.
pub struct HostileServer {
    case: Hostile,
    origin: String,
    port: u16,
    certs: Option<CertFiles>,
    stats: Arc<Stats>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HostileServer {
    pub fn start(case: Hostile) -> Self {
        case.start()
    }

    fn spawn(b: HostileBuilder) -> Self {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let scheme = if b.tls { "https" } else { "http" };
        let origin = format!("{scheme}://127.0.0.1:{port}");

        let (acceptor, certs) = if b.tls {
            let (acceptor, files) = tls_setup(b.case);
            (Some(acceptor), Some(files))
        } else {
            (None, None)
        };
        let stats = Arc::new(Stats::default());
        let ctx = Arc::new(Ctx {
            case: b.case,
            origin: origin.clone(),
            interval: b.interval,
            huge_size: b.huge_size,
            ok_content_type: b.ok_content_type,
            ok_body: b.ok_body,
            stats: stats.clone(),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (max_connection, lifetime) = (b.max_connection, b.lifetime);
        let thread = std::thread::Builder::new()
            .name(format!("hostile-{}-{port}", b.case.name()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("hostile runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    tokio::select! {
                        _ = accept_loop(listener, acceptor, ctx, max_connection) => {}
                        _ = rx => {}
                        _ = tokio::time::sleep(lifetime) => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_millis(200));
            })
            .expect("hostile thread");
        HostileServer {
            case: b.case,
            origin,
            port,
            certs,
            stats,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn case(&self) -> Hostile {
        self.case
    }

    /// `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        self.origin.clone()
    }

    /// `<origin>` + `path` (any path behaves the same).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.origin, path.trim_start_matches('/'))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_tls(&self) -> bool {
        self.certs.is_some()
    }

    /// The CA PEM a client should be given (for [`Hostile::UntrustedCa`]: NOT the issuer).
    pub fn ca_pem(&self) -> Option<&str> {
        self.certs.as_ref().map(|c| c.trust_pem.as_str())
    }

    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.certs.as_ref().map(|c| c.trust_path.as_path())
    }

    /// The CA that really issued the server certificate.
    pub fn real_ca_pem(&self) -> Option<&str> {
        self.certs.as_ref().map(|c| c.real_pem.as_str())
    }

    pub fn real_ca_pem_path(&self) -> Option<&Path> {
        self.certs.as_ref().map(|c| c.real_path.as_path())
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// TLS handshakes that failed (e.g. the client refused the certificate).
    pub fn handshake_failures(&self) -> usize {
        self.stats.handshake_failures.load(Ordering::SeqCst)
    }

    /// Bytes written to clients so far (HTTP bytes, before TLS).
    pub fn bytes_sent(&self) -> u64 {
        self.stats.bytes_sent.load(Ordering::SeqCst)
    }

    /// Request heads received (request line and headers), oldest first.
    pub fn requests(&self) -> Vec<String> {
        self.stats
            .request_heads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    ctx: Arc<Ctx>,
    max_connection: Duration,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        ctx.stats.connections.fetch_add(1, Ordering::SeqCst);
        let acceptor = acceptor.clone();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(max_connection, connection(tcp, acceptor, ctx)).await;
        });
    }
}

async fn connection(
    mut tcp: tokio::net::TcpStream,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    ctx: Arc<Ctx>,
) {
    match ctx.case {
        Hostile::ResetOnAccept => {
            // Wait for the first bytes (request or ClientHello) so the client is surely
            // waiting for an answer, then close with SO_LINGER 0: an RST.
            let mut buf = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read(&mut buf)).await;
            let _ = tcp.set_zero_linger();
            drop(tcp);
            return;
        }
        Hostile::ResetMidBody => {
            let _ = tcp.set_zero_linger();
        }
        _ => {}
    }
    match acceptor {
        None => serve(tcp, &ctx).await,
        Some(acceptor) => match acceptor.accept(tcp).await {
            Ok(tls) => serve(tls, &ctx).await,
            Err(_) => {
                ctx.stats.handshake_failures.fetch_add(1, Ordering::SeqCst);
            }
        },
    }
}

/// Reads a request head (up to 64 KiB, 5 s); `None` if the client sent none.
async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                return Some(String::from_utf8_lossy(&buf[..end]).into_owned());
            }
            if buf.len() > 64 * 1024 {
                return Some(String::from_utf8_lossy(&buf).into_owned());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()
        .flatten()
}

async fn send<S: AsyncWrite + Unpin>(s: &mut S, bytes: &[u8], ctx: &Ctx) -> bool {
    let ok = s.write_all(bytes).await.is_ok() && s.flush().await.is_ok();
    if ok {
        ctx.stats
            .bytes_sent
            .fetch_add(bytes.len() as u64, Ordering::SeqCst);
    }
    ok
}

/// Reads until the client closes (or the connection deadline cuts this off).
async fn wait_for_close<S: AsyncRead + Unpin>(s: &mut S) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

fn head(status: &str, headers: &[(&str, String)], date: Option<&str>) -> String {
    let mut out = format!("HTTP/1.1 {status}\r\nserver: hostile-test\r\n");
    if let Some(date) = date {
        out.push_str(&format!("date: {date}\r\n"));
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("connection: close\r\n\r\n");
    out
}

fn now_date() -> String {
    httpdate::fmt_http_date(SystemTime::now())
}

/// A complete answer with `Content-Length`.
fn full(status: &str, content_type: &str, body: &[u8], date: Option<&str>) -> Vec<u8> {
    let mut out = head(
        status,
        &[
            ("content-type", content_type.to_string()),
            ("content-length", body.len().to_string()),
        ],
        date,
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Writes `size` bytes of `{"issuer":"aaaa…"}` in 64 KiB pieces; false if the client left.
async fn write_huge<S: AsyncWrite + Unpin>(s: &mut S, size: u64, ctx: &Ctx) -> bool {
    let prefix = b"{\"issuer\":\"";
    let suffix = b"\"}";
    let fill = vec![b'a'; 64 * 1024];
    let mut left = size;
    let first = (prefix.len() as u64).min(left) as usize;
    if !send(s, &prefix[..first], ctx).await {
        return false;
    }
    left -= first as u64;
    while left > suffix.len() as u64 {
        let n = (left - suffix.len() as u64).min(fill.len() as u64) as usize;
        if !send(s, &fill[..n], ctx).await {
            return false;
        }
        left -= n as u64;
    }
    send(s, &suffix[suffix.len() - left as usize..], ctx).await
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, ctx: &Ctx) {
    let request = read_head(&mut s).await;
    if let Some(h) = &request {
        ctx.stats
            .request_heads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(h.clone());
    }
    let date = now_date();
    let ok = || full("200 OK", &ctx.ok_content_type, &ctx.ok_body, Some(&date));
    let json = |body: &str| full("200 OK", "application/json", body.as_bytes(), Some(&date));
    match ctx.case {
        Hostile::HugeBody | Hostile::HugeBodyNoLength => {
            let mut headers = vec![("content-type", "application/json".to_string())];
            if ctx.case == Hostile::HugeBody {
                headers.push(("content-length", ctx.huge_size.to_string()));
            }
            if send(
                &mut s,
                head("200 OK", &headers, Some(&date)).as_bytes(),
                ctx,
            )
            .await
                && write_huge(&mut s, ctx.huge_size, ctx).await
            {
                let _ = s.shutdown().await;
            }
            return;
        }
        Hostile::EndlessBody => {
            let headers = [
                ("content-type", "application/json".to_string()),
                ("transfer-encoding", "chunked".to_string()),
            ];
            if !send(
                &mut s,
                head("200 OK", &headers, Some(&date)).as_bytes(),
                ctx,
            )
            .await
            {
                return;
            }
            let piece = b"{\"kty\":\"EC\",\"kid\":\"x\"},";
            let mut data = b"{\"keys\":[".to_vec();
            while data.len() + piece.len() <= 64 * 1024 {
                data.extend_from_slice(piece);
            }
            let first = [format!("{:x}\r\n", data.len()).as_bytes(), &data, b"\r\n"].concat();
            if !send(&mut s, &first, ctx).await {
                return;
            }
            let filler = vec![b' '; 64 * 1024];
            let chunk = [
                format!("{:x}\r\n", filler.len()).as_bytes(),
                &filler,
                b"\r\n",
            ]
            .concat();
            // Ends when the client goes away or the connection deadline cuts it.
            while send(&mut s, &chunk, ctx).await {}
            return;
        }
        Hostile::SilentAfterAccept => {
            wait_for_close(&mut s).await;
            return;
        }
        Hostile::DribbleHeaders => {
            for byte in ok() {
                if !send(&mut s, &[byte], ctx).await {
                    return;
                }
                tokio::time::sleep(ctx.interval).await;
            }
        }
        Hostile::SlowBody => {
            let mut body = ctx.ok_body.clone();
            body.resize(body.len().max(1024), b' ');
            let headers = [
                ("content-type", ctx.ok_content_type.clone()),
                ("content-length", body.len().to_string()),
            ];
            if !send(
                &mut s,
                head("200 OK", &headers, Some(&date)).as_bytes(),
                ctx,
            )
            .await
            {
                return;
            }
            for byte in body {
                if !send(&mut s, &[byte], ctx).await {
                    return;
                }
                tokio::time::sleep(ctx.interval).await;
            }
        }
        Hostile::ResetOnAccept => return,
        Hostile::ResetMidBody => {
            let headers = [
                ("content-type", "application/json".to_string()),
                ("content-length", (256 * 1024).to_string()),
            ];
            let mut partial = head("200 OK", &headers, Some(&date)).into_bytes();
            partial.extend_from_slice(b"{\"keys\":[");
            partial.resize(partial.len() + 16 * 1024 - 9, b' ');
            let _ = send(&mut s, &partial, ctx).await;
            // Let the bytes reach the client before the RST discards unsent data.
            tokio::time::sleep(Duration::from_millis(150)).await;
            drop(s);
            return;
        }
        Hostile::CloseWithoutResponse => {}
        Hostile::UntrustedCa
        | Hostile::WrongHostname
        | Hostile::ExpiredCert
        | Hostile::NoDateHeader => {
            let answer = if ctx.case == Hostile::NoDateHeader {
                full("200 OK", &ctx.ok_content_type, &ctx.ok_body, None)
            } else {
                ok()
            };
            let _ = send(&mut s, &answer, ctx).await;
        }
        Hostile::MalformedDateHeader => {
            let answer = full(
                "200 OK",
                &ctx.ok_content_type,
                &ctx.ok_body,
                Some(MALFORMED_DATE),
            );
            let _ = send(&mut s, &answer, ctx).await;
        }
        Hostile::RedirectLoop => {
            let target = request
                .as_deref()
                .and_then(|h| h.lines().next())
                .and_then(|line| line.split(' ').nth(1))
                .filter(|t| t.starts_with('/'))
                .unwrap_or("/");
            let headers = [
                ("location", format!("{}{target}", ctx.origin)),
                ("content-length", "0".to_string()),
            ];
            let _ = send(
                &mut s,
                head("302 Found", &headers, Some(&date)).as_bytes(),
                ctx,
            )
            .await;
        }
        Hostile::InvalidJson => {
            let body = format!(
                "{{\"issuer\": \"{}/oauth2/openid/netbox\", \"authorization_endpoint\": ",
                ctx.origin
            );
            let _ = send(&mut s, &json(&body), ctx).await;
        }
        Hostile::JsonArray => {
            let body = format!(
                "[\"{}/oauth2/openid/netbox\", \"authorization_endpoint\", \"jwks_uri\"]",
                ctx.origin
            );
            let _ = send(&mut s, &json(&body), ctx).await;
        }
        Hostile::JsonWrongTypes => {
            let body = "{\"issuer\": 5, \"authorization_endpoint\": true, \"token_endpoint\": [], \
                        \"jwks_uri\": null, \"keys\": \"none\", \
                        \"id_token_signing_alg_values_supported\": \"ES256\"}";
            let _ = send(&mut s, &json(body), ctx).await;
        }
        Hostile::HtmlLoginPage => {
            let body = "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <title>Log In | NetBox</title>\n  </head>\n  <body>\n    \
                        <form action=\"/login/\" method=\"post\">\n      \
                        <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"x\">\n      \
                        <input type=\"text\" name=\"username\">\n      <input type=\"password\" name=\"password\">\n      \
                        <button type=\"submit\" class=\"btn btn-primary w-100\">Sign In</button>\n    </form>\n  </body>\n</html>\n";
            let answer = full(
                "200 OK",
                "text/html; charset=utf-8",
                body.as_bytes(),
                Some(&date),
            );
            let _ = send(&mut s, &answer, ctx).await;
        }
        Hostile::Status500 => {
            let body = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n\
                        <body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n";
            let answer = full(
                "500 Internal Server Error",
                "text/html; charset=utf-8",
                body.as_bytes(),
                Some(&date),
            );
            let _ = send(&mut s, &answer, ctx).await;
        }
        Hostile::Status404 => {
            let body = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n\
                        <body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n\
                        </body>\n</html>\n";
            let answer = full(
                "404 Not Found",
                "text/html; charset=utf-8",
                body.as_bytes(),
                Some(&date),
            );
            let _ = send(&mut s, &answer, ctx).await;
        }
    }
    let _ = s.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

fn new_ca(name: &str) -> (rcgen::Certificate, rcgen::KeyPair) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.distinguished_name = rcgen::DistinguishedName::new();
    ca.distinguished_name.push(DnType::CommonName, name);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = ca.self_signed(&key).expect("CA cert");
    (cert, key)
}

fn tls_setup(case: Hostile) -> (tokio_rustls::TlsAcceptor, CertFiles) {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, SanType};
    let (ca, ca_key) = new_ca("nbsso hostile test CA");
    let leaf_key = KeyPair::generate().expect("server key");
    let (names, ip) = match case {
        Hostile::WrongHostname => (vec![OTHER_HOST.to_string()], false),
        _ => (vec!["localhost".to_string()], true),
    };
    let mut leaf = CertificateParams::new(names.clone()).expect("leaf params");
    if ip {
        leaf.subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    leaf.distinguished_name.push(DnType::CommonName, &names[0]);
    leaf.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    if case == Hostile::ExpiredCert {
        leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("server cert");
    let chain: Vec<CertificateDer<'static>> = vec![leaf_cert.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));

    let real_pem = ca.pem();
    let trust_pem = if case == Hostile::UntrustedCa {
        // A perfectly valid CA, just not the one that issued the server certificate.
        new_ca("nbsso unrelated test CA").0.pem()
    } else {
        real_pem.clone()
    };
    let dir = tempfile::TempDir::new().expect("hostile tempdir");
    let trust_path = dir.path().join("trust-ca.pem");
    let real_path = dir.path().join("issuing-ca.pem");
    std::fs::write(&trust_path, &trust_pem).expect("write CA PEM");
    std::fs::write(&real_path, &real_pem).expect("write CA PEM");

    (
        crate::certs::acceptor(chain, key),
        CertFiles {
            trust_pem,
            trust_path,
            real_pem,
            real_path,
            _dir: dir,
        },
    )
}
