//! The Kanidm-side checks on real sockets against the Kanidm-shaped IdP: TLS trust, discovery,
//! JWKS and the authorise probe, through the same engine the CLI and the wizard use.

use nbsso::checks::{self, CheckId, Finding, Options, Status};
use nbsso::plan::{Plan, PlanDraft, validate};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use testkit::idp::{TestIdp, TestIdpBuilder};
use testkit::plans::{example_draft, finding, run_checks};

const REDIRECT: &str = "https://netbox.example.com/oauth/complete/oidc/";

fn plan(idp: &TestIdp, edit: impl FnOnce(&mut PlanDraft)) -> Plan {
    let mut draft = example_draft("keycloak-netbox-4.7.3.toml");
    draft.kanidm.origin = idp.origin();
    draft.tls.ca_file = idp.ca_pem_path().display().to_string();
    edit(&mut draft);
    validate(&draft).unwrap().0
}

fn kanidm() -> TestIdpBuilder {
    TestIdp::builder()
        .client("netbox", "s")
        .redirect_url(REDIRECT)
}

fn run(plan: Plan, ids: &[CheckId]) -> Vec<(CheckId, Finding)> {
    run_checks(plan, ids, Duration::from_secs(5))
}

const KANIDM_CHECKS: [CheckId; 4] = [
    CheckId::KanidmTls,
    CheckId::Discovery,
    CheckId::Jwks,
    CheckId::Authorise,
];

#[test]
fn a_kanidm_set_up_by_the_script_passes_every_kanidm_check() {
    let idp = kanidm().start_blocking();
    let results = run(plan(&idp, |_| {}), &KANIDM_CHECKS);
    for (id, f) in &results {
        assert_eq!(f.status, Status::Pass, "{id:?}: {f:#?}");
    }
    assert_eq!(results.len(), 4, "only the selected checks are reported");
    let probe = finding(&results, CheckId::Authorise);
    assert!(
        probe
            .details
            .iter()
            .any(|d| d.contains("the plan's redirect_uri (NetBox could not be asked)"))
    );
}

#[test]
fn without_the_ca_file_tls_names_the_ca_and_the_rest_is_skipped() {
    let idp = kanidm().start_blocking();
    let results = run(plan(&idp, |d| d.tls.ca_file.clear()), &KANIDM_CHECKS);
    let tls = finding(&results, CheckId::KanidmTls);
    assert_eq!(tls.status, Status::Fail);
    assert!(
        tls.summary
            .contains("which this machine's system roots does not trust"),
        "{}",
        tls.summary
    );
    assert!(
        tls.fix
            .as_deref()
            .unwrap()
            .starts_with("set tls.ca_file to the PEM of the CA")
    );
    assert_eq!(
        finding(&results, CheckId::Discovery).status,
        Status::Skipped
    );
    assert_eq!(finding(&results, CheckId::Jwks).status, Status::Skipped);
    assert_eq!(
        finding(&results, CheckId::Authorise).status,
        Status::Skipped
    );
}

#[test]
fn a_missing_client_is_reported_by_discovery() {
    let idp = kanidm().start_blocking();
    let results = run(
        plan(&idp, |d| d.kanidm.client = "nbx".into()),
        &[CheckId::Discovery, CheckId::Jwks],
    );
    let d = finding(&results, CheckId::Discovery);
    assert_eq!(d.summary, "Kanidm has no OAuth2 client named nbx");
    assert_eq!(finding(&results, CheckId::Jwks).status, Status::Skipped);
}

#[test]
fn pkce_enforced_for_a_netbox_that_cannot_send_it_fails_twice_over() {
    let idp = kanidm().start_blocking();
    let old = plan(&idp, |d| d.netbox.version = "4.5.2".into());
    let results = run(old, &[CheckId::Discovery, CheckId::Authorise]);
    assert!(
        finding(&results, CheckId::Discovery)
            .summary
            .contains("cannot send it")
    );
    let probe = finding(&results, CheckId::Authorise);
    assert_eq!(probe.status, Status::Fail);
    assert_eq!(
        probe.fix.as_deref(),
        Some("kanidm system oauth2 warning-insecure-client-disable-pkce netbox --name idm_admin")
    );
}

#[test]
fn a_redirect_registered_without_the_trailing_slash_is_refused_by_the_probe() {
    let idp = TestIdp::builder()
        .client("netbox", "s")
        .redirect_url("https://netbox.example.com/oauth/complete/oidc")
        .start_blocking();
    let results = run(plan(&idp, |_| {}), &[CheckId::Authorise]);
    let probe = finding(&results, CheckId::Authorise);
    assert_eq!(probe.status, Status::Fail);
    assert!(
        probe.summary.contains("not registered exactly"),
        "{}",
        probe.summary
    );
    assert_eq!(
        probe.fix.as_deref(),
        Some(
            "kanidm system oauth2 add-redirect-url netbox https://netbox.example.com/oauth/complete/oidc/ --name idm_admin"
        )
    );
    assert!(
        idp.server_log()
            .iter()
            .any(|l| l.contains("Invalid OAuth2 redirect_uri"))
    );
}

#[test]
fn legacy_crypto_and_a_missing_scope_are_findings() {
    let idp = kanidm()
        .legacy_crypto(true)
        .scope_map(&["openid", "profile"])
        .start_blocking();
    let results = run(plan(&idp, |_| {}), &[CheckId::Discovery, CheckId::Jwks]);
    let d = finding(&results, CheckId::Discovery);
    assert_eq!(d.status, Status::Fail);
    assert!(d.summary.contains("scope map lacks email"), "{}", d.summary);
    assert!(
        d.details.iter().any(|l| l.contains("legacy crypto is on")),
        "{:#?}",
        d.details
    );
    assert_eq!(
        finding(&results, CheckId::Jwks).summary,
        "1 signing key(s), RS256"
    );
}

/// The discovery check alone, against `idp`, for a plan for Kanidm `planned`.
fn discovery(idp: &TestIdp, planned: &str) -> Finding {
    let plan = plan(idp, |d| d.kanidm.version = planned.into());
    finding(&run(plan, &[CheckId::Discovery]), CheckId::Discovery).clone()
}

#[test]
fn discovery_reads_kanidms_release_and_offers_it_when_the_plan_names_another() {
    // The captured header, 1.11.1, against a plan for 1.11.1: nothing to offer.
    let idp = kanidm().start_blocking();
    let d = discovery(&idp, "1.11.1");
    assert_eq!(d.status, Status::Pass);
    assert!(
        d.details
            .contains(&"Kanidm 1.11.1 (x-kanidm-version); the plan is for 1.11.1".to_string()),
        "{:#?}",
        d.details
    );
    let detected = d.detected.expect("the release is reported");
    assert_eq!(
        (detected.range.as_str(), detected.suggested),
        ("1.11.1", None)
    );

    // A patch release with the same commands passes, and is offered for the plan.
    let idp = kanidm().server_version("1.11.2").start_blocking();
    let d = discovery(&idp, "1.11.1");
    assert_eq!(d.status, Status::Pass, "{d:#?}");
    assert_eq!(
        d.detected.and_then(|r| r.suggested).map(|v| v.to_string()),
        Some("1.11.2".to_string())
    );
}

#[test]
fn a_kanidm_with_another_cli_syntax_is_a_warning_that_names_what_differs() {
    let idp = kanidm().server_version("1.7.3").start_blocking();
    let d = discovery(&idp, "1.11.1");
    assert_eq!(d.status, Status::Warn, "{d:#?}");
    assert_eq!(
        d.summary,
        "Kanidm runs 1.7.3 but the plan is for 1.11.1: kanidm-setup.sh would use the other syntax"
    );
    assert_eq!(
        d.fix.as_deref(),
        Some(
            "kanidm.version = \"1.7.3\" in the plan (the wizard: F2 on Kanidm version), then generate again; \
             differs in where --name goes (1.8.0), the consent prompt switch (1.9.0)"
        )
    );
    assert_eq!(
        d.detected.and_then(|r| r.suggested).map(|v| v.to_string()),
        Some("1.7.3".to_string())
    );

    // With the plan for the release Kanidm runs, the same server passes.
    let d = discovery(&idp, "1.7.3");
    assert_eq!(d.status, Status::Pass, "{d:#?}");
}

#[test]
fn a_kanidm_too_old_for_any_plan_fails_and_a_development_build_is_read_as_its_release() {
    let idp = kanidm().server_version("1.2.0").start_blocking();
    let d = discovery(&idp, "1.11.1");
    assert_eq!(d.status, Status::Fail, "{d:#?}");
    assert!(
        d.summary.starts_with("Kanidm 1.2.0 is older than 1.3.0"),
        "{}",
        d.summary
    );
    assert_eq!(
        d.detected.and_then(|r| r.suggested),
        None,
        "nothing usable to offer"
    );

    let idp = kanidm().server_version("1.12.0-dev").start_blocking();
    let d = discovery(&idp, "1.11.1");
    assert_eq!(d.status, Status::Pass, "{d:#?}");
    assert_eq!(d.detected.map(|r| r.range), Some("1.12.0".to_string()));

    let idp = kanidm().server_version("banana").start_blocking();
    let d = discovery(&idp, "1.11.1");
    assert_eq!(
        d.status,
        Status::Pass,
        "an odd header is not the login's problem"
    );
    assert!(
        d.details
            .contains(&"x-kanidm-version: banana (not a release number)".to_string())
    );
    assert_eq!(d.detected, None);
}

#[test]
fn a_cancelled_run_stops_at_once_and_reports_nothing_more() {
    let idp = kanidm()
        .response_delay(Duration::from_secs(3))
        .start_blocking();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let options = Options {
            only: Some(BTreeSet::from([CheckId::Discovery])),
            ..Options::default()
        };
        let handle = checks::start(Arc::new(plan(&idp, |_| {})), options, 42, tx);
        // Pending, then Running once TLS (not reported) has passed.
        let mut seen = Vec::new();
        while seen.last().map(|e: &checks::CheckEvent| e.status) != Some(Status::Running) {
            seen.push(rx.recv().await.unwrap());
        }
        assert!(
            seen.iter()
                .all(|e| e.run == 42 && e.id == CheckId::Discovery)
        );
        let started = std::time::Instant::now();
        handle.cancel();
        handle.wait().await;
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        assert!(rx.recv().await.is_none(), "no event after cancellation");
    });
}
