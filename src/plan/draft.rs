//! The plan as the user writes it (TOML) or the wizard edits it: plain strings, so every problem can be
//! reported at once by [`super::validate`] instead of stopping at the first one.

use super::field::{Field, Section};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Unknown keys are collected rather than rejected, so a typo is reported with the other problems.
pub type UnknownKeys = BTreeMap<String, toml::Value>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanDraft {
    /// Where NetBox logs in today: `keycloak`, `authentik`, `keycloak-oidc`, `oidc` or `none`.
    pub source: String,
    pub netbox: NetBoxDraft,
    pub kanidm: KanidmDraft,
    pub tls: TlsDraft,
    pub login: LoginDraft,
    pub output: OutputDraft,
    /// The NetBox configuration to patch (`nbsso generate --patch`).
    pub deployment: DeploymentDraft,
    /// The Users step's inputs, so a resumed run reads them again.
    #[serde(skip_serializing_if = "UsersDraft::is_empty")]
    pub users: UsersDraft,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetBoxDraft {
    /// Scheme, host and port users type into the browser, e.g. `https://netbox.example.com`.
    pub url: String,
    /// NetBox's `BASE_PATH`, e.g. `netbox/`; empty when NetBox is served at the root.
    pub base_path: String,
    pub version: String,
    /// Where NetBox reads the Kanidm client secret (written 0600 by kanidm-setup.sh).
    pub secret_file: String,
    /// The NetBox `configuration.py` to patch (optional).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub configuration: String,
    /// `SOCIAL_AUTH_REDIRECT_IS_HTTPS`: for a TLS proxy that does not send `X-Forwarded-Proto`.
    pub redirect_is_https: bool,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KanidmDraft {
    /// `https://idm.example.com` (no path).
    pub origin: String,
    pub version: String,
    pub client: String,
    pub display_name: String,
    pub admin: String,
    pub group: String,
    pub members: Vec<String>,
    /// Scopes beyond `openid profile email`.
    pub extra_scopes: Vec<String>,
    /// `auto`, `enforce` or `disable`.
    pub pkce: String,
    pub short_usernames: bool,
    pub consent_prompt: bool,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsDraft {
    /// PEM file of the private CA that signed Kanidm's certificate; empty for the system roots.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca_file: String,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginDraft {
    pub button_label: String,
    /// A Material Design icon name (`login`) or an image URL.
    pub button_icon: String,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputDraft {
    pub dir: String,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentDraft {
    /// `configuration.py` files, a netbox-docker configuration directory or a Helm values file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// netbox-docker's `env/netbox.env` (or any env file NetBox's process reads).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub env_file: String,
    /// `kanidm` (replace the old login) or `both` (keep it beside Kanidm's for a staged cut-over).
    pub stage: String,
    /// The social-auth backend name of the Kanidm login: `oidc`, or another name when the old
    /// login already uses `oidc` and both must work at once.
    pub backend_name: String,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UsersDraft {
    /// The saved output of `migrate-users.py` with `NBSSO_USERS_ACTION=export`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub export: String,
    /// A saved `kanidm person list -o json`; empty: the persons are read live.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub persons: String,
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl UsersDraft {
    /// Nothing to write: the plan file leaves the table out.
    fn is_empty(&self) -> bool {
        self.export.is_empty() && self.persons.is_empty()
    }
}

/// Defaults come from the field table. A table missing from a plan file, or a key missing from a
/// table, takes them too: each draft table's `Default` is the whole default plan's.
impl Default for PlanDraft {
    fn default() -> Self {
        let mut draft = Self::blank();
        for field in Field::all() {
            field.reset(&mut draft);
        }
        draft
    }
}

impl Default for NetBoxDraft {
    fn default() -> Self {
        PlanDraft::default().netbox
    }
}

impl Default for KanidmDraft {
    fn default() -> Self {
        PlanDraft::default().kanidm
    }
}

impl Default for TlsDraft {
    fn default() -> Self {
        PlanDraft::default().tls
    }
}

impl Default for LoginDraft {
    fn default() -> Self {
        PlanDraft::default().login
    }
}

impl Default for OutputDraft {
    fn default() -> Self {
        PlanDraft::default().output
    }
}

impl Default for DeploymentDraft {
    fn default() -> Self {
        PlanDraft::default().deployment
    }
}

impl Default for UsersDraft {
    fn default() -> Self {
        PlanDraft::default().users
    }
}

impl PlanDraft {
    /// Every value empty or off: what the table's defaults are written over.
    fn blank() -> Self {
        Self {
            source: String::new(),
            netbox: NetBoxDraft {
                url: String::new(),
                base_path: String::new(),
                version: String::new(),
                secret_file: String::new(),
                configuration: String::new(),
                redirect_is_https: false,
                unknown: UnknownKeys::new(),
            },
            kanidm: KanidmDraft {
                origin: String::new(),
                version: String::new(),
                client: String::new(),
                display_name: String::new(),
                admin: String::new(),
                group: String::new(),
                members: Vec::new(),
                extra_scopes: Vec::new(),
                pkce: String::new(),
                short_usernames: false,
                consent_prompt: false,
                unknown: UnknownKeys::new(),
            },
            tls: TlsDraft {
                ca_file: String::new(),
                unknown: UnknownKeys::new(),
            },
            login: LoginDraft {
                button_label: String::new(),
                button_icon: String::new(),
                unknown: UnknownKeys::new(),
            },
            output: OutputDraft {
                dir: String::new(),
                unknown: UnknownKeys::new(),
            },
            deployment: DeploymentDraft {
                paths: Vec::new(),
                env_file: String::new(),
                stage: String::new(),
                backend_name: String::new(),
                unknown: UnknownKeys::new(),
            },
            users: UsersDraft {
                export: String::new(),
                persons: String::new(),
                unknown: UnknownKeys::new(),
            },
            unknown: UnknownKeys::new(),
        }
    }

    /// The keys of a table of the plan file that nbsso does not know.
    pub fn unknown(&self, section: Section) -> &UnknownKeys {
        match section {
            Section::Top => &self.unknown,
            Section::NetBox => &self.netbox.unknown,
            Section::Kanidm => &self.kanidm.unknown,
            Section::Tls => &self.tls.unknown,
            Section::Login => &self.login.unknown,
            Section::Output => &self.output.unknown,
            Section::Deployment => &self.deployment.unknown,
            Section::Users => &self.users.unknown,
        }
    }

    /// Parses plan TOML. Only syntax and type errors fail here; everything else is left to validation.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The plan as TOML, with a header saying what it is. The client secret is never part of a plan.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!(
            "# nbsso migration plan: NetBox single sign-on to Kanidm.\n\
             # Check it with `nbsso generate --plan <this file> --dry-run`.\n\n{body}"
        )
    }
}
