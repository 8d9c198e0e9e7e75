//! The user map: every user's outcome (`user-map.json`), the lock-out guard's verdict, and the data
//! `migrate-users.py` carries (who gets which new link, which account is renamed).

use super::LinkProviders;
use super::deploy::Deployment;
use super::export::NetBoxExport;
use super::matching::{MatchError, match_users};
use super::overrides::Override;
use super::persons::KanidmPerson;
use super::row::{State, UserRow, counts};
use serde::{Deserialize, Serialize};

/// The file `nbsso users match` writes beside `migrate-users.py`.
pub const MAP_FILE: &str = "user-map.json";
pub const MAP_VERSION: u32 = 1;

/// A new link apply adds: `(new provider, uid)` on the same NetBox user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkEntry {
    pub user_id: i64,
    /// The username at export time; apply skips the user when it changed since.
    pub username: String,
    /// The Kanidm person's UUID.
    pub uid: String,
    pub kanidm: String,
    #[serde(default)]
    pub old_uids: Vec<String>,
}

/// An account renamed from its Kanidm SPN to the short name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameEntry {
    pub user_id: i64,
    pub from: String,
    pub to: String,
}

/// A row apply created, as its result reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedRow {
    pub id: i64,
    pub user_id: i64,
    pub provider: String,
    pub uid: String,
}

/// What one apply changed, saved on the host from its result, so rollback undoes exactly that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackRecord {
    pub run: String,
    pub created: Vec<CreatedRow>,
    #[serde(default)]
    pub renamed: Vec<RenameEntry>,
}

/// The data inside `migrate-users.py`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptData {
    pub version: u32,
    /// False in the script `nbsso generate` writes before any matching: only `export` works.
    pub matched: bool,
    pub old_provider: String,
    pub new_provider: String,
    pub old_label: String,
    /// `SOCIAL_AUTH_OIDC_OIDC_ENDPOINT` for Kanidm, when the plan is known.
    #[serde(default)]
    pub kanidm_issuer: Option<String>,
    /// The endpoint configured at export time (the old provider's, when old and new share `oidc`).
    #[serde(default)]
    pub old_endpoint: Option<String>,
    /// The command that creates a local superuser, for the lock-out guard's message.
    pub create_superuser: String,
    #[serde(default)]
    pub links: Vec<LinkEntry>,
    #[serde(default)]
    pub renames: Vec<RenameEntry>,
    /// The Kanidm UUIDs of every linked user: cleanup keeps these rows.
    #[serde(default)]
    pub kanidm_uuids: Vec<String>,
    #[serde(default)]
    pub rollback: Option<RollbackRecord>,
}

impl ScriptData {
    /// The script's data before matching: it can export, and refuses the other actions.
    pub fn unmatched(
        providers: &LinkProviders,
        kanidm_issuer: Option<String>,
        deployment: Deployment,
    ) -> Self {
        Self {
            version: MAP_VERSION,
            matched: false,
            old_provider: providers.old.clone(),
            new_provider: providers.new.clone(),
            old_label: providers.old_label().into(),
            kanidm_issuer,
            old_endpoint: None,
            create_superuser: deployment.create_superuser(),
            links: Vec::new(),
            renames: Vec::new(),
            kanidm_uuids: Vec::new(),
            rollback: None,
        }
    }

    /// Reads the `script` part of a `user-map.json`.
    pub fn from_map_file(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct MapFile {
            script: ScriptData,
        }
        serde_json::from_str::<MapFile>(text)
            .map(|m| m.script)
            .map_err(|e| format!("not a user map written by nbsso users match: {e}"))
    }
}

/// Whether someone can still administer NetBox after the switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    pub ok: bool,
    /// Active superusers with a usable local password.
    pub usable_superusers: Vec<String>,
    /// Active superusers who keep their account through the Kanidm login.
    pub kanidm_superusers: Vec<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn guard(export: &NetBoxExport, rows: &[UserRow], create_superuser: &str) -> Guard {
    let usable: Vec<String> = export
        .users
        .iter()
        .filter(|u| u.superuser && u.active && u.usable_password)
        .map(|u| u.username.clone())
        .collect();
    let kanidm: Vec<String> = rows
        .iter()
        .filter(|r| r.superuser && r.active)
        .filter(|r| {
            r.state == State::Matched
                || (r.state == State::AlreadyLinked
                    && r.person.is_some()
                    && r.linked_user.as_ref().is_some_and(|l| l.id == r.id))
        })
        .map(|r| r.username.clone())
        .collect();
    let (ok, message, fix) = match (usable.is_empty(), kanidm.is_empty()) {
        (false, _) => (
            true,
            format!(
                "local superuser with a password: {} (the way back in if the Kanidm login fails)",
                usable.join(", ")
            ),
            None,
        ),
        (true, false) => (
            true,
            format!(
                "no superuser has a usable local password, but {} keeps superuser through the Kanidm login; \
                 a local one is still the safer way back in",
                kanidm.join(", ")
            ),
            Some(create_superuser.to_string()),
        ),
        (true, true) => (
            false,
            "no active superuser has a usable local password and no matched Kanidm person is a superuser: \
             after the switch nobody could administer NetBox. Create a local superuser first"
                .to_string(),
            Some(create_superuser.to_string()),
        ),
    };
    Guard {
        ok,
        usable_superusers: usable,
        kanidm_superusers: kanidm,
        message,
        fix,
    }
}

/// Everything `nbsso users match` writes to `user-map.json`.
#[derive(Debug, Clone, Serialize)]
pub struct UserMap {
    pub version: u32,
    pub generated_by: String,
    pub netbox_version: String,
    pub providers: LinkProviders,
    /// Users per state (states with nobody left out).
    pub counts: std::collections::BTreeMap<State, usize>,
    pub guard: Guard,
    pub warnings: Vec<String>,
    pub users: Vec<UserRow>,
    pub script: ScriptData,
}

/// What the map is built for, beyond the export and the persons.
#[derive(Debug, Clone)]
pub struct MapOptions {
    pub providers: LinkProviders,
    pub kanidm_issuer: Option<String>,
    pub deployment: Deployment,
    /// Rename SPN-named accounts to the short name.
    pub renames: bool,
}

pub fn build_map(
    export: &NetBoxExport,
    persons: &[KanidmPerson],
    overrides: &[Override],
    options: &MapOptions,
) -> Result<UserMap, MatchError> {
    let providers = &options.providers;
    let mut rows = match_users(export, persons, providers, overrides)?;
    if !options.renames {
        for row in &mut rows {
            row.rename_to = None;
        }
    }
    let create_superuser = options.deployment.create_superuser();
    let guard = guard(export, &rows, &create_superuser);
    let mut warnings = Vec::new();
    if export.associate_by_email {
        warnings.push(
            "SOCIAL_AUTH_PIPELINE contains associate_by_email: social-core links a login to any account with the \
             same e-mail on its own, and refuses the login (\"The given email address is associated with another \
             account\") when two accounts share one. The links below make it unnecessary: remove that step"
                .to_string(),
        );
    }
    let seen = export.old_provider();
    if !export.users.iter().all(|u| u.links.is_empty()) && seen != providers.old {
        warnings.push(format!(
            "the plan migrates from {} links, but this NetBox has {seen} links",
            providers.old
        ));
    }
    let script = ScriptData {
        matched: true,
        old_endpoint: export.oidc_endpoint.clone(),
        links: rows
            .iter()
            .filter(|r| r.state == State::Matched)
            .filter_map(|r| {
                let person = r.person.as_ref()?;
                Some(LinkEntry {
                    user_id: r.id,
                    username: r.username.clone(),
                    uid: person.uuid.clone(),
                    kanidm: person.name.clone(),
                    old_uids: r.old_uids.clone(),
                })
            })
            .collect(),
        renames: rows
            .iter()
            .filter_map(|r| {
                Some(RenameEntry {
                    user_id: r.id,
                    from: r.username.clone(),
                    to: r.rename_to.clone()?,
                })
            })
            .collect(),
        kanidm_uuids: rows
            .iter()
            .filter(|r| {
                matches!(
                    r.state,
                    State::Matched | State::AlreadyLinked | State::Stray
                )
            })
            .filter_map(|r| r.person.as_ref().map(|p| p.uuid.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        ..ScriptData::unmatched(providers, options.kanidm_issuer.clone(), options.deployment)
    };
    Ok(UserMap {
        version: MAP_VERSION,
        generated_by: format!("nbsso {}", env!("CARGO_PKG_VERSION")),
        netbox_version: export.netbox_version.clone(),
        providers: providers.clone(),
        counts: counts(&rows).into_iter().collect(),
        guard,
        warnings,
        users: rows,
        script,
    })
}
