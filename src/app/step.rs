//! The wizard's screens in order, and what can take focus on each.

use super::field::{ChoiceId, FieldId, Focusable, ToggleId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Welcome,
    Source,
    Kanidm,
    NetBox,
    Options,
    Checks,
    Review,
    Write,
    Done,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Self::Welcome,
        Self::Source,
        Self::Kanidm,
        Self::NetBox,
        Self::Options,
        Self::Checks,
        Self::Review,
        Self::Write,
        Self::Done,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Welcome => "Welcome",
            Self::Source => "Source",
            Self::Kanidm => "Kanidm",
            Self::NetBox => "NetBox",
            Self::Options => "Options",
            Self::Checks => "Checks",
            Self::Review => "Review",
            Self::Write => "Write",
            Self::Done => "Done",
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn next(self) -> Option<Step> {
        Self::ALL.get(self.index() + 1).copied()
    }

    pub fn prev(self) -> Option<Step> {
        self.index()
            .checked_sub(1)
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// The steps whose answers go into the plan (they can be invalid).
    pub fn is_form(self) -> bool {
        matches!(
            self,
            Self::Source | Self::Kanidm | Self::NetBox | Self::Options
        )
    }

    /// What can take focus on this step, in Tab order. `resume` says whether Welcome offers a plan.
    pub fn focusables(self, resume: bool) -> Vec<Focusable> {
        use FieldId as F;
        match self {
            Self::Welcome if resume => vec![Focusable::Choice(ChoiceId::Resume)],
            Self::Source => vec![Focusable::Choice(ChoiceId::Source)],
            Self::Kanidm => [
                F::KanidmOrigin,
                F::CaFile,
                F::Client,
                F::DisplayName,
                F::Admin,
                F::Group,
                F::Members,
                F::KanidmVersion,
            ]
            .into_iter()
            .map(Focusable::Text)
            .collect(),
            Self::NetBox => [
                F::NetboxUrl,
                F::BasePath,
                F::NetboxVersion,
                F::SecretFile,
                F::Configuration,
            ]
            .into_iter()
            .map(Focusable::Text)
            .collect(),
            Self::Options => vec![
                Focusable::Choice(ChoiceId::Pkce),
                Focusable::Toggle(ToggleId::ShortUsernames),
                Focusable::Toggle(ToggleId::ConsentPrompt),
                Focusable::Toggle(ToggleId::RedirectIsHttps),
                Focusable::Text(F::ButtonLabel),
                Focusable::Text(F::ButtonIcon),
                Focusable::Text(F::OutputDir),
            ],
            _ => Vec::new(),
        }
    }

    /// The step a plan problem's dotted field belongs to, if the wizard asks for it.
    pub fn of_problem_field(field: &str) -> Option<(Step, Focusable)> {
        for step in Self::ALL {
            for f in step.focusables(false) {
                if f.covers(field) {
                    return Some((step, f));
                }
            }
        }
        None
    }
}
