//! The Source screen: where NetBox logs in today, and where its configuration is. As soon as the
//! configuration's path is valid the runtime reads it (`Effect::ReadDeployment`, never here);
//! what it found shows in place and pre-selects the old login, which the user can still change.
//! A staged cut-over from a generic-OIDC login needs a backend name of Kanidm's own (F2 offers
//! `kanidm`). It decides how users' existing NetBox accounts are matched after the move.

mod found;
pub mod panel;

pub use found::{Found, FoundFile, FoundSetting};

use super::form::{self, Answers};
use super::{Heading, Turn};
use crate::app::effect::Effect;
use crate::app::step::{Focusable, Step};
use crate::keymap::Action;
use crate::plan::{Field, OIDC_BACKEND, PlanDraft, SourceIdp, Stage};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub const HEADING: Heading = Heading {
    title: "Source: where NetBox logs in today",
    intro: "Choose the old login, or give NetBox's configuration and nbsso reads it.",
};

/// The backend name offered for Kanidm beside an old login that uses `oidc`.
pub const STAGED_BACKEND: &str = "kanidm";

/// What the screen asked the runtime to read: the configuration paths and the env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub paths: Vec<PathBuf>,
    pub env_file: Option<PathBuf>,
}

/// The newest read.
#[derive(Debug, Clone, Default)]
pub enum Read {
    /// No configuration named.
    #[default]
    Nothing,
    Reading,
    Found(Arc<Found>),
    /// Why it could not be read (file:line:column for a file that is not valid Python).
    Failed(String),
}

/// The Source screen's own state (its answers are the form's).
#[derive(Debug, Clone, Default)]
pub struct SourceScreen {
    /// The paths last sent to be read; a change starts a new read.
    target: Option<Target>,
    /// The number of the newest read; answers of older reads are dropped.
    pub generation: u64,
    pub read: Read,
    /// The old login the last read chose: a read changes the choice only while it is still this
    /// one (or the default), so the user's own choice stands.
    preselected: Option<String>,
    /// Rows the panel of findings is scrolled.
    pub scroll: u16,
    /// The values the last read filled in: a field is filled again only while it still holds
    /// what the read put there (or nothing), so text the user typed is never replaced.
    filled: BTreeMap<Field, String>,
}

impl SourceScreen {
    pub fn found(&self) -> Option<&Found> {
        match &self.read {
            Read::Found(found) => Some(found),
            _ => None,
        }
    }
}

/// The configuration to read, when its answers are valid.
fn target(answers: &Answers) -> Option<Target> {
    let draft = &answers.draft;
    let valid = |field| {
        answers
            .error_unconditional(Focusable::Field(field))
            .is_none()
    };
    if draft.deployment.paths.is_empty()
        || !valid(Field::DeploymentPaths)
        || !valid(Field::DeploymentEnvFile)
    {
        return None;
    }
    let env = draft.deployment.env_file.trim();
    Some(Target {
        paths: draft.deployment.paths.iter().map(PathBuf::from).collect(),
        env_file: (!env.is_empty()).then(|| PathBuf::from(env)),
    })
}

/// The answers changed: a new, valid configuration path (or env file) starts a read (the
/// runtime starts it once typing pauses).
pub fn answers_changed(screen: &mut SourceScreen, answers: &Answers) -> Vec<Effect> {
    let wanted = target(answers);
    if wanted == screen.target {
        return Vec::new();
    }
    screen.target = wanted.clone();
    screen.generation += 1;
    screen.scroll = 0;
    match wanted {
        None => {
            screen.read = Read::Nothing;
            Vec::new()
        }
        Some(target) => {
            screen.read = Read::Reading;
            vec![Effect::ReadDeployment {
                generation: screen.generation,
                paths: target.paths,
                env_file: target.env_file,
            }]
        }
    }
}

/// A read finished. An answer to an older read is dropped. The provider found pre-selects the
/// source unless the user chose another.
pub fn on_read(
    screen: &mut SourceScreen,
    answers: &mut Answers,
    generation: u64,
    result: Result<Arc<Found>, String>,
) -> Turn {
    if generation != screen.generation {
        return Turn::default();
    }
    let found = match result {
        Ok(found) => found,
        Err(e) => {
            screen.read = Read::Failed(e);
            return Turn::default();
        }
    };
    let provider = found.provider;
    let mut turn = Turn {
        changed: fill(screen, answers, &found),
        ..Turn::default()
    };
    screen.read = Read::Found(found);
    let key = provider.source().key();
    // The user's own choice stands: only the default, or what an earlier read chose, is replaced.
    let current = answers.draft.source.trim().to_string();
    let mut fresh = PlanDraft::default();
    Field::Source.reset(&mut fresh);
    let free = current == fresh.source || screen.preselected.as_deref() == Some(current.as_str());
    if !free {
        return turn;
    }
    screen.preselected = Some(key.to_string());
    if current != key {
        let index = Field::Source
            .choices()
            .iter()
            .position(|c| c.value == key)
            .unwrap_or(0);
        Field::Source.choose(&mut answers.draft, index);
        turn.changed = true;
        turn.notice = Some(format!(
            "Old login set to {}, as the files say (↑/↓ on its field changes it)",
            provider.source().label()
        ));
    }
    turn
}

/// Takes the values the deployment suggests into fields the user left alone.
fn fill(screen: &mut SourceScreen, answers: &mut Answers, found: &Found) -> bool {
    let wanted = [
        (
            Field::Configuration,
            found.prefill.configuration.clone().unwrap_or_default(),
        ),
        (Field::ExtraScopes, found.prefill.extra_scopes.join(", ")),
    ];
    let mut changed = false;
    for (field, value) in wanted {
        let current = field.text(&answers.draft);
        let ours = screen.filled.get(&field).is_some_and(|v| *v == current);
        let free = (current.trim().is_empty() || ours) && !answers.touched.contains(&field);
        if free && !value.is_empty() && value != current {
            answers.fill(field, value.clone());
            screen.filled.insert(field, value);
            changed = true;
        }
    }
    changed
}

/// The Source screen's keys: the panel scrolls, Next waits for a configuration that reads, and
/// the rest are the form's.
pub fn on_action(
    screen: &mut SourceScreen,
    focus: &mut usize,
    answers: &mut Answers,
    action: Action,
    size: (u16, u16),
) -> Turn {
    match action {
        Action::ScrollUp => {
            screen.scroll = screen.scroll.saturating_sub(3);
            Turn::default()
        }
        Action::ScrollDown => {
            // The focused panel's inside: the terminal less the screen's margins and the panel's
            // border (two columns), less the header, step bar, rule, heading, border, status line
            // and footer (nine rows).
            let (width, height) = (usize::from(size.0), usize::from(size.1));
            let rows = panel::rows(&panel::lines(screen, answers), width.saturating_sub(4));
            let max = rows.saturating_sub(height.saturating_sub(9));
            let max = u16::try_from(max).unwrap_or(u16::MAX);
            screen.scroll = screen.scroll.saturating_add(3).min(max);
            Turn::default()
        }
        Action::Next if matches!(screen.read, Read::Failed(_)) => {
            *focus = index_of(Field::DeploymentPaths);
            Turn::notice(
                "NetBox's configuration could not be read: fix the path, or empty it to write the files without patching it.",
            )
        }
        _ => form::on_action(Step::Source, focus, answers, action),
    }
}

fn index_of(field: Field) -> usize {
    Step::Source
        .focusables(false)
        .iter()
        .position(|f| *f == Focusable::Field(field))
        .unwrap_or(0)
}

/// Whether Kanidm needs a backend name of its own: both logins at once, the old one on `oidc`.
pub fn needs_own_backend(answers: &Answers) -> bool {
    let d = &answers.draft;
    let oidc_source = SourceIdp::parse(&d.source)
        .and_then(SourceIdp::backend_name)
        .is_some_and(|name| name == OIDC_BACKEND);
    Stage::parse(&d.deployment.stage) == Some(Stage::Both)
        && oidc_source
        && d.deployment.backend_name.trim() == OIDC_BACKEND
}

/// The line under the backend name field while it must change: what F2 does, and what the name
/// changes (the redirect URL Kanidm registers, the provider of the new user links).
pub fn backend_offer(answers: &Answers) -> Option<String> {
    needs_own_backend(answers).then(|| {
        let root = answers
            .plan
            .as_ref()
            .map(|p| p.netbox_root())
            .unwrap_or_else(|| {
                let url = answers.draft.netbox.url.trim().trim_end_matches('/');
                if url.is_empty() {
                    "…/".to_string()
                } else {
                    format!("{url}/")
                }
            });
        format!(
            "F2 uses {STAGED_BACKEND}: Kanidm's redirect URL becomes {root}oauth/complete/{STAGED_BACKEND}/ (kanidm-setup.sh, the checks and the user links follow it)"
        )
    })
}

/// F2 on the backend name: take the offered name.
pub fn take_backend_name(answers: &mut Answers) -> Turn {
    if !needs_own_backend(answers) {
        return Turn::notice(format!(
            "{OIDC_BACKEND} is fine here: a name of Kanidm's own is needed only for both logins beside an old oidc login."
        ));
    }
    let mut turn = answers.set(Field::DeploymentBackendName, STAGED_BACKEND.to_string());
    turn.notice = Some(format!(
        "Kanidm's backend is now {STAGED_BACKEND}: its redirect URL ends in oauth/complete/{STAGED_BACKEND}/."
    ));
    turn
}
