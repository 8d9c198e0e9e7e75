//! The NetBox settings for Kanidm, for the plan's NetBox version: one list of items, rendered as
//! `netbox-sso.py` here and spliced into a deployed configuration by `crate::deploy::patch`.

use crate::plan::{Pkce, Plan, SourceIdp, Stage};
use crate::pyconf::Value;
use crate::quote::{comment, python};

/// The environment variable that, when set, wins over the secret file.
pub const SECRET_ENV: &str = "NETBOX_OIDC_SECRET";
/// social-core's generic OpenID Connect backend.
pub const OIDC_BACKEND_PATH: &str = "social_core.backends.open_id_connect.OpenIdConnectAuth";
/// social-core's Keycloak backend (backend name `keycloak`).
pub const KEYCLOAK_BACKEND_PATH: &str = "social_core.backends.keycloak.KeycloakOAuth2";
/// The subclass that gives Kanidm a backend name of its own, and the module NetBox imports it from.
pub const BACKEND_CLASS: &str = "KanidmOpenIdConnect";
pub const BACKEND_MODULE: &str = "nbsso_kanidm";
/// The function that reads the client secret at NetBox's start.
pub const SECRET_HELPER: &str = crate::pyconf::NBSSO_SECRET_READER;

/// How the Kanidm login sits beside the old one: the old backends kept by a staged cut-over and
/// the old login's button, which keeps its own label there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wiring {
    /// Backends that stay in `REMOTE_AUTH_BACKEND` beside Kanidm's (LDAP; the old login when staged).
    pub kept_backends: Vec<String>,
    /// `(backend name, label, icon)` of the old login's button.
    pub old_button: Option<(String, String, Option<String>)>,
}

impl Wiring {
    /// What the plan alone says: the old login's standard backend and label.
    pub fn from_plan(plan: &Plan) -> Self {
        let (path, label) = match plan.source {
            SourceIdp::Keycloak => (KEYCLOAK_BACKEND_PATH, "Keycloak"),
            SourceIdp::Authentik => (OIDC_BACKEND_PATH, "Authentik"),
            SourceIdp::KeycloakOidc => (OIDC_BACKEND_PATH, "Keycloak"),
            SourceIdp::Oidc => (OIDC_BACKEND_PATH, "OpenID Connect"),
            SourceIdp::None => return Self::default(),
        };
        let staged = plan.deployment.stage == Stage::Both;
        Self {
            kept_backends: if staged {
                vec![path.to_string()]
            } else {
                Vec::new()
            },
            old_button: plan
                .source
                .backend_name()
                .map(|name| (name.to_string(), label.to_string(), None)),
        }
    }
}

/// One setting: its name, its Python expression, its value as data (for env files, Helm values
/// and Ansible variables; `None` for the secret, which is read at start), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: String,
    pub expr: String,
    pub value: Option<Value>,
    pub comments: Vec<String>,
}

impl Setting {
    /// True when the expression calls the secret helper, which must be defined before it.
    pub fn needs_helper(&self) -> bool {
        self.expr.starts_with(SECRET_HELPER)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Setting(Setting),
    /// Comment lines with no setting (a choice explained).
    Note(Vec<String>),
    /// The definition of [`SECRET_HELPER`].
    SecretHelper,
    /// The backend subclass for a backend name other than `oidc`.
    BackendClass,
}

/// The Kanidm backend's dotted path, as `REMOTE_AUTH_BACKEND` names it.
pub fn backend_path(plan: &Plan) -> String {
    if plan.deployment.needs_backend_class() {
        format!("{BACKEND_MODULE}.{BACKEND_CLASS}")
    } else {
        OIDC_BACKEND_PATH.to_string()
    }
}

/// A value as Python source: strings through [`python`], lists, tuples, dicts, bools, None.
pub fn python_expr(value: &Value) -> String {
    let join = |items: &[Value]| items.iter().map(python_expr).collect::<Vec<_>>().join(", ");
    match value {
        Value::Str { value } => python(value),
        Value::Bool { value } => if *value { "True" } else { "False" }.into(),
        Value::Int { value } => value.to_string(),
        Value::List {
            items,
            tuple: false,
        } => format!("[{}]", join(items)),
        Value::List { items, tuple: true } if items.len() == 1 => format!("({},)", join(items)),
        Value::List { items, tuple: true } => format!("({})", join(items)),
        Value::Dict { items } => {
            let inner: Vec<String> = items
                .iter()
                .map(|(k, v)| format!("{}: {}", python_expr(k), python_expr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        _ => "None".into(),
    }
}

fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Value {
    Value::List {
        items: values.into_iter().map(Value::str).collect(),
        tuple: false,
    }
}

fn setting(name: impl Into<String>, value: Value, comments: &[&str]) -> Item {
    Item::Setting(Setting {
        name: name.into(),
        expr: python_expr(&value),
        value: Some(value),
        comments: comments.iter().map(|c| c.to_string()).collect(),
    })
}

/// Every item of the Kanidm settings, in order.
pub fn kanidm_items(plan: &Plan, wiring: &Wiring) -> Vec<Item> {
    let caps = &plan.netbox.caps;
    let d = &plan.deployment;
    let prefix = d.settings_prefix();
    let staged = d.stage == Stage::Both;
    let mut items = Vec::new();
    let backend = backend_path(plan);
    let backend_value = if wiring.kept_backends.is_empty() {
        Value::str(&backend)
    } else {
        let mut all: Vec<&str> = wiring.kept_backends.iter().map(String::as_str).collect();
        if !all.contains(&backend.as_str()) {
            all.push(&backend);
        }
        strings(all)
    };
    let why_backend = if d.needs_backend_class() {
        items.push(Item::BackendClass);
        format!(
            "# Log in through Kanidm with the OpenID Connect backend under the name {:?} (the provider of new user links).",
            d.backend_name
        )
    } else {
        "# Log in with the generic OpenID Connect backend (provider name \"oidc\").".to_string()
    };
    let mut why = vec![why_backend.as_str()];
    if staged {
        why.push("# Staged cut-over: the old login stays until this lists Kanidm's backend alone.");
    }
    items.push(setting("REMOTE_AUTH_BACKEND", backend_value, &why));
    items.push(setting(
        format!("{prefix}OIDC_ENDPOINT"),
        Value::str(plan.issuer()),
        &[
            "# Kanidm's issuer for this client, without a trailing slash: Kanidm answers 404 for ...//.well-known.",
        ],
    ));
    items.push(setting(
        format!("{prefix}KEY"),
        Value::str(&plan.kanidm.client),
        &[],
    ));
    items.push(Item::SecretHelper);
    items.push(Item::Setting(Setting {
        name: format!("{prefix}SECRET"),
        expr: format!(
            "{SECRET_HELPER}({}, {})",
            python(&plan.netbox.secret_file.to_string_lossy()),
            python(SECRET_ENV)
        ),
        value: None,
        comments: Vec::new(),
    }));
    items.push(setting(
        format!("{prefix}JWT_ALGORITHMS"),
        strings(["ES256", "RS256"]),
        &[
            "# Kanidm signs ID tokens with ES256 (RS256 only with legacy crypto); social-core allows only RS256",
            "# by default (\"The specified alg value is not allowed\"). ES256 first for keys without \"alg\".",
        ],
    ));
    match plan.kanidm.pkce {
        Pkce::Enforced => items.push(setting(
            format!("{prefix}USE_PKCE"),
            Value::Bool { value: true },
            &["# Send a PKCE challenge (S256), so Kanidm keeps enforcing PKCE for this client."],
        )),
        Pkce::Disabled if caps.oidc_pkce => items.push(setting(
            format!("{prefix}USE_PKCE"),
            Value::Bool { value: false },
            &["# PKCE is turned off in Kanidm for this client, as the plan asks."],
        )),
        Pkce::Disabled => items.push(Item::Note(vec![
            format!(
                "# social-auth-core {} cannot send PKCE (4.8.7+ can, from NetBox 4.5.9), so kanidm-setup.sh turns",
                caps.social_core
            ),
            "# Kanidm's PKCE enforcement off for this client. Upgrade NetBox and regenerate to turn it back on."
                .into(),
        ])),
    }
    let extras = plan.extra_scopes();
    if !extras.is_empty() {
        items.push(setting(
            format!("{prefix}SCOPE"),
            strings(extras),
            &["# Requested on top of openid, profile and email; every one must be in Kanidm's scope map."],
        ));
    }
    if caps.backend_attrs {
        let button = |name: &str, label: &str, icon: Option<&str>| {
            let icon = icon.map_or(Value::None, Value::str);
            (
                Value::str(name),
                Value::List {
                    items: vec![Value::str(label), icon],
                    tuple: true,
                },
            )
        };
        let mut entries = Vec::new();
        if staged && let Some((name, label, old_icon)) = &wiring.old_button {
            entries.push(button(name, label, old_icon.as_deref()));
        }
        entries.push(button(
            &d.backend_name,
            &plan.login.label,
            plan.login.icon.as_deref(),
        ));
        let why = if staged {
            "# The login buttons' labels and icons: one per login, so users can tell them apart."
        } else {
            "# The login button's label and icon."
        };
        items.push(setting(
            "SOCIAL_AUTH_BACKEND_ATTRS",
            Value::Dict { items: entries },
            &[why],
        ));
    }
    if let Some(ca) = &plan.ca_file {
        // Staged: the old IdP may use another CA, so the trust is set for Kanidm's backend only.
        let name = if staged {
            format!("{prefix}VERIFY_SSL")
        } else {
            "SOCIAL_AUTH_VERIFY_SSL".to_string()
        };
        items.push(setting(
            name,
            Value::str(ca.to_string_lossy()),
            &["# Trust the private CA that signed Kanidm's certificate (passed to requests as verify=)."],
        ));
    }
    if plan.netbox.redirect_is_https {
        items.push(setting(
            "SOCIAL_AUTH_REDIRECT_IS_HTTPS",
            Value::Bool { value: true },
            &["# The TLS proxy in front of NetBox does not send X-Forwarded-Proto: build https:// redirect URLs."],
        ));
    }
    if caps.needs_protected_groups {
        let why = format!(
            "# social-auth-core {} puts a groups claim into user details and Django rejects it (fixed in 4.4.0).",
            caps.social_core
        );
        items.push(setting(
            "SOCIAL_AUTH_PROTECTED_USER_FIELDS",
            strings(["groups"]),
            &[why.as_str()],
        ));
    }
    if plan.source != SourceIdp::None && !staged {
        let why = format!(
            "# Kanidm has no end-session endpoint; a logout URL of {} must not survive the move.",
            comment(plan.source.label())
        );
        items.push(setting(
            "LOGOUT_REDIRECT_URL",
            Value::str("home"),
            &[why.as_str()],
        ));
    }
    items
}

/// The Python source of the items, each setting under its comments.
pub fn render_items(plan: &Plan, items: &[Item]) -> String {
    let mut out = String::new();
    for item in items {
        match item {
            Item::Setting(s) => {
                if !s.comments.is_empty() {
                    out.push('\n');
                    for c in &s.comments {
                        out.push_str(c);
                        out.push('\n');
                    }
                }
                out.push_str(&format!("{} = {}\n", s.name, s.expr));
            }
            Item::Note(lines) => {
                out.push('\n');
                for l in lines {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            Item::SecretHelper => out.push_str(SECRET_HELPER_SOURCE),
            Item::BackendClass => out.push_str(&backend_class_source(plan)),
        }
    }
    out
}

const SECRET_HELPER_SOURCE: &str = "

def _nbsso_client_secret(path, variable):
    \"\"\"The client secret, from the environment or the 0600 file kanidm-setup.sh wrote.\"\"\"
    value = _nbsso_os.environ.get(variable, '').strip()
    if value:
        return value
    try:
        with open(path, encoding='utf-8') as handle:
            value = handle.read().strip()
    except OSError as error:
        raise RuntimeError(
            'nbsso: cannot read the Kanidm client secret from %s (%s); '
            'run kanidm-setup.sh or set %s' % (path, error.strerror, variable)
        ) from None
    if not value:
        raise RuntimeError('nbsso: the Kanidm client secret file %s is empty' % path)
    return value


";

/// The backend subclass, registered under a fixed module name: the configuration module's own
/// name differs per install (`netbox.configuration` in a checkout, `netbox_local_configuration`
/// for a wheel's conf/configuration.py, `netbox_configuration_<file>` for a netbox-docker extra
/// file), while `REMOTE_AUTH_BACKEND` needs one importable dotted path.
fn backend_class_source(plan: &Plan) -> String {
    format!(
        "
import sys as _nbsso_sys
import types as _nbsso_types
from social_core.backends.open_id_connect import OpenIdConnectAuth as _NbssoOpenIdConnectAuth


class {BACKEND_CLASS}(_NbssoOpenIdConnectAuth):
    \"\"\"Kanidm through OpenID Connect, under a backend name of its own beside the old login.\"\"\"

    # social_django records a login's backend as <__module__>.<class>, and Django keeps the user
    # logged in only when that path is one of AUTHENTICATION_BACKENDS.
    __module__ = {module}
    name = {name}


# NetBox imports backends by dotted path: {BACKEND_MODULE}.{BACKEND_CLASS} in every install layout.
_nbsso_sys.modules.setdefault({module}, _nbsso_types.ModuleType({module})).{BACKEND_CLASS} = {BACKEND_CLASS}
",
        name = python(&plan.deployment.backend_name),
        module = python(BACKEND_MODULE),
    )
}

/// The header every nbsso block starts with.
pub fn block_header(plan: &Plan, placement: &str) -> String {
    let caps = &plan.netbox.caps;
    format!(
        "# ---- nbsso: NetBox single sign-on through Kanidm ----\n\
         # Generated by nbsso {} for NetBox {} (social-auth-core {}) and Kanidm {}.\n\
         {placement}\
         import os as _nbsso_os\n",
        env!("CARGO_PKG_VERSION"),
        caps.netbox,
        caps.social_core,
        plan.kanidm.caps.version
    )
}

pub const BLOCK_END: &str = "# ---- end of nbsso block ----\n";

pub fn netbox_settings(plan: &Plan) -> String {
    let mut out = block_header(
        plan,
        "# Add this block at the end of NetBox's configuration.py, then restart NetBox.\n\
         # Undo: remove this block (or restore configuration.py from its backup) and restart NetBox.\n",
    );
    out.push_str(&render_items(
        plan,
        &kanidm_items(plan, &Wiring::from_plan(plan)),
    ));
    out.push_str(BLOCK_END);
    out
}
