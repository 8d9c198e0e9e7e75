//! NetBox's login page (which SSO style, which button), and in [`redirect`] the redirect proof.

use super::discovery::{excerpt, worst};
use super::http::{Captured, FetchError, HttpClient};
use super::{DetectedRelease, Finding};
use crate::plan::Plan;
use crate::versions::{LoginStyle, NETBOX_NEWEST_KNOWN, Version};
use std::time::Duration;

mod redirect;

pub use redirect::{
    AuthorizeRequest, evaluate_authorize, explain_redirect_difference, fetch_authorize,
    parse_authorize_url,
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::checks::test_support::{captured, plan_for};

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
}
