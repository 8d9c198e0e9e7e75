//! Discovery: Kanidm's per-client OpenID configuration against what the NetBox settings expect.

use super::http::{Captured, FetchError, HttpClient};
use super::{DetectedRelease, Finding};
use crate::plan::{Pkce, Plan};
use crate::versions::{KANIDM_OLDEST, KanidmCapabilities, Version};
use serde::Deserialize;
use std::time::Duration;

/// The parts of the discovery document NetBox (social-core) relies on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

impl Discovery {
    /// Kanidm lists S256 exactly while it enforces PKCE for the client.
    pub fn pkce_enforced(&self) -> bool {
        self.code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
    }
}

/// The algorithms the generated settings allow (`SOCIAL_AUTH_OIDC_JWT_ALGORITHMS`).
pub const ALLOWED_ALGORITHMS: [&str; 2] = ["ES256", "RS256"];

pub fn discovery_url(plan: &Plan) -> String {
    format!("{}/.well-known/openid-configuration", plan.issuer())
}

pub async fn fetch(
    http: &HttpClient,
    plan: &Plan,
    deadline: Duration,
) -> Result<Captured, FetchError> {
    http.get(&discovery_url(plan))
        .header("accept", "application/json")
        .send(deadline)
        .await
}

/// Turns what discovery answered into a finding and, when usable, the parsed document.
pub fn evaluate(plan: &Plan, captured: &Captured) -> (Finding, Option<Discovery>) {
    let url = discovery_url(plan);
    let client = &plan.kanidm.client;
    let body = captured.text();
    if captured.status == 404 {
        let finding = if body.trim() == "\"nomatchingentries\"" {
            Finding::fail(format!("Kanidm has no OAuth2 client named {client}"))
                .with_fix(format!(
                    "run kanidm-setup.sh, or: kanidm system oauth2 create {client} <display name> {} --name {}",
                    plan.landing_url(),
                    plan.kanidm.admin
                ))
        } else {
            Finding::fail(format!("no OpenID configuration at {url} (404)")).with_fix(
                "check kanidm.origin: it must be Kanidm's own URL, e.g. https://idm.example.com",
            )
        };
        return (
            finding.with_detail(format!("GET {url} → 404 {}", excerpt(&body))),
            None,
        );
    }
    if captured.status != 200 {
        return (
            Finding::fail(format!(
                "discovery answered HTTP {} instead of 200",
                captured.status
            ))
            .with_detail(format!(
                "GET {url} → {} {}",
                captured.status,
                excerpt(&body)
            )),
            None,
        );
    }
    let doc: Discovery = match serde_json::from_slice(&captured.body) {
        Ok(doc) => doc,
        Err(e) => {
            let what = if body.trim_start().starts_with('<') {
                "an HTML page, not the JSON discovery document".to_string()
            } else if serde_json::from_slice::<serde_json::Value>(&captured.body).is_ok() {
                format!("JSON of the wrong shape ({e})")
            } else {
                format!("invalid JSON ({e})")
            };
            return (
                Finding::fail(format!("discovery returned {what}"))
                    .with_fix("check kanidm.origin and kanidm.client: the URL must reach Kanidm itself, not a login or proxy page")
                    .with_detail(format!("GET {url} → 200 {}", excerpt(&body))),
                None,
            );
        }
    };

    let mut problems: Vec<Finding> = Vec::new();
    let mut details = vec![format!("GET {url} → 200")];
    let issuer = plan.issuer();
    if doc.issuer != issuer {
        problems.push(
            Finding::fail(format!(
                "the issuer is {} but NetBox will expect {issuer}",
                doc.issuer
            ))
            .with_fix(format!(
                "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = '{}' (exactly, no trailing slash)",
                doc.issuer
            )),
        );
    }
    details.push(format!("issuer {}", doc.issuer));

    let release = server_release(plan, captured, &mut problems, &mut details);

    let algs = &doc.id_token_signing_alg_values_supported;
    details.push(format!("ID token algorithms {}", algs.join(", ")));
    if algs.is_empty()
        || !algs
            .iter()
            .any(|a| ALLOWED_ALGORITHMS.contains(&a.as_str()))
    {
        problems.push(
            Finding::fail(format!(
                "Kanidm signs ID tokens with {} but NetBox will allow only ES256 and RS256",
                if algs.is_empty() {
                    "no advertised algorithm".to_string()
                } else {
                    algs.join(", ")
                }
            ))
            .with_fix("keep Kanidm's default ES256 signing"),
        );
    } else if algs.iter().any(|a| a == "RS256") && !algs.iter().any(|a| a == "ES256") {
        problems.push(
            Finding::warn("legacy crypto is on: Kanidm signs with RS256 instead of ES256")
                .with_fix(format!(
                    "kanidm system oauth2 disable-legacy-crypto {client} --name {}",
                    plan.kanidm.admin
                )),
        );
    }

    let enforced = doc.pkce_enforced();
    details.push(format!(
        "PKCE {} (code_challenge_methods_supported: [{}])",
        if enforced { "enforced" } else { "not enforced" },
        doc.code_challenge_methods_supported.join(", ")
    ));
    match (plan.kanidm.pkce, enforced) {
        (Pkce::Disabled, true) => problems.push(
            Finding::fail(format!(
                "Kanidm enforces PKCE, but NetBox {} cannot send it: every login stops at Kanidm",
                plan.netbox.caps.netbox
            ))
            .with_fix(format!(
                "kanidm system oauth2 warning-insecure-client-disable-pkce {client} --name {} (or upgrade NetBox to 4.5.9+)",
                plan.kanidm.admin
            )),
        ),
        (Pkce::Enforced, false) => problems.push(
            Finding::warn("PKCE is turned off in Kanidm although NetBox will send it")
                .with_fix(format!("kanidm system oauth2 enable-pkce {client} --name {}", plan.kanidm.admin)),
        ),
        _ => {}
    }

    let methods = &doc.token_endpoint_auth_methods_supported;
    if !methods.is_empty()
        && !methods
            .iter()
            .any(|m| m == "client_secret_basic" || m == "client_secret_post")
    {
        problems.push(Finding::fail(format!(
            "the token endpoint accepts neither client_secret_basic nor client_secret_post ({})",
            methods.join(", ")
        )));
    }

    let missing: Vec<&str> = plan
        .kanidm
        .scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !doc.scopes_supported.iter().any(|x| x == s))
        .collect();
    details.push(format!(
        "scopes in the scope maps: {}",
        doc.scopes_supported.join(" ")
    ));
    if !missing.is_empty() {
        problems.push(
            Finding::fail(format!(
                "the scope map lacks {}: Kanidm refuses the whole login when NetBox asks for it",
                missing.join(", ")
            ))
            .with_fix(format!(
                "kanidm system oauth2 update-scope-map {client} {} {} --name {}",
                plan.kanidm.group,
                plan.kanidm.scopes.join(" "),
                plan.kanidm.admin
            )),
        );
    }
    if doc.end_session_endpoint.is_none() {
        details.push(
            "no end_session_endpoint: logging out of NetBox does not end the Kanidm session".into(),
        );
    }

    let mut finding = match worst(problems) {
        Some(mut f) => {
            f.details.extend(details);
            f
        }
        None => {
            let mut f = Finding::pass(format!(
                "client {client} found; {}, PKCE {}, scopes {}",
                algs.join("/"),
                if enforced { "enforced" } else { "off" },
                plan.kanidm.scopes.join(" ")
            ));
            f.details = details;
            f
        }
    };
    finding.detected = release;
    (finding, Some(doc))
}

/// Kanidm names its release in an `x-kanidm-version` header on every answer. The generated `kanidm`
/// commands depend on it (C5–C8), so a plan written for another syntax is a warning here, long before
/// kanidm-setup.sh stops on an unknown subcommand.
fn server_release(
    plan: &Plan,
    captured: &Captured,
    problems: &mut Vec<Finding>,
    details: &mut Vec<String>,
) -> Option<DetectedRelease> {
    let raw = captured.header("x-kanidm-version")?.trim();
    // Development builds add a suffix (`1.12.0-dev`); the syntax is the release's.
    let Ok(release) = raw
        .split(['-', '+'])
        .next()
        .unwrap_or(raw)
        .parse::<Version>()
    else {
        details.push(format!(
            "x-kanidm-version: {} (not a release number)",
            excerpt(raw)
        ));
        return None;
    };
    let planned = plan.kanidm.caps;
    details.push(format!(
        "Kanidm {release} (x-kanidm-version); the plan is for {}",
        planned.version
    ));
    match KanidmCapabilities::of(release) {
        None => problems.push(
            Finding::fail(format!(
                "Kanidm {release} is older than {KANIDM_OLDEST}: it has no add-redirect-url, so no plan can be set up there"
            ))
            .with_fix(format!("upgrade Kanidm to {KANIDM_OLDEST} or later")),
        ),
        Some(actual) => {
            let differ = planned.syntax_differences(&actual);
            if !differ.is_empty() {
                problems.push(
                    Finding::warn(format!(
                        "Kanidm runs {release} but the plan is for {}: kanidm-setup.sh would use the other syntax",
                        planned.version
                    ))
                    .with_fix(format!(
                        "kanidm.version = \"{release}\" in the plan (the wizard: F2 on Kanidm version), then generate again; differs in {}",
                        differ.join(", ")
                    )),
                );
            }
        }
    }
    Some(DetectedRelease {
        range: release.to_string(),
        suggested: (release != planned.version && release >= KANIDM_OLDEST).then_some(release),
    })
}

/// The most severe of several problems, with the others listed in its details.
pub(crate) fn worst(mut problems: Vec<Finding>) -> Option<Finding> {
    problems.sort_by_key(|f| std::cmp::Reverse(f.status));
    let mut iter = problems.into_iter();
    let mut first = iter.next()?;
    for other in iter {
        first.details.push(format!("also: {}", other.summary));
        if let Some(fix) = other.fix {
            first.details.push(format!("  fix: {fix}"));
        }
    }
    Some(first)
}

/// A short, single-line view of a body for details.
pub(crate) fn excerpt(body: &str) -> String {
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if body.chars().count() > 120 {
        format!("{}…", one_line.trim())
    } else {
        one_line.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::super::test_support::{captured, plan_for};
    use super::*;

    const FINAL: &[u8] = include_bytes!("../../tests/fixtures/kanidm/http/discovery-netbox.json");
    const STRICT: &[u8] = include_bytes!("../../tests/fixtures/kanidm/http/discovery-strict.json");
    const BEFORE: &[u8] = include_bytes!(
        "../../tests/fixtures/kanidm/http/discovery-netbox.before-pkce-disable.json"
    );
    const UNKNOWN: &[u8] =
        include_bytes!("../../tests/fixtures/kanidm/http/discovery-unknown-client.body");

    #[test]
    fn strict_client_with_pkce_enforced_passes_for_netbox_4_7() {
        let plan = plan_for("4.7.3", "strict");
        let (finding, doc) = evaluate(&plan, &captured(200, STRICT));
        assert_eq!(finding.status, Status::Pass, "{finding:#?}");
        assert!(doc.unwrap().pkce_enforced());
    }

    #[test]
    fn pkce_disabled_in_kanidm_warns_when_netbox_can_send_it() {
        let plan = plan_for("4.7.3", "netbox");
        let (finding, _) = evaluate(&plan, &captured(200, FINAL));
        assert_eq!(finding.status, Status::Warn, "{finding:#?}");
        assert_eq!(
            finding.fix.as_deref(),
            Some("kanidm system oauth2 enable-pkce netbox --name idm_admin")
        );
    }

    #[test]
    fn pkce_enforced_fails_for_netbox_4_5_2() {
        let plan = plan_for("4.5.2", "strict");
        let (finding, _) = evaluate(&plan, &captured(200, STRICT));
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.summary.contains("cannot send it"),
            "{}",
            finding.summary
        );
    }

    #[test]
    fn an_empty_scope_map_fails_with_the_update_command() {
        let plan = plan_for("4.7.3", "netbox");
        let (finding, _) = evaluate(&plan, &captured(200, BEFORE));
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding
                .summary
                .contains("scope map lacks openid, profile, email"),
            "{}",
            finding.summary
        );
        assert_eq!(
            finding.fix.as_deref(),
            Some(
                "kanidm system oauth2 update-scope-map netbox netbox_users openid profile email --name idm_admin"
            )
        );
    }

    #[test]
    fn unknown_client_is_named() {
        let plan = plan_for("4.7.3", "nosuchclient");
        let (finding, doc) = evaluate(&plan, &captured(404, UNKNOWN));
        assert_eq!(finding.status, Status::Fail);
        assert_eq!(
            finding.summary,
            "Kanidm has no OAuth2 client named nosuchclient"
        );
        assert!(doc.is_none());
    }

    #[test]
    fn issuer_mismatch_names_the_exact_setting() {
        let plan = plan_for("4.7.3", "strict");
        let other = String::from_utf8_lossy(STRICT)
            .replace("/oauth2/openid/strict", "/oauth2/openid/strict/");
        let (finding, _) = evaluate(&plan, &captured(200, other.as_bytes()));
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding
                .fix
                .unwrap()
                .contains("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT")
        );
    }

    #[test]
    fn html_and_wrong_json_are_explained() {
        let plan = plan_for("4.7.3", "strict");
        let (html, _) = evaluate(
            &plan,
            &captured(200, b"<!doctype html><title>Login</title>"),
        );
        assert!(html.summary.contains("HTML page"), "{}", html.summary);
        let (shape, _) = evaluate(&plan, &captured(200, b"{\"issuer\": 5}"));
        assert!(shape.summary.contains("wrong shape"), "{}", shape.summary);
        let (broken, _) = evaluate(&plan, &captured(200, b"{\"issuer\": "));
        assert!(
            broken.summary.contains("invalid JSON"),
            "{}",
            broken.summary
        );
    }
}
