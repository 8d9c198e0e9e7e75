#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! How long the whole check board takes, and how concurrent it is: its wall time, and that over the
//! slowest single check's time, against a Kanidm-shaped IdP and a NetBox-shaped server that both
//! answer every request after injected latency. Goals: the board within 2.5 s, and ≤ 1.3 × its
//! slowest check (the board takes hardly longer than its slowest check).
//!
//! `cargo bench --bench check_concurrency` (latency per response: `CHECK_BENCH_LATENCY_MS`, default 150).

use nbsso::checks::{self, CheckId, Options, Status};
use nbsso::plan::validate;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use testkit::idp::TestIdp;
use testkit::netbox::{LoginStyle, TestNetbox};

fn main() {
    // Measured with the allocator set up as the binary sets it.
    nbsso::allocator::return_freed_memory_at_once();
    let latency_ms: u64 = std::env::var("CHECK_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let latency = Duration::from_millis(latency_ms);
    let placeholder = TestIdp::builder().start_blocking();
    let netbox = TestNetbox::builder()
        .style(LoginStyle::PostBegin)
        .authorize_endpoint(&format!("{}/ui/oauth2", placeholder.origin()))
        .client_id("netbox")
        .use_pkce(true)
        .button("Kanidm", Some("login"))
        .latency_split(latency / 2, latency / 2)
        .start_blocking();
    let idp = TestIdp::builder()
        .client("netbox", "s")
        .redirect_url(&format!("{}/oauth/complete/oidc/", netbox.origin()))
        .response_delay(latency)
        .start_blocking();
    let endpoint = format!("{}/ui/oauth2", idp.origin());
    netbox.configure(|c| c.sso.as_mut().unwrap().authorize_endpoint = endpoint);

    let mut draft = testkit::plans::example_draft("keycloak-netbox-4.7.3.toml");
    draft.kanidm.origin = idp.origin();
    draft.tls.ca_file = idp.ca_pem_path().display().to_string();
    draft.netbox.url = netbox.origin();
    let plan = Arc::new(validate(&draft).unwrap().0);
    let rt = tokio::runtime::Runtime::new().unwrap();

    let timed = |only: Option<BTreeSet<CheckId>>| {
        let options = Options {
            only,
            ..Options::default()
        };
        let started = Instant::now();
        let results = rt.block_on(checks::run_to_end(plan.clone(), options));
        let elapsed = started.elapsed();
        // The clock may only warn here: with this much latency its error bar is wide.
        for (id, f) in &results {
            assert!(
                matches!(f.status, Status::Pass | Status::Warn),
                "{id:?}: {f:#?}"
            );
        }
        elapsed
    };

    println!("check suite concurrency, {latency_ms} ms injected latency per response");
    // The clock check's time depends on where in the second it starts (where the servers' Date
    // ticks): each comparison starts the suite and the clock alone at the same phase.
    let mut singles = Vec::new();
    for id in CheckId::ALL {
        if id == CheckId::Clock {
            continue;
        }
        let alone = timed(Some(BTreeSet::from([id])));
        println!(
            "  {:<14} alone (with its prerequisites) {:>7.3} s",
            id.key(),
            alone.as_secs_f64()
        );
        singles.push((id, alone));
    }
    let (mut worst_ratio, mut worst_suite) = (0.0_f64, Duration::ZERO);
    for phase in PHASES {
        at_phase(phase);
        let clock = timed(Some(BTreeSet::from([CheckId::Clock])));
        at_phase(phase);
        let suite = timed(None);
        let slowest = singles
            .iter()
            .copied()
            .chain([(CheckId::Clock, clock)])
            .max_by_key(|(_, t)| *t)
            .unwrap();
        let ratio = suite.as_secs_f64() / slowest.1.as_secs_f64();
        println!(
            "  start at {phase:.2} s into the second: clock alone {:.3} s, whole suite {:.3} s, \
             suite / slowest ({}) = {ratio:.2}",
            clock.as_secs_f64(),
            suite.as_secs_f64(),
            slowest.0.key()
        );
        worst_ratio = worst_ratio.max(ratio);
        worst_suite = worst_suite.max(suite);
    }
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "whole suite at most {:.3} s (goal ≤ 2.5 s: {}); suite / slowest single check at most \
         {worst_ratio:.2} (goal ≤ 1.3: {})",
        worst_suite.as_secs_f64(),
        verdict(worst_suite <= Duration::from_millis(2500)),
        verdict(worst_ratio <= 1.3)
    );
}

/// Start phases of the comparisons, in seconds into this machine's second.
const PHASES: [f64; 4] = [0.1, 0.35, 0.6, 0.85];

/// Waits until this machine's clock is `fraction` into a second.
fn at_phase(fraction: f64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    std::thread::sleep(Duration::from_secs_f64(
        (fraction - now.fract()).rem_euclid(1.0),
    ));
}
