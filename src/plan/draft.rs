//! The plan as the user writes it (TOML) or the wizard edits it: plain strings, so every problem can be
//! reported at once by [`super::validate`] instead of stopping at the first one.

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
    pub deployment: super::deployment::DeploymentDraft,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

impl Default for PlanDraft {
    fn default() -> Self {
        Self {
            source: "none".into(),
            netbox: NetBoxDraft::default(),
            kanidm: KanidmDraft::default(),
            tls: TlsDraft::default(),
            login: LoginDraft::default(),
            output: OutputDraft::default(),
            deployment: Default::default(),
            unknown: UnknownKeys::new(),
        }
    }
}

impl Default for NetBoxDraft {
    fn default() -> Self {
        Self {
            url: String::new(),
            base_path: String::new(),
            version: crate::versions::NETBOX_NEWEST_KNOWN.to_string(),
            secret_file: "/etc/netbox/kanidm-oidc-secret".into(),
            configuration: String::new(),
            redirect_is_https: false,
            unknown: UnknownKeys::new(),
        }
    }
}

impl Default for KanidmDraft {
    fn default() -> Self {
        Self {
            origin: String::new(),
            version: "1.11.1".into(),
            client: "netbox".into(),
            display_name: "NetBox".into(),
            admin: "idm_admin".into(),
            group: "netbox_users".into(),
            members: Vec::new(),
            extra_scopes: Vec::new(),
            pkce: "auto".into(),
            short_usernames: true,
            consent_prompt: true,
            unknown: UnknownKeys::new(),
        }
    }
}

impl Default for LoginDraft {
    fn default() -> Self {
        Self {
            button_label: "Kanidm".into(),
            button_icon: "login".into(),
            unknown: UnknownKeys::new(),
        }
    }
}

impl Default for OutputDraft {
    fn default() -> Self {
        Self {
            dir: "nbsso-out".into(),
            unknown: UnknownKeys::new(),
        }
    }
}

impl PlanDraft {
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
