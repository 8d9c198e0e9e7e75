//! The clock measurement (`nbsso::checks::clock::measure`) against servers whose clocks are off by a
//! known amount: a plain-HTTP server with injected latency (symmetric, or jittery), one that closes
//! every connection after its answer, one that serves one connection at a time, and the
//! Kanidm-shaped test IdP over TLS.
//!
//! The bounds here leave room for a loaded machine; `benches/clock_vs_htpdate.rs` holds the strict
//! goals (5 ms, 2.0 s, 24 requests).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nbsso::checks::clock::{self, ClockError, ClockEstimate, DEFAULT_MAX_REQUESTS, Probing};
use nbsso::checks::http::{HttpClient, Trust};
use testkit::idp::TestIdp;
use testkit::skewed_date::{Connections, DateMode, SkewedDateServer, SkewedTls};

const LATENCY: Duration = Duration::from_millis(20);
const JITTER: Duration = Duration::from_millis(10);
const MAX_REQUESTS: usize = DEFAULT_MAX_REQUESTS;
const DEADLINE: Duration = Duration::from_secs(15);
const OFFSETS_MS: [i64; 4] = [-1843, -400, 250, 2500];

fn client() -> HttpClient {
    HttpClient::new(&Trust::SystemRoots, Duration::from_secs(5)).unwrap()
}

fn report(label: &str, injected_ms: i64, e: &ClockEstimate, took: Duration, served: usize) -> f64 {
    let miss_ms = e.offset_s * 1e3 - injected_ms as f64;
    println!(
        "{label}: injected {:+.3} s, measured {:+.4} s ± {:.4} s, miss {miss_ms:+.2} ms, \
         {} requests (server saw {served}), median RTT {:.2} ms, {:?}, {:.2} s",
        injected_ms as f64 / 1e3,
        e.offset_s,
        e.error_s,
        e.requests,
        e.rtt_median.as_secs_f64() * 1e3,
        e.probing,
        took.as_secs_f64()
    );
    miss_ms
}

async fn timed(client: &HttpClient, url: String) -> (ClockEstimate, Duration) {
    let started = Instant::now();
    let e = clock::measure(client, &url, MAX_REQUESTS, DEADLINE)
        .await
        .unwrap_or_else(|err| panic!("{url}: {err}"));
    (e, started.elapsed())
}

/// Measures every server at once and returns (estimate, time, requests the server saw).
async fn measure_all(servers: &[SkewedDateServer]) -> Vec<(ClockEstimate, Duration, usize)> {
    let client = client();
    let results =
        futures_util::future::join_all(servers.iter().map(|s| timed(&client, s.url()))).await;
    results
        .into_iter()
        .zip(servers)
        .map(|((e, took), s)| (e, took, s.requests()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_offsets_are_measured_within_10_ms_in_about_2_s() {
    let servers: Vec<SkewedDateServer> = OFFSETS_MS
        .iter()
        .map(|&ms| SkewedDateServer::start(ms, LATENCY))
        .collect();
    let mut failures = Vec::new();
    for (&injected, (e, took, served)) in OFFSETS_MS.iter().zip(measure_all(&servers).await) {
        let miss = report("http", injected, &e, took, served);
        assert!(served <= MAX_REQUESTS, "{injected}: {served} requests");
        assert_eq!(e.requests, served);
        assert_eq!(e.probing, Probing::Staggered);
        // Causality alone bounds the offset: the error bar must cover the truth.
        assert!(
            miss.abs() <= e.error_s * 1e3 + 0.5,
            "{injected}: outside the error bar"
        );
        assert!(e.error_s < 0.025, "{injected}: error bar {e:?}");
        if miss.abs() > 10.0 {
            failures.push((injected, miss));
        }
        let rtt = e.rtt_median.as_secs_f64();
        assert!((0.019..0.030).contains(&rtt), "RTT {rtt}");
        // 2.0 s is the goal (see the benchmark); four measurements at once on a loaded machine.
        assert!(took < Duration::from_secs(3), "{injected}: {took:?}");
    }
    assert!(
        failures.is_empty(),
        "missed by more than 10 ms: {failures:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_handshakes_count_in_no_round_trip() {
    // Kanidm is always HTTPS: each new connection costs TCP's and TLS's round trips (40 ms here)
    // before its first request, including those opened for the second pass.
    let tls = SkewedTls::new();
    let client = HttpClient::new(
        &Trust::CaFile(tls.ca_pem_path().to_path_buf()),
        Duration::from_secs(5),
    )
    .unwrap();
    for injected in [-1843, 250] {
        let servers = [injected, 0].map(|ms| {
            SkewedDateServer::builder(ms)
                .latency(LATENCY)
                .tls(&tls)
                .start()
        });
        let (a, b) = tokio::join!(
            timed(&client, servers[0].url()),
            timed(&client, servers[1].url())
        );
        for ((e, took), (server, truth)) in
            [a, b].into_iter().zip(servers.iter().zip([injected, 0]))
        {
            let miss = report("https", truth, &e, took, server.requests());
            assert_eq!(e.probing, Probing::Staggered);
            assert!(
                miss.abs() <= e.error_s * 1e3 + 0.5,
                "{truth}: outside the error bar"
            );
            assert!(miss.abs() <= 10.0, "{truth}: missed by {miss:.2} ms");
            let rtt = e.rtt_median.as_secs_f64();
            assert!((0.019..0.030).contains(&rtt), "RTT {rtt}");
            assert!(server.requests() <= MAX_REQUESTS);
            assert!(took < Duration::from_secs(3), "{truth}: {took:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jittery_path_stays_inside_the_error_bar() {
    // Each leg 10 ± 5 ms: round trips of 10 to 30 ms, legs differing by up to 10 ms.
    for round in 0..2 {
        let servers: Vec<SkewedDateServer> = OFFSETS_MS
            .iter()
            .map(|&ms| {
                SkewedDateServer::builder(ms)
                    .latency(LATENCY)
                    .jitter(JITTER)
                    .start()
            })
            .collect();
        for (&injected, (e, took, served)) in OFFSETS_MS.iter().zip(measure_all(&servers).await) {
            let miss = report(&format!("jitter {round}"), injected, &e, took, served);
            assert!(
                miss.abs() <= e.error_s * 1e3,
                "{injected}: outside the error bar {e:?}"
            );
            assert!(miss.abs() <= 20.0, "{injected}: {miss} ms");
            assert!(served <= MAX_REQUESTS);
            assert!(took < Duration::from_secs(5), "{took:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_every_connection_is_measured_in_time() {
    let servers: Vec<SkewedDateServer> = OFFSETS_MS
        .iter()
        .map(|&ms| {
            SkewedDateServer::builder(ms)
                .latency(LATENCY)
                .connections(Connections::CloseEach)
                .start()
        })
        .collect();
    for ((&injected, (e, took, served)), server) in OFFSETS_MS
        .iter()
        .zip(measure_all(&servers).await)
        .zip(&servers)
    {
        let miss = report("close each", injected, &e, took, served);
        assert!(miss.abs() <= e.error_s * 1e3 + 0.5, "{injected}: {e:?}");
        assert!(miss.abs() <= 10.0, "{injected}: {miss} ms");
        assert!(served <= MAX_REQUESTS);
        // One connection per request (a few may be opened and not needed).
        assert!(server.connections() >= served, "{}", server.connections());
        assert!(took < Duration::from_secs(6), "{took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_serves_one_connection_at_a_time_gets_one_request_after_another() {
    let servers: Vec<SkewedDateServer> = OFFSETS_MS
        .iter()
        .map(|&ms| {
            SkewedDateServer::builder(ms)
                .latency(LATENCY)
                .connections(Connections::OneAtATime)
                .start()
        })
        .collect();
    let results = measure_all(&servers).await;
    // Once the measurements let go, each server takes the connections it left waiting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for ((&injected, (e, took, served)), server) in OFFSETS_MS.iter().zip(results).zip(&servers) {
        let miss = report("one at a time", injected, &e, took, served);
        assert_eq!(e.probing, Probing::Sequential, "{e:?}");
        assert!(miss.abs() <= e.error_s * 1e3 + 0.5, "{injected}: {e:?}");
        assert!(miss.abs() <= 15.0, "{injected}: {miss} ms");
        // The goal is 6 s (see the benchmark); room for a loaded machine.
        assert!(took < Duration::from_secs(8), "{took:?}");
        // One connection beyond the one it serves shows the limit: each further one would have
        // cost a request left waiting, and a few tenths of a second.
        assert!(
            server.connections() <= 2,
            "{injected}: {} connections",
            server.connections()
        );
    }
}

/// Waits until this machine's clock is `fraction` into a second, so that runs start at the same
/// phase and take the same path.
async fn at_phase(fraction: f64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let wait = (fraction - now.fract()).rem_euclid(1.0);
    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_at_once_take_the_time_of_one() {
    let a = SkewedDateServer::start(-1843, LATENCY);
    let b = SkewedDateServer::start(-1843, LATENCY);
    let client = client();
    at_phase(0.3).await;
    let (alone, alone_took) = timed(&client, a.url()).await;
    report("alone", -1843, &alone, alone_took, a.requests());

    let other = client.clone();
    at_phase(0.3).await;
    let started = Instant::now();
    let (ra, rb) = tokio::join!(timed(&client, a.url()), timed(&other, b.url()));
    let together = started.elapsed();
    report(
        "joined a",
        -1843,
        &ra.0,
        ra.1,
        a.requests() - alone.requests,
    );
    report("joined b", -1843, &rb.0, rb.1, b.requests());
    println!(
        "one host alone {:.2} s, two hosts at once {:.2} s",
        alone_took.as_secs_f64(),
        together.as_secs_f64()
    );
    assert!(
        together < alone_took + Duration::from_millis(600),
        "two hosts took {together:?}, one {alone_took:?}"
    );
    for (e, _) in [ra, rb] {
        assert!((e.offset_s + 1.843).abs() < 0.010, "{e:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_malformed_date_fails_clearly_and_at_once() {
    let deadline = Duration::from_secs(3);
    for (mode, want) in [
        (DateMode::Missing, "without a Date header"),
        (DateMode::Malformed, "not an HTTP date: \"not a date\""),
    ] {
        let server = SkewedDateServer::start_with(0, LATENCY, mode);
        let started = Instant::now();
        let err = clock::measure(&client(), &server.url(), MAX_REQUESTS, deadline)
            .await
            .unwrap_err();
        let took = started.elapsed();
        println!("{mode:?}: {err} ({took:?})");
        assert!(err.to_string().contains(want), "{err}");
        assert!(err.to_string().contains(&server.url()), "{err}");
        assert!(took < deadline, "{took:?}");
        assert_eq!(server.requests(), 1, "gave up after the first answer");
        assert!(!err.is_unreachable());
        let finding = err.to_finding();
        assert!(finding.fix.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_does_not_answer_in_time_is_a_deadline_error() {
    let server = SkewedDateServer::start(0, Duration::from_secs(4));
    let deadline = Duration::from_millis(800);
    let started = Instant::now();
    let err = clock::measure(&client(), &server.url(), MAX_REQUESTS, deadline)
        .await
        .unwrap_err();
    let took = started.elapsed();
    println!("{err} ({took:?})");
    assert!(matches!(err, ClockError::Deadline { .. }), "{err:?}");
    assert!(err.to_string().contains("no answer within 800ms"), "{err}");
    assert!(took < deadline + Duration::from_millis(100), "{took:?}");
    assert!(err.to_finding().unreachable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_deadline_gives_a_coarser_but_honest_estimate() {
    let server = SkewedDateServer::start(-400, LATENCY);
    // Not even the first pass (one second) fits.
    let deadline = Duration::from_millis(600);
    let started = Instant::now();
    let e = clock::measure(&client(), &server.url(), MAX_REQUESTS, deadline)
        .await
        .unwrap();
    let took = started.elapsed();
    let miss = report("short deadline", -400, &e, took, server.requests());
    assert!(took <= deadline + Duration::from_millis(50), "{took:?}");
    assert!(e.requests < MAX_REQUESTS && e.requests >= 2, "{e:?}");
    assert!(miss.abs() <= e.error_s * 1e3 + 0.5, "outside the error bar");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_idp_over_tls() {
    // Without delay: TLS on loopback; connections are opened before the requests are timed.
    let idp = TestIdp::builder().clock_offset_ms(-1843).start().await;
    let https = HttpClient::new(
        &Trust::CaFile(idp.ca_pem_path().to_path_buf()),
        Duration::from_secs(5),
    )
    .unwrap();
    let url = format!("{}/status", idp.origin());
    let (e, took) = timed(&https, url).await;
    let served = idp.requests_to("/status").len();
    let miss = report("idp tls", -1843, &e, took, served);
    assert!(miss.abs() < 10.0 && miss.abs() <= e.error_s * 1e3 + 0.5);
    assert!(served <= MAX_REQUESTS);

    // The IdP's `response_delay` is spent entirely before it stamps the Date, unlike a network
    // path: the midpoint assumption then reads the clock up to half the delay early (typically a bias
    // of +5..+13 ms here, less under load), which the error bar (causality) still covers.
    let idp = TestIdp::builder()
        .clock_offset_ms(-1843)
        .response_delay(LATENCY)
        .start()
        .await;
    let https = HttpClient::new(
        &Trust::CaFile(idp.ca_pem_path().to_path_buf()),
        Duration::from_secs(5),
    )
    .unwrap();
    let url = format!("{}/status", idp.origin());
    let (e, took) = timed(&https, url).await;
    let served = idp.requests_to("/status").len();
    let miss = report("idp tls, delay before Date", -1843, &e, took, served);
    assert!(miss.abs() <= e.error_s * 1e3 + 0.5, "outside the error bar");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_the_plan_does_not_trust_is_a_tls_error() {
    let idp = TestIdp::builder().start().await;
    let err = clock::measure(
        &client(),
        &format!("{}/status", idp.origin()),
        MAX_REQUESTS,
        Duration::from_secs(5),
    )
    .await
    .unwrap_err();
    println!("{err}");
    assert!(err.is_unreachable(), "{err:?}");
    assert!(err.to_string().contains("does not trust"), "{err}");
}

#[test]
fn evaluation_of_measured_hosts() {
    // What the wizard would show for the blog's case, with figures like the ones measured above.
    let kanidm = ClockEstimate {
        offset_s: 0.0004,
        error_s: 0.011,
        requests: 18,
        rtt_median: Duration::from_millis(21),
        probing: Probing::Staggered,
    };
    let netbox = ClockEstimate {
        offset_s: -1.8427,
        probing: Probing::Sequential,
        ..kanidm
    };
    let f = clock::evaluate(&kanidm, &netbox);
    println!("{}\n  fix: {}", f.summary, f.fix.as_deref().unwrap_or("-"));
    for d in &f.details {
        println!("  {d}");
    }
    assert_eq!(f.status, nbsso::checks::Status::Fail);
    assert!(
        f.summary
            .starts_with("NetBox is 1.843 s ± 0.022 s behind Kanidm")
    );
    assert!(
        f.details[1].ends_with("as the server answers only one connection at a time)"),
        "{}",
        f.details[1]
    );
    assert!(!f.details[0].contains("one connection"), "{}", f.details[0]);
}
