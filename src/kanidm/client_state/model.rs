//! The client's state as nbsso keeps it, and the builder that both parsers feed: attribute name →
//! values (with the text line each came from), checked and turned into [`OAuthClientState`].

use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Inputs larger than this are refused rather than parsed (a client's `get` output is about 1 KiB).
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// One OAuth2 client (resource server) as Kanidm holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OAuthClientState {
    /// `name`: the client ID.
    pub name: String,
    /// `displayname`.
    pub display_name: Option<String>,
    /// `oauth2_rs_origin`: the redirect URLs, in the order Kanidm printed them.
    pub redirect_urls: Vec<String>,
    /// `oauth2_rs_origin_landing` (Kanidm stores it with a trailing `/`).
    pub landing_url: Option<String>,
    /// `oauth2_rs_scope_map`: group SPN (`group@domain`) → scopes.
    pub scope_maps: BTreeMap<String, BTreeSet<String>>,
    /// `oauth2_rs_sup_scope_map`: group SPN → supplementary scopes.
    pub sup_scope_maps: BTreeMap<String, BTreeSet<String>>,
    /// `oauth2_rs_claim_map` values, verbatim.
    pub claim_maps: Vec<String>,
    /// `oauth2_allow_insecure_client_disable_pkce: true`: PKCE is not enforced (unset = enforced).
    pub pkce_disabled: bool,
    /// `oauth2_jwt_legacy_crypto_enable: true`: RS256 instead of ES256 (unset = off).
    pub legacy_crypto: bool,
    /// `oauth2_prefer_short_username: true`: `preferred_username` is `name`, not the SPN (unset = off).
    pub prefer_short_username: bool,
    /// `oauth2_consent_prompt_enable` (unset = enabled, Kanidm's default).
    pub consent_prompt: bool,
    /// `oauth2_strict_redirect_uri` (unset = off; `create` sets it on since 1.4.0).
    pub strict_redirect: bool,
    /// `oauth2_rs_basic_secret` is present (the value itself is never kept).
    pub basic_secret_present: bool,
    /// `uuid`.
    pub uuid: Option<String>,
    /// `spn`: `name@domain`.
    pub spn: Option<String>,
    /// `class` values.
    pub classes: Vec<String>,
    /// Every other attribute, values verbatim (e.g. `key_internal_data`, `oauth2_allow_localhost_redirect`).
    pub other: BTreeMap<String, Vec<String>>,
}

impl OAuthClientState {
    /// The domain part of the client's SPN (`localhost` for `netbox@localhost`).
    pub fn domain(&self) -> Option<&str> {
        self.spn
            .as_deref()
            .and_then(|spn| spn.rsplit_once('@'))
            .map(|(_, domain)| domain)
    }
}

/// Why an input could not be read as a client's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the text input; `None` for JSON input or whole-input problems.
    pub line: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub(super) fn at(line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// A short, printable excerpt of untrusted input for an error message.
pub(super) fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = text.chars().take(MAX).collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

pub(super) fn check_size(input: &str) -> Result<(), ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ParseError::at(
            None,
            format!(
                "the input is {} bytes, more than the {MAX_INPUT_BYTES} bytes a client's state can be",
                input.len()
            ),
        ));
    }
    Ok(())
}

/// One attribute value and the line it came from (`None` for JSON).
pub(super) type Values = Vec<(String, Option<usize>)>;

/// A client's attributes by name; names borrow from the input where they can, because thousands
/// of clients repeat the same twenty names.
pub(super) type AttrMap<'a> = BTreeMap<Cow<'a, str>, Values>;

/// Attribute name characters Kanidm uses (`oauth2_rs_origin`, `key_internal_data`, …).
pub(super) fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn single(attrs: &mut AttrMap<'_>, name: &str) -> Result<Option<String>, ParseError> {
    let Some(mut values) = attrs.remove(name) else {
        return Ok(None);
    };
    if values.len() > 1 {
        let line = values.get(1).and_then(|(_, line)| *line);
        return Err(ParseError::at(
            line,
            format!(
                "`{name}` appears {} times, but a client has only one",
                values.len()
            ),
        ));
    }
    Ok(values.pop().map(|(value, _)| value))
}

fn flag(attrs: &mut AttrMap<'_>, name: &str) -> Result<Option<bool>, ParseError> {
    let line = attrs
        .get(name)
        .and_then(|values| values.first())
        .and_then(|(_, line)| *line);
    match single(attrs, name)?.as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(ParseError::at(
            line,
            format!(
                "`{name}` must be `true` or `false`, found {}",
                excerpt(other)
            ),
        )),
    }
}

/// Reads a Rust `Debug`-formatted set of strings: `{"email", "openid"}`.
fn parse_scope_set(text: &str) -> Result<BTreeSet<String>, String> {
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| format!("expected `{{\"scope\", …}}`, found {}", excerpt(text)))?;
    let mut scopes = BTreeSet::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(c) => return Err(format!("expected `\"` to start a scope, found {c:?}")),
        }
        let mut scope = String::new();
        loop {
            match chars.next() {
                None => return Err("a scope's closing `\"` is missing".to_string()),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some(c) => scope.push(c),
                    None => return Err("a scope ends in `\\`".to_string()),
                },
                Some(c) => scope.push(c),
            }
        }
        scopes.insert(scope);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(c) => return Err(format!("expected `,` between scopes, found {c:?}")),
        }
    }
    Ok(scopes)
}

fn scope_maps(
    attrs: &mut AttrMap<'_>,
    name: &str,
) -> Result<BTreeMap<String, BTreeSet<String>>, ParseError> {
    let mut maps = BTreeMap::new();
    for (value, line) in attrs.remove(name).unwrap_or_default() {
        let Some((group, set)) = value.split_once(": ") else {
            return Err(ParseError::at(
                line,
                format!(
                    "`{name}` should be `group@domain: {{\"scope\", …}}`, found {}",
                    excerpt(&value)
                ),
            ));
        };
        let scopes = parse_scope_set(set)
            .map_err(|message| ParseError::at(line, format!("`{name}` for {group}: {message}")))?;
        maps.insert(group.to_string(), scopes);
    }
    Ok(maps)
}

/// Builds the state from attribute values. `first_line` (the `---` of text output) locates
/// whole-entry problems.
pub(super) fn from_attrs(
    mut attrs: AttrMap<'_>,
    first_line: Option<usize>,
) -> Result<OAuthClientState, ParseError> {
    let Some(name) = single(&mut attrs, "name")? else {
        return Err(ParseError::at(
            first_line,
            "the client has no `name` attribute",
        ));
    };
    let all = |attrs: &mut AttrMap<'_>, key: &str| -> Vec<String> {
        attrs
            .remove(key)
            .unwrap_or_default()
            .into_iter()
            .map(|(value, _)| value)
            .collect()
    };
    let state = OAuthClientState {
        name,
        display_name: single(&mut attrs, "displayname")?,
        redirect_urls: all(&mut attrs, "oauth2_rs_origin"),
        landing_url: single(&mut attrs, "oauth2_rs_origin_landing")?,
        scope_maps: scope_maps(&mut attrs, "oauth2_rs_scope_map")?,
        sup_scope_maps: scope_maps(&mut attrs, "oauth2_rs_sup_scope_map")?,
        claim_maps: all(&mut attrs, "oauth2_rs_claim_map"),
        pkce_disabled: flag(&mut attrs, "oauth2_allow_insecure_client_disable_pkce")?
            .unwrap_or(false),
        legacy_crypto: flag(&mut attrs, "oauth2_jwt_legacy_crypto_enable")?.unwrap_or(false),
        prefer_short_username: flag(&mut attrs, "oauth2_prefer_short_username")?.unwrap_or(false),
        consent_prompt: flag(&mut attrs, "oauth2_consent_prompt_enable")?.unwrap_or(true),
        strict_redirect: flag(&mut attrs, "oauth2_strict_redirect_uri")?.unwrap_or(false),
        // The value is dropped here: only its presence is kept.
        basic_secret_present: attrs.remove("oauth2_rs_basic_secret").is_some(),
        uuid: single(&mut attrs, "uuid")?,
        spn: single(&mut attrs, "spn")?,
        classes: all(&mut attrs, "class"),
        other: attrs
            .into_iter()
            .map(|(key, values)| {
                let values = values.into_iter().map(|(v, _)| v).collect();
                (key.into_owned(), values)
            })
            .collect(),
    };
    Ok(state)
}
