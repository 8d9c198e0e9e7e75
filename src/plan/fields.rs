//! Pure validators, one per kind of field. Each returns the normalised value or a message a first-time
//! admin understands: what is wrong, and why it matters for NetBox or Kanidm.

use std::path::PathBuf;
use url::Url;

/// A control character would break out of a generated line; say which one.
fn control_char_message(text: &str) -> Option<String> {
    text.chars().find(|c| c.is_control()).map(|c| {
        format!(
            "contains the control character U+{:04X}; a line break or tab here cannot be written safely",
            u32::from(c)
        )
    })
}

fn parse_http_url(text: &str, what: &str) -> Result<Url, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("the {what} is required"));
    }
    if let Some(msg) = control_char_message(trimmed) {
        return Err(format!("the {what} {msg}"));
    }
    if !trimmed.contains("://") {
        return Err(format!(
            "the {what} needs a scheme: write https://{trimmed}"
        ));
    }
    let url = Url::parse(trimmed).map_err(|e| format!("the {what} is not a valid URL ({e})"))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!(
            "the {what} must start with https:// (found {}://)",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("the {what} has no host name"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the {what} must not contain a user name or password"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("the {what} must not have a ?query or #fragment"));
    }
    Ok(url)
}

/// `scheme://host[:port]` with no trailing slash.
fn origin_string(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The Kanidm origin, e.g. `https://idm.example.com`. Returned without a trailing slash.
pub fn kanidm_origin(text: &str) -> Result<String, String> {
    let url = parse_http_url(text, "Kanidm URL")?;
    if url.scheme() != "https" {
        return Err(
            "the Kanidm URL must use https://: Kanidm serves only TLS, and NetBox would send the client secret in clear"
                .into(),
        );
    }
    let path = url.path();
    if path.contains("/oauth2/openid/") {
        let origin = origin_string(&url);
        return Err(format!(
            "this looks like the issuer URL; give only the origin here ({origin}), nbsso builds the issuer from it"
        ));
    }
    if path != "/" && !path.is_empty() {
        return Err(format!(
            "the Kanidm URL must be just scheme and host (found the path {path}): Kanidm's OAuth2 endpoints live at the root, e.g. {}",
            origin_string(&url)
        ));
    }
    Ok(origin_string(&url))
}

/// NetBox's public URL (what users type), without the BASE_PATH. Returned without a trailing slash.
pub fn netbox_url(text: &str) -> Result<String, String> {
    let url = parse_http_url(text, "NetBox URL")?;
    let path = url.path();
    if path != "/" && !path.is_empty() {
        let base = path.trim_matches('/');
        return Err(format!(
            "put the path in BASE_PATH instead: URL {} and BASE_PATH {base}/",
            origin_string(&url)
        ));
    }
    Ok(origin_string(&url))
}

/// NetBox's `BASE_PATH`: empty, or segments ending in `/` (`netbox/`). Leading slashes are dropped.
pub fn base_path(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if let Some(bad) = trimmed
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '/')))
    {
        return Err(format!(
            "BASE_PATH may hold only letters, digits, - _ . ~ and /, not {bad:?}: it must match NetBox's BASE_PATH setting"
        ));
    }
    if trimmed
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err("BASE_PATH has an empty, . or .. segment".into());
    }
    Ok(format!("{trimmed}/"))
}

/// A Kanidm entry name (client, group, person, account): Kanidm's `iname` rules, checked offline.
pub fn kanidm_name(text: &str, what: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() {
        return Err(format!("the {what} is required"));
    }
    if name.len() > 64 {
        return Err(format!("the {what} is longer than 64 characters"));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "the {what} must be lower case: Kanidm stores names in lower case (try {})",
            name.to_ascii_lowercase()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "the {what} may hold only a-z, 0-9, _ - and ., not {bad:?}"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("the {what} must start with a letter"));
    }
    Ok(name.to_string())
}

/// A person as a group member: a name, or an SPN `name@domain`.
pub fn kanidm_member(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    match trimmed.split_once('@') {
        Some((name, domain)) => {
            kanidm_name(name, "member name")?;
            if domain.is_empty()
                || !domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                return Err(format!("the member {trimmed:?} has an invalid domain"));
            }
            Ok(trimmed.to_string())
        }
        None => kanidm_name(trimmed, "member name"),
    }
}

/// An OAuth2 scope as Kanidm accepts it in a scope map (`[0-9a-zA-Z_]+`).
pub fn scope(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("a scope is empty".into());
    }
    if trimmed.contains(char::is_whitespace) {
        return Err(format!(
            "the scope {trimmed:?} contains a space: list each scope separately (Kanidm answers \"Invalid Oauth Scope Map syntax\")"
        ));
    }
    if let Some(bad) = trimmed
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(format!(
            "the scope {trimmed:?} may hold only letters, digits and _, not {bad:?}"
        ));
    }
    Ok(trimmed.to_string())
}

/// Free text such as a display name or button label: any printable characters.
pub fn free_text(text: &str, what: &str, max: usize) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(format!("the {what} is required"));
    }
    if let Some(msg) = control_char_message(text) {
        return Err(format!("the {what} {msg}"));
    }
    if text.chars().count() > max {
        return Err(format!("the {what} is longer than {max} characters"));
    }
    Ok(text.to_string())
}

/// The login button icon: a Material Design icon name (`login`) or an `https://` image URL.
pub fn button_icon(text: &str) -> Result<Option<String>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.contains("://") {
        let url = parse_http_url(trimmed, "icon URL")?;
        return Ok(Some(url.to_string()));
    }
    if trimmed
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Ok(Some(trimmed.to_string()))
    } else {
        Err(format!(
            "the icon {trimmed:?} is neither a Material Design icon name (like login or shield-account) nor an image URL"
        ))
    }
}

/// A social-auth backend name for the Kanidm login: it becomes part of the redirect URL
/// (`oauth/complete/<name>/`) and of the settings' names (`SOCIAL_AUTH_<NAME>_KEY`).
pub fn backend_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    let valid = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "{name:?} cannot be a social-auth backend name: it becomes part of the redirect URL oauth/complete/<name>/ and of the settings' names; use lower-case letters, digits, - and _ (at most 32), e.g. kanidm"
        ));
    }
    if name == "keycloak" {
        return Err(
            "keycloak is the name of social-core's Keycloak backend: use oidc, or kanidm for a login beside the old one"
                .into(),
        );
    }
    Ok(name.to_string())
}

/// An absolute path on the NetBox or Kanidm admin host.
pub fn absolute_path(text: &str, what: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        return Err(format!("the {what} is required"));
    }
    if let Some(msg) = control_char_message(text) {
        return Err(format!("the {what} {msg}"));
    }
    if !text.starts_with('/') {
        return Err(format!(
            "the {what} must be an absolute path (starting with /): NetBox and the scripts run from other directories"
        ));
    }
    if text.ends_with('/') {
        return Err(format!("the {what} must name a file, not a directory"));
    }
    Ok(PathBuf::from(text))
}

/// A path on this machine, absolute or relative to where nbsso runs.
pub fn local_path(text: &str, what: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        return Err(format!("the {what} is required"));
    }
    if let Some(msg) = control_char_message(text) {
        return Err(format!("the {what} {msg}"));
    }
    Ok(PathBuf::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kanidm_origin_is_normalised_and_explained() {
        assert_eq!(
            kanidm_origin("https://idm.example.com/").unwrap(),
            "https://idm.example.com"
        );
        assert_eq!(
            kanidm_origin(" https://idm.example.com:8443 ").unwrap(),
            "https://idm.example.com:8443"
        );
        assert!(
            kanidm_origin("http://idm.example.com")
                .unwrap_err()
                .contains("https://")
        );
        assert!(
            kanidm_origin("idm.example.com")
                .unwrap_err()
                .contains("https://idm.example.com")
        );
        let issuer = kanidm_origin("https://idm.example.com/oauth2/openid/netbox/").unwrap_err();
        assert!(issuer.contains("issuer"), "{issuer}");
        assert!(
            kanidm_origin("https://idm.example.com/kanidm")
                .unwrap_err()
                .contains("path")
        );
        assert!(kanidm_origin("https://a@idm.example.com").is_err());
        assert!(kanidm_origin("https://idm.example.com/?x=1").is_err());
        assert!(kanidm_origin("https://").is_err());
        assert!(kanidm_origin("").unwrap_err().contains("required"));
    }

    #[test]
    fn netbox_url_moves_paths_to_base_path() {
        assert_eq!(
            netbox_url("https://netbox.example.com/").unwrap(),
            "https://netbox.example.com"
        );
        let msg = netbox_url("https://example.com/netbox/").unwrap_err();
        assert!(msg.contains("BASE_PATH netbox/"), "{msg}");
    }

    #[test]
    fn base_path_gets_one_trailing_slash() {
        assert_eq!(base_path("").unwrap(), "");
        assert_eq!(base_path("/").unwrap(), "");
        assert_eq!(base_path("/netbox").unwrap(), "netbox/");
        assert_eq!(base_path("tools/netbox/").unwrap(), "tools/netbox/");
        assert!(base_path("net box").is_err());
        assert!(base_path("a//b").is_err());
        assert!(base_path("../x").is_err());
    }

    #[test]
    fn kanidm_names_follow_iname_rules() {
        assert_eq!(
            kanidm_name("netbox_users", "group").unwrap(),
            "netbox_users"
        );
        assert!(
            kanidm_name("NetBox", "client")
                .unwrap_err()
                .contains("lower case")
        );
        assert!(kanidm_name("net box", "client").is_err());
        assert!(kanidm_name("1netbox", "client").is_err());
        assert!(kanidm_name("-rf", "client").is_err());
        assert!(kanidm_name("", "client").unwrap_err().contains("required"));
        assert_eq!(
            kanidm_member("alice@idm.example.com").unwrap(),
            "alice@idm.example.com"
        );
        assert!(kanidm_member("alice@").is_err());
    }

    #[test]
    fn scopes_must_be_single_tokens() {
        assert_eq!(scope("groups").unwrap(), "groups");
        assert!(
            scope("openid email")
                .unwrap_err()
                .contains("Invalid Oauth Scope Map syntax")
        );
        assert!(scope("a:b").is_err());
    }

    #[test]
    fn free_text_refuses_control_characters_only() {
        assert!(free_text("Ünïcødé ' \" $(x) `y`", "label", 64).is_ok());
        assert!(
            free_text("two\nlines", "label", 64)
                .unwrap_err()
                .contains("U+000A")
        );
        assert!(free_text("   ", "label", 64).is_err());
    }

    #[test]
    fn icons_are_names_or_urls() {
        assert_eq!(button_icon("login").unwrap().as_deref(), Some("login"));
        assert_eq!(button_icon("").unwrap(), None);
        assert!(
            button_icon("https://idm.example.com/logo.svg")
                .unwrap()
                .is_some()
        );
        assert!(button_icon("login'); import os").is_err());
    }

    #[test]
    fn paths_must_be_absolute_files() {
        assert!(absolute_path("/etc/netbox/secret", "secret file").is_ok());
        assert!(
            absolute_path("secret", "secret file")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(absolute_path("/etc/netbox/", "secret file").is_err());
    }
}
