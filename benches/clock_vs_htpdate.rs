#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! nbsso's clock measurement side by side with Debian's `htpdate` (query mode, nothing is set),
//! against the same kinds of skewed server: HTTP on loopback, `Date = floor(now + offset)`, latency
//! around the moment the `Date` is stamped.
//!
//! `cargo bench --bench clock_vs_htpdate` (rounds per offset and case: `CLOCK_BENCH_ROUNDS`,
//! default 3). Each tool gets fresh servers per run, so a server's request counter is that tool's
//! count. nbsso measures two servers at once each time, as the clock check does (Kanidm and
//! NetBox): the injected offset on one, none on the other; the time is that of the pair.
//!
//! The cases and their goals:
//! - `20 ms`: 10 ms each way. Max |error| ≤ 5 ms, ≤ 2.0 s per measurement, ≤ 24 requests per host.
//! - `20 ± 10 ms`: each leg 10 ± 5 ms, uniform. Max |error| ≤ 10 ms, the error bar contains the
//!   true offset in every run.
//! - `close each`: 20 ms, `Connection: close` on every answer. Done within 6 s.
//! - `one at a time`: 20 ms, one connection served at a time. Done within 6 s.
//! - `20 ms, TLS`: as `20 ms`, over HTTPS (as Kanidm always is), each new connection costing two
//!   more round trips for TCP's and TLS's handshakes. The goals of `20 ms`, the time plus those two
//!   round trips: the first pass starts once the first connection is ready. Debian's htpdate is
//!   built without HTTPS ("HTTPS not supported"), so it sits this case out.

use std::process::Command;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use nbsso::checks::clock::{self, DEFAULT_MAX_REQUESTS};
use nbsso::checks::http::{HttpClient, Trust};
use testkit::skewed_date::{Connections, SkewedDateServer, SkewedTls};

const OFFSETS_MS: [i64; 4] = [-1843, -400, 250, 2500];
const LATENCY: Duration = Duration::from_millis(20);

/// The CA of every HTTPS case's servers.
static TLS: LazyLock<Arc<SkewedTls>> = LazyLock::new(SkewedTls::new);

#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    jitter: Duration,
    connections: Connections,
    tls: bool,
    /// Goals: max |error| (ms), time per measurement (s), requests per host.
    max_error_ms: f64,
    max_wall_s: f64,
    max_requests: Option<usize>,
    /// Also run htpdate with 8 requests.
    htpdate_8: bool,
}

const CASES: [Case; 5] = [
    Case {
        name: "20 ms",
        jitter: Duration::ZERO,
        connections: Connections::KeepAlive,
        tls: false,
        max_error_ms: 5.0,
        max_wall_s: 2.0,
        max_requests: Some(24),
        htpdate_8: true,
    },
    Case {
        name: "20 ± 10 ms",
        jitter: Duration::from_millis(10),
        connections: Connections::KeepAlive,
        tls: false,
        max_error_ms: 10.0,
        max_wall_s: f64::INFINITY,
        max_requests: None,
        htpdate_8: false,
    },
    Case {
        name: "close each",
        jitter: Duration::ZERO,
        connections: Connections::CloseEach,
        tls: false,
        max_error_ms: f64::INFINITY,
        max_wall_s: 6.0,
        max_requests: None,
        htpdate_8: false,
    },
    Case {
        name: "one at a time",
        jitter: Duration::ZERO,
        connections: Connections::OneAtATime,
        tls: false,
        max_error_ms: f64::INFINITY,
        max_wall_s: 6.0,
        max_requests: None,
        htpdate_8: false,
    },
    Case {
        name: "20 ms, TLS",
        jitter: Duration::ZERO,
        connections: Connections::KeepAlive,
        tls: true,
        max_error_ms: 5.0,
        max_wall_s: 2.0 + 2.0 * LATENCY.as_secs_f64(),
        max_requests: Some(24),
        htpdate_8: false,
    },
];

impl Case {
    fn server(&self, offset_ms: i64) -> SkewedDateServer {
        let builder = SkewedDateServer::builder(offset_ms)
            .latency(LATENCY)
            .jitter(self.jitter)
            .connections(self.connections);
        if self.tls { builder.tls(&TLS) } else { builder }.start()
    }
}

/// nbsso's clients: the plain-HTTP cases' and one trusting the HTTPS cases' CA.
struct Clients {
    http: HttpClient,
    https: HttpClient,
}

/// One measurement: signed error in ms, the error bar if the tool gives one, requests, wall time.
#[derive(Clone, Copy)]
struct Run {
    miss_ms: f64,
    bar_ms: Option<f64>,
    requests: usize,
    wall: Duration,
}

#[derive(Default)]
struct Column {
    runs: Vec<Run>,
    failures: usize,
}

impl Column {
    fn max_abs(&self) -> f64 {
        self.runs
            .iter()
            .map(|r| r.miss_ms.abs())
            .fold(0.0, f64::max)
    }

    fn max_wall(&self) -> f64 {
        self.runs
            .iter()
            .map(|r| r.wall.as_secs_f64())
            .fold(0.0, f64::max)
    }

    fn max_requests(&self) -> usize {
        self.runs.iter().map(|r| r.requests).max().unwrap_or(0)
    }

    /// Runs whose error bar does not contain the true offset.
    fn outside_bar(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| r.bar_ms.is_some_and(|b| r.miss_ms.abs() > b))
            .count()
    }

    fn summary(&self, name: &str) -> String {
        if self.runs.is_empty() {
            return format!("{name:<28} no successful run ({} failed)", self.failures);
        }
        let n = self.runs.len() as f64;
        let mut abs: Vec<f64> = self.runs.iter().map(|r| r.miss_ms.abs()).collect();
        abs.sort_by(f64::total_cmp);
        let mean = abs.iter().sum::<f64>() / n;
        let median = abs[abs.len() / 2];
        let requests = self.runs.iter().map(|r| r.requests).sum::<usize>() as f64 / n;
        let wall = self.runs.iter().map(|r| r.wall.as_secs_f64()).sum::<f64>() / n;
        format!(
            "{name:<28} |error| mean {mean:6.2} ms, median {median:6.2} ms, max {:6.2} ms; \
             {requests:4.1} requests (max {}), {wall:.2} s per measurement (max {:.2} s); \
             {} runs, {} failed",
            self.max_abs(),
            self.max_requests(),
            self.max_wall(),
            self.runs.len(),
            self.failures
        )
    }
}

fn htpdate_available() -> bool {
    Command::new("htpdate")
        .arg("-h")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("htpdate"))
        .unwrap_or(false)
}

/// htpdate's measurement of the one host: the debug line `offset: -0.375000` (seconds, remote −
/// local). Its final `Offset … seconds` line is what it would *apply*, and 1.3.7 halves it when the
/// offset is under a second (its damping against bouncing around the limit), so it is only the
/// fallback (`Offset 123.4 ms` in 2.x; `No time correction needed` = 0).
fn parse_htpdate(stdout: &str) -> Option<f64> {
    let raw = stdout.lines().find_map(|l| {
        l.trim()
            .strip_prefix("offset: ")?
            .trim()
            .parse::<f64>()
            .ok()
    });
    if let Some(seconds) = raw {
        return Some(seconds * 1e3);
    }
    for line in stdout.lines() {
        let line = line.trim();
        if line.starts_with("No time correction needed") {
            return Some(0.0);
        }
        if let Some(rest) = line.strip_prefix("Offset ") {
            let mut words = rest.split_whitespace();
            let value: f64 = words.next()?.parse().ok()?;
            return Some(match words.next() {
                Some("ms") => value,
                Some(unit) if unit.starts_with("second") => value * 1e3,
                _ => return None,
            });
        }
    }
    None
}

/// htpdate in query mode (`-q`: display only, nothing is set; `-d`: print the per-host offset) with
/// `-p precision` bisection steps (1.3.7 sends `precision` requests, the first on a cold connection).
fn run_htpdate(case: &Case, offset_ms: i64, precision: u32) -> Result<Run, String> {
    let server = case.server(offset_ms);
    let started = Instant::now();
    let out = Command::new("htpdate")
        .args([
            "-q",
            "-d",
            "-p",
            &precision.to_string(),
            &server.host_port(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let measured = parse_htpdate(&stdout)
        .ok_or_else(|| format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))?;
    Ok(Run {
        miss_ms: measured - offset_ms as f64,
        bar_ms: None,
        requests: server.requests(),
        wall,
    })
}

/// nbsso on the skewed server and, at the same time, on a second server with no offset (the other
/// host of the clock check). The time is that of the pair; both hosts' errors are recorded.
fn run_nbsso(
    rt: &tokio::runtime::Runtime,
    clients: &Clients,
    case: &Case,
    offset_ms: i64,
) -> [Result<Run, String>; 2] {
    let servers = [case.server(offset_ms), case.server(0)];
    let urls = [servers[0].url(), servers[1].url()];
    let client = if case.tls {
        &clients.https
    } else {
        &clients.http
    };
    let started = Instant::now();
    let (a, b) = rt.block_on(async {
        tokio::join!(
            clock::measure(
                client,
                &urls[0],
                DEFAULT_MAX_REQUESTS,
                Duration::from_secs(15)
            ),
            clock::measure(
                client,
                &urls[1],
                DEFAULT_MAX_REQUESTS,
                Duration::from_secs(15)
            )
        )
    });
    let wall = started.elapsed();
    let run = |result: Result<clock::ClockEstimate, clock::ClockError>,
               server: &SkewedDateServer,
               injected: i64| {
        result
            .map(|e| Run {
                miss_ms: e.offset_s * 1e3 - injected as f64,
                bar_ms: Some(e.error_s * 1e3),
                requests: server.requests(),
                wall,
            })
            .map_err(|e| e.to_string())
    };
    [run(a, &servers[0], offset_ms), run(b, &servers[1], 0)]
}

fn cell(run: &Result<Run, String>) -> String {
    match run {
        Ok(r) => {
            let bar = r.bar_ms.map(|b| format!(" ±{b:4.1}")).unwrap_or_default();
            format!(
                "{:+7.2} ms{bar:<6} {:>2} req {:4.2} s",
                r.miss_ms,
                r.requests,
                r.wall.as_secs_f64()
            )
        }
        Err(e) => format!("failed: {}", e.lines().last().unwrap_or("?")),
    }
}

fn record(column: &mut Column, run: &Result<Run, String>) {
    match run {
        Ok(r) => column.runs.push(*r),
        Err(_) => column.failures += 1,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn main() {
    // Measured with the allocator set up as the binary sets it.
    nbsso::allocator::return_freed_memory_at_once();
    let rounds: usize = std::env::var("CLOCK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let htpdate = htpdate_available();
    if !htpdate {
        println!("htpdate not found (apt-get install -y htpdate): skipping its columns");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let clients = Clients {
        http: HttpClient::new(&Trust::SystemRoots, Duration::from_secs(5)).unwrap(),
        https: HttpClient::new(
            &Trust::CaFile(TLS.ca_pem_path().to_path_buf()),
            Duration::from_secs(5),
        )
        .unwrap(),
    };
    println!(
        "Skewed loopback servers; error = measured − injected offset. nbsso measures the skewed \
         server and an unskewed one at once (≤ {DEFAULT_MAX_REQUESTS} requests each)."
    );
    let mut all_met = true;
    for case in CASES {
        println!();
        println!("case {}:", case.name);
        println!(
            "{:>9}  {:<34}  {:<34}  {:<28}  {:<28}",
            "offset",
            "nbsso, skewed host",
            "nbsso, other host",
            "htpdate -p 4 (default)",
            "htpdate -p 8"
        );
        let (mut nb, mut h4, mut h8) = (Column::default(), Column::default(), Column::default());
        let htpdate_here = htpdate && !case.tls;
        for offset in OFFSETS_MS {
            for _ in 0..rounds {
                let [ours, other] = run_nbsso(&rt, &clients, &case, offset);
                record(&mut nb, &ours);
                record(&mut nb, &other);
                let p4 = if htpdate_here {
                    let p4 = run_htpdate(&case, offset, 4);
                    record(&mut h4, &p4);
                    cell(&p4)
                } else {
                    "-".to_string()
                };
                let p8 = if htpdate_here && case.htpdate_8 {
                    let p8 = run_htpdate(&case, offset, 8);
                    record(&mut h8, &p8);
                    cell(&p8)
                } else {
                    "-".to_string()
                };
                println!(
                    "{:>+7.3} s  {:<34}  {:<34}  {:<28}  {:<28}",
                    offset as f64 / 1e3,
                    cell(&ours),
                    cell(&other),
                    p4,
                    p8
                );
            }
        }
        println!("{}", nb.summary("nbsso (both hosts)"));
        if case.tls && htpdate {
            println!("htpdate: not run, Debian's build has no HTTPS (\"HTTPS not supported\")");
        }
        if htpdate_here {
            println!("{}", h4.summary("htpdate -p 4"));
            if case.htpdate_8 {
                println!("{}", h8.summary("htpdate -p 8"));
            }
        }
        let mut goals = vec![format!("every run done: {}", verdict(nb.failures == 0))];
        let mut met = nb.failures == 0;
        if case.max_error_ms.is_finite() {
            let ok = nb.max_abs() <= case.max_error_ms;
            met &= ok;
            goals.push(format!(
                "max |error| {:.2} ≤ {} ms: {}",
                nb.max_abs(),
                case.max_error_ms,
                verdict(ok)
            ));
        }
        if case.max_wall_s.is_finite() {
            let ok = nb.max_wall() <= case.max_wall_s;
            met &= ok;
            goals.push(format!(
                "max time {:.2} ≤ {} s: {}",
                nb.max_wall(),
                case.max_wall_s,
                verdict(ok)
            ));
        }
        if let Some(most) = case.max_requests {
            let ok = nb.max_requests() <= most;
            met &= ok;
            goals.push(format!(
                "max requests {} ≤ {most}: {}",
                nb.max_requests(),
                verdict(ok)
            ));
        }
        let outside = nb.outside_bar();
        met &= outside == 0;
        goals.push(format!(
            "true offset inside the error bar in every run: {} ({outside} outside)",
            verdict(outside == 0)
        ));
        println!("goals ({}): {}", case.name, goals.join("; "));
        all_met &= met;
    }
    println!();
    println!("all clock goals: {}", verdict(all_met));
}
