//! The checked `[deployment]` table: which NetBox configuration to patch, how, and the social-auth
//! backend name the Kanidm login uses.

use serde::Serialize;
use std::path::PathBuf;

/// The backend name of social-core's generic OpenID Connect backend.
pub const OIDC_BACKEND: &str = "oidc";

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
