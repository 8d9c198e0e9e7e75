//! Welcome: what will and will not happen, and a plan saved earlier offered for resuming.

use super::form::Answers;
use super::{Turn, moved};
use crate::app::step::Step;
use crate::keymap::Action;
use crate::plan::PlanDraft;
use crate::plan::field::Choice;
use std::path::PathBuf;

/// A saved plan found at start-up, offered on the Welcome screen.
#[derive(Debug, Clone)]
pub struct ResumeOffer {
    pub path: PathBuf,
    pub draft: PlanDraft,
}

/// The Welcome screen's state.
#[derive(Debug, Clone, Default)]
pub struct Welcome {
    pub resume: Option<ResumeOffer>,
    /// Index into [`RESUME`].
    pub choice: usize,
}

/// What to do with a saved plan.
pub const RESUME: &[Choice] = &[
    Choice {
        value: "resume",
        label: "Resume the saved plan",
        explanation: "answers filled in from the file",
    },
    Choice {
        value: "fresh",
        label: "Start a new plan",
        explanation: "the saved file is left alone",
    },
];

/// The label above the choice.
pub const RESUME_LABEL: &str = "A saved plan was found";

impl Welcome {
    pub fn resume_selected(&self) -> bool {
        self.resume.is_some() && RESUME.get(self.choice).is_some_and(|c| c.value == "resume")
    }
}

pub fn on_action(welcome: &mut Welcome, answers: &mut Answers, action: Action) -> Turn {
    match action {
        Action::ChoicePrev | Action::ChoiceNext if welcome.resume.is_some() => {
            let down = action == Action::ChoiceNext;
            welcome.choice = moved(welcome.choice, RESUME.len(), down);
            Turn::default()
        }
        Action::Next => {
            let mut turn = Turn::go(Step::Source);
            if welcome.resume_selected()
                && let Some(offer) = welcome.resume.take()
            {
                answers.replace(offer.draft);
                turn.changed = true;
                turn.notice = Some(format!("Resumed the plan in {}", offer.path.display()));
            }
            turn
        }
        _ => Turn::default(),
    }
}
