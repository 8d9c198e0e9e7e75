//! Kanidm persons, from `kanidm person list -o json` (a JSON array of attribute maps, no wrapper),
//! `kanidm person get NAME -o json` (`{"attrs": {...}}`), or the REST API `GET /v1/person`
//! (`[{"attrs": {...}}]`). Every attribute value is a list of strings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Kanidm's REST endpoint that lists every person.
pub const PERSONS_PATH: &str = "/v1/person";

/// Who may read persons' e-mail in Kanidm (the REST API leaves `mail` out for others).
pub const WHO_CAN_SEE_PERSONS: &str = "reading persons needs an account in idm_people_admins or \
    idm_people_pii_read (such as idm_admin); without mail access matching by e-mail finds nothing";

/// What matching needs of a Kanidm person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KanidmPerson {
    /// The short name (lower case in Kanidm).
    pub name: String,
    /// Lower-case, hyphenated: the OIDC `sub` Kanidm sends.
    pub uuid: String,
    /// `name@domain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spn: Option<String>,
    /// Every address, the primary (the one in the `email` claim) first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mail: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub displayname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonsError {
    #[error(
        "this is the text output of kanidm; save it with -o json: `kanidm person list --name idm_admin -o json > persons.json`"
    )]
    Text,
    #[error("not the JSON kanidm prints for persons ({0})")]
    Json(String),
    #[error("entry {index} is not a person: it has no {missing}")]
    Incomplete { index: usize, missing: &'static str },
    #[error(
        "entry {index} ({name}) has the uuid {uuid:?}, which is not a Kanidm UUID (8-4-4-4-12 hex digits)"
    )]
    BadUuid {
        index: usize,
        name: String,
        uuid: String,
    },
}

/// Reads persons from any of the CLI's or the API's JSON forms. `No matching entries` (what
/// `person get` prints for a missing person) and `null` are no persons.
pub fn parse_persons(text: &str) -> Result<Vec<KanidmPerson>, PersonsError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() || trimmed == "No matching entries" || trimmed == "null" {
        return Ok(Vec::new());
    }
    if !trimmed.starts_with('[') && !trimmed.starts_with('{') {
        return Err(PersonsError::Text);
    }
    let value: Value =
        serde_json::from_str(trimmed).map_err(|e| PersonsError::Json(e.to_string()))?;
    let entries = match value {
        Value::Array(entries) => entries,
        one @ Value::Object(_) => vec![one],
        _ => return Err(PersonsError::Json("expected a list of entries".into())),
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| person(index, entry))
        .collect()
}

fn person(index: usize, entry: &Value) -> Result<KanidmPerson, PersonsError> {
    let map = entry
        .as_object()
        .ok_or_else(|| PersonsError::Json(format!("entry {index} is not an object")))?;
    // The REST API and `person get` wrap the attributes; `person list -o json` does not.
    let attrs = match map.get("attrs").and_then(Value::as_object) {
        Some(attrs) => attrs,
        None => map,
    };
    let first = |key: &str| values(attrs, key).into_iter().next();
    let name = first("name").ok_or(PersonsError::Incomplete {
        index,
        missing: "name",
    })?;
    let uuid = first("uuid")
        .ok_or(PersonsError::Incomplete {
            index,
            missing: "uuid",
        })?
        .to_ascii_lowercase();
    if !is_uuid(&uuid) {
        return Err(PersonsError::BadUuid { index, name, uuid });
    }
    Ok(KanidmPerson {
        name,
        uuid,
        spn: first("spn"),
        mail: values(attrs, "mail"),
        displayname: first("displayname"),
    })
}

fn values(attrs: &Map<String, Value>, key: &str) -> Vec<String> {
    match attrs.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// `8-4-4-4-12` hex digits.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLI: &str = r#"[{"class":["account","memberof","object","person"],"displayname":["Alice Liddell"],"mail":["alice@example.com","a.liddell@example.org"],"memberof":["netbox_users@idm.example.com"],"name":["alice"],"spn":["alice@idm.example.com"],"uuid":["0b3c5e1a-6f27-4d0e-9a43-0c5f1d2e3b4a"]}]"#;

    #[test]
    fn reads_the_cli_list_and_the_rest_api() {
        let cli = parse_persons(CLI).unwrap();
        assert_eq!(cli[0].name, "alice");
        assert_eq!(cli[0].mail[0], "alice@example.com");
        assert_eq!(cli[0].spn.as_deref(), Some("alice@idm.example.com"));
        let rest = format!(
            "[{{\"attrs\":{}}}]",
            &CLI[1..CLI.len() - 1].replace("0b3c5e1a", "0B3C5E1A")
        );
        assert_eq!(parse_persons(&rest).unwrap(), cli, "uuid lower-cased");
        let get = format!("{{\"attrs\":{}}}\n", &CLI[1..CLI.len() - 1]);
        assert_eq!(parse_persons(&get).unwrap(), cli);
        assert!(parse_persons("No matching entries\n").unwrap().is_empty());
        assert!(parse_persons("[]").unwrap().is_empty());
    }

    #[test]
    fn refuses_what_is_not_a_person_list() {
        assert_eq!(
            parse_persons("---\nname: alice\nuuid: 0b3c…\n"),
            Err(PersonsError::Text)
        );
        assert!(matches!(parse_persons("[{"), Err(PersonsError::Json(_))));
        assert_eq!(
            parse_persons(r#"[{"name":["bob"]}]"#),
            Err(PersonsError::Incomplete {
                index: 0,
                missing: "uuid"
            })
        );
        assert!(matches!(
            parse_persons(r#"[{"name":["bob"],"uuid":["not-a-uuid"]}]"#),
            Err(PersonsError::BadUuid { .. })
        ));
    }
}
