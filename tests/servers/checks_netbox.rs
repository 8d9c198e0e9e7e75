//! The NetBox-side checks and the whole suite on real sockets: a NetBox-shaped server in front of the
//! Kanidm-shaped IdP. NetBox is asked for the authorize URL it really sends.

use nbsso::checks::{CheckId, Finding, Status};
use nbsso::plan::{Plan, PlanDraft, validate};
use std::time::Duration;
use testkit::idp::{TestIdp, TestIdpBuilder};
use testkit::netbox::{HeaderRule, LoginStyle, TestNetbox, TestNetboxBuilder};
use testkit::plans::{example_draft, finding, run_checks};

/// A NetBox as the generated settings configure it, pointing at `idp`.
fn netbox_for(idp: &TestIdp) -> TestNetboxBuilder {
    TestNetbox::builder()
        .style(LoginStyle::PostBegin)
        .authorize_endpoint(&format!("{}/ui/oauth2", idp.origin()))
        .client_id("netbox")
        .use_pkce(true)
        .button("Kanidm", Some("login"))
}

/// Kanidm after kanidm-setup.sh, with NetBox's (loopback) callback registered.
fn kanidm_with_redirect(redirect: &str) -> TestIdpBuilder {
    TestIdp::builder()
        .client("netbox", "s")
        .redirect_url(redirect)
}

/// The example plan pointed at the two servers; reserve NetBox's port first so the IdP can know it.
fn plan(idp: &TestIdp, nb: &TestNetbox, edit: impl FnOnce(&mut PlanDraft)) -> Plan {
    let mut draft = example_draft("keycloak-netbox-4.7.3.toml");
    draft.kanidm.origin = idp.origin();
    draft.tls.ca_file = idp.ca_pem_path().display().to_string();
    draft.netbox.url = nb.origin();
    edit(&mut draft);
    validate(&draft).unwrap().0
}

fn run(plan: Plan, ids: &[CheckId]) -> Vec<(CheckId, Finding)> {
    run_checks(plan, ids, Duration::from_secs(5))
}

/// Starts NetBox first (its origin is the redirect Kanidm must know), then the IdP, then repoints
/// NetBox at the IdP.
fn pair(
    nb: impl FnOnce(TestNetboxBuilder) -> TestNetboxBuilder,
    idp: impl FnOnce(TestIdpBuilder) -> TestIdpBuilder,
) -> (TestIdp, TestNetbox) {
    let placeholder = TestIdp::builder().start_blocking();
    let netbox = nb(netbox_for(&placeholder)).start_blocking();
    let redirect = format!("{}/oauth/complete/oidc/", netbox.origin());
    let idp = idp(kanidm_with_redirect(&redirect)).start_blocking();
    let endpoint = format!("{}/ui/oauth2", idp.origin());
    netbox.configure(|c| {
        if let Some(sso) = c.sso.as_mut() {
            sso.authorize_endpoint = endpoint;
        }
    });
    (idp, netbox)
}

const NETBOX_CHECKS: [CheckId; 3] = [CheckId::NetboxLogin, CheckId::Redirect, CheckId::Authorise];

#[test]
fn a_switched_netbox_passes_every_check() {
    let (idp, nb) = pair(|b| b, |b| b);
    let results = run(plan(&idp, &nb, |_| {}), &CheckId::ALL);
    for (id, f) in &results {
        assert_eq!(f.status, Status::Pass, "{id:?}: {f:#?}");
    }
    let redirect = finding(&results, CheckId::Redirect);
    assert_eq!(
        redirect.summary,
        format!(
            "NetBox sends redirect_uri {}/oauth/complete/oidc/",
            nb.origin()
        )
    );
    let probe = finding(&results, CheckId::Authorise);
    assert!(
        probe.details[0].starts_with("probing with the redirect_uri NetBox sends"),
        "{probe:#?}"
    );
    // NetBox was really asked, with its CSRF token, for JSON.
    let begins = nb.requests_to("/oauth/begin/oidc/");
    assert_eq!(begins.len(), 1);
    assert_eq!(begins[0].status, 200, "{:#?}", begins[0]);
}

#[test]
fn netbox_4_7_0_and_4_6_styles_are_followed_and_hinted() {
    let (idp, nb) = pair(|b| b.style(LoginStyle::PostLogin), |b| b);
    let results = run(
        plan(&idp, &nb, |d| d.netbox.version = "4.7.0".into()),
        &NETBOX_CHECKS,
    );
    for (id, f) in &results {
        assert_eq!(f.status, Status::Pass, "{id:?}: {f:#?}");
    }
    assert!(
        finding(&results, CheckId::NetboxLogin)
            .summary
            .contains("POST to /oauth/login/ (NetBox 4.7.0)")
    );

    let (idp, nb) = pair(|b| b.style(LoginStyle::GetLink), |b| b);
    let results = run(plan(&idp, &nb, |_| {}), &NETBOX_CHECKS);
    let login = finding(&results, CheckId::NetboxLogin);
    assert_eq!(login.status, Status::Warn);
    assert_eq!(
        login.summary,
        "the login page uses the link (NetBox ≤ 4.6) style, but NetBox 4.7.3 uses the POST to /oauth/begin/ (NetBox 4.7.1+) style: is netbox.version right?"
    );
    assert_eq!(finding(&results, CheckId::Redirect).status, Status::Pass);
    let detected = login.detected.as_ref().unwrap();
    assert_eq!(
        (detected.range.as_str(), detected.suggested),
        ("4.6.x or older", None)
    );
}

#[test]
fn a_netbox_not_switched_yet_is_a_warning_and_the_probe_uses_the_plan() {
    let (idp, nb) = pair(|b| b.no_sso(), |b| b);
    let results = run(plan(&idp, &nb, |_| {}), &NETBOX_CHECKS);
    let login = finding(&results, CheckId::NetboxLogin);
    assert_eq!(login.status, Status::Warn);
    assert_eq!(login.summary, "NetBox shows no single sign-on button yet");
    assert_eq!(finding(&results, CheckId::Redirect).status, Status::Skipped);
    let probe = finding(&results, CheckId::Authorise);
    assert_eq!(probe.status, Status::Pass, "{probe:#?}");
    assert!(probe.details[0].contains("the plan's redirect_uri"));
}

#[test]
fn pkce_missing_on_the_netbox_side_is_caught_twice() {
    let (idp, nb) = pair(|b| b.use_pkce(false), |b| b);
    let results = run(plan(&idp, &nb, |_| {}), &NETBOX_CHECKS);
    let redirect = finding(&results, CheckId::Redirect);
    assert_eq!(redirect.status, Status::Fail);
    assert_eq!(
        redirect.fix.as_deref(),
        Some("SOCIAL_AUTH_OIDC_USE_PKCE = True in configuration.py, then restart NetBox")
    );
    let probe = finding(&results, CheckId::Authorise);
    assert_eq!(probe.status, Status::Fail);
    assert!(
        probe
            .summary
            .starts_with("Kanidm enforces PKCE and NetBox sends no challenge"),
        "{}",
        probe.summary
    );
}

#[test]
fn a_proxy_that_rewrites_the_host_shows_up_as_the_real_redirect_uri() {
    let (idp, nb) = pair(
        |b| b.forwarded_host(HeaderRule::Set("netbox.internal".into())),
        |b| b,
    );
    // Without CSRF_TRUSTED_ORIGINS, Django refuses the POST (as it would a browser's).
    let refused = run(plan(&idp, &nb, |_| {}), &[CheckId::Redirect]);
    let csrf = finding(&refused, CheckId::Redirect);
    assert!(
        csrf.summary
            .starts_with("NetBox refused to start the login (CSRF, HTTP 403)"),
        "{}",
        csrf.summary
    );
    let origin = nb.origin();
    nb.configure(|c| c.csrf_trusted_origins.push(origin));
    let results = run(plan(&idp, &nb, |_| {}), &NETBOX_CHECKS);
    let redirect = finding(&results, CheckId::Redirect);
    assert_eq!(redirect.status, Status::Fail);
    assert!(
        redirect.summary.starts_with("NetBox sends redirect_uri http://netbox.internal/oauth/complete/oidc/, the plan registers"),
        "{}",
        redirect.summary
    );
    assert!(
        redirect
            .fix
            .as_deref()
            .unwrap()
            .starts_with("NetBox believes it is served at http://netbox.internal/")
    );
    let probe = finding(&results, CheckId::Authorise);
    assert_eq!(probe.status, Status::Fail);
    assert_eq!(
        probe.fix.as_deref(),
        Some(
            "kanidm system oauth2 add-redirect-url netbox http://netbox.internal/oauth/complete/oidc/ --name idm_admin"
        )
    );
}

#[test]
fn base_path_is_part_of_every_url() {
    let placeholder = TestIdp::builder().start_blocking();
    let nb = netbox_for(&placeholder)
        .base_path("netbox")
        .start_blocking();
    let idp = kanidm_with_redirect(&format!("{}/netbox/oauth/complete/oidc/", nb.origin()))
        .start_blocking();
    let endpoint = format!("{}/ui/oauth2", idp.origin());
    nb.configure(|c| c.sso.as_mut().unwrap().authorize_endpoint = endpoint);
    let results = run(
        plan(&idp, &nb, |d| d.netbox.base_path = "netbox/".into()),
        &NETBOX_CHECKS,
    );
    for (id, f) in &results {
        assert_eq!(f.status, Status::Pass, "{id:?}: {f:#?}");
    }
    let wrong = run(plan(&idp, &nb, |_| {}), &[CheckId::NetboxLogin]);
    let login = finding(&wrong, CheckId::NetboxLogin);
    assert_eq!(login.status, Status::Fail);
    assert!(login.fix.as_deref().unwrap().contains("netbox.base_path"));
}

#[test]
fn the_idp_clock_1_5_s_ahead_fails_the_clock_check() {
    let (idp, nb) = pair(|b| b, |b| b.clock_offset_ms(1500));
    let results = run(plan(&idp, &nb, |_| {}), &[CheckId::Clock]);
    let clock = finding(&results, CheckId::Clock);
    assert_eq!(clock.status, Status::Fail, "{clock:#?}");
    assert!(clock.summary.contains("behind Kanidm"), "{}", clock.summary);
    assert!(
        clock.summary.contains("Incorrect id_token: nbf"),
        "{}",
        clock.summary
    );
    let fix = clock.fix.as_deref().unwrap();
    assert!(!fix.contains("SOCIAL_AUTH_OIDC_JWT_LEEWAY ="), "{fix}");
}
