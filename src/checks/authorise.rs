//! The Kanidm authorise probe, without logging in: Kanidm checks client, redirect_uri and PKCE
//! before it looks for a session, so an unauthenticated request shows whether they are accepted.

use super::Finding;
use super::http::{Captured, FetchError, HttpClient};
use crate::plan::Plan;
use std::time::Duration;

/// RFC 7636's example challenge: well-formed, and never completed.
const PROBE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub fn probe_url(plan: &Plan, redirect_uri: &str, with_challenge: bool) -> String {
    let mut url = format!("{}/oauth2/authorise", plan.kanidm.origin);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &plan.kanidm.client)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &plan.kanidm.scopes.join(" "))
        .append_pair("state", "nbsso-probe")
        .append_pair("nonce", "nbsso-probe");
    if with_challenge {
        query
            .append_pair("code_challenge", PROBE_CHALLENGE)
            .append_pair("code_challenge_method", "S256");
    }
    url.push('?');
    url.push_str(&query.finish());
    url
}

pub async fn fetch(
    http: &HttpClient,
    plan: &Plan,
    redirect_uri: &str,
    with_challenge: bool,
    deadline: Duration,
) -> Result<Captured, FetchError> {
    http.get(&probe_url(plan, redirect_uri, with_challenge))
        .send(deadline)
        .await
}

/// Where the probed redirect_uri came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectSource {
    /// NetBox's own authorize URL (the redirect proof).
    NetBox,
    /// The plan, because NetBox could not be asked.
    Plan,
}

/// Judges the two probes: with a challenge (is the redirect accepted?) and without (is PKCE enforced?).
pub fn evaluate(
    plan: &Plan,
    redirect_uri: &str,
    source: RedirectSource,
    netbox_sends_pkce: bool,
    with_challenge: &Captured,
    without_challenge: &Captured,
) -> Finding {
    let client = &plan.kanidm.client;
    let admin = &plan.kanidm.admin;
    let from = match source {
        RedirectSource::NetBox => "the redirect_uri NetBox sends",
        RedirectSource::Plan => "the plan's redirect_uri (NetBox could not be asked)",
    };
    let details = vec![
        format!("probing with {from}: {redirect_uri}"),
        format!("with a PKCE challenge → HTTP {}", with_challenge.status),
        format!("without a challenge → HTTP {}", without_challenge.status),
    ];
    let finding = match with_challenge.status {
        401 | 200 | 302 => {
            let enforced = without_challenge.status == 400;
            match (enforced, netbox_sends_pkce) {
                (true, false) => Finding::fail(
                    "Kanidm enforces PKCE and NetBox sends no challenge: logins stop at Kanidm (\"No PKCE code challenge was provided\")",
                )
                .with_fix(if plan.netbox.caps.oidc_pkce {
                    "SOCIAL_AUTH_OIDC_USE_PKCE = True in configuration.py, then restart NetBox".to_string()
                } else {
                    format!("kanidm system oauth2 warning-insecure-client-disable-pkce {client} --name {admin}")
                }),
                (false, true) => Finding::warn("PKCE is not enforced in Kanidm, though NetBox sends it")
                    .with_fix(format!("kanidm system oauth2 enable-pkce {client} --name {admin}")),
                _ => Finding::pass(format!(
                    "Kanidm accepts client {client} with this redirect_uri; PKCE {}",
                    if enforced { "enforced and sent" } else { "off on both sides" }
                )),
            }
        }
        400 => Finding::fail(format!(
            "Kanidm refuses {redirect_uri}: it is not registered exactly for {client} (\"Invalid OAuth2 redirect_uri\")"
        ))
        .with_fix(format!("kanidm system oauth2 add-redirect-url {client} {redirect_uri} --name {admin}")),
        status => Finding::fail(format!("Kanidm's authorise endpoint answered HTTP {status}")),
    };
    let mut finding = finding;
    finding.details.extend(details);
    finding
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::super::test_support::{captured, plan_for};
    use super::*;

    const REDIRECT: &str = "https://netbox.example.com/oauth/complete/oidc/";

    #[test]
    fn statuses_from_the_fixture_matrix() {
        let plan = plan_for("4.7.3", "netbox");
        // netbox-get-pkce-enforced-no-challenge: 400; with a challenge: 401 (identity missing).
        let f = evaluate(
            &plan,
            REDIRECT,
            RedirectSource::NetBox,
            true,
            &captured(401, b""),
            &captured(400, b""),
        );
        assert_eq!(f.status, Status::Pass, "{f:#?}");
        let f = evaluate(
            &plan,
            REDIRECT,
            RedirectSource::NetBox,
            false,
            &captured(401, b""),
            &captured(400, b""),
        );
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            f.fix.as_deref(),
            Some("SOCIAL_AUTH_OIDC_USE_PKCE = True in configuration.py, then restart NetBox")
        );
        // netbox-get-redirect-missing-trailing-slash: 400 with and without a challenge.
        let f = evaluate(
            &plan,
            REDIRECT,
            RedirectSource::Plan,
            true,
            &captured(400, b""),
            &captured(400, b""),
        );
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            f.fix.as_deref(),
            Some(
                "kanidm system oauth2 add-redirect-url netbox https://netbox.example.com/oauth/complete/oidc/ --name idm_admin"
            )
        );
        let old = plan_for("4.5.2", "netbox");
        let f = evaluate(
            &old,
            REDIRECT,
            RedirectSource::NetBox,
            false,
            &captured(401, b""),
            &captured(400, b""),
        );
        assert!(
            f.fix
                .unwrap()
                .contains("warning-insecure-client-disable-pkce netbox")
        );
    }

    #[test]
    fn the_probe_url_carries_the_exact_redirect() {
        let plan = plan_for("4.7.3", "netbox");
        let url = probe_url(&plan, REDIRECT, true);
        assert!(url.starts_with("https://localhost:8443/oauth2/authorise?response_type=code&client_id=netbox&redirect_uri=https%3A%2F%2Fnetbox.example.com%2Foauth%2Fcomplete%2Foidc%2F"), "{url}");
        assert!(url.contains("code_challenge_method=S256"));
        assert!(!probe_url(&plan, REDIRECT, false).contains("code_challenge"));
    }
}
