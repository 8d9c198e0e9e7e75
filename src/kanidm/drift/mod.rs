//! Where a Kanidm OAuth2 client differs from the plan, attribute by attribute, with the exact
//! `kanidm` commands that converge it and the ones that undo that convergence.
//!
//! Commands have the form the generated scripts use: `kanidm system oauth2 <sub> --name <admin> --
//! <args>` (connection flag after the subcommand, `--` before the values).

use super::client_state::OAuthClientState;
use crate::plan::{Pkce, Plan};
use crate::quote::shell;
use serde::Serialize;
use std::collections::BTreeSet;

/// One attribute where Kanidm differs from the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftItem {
    /// The Kanidm attribute, e.g. `oauth2_rs_origin`.
    pub attribute: &'static str,
    /// What the plan needs, in words or as the value.
    pub expected: String,
    /// What Kanidm has.
    pub actual: String,
    /// Why it matters for NetBox, in one sentence.
    pub why: String,
    /// The commands that make Kanidm match the plan, in order.
    pub converge: Vec<String>,
    /// The commands that put Kanidm back as it was after `converge`, in order.
    pub undo: Vec<String>,
}

/// A shell word for `value`: as is when it holds only characters the shell never interprets,
/// otherwise single-quoted with [`shell`].
fn word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        value.to_string()
    } else {
        shell(value)
    }
}

/// `kanidm system oauth2 <sub> --name <admin> -- <client> <args>…`.
fn oauth2(plan: &Plan, sub: &str, args: &[&str]) -> String {
    let mut out = format!(
        "kanidm system oauth2 {sub} --name {} -- {}",
        word(&plan.kanidm.admin),
        word(&plan.kanidm.client)
    );
    for arg in args {
        out.push(' ');
        out.push_str(&word(arg));
    }
    out
}

fn on_off(value: bool) -> String {
    if value { "on" } else { "off" }.to_string()
}

fn or_unset(value: Option<&str>) -> String {
    value.map_or_else(|| "(unset)".to_string(), str::to_string)
}

fn set_text<'a>(values: impl IntoIterator<Item = &'a String>) -> String {
    let items: Vec<&str> = values.into_iter().map(String::as_str).collect();
    format!("{{{}}}", items.join(", "))
}

/// The same URL with or without a trailing slash, with http and https swapped, or both.
fn near_miss(expected: &str, candidate: &str) -> Option<&'static str> {
    let strip = |u: &str| u.trim_end_matches('/').to_string();
    let scheme_swapped = |u: &str| {
        if let Some(rest) = u.strip_prefix("https://") {
            format!("http://{rest}")
        } else if let Some(rest) = u.strip_prefix("http://") {
            format!("https://{rest}")
        } else {
            u.to_string()
        }
    };
    if candidate == expected {
        None
    } else if strip(candidate) == strip(expected) {
        Some("trailing slash")
    } else if candidate == scheme_swapped(expected) {
        Some("http vs https")
    } else if strip(candidate) == strip(&scheme_swapped(expected)) {
        Some("http vs https and trailing slash")
    } else {
        None
    }
}

fn redirect_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    let expected = plan.redirect_url();
    if state.redirect_urls.contains(&expected) {
        return None;
    }
    let misses: Vec<(&str, &'static str)> = state
        .redirect_urls
        .iter()
        .filter_map(|u| near_miss(&expected, u).map(|trap| (u.as_str(), trap)))
        .collect();
    let why = match misses.first() {
        Some((url, "trailing slash")) => format!(
            "Kanidm holds {url} but NetBox sends redirect_uri={expected}, and Kanidm compares them exactly, so the trailing slash alone makes every login fail with an invalid redirect_uri."
        ),
        Some((url, trap)) => format!(
            "Kanidm holds {url} but NetBox sends redirect_uri={expected} ({trap}; behind a TLS proxy NetBox needs SOCIAL_AUTH_REDIRECT_IS_HTTPS), and Kanidm compares them exactly, so every login fails with an invalid redirect_uri."
        ),
        None => format!(
            "NetBox sends redirect_uri={expected} and Kanidm rejects any redirect URL it does not hold exactly, so every login fails."
        ),
    };
    let mut converge = vec![oauth2(plan, "add-redirect-url", &[&expected])];
    let mut undo = vec![oauth2(plan, "remove-redirect-url", &[&expected])];
    for (url, _) in &misses {
        converge.push(oauth2(plan, "remove-redirect-url", &[url]));
        undo.push(oauth2(plan, "add-redirect-url", &[url]));
    }
    Some(DriftItem {
        attribute: "oauth2_rs_origin",
        expected,
        actual: if state.redirect_urls.is_empty() {
            "(none)".to_string()
        } else {
            state.redirect_urls.join(", ")
        },
        why,
        converge,
        undo,
    })
}

fn landing_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    let expected = plan.landing_url();
    if state.landing_url.as_deref() == Some(expected.as_str()) {
        return None;
    }
    let undo = match &state.landing_url {
        Some(old) => vec![oauth2(plan, "set-landing-url", &[old])],
        None => vec![],
    };
    Some(DriftItem {
        attribute: "oauth2_rs_origin_landing",
        actual: or_unset(state.landing_url.as_deref()),
        why: format!(
            "The NetBox tile in Kanidm's app list opens the landing URL, which should be NetBox's root {expected}."
        ),
        converge: vec![oauth2(plan, "set-landing-url", &[&expected])],
        undo,
        expected,
    })
}

fn scope_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    let group = &plan.kanidm.group;
    let key = match state.domain() {
        Some(domain) => format!("{group}@{domain}"),
        None => format!("{group}@…"),
    };
    // The map is keyed by the group's SPN; without the client's SPN, match on the group name.
    let actual = match state.domain() {
        Some(_) => state.scope_maps.get(&key),
        None => state
            .scope_maps
            .iter()
            .find(|(k, _)| k.rsplit_once('@').is_some_and(|(g, _)| g == group))
            .map(|(_, v)| v),
    };
    let wanted: BTreeSet<String> = plan.kanidm.scopes.iter().cloned().collect();
    if actual == Some(&wanted) {
        return None;
    }
    let scopes: Vec<&str> = plan.kanidm.scopes.iter().map(String::as_str).collect();
    let mut converge_args = vec![group.as_str()];
    converge_args.extend(&scopes);
    let missing: Vec<&String> = match actual {
        Some(have) => wanted.difference(have).collect(),
        None => wanted.iter().collect(),
    };
    let why = if missing.is_empty() {
        format!(
            "Members of {group} are granted scopes NetBox never requests; they are harmless to the login but more than the plan grants."
        )
    } else {
        format!(
            "NetBox requests {} and Kanidm answers access_denied unless every requested scope is in {key}'s scope map, which lacks {}.",
            plan.kanidm.scopes.join(" "),
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let undo = match actual {
        Some(old) if !old.is_empty() => {
            let mut args = vec![group.as_str()];
            args.extend(old.iter().map(String::as_str));
            vec![oauth2(plan, "update-scope-map", &args)]
        }
        _ => vec![oauth2(plan, "delete-scope-map", &[group])],
    };
    Some(DriftItem {
        attribute: "oauth2_rs_scope_map",
        expected: format!("{key}: {}", set_text(&wanted)),
        actual: match actual {
            Some(have) => format!("{key}: {}", set_text(have)),
            None => format!("no scope map for {key}"),
        },
        why,
        converge: vec![oauth2(plan, "update-scope-map", &converge_args)],
        undo,
    })
}

fn pkce_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    let want_disabled = plan.kanidm.pkce == Pkce::Disabled;
    if state.pkce_disabled == want_disabled {
        return None;
    }
    let enforced = || "enforced".to_string();
    let disabled = || "not enforced (oauth2_allow_insecure_client_disable_pkce: true)".to_string();
    let enable = oauth2(plan, "enable-pkce", &[]);
    let disable = oauth2(plan, "warning-insecure-client-disable-pkce", &[]);
    Some(if want_disabled {
        DriftItem {
            attribute: "oauth2_allow_insecure_client_disable_pkce",
            expected: disabled(),
            actual: enforced(),
            why: "This NetBox's social-auth-core sends no PKCE challenge, so Kanidm refuses every login (\"No PKCE code challenge was provided with client in enforced PKCE mode\").".to_string(),
            converge: vec![disable],
            undo: vec![enable],
        }
    } else {
        DriftItem {
            attribute: "oauth2_allow_insecure_client_disable_pkce",
            expected: enforced(),
            actual: disabled(),
            why: "NetBox sends a PKCE challenge (SOCIAL_AUTH_OIDC_USE_PKCE = True), so Kanidm should require one and an intercepted authorisation code is useless on its own.".to_string(),
            converge: vec![enable],
            undo: vec![disable],
        }
    })
}

fn legacy_crypto_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    if !state.legacy_crypto {
        return None;
    }
    Some(DriftItem {
        attribute: "oauth2_jwt_legacy_crypto_enable",
        expected: on_off(false),
        actual: on_off(true),
        why: "NetBox verifies ES256 ID tokens, so legacy crypto only downgrades their signatures to RS256.".to_string(),
        converge: vec![oauth2(plan, "disable-legacy-crypto", &[])],
        undo: vec![oauth2(plan, "warning-enable-legacy-crypto", &[])],
    })
}

fn short_username_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    let want = plan.kanidm.short_usernames;
    if state.prefer_short_username == want {
        return None;
    }
    let short = oauth2(plan, "prefer-short-username", &[]);
    let spn = oauth2(plan, "prefer-spn-username", &[]);
    let (converge, undo) = if want { (short, spn) } else { (spn, short) };
    Some(DriftItem {
        attribute: "oauth2_prefer_short_username",
        expected: on_off(want),
        actual: on_off(state.prefer_short_username),
        why: "NetBox names and matches users by preferred_username, so `alice` versus `alice@domain` decides whether people log in to their existing NetBox accounts or to new, empty ones.".to_string(),
        converge: vec![converge],
        undo: vec![undo],
    })
}

fn consent_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    if !plan.kanidm.caps.consent_prompt_toggle {
        return None;
    }
    let want = plan.kanidm.consent_prompt;
    if state.consent_prompt == want {
        return None;
    }
    let enable = oauth2(plan, "enable-consent-prompt", &[]);
    let disable = oauth2(plan, "disable-consent-prompt", &[]);
    let (converge, undo) = if want {
        (enable, disable)
    } else {
        (disable, enable)
    };
    Some(DriftItem {
        attribute: "oauth2_consent_prompt_enable",
        expected: on_off(want),
        actual: on_off(state.consent_prompt),
        why: if want {
            "The plan asks Kanidm to show users which NetBox scopes they grant on their first login, and Kanidm currently skips that prompt."
        } else {
            "The plan skips Kanidm's consent prompt, but Kanidm currently asks every user to approve NetBox on their first login."
        }
        .to_string(),
        converge: vec![converge],
        undo: vec![undo],
    })
}

fn strict_redirect_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    if state.strict_redirect {
        return None;
    }
    Some(DriftItem {
        attribute: "oauth2_strict_redirect_uri",
        expected: on_off(true),
        actual: on_off(false),
        why: "Without strict matching Kanidm accepts redirect URLs that merely share NetBox's origin, so a code could be sent to a page NetBox did not ask for.".to_string(),
        converge: vec![oauth2(plan, "enable-strict-redirect-url", &[])],
        undo: vec![oauth2(plan, "disable-strict-redirect-url", &[])],
    })
}

fn display_name_drift(state: &OAuthClientState, plan: &Plan) -> Option<DriftItem> {
    let expected = &plan.kanidm.display_name;
    if state.display_name.as_deref() == Some(expected.as_str()) {
        return None;
    }
    let undo = match &state.display_name {
        Some(old) => vec![oauth2(plan, "set-displayname", &[old])],
        None => vec![],
    };
    Some(DriftItem {
        attribute: "displayname",
        expected: expected.clone(),
        actual: or_unset(state.display_name.as_deref()),
        why: "Users see the display name on Kanidm's app list and consent prompt, so it should say this is NetBox.".to_string(),
        converge: vec![oauth2(plan, "set-displayname", &[expected])],
        undo,
    })
}

/// The attributes [`drift`] compares, in its order (what a view lists as "ok" when they match).
pub const COMPARED_ATTRIBUTES: [&str; 9] = [
    "oauth2_rs_origin",
    "oauth2_rs_origin_landing",
    "oauth2_rs_scope_map",
    "oauth2_allow_insecure_client_disable_pkce",
    "oauth2_jwt_legacy_crypto_enable",
    "oauth2_prefer_short_username",
    "oauth2_consent_prompt_enable",
    "oauth2_strict_redirect_uri",
    "displayname",
];

/// Every attribute of `state` that differs from `plan`, in a fixed order: redirect URL, landing URL,
/// scope map, PKCE, legacy crypto, short usernames, consent prompt (only when the plan's Kanidm
/// version can toggle it), strict redirect, display name. Empty when the client matches the plan.
pub fn drift(state: &OAuthClientState, plan: &Plan) -> Vec<DriftItem> {
    [
        redirect_drift(state, plan),
        landing_drift(state, plan),
        scope_drift(state, plan),
        pkce_drift(state, plan),
        legacy_crypto_drift(state, plan),
        short_username_drift(state, plan),
        consent_drift(state, plan),
        strict_redirect_drift(state, plan),
        display_name_drift(state, plan),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests;
