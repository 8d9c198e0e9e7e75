//! NetBox's login page (which SSO style, which button) and the redirect proof: asking NetBox itself
//! for the authorize URL, whose `redirect_uri` is exactly what Kanidm will have to match.

use super::discovery::{excerpt, worst};
use super::http::{Captured, FetchError, HttpClient};
use super::{DetectedRelease, Finding};
use crate::plan::{Pkce, Plan, SourceIdp};
use crate::versions::{LoginStyle, NETBOX_NEWEST_KNOWN, Version};
use std::time::Duration;

/// One SSO entry on the login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoButton {
    pub backend: String,
    pub style: LoginStyle,
    /// The form action or link target as written in the page.
    pub target: String,
    pub label: String,
}

/// What the login page offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoginPage {
    pub buttons: Vec<SsoButton>,
    pub csrf_token: Option<String>,
    pub csrf_cookie: Option<String>,
}

impl LoginPage {
    pub fn oidc(&self) -> Option<&SsoButton> {
        self.backend(crate::plan::deployment::OIDC_BACKEND)
    }

    /// The button of a social-auth backend, by name (the plan's `deployment.backend_name`).
    pub fn backend(&self, name: &str) -> Option<&SsoButton> {
        self.buttons.iter().find(|b| b.backend == name)
    }
}

pub fn login_url(plan: &Plan) -> String {
    format!("{}login/", plan.netbox_root())
}

/// Text between tags, with entities for the common characters decoded and whitespace collapsed.
fn inner_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The value of `name="…"` inside one tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// Finds every SSO form and link. Handles the markup of NetBox ≤ 4.6, 4.7.0 and 4.7.1+.
pub fn parse_login_page(html: &str) -> LoginPage {
    let mut page = LoginPage::default();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let after = &rest[open..];
        let Some(close) = after.find('>') else { break };
        let tag = &after[..=close];
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("<input")
            && attribute(tag, "name").as_deref() == Some("csrfmiddlewaretoken")
        {
            if page.csrf_token.is_none() {
                page.csrf_token = attribute(tag, "value");
            }
        } else if lower.starts_with("<form") || lower.starts_with("<a ") {
            let is_form = lower.starts_with("<form");
            let target = if is_form {
                attribute(tag, "action")
            } else {
                attribute(tag, "href")
            };
            if let Some(target) = target {
                let (marker, style) = if target.contains("oauth/begin/") {
                    ("oauth/begin/", LoginStyle::PostBegin)
                } else if target.contains("oauth/login/") {
                    (
                        "oauth/login/",
                        if is_form {
                            LoginStyle::PostLogin
                        } else {
                            LoginStyle::GetLink
                        },
                    )
                } else {
                    ("", LoginStyle::GetLink)
                };
                if !marker.is_empty() {
                    let backend = target
                        .split(marker)
                        .nth(1)
                        .and_then(|s| s.split(['/', '?']).next())
                        .unwrap_or_default()
                        .to_string();
                    let end_tag = if is_form { "</form>" } else { "</a>" };
                    let body_end = after.find(end_tag).unwrap_or(after.len());
                    let label_html = &after[close + 1..body_end];
                    // Only the button's own text, not hidden inputs.
                    let label_html = match label_html.find("<button") {
                        Some(b) => &label_html[b..],
                        None => label_html,
                    };
                    page.buttons.push(SsoButton {
                        backend,
                        style,
                        target,
                        label: inner_text(label_html),
                    });
                }
            }
        }
        rest = &after[close + 1..];
    }
    page
}

fn csrf_cookie(captured: &Captured) -> Option<String> {
    captured
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("csrftoken=")
                .map(|v| v.split(';').next().unwrap_or_default().to_string())
        })
}

pub async fn fetch_login(
    http: &HttpClient,
    plan: &Plan,
    deadline: Duration,
) -> Result<Captured, FetchError> {
    http.get(&login_url(plan))
        .header("accept", "text/html")
        .send(deadline)
        .await
}

/// The login page check: reachable, which style (a version hint), and the Kanidm button's label.
pub fn evaluate_login(plan: &Plan, captured: &Captured) -> (Finding, Option<LoginPage>) {
    let url = login_url(plan);
    if captured.status != 200 {
        let f = Finding::fail(format!("NetBox's login page answered HTTP {}", captured.status))
            .with_fix("check netbox.url and netbox.base_path: the login page must be at <url>/<BASE_PATH>login/")
            .with_detail(format!("GET {url} → {} {}", captured.status, excerpt(&captured.text())));
        return (f, None);
    }
    let text = captured.text();
    let mut page = parse_login_page(&text);
    page.csrf_cookie = csrf_cookie(captured);
    let mut details = vec![format!("GET {url} → 200")];
    for b in &page.buttons {
        details.push(format!(
            "SSO button {:?} → {} ({})",
            b.label,
            b.target,
            style_name(b.style)
        ));
    }
    if !text.contains("csrfmiddlewaretoken") && !text.to_ascii_lowercase().contains("password") {
        let f = Finding::fail("this page does not look like NetBox's login page")
            .with_fix("check netbox.url and netbox.base_path")
            .with_details(details);
        return (f, None);
    }
    let expected = plan.netbox.caps.login_style;
    let mut problems = Vec::new();
    if let Some(first) = page.buttons.first()
        && first.style != expected
    {
        problems.push(Finding::warn(format!(
            "the login page uses the {} style, but NetBox {} uses the {} style: is netbox.version right?",
            style_name(first.style),
            plan.netbox.caps.netbox,
            style_name(expected)
        )).with_fix(format!("set netbox.version to the release shown in NetBox's footer ({})", version_hint(first.style))));
    }
    let finding = match page.backend(&plan.deployment.backend_name) {
        Some(button) => {
            let expected_label = if plan.netbox.caps.backend_attrs {
                plan.login.label.as_str()
            } else {
                "OpenID Connect"
            };
            if button.label != expected_label {
                problems.push(
                    Finding::warn(format!("the Kanidm button reads {:?}, the plan says {expected_label:?}", button.label))
                        .with_fix(format!("SOCIAL_AUTH_BACKEND_ATTRS = {{'{}': ('{expected_label}', ...)}} and restart NetBox", plan.deployment.backend_name)),
                );
            }
            worst(problems).unwrap_or_else(|| {
                Finding::pass(format!(
                    "login page offers {:?} ({})",
                    button.label,
                    style_name(button.style)
                ))
            })
        }
        None => {
            let others: Vec<&str> = page.buttons.iter().map(|b| b.label.as_str()).collect();
            let summary = if others.is_empty() {
                "NetBox shows no single sign-on button yet".to_string()
            } else {
                format!(
                    "NetBox does not offer OpenID Connect yet (it shows {})",
                    others.join(", ")
                )
            };
            worst(problems).unwrap_or_else(|| {
                Finding::warn(summary).with_fix(
                    "add netbox-sso.py to configuration.py and restart NetBox, then check again",
                )
            })
        }
    };
    let mut finding = finding.with_details(details);
    finding.detected = page
        .buttons
        .first()
        .map(|b| detected_release(b.style, plan.netbox.caps.netbox));
    (finding, Some(page))
}

/// What a login page style says about the NetBox release, and which release to offer instead of
/// `planned` when they disagree.
pub fn detected_release(style: LoginStyle, planned: Version) -> DetectedRelease {
    let (range, fits, offer) = match style {
        LoginStyle::PostBegin => (
            "4.7.1 or later",
            planned >= Version::new(4, 7, 1),
            Some(NETBOX_NEWEST_KNOWN),
        ),
        LoginStyle::PostLogin => (
            "4.7.0",
            planned == Version::new(4, 7, 0),
            Some(Version::new(4, 7, 0)),
        ),
        LoginStyle::GetLink => ("4.6.x or older", planned < Version::new(4, 7, 0), None),
    };
    DetectedRelease {
        range: range.to_string(),
        suggested: if fits { None } else { offer },
    }
}

fn style_name(style: LoginStyle) -> &'static str {
    match style {
        LoginStyle::GetLink => "link (NetBox ≤ 4.6)",
        LoginStyle::PostLogin => "POST to /oauth/login/ (NetBox 4.7.0)",
        LoginStyle::PostBegin => "POST to /oauth/begin/ (NetBox 4.7.1+)",
    }
}

fn version_hint(style: LoginStyle) -> &'static str {
    match style {
        LoginStyle::GetLink => "4.6.x or older",
        LoginStyle::PostLogin => "4.7.0",
        LoginStyle::PostBegin => "4.7.1 or later",
    }
}

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

trait WithDetails {
    fn with_details(self, details: Vec<String>) -> Self;
}

impl WithDetails for Finding {
    fn with_details(mut self, details: Vec<String>) -> Self {
        self.details.extend(details);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::super::test_support::{captured, plan_for};
    use super::*;

    const PAGE_471: &str = r#"<form action="/oauth/begin/oidc/" method="post" class="sso-login-form">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok123">
  <button type="submit" class="btn w-100">
    <i class="mdi mdi-login"></i>
    Kanidm
  </button>
</form><input name="password">"#;

    #[test]
    fn the_page_style_offers_a_release_only_when_the_plan_disagrees() {
        let v = |t: &str| t.parse::<Version>().unwrap();
        let begin = detected_release(LoginStyle::PostBegin, v("4.7.3"));
        assert_eq!(
            (begin.range.as_str(), begin.suggested),
            ("4.7.1 or later", None)
        );
        assert_eq!(
            detected_release(LoginStyle::PostBegin, v("4.5.2")).suggested,
            Some(v("4.7.3"))
        );
        assert_eq!(
            detected_release(LoginStyle::PostLogin, v("4.7.3")).suggested,
            Some(v("4.7.0"))
        );
        let link = detected_release(LoginStyle::GetLink, v("4.7.3"));
        assert_eq!(
            (link.range.as_str(), link.suggested),
            ("4.6.x or older", None)
        );
        let (f, _) = evaluate_login(
            &plan_for("4.5.2", "netbox"),
            &captured(200, PAGE_471.as_bytes()),
        );
        assert_eq!(f.detected.unwrap().suggested, Some(v("4.7.3")));
    }

    #[test]
    fn parses_each_login_style() {
        let page = parse_login_page(PAGE_471);
        assert_eq!(page.csrf_token.as_deref(), Some("tok123"));
        let b = page.oidc().unwrap();
        assert_eq!(
            (b.style, b.label.as_str(), b.target.as_str()),
            (LoginStyle::PostBegin, "Kanidm", "/oauth/begin/oidc/")
        );
        let old = parse_login_page(
            r#"<a href="/oauth/login/keycloak/?next=%2F" class="btn">Keycloak</a>"#,
        );
        assert_eq!(old.buttons[0].style, LoginStyle::GetLink);
        assert_eq!(old.buttons[0].backend, "keycloak");
        let p470 = parse_login_page(
            r#"<form method="post" action="/nb/oauth/login/oidc/"><button>OpenID Connect</button></form>"#,
        );
        assert_eq!(p470.oidc().unwrap().style, LoginStyle::PostLogin);
    }

    #[test]
    fn login_page_passes_with_the_planned_label() {
        let plan = plan_for("4.7.3", "netbox");
        let (f, _) = evaluate_login(&plan, &captured(200, PAGE_471.as_bytes()));
        assert_eq!(f.status, Status::Pass, "{f:#?}");
        let (old, _) = evaluate_login(
            &plan,
            &captured(
                200,
                br#"<a href="/oauth/login/oidc/?next=/">OpenID Connect</a><input name="password">"#,
            ),
        );
        assert_eq!(old.status, Status::Warn);
        assert!(
            old.summary.contains("is netbox.version right?"),
            "{}",
            old.summary
        );
    }

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
