//! The plan's `[deployment]` table: which NetBox configuration to patch, how, and the social-auth
//! backend name the Kanidm login uses. Kept in one table so it can move as a unit.

use super::SourceIdp;
use super::validate::Problem;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The backend name of social-core's generic OpenID Connect backend.
pub const OIDC_BACKEND: &str = "oidc";

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
    pub unknown: super::draft::UnknownKeys,
}

impl Default for DeploymentDraft {
    fn default() -> Self {
        Self {
            paths: Vec::new(),
            env_file: String::new(),
            stage: "kanidm".into(),
            backend_name: OIDC_BACKEND.into(),
            unknown: Default::default(),
        }
    }
}

pub const KNOWN_KEYS: [&str; 4] = ["paths", "env_file", "stage", "backend_name"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Kanidm replaces the old login.
    Kanidm,
    /// Both logins at once, each with its own button.
    Both,
}

impl Stage {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "kanidm" | "" => Some(Self::Kanidm),
            "both" => Some(Self::Both),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentTarget {
    pub paths: Vec<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub stage: Stage,
    pub backend_name: String,
}

impl Default for DeploymentTarget {
    fn default() -> Self {
        Self {
            paths: Vec::new(),
            env_file: None,
            stage: Stage::Kanidm,
            backend_name: OIDC_BACKEND.into(),
        }
    }
}

impl DeploymentTarget {
    /// True when Kanidm logs in under a backend name of its own (a subclass of `OpenIdConnectAuth`).
    pub fn needs_backend_class(&self) -> bool {
        self.backend_name != OIDC_BACKEND
    }

    /// The `SOCIAL_AUTH_<NAME>_` prefix social-core reads the backend's settings from.
    pub fn settings_prefix(&self) -> String {
        format!(
            "SOCIAL_AUTH_{}_",
            self.backend_name.to_ascii_uppercase().replace('-', "_")
        )
    }
}

/// Checks the table; problems are pushed, the target returned when it is valid.
pub fn validate(
    draft: &DeploymentDraft,
    source: Option<SourceIdp>,
    problems: &mut Vec<Problem>,
) -> Option<DeploymentTarget> {
    let mut ok = true;
    let stage = Stage::parse(&draft.stage);
    if stage.is_none() {
        ok = false;
        problems.push(
            Problem::error(
                "deployment.stage",
                format!("unknown stage {:?}", draft.stage),
            )
            .with_fix("write kanidm (replace the old login) or both (keep it beside Kanidm's)"),
        );
    }
    let name = draft.backend_name.trim();
    let valid_name = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid_name {
        ok = false;
        problems.push(
            Problem::error(
                "deployment.backend_name",
                format!(
                    "{name:?} cannot be a social-auth backend name: it becomes part of the redirect URL oauth/complete/<name>/ and of the settings' names"
                ),
            )
            .with_fix("use lower-case letters, digits, - and _ (at most 32), e.g. kanidm"),
        );
    } else if name == "keycloak" {
        ok = false;
        problems.push(
            Problem::error(
                "deployment.backend_name",
                "keycloak is the name of social-core's Keycloak backend",
            )
            .with_fix("use oidc, or kanidm for a login beside the old one"),
        );
    }
    let oidc_source = matches!(
        source,
        Some(SourceIdp::Authentik | SourceIdp::KeycloakOidc | SourceIdp::Oidc)
    );
    if stage == Some(Stage::Both) && oidc_source && name == OIDC_BACKEND {
        ok = false;
        problems.push(
            Problem::error(
                "deployment.backend_name",
                "the old login already uses the backend name oidc: both logins cannot share its name and settings",
            )
            .with_fix("set backend_name = \"kanidm\" (Kanidm's redirect URL becomes …/oauth/complete/kanidm/), or stage = \"kanidm\" for a direct cut-over"),
        );
    }
    let paths: Vec<PathBuf> = draft
        .paths
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(PathBuf::from)
        .collect();
    let env_file = (!draft.env_file.trim().is_empty()).then(|| PathBuf::from(&draft.env_file));
    ok.then(|| DeploymentTarget {
        paths,
        env_file,
        stage: stage.unwrap_or(Stage::Kanidm),
        backend_name: name.to_string(),
    })
}
