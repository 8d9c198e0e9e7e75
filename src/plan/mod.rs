//! The migration plan: what the user wants (a [`PlanDraft`], stored as TOML) and the checked,
//! normalised form the generators work from (a [`Plan`]).

pub mod deployment;
mod draft;
pub mod field;
pub mod fields;
mod validate;

pub use deployment::{DeploymentTarget, OIDC_BACKEND, Stage};
pub use draft::{
    DeploymentDraft, KanidmDraft, LoginDraft, NetBoxDraft, OutputDraft, PlanDraft, TlsDraft,
    UsersDraft,
};
pub use field::{Field, Group};
pub use validate::{Problem, Severity, validate};

/// The file name the wizard saves the answers under, in the output directory.
pub const PLAN_FILE: &str = "nbsso-plan.toml";

use crate::versions::{KanidmCapabilities, NetBoxCapabilities};
use serde::Serialize;
use std::path::PathBuf;

/// The identity provider NetBox logs in through today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceIdp {
    /// social-core backend `keycloak` (`KeycloakOAuth2`); links are `('keycloak', <username>)`.
    Keycloak,
    /// Generic `oidc` backend; links are `('oidc', <authentik sub>)`.
    Authentik,
    /// Keycloak through the generic `oidc` backend; links are `('oidc', <keycloak user UUID>)`.
    KeycloakOidc,
    /// The generic `oidc` backend with an identity provider the files do not name.
    Oidc,
    /// No single sign-on yet.
    None,
}

impl SourceIdp {
    pub fn label(self) -> &'static str {
        match self {
            Self::Keycloak => "Keycloak",
            Self::Authentik => "Authentik",
            Self::KeycloakOidc => "Keycloak (through OpenID Connect)",
            Self::Oidc => "an OpenID Connect provider",
            Self::None => "no single sign-on yet",
        }
    }

    /// The plan's spelling (`source = "..."`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Keycloak => "keycloak",
            Self::Authentik => "authentik",
            Self::KeycloakOidc => "keycloak-oidc",
            Self::Oidc => "oidc",
            Self::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Keycloak,
            Self::Authentik,
            Self::KeycloakOidc,
            Self::Oidc,
            Self::None,
        ]
        .into_iter()
        .find(|s| s.key() == text.trim())
        .or_else(|| text.trim().is_empty().then_some(Self::None))
    }

    /// The social-auth backend name the old login uses (its users' links carry it as provider).
    pub fn backend_name(self) -> Option<&'static str> {
        match self {
            Self::Keycloak => Some("keycloak"),
            Self::Authentik | Self::KeycloakOidc | Self::Oidc => Some(deployment::OIDC_BACKEND),
            Self::None => None,
        }
    }
}

/// What Kanidm should do about PKCE, decided from the plan and the NetBox version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pkce {
    /// Kanidm keeps enforcing PKCE and NetBox sends `code_challenge` (`USE_PKCE = True`).
    Enforced,
    /// `warning-insecure-client-disable-pkce`: only for a NetBox whose social-core cannot send PKCE.
    Disabled,
}

/// The user's PKCE choice before it meets the NetBox version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PkceChoice {
    Auto,
    Enforce,
    Disable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetBoxTarget {
    /// Origin without a trailing slash.
    pub url: String,
    /// `""` or `segments/`.
    pub base_path: String,
    pub caps: NetBoxCapabilities,
    pub secret_file: PathBuf,
    pub configuration: Option<PathBuf>,
    pub redirect_is_https: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KanidmTarget {
    /// Origin without a trailing slash.
    pub origin: String,
    pub caps: KanidmCapabilities,
    pub client: String,
    pub display_name: String,
    pub admin: String,
    pub group: String,
    pub members: Vec<String>,
    /// Every scope NetBox will request, defaults first; all must be in the scope map.
    pub scopes: Vec<String>,
    pub pkce: Pkce,
    pub short_usernames: bool,
    pub consent_prompt: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoginButton {
    pub label: String,
    pub icon: Option<String>,
}

/// A checked plan. Every field is valid and normalised; build one with [`validate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub source: SourceIdp,
    pub netbox: NetBoxTarget,
    pub kanidm: KanidmTarget,
    pub ca_file: Option<PathBuf>,
    pub login: LoginButton,
    pub output_dir: PathBuf,
    pub deployment: DeploymentTarget,
    pub users: UserInputs,
}

/// Where the user migration's inputs were saved (the Users step, `nbsso users match`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UserInputs {
    /// The saved output of `migrate-users.py` with `NBSSO_USERS_ACTION=export`.
    pub export: Option<PathBuf>,
    /// A saved `kanidm person list -o json`; `None`: the persons are read live.
    pub persons: Option<PathBuf>,
}

/// The scopes social-core's OIDC backend always requests (`DEFAULT_SCOPE`).
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "profile", "email"];

impl Plan {
    /// NetBox's root including BASE_PATH, with a trailing slash.
    pub fn netbox_root(&self) -> String {
        format!("{}/{}", self.netbox.url, self.netbox.base_path)
    }

    /// The callback NetBox sends as `redirect_uri`; Kanidm must hold exactly this (C7, §2.5).
    /// It names the backend: `oidc`, or the plan's own name for a staged cut-over.
    pub fn redirect_url(&self) -> String {
        format!(
            "{}oauth/complete/{}/",
            self.netbox_root(),
            self.deployment.backend_name
        )
    }

    /// Where Kanidm's app list sends users: NetBox's root (Kanidm stores it with a trailing slash).
    pub fn landing_url(&self) -> String {
        self.netbox_root()
    }

    /// `SOCIAL_AUTH_OIDC_OIDC_ENDPOINT`: the issuer, with no trailing slash (C13).
    pub fn issuer(&self) -> String {
        format!(
            "{}/oauth2/openid/{}",
            self.kanidm.origin, self.kanidm.client
        )
    }

    /// The scopes beyond social-core's defaults, which NetBox must be told to request.
    pub fn extra_scopes(&self) -> Vec<&str> {
        self.kanidm
            .scopes
            .iter()
            .map(String::as_str)
            .filter(|s| !DEFAULT_SCOPES.contains(s))
            .collect()
    }
}
