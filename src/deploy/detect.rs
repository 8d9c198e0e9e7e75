//! What single sign-on a deployment sets up, resolved the way NetBox resolves it: later files
//! win, environment reads take the env file's value, and every finding names its source.

use super::{Deployment, Role, Shape};
use crate::plan::SourceIdp;
use crate::pyconf::{Form, Value, is_secret_name};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// NetBox's default when no file sets `REMOTE_AUTH_BACKEND`.
pub const DEFAULT_BACKEND: &str = "netbox.authentication.RemoteUserBackend";
const KEYCLOAK_CLASS: &str = "KeycloakOAuth2";
const OIDC_CLASS: &str = "OpenIdConnectAuth";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Keycloak,
    Authentik,
    KeycloakOidc,
    Oidc,
    None,
}

impl Provider {
    pub fn source(self) -> SourceIdp {
        match self {
            Self::Keycloak => SourceIdp::Keycloak,
            Self::Authentik => SourceIdp::Authentik,
            Self::KeycloakOidc => SourceIdp::KeycloakOidc,
            Self::Oidc => SourceIdp::Oidc,
            Self::None => SourceIdp::None,
        }
    }

    /// The settings prefix of the old login (`SOCIAL_AUTH_KEYCLOAK_` or `SOCIAL_AUTH_OIDC_`).
    pub fn prefix(self) -> Option<&'static str> {
        match self {
            Self::Keycloak => Some("SOCIAL_AUTH_KEYCLOAK_"),
            Self::Authentik | Self::KeycloakOidc | Self::Oidc => Some("SOCIAL_AUTH_OIDC_"),
            Self::None => None,
        }
    }
}

/// Where a value was found: a file and line, and the environment variable it was read through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env_var: Option<String>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)?;
        if let Some(var) = &self.env_var {
            write!(f, " ({var})")?;
        }
        Ok(())
    }
}

/// Which assignment wins, so the patcher can find it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Winner {
    Python { file: usize, assignment: usize },
    Helm { file: usize, setting: usize },
}

/// One setting as NetBox will see it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub name: String,
    /// As written by the winning assignment (secret literals are [`Value::Secret`]).
    pub written: Value,
    /// The value NetBox gets, when it can be known from the files (env reads resolved).
    pub value: Option<Value>,
    pub secret: bool,
    pub origin: Origin,
    /// The env file line the value came from, for an environment read it resolves.
    pub env: Option<Origin>,
    pub conditions: Vec<String>,
    /// Earlier assignments this one overrides.
    pub overridden: Vec<Origin>,
    pub winner: Winner,
}

impl Resolved {
    pub fn form(&self) -> Form {
        self.written.form()
    }

    pub fn dynamic(&self) -> bool {
        self.written.is_dynamic()
    }

    /// What a report shows: `<redacted>` for secrets, else a one-line description.
    pub fn shown(&self) -> String {
        if self.secret {
            return "<redacted>".into();
        }
        self.value.as_ref().unwrap_or(&self.written).describe()
    }

    pub fn strings(&self) -> Option<Vec<String>> {
        self.value.as_ref().and_then(Value::as_str_list)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pipeline {
    pub steps: Vec<String>,
    /// Steps that are neither social-core's nor NetBox's own.
    pub custom: Vec<String>,
    pub associate_by_email: bool,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct Findings {
    pub shape: Shape,
    pub provider: Provider,
    /// `REMOTE_AUTH_BACKEND` as NetBox will see it (None when it cannot be told from the files).
    pub backends: Option<Vec<String>>,
    pub settings: Vec<Resolved>,
    pub scopes: Option<Vec<String>>,
    pub pipeline: Option<Pipeline>,
    pub username_key: Option<String>,
    pub id_key: Option<String>,
    pub button_label: Option<String>,
    pub logout_url: Option<String>,
    /// True when the files already point the OIDC backend at a Kanidm issuer.
    pub already_kanidm: bool,
    pub warnings: Vec<Warning>,
}

impl Findings {
    pub fn get(&self, name: &str) -> Option<&Resolved> {
        self.settings.iter().find(|s| s.name == name)
    }

    fn string(&self, name: &str) -> Option<String> {
        self.get(name)
            .filter(|s| !s.secret)
            .and_then(|s| s.value.as_ref())
            .and_then(|v| v.as_str().map(str::to_string))
    }

    fn warn(&mut self, message: impl Into<String>, source: Option<String>) {
        self.warnings.push(Warning {
            message: message.into(),
            source,
        });
    }
}

/// Resolves an environment read against the env file: the value and the line it came from.
fn resolve_env(dep: &Deployment, value: &Value) -> (Option<Value>, Option<Origin>) {
    match value {
        Value::Env { var, default, map } => {
            let entry = dep
                .env_file()
                .and_then(|(i, env)| env.get(var).map(|e| (i, e)));
            let text = match entry {
                Some((_, e)) if e.value.is_secret() => {
                    return (
                        Some(Value::Secret {
                            value: crate::secret::Secret::new(e.value.expose()),
                        }),
                        entry.map(|(i, e)| origin(dep, i, e.line, Some(var))),
                    );
                }
                Some((_, e)) => Some(e.value.expose().to_string()),
                None => None,
            };
            let origin = entry.map(|(i, e)| origin(dep, i, e.line, Some(var)));
            // Without the variable the default applies, through the same mapper (netbox-docker).
            let (text, default_value) = match text {
                Some(t) => (Some(t), None),
                None if dep.env_file().is_some() => {
                    let d = default.as_deref().and_then(|d| resolve_env(dep, d).0);
                    (d.as_ref().and_then(Value::as_str).map(str::to_string), d)
                }
                None => (None, None),
            };
            let resolved = match (text, map.as_deref()) {
                (Some(t), Some(m)) if m.contains("LIST") => Some(Value::List {
                    items: t
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(Value::str)
                        .collect(),
                    tuple: false,
                }),
                (Some(t), Some(m)) if m.contains("BOOL") => Some(Value::Bool {
                    value: t.to_lowercase() == "true",
                }),
                (Some(t), Some(m)) if m.contains("INT") => {
                    t.trim().parse().ok().map(|value| Value::Int { value })
                }
                (Some(t), _) => Some(Value::str(t)),
                (None, _) => default_value,
            };
            (resolved, origin)
        }
        Value::Split { base, sep } => {
            let (base, origin) = resolve_env(dep, base);
            let list = base.and_then(|b| {
                b.as_str().map(|t| Value::List {
                    items: crate::pyconf::split_like_python(t, sep.as_deref())
                        .into_iter()
                        .map(Value::str)
                        .collect(),
                    tuple: false,
                })
            });
            (list, origin)
        }
        Value::Json { value } => (Some((**value).clone()), None),
        other if other.is_dynamic() => (None, None),
        other => (Some(other.clone()), None),
    }
}

fn origin(dep: &Deployment, file: usize, line: usize, var: Option<&str>) -> Origin {
    Origin {
        file: dep
            .files
            .get(file)
            .map(|f| f.path.clone())
            .unwrap_or_default(),
        line,
        env_var: var.map(str::to_string),
    }
}

/// Every setting, resolved in NetBox's load order.
fn resolve_all(dep: &Deployment) -> Vec<Resolved> {
    let mut out: Vec<Resolved> = Vec::new();
    let mut place = |resolved: Resolved| match out.iter_mut().find(|r| r.name == resolved.name) {
        Some(existing) => {
            let mut overridden = std::mem::take(&mut existing.overridden);
            overridden.push(existing.origin.clone());
            *existing = Resolved {
                overridden,
                ..resolved
            };
        }
        None => out.push(resolved),
    };
    for (file_index, file) in dep.files.iter().enumerate() {
        match &file.content {
            super::Content::Python(py) => {
                for (index, a) in py.assignments.iter().enumerate() {
                    let (value, env) = resolve_env(dep, &a.value);
                    place(Resolved {
                        name: a.name.clone(),
                        written: a.value.clone(),
                        value,
                        secret: is_secret_name(&a.name)
                            || env
                                .as_ref()
                                .is_some_and(|e| e.env_var.as_deref().is_some_and(is_secret_name)),
                        origin: origin(dep, file_index, a.line, None),
                        env,
                        conditions: a.conditions.clone(),
                        overridden: Vec::new(),
                        winner: Winner::Python {
                            file: file_index,
                            assignment: index,
                        },
                    });
                }
            }
            super::Content::Helm(helm) => {
                for (index, s) in helm.settings.iter().enumerate() {
                    let secret = is_secret_name(&s.name);
                    let written = if secret {
                        s.value.clone().redacted()
                    } else {
                        s.value.clone()
                    };
                    place(Resolved {
                        name: s.name.clone(),
                        value: Some(written.clone()),
                        written,
                        secret,
                        origin: origin(dep, file_index, s.line, None),
                        env: None,
                        conditions: Vec::new(),
                        overridden: Vec::new(),
                        winner: Winner::Helm {
                            file: file_index,
                            setting: index,
                        },
                    });
                }
            }
            super::Content::Env(_) => {}
        }
    }
    out
}

fn class_name(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Reads everything that decides single sign-on, and what to warn about.
pub fn detect(dep: &Deployment) -> Findings {
    let settings = resolve_all(dep);
    let mut f = Findings {
        shape: dep.shape,
        provider: Provider::None,
        backends: None,
        settings,
        scopes: None,
        pipeline: None,
        username_key: None,
        id_key: None,
        button_label: None,
        logout_url: None,
        already_kanidm: false,
        warnings: Vec::new(),
    };
    f.backends = match f.get("REMOTE_AUTH_BACKEND") {
        Some(r) => r.strings(),
        None => Some(vec![DEFAULT_BACKEND.to_string()]),
    };
    let backends = f.backends.clone().unwrap_or_default();
    let endpoint = f
        .string("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT")
        .or_else(|| f.string("SOCIAL_AUTH_OIDC_ENDPOINT"));
    f.provider = if backends.iter().any(|b| class_name(b) == KEYCLOAK_CLASS) {
        Provider::Keycloak
    } else if backends.iter().any(|b| class_name(b) == OIDC_CLASS) {
        match endpoint.as_deref() {
            Some(e) if e.contains("/application/o/") => Provider::Authentik,
            Some(e) if e.contains("/realms/") => Provider::KeycloakOidc,
            _ => Provider::Oidc,
        }
    } else {
        Provider::None
    };
    f.already_kanidm = endpoint
        .as_deref()
        .is_some_and(|e| e.contains("/oauth2/openid/"));
    if f.backends.is_none()
        && let Some(r) = f.get("REMOTE_AUTH_BACKEND")
    {
        let source = r.origin.to_string();
        f.warn(
            format!(
                "REMOTE_AUTH_BACKEND is {} and cannot be read from the files: the provider cannot be told",
                r.written.describe()
            ),
            Some(source),
        );
    }
    if let Some(prefix) = f.provider.prefix() {
        f.scopes = f.get(&format!("{prefix}SCOPE")).and_then(Resolved::strings);
        f.username_key = f.string(&format!("{prefix}USERNAME_KEY"));
        f.id_key = f.string(&format!("{prefix}ID_KEY"));
        let backend_name = if f.provider == Provider::Keycloak {
            "keycloak"
        } else {
            "oidc"
        };
        f.button_label = f
            .get("SOCIAL_AUTH_BACKEND_ATTRS")
            .and_then(|r| r.value.as_ref())
            .and_then(|v| v.as_dict())
            .and_then(|d| d.into_iter().find(|(k, _)| *k == backend_name))
            .and_then(|(_, v)| {
                v.as_str_list().or_else(|| match v {
                    Value::List { items, .. } => items
                        .first()
                        .and_then(Value::as_str)
                        .map(|s| vec![s.to_string()]),
                    _ => None,
                })
            })
            .and_then(|l| l.into_iter().next());
    }
    f.logout_url = f.string("LOGOUT_REDIRECT_URL");
    pipeline(&mut f);
    warnings(dep, &mut f);
    f
}

fn pipeline(f: &mut Findings) {
    let Some(r) = f.get("SOCIAL_AUTH_PIPELINE") else {
        return;
    };
    let source = r.origin.to_string();
    let Some(steps) = r.strings() else { return };
    let custom: Vec<String> = steps
        .iter()
        .filter(|s| {
            !s.starts_with("social_core.pipeline.")
                && s.as_str() != "netbox.authentication.user_default_groups_handler"
        })
        .cloned()
        .collect();
    let associate_by_email = steps.iter().any(|s| s.ends_with(".associate_by_email"));
    if associate_by_email {
        f.warn(
            "the pipeline has associate_by_email: a Kanidm login is linked to the one NetBox user with the same e-mail, and fails when two users share it",
            Some(source.clone()),
        );
    }
    for step in &custom {
        f.warn(
            format!("custom pipeline step {step}: check that it works with Kanidm's claims (Kanidm sends groups only with the groups scope)"),
            Some(source.clone()),
        );
    }
    f.pipeline = Some(Pipeline {
        steps,
        custom,
        associate_by_email,
        source,
    });
}

fn warnings(dep: &Deployment, f: &mut Findings) {
    let mut new = Vec::new();
    for r in &f.settings {
        if r.name == "AUTHENTICATION_BACKENDS" {
            new.push((
                "AUTHENTICATION_BACKENDS is ignored by NetBox (it builds it from REMOTE_AUTH_BACKEND); nbsso leaves it alone".to_string(),
                r.origin.to_string(),
            ));
        }
        if r.value.is_none() && r.dynamic() && !r.secret {
            let why = match (&r.written, dep.env_file()) {
                (Value::Env { var, .. }, None) => format!(
                    "{} reads {var} from the environment; give the env file (--env-file) to know its value",
                    r.name
                ),
                _ => format!(
                    "{} is computed when NetBox starts ({}): nbsso cannot know its value",
                    r.name,
                    r.written.describe()
                ),
            };
            new.push((why, r.origin.to_string()));
        }
        if !r.conditions.is_empty() {
            new.push((
                format!("{} is set only when {}", r.name, r.conditions.join(" and ")),
                r.origin.to_string(),
            ));
        }
        if r.name == "REMOTE_AUTH_ENABLED" && matches!(r.value, Some(Value::Bool { value: true })) {
            new.push((
                "REMOTE_AUTH_ENABLED = True turns on NetBox's HTTP-header login; it is not needed for single sign-on".to_string(),
                r.origin.to_string(),
            ));
        }
    }
    for (file, _, py) in dep.python_files() {
        for (module, line) in &py.star_imports {
            new.push((
                format!(
                    "from {module} import * can set any setting; nbsso cannot see what it sets"
                ),
                origin(dep, file, *line, None).to_string(),
            ));
        }
    }
    if dep.shape == Shape::NetboxDocker && dep.env_file().is_none() {
        new.push((
            "no env file: netbox-docker reads REMOTE_AUTH_BACKEND and more from env/netbox.env (give it with --env-file)".to_string(),
            String::new(),
        ));
    }
    if dep.files.iter().any(|file| file.role == Role::DockerMain)
        && let Some(r) = f.get("REMOTE_AUTH_BACKEND")
        && r.overridden.is_empty()
        && r.env.is_none()
        && matches!(r.written, Value::Env { .. })
    {
        new.push((
            "REMOTE_AUTH_BACKEND is not in the env file: NetBox uses its default".to_string(),
            r.origin.to_string(),
        ));
    }
    for (message, source) in new {
        f.warn(message, (!source.is_empty()).then_some(source));
    }
}
