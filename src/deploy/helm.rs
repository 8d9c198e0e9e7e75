//! netbox-community/netbox-chart values (YAML 1.2, read with saphyr for its source positions):
//! `remoteAuth.backends`, `logoutRedirectUrl`, and the settings under `extraConfig[].values`.

use crate::pyconf::{Value, is_secret_name, is_tracked};
use crate::secret::Secret;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::ops::Range;

/// One setting found in the values, with the lines it occupies.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmSetting {
    /// The NetBox setting it becomes (`REMOTE_AUTH_BACKEND` for `remoteAuth.backends`).
    pub name: String,
    /// The YAML path, e.g. `extraConfig[0].values.SOCIAL_AUTH_OIDC_KEY`.
    pub yaml_path: String,
    pub value: Value,
    /// 1-based line of the key.
    pub line: usize,
    /// Byte range of whole lines from the key to the end of the value (newline included).
    pub lines: Range<usize>,
    /// Indentation of the key, in spaces.
    pub indent: usize,
}

#[derive(Debug, Clone, Default)]
pub struct HelmValues {
    pub settings: Vec<HelmSetting>,
    /// The `extraConfig[i].values` mapping that holds single sign-on settings (or the first one):
    /// its index, the byte offset after its last line, and its keys' indentation.
    pub values_block: Option<(usize, usize, usize)>,
    pub secret_spans: Vec<Range<usize>>,
    pub secret_values: Vec<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Byte offsets of line starts, for saphyr's (line, character column) markers.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    /// The byte range of lines `first..=last` (1-based), newline included.
    fn span(&self, first: usize, last: usize) -> Range<usize> {
        let start = self
            .starts
            .get(first.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let end = self.starts.get(last).copied().unwrap_or(self.text.len());
        start..end
    }

    fn indent(&self, line: usize) -> usize {
        let span = self.span(line, line);
        self.text
            .get(span)
            .map_or(0, |l| l.len() - l.trim_start_matches(' ').len())
    }

    /// The last line of a node that starts on `line` at `indent`: following lines that are
    /// blank, comments, or indented deeper belong to it.
    fn node_end(&self, line: usize, indent: usize) -> usize {
        let mut last = line;
        let total = self.starts.len();
        let key_is_item = self
            .text
            .get(self.span(line, line))
            .is_some_and(|l| l.trim_start().starts_with("- "));
        let mut next = line + 1;
        while next <= total {
            let span = self.span(next, next);
            let text = self.text.get(span).unwrap_or_default();
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                next += 1;
                continue;
            }
            let own = text.len() - text.trim_start_matches(' ').len();
            // A block sequence may sit at its key's own indentation (`key:` then `- item`).
            if own > indent || (own == indent && trimmed.starts_with("- ") && !key_is_item) {
                last = next;
                next += 1;
            } else {
                break;
            }
        }
        last
    }
}

fn to_value(node: &MarkedYaml<'_>) -> Value {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Value::str(s.as_ref()),
        YamlData::Value(Scalar::Integer(i)) => Value::Int { value: *i },
        YamlData::Value(Scalar::Boolean(b)) => Value::Bool { value: *b },
        YamlData::Value(Scalar::Null) => Value::None,
        YamlData::Value(Scalar::FloatingPoint(f)) => Value::Computed {
            text: f.to_string(),
        },
        YamlData::Sequence(items) => Value::List {
            items: items.iter().map(to_value).collect(),
            tuple: false,
        },
        YamlData::Mapping(map) => Value::Dict {
            items: map
                .iter()
                .map(|(k, v)| (to_value(k), to_value(v)))
                .collect(),
        },
        YamlData::Tagged(_, inner) => to_value(inner),
        _ => Value::Computed {
            text: "(YAML node)".into(),
        },
    }
}

fn get<'a, 'b>(
    node: &'a MarkedYaml<'b>,
    key: &str,
) -> Option<(&'a MarkedYaml<'b>, &'a MarkedYaml<'b>)> {
    match &node.data {
        YamlData::Mapping(map) => map
            .iter()
            .find(|(k, _)| matches!(&k.data, YamlData::Value(Scalar::String(s)) if s == key)),
        _ => None,
    }
}

impl HelmValues {
    pub fn parse(text: &str) -> Result<Self, YamlError> {
        let docs = MarkedYaml::load_from_str(text).map_err(|e| YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let lines = Lines::new(text);
        let mut out = Self::default();
        for doc in &docs {
            out.document(doc, &lines);
        }
        Ok(out)
    }

    fn push(
        &mut self,
        lines: &Lines<'_>,
        name: &str,
        yaml_path: String,
        key: &MarkedYaml<'_>,
        value: &MarkedYaml<'_>,
    ) {
        let line = key.span.start.line();
        let indent = lines.indent(line);
        let last = lines.node_end(line, indent);
        let span = lines.span(line, last);
        let mut value = to_value(value);
        if is_secret_name(name) {
            self.secret_spans.push(span.clone());
            if let Some(s) = value.as_str() {
                self.secret_values.push(Secret::new(s));
            }
            value = value.redacted();
        }
        self.settings.push(HelmSetting {
            name: name.to_string(),
            yaml_path,
            value,
            line,
            lines: span,
            indent,
        });
    }

    fn document(&mut self, doc: &MarkedYaml<'_>, lines: &Lines<'_>) {
        if let Some((_, remote)) = get(doc, "remoteAuth")
            && let Some((key, backends)) = get(remote, "backends")
        {
            self.push(
                lines,
                "REMOTE_AUTH_BACKEND",
                "remoteAuth.backends".into(),
                key,
                backends,
            );
        }
        if let Some((key, url)) = get(doc, "logoutRedirectUrl") {
            self.push(
                lines,
                "LOGOUT_REDIRECT_URL",
                "logoutRedirectUrl".into(),
                key,
                url,
            );
        }
        if let Some((_, YamlData::Sequence(entries))) =
            get(doc, "extraConfig").map(|(k, v)| (k, &v.data))
        {
            for (index, entry) in entries.iter().enumerate() {
                let Some((_, values)) = get(entry, "values") else {
                    continue;
                };
                let YamlData::Mapping(map) = &values.data else {
                    continue;
                };
                let mut holds_sso = false;
                let mut end = 0;
                let mut indent = 0;
                for (key, value) in map {
                    let YamlData::Value(Scalar::String(name)) = &key.data else {
                        continue;
                    };
                    let line = key.span.start.line();
                    indent = lines.indent(line);
                    end = lines.span(line, lines.node_end(line, indent)).end;
                    if is_tracked(name) {
                        holds_sso = true;
                        let path = format!("extraConfig[{index}].values.{name}");
                        self.push(lines, name, path, key, value);
                    } else if is_secret_name(name) {
                        self.secret_spans
                            .push(lines.span(line, lines.node_end(line, indent)));
                    }
                }
                if end > 0 && (holds_sso || self.values_block.is_none()) {
                    self.values_block = Some((index, end, indent));
                }
            }
        }
        // A Secret or ConfigMap manifest whose data holds `*.yaml` files of settings.
        for field in ["stringData", "data"] {
            if let Some((_, YamlData::Mapping(files))) = get(doc, field).map(|(k, v)| (k, &v.data))
            {
                for (key, content) in files {
                    if let YamlData::Value(Scalar::String(inner)) = &content.data
                        && let Ok(nested) = MarkedYaml::load_from_str(inner)
                    {
                        let line = key.span.start.line();
                        for inner_doc in &nested {
                            let YamlData::Mapping(map) = &inner_doc.data else {
                                continue;
                            };
                            for (k, v) in map {
                                let YamlData::Value(Scalar::String(name)) = &k.data else {
                                    continue;
                                };
                                if is_tracked(name) || is_secret_name(name) {
                                    let path = format!("{field}.{}.{name}", display_key(key));
                                    self.push(lines, name, path, key, v);
                                    if let Some(last) = self.settings.last_mut() {
                                        last.line = line;
                                    }
                                    if !is_tracked(name) {
                                        self.settings.pop();
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn display_key(node: &MarkedYaml<'_>) -> String {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => s.to_string(),
        _ => "?".into(),
    }
}

/// A YAML flow scalar for a value nbsso writes: always double-quoted, with escapes.
pub fn yaml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_backends_and_extra_config_values() {
        let text = "\
superuser:
  name: admin
remoteAuth:
  enabled: true
  backends:
    - social_core.backends.open_id_connect.OpenIdConnectAuth  # Authentik
logoutRedirectUrl: https://auth.example.com/application/o/netbox/end-session/
extraConfig:
  - values:
      SOCIAL_AUTH_OIDC_OIDC_ENDPOINT: https://auth.example.com/application/o/netbox/
      SOCIAL_AUTH_OIDC_KEY: netbox
      SOCIAL_AUTH_OIDC_SECRET: canary-helm-secret
      SOCIAL_AUTH_OIDC_SCOPE:
        - openid
        - roles
";
        let h = HelmValues::parse(text).unwrap();
        let names: Vec<&str> = h.settings.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "REMOTE_AUTH_BACKEND",
                "LOGOUT_REDIRECT_URL",
                "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT",
                "SOCIAL_AUTH_OIDC_KEY",
                "SOCIAL_AUTH_OIDC_SECRET",
                "SOCIAL_AUTH_OIDC_SCOPE"
            ]
        );
        let backends = &h.settings[0];
        assert_eq!(backends.line, 5);
        assert_eq!(
            &text[backends.lines.clone()],
            "  backends:\n    - social_core.backends.open_id_connect.OpenIdConnectAuth  # Authentik\n"
        );
        let scope = &h.settings[5];
        assert_eq!(scope.value.as_str_list().unwrap(), ["openid", "roles"]);
        assert!(text[scope.lines.clone()].ends_with("- roles\n"));
        assert_eq!(
            h.values_block.map(|b| (b.0, b.1, b.2)),
            Some((0, text.len(), 6))
        );
        assert!(!format!("{h:?}").contains("canary"));
        assert!(HelmValues::parse("a: [1,\n").is_err());
    }
}
