//! An HTTP server on `127.0.0.1:<ephemeral>` whose clock is off by a set number of milliseconds:
//! its `Date` header reads `floor(now + offset)`, as a real server's would.
//!
//! Every answer (any method, any path) waits one network leg before the `Date` is stamped and one
//! after, like a path with `latency / 2` each way; with [`SkewedDateBuilder::jitter`] each leg is
//! drawn uniformly from `latency / 2 ± jitter / 2`, so a round trip takes `latency ± jitter` and the
//! legs may differ by up to `jitter`. [`DateMode`] can drop or garble the header, and
//! [`Connections`] makes the server close after each answer or serve one connection at a time.
//! With [`SkewedDateBuilder::tls`] it speaks HTTPS with a certificate from a [`SkewedTls`] CA, and
//! each new connection costs two round trips before its first answer, as TCP's and TLS 1.3's
//! handshakes do on a real path (loopback has none of that latency). The server runs on its own
//! thread and runtime, so sync code (a child `htpdate`) and async tests alike can use it; dropping
//! the handle stops it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite};

/// A CA and a certificate for `127.0.0.1` it issued, shared by the HTTPS skewed servers of a test,
/// so one client trusting [`SkewedTls::ca_pem_path`] reaches them all.
pub struct SkewedTls {
    acceptor: tokio_rustls::TlsAcceptor,
    ca_pem_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl SkewedTls {
    pub fn new() -> Arc<Self> {
        let (ca_pem, chain, key) = crate::certs::ca_and_server_cert("nbsso skewed-clock test CA");
        let dir = tempfile::TempDir::new().expect("tempdir for the CA");
        let ca_pem_path = dir.path().join("skewed-ca.pem");
        std::fs::write(&ca_pem_path, ca_pem).expect("write CA PEM");
        Arc::new(Self {
            acceptor: crate::certs::acceptor(chain, key),
            ca_pem_path,
            _dir: dir,
        })
    }

    /// The CA's certificate, PEM: what a client must trust.
    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem_path
    }
}

/// What the `Date` header looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateMode {
    /// `floor(now + offset)` as an HTTP date.
    Skewed,
    /// No `Date` header at all.
    Missing,
    /// `Date: not a date`.
    Malformed,
}

/// How the server treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connections {
    /// Keep-alive, any number at once.
    KeepAlive,
    /// `Connection: close` on every answer, then the connection is closed.
    CloseEach,
    /// One connection is served (keep-alive) until the client closes it; the next waits in the
    /// listen queue meanwhile, as with a single-threaded server.
    OneAtATime,
}

pub struct SkewedDateBuilder {
    offset_ms: i64,
    latency: Duration,
    jitter: Duration,
    mode: DateMode,
    connections: Connections,
    tls: Option<Arc<SkewedTls>>,
}

impl SkewedDateBuilder {
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Each leg varies uniformly by up to `jitter / 2` either way.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    pub fn date(mut self, mode: DateMode) -> Self {
        self.mode = mode;
        self
    }

    pub fn connections(mut self, connections: Connections) -> Self {
        self.connections = connections;
        self
    }

    /// HTTPS with `tls`'s certificate; a new connection's handshakes cost two round trips.
    pub fn tls(mut self, tls: &Arc<SkewedTls>) -> Self {
        self.tls = Some(tls.clone());
        self
    }

    pub fn start(self) -> SkewedDateServer {
        SkewedDateServer::spawn(self)
    }
}

pub struct SkewedDateServer {
    addr: SocketAddr,
    https: bool,
    stats: Arc<Stats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Stats {
    requests: AtomicUsize,
    connections: AtomicUsize,
}

/// The server's clock: this machine's shifted by `offset_ms`.
pub fn skewed_now(offset_ms: i64) -> SystemTime {
    let now = SystemTime::now();
    let shift = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 {
        now + shift
    } else {
        now - shift
    }
}

impl SkewedDateServer {
    pub fn builder(offset_ms: i64) -> SkewedDateBuilder {
        SkewedDateBuilder {
            offset_ms,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            mode: DateMode::Skewed,
            connections: Connections::KeepAlive,
            tls: None,
        }
    }

    pub fn start(offset_ms: i64, latency: Duration) -> Self {
        Self::builder(offset_ms).latency(latency).start()
    }

    pub fn start_with(offset_ms: i64, latency: Duration, mode: DateMode) -> Self {
        Self::builder(offset_ms).latency(latency).date(mode).start()
    }

    fn spawn(b: SkewedDateBuilder) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let stats = Arc::new(Stats::default());
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = stats.clone();
        let https = b.tls.is_some();
        let thread = std::thread::Builder::new()
            .name(format!("skewed-date-{}", b.offset_ms))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
                    let answer = Arc::new(Answer {
                        offset_ms: b.offset_ms,
                        latency: b.latency,
                        jitter: b.jitter,
                        mode: b.mode,
                    });
                    loop {
                        let accepted = tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => accepted,
                        };
                        let Ok((stream, _)) = accepted else { continue };
                        shared.connections.fetch_add(1, Ordering::SeqCst);
                        let serving = accept(
                            stream,
                            b.tls.clone(),
                            shared.clone(),
                            answer.clone(),
                            b.connections,
                        );
                        if b.connections == Connections::OneAtATime {
                            tokio::select! {
                                _ = &mut stopped => break,
                                () = serving => {}
                            }
                        } else {
                            tokio::spawn(serving);
                        }
                    }
                });
            })
            .expect("spawn server thread");
        Self {
            addr,
            https,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>/`, or `https://` with [`SkewedDateBuilder::tls`].
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}/", self.addr)
    }

    /// `127.0.0.1:<port>`, as htpdate takes it.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// Requests answered so far (all connections).
    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SkewedDateServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves one accepted connection, over TLS if `tls` is set: the handshake then waits two round
/// trips first (TCP's and TLS 1.3's), so the client's connection is ready as late as on a real path.
async fn accept(
    stream: tokio::net::TcpStream,
    tls: Option<Arc<SkewedTls>>,
    stats: Arc<Stats>,
    answer: Arc<Answer>,
    connections: Connections,
) {
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else {
        return serve(stream, stats, answer, connections).await;
    };
    let handshakes = (0..4).map(|_| answer.leg()).sum::<Duration>();
    tokio::time::sleep(handshakes).await;
    if let Ok(stream) = tls.acceptor.accept(stream).await {
        serve(stream, stats, answer, connections).await;
    }
}

async fn serve<I>(io: I, stats: Arc<Stats>, answer: Arc<Answer>, connections: Connections)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |_req| {
        let (stats, answer) = (stats.clone(), answer.clone());
        async move {
            stats.requests.fetch_add(1, Ordering::SeqCst);
            answer.respond().await
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .auto_date_header(false)
        .keep_alive(connections != Connections::CloseEach)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

struct Answer {
    offset_ms: i64,
    latency: Duration,
    jitter: Duration,
    mode: DateMode,
}

impl Answer {
    /// One network leg: half the latency, varied by up to half the jitter either way.
    fn leg(&self) -> Duration {
        let half = self.latency.as_secs_f64() / 2.0;
        let spread = self.jitter.as_secs_f64() / 2.0;
        if spread <= 0.0 {
            return self.latency / 2;
        }
        let secs = rand::thread_rng().gen_range((half - spread).max(0.0)..=half + spread);
        Duration::from_secs_f64(secs)
    }

    async fn respond(&self) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
        let (up, down) = (self.leg(), self.leg());
        if !up.is_zero() {
            tokio::time::sleep(up).await;
        }
        let date = httpdate::fmt_http_date(skewed_now(self.offset_ms));
        if !down.is_zero() {
            tokio::time::sleep(down).await;
        }
        let mut builder = hyper::Response::builder()
            .status(200)
            .header("content-type", "text/plain");
        match self.mode {
            DateMode::Skewed => builder = builder.header("date", date),
            DateMode::Missing => {}
            DateMode::Malformed => builder = builder.header("date", "not a date"),
        }
        Ok(builder
            .body(Full::new(Bytes::from_static(b"ok\n")))
            .expect("response"))
    }
}
