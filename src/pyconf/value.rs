//! What an assignment's right-hand side means, in nbsso's own terms (no parser types here).

use crate::secret::Secret;
use serde::Serialize;

/// How a value reaches NetBox: written in the file, or read from somewhere else when NetBox starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Value {
    Str {
        value: String,
    },
    Int {
        value: i64,
    },
    Bool {
        value: bool,
    },
    None,
    /// A list or a tuple of values.
    List {
        items: Vec<Value>,
        tuple: bool,
    },
    Dict {
        items: Vec<(Value, Value)>,
    },
    /// `<base>.split(<sep>)`; a literal base gives a literal list.
    Split {
        base: Box<Value>,
        sep: Option<String>,
    },
    /// `environ.get('X', default)`, `os.getenv('X')`, `environ['X']`, `_environ_get_and_map('X', d, _AS_LIST)`.
    Env {
        var: String,
        default: Option<Box<Value>>,
        /// netbox-docker's `_AS_LIST`, `_AS_BOOL`, `_AS_INT` mapper, when one is applied.
        map: Option<String>,
    },
    /// netbox-docker's `_read_secret('name', default)`: the first line of `/run/secrets/<name>`.
    SecretFile {
        name: String,
        default: Option<Box<Value>>,
    },
    /// `json.loads(r'''...''')`, as Ansible's NetBox role renders lists and dicts.
    Json {
        value: Box<Value>,
    },
    /// A name bound by `import` or `from M import N`.
    Imported {
        module: String,
    },
    /// Anything else that is computed when NetBox starts; `text` is the source expression.
    Computed {
        text: String,
    },
    /// A literal string written in the file under a secret name: kept, never shown.
    Secret {
        value: Secret,
    },
}

/// Where a value comes from, for reports: the words users see in `nbsso import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Literal,
    Environment,
    SecretFile,
    Json,
    Import,
    Computed,
}

impl Value {
    pub fn str(value: impl Into<String>) -> Self {
        Self::Str {
            value: value.into(),
        }
    }

    /// The form of the whole value: the first non-literal part decides.
    pub fn form(&self) -> Form {
        match self {
            Self::Str { .. }
            | Self::Int { .. }
            | Self::Bool { .. }
            | Self::None
            | Self::Secret { .. } => Form::Literal,
            Self::List { items, .. } => Self::form_of(items.iter()),
            Self::Dict { items } => Self::form_of(items.iter().flat_map(|(k, v)| [k, v])),
            Self::Split { base, .. } => base.form(),
            Self::Env { .. } => Form::Environment,
            Self::SecretFile { .. } => Form::SecretFile,
            Self::Json { .. } => Form::Json,
            Self::Imported { .. } => Form::Import,
            Self::Computed { .. } => Form::Computed,
        }
    }

    fn form_of<'a>(items: impl Iterator<Item = &'a Value>) -> Form {
        items
            .map(Value::form)
            .find(|f| *f != Form::Literal)
            .unwrap_or(Form::Literal)
    }

    /// True when the value is not written in the file itself (environment, secret file, import, call).
    pub fn is_dynamic(&self) -> bool {
        !matches!(self.form(), Form::Literal | Form::Json)
    }

    /// The value as a string, when it is one (a literal, or JSON holding one).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str { value } => Some(value),
            Self::Json { value } => value.as_str(),
            _ => None,
        }
    }

    /// The strings of a list, a tuple, a single string (NetBox wraps a str in a list), a literal
    /// `'a b'.split(' ')`, or JSON holding one of these. `None` when any element is not a string.
    pub fn as_str_list(&self) -> Option<Vec<String>> {
        match self {
            Self::Str { value } => Some(vec![value.clone()]),
            Self::List { items, .. } => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect(),
            Self::Split { base, sep } => {
                let text = base.as_str()?;
                Some(split_like_python(text, sep.as_deref()))
            }
            Self::Json { value } => value.as_str_list(),
            _ => None,
        }
    }

    /// The entries of a literal dict with string keys.
    pub fn as_dict(&self) -> Option<Vec<(&str, &Value)>> {
        match self {
            Self::Dict { items } => items
                .iter()
                .map(|(k, v)| k.as_str().map(|k| (k, v)))
                .collect(),
            Self::Json { value } => value.as_dict(),
            _ => None,
        }
    }

    /// A short, single-line description for reports. Never used for secret settings.
    pub fn describe(&self) -> String {
        match self {
            Self::Str { value } => format!("{value:?}"),
            Self::Int { value } => value.to_string(),
            Self::Bool { value } => if *value { "True" } else { "False" }.into(),
            Self::None => "None".into(),
            Self::List { items, tuple } => {
                let inner: Vec<String> = items.iter().map(Value::describe).collect();
                if *tuple {
                    format!("({})", inner.join(", "))
                } else {
                    format!("[{}]", inner.join(", "))
                }
            }
            Self::Dict { items } => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.describe(), v.describe()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Self::Split { base, sep } => match self.as_str_list() {
                Some(list) => format!("{list:?}"),
                None => format!(
                    "{}.split({})",
                    base.describe(),
                    sep.as_deref().unwrap_or("")
                ),
            },
            Self::Env { var, default, map } => {
                let default = default
                    .as_ref()
                    .map(|d| format!(", default {}", d.describe()))
                    .unwrap_or_default();
                let map = map.as_ref().map(|m| format!(" as {m}")).unwrap_or_default();
                format!("environment variable {var}{default}{map}")
            }
            Self::SecretFile { name, .. } => format!("/run/secrets/{name}"),
            Self::Json { value } => value.describe(),
            Self::Imported { module } => format!("imported from {module}"),
            Self::Computed { text } => text.clone(),
            Self::Secret { .. } => "<redacted>".into(),
        }
    }

    /// The value as JSON (for Helm values and Ansible variables); what JSON cannot hold is null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Self::Str { value } => J::String(value.clone()),
            Self::Bool { value } => J::Bool(*value),
            Self::Int { value } => J::from(*value),
            Self::List { items, .. } => J::Array(items.iter().map(Self::to_json).collect()),
            Self::Dict { items } => J::Object(
                items
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json()))
                    .collect(),
            ),
            Self::Json { value } => value.to_json(),
            _ => J::Null,
        }
    }

    /// The same value with every literal string turned into a [`Secret`] (for secret settings).
    pub fn redacted(self) -> Self {
        match self {
            Self::Str { value } => Self::Secret {
                value: Secret::new(value),
            },
            Self::List { items, tuple } => Self::List {
                items: items.into_iter().map(Self::redacted).collect(),
                tuple,
            },
            Self::Dict { items } => Self::Dict {
                items: items.into_iter().map(|(k, v)| (k, v.redacted())).collect(),
            },
            Self::Json { value } => Self::Json {
                value: Box::new(value.redacted()),
            },
            Self::Env { var, default, map } => Self::Env {
                var,
                default: default.map(|d| Box::new(d.redacted())),
                map,
            },
            Self::SecretFile { name, default } => Self::SecretFile {
                name,
                default: default.map(|d| Box::new(d.redacted())),
            },
            Self::Split { base, sep } => Self::Split {
                base: Box::new(base.redacted()),
                sep,
            },
            other => other,
        }
    }
}

/// Python's `str.split(sep)` (with `None`: split on runs of whitespace, no empty items).
/// netbox-docker's `_AS_LIST` drops empty items too, so callers filter those where it applies.
pub fn split_like_python(text: &str, sep: Option<&str>) -> Vec<String> {
    match sep {
        Some(sep) if !sep.is_empty() => text.split(sep).map(str::to_string).collect(),
        _ => text.split_whitespace().map(str::to_string).collect(),
    }
}

/// The settings a configuration reader reports: those that decide single sign-on.
pub fn is_tracked(name: &str) -> bool {
    name.starts_with("REMOTE_AUTH_")
        || name.starts_with("SOCIAL_AUTH_")
        || matches!(
            name,
            "LOGOUT_REDIRECT_URL" | "LOGIN_REQUIRED" | "AUTHENTICATION_BACKENDS"
        )
}

/// Names whose values are secrets wherever they appear: settings, dict keys, environment variables.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("SECRET")
        || upper.ends_with("_SECRET_KEY")
        || upper == "SECRET_KEY"
        || upper.contains("PASSWORD")
        || upper.contains("PEPPER")
        || upper.ends_with("TOKEN")
        || upper.contains("PRIVATE_KEY")
        || upper.contains("SECRET_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_lists_and_forms() {
        let v = Value::Split {
            base: Box::new(Value::str("openid profile email roles")),
            sep: Some(" ".into()),
        };
        assert_eq!(v.form(), Form::Literal);
        assert_eq!(
            v.as_str_list().unwrap(),
            ["openid", "profile", "email", "roles"]
        );
        let env = Value::Env {
            var: "X".into(),
            default: None,
            map: None,
        };
        let list = Value::List {
            items: vec![Value::str("a"), env],
            tuple: false,
        };
        assert!(list.is_dynamic());
        assert_eq!(list.as_str_list(), None);
    }

    #[test]
    fn secret_names() {
        for name in [
            "SOCIAL_AUTH_KEYCLOAK_SECRET",
            "SOCIAL_AUTH_OIDC_SECRET",
            "SECRET_KEY",
            "DB_PASSWORD",
            "API_TOKEN_PEPPERS",
            "SUPERUSER_API_TOKEN",
            "REDIS_CACHE_PASSWORD",
            "SECRET_KEY_FILE",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "SOCIAL_AUTH_KEYCLOAK_KEY",
            "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT",
            "REMOTE_AUTH_BACKEND",
            "SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
