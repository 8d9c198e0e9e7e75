//! A docker compose env file (`env/netbox.env`): `KEY=VALUE` lines, `#` comments, optional quotes.

use crate::pyconf::is_secret_name;
use crate::secret::Secret;
use std::ops::Range;

/// One `KEY=VALUE` line.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvEntry {
    pub key: String,
    /// The value as the container sees it (quotes removed). Secret keys hold it redacted.
    pub value: EnvValue,
    /// 1-based line.
    pub line: usize,
    /// Byte range of the value as written (quotes included), for splicing.
    pub value_span: Range<usize>,
    /// Byte range of the whole line, newline included.
    pub line_span: Range<usize>,
    /// The quote the value was written with, if any.
    pub quote: Option<char>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
    Plain(String),
    Secret(Secret),
}

impl EnvValue {
    pub fn expose(&self) -> &str {
        match self {
            Self::Plain(v) => v,
            Self::Secret(s) => s.expose(),
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, Self::Secret(_))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvFile {
    pub entries: Vec<EnvEntry>,
}

impl EnvFile {
    pub fn parse(text: &str) -> Self {
        let mut entries = Vec::new();
        let mut offset = 0;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let line_span = offset..offset + raw.len();
            let start = offset;
            offset += raw.len();
            let content = raw.trim_end_matches(['\n', '\r']);
            let trimmed = content.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let lead = content.len() - trimmed.len();
            let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
            let body_start = start + lead + (trimmed.len() - body.len());
            let Some(eq) = body.find('=') else { continue };
            let key = body[..eq].trim().to_string();
            if key.is_empty() || key.contains(char::is_whitespace) {
                continue;
            }
            let raw_value = &body[eq + 1..];
            let value_start = body_start + eq + 1;
            let (value, quote, len) = unquote(raw_value);
            let value = if is_secret_name(&key) {
                EnvValue::Secret(Secret::new(value))
            } else {
                EnvValue::Plain(value)
            };
            entries.push(EnvEntry {
                key,
                value,
                line: index + 1,
                value_span: value_start..value_start + len,
                line_span,
                quote,
            });
        }
        Self { entries }
    }

    /// The last entry for `key` (compose takes the last one).
    pub fn get(&self, key: &str) -> Option<&EnvEntry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// Byte ranges of lines holding secrets.
    pub fn secret_spans(&self) -> Vec<Range<usize>> {
        self.entries
            .iter()
            .filter(|e| e.value.is_secret())
            .map(|e| e.line_span.clone())
            .collect()
    }

    pub fn secret_values(&self) -> Vec<Secret> {
        self.entries
            .iter()
            .filter_map(|e| match &e.value {
                EnvValue::Secret(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
}

/// `"a b"` / `'a b'` / `a b # not a comment in compose`: the value, its quote, and the written length.
fn unquote(raw: &str) -> (String, Option<char>, usize) {
    let written = raw.trim_end_matches(['\n', '\r']);
    for q in ['"', '\''] {
        if let Some(rest) = written.strip_prefix(q)
            && let Some(end) = rest.find(q)
        {
            return (rest[..end].to_string(), Some(q), end + 2);
        }
    }
    (written.to_string(), None, written.len())
}

/// A value as the env file should hold it, in the quote style the line had.
pub fn quote_env(value: &str, quote: Option<char>) -> String {
    match quote {
        Some(q) => format!("{q}{value}{q}"),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_lines_and_secrets() {
        let text = "# netbox-docker\nDB_PASSWORD=canary-env-db\r\nREMOTE_AUTH_BACKEND=social_core.backends.keycloak.KeycloakOAuth2 netbox.authentication.RemoteUserBackend\nexport OIDC_ENDPOINT=\"https://auth.example.com/application/o/netbox/\"\n";
        let env = EnvFile::parse(text);
        assert_eq!(env.entries.len(), 3);
        let backend = env.get("REMOTE_AUTH_BACKEND").unwrap();
        assert_eq!(backend.line, 3);
        assert!(backend.value.expose().contains(' '));
        let endpoint = env.get("OIDC_ENDPOINT").unwrap();
        assert_eq!(
            endpoint.value.expose(),
            "https://auth.example.com/application/o/netbox/"
        );
        assert_eq!(endpoint.quote, Some('"'));
        assert_eq!(
            &text[endpoint.value_span.clone()],
            "\"https://auth.example.com/application/o/netbox/\""
        );
        assert!(!format!("{env:?}").contains("canary"));
        assert_eq!(
            &text[env.secret_spans()[0].clone()],
            "DB_PASSWORD=canary-env-db\r\n"
        );
    }
}
