#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! nbsso's clock measurement side by side with Debian's `htpdate` (query mode, nothing is set),
//! against the same kind of skewed server: plain HTTP on loopback, `Date = floor(now + offset)`,
//! 20 ms of latency split evenly around the moment the `Date` is stamped.
//!
//! `cargo bench --bench clock_vs_htpdate` (rounds per offset: `CLOCK_BENCH_ROUNDS`, default 3).
//! Each tool gets a fresh server per run, so the server's request counter is that tool's count.

use std::process::Command;
use std::time::{Duration, Instant};

use nbsso::checks::clock;
use nbsso::checks::http::{HttpClient, Trust};
use testkit::skewed_date::SkewedDateServer;

const OFFSETS_MS: [i64; 4] = [-1843, -400, 250, 2500];
const LATENCY: Duration = Duration::from_millis(20);
const MAX_REQUESTS: usize = 8;

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
    fn summary(&self, name: &str) -> String {
        if self.runs.is_empty() {
            return format!("{name:<26} no successful run ({} failed)", self.failures);
        }
        let n = self.runs.len() as f64;
        let mut abs: Vec<f64> = self.runs.iter().map(|r| r.miss_ms.abs()).collect();
        abs.sort_by(f64::total_cmp);
        let mean = abs.iter().sum::<f64>() / n;
        let median = abs[abs.len() / 2];
        let max = abs[abs.len() - 1];
        let requests = self.runs.iter().map(|r| r.requests).sum::<usize>() as f64 / n;
        let wall = self.runs.iter().map(|r| r.wall.as_secs_f64()).sum::<f64>() / n;
        format!(
            "{name:<26} |error| mean {mean:6.2} ms, median {median:6.2} ms, max {max:6.2} ms; \
             {requests:.1} requests, {wall:.2} s per measurement ({} runs, {} failed)",
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

/// htpdate in query mode (`-q`: display only, nothing is set; `-dd`: print the per-host offset) with
/// `-p precision` bisection steps (1.3.7 sends `precision` requests, the first on a cold connection).
fn run_htpdate(offset_ms: i64, precision: u32) -> Result<Run, String> {
    let server = SkewedDateServer::start(offset_ms, LATENCY);
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

fn run_nbsso(
    rt: &tokio::runtime::Runtime,
    client: &HttpClient,
    offset_ms: i64,
) -> Result<Run, String> {
    let server = SkewedDateServer::start(offset_ms, LATENCY);
    let started = Instant::now();
    let e = rt
        .block_on(clock::measure(
            client,
            &server.url(),
            MAX_REQUESTS,
            Duration::from_secs(15),
        ))
        .map_err(|e| e.to_string())?;
    Ok(Run {
        miss_ms: e.offset_s * 1e3 - offset_ms as f64,
        bar_ms: Some(e.error_s * 1e3),
        requests: server.requests(),
        wall: started.elapsed(),
    })
}

fn cell(run: &Result<Run, String>) -> String {
    match run {
        Ok(r) => {
            let bar = r.bar_ms.map(|b| format!(" ±{b:4.1}")).unwrap_or_default();
            format!(
                "{:+7.2} ms{bar:<6} {} req {:4.2} s",
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

fn main() {
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
    let client = HttpClient::new(&Trust::SystemRoots, Duration::from_secs(5)).unwrap();
    println!(
        "Skewed loopback server, {} ms latency (half before the Date stamp, half after); error = measured − injected offset.",
        LATENCY.as_millis()
    );
    println!(
        "{:>9}  {:<36}  {:<28}  {:<28}",
        "offset", "nbsso (≤ 8 requests)", "htpdate -p 4 (default)", "htpdate -p 8 (8 requests)"
    );
    let (mut nb, mut h4, mut h8) = (Column::default(), Column::default(), Column::default());
    for offset in OFFSETS_MS {
        for _ in 0..rounds {
            let ours = run_nbsso(&rt, &client, offset);
            record(&mut nb, &ours);
            let (p4, p8) = if htpdate {
                let p4 = run_htpdate(offset, 4);
                let p8 = run_htpdate(offset, 8);
                record(&mut h4, &p4);
                record(&mut h8, &p8);
                (cell(&p4), cell(&p8))
            } else {
                ("-".to_string(), "-".to_string())
            };
            println!(
                "{:>+7.3} s  {:<36}  {:<28}  {:<28}",
                offset as f64 / 1e3,
                cell(&ours),
                p4,
                p8
            );
        }
    }
    println!();
    println!("{}", nb.summary("nbsso"));
    if htpdate {
        println!("{}", h4.summary("htpdate -p 4"));
        println!("{}", h8.summary("htpdate -p 8 (8 requests)"));
    }
}
