//! The bearer token for Kanidm's REST API: `KANIDM_TOKEN`, or the kanidm CLI's own token cache
//! (`~/.cache/kanidm_tokens`, `{"instances": {"<instance>": {"tokens": {"<spn>": "<token>"}}}}`).

use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Cache {
    #[serde(default)]
    instances: BTreeMap<String, Instance>,
}

#[derive(Debug, Deserialize)]
struct Instance {
    #[serde(default)]
    tokens: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "the kanidm token cache is not valid JSON ({0}); log in again with `kanidm login --name idm_admin`"
    )]
    Invalid(String),
    #[error("no kanidm login is cached{for_instance}: run `kanidm login --name idm_admin` first")]
    NoToken { for_instance: String },
    #[error(
        "no cached kanidm login for {name}{for_instance} (cached: {cached}): run `kanidm login --name {name}`"
    )]
    NoSuchAccount {
        name: String,
        for_instance: String,
        cached: String,
    },
    #[error(
        "several kanidm logins are cached ({0}): say which with --name (for example --name idm_admin)"
    )]
    Ambiguous(String),
}

/// Picks the token of `name` (a name or an SPN) from the cache, or the only one cached.
/// Returns the account's SPN and the token.
pub fn select_token(
    cache_json: &str,
    instance: &str,
    name: Option<&str>,
) -> Result<(String, Secret), TokenError> {
    let cache: Cache =
        serde_json::from_str(cache_json).map_err(|e| TokenError::Invalid(e.to_string()))?;
    let for_instance = if instance.is_empty() {
        String::new()
    } else {
        format!(" for instance {instance}")
    };
    let tokens = cache
        .instances
        .get(instance)
        .map(|i| &i.tokens)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| TokenError::NoToken {
            for_instance: for_instance.clone(),
        })?;
    let cached = || tokens.keys().cloned().collect::<Vec<_>>().join(", ");
    match name {
        Some(name) => tokens
            .iter()
            .find(|(spn, _)| spn.as_str() == name || spn.split('@').next() == Some(name))
            .map(|(spn, token)| (spn.clone(), Secret::new(token.clone())))
            .ok_or_else(|| TokenError::NoSuchAccount {
                name: name.to_string(),
                for_instance,
                cached: cached(),
            }),
        None if tokens.len() == 1 => tokens
            .iter()
            .next()
            .map(|(spn, token)| (spn.clone(), Secret::new(token.clone())))
            .ok_or(TokenError::NoToken { for_instance }),
        None => Err(TokenError::Ambiguous(cached())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CACHE: &str = include_str!("../../tests/fixtures/kanidm/cli/token-cache.redacted.json");

    #[test]
    fn reads_the_cli_cache() {
        let (spn, token) = select_token(CACHE, "", None).unwrap();
        assert_eq!(spn, "idm_admin@localhost");
        assert_eq!(token.expose(), "REDACTED-idm_admin-user-auth-token");
        assert_eq!(
            select_token(CACHE, "", Some("idm_admin")).unwrap().0,
            "idm_admin@localhost"
        );
        assert_eq!(
            select_token(CACHE, "", Some("admin"))
                .unwrap_err()
                .to_string(),
            "no cached kanidm login for admin (cached: idm_admin@localhost): run `kanidm login --name admin`"
        );
        assert!(matches!(
            select_token(CACHE, "other", None),
            Err(TokenError::NoToken { .. })
        ));
        assert!(matches!(
            select_token("{", "", None),
            Err(TokenError::Invalid(_))
        ));
        let two =
            r#"{"instances":{"":{"tokens":{"idm_admin@localhost":"a","admin@localhost":"b"}}}}"#;
        assert!(
            select_token(two, "", None)
                .unwrap_err()
                .to_string()
                .contains("--name")
        );
    }
}
