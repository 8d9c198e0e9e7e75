//! One module per screen: its state, its keys and its update. A screen's functions work on its
//! own state and the parts of the model they are given, and answer with a [`Turn`]: effects to
//! run, the step to show next, whether the answers changed, a notice. `app::update` joins them.
//!
//! The four form screens (Source, Kanidm, NetBox, Options) share their state, the answers, and
//! their keys ([`form`]); their own modules hold what differs (headings, the release a check
//! offers, the PKCE note).

pub mod checks;
pub mod done;
pub mod explain;
pub mod form;
pub mod inspect;
pub mod kanidm;
pub mod netbox;
pub mod options;
pub mod review;
pub mod source;
pub mod user_commands;
pub mod users;
pub mod welcome;
pub mod write;

use super::effect::Effect;
use super::step::Step;
use crate::plan::Field;

/// What a screen asks of the wizard after a key or a message, besides its own state changes.
#[derive(Debug, Default)]
pub struct Turn {
    pub effects: Vec<Effect>,
    /// Show this step next (its first field focused).
    pub go: Option<Step>,
    /// Then focus this focusable of the step, by index.
    pub focus: Option<usize>,
    /// The answers changed: validate them again and restart the checks.
    pub changed: bool,
    /// One line of feedback.
    pub notice: Option<String>,
}

impl Turn {
    pub fn go(step: Step) -> Self {
        Self {
            go: Some(step),
            ..Self::default()
        }
    }

    pub fn changed() -> Self {
        Self {
            changed: true,
            ..Self::default()
        }
    }

    pub fn notice(notice: impl Into<String>) -> Self {
        Self {
            notice: Some(notice.into()),
            ..Self::default()
        }
    }

    pub fn effects(effects: Vec<Effect>) -> Self {
        Self {
            effects,
            ..Self::default()
        }
    }
}

/// The index one up or down a list of `len` items, kept inside the list (unchanged when it is
/// empty): every list selection and pick-one choice moves this way.
pub fn moved(index: usize, len: usize, down: bool) -> usize {
    match (len, down) {
        (0, _) => index,
        (_, true) => (index + 1).min(len - 1),
        (_, false) => index.saturating_sub(1),
    }
}

/// The screen heading of a form: a title and one line of why.
#[derive(Debug, Clone, Copy)]
pub struct Heading {
    pub title: &'static str,
    pub intro: &'static str,
}

/// The heading of a form step.
pub fn heading(step: Step) -> Heading {
    match step {
        Step::Source => source::HEADING,
        Step::Kanidm => kanidm::HEADING,
        Step::NetBox => netbox::HEADING,
        _ => options::HEADING,
    }
}

/// The release offer (F2) of a version field, if a check reads one for it.
pub fn offer(field: Field) -> Option<&'static form::Offer> {
    [&kanidm::VERSION_OFFER, &netbox::VERSION_OFFER]
        .into_iter()
        .find(|o| o.field == field)
}
