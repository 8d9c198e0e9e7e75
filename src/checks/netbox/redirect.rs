//! The redirect proof: asking NetBox itself for the authorize URL, whose `redirect_uri` is exactly
//! what Kanidm will have to match.

use super::{LoginPage, login_url};
use crate::checks::Finding;
use crate::checks::discovery::{excerpt, worst};
use crate::checks::http::{Captured, FetchError, HttpClient};
use crate::plan::{Pkce, Plan, SourceIdp};
use crate::versions::LoginStyle;
use std::time::Duration;

/// The authorize request NetBox really makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub url: String,
    pub origin: String,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub sends_pkce: bool,
}

pub fn parse_authorize_url(text: &str) -> Option<AuthorizeRequest> {
    let url = reqwest::Url::parse(text).ok()?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    Some(AuthorizeRequest {
        url: text.to_string(),
        origin: url.origin().ascii_serialization(),
        client_id: param("client_id"),
        redirect_uri: param("redirect_uri"),
        scope: param("scope"),
        sends_pkce: param("code_challenge").is_some(),
    })
}

/// Asks NetBox to start a Kanidm login the way its login page does, without logging in.
pub async fn fetch_authorize(
    http: &HttpClient,
    plan: &Plan,
    page: &LoginPage,
    deadline: Duration,
) -> Result<Option<Captured>, FetchError> {
    let Some(button) = page.backend(&plan.deployment.backend_name) else {
        return Ok(None);
    };
    let target = resolve(&plan.netbox.url, &button.target);
    let login = login_url(plan);
    let request = match button.style {
        LoginStyle::GetLink => http.get(&target),
        LoginStyle::PostLogin | LoginStyle::PostBegin => {
            let token = page.csrf_token.clone().unwrap_or_default();
            let mut req = http
                .post(&target)
                .header("referer", &login)
                .header("origin", &plan.netbox.url)
                .form(&[("csrfmiddlewaretoken", token.as_str())]);
            if let Some(cookie) = &page.csrf_cookie {
                req = req.header("cookie", &format!("csrftoken={cookie}"));
            }
            if button.style == LoginStyle::PostBegin {
                req = req.header("accept", "application/json");
            }
            req
        }
    };
    request.send(deadline).await.map(Some)
}

/// Resolves a page-relative target (`/oauth/begin/oidc/`) against NetBox's origin.
fn resolve(origin: &str, target: &str) -> String {
    if target.starts_with("http://") || target.starts_with("https://") {
        target.to_string()
    } else {
        format!("{}/{}", origin, target.trim_start_matches('/'))
    }
}

/// The redirect proof: the redirect_uri NetBox sends, compared byte for byte with the plan's.
pub fn evaluate_authorize(plan: &Plan, captured: &Captured) -> (Finding, Option<AuthorizeRequest>) {
    let location = if captured.status == 200 {
        serde_json::from_slice::<serde_json::Value>(&captured.body)
            .ok()
            .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(str::to_string))
    } else if (300..400).contains(&captured.status) {
        captured.header("location").map(str::to_string)
    } else {
        None
    };
    let Some(location) = location else {
        let hint = match captured.status {
            403 => "NetBox refused to start the login (CSRF, HTTP 403): the URL NetBox sees for itself differs from netbox.url; check the proxy's Host, X-Forwarded-Host and X-Forwarded-Proto, or CSRF_TRUSTED_ORIGINS".to_string(),
            404 => "NetBox has no OIDC login endpoint: the backend is not in REMOTE_AUTH_BACKEND".to_string(),
            405 => "NetBox refused the method: is netbox.version right?".to_string(),
            500 => "NetBox failed while starting the login (HTTP 500): a trailing slash on SOCIAL_AUTH_OIDC_OIDC_ENDPOINT or an untrusted Kanidm CA does this".to_string(),
            s => format!("NetBox answered HTTP {s} without an authorize URL"),
        };
        return (
            Finding::fail(hint).with_detail(excerpt(&captured.text())),
            None,
        );
    };
    if location.contains("/login/") && !location.contains("oauth") {
        return (
            Finding::fail("NetBox sent the login back to its own login page: it could not start single sign-on")
                .with_fix("with DEBUG = True NetBox shows the reason; an untrusted Kanidm CA or a wrong endpoint are the usual causes")
                .with_detail(format!("redirected to {location}")),
            None,
        );
    }
    let Some(request) = parse_authorize_url(&location) else {
        return (
            Finding::fail(format!("NetBox's authorize URL is not a URL: {location}")),
            None,
        );
    };
    let expected = plan.redirect_url();
    let mut problems = Vec::new();
    let mut details = vec![format!("NetBox starts the login at {}", request.url)];
    match &request.redirect_uri {
        None => problems.push(Finding::fail("NetBox sends no redirect_uri")),
        Some(sent) if *sent != expected => problems.push(
            Finding::fail(format!(
                "NetBox sends redirect_uri {sent}, the plan registers {expected}"
            ))
            .with_fix(explain_redirect_difference(sent, &expected)),
        ),
        Some(sent) => details.push(format!("redirect_uri {sent} (matches the plan)")),
    }
    let to_kanidm = request.origin == plan.kanidm.origin;
    if !to_kanidm {
        let was = match plan.source {
            SourceIdp::None => "another server".to_string(),
            other => other.label().to_string(),
        };
        problems.push(
            Finding::warn(format!(
                "NetBox still sends logins to {} ({was}): it is not switched to Kanidm yet",
                request.origin
            ))
            .with_fix("add netbox-sso.py to configuration.py and restart NetBox"),
        );
    } else {
        if request.client_id.as_deref() != Some(plan.kanidm.client.as_str()) {
            problems.push(
                Finding::fail(format!(
                    "NetBox sends client_id {:?}, the Kanidm client is {}",
                    request.client_id.as_deref().unwrap_or(""),
                    plan.kanidm.client
                ))
                .with_fix(format!("SOCIAL_AUTH_OIDC_KEY = '{}'", plan.kanidm.client)),
            );
        }
        if plan.kanidm.pkce == Pkce::Enforced && !request.sends_pkce {
            problems.push(
                Finding::fail("NetBox sends no PKCE challenge, but Kanidm enforces PKCE: the login stops at Kanidm")
                    .with_fix("SOCIAL_AUTH_OIDC_USE_PKCE = True in configuration.py, then restart NetBox"),
            );
        }
        let scopes: Vec<&str> = request
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .collect();
        details.push(format!("scope {}", scopes.join(" ")));
        details.push(format!(
            "PKCE challenge {}",
            if request.sends_pkce {
                "sent"
            } else {
                "not sent"
            }
        ));
    }
    let finding = worst(problems)
        .unwrap_or_else(|| Finding::pass(format!("NetBox sends redirect_uri {expected}")));
    (finding.with_details(details), Some(request))
}

/// Names the trap behind a redirect mismatch.
pub fn explain_redirect_difference(sent: &str, expected: &str) -> String {
    let scheme = |u: &str| u.split("://").next().unwrap_or_default().to_string();
    if scheme(sent) == "http" && scheme(expected) == "https" {
        "NetBox builds http:// URLs: make the proxy send X-Forwarded-Proto: https, or set SOCIAL_AUTH_REDIRECT_IS_HTTPS = True".into()
    } else if sent.trim_end_matches('/') == expected.trim_end_matches('/') {
        "only the trailing slash differs: Kanidm matches redirect URLs exactly, register the URL NetBox sends".into()
    } else if let (Some(s), Some(e)) = (
        sent.rfind("oauth/complete/"),
        expected.rfind("oauth/complete/"),
    ) && sent[s..] == expected[e..]
    {
        let root = |u: &str, at: usize| u[..at].to_string();
        format!(
            "NetBox believes it is served at {}, the plan says {}: fix the proxy's Host / X-Forwarded-Host, BASE_PATH, or netbox.url",
            root(sent, s),
            root(expected, e)
        )
    } else {
        format!(
            "register exactly what NetBox sends: kanidm system oauth2 add-redirect-url <client> {sent}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::checks::test_support::{captured, plan_for};

    #[test]
    fn redirect_differences_are_named() {
        let plan = plan_for("4.7.3", "netbox");
        let json = |redirect: &str, pkce: bool| {
            let mut url = reqwest::Url::parse("https://localhost:8443/ui/oauth2").unwrap();
            url.query_pairs_mut()
                .append_pair("client_id", "netbox")
                .append_pair("redirect_uri", redirect)
                .append_pair("scope", "openid profile email");
            if pkce {
                url.query_pairs_mut()
                    .append_pair("code_challenge", "x")
                    .append_pair("code_challenge_method", "S256");
            }
            serde_json::json!({ "url": url.as_str() }).to_string()
        };
        let ok = evaluate_authorize(
            &plan,
            &captured(
                200,
                json("https://netbox.example.com/oauth/complete/oidc/", true).as_bytes(),
            ),
        );
        assert_eq!(ok.0.status, Status::Pass, "{:#?}", ok.0);
        let http = evaluate_authorize(
            &plan,
            &captured(
                200,
                json("http://netbox.example.com/oauth/complete/oidc/", true).as_bytes(),
            ),
        );
        assert!(
            http.0
                .fix
                .unwrap()
                .contains("SOCIAL_AUTH_REDIRECT_IS_HTTPS")
        );
        let slash = evaluate_authorize(
            &plan,
            &captured(
                200,
                json("https://netbox.example.com/oauth/complete/oidc", true).as_bytes(),
            ),
        );
        assert!(slash.0.fix.unwrap().contains("trailing slash"));
        let nopkce = evaluate_authorize(
            &plan,
            &captured(
                200,
                json("https://netbox.example.com/oauth/complete/oidc/", false).as_bytes(),
            ),
        );
        assert_eq!(
            nopkce.0.fix.as_deref(),
            Some("SOCIAL_AUTH_OIDC_USE_PKCE = True in configuration.py, then restart NetBox")
        );
    }
}
