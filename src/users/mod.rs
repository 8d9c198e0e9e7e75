//! Keeping every NetBox user's own account across the switch to Kanidm: the pure core.
//!
//! NetBox finds a social login's user by `(provider, uid)`. Keycloak stored `('keycloak', <username>)`,
//! Authentik `('oidc', <its sub>)`, Keycloak through OIDC `('oidc', <Keycloak UUID>)`; Kanidm sends
//! `('oidc', <person UUID>)`, which no row has. So each old account needs a new link to its Kanidm
//! person before its owner logs in, or NetBox creates a new, empty account.
//!
//! * [`export`]: the result line `migrate-users.py` prints inside NetBox (`NBSSO-RESULT {...}`).
//! * [`persons`]: Kanidm persons from `kanidm person list -o json` or the REST API.
//! * [`matching`]: who becomes whom, with a [`row`] (a state, the evidence, the fix) for every user.
//! * [`overrides`]: the admin's corrections (`netbox_username,kanidm_name`).
//! * [`map`]: the user map (`user-map.json`), the lock-out guard and the data the script carries.
//! * [`deploy`]: the commands that run the script and restart NetBox, per deployment shape.
//! * [`text`]: the map in lines, as the command line prints it and the accessible wizard says it.

pub mod deploy;
pub mod export;
pub mod map;
pub mod matching;
pub mod overrides;
pub mod persons;
pub mod row;
pub mod text;

pub use deploy::{Deployment, ServiceManager};
pub use export::{Claims, ExportError, NetBoxExport, NetBoxUser, SocialLink, find_result};
pub use map::{Guard, MAP_FILE, MapOptions, RollbackRecord, ScriptData, UserMap, build_map};
pub use matching::match_users;
pub use overrides::{Override, parse_overrides};
pub use persons::{KanidmPerson, PERSONS_PATH, WHO_CAN_SEE_PERSONS, parse_persons};
pub use row::{MatchBy, PersonRef, State, UserRef, UserRow};

use crate::plan::SourceIdp;
use serde::{Deserialize, Serialize};

/// The provider names of the old links and of the new Kanidm links in `social_auth_usersocialauth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkProviders {
    /// `keycloak`, or `oidc` for Authentik, Keycloak through OIDC and other OIDC providers.
    pub old: String,
    /// `oidc`, unless NetBox's Kanidm login runs under a backend name of its own.
    pub new: String,
}

impl LinkProviders {
    pub fn new(old: impl Into<String>, new: impl Into<String>) -> Self {
        Self {
            old: old.into(),
            new: new.into(),
        }
    }

    /// The providers for the plan's source; `None` when there is no old login to migrate from.
    pub fn for_source(source: SourceIdp) -> Option<Self> {
        match source {
            SourceIdp::Keycloak => Some(Self::new("keycloak", "oidc")),
            SourceIdp::Authentik | SourceIdp::KeycloakOidc | SourceIdp::Oidc => {
                Some(Self::new("oidc", "oidc"))
            }
            SourceIdp::None => None,
        }
    }

    /// The providers for a plan: its source's old backend, and Kanidm's backend name (`oidc`, or
    /// the plan's own name for a staged cut-over).
    pub fn for_plan(plan: &crate::plan::Plan) -> Option<Self> {
        Self::for_source(plan.source)
            .map(|p| Self::new(p.old, plan.deployment.backend_name.clone()))
    }

    /// The old provider's rows and Kanidm's share a provider name and differ only by uid.
    pub fn shared(&self) -> bool {
        self.old == self.new
    }

    /// How people call the old login, for messages.
    pub fn old_label(&self) -> &'static str {
        if self.old == "keycloak" {
            "Keycloak"
        } else {
            "the old OpenID Connect provider"
        }
    }
}

/// Larger than any export or person list NetBox or Kanidm prints for a real site.
pub const MAX_INPUT: u64 = 256 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_follow_the_source() {
        assert_eq!(
            LinkProviders::for_source(SourceIdp::Keycloak),
            Some(LinkProviders::new("keycloak", "oidc"))
        );
        let authentik = LinkProviders::for_source(SourceIdp::Authentik).unwrap();
        assert!(authentik.shared());
        assert_eq!(LinkProviders::for_source(SourceIdp::None), None);
    }
}
