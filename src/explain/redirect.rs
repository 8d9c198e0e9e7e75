//! kanidmd names the redirect_uri it refused ("… - got <uri> from client …"); next to the plan's
//! redirect URL that says which of the usual mismatches it is, without running a check.

use url::Url;

/// The redirect_uri in kanidmd's "Invalid OAuth2 redirect_uri" line, if the text holds one.
pub fn refused_redirect(text: &str) -> Option<&str> {
    text.lines()
        .filter(|l| l.contains("Invalid OAuth2 redirect_uri"))
        .find_map(|l| {
            let rest = &l[l.find(" - got ")? + " - got ".len()..];
            rest.split_whitespace().next()
        })
}

/// How `got` differs from `expected`, in words; `None` when they are the same URL.
pub fn redirect_difference(got: &str, expected: &str) -> Option<String> {
    if got == expected {
        return None;
    }
    let (Ok(g), Ok(e)) = (Url::parse(got), Url::parse(expected)) else {
        return Some(format!("{got} is not {expected}"));
    };
    let mut differences = Vec::new();
    if g.scheme() != e.scheme() {
        differences.push(format!(
            "the scheme is {} instead of {}{}",
            g.scheme(),
            e.scheme(),
            if g.scheme() == "http" {
                " (a TLS proxy that does not send X-Forwarded-Proto: SOCIAL_AUTH_REDIRECT_IS_HTTPS = True)"
            } else {
                ""
            }
        ));
    }
    if g.host_str() != e.host_str() || g.port_or_known_default() != e.port_or_known_default() {
        differences.push(format!(
            "the host is {} instead of {} (the proxy's Host or X-Forwarded-Host, or the URL users type)",
            g.host_str().unwrap_or_default(),
            e.host_str().unwrap_or_default()
        ));
    }
    let (gp, ep) = (g.path(), e.path());
    if gp != ep {
        if gp.trim_end_matches('/') == ep.trim_end_matches('/') {
            differences.push(if ep.ends_with('/') {
                "the trailing slash is missing".to_string()
            } else {
                "it has a trailing slash the plan's URL lacks".to_string()
            });
        } else {
            differences.push(format!("the path is {gp} instead of {ep} (BASE_PATH)"));
        }
    }
    if differences.is_empty() {
        differences.push(format!("{got} is not {expected}"));
    }
    Some(differences.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_usual_mismatches() {
        let log = include_str!("../../tests/fixtures/errors/kanidmd-redirect-http-scheme.log");
        assert_eq!(
            refused_redirect(log),
            Some("http://netbox.example.com/oauth/complete/oidc/")
        );
        let plan = "https://netbox.example.com/oauth/complete/oidc/";
        let differs = |got: &str| redirect_difference(got, plan).unwrap_or_default();
        assert!(
            differs("http://netbox.example.com/oauth/complete/oidc/")
                .starts_with("the scheme is http instead of https")
        );
        assert_eq!(
            differs("https://netbox.example.com/oauth/complete/oidc"),
            "the trailing slash is missing"
        );
        assert!(
            differs("https://netbox.internal/oauth/complete/oidc/")
                .starts_with("the host is netbox.internal instead of netbox.example.com")
        );
        assert_eq!(
            differs("https://netbox.example.com/netbox/oauth/complete/oidc/"),
            "the path is /netbox/oauth/complete/oidc/ instead of /oauth/complete/oidc/ (BASE_PATH)"
        );
        assert_eq!(redirect_difference(plan, plan), None);
        assert_eq!(refused_redirect("Invalid OAuth2 client_id"), None);
    }
}
