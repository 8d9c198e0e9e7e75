//! The wizard's screens in order, and what can take focus on each: the plan fields the field
//! table puts on the screen, in its Tab order.

use crate::plan::{Field, Group};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Welcome,
    Source,
    Kanidm,
    NetBox,
    Options,
    Checks,
    Users,
    Review,
    Write,
    Done,
}

/// Anything that can take focus on a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Focusable {
    /// A field of the plan, edited as its kind says (text, list, choice, toggle).
    Field(Field),
    /// Welcome: resume the saved plan, or start afresh.
    Resume,
    /// Source: what was found in NetBox's configuration (a panel that scrolls).
    Deployment,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Self::Welcome,
        Self::Source,
        Self::Kanidm,
        Self::NetBox,
        Self::Options,
        Self::Checks,
        Self::Users,
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
            Self::Users => "Users",
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

    /// The group of plan fields this screen asks for, if it is a form.
    pub fn group(self) -> Option<Group> {
        match self {
            Self::Source => Some(Group::Source),
            Self::Kanidm => Some(Group::Kanidm),
            Self::NetBox => Some(Group::NetBox),
            Self::Options => Some(Group::Options),
            _ => None,
        }
    }

    /// The steps whose answers go into the plan (they can be invalid).
    pub fn is_form(self) -> bool {
        self.group().is_some()
    }

    /// What can take focus on this step, in Tab order. `resume` says whether Welcome offers a plan.
    pub fn focusables(self, resume: bool) -> Vec<Focusable> {
        match (self, self.group()) {
            (Self::Welcome, _) if resume => vec![Focusable::Resume],
            (_, Some(group)) => {
                let mut fields: Vec<Focusable> = Field::asked_on(group)
                    .into_iter()
                    .map(Focusable::Field)
                    .collect();
                if self == Self::Source {
                    fields.push(Focusable::Deployment);
                }
                fields
            }
            _ => Vec::new(),
        }
    }

    /// The step that asks for a field; `None` for fields only a plan file sets.
    pub fn asking(field: Field) -> Option<Step> {
        let group = field.group()?;
        Self::ALL.into_iter().find(|s| s.group() == Some(group))
    }
}
