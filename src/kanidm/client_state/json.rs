//! `kanidm system oauth2 get/list -o json` and the REST answers (`GET /v1/oauth2[/<name>]`).

use super::model::{
    AttrMap, MAX_INPUT_BYTES, OAuthClientState, ParseError, Values, check_size, excerpt,
    from_attrs, is_attribute_name,
};
use std::borrow::Cow;
use std::fmt;

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
