//! A Kanidm OAuth2 client as the server reports it, parsed from the four shapes it comes in:
//!
//! - `kanidm system oauth2 get <name>` text: `---`, then one `attr: value` line per value, attributes
//!   sorted, multi-valued ones repeated; `No matching entries` when the client does not exist.
//! - `kanidm system oauth2 get <name> -o json` and REST `GET /v1/oauth2/<name>`:
//!   `{"attrs":{"attr":["value",…]}}`, or `null` when the client does not exist.
//! - `kanidm system oauth2 list` text: one `---` block per client.
//! - `kanidm system oauth2 list -o json` (an array of attrs maps) and REST `GET /v1/oauth2` (an array
//!   of `{"attrs":…}` objects).
//!
//! Parsing never panics: malformed input gives a [`ParseError`] naming the line (text) or the entry
//! (JSON). The basic secret's value is never kept, only whether one is configured.

use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Inputs larger than this are refused rather than parsed (a client's `get` output is about 1 KiB).
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// What `get` prints for a client that does not exist (or that the caller may not see).
pub const NO_MATCHING_ENTRIES: &str = "No matching entries";

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
    fn at(line: Option<usize>, message: impl Into<String>) -> Self {
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
fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = text.chars().take(MAX).collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

fn check_size(input: &str) -> Result<(), ParseError> {
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
type Values = Vec<(String, Option<usize>)>;

/// A client's attributes by name; names borrow from the input where they can, because thousands
/// of clients repeat the same twenty names.
type AttrMap<'a> = BTreeMap<Cow<'a, str>, Values>;

/// Attribute name characters Kanidm uses (`oauth2_rs_origin`, `key_internal_data`, …).
fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// One client: the line of its `---`, and its `(line number, attribute, value)` lines.
type Block<'a> = (usize, Vec<(usize, &'a str, String)>);

/// Splits text output into `---` blocks.
fn text_blocks(input: &str) -> Result<Vec<Block<'_>>, ParseError> {
    let mut blocks: Vec<Block> = Vec::new();
    for (index, raw) in input.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_end() == "---" {
            blocks.push((number, Vec::new()));
            continue;
        }
        let Some((_, block)) = blocks.last_mut() else {
            return Err(ParseError::at(
                Some(number),
                format!(
                    "expected `---` (the start of a client) or `{NO_MATCHING_ENTRIES}`, found {}",
                    excerpt(line)
                ),
            ));
        };
        let (attribute, value) = match line.split_once(": ") {
            Some(pair) => pair,
            None => match line.strip_suffix(':') {
                Some(attribute) => (attribute, ""),
                None => {
                    return Err(ParseError::at(
                        Some(number),
                        format!("expected `attribute: value`, found {}", excerpt(line)),
                    ));
                }
            },
        };
        if !is_attribute_name(attribute) {
            return Err(ParseError::at(
                Some(number),
                format!(
                    "{} is not a Kanidm attribute name (lower-case letters, digits and `_`)",
                    excerpt(attribute)
                ),
            ));
        }
        block.push((number, attribute, value.to_string()));
    }
    Ok(blocks)
}

fn group_block(block: Vec<(usize, &str, String)>) -> AttrMap<'_> {
    let mut attrs = AttrMap::new();
    for (line, attribute, value) in block {
        attrs
            .entry(Cow::Borrowed(attribute))
            .or_default()
            .push((value, Some(line)));
    }
    attrs
}

fn is_no_matching_entries(input: &str) -> bool {
    input.trim() == NO_MATCHING_ENTRIES
}

/// `kanidm system oauth2 get <name>` text output. `Ok(None)` for `No matching entries`.
pub fn parse_get_text(input: &str) -> Result<Option<OAuthClientState>, ParseError> {
    check_size(input)?;
    if is_no_matching_entries(input) {
        return Ok(None);
    }
    let mut blocks = text_blocks(input)?;
    match blocks.len() {
        0 => Err(ParseError::at(
            None,
            format!(
                "the output is empty: expected `---` and the client's attributes, or `{NO_MATCHING_ENTRIES}`"
            ),
        )),
        1 => {
            let (start, block) = blocks.pop().unwrap_or_default();
            from_attrs(group_block(block), Some(start)).map(Some)
        }
        n => Err(ParseError::at(
            None,
            format!("expected one client, found {n} `---` blocks (is this `list` output?)"),
        )),
    }
}

/// `kanidm system oauth2 list` text output: every client, in order. Empty output or
/// `No matching entries` is an empty list.
pub fn parse_list_text(input: &str) -> Result<Vec<OAuthClientState>, ParseError> {
    check_size(input)?;
    if is_no_matching_entries(input) {
        return Ok(Vec::new());
    }
    text_blocks(input)?
        .into_iter()
        .map(|(start, block)| from_attrs(group_block(block), Some(start)))
        .collect()
}

fn json_value(input: &str) -> Result<serde_json::Value, ParseError> {
    check_size(input)?;
    serde_json::from_str(input).map_err(|e| {
        let line = (e.line() > 0).then_some(e.line());
        ParseError::at(line, format!("not valid JSON: {e}"))
    })
}

/// An attrs map (`{"attr":["v",…]}`) or a `{"attrs":{…}}` wrapper, as one client's state.
fn json_entry(value: &serde_json::Value, what: &str) -> Result<OAuthClientState, ParseError> {
    let Some(object) = value.as_object() else {
        return Err(ParseError::at(None, format!("{what} is not a JSON object")));
    };
    let attrs = match object.get("attrs") {
        Some(serde_json::Value::Object(inner)) if object.len() == 1 => inner,
        _ => object,
    };
    let mut map = AttrMap::new();
    for (attribute, values) in attrs {
        if !is_attribute_name(attribute) {
            return Err(ParseError::at(
                None,
                format!(
                    "{what}: {} is not a Kanidm attribute name",
                    excerpt(attribute)
                ),
            ));
        }
        let Some(list) = values.as_array() else {
            return Err(ParseError::at(
                None,
                format!("{what}: attribute `{attribute}` is not a list of strings"),
            ));
        };
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            let Some(text) = item.as_str() else {
                return Err(ParseError::at(
                    None,
                    format!("{what}: attribute `{attribute}` holds a value that is not a string"),
                ));
            };
            out.push((text.to_string(), None));
        }
        map.insert(Cow::Borrowed(attribute.as_str()), out);
    }
    from_attrs(map, None).map_err(|e| ParseError::at(e.line, format!("{what}: {}", e.message)))
}

/// `kanidm system oauth2 get <name> -o json` or REST `GET /v1/oauth2/<name>`. `Ok(None)` for `null`.
pub fn parse_get_json(input: &str) -> Result<Option<OAuthClientState>, ParseError> {
    let value = json_value(input)?;
    if value.is_null() {
        return Ok(None);
    }
    json_entry(&value, "the client").map(Some)
}

/// `kanidm system oauth2 list -o json` (attrs maps) or REST `GET /v1/oauth2` (`{"attrs":…}` objects).
pub fn parse_list_json(input: &str) -> Result<Vec<OAuthClientState>, ParseError> {
    // Well-formed lists take the typed path, which skips building a JSON value tree (half the time
    // for thousands of clients); anything else falls through to the checked path and its messages.
    if input.len() <= MAX_INPUT_BYTES
        && let Some(fast) = typed_list(input)
    {
        return fast;
    }
    let value = json_value(input)?;
    if value.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = value.as_array() else {
        return Err(ParseError::at(
            None,
            "expected a JSON array of clients".to_string(),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| json_entry(item, &format!("client {}", i + 1)))
        .collect()
}

/// A list in either JSON form, read in one pass straight into attribute maps; `None` when it is
/// not one of them (the checked path then says why).
fn typed_list(input: &str) -> Option<Result<Vec<OAuthClientState>, ParseError>> {
    let clients: Vec<JsonClient<'_>> = serde_json::from_str(input).ok()?;
    Some(
        clients
            .into_iter()
            .enumerate()
            .map(|(i, client)| {
                from_attrs(client.0, None)
                    .map_err(|e| ParseError::at(e.line, format!("client {}: {}", i + 1, e.message)))
            })
            .collect(),
    )
}

/// One list entry: an attrs map, or a `{"attrs": {…}}` wrapper around one.
struct JsonClient<'de>(AttrMap<'de>);

/// An attribute name, borrowed from the input unless it holds escapes.
struct JsonKey<'de>(Cow<'de, str>);

/// An attribute's values, as the state builder takes them.
struct JsonValues(Values);

impl<'de> serde::Deserialize<'de> for JsonKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = JsonKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(JsonKey(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonKey(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for JsonValues {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;
        impl<'de> serde::de::Visitor<'de> for ValuesVisitor {
            type Value = JsonValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(value) = seq.next_element::<String>()? {
                    values.push((value, None));
                }
                Ok(JsonValues(values))
            }
        }
        deserializer.deserialize_seq(ValuesVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for JsonClient<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ClientVisitor;
        impl<'de> serde::de::Visitor<'de> for ClientVisitor {
            type Value = JsonClient<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a client's attributes")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::Error;
                let mut attrs = AttrMap::new();
                let mut first = true;
                while let Some(JsonKey(key)) = map.next_key::<JsonKey<'de>>()? {
                    if first && key == "attrs" {
                        // REST wraps the map once; nothing may follow the wrapped map.
                        let inner: JsonClient<'de> = map.next_value()?;
                        if map.next_key::<JsonKey<'de>>()?.is_some() {
                            return Err(A::Error::custom("`attrs` beside other keys"));
                        }
                        return Ok(inner);
                    }
                    first = false;
                    if !is_attribute_name(&key) {
                        return Err(A::Error::custom("not an attribute name"));
                    }
                    let JsonValues(values) = map.next_value()?;
                    if attrs.insert(key, values).is_some() {
                        return Err(A::Error::custom("an attribute appears twice"));
                    }
                }
                Ok(JsonClient(attrs))
            }
        }
        deserializer.deserialize_map(ClientVisitor)
    }
}

/// The value of a single-valued attribute; a second value is an error.
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
fn from_attrs(
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

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSES: [&str; 9] = [
        "account",
        "key_object",
        "key_object_internal",
        "key_object_jwe_a128gcm",
        "key_object_jwt_es256",
        "memberof",
        "oauth2_resource_server",
        "oauth2_resource_server_basic",
        "object",
    ];

    fn fixture(name: &str) -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kanidm");
        std::fs::read_to_string(format!("{dir}/{name}")).unwrap()
    }

    fn cli(name: &str) -> String {
        fixture(&format!("cli/{name}.stdout"))
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn scopes(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    /// The netbox client right after `create` (fixture 03).
    fn netbox_created() -> OAuthClientState {
        OAuthClientState {
            name: "netbox".into(),
            display_name: Some("NetBox".into()),
            redirect_urls: vec![],
            landing_url: Some("https://netbox.example.com/".into()),
            scope_maps: BTreeMap::new(),
            sup_scope_maps: BTreeMap::new(),
            claim_maps: vec![],
            pkce_disabled: false,
            legacy_crypto: false,
            prefer_short_username: false,
            consent_prompt: true,
            strict_redirect: true,
            basic_secret_present: true,
            uuid: Some("f664bdf1-ce06-4ed8-a39f-1b35ced1a774".into()),
            spn: Some("netbox@localhost".into()),
            classes: strings(&CLASSES),
            other: BTreeMap::from([(
                "key_internal_data".to_string(),
                strings(&[
                    "371b019fc66c: valid jws_es256 0",
                    "f1c3422006cf: valid jwe_a128gcm 0",
                ]),
            )]),
        }
    }

    fn netbox_05() -> OAuthClientState {
        OAuthClientState {
            redirect_urls: strings(&["https://netbox.example.com/oauth/complete/oidc/"]),
            ..netbox_created()
        }
    }

    fn netbox_07() -> OAuthClientState {
        OAuthClientState {
            pkce_disabled: true,
            ..netbox_05()
        }
    }

    fn netbox_09() -> OAuthClientState {
        OAuthClientState {
            prefer_short_username: true,
            ..netbox_07()
        }
    }

    fn netbox_17() -> OAuthClientState {
        OAuthClientState {
            consent_prompt: false,
            scope_maps: BTreeMap::from([(
                "netbox_users@localhost".to_string(),
                scopes(&["email", "openid", "profile"]),
            )]),
            ..netbox_09()
        }
    }

    fn strict_23() -> OAuthClientState {
        OAuthClientState {
            name: "strict".into(),
            display_name: Some("Strict PKCE".into()),
            redirect_urls: strings(&["https://strict.example.com/oauth/complete/oidc/"]),
            landing_url: Some("https://strict.example.com/".into()),
            scope_maps: BTreeMap::from([(
                "netbox_users@localhost".to_string(),
                scopes(&["email", "openid", "profile"]),
            )]),
            sup_scope_maps: BTreeMap::new(),
            claim_maps: vec![],
            pkce_disabled: false,
            legacy_crypto: false,
            prefer_short_username: false,
            consent_prompt: true,
            strict_redirect: true,
            basic_secret_present: true,
            uuid: Some("0e6aad33-14b5-400b-96bb-66b60081a2cc".into()),
            spn: Some("strict@localhost".into()),
            classes: strings(&CLASSES),
            other: BTreeMap::from([(
                "key_internal_data".to_string(),
                strings(&[
                    "4fd0ea497c50: valid jwe_a128gcm 0",
                    "67e15e1a4f86: valid jws_es256 0",
                ]),
            )]),
        }
    }

    #[test]
    fn fixture_03_after_create() {
        let state = parse_get_text(&cli("03-oauth2-get-after-create")).unwrap();
        assert_eq!(state, Some(netbox_created()));
    }

    #[test]
    fn fixture_05_text_and_json_agree() {
        let text = parse_get_text(&cli("05-oauth2-get-before-pkce-shortname")).unwrap();
        let json = parse_get_json(&cli("05j-oauth2-get-before-pkce-shortname-json")).unwrap();
        assert_eq!(text, Some(netbox_05()));
        assert_eq!(json, text);
    }

    #[test]
    fn fixture_07_pkce_disabled() {
        let state = parse_get_text(&cli("07-oauth2-get-after-disable-pkce")).unwrap();
        assert_eq!(state, Some(netbox_07()));
    }

    #[test]
    fn fixture_09_text_and_json_agree() {
        let text = parse_get_text(&cli("09-oauth2-get-after-pkce-shortname")).unwrap();
        let json = parse_get_json(&cli("09j-oauth2-get-after-pkce-shortname-json")).unwrap();
        assert_eq!(text, Some(netbox_09()));
        assert_eq!(json, text);
    }

    #[test]
    fn fixture_17_text_and_json_agree() {
        let text = parse_get_text(&cli("17-oauth2-get-final")).unwrap();
        let json = parse_get_json(&cli("17j-oauth2-get-final-json")).unwrap();
        assert_eq!(text, Some(netbox_17()));
        assert_eq!(json, text);
        assert_eq!(text.unwrap().domain(), Some("localhost"));
    }

    #[test]
    fn fixture_18_list_text_and_json_agree() {
        let text = parse_list_text(&cli("18-oauth2-list")).unwrap();
        let json = parse_list_json(&cli("18j-oauth2-list-json")).unwrap();
        assert_eq!(text, vec![netbox_17()]);
        assert_eq!(json, text);
    }

    #[test]
    fn fixture_23_strict_client() {
        let state = parse_get_text(&cli("23-strict-get")).unwrap();
        assert_eq!(state, Some(strict_23()));
    }

    #[test]
    fn fixture_01_empty_list() {
        assert_eq!(
            parse_list_text(&cli("01-oauth2-list-empty")).unwrap(),
            vec![]
        );
        let err = parse_list_text("---\nname: a\n---\nclass: x\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: the client has no `name` attribute"
        );
    }

    #[test]
    fn missing_client_is_none() {
        assert_eq!(
            parse_get_text(&cli("30-oauth2-get-nonexistent")).unwrap(),
            None
        );
        assert_eq!(
            parse_get_text(&cli("85-oauth2-get-netbox-as-admin")).unwrap(),
            None
        );
        assert_eq!(parse_list_text("No matching entries\n").unwrap(), vec![]);
        assert_eq!(
            parse_get_json(&fixture("http/rest-v1-oauth2-doesnotexist.body")).unwrap(),
            None
        );
        assert_eq!(parse_list_json("null").unwrap(), vec![]);
    }

    #[test]
    fn rest_api_shapes() {
        assert_eq!(
            parse_get_json(&fixture("http/rest-v1-oauth2-netbox.json")).unwrap(),
            Some(netbox_17())
        );
        assert_eq!(
            parse_list_json(&fixture("http/rest-v1-oauth2-list.json")).unwrap(),
            vec![netbox_17()]
        );
    }

    #[test]
    fn two_clients_listed_in_order() {
        let text = format!("{}{}", cli("17-oauth2-get-final"), cli("23-strict-get"));
        assert_eq!(
            parse_list_text(&text).unwrap(),
            vec![netbox_17(), strict_23()]
        );
        let err = parse_get_text(&text).unwrap_err();
        assert!(err.message.contains("found 2 `---` blocks"), "{err}");
    }

    #[test]
    fn other_attributes_are_kept_and_crlf_is_accepted() {
        let text = "---\r\nname: app\r\noauth2_allow_localhost_redirect: true\r\n\
                    oauth2_rs_claim_map: groups:netbox_users@localhost:\",\":\"admin\"\r\n\
                    oauth2_rs_sup_scope_map: admins@localhost: {\"groups\"}\r\n\
                    oauth2_jwt_legacy_crypto_enable: true\r\n\
                    oauth2_rs_scope_map: empty@localhost: {}\r\n\
                    oauth2_refresh_token_expiry: 3600\r\n";
        let state = parse_get_text(text).unwrap().unwrap();
        assert_eq!(state.name, "app");
        assert!(state.legacy_crypto);
        assert!(!state.strict_redirect);
        assert!(state.consent_prompt);
        assert!(!state.basic_secret_present);
        assert_eq!(
            state.claim_maps,
            strings(&["groups:netbox_users@localhost:\",\":\"admin\""])
        );
        assert_eq!(
            state.sup_scope_maps,
            BTreeMap::from([("admins@localhost".to_string(), scopes(&["groups"]))])
        );
        assert_eq!(
            state.scope_maps,
            BTreeMap::from([("empty@localhost".to_string(), BTreeSet::new())])
        );
        assert_eq!(
            state.other,
            BTreeMap::from([
                (
                    "oauth2_allow_localhost_redirect".to_string(),
                    strings(&["true"])
                ),
                (
                    "oauth2_refresh_token_expiry".to_string(),
                    strings(&["3600"])
                ),
            ])
        );
    }

    #[test]
    fn secret_value_is_never_kept() {
        let state = parse_get_text("---\nname: x\noauth2_rs_basic_secret: s3cr3t-value\n")
            .unwrap()
            .unwrap();
        assert!(state.basic_secret_present);
        assert!(!format!("{state:?}").contains("s3cr3t"));
    }

    #[test]
    fn errors_name_the_line() {
        let cases: [(&str, &str); 11] = [
            (
                "---\nname: a\noauth2_rs_scope_map: nomap\n",
                "line 3: `oauth2_rs_scope_map` should be `group@domain: {\"scope\", …}`, found \"nomap\"",
            ),
            ("", "the output is empty"),
            ("name: netbox\n", "line 1: expected `---`"),
            (
                "---\nname: netbox\ngarbage\n",
                "line 3: expected `attribute: value`, found \"garbage\"",
            ),
            (
                "---\nName: netbox\n",
                "line 2: \"Name\" is not a Kanidm attribute name",
            ),
            (
                "---\ndisplayname: a\n",
                "line 1: the client has no `name` attribute",
            ),
            (
                "---\nname: a\n\n---\n",
                "expected one client, found 2 `---` blocks",
            ),
            ("---\nname: a\nname: b\n", "line 3: `name` appears 2 times"),
            (
                "---\nname: a\noauth2_strict_redirect_uri: yes\n",
                "line 3: `oauth2_strict_redirect_uri` must be `true` or `false`, found \"yes\"",
            ),
            (
                "---\nname: a\noauth2_rs_scope_map: g@d: {\"openid\"\n",
                "line 3: `oauth2_rs_scope_map` for g@d: expected `{\"scope\", …}`, found",
            ),
            (
                "---\nname: a\noauth2_rs_scope_map: g@d: {\"openid}\n",
                "line 3: `oauth2_rs_scope_map` for g@d: a scope's closing `\"` is missing",
            ),
        ];
        for (input, expected) in cases {
            let err = parse_get_text(input).unwrap_err().to_string();
            assert!(
                err.starts_with(expected) || err.contains(expected),
                "{input:?}: {err}"
            );
        }
    }

    #[test]
    fn json_errors() {
        let cases: [(&str, &str); 6] = [
            ("", "not valid JSON"),
            ("{\"attrs\":", "line 1: not valid JSON"),
            ("[1]", "the client is not a JSON object"),
            (
                "{\"attrs\":{\"name\":\"netbox\"}}",
                "attribute `name` is not a list of strings",
            ),
            (
                "{\"attrs\":{\"name\":[1]}}",
                "holds a value that is not a string",
            ),
            (
                "{\"attrs\":{\"class\":[\"x\"]}}",
                "the client: the client has no `name` attribute",
            ),
        ];
        for (input, expected) in cases {
            let err = parse_get_json(input).unwrap_err().to_string();
            assert!(err.contains(expected), "{input:?}: {err}");
        }
        let err = parse_list_json("[{\"name\":[\"a\"]},{\"name\":[\"b\",\"c\"]}]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "client 2: `name` appears 2 times, but a client has only one"
        );
        assert!(
            parse_list_json("{}")
                .unwrap_err()
                .to_string()
                .contains("array")
        );
    }

    #[test]
    fn huge_and_odd_inputs_do_not_panic() {
        let huge = "x".repeat(MAX_INPUT_BYTES + 1);
        assert!(parse_get_text(&huge).unwrap_err().message.contains("bytes"));
        assert!(parse_get_json(&huge).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse_list_json(&deep).is_err());
        assert!(parse_get_text("---\n\u{0}: \u{fffd}\n").is_err());
        let truncated = &cli("17-oauth2-get-final")[..200];
        let _ = parse_get_text(truncated);
    }
}
