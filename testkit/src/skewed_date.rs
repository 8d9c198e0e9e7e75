//! A plain-HTTP server on `127.0.0.1:<ephemeral>` whose clock is off by a set number of
//! milliseconds: its `Date` header reads `floor(now + offset)`, as a real server's would.
//!
//! Every answer (any method, any path; keep-alive) waits `latency / 2` before the `Date` is stamped
//! and `latency / 2` after, like a symmetric network path. [`DateMode`] can drop or garble the
//! header. The server runs on its own thread and runtime, so sync code (a child `htpdate`) and async
//! tests alike can use it; dropping the handle stops it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

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

pub struct SkewedDateServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
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
    pub fn start(offset_ms: i64, latency: Duration) -> Self {
        Self::start_with(offset_ms, latency, DateMode::Skewed)
    }

    pub fn start_with(offset_ms: i64, latency: Duration, mode: DateMode) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let counter = requests.clone();
        let thread = std::thread::Builder::new()
            .name(format!("skewed-date-{offset_ms}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
                    loop {
                        let accepted = tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => accepted,
                        };
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let counter = counter.clone();
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |req| {
                                let counter = counter.clone();
                                async move {
                                    counter.fetch_add(1, Ordering::SeqCst);
                                    answer(req, offset_ms, latency, mode).await
                                }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .auto_date_header(false)
                                .keep_alive(true)
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                });
            })
            .expect("spawn server thread");
        Self {
            addr,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// `127.0.0.1:<port>`, as htpdate takes it.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// Requests answered so far (all connections).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
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

async fn answer(
    _req: hyper::Request<hyper::body::Incoming>,
    offset_ms: i64,
    latency: Duration,
    mode: DateMode,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let half = latency / 2;
    if !half.is_zero() {
        tokio::time::sleep(half).await;
    }
    let date = httpdate::fmt_http_date(skewed_now(offset_ms));
    if !half.is_zero() {
        tokio::time::sleep(half).await;
    }
    let mut builder = hyper::Response::builder()
        .status(200)
        .header("content-type", "text/plain");
    match mode {
        DateMode::Skewed => builder = builder.header("date", date),
        DateMode::Missing => {}
        DateMode::Malformed => builder = builder.header("date", "not a date"),
    }
    Ok(builder
        .body(Full::new(Bytes::from_static(b"ok\n")))
        .expect("response"))
}
