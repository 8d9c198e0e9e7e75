//! The catalogue's fixes name the plan's values as `{client}`, `{admin}`, …; this fills them in from a
//! plan, or with readable stand-ins when there is none.

use crate::plan::Plan;

/// Every placeholder a fix may use.
pub const PLACEHOLDERS: [&str; 8] = [
    "client", "admin", "group", "issuer", "redirect", "netbox", "kanidm", "ca_file",
];

/// The values placeholders stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixValues {
    values: [(&'static str, String); 8],
}

impl FixValues {
    /// From the plan, or nbsso's defaults and `<kanidm>`-style stand-ins without one.
    pub fn new(plan: Option<&Plan>) -> Self {
        let value = |name: &str| -> String {
            match (name, plan) {
                ("client", Some(p)) => p.kanidm.client.clone(),
                ("admin", Some(p)) => p.kanidm.admin.clone(),
                ("group", Some(p)) => p.kanidm.group.clone(),
                ("issuer", Some(p)) => p.issuer(),
                ("redirect", Some(p)) => p.redirect_url(),
                ("netbox", Some(p)) => p.netbox_root(),
                ("kanidm", Some(p)) => p.kanidm.origin.clone(),
                ("ca_file", Some(p)) => p
                    .ca_file
                    .as_ref()
                    .map(|f| f.display().to_string())
                    .unwrap_or_else(|| "/path/to/kanidm-ca.pem".into()),
                ("client", None) => "netbox".into(),
                ("admin", None) => "idm_admin".into(),
                ("group", None) => "netbox_users".into(),
                ("issuer", None) => "https://<kanidm>/oauth2/openid/netbox".into(),
                ("redirect", None) => "https://<netbox>/oauth/complete/oidc/".into(),
                ("netbox", None) => "https://<netbox>/".into(),
                ("kanidm", None) => "https://<kanidm>".into(),
                _ => "/path/to/kanidm-ca.pem".into(),
            }
        };
        Self {
            values: PLACEHOLDERS.map(|name| (name, value(name))),
        }
    }

    /// `fix` with every known `{name}` replaced; other braces (Python dicts) are left alone.
    pub fn render(&self, fix: &str) -> String {
        let mut out = fix.trim_matches('\n').to_string();
        for (name, value) in &self.values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

/// The `{name}` placeholders in `text` that are not known (the catalogue test uses it).
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && !PLACEHOLDERS.contains(&name)
        {
            unknown.push(name.to_string());
        }
        rest = &after[end..];
    }
    unknown
}
