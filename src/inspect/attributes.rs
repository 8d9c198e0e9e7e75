//! A client's attributes, grouped as the user reads them: Identity, URLs, Access, Security, and
//! anything else Kanidm holds, verbatim. The text report (`nbsso inspect --plain`) and the
//! interactive view both show these lines; only the styling differs.

use crate::kanidm::OAuthClientState;
use std::collections::BTreeSet;

/// Width of the attribute labels.
pub const LABEL: usize = 16;

/// One line under a group heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// A known attribute under its label.
    Known { label: &'static str, value: String },
    /// Any further attribute, named as Kanidm names it.
    Other { name: String, value: String },
}

impl Attribute {
    /// The line as two cells: the indented label (padded to [`LABEL`]) and the value.
    pub fn cells(&self) -> (String, &str) {
        match self {
            Self::Known { label, value } => (format!("  {label:<LABEL$}"), value),
            Self::Other { name, value } => (format!("  {name}: "), value),
        }
    }
}

/// A heading and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub title: &'static str,
    pub attributes: Vec<Attribute>,
}

fn on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn scopes(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(" ")
}

/// The client's attributes, grouped. The client secret's value is never read; whether one is set
/// is. Nothing named like a secret is listed among the others, whatever a future release calls it.
pub fn groups(c: &OAuthClientState) -> Vec<Group> {
    let none = || "(none)".to_string();
    let known = |label, value: String| Attribute::Known { label, value };
    let mut urls = vec![known("landing", c.landing_url.clone().unwrap_or_else(none))];
    if c.redirect_urls.is_empty() {
        urls.push(known("redirect", "(none: every login is refused)".into()));
    }
    urls.extend(c.redirect_urls.iter().map(|u| known("redirect", u.clone())));
    let mut access = Vec::new();
    if c.scope_maps.is_empty() {
        access.push(known("scope map", "(none: nobody can log in)".into()));
    }
    for (group, set) in &c.scope_maps {
        access.push(known("scope map", format!("{group}: {}", scopes(set))));
    }
    if c.sup_scope_maps.is_empty() {
        access.push(known("sup. scope map", none()));
    }
    for (group, set) in &c.sup_scope_maps {
        access.push(known("sup. scope map", format!("{group}: {}", scopes(set))));
    }
    if c.claim_maps.is_empty() {
        access.push(known("claim map", none()));
    }
    access.extend(c.claim_maps.iter().map(|m| known("claim map", m.clone())));
    let pkce = if c.pkce_disabled {
        "not enforced (disabled)"
    } else {
        "enforced"
    };
    let crypto = if c.legacy_crypto {
        "on (RS256)"
    } else {
        "off (ES256)"
    };
    let secret = if c.basic_secret_present {
        "set (never shown)"
    } else {
        "none"
    };
    let mut groups = vec![
        Group {
            title: "Identity",
            attributes: vec![
                known("name", c.name.clone()),
                known("display name", c.display_name.clone().unwrap_or_else(none)),
                known("SPN", c.spn.clone().unwrap_or_else(none)),
                known("UUID", c.uuid.clone().unwrap_or_else(none)),
            ],
        },
        Group {
            title: "URLs",
            attributes: urls,
        },
        Group {
            title: "Access",
            attributes: access,
        },
        Group {
            title: "Security",
            attributes: vec![
                known("PKCE", pkce.into()),
                known("legacy crypto", crypto.into()),
                known("strict redirect", on(c.strict_redirect).into()),
                known("consent prompt", on(c.consent_prompt).into()),
                known("short username", on(c.prefer_short_username).into()),
                known("client secret", secret.into()),
            ],
        },
    ];
    // Whatever else Kanidm holds (refresh token expiry, localhost redirects, key IDs), verbatim.
    let other: Vec<Attribute> = c
        .other
        .iter()
        .filter(|(name, _)| !name.contains("secret"))
        .flat_map(|(name, values)| {
            values.iter().map(|value| Attribute::Other {
                name: name.clone(),
                value: value.clone(),
            })
        })
        .collect();
    if !other.is_empty() {
        groups.push(Group {
            title: "Other",
            attributes: other,
        });
    }
    groups
}

/// The groups as plain text, one line each.
pub fn text(c: &OAuthClientState) -> String {
    let mut out = String::new();
    for group in groups(c) {
        out.push_str(group.title);
        out.push('\n');
        for attribute in &group.attributes {
            let (label, value) = attribute.cells();
            out.push_str(&label);
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}
