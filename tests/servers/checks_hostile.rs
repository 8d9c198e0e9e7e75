//! A hostile-server matrix: Kanidm (or NetBox) answers with huge, endless, slow, broken, misleading or
//! missing data. Every case must end in a clear finding, within its deadline.

use nbsso::checks::{self, CheckId, Finding, Options, Status};
use nbsso::plan::validate;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::hostile::Hostile;
use testkit::netbox::TestNetbox;

const TIMEOUT: Duration = Duration::from_secs(3);
const CLOCK_TIMEOUT: Duration = Duration::from_secs(4);

/// What the user must read for each case, and in which check.
fn expectation(case: Hostile) -> (CheckId, &'static str) {
    use Hostile::*;
    match case {
        HugeBody | HugeBodyNoLength | EndlessBody => (CheckId::Discovery, "larger than 1024 KiB"),
        SilentAfterAccept | DribbleHeaders | SlowBody => {
            (CheckId::Discovery, "no complete answer within 3 s")
        }
        ResetOnAccept => (CheckId::KanidmTls, "cannot reach"),
        ResetMidBody => (CheckId::Discovery, "the connection broke while reading"),
        CloseWithoutResponse => (CheckId::Discovery, "discovery:"),
        UntrustedCa => (CheckId::KanidmTls, "does not trust"),
        WrongHostname => (
            CheckId::KanidmTls,
            "the certificate is not valid for 127.0.0.1",
        ),
        ExpiredCert => (CheckId::KanidmTls, "expired on 2021-01-01"),
        RedirectLoop => (
            CheckId::Discovery,
            "discovery answered HTTP 302 instead of 200",
        ),
        InvalidJson => (CheckId::Discovery, "invalid JSON"),
        JsonArray | JsonWrongTypes => (CheckId::Discovery, "JSON of the wrong shape"),
        HtmlLoginPage => (
            CheckId::Discovery,
            "an HTML page, not the JSON discovery document",
        ),
        Status500 => (
            CheckId::Discovery,
            "discovery answered HTTP 500 instead of 200",
        ),
        Status404 => (CheckId::Discovery, "no OpenID configuration at"),
        NoDateHeader => (CheckId::Clock, "without a Date header"),
        MalformedDateHeader => (CheckId::Clock, "not an HTTP date"),
    }
}

fn run_case(case: Hostile, netbox: &TestNetbox) -> (Finding, Duration) {
    let server = case
        .builder()
        .tls(true)
        .interval(Duration::from_millis(500))
        .start();
    let mut draft = testkit::plans::example_draft("keycloak-netbox-4.7.3.toml");
    draft.kanidm.origin = server.origin();
    draft.tls.ca_file = server.ca_pem_path().unwrap().display().to_string();
    draft.netbox.url = netbox.origin();
    let plan = validate(&draft).unwrap().0;
    let (id, _) = expectation(case);
    let options = Options {
        only: Some(BTreeSet::from([id])),
        timeout: TIMEOUT,
        clock_timeout: CLOCK_TIMEOUT,
        ..Options::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let results = rt.block_on(checks::run_to_end(Arc::new(plan), options));
    let elapsed = started.elapsed();
    let finding = results.into_iter().find(|(i, _)| *i == id).unwrap().1;
    // A check that only reports "skipped" hides the real cause: look at its prerequisite instead.
    (finding, elapsed)
}

#[test]
fn every_hostile_server_gives_a_clear_finding_within_its_deadline() {
    let netbox = TestNetbox::builder().no_sso().start_blocking();
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for case in Hostile::ALL {
        let (id, expected) = expectation(case);
        let (finding, elapsed) = run_case(case, &netbox);
        let deadline = if id == CheckId::Clock {
            CLOCK_TIMEOUT
        } else {
            TIMEOUT
        } + Duration::from_secs(1);
        lines.push(format!(
            "{:<22} {:>6.2} s  {} {:<10} {}",
            case.name(),
            elapsed.as_secs_f64(),
            finding.status.glyph(),
            id.key(),
            finding.summary
        ));
        if finding.status == Status::Pass
            || !finding.summary.contains(expected)
            || elapsed > deadline
        {
            failures.push(format!("{case:?}: expected {expected:?} in {id:?} within {deadline:?}, got {finding:#?} after {elapsed:?}"));
        }
    }
    println!("hostile-server matrix: {} cases", Hostile::ALL.len());
    for line in &lines {
        println!("  {line}");
    }
    assert!(Hostile::ALL.len() >= 15);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
