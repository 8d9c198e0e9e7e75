//! The clock's own HTTP/1.1 connections: opened ahead of time (TCP, then TLS trusting exactly what
//! the checks' [`HttpClient`] trusts), so that a request is timed from the moment its bytes are
//! written on an established connection to the moment its answer's first bytes are read there.
//! Set-up never counts in a round trip, a busy scheduler delays the stamps as little as it can,
//! and many connections can be ready for requests in flight at once.

use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use url::{Host, Url};

use crate::checks::http::{FetchError, HttpClient, MAX_BODY, TlsProblem, handshake_problem};

/// Where the requests go: the address to connect to and what to send.
#[derive(Debug, Clone)]
pub struct Target {
    host: Host<String>,
    port: u16,
    /// `Some` for https: the TLS settings and the name the certificate must carry.
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    authority: String,
    path: String,
}

impl Target {
    pub async fn new(client: &HttpClient, url: &str) -> Result<Self, FetchError> {
        let bad = |why: &str| FetchError::Other(format!("bad URL {url}: {why}"));
        let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let host = parsed
            .host()
            .map(|h| h.to_owned())
            .ok_or_else(|| bad("no host"))?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| bad("no port"))?;
        let tls = match parsed.scheme() {
            "http" => None,
            "https" => {
                let name = match &host {
                    Host::Domain(d) => ServerName::try_from(d.clone())
                        .map_err(|e| FetchError::Tls(TlsProblem::Other(e.to_string())))?,
                    Host::Ipv4(a) => ServerName::IpAddress(IpAddr::V4(*a).into()),
                    Host::Ipv6(a) => ServerName::IpAddress(IpAddr::V6(*a).into()),
                };
                Some((client.own_tls().await?, name))
            }
            other => return Err(bad(&format!("the scheme {other} is not http or https"))),
        };
        let authority = match parsed.port() {
            Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
            None => parsed.host_str().unwrap_or_default().to_string(),
        };
        let path = match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_string(),
        };
        Ok(Self {
            host,
            port,
            tls,
            authority,
            path,
        })
    }

    /// Opens a connection ready for requests (TCP, TLS, HTTP/1.1).
    pub async fn connect(&self) -> Result<Connection, FetchError> {
        let tcp = match &self.host {
            Host::Domain(d) => TcpStream::connect((d.as_str(), self.port)).await,
            Host::Ipv4(a) => TcpStream::connect((*a, self.port)).await,
            Host::Ipv6(a) => TcpStream::connect((*a, self.port)).await,
        }
        .map_err(|e| FetchError::Connect(e.to_string()))?;
        // Requests are tiny and timed: no Nagle delay.
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some((config, name)) => {
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let stream =
                    connector.connect(name.clone(), tcp).await.map_err(
                        |e| match handshake_problem(&e) {
                            Some(problem) => FetchError::Tls(problem),
                            None => FetchError::Connect(e.to_string()),
                        },
                    )?;
                Box::new(stream)
            }
        };
        let stamps = Arc::new(Mutex::new(Stamps::default()));
        let timed = Timed {
            inner: io,
            stamps: stamps.clone(),
        };
        let (sender, connection) = http1::handshake(TokioIo::new(timed))
            .await
            .map_err(|e| FetchError::Connect(e.to_string()))?;
        // The connection's I/O runs on its own task; it ends when `sender` is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection {
            sender,
            stamps,
            answered: false,
        })
    }

    fn request(&self) -> Result<hyper::Request<Empty<Bytes>>, FetchError> {
        hyper::Request::get(self.path.as_str())
            .header(hyper::header::HOST, self.authority.as_str())
            .header(
                hyper::header::USER_AGENT,
                concat!("nbsso/", env!("CARGO_PKG_VERSION")),
            )
            .header(hyper::header::ACCEPT, "*/*")
            .body(Empty::new())
            .map_err(|e| FetchError::Other(e.to_string()))
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// When a request's bytes were written to the connection and when its answer's first bytes were
/// read, as the connection's own task did it: a request is timed where it really leaves and
/// arrives, not where the task that asked for it was next scheduled.
#[derive(Debug, Default)]
struct Stamps {
    armed: bool,
    /// Wall clock and monotonic instant just before the last write of the request.
    wrote: Option<(SystemTime, Instant)>,
    /// Just after the first read of the answer returned data.
    read: Option<Instant>,
}

impl Stamps {
    fn arm(&mut self) {
        *self = Self {
            armed: true,
            ..Self::default()
        };
    }

    /// The request left at the first instant, the answer began to arrive `rtt` later.
    fn take(&mut self) -> Option<(SystemTime, Duration)> {
        self.armed = false;
        let ((sent, wrote), read) = (self.wrote?, self.read?);
        Some((sent, read.saturating_duration_since(wrote)))
    }
}

/// The connection's I/O, stamping writes and reads for [`Stamps`]. It sits above TLS, so only the
/// request and the answer count, not TLS records of their own (session tickets).
struct Timed {
    inner: Box<dyn Io>,
    stamps: Arc<Mutex<Stamps>>,
}

impl Timed {
    /// Records a write that began at `at`, unless the answer already began.
    fn wrote(&self, at: (SystemTime, Instant)) {
        if let Ok(mut s) = self.stamps.lock()
            && s.armed
            && s.read.is_none()
        {
            s.wrote = Some(at);
        }
    }

    fn read(&self) {
        let at = Instant::now();
        if let Ok(mut s) = self.stamps.lock()
            && s.armed
            && s.wrote.is_some()
            && s.read.is_none()
        {
            s.read = Some(at);
        }
    }
}

impl AsyncRead for Timed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.read();
        }
        polled
    }
}

impl AsyncWrite for Timed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        // Stamped before the write: the request cannot have left earlier.
        let at = (SystemTime::now(), Instant::now());
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote(at);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let at = (SystemTime::now(), Instant::now());
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote(at);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// An open connection to the target.
pub struct Connection {
    sender: SendRequest<Empty<Bytes>>,
    stamps: Arc<Mutex<Stamps>>,
    /// The server has answered on it: it serves this connection.
    answered: bool,
}

impl Connection {
    pub fn answered(&self) -> bool {
        self.answered
    }

    /// The server closed it (or it broke) while it waited.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// One answer: when the request left and how long its response head took.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Wall clock just before the request was written to the open connection.
    pub sent_at: SystemTime,
    /// Monotonic time from then until the answer's first bytes were read.
    pub rtt: Duration,
    /// The `Date` header as sent (`None` if there was none, or it was not text).
    pub date: Option<String>,
}

/// Sends one GET on `connection` and reads the whole answer, so that the connection can carry the
/// next. The connection comes back unless the server closes it (`Connection: close`).
pub async fn send(
    target: &Target,
    mut connection: Connection,
) -> (Option<Connection>, Result<Answer, FetchError>) {
    let request = match target.request() {
        Ok(r) => r,
        Err(e) => return (Some(connection), Err(e)),
    };
    if let Err(e) = connection.sender.ready().await {
        return (None, Err(FetchError::Broken(e.to_string())));
    }
    if let Ok(mut s) = connection.stamps.lock() {
        s.arm();
    }
    let asked = (SystemTime::now(), Instant::now());
    let response = match connection.sender.send_request(request).await {
        Ok(r) => r,
        Err(e) => return (None, Err(FetchError::Broken(e.to_string()))),
    };
    let answered = Instant::now();
    // The connection's own stamps, else (never seen) the wider span around asking for it.
    let (sent_at, rtt) = connection
        .stamps
        .lock()
        .ok()
        .and_then(|mut s| s.take())
        .unwrap_or((asked.0, answered.saturating_duration_since(asked.1)));
    let header = |name: hyper::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let date = header(hyper::header::DATE);
    let closing =
        header(hyper::header::CONNECTION).is_some_and(|v| v.to_ascii_lowercase().contains("close"));
    // Read the body (it is not needed) so the connection is free again; a broken or oversized body
    // costs only the connection.
    let drained = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .is_ok();
    connection.answered = true;
    let back = (drained && !closing && !connection.sender.is_closed()).then_some(connection);
    (back, Ok(Answer { sent_at, rtt, date }))
}
