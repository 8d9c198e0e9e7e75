#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! How concurrent the check suite is: its wall time over the slowest single check's time, against a
//! Kanidm-shaped IdP and a NetBox-shaped server that both answer every request after injected latency.
//! Goal: ≤ 1.3 (the suite takes hardly longer than its slowest check).
//!
//! `cargo bench --bench check_concurrency` (latency per response: `CHECK_BENCH_LATENCY_MS`, default 150).

use nbsso::checks::{self, CheckId, Options, Status};
use nbsso::plan::validate;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::idp::TestIdp;
use testkit::netbox::{LoginStyle, TestNetbox};

fn main() {
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
    let mut slowest = (CheckId::KanidmTls, Duration::ZERO);
    for id in CheckId::ALL {
        let alone = timed(Some(BTreeSet::from([id])));
        println!(
            "  {:<14} alone (with its prerequisites) {:>7.3} s",
            id.key(),
            alone.as_secs_f64()
        );
        if alone > slowest.1 {
            slowest = (id, alone);
        }
    }
    let suite = timed(None);
    let ratio = suite.as_secs_f64() / slowest.1.as_secs_f64();
    println!(
        "  whole suite                             {:>7.3} s",
        suite.as_secs_f64()
    );
    println!(
        "suite / slowest single check ({}) = {ratio:.2} (goal ≤ 1.3: {})",
        slowest.0.key(),
        if ratio <= 1.3 { "met" } else { "NOT met" }
    );
}
