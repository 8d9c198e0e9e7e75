//! Review: the answers, what the checks found, what is still missing (with a jump to it), and
//! every output file with its disposition and a diff that scrolls both ways.

use super::form::Answers;
use super::{Turn, moved};
use crate::app::effect::Effect;
use crate::app::step::{Focusable, Step};
use crate::generate::writer::{Disposition, PlannedFile};
use crate::keymap::Action;
use crate::plan::Plan;

/// Columns one ←/→ moves the diff.
const HSCROLL_STEP: u16 = 10;

/// The review: the file plan from the writer, and which diff is shown.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub generation: u64,
    /// `None` while the output directory is being compared.
    pub files: Option<Result<Vec<PlannedFile>, String>>,
    pub selected: usize,
    pub scroll: u16,
    /// Columns the diff is scrolled sideways, for lines wider than the pane.
    pub hscroll: u16,
}

impl Review {
    pub fn planned(&self) -> &[PlannedFile] {
        match &self.files {
            Some(Ok(files)) => files,
            _ => &[],
        }
    }

    /// The diff of the selected file; empty while nothing is planned.
    pub fn selected_diff(&self) -> &str {
        self.planned()
            .get(self.selected)
            .map_or("", |f| f.diff.as_str())
    }

    pub fn overwrites(&self) -> Vec<&PlannedFile> {
        self.planned()
            .iter()
            .filter(|f| f.disposition == Disposition::Overwrite)
            .collect()
    }

    fn reset_view(&mut self) {
        self.selected = 0;
        self.scroll = 0;
        self.hscroll = 0;
    }
}

/// Entering the review: the files are generated and compared with the output directory again.
pub fn enter(review: &mut Review, plan: Option<&Plan>) -> Vec<Effect> {
    review.generation += 1;
    review.files = None;
    review.reset_view();
    match plan {
        Some(plan) => vec![Effect::PlanFiles {
            generation: review.generation,
            dir: plan.output_dir.clone(),
            files: crate::generate::generate(plan),
        }],
        None => Vec::new(),
    }
}

/// The writer compared the files; an answer for an older review is dropped.
pub fn on_planned(review: &mut Review, generation: u64, result: Result<Vec<PlannedFile>, String>) {
    if generation == review.generation {
        review.files = Some(result);
        review.reset_view();
    }
}

pub fn on_action(review: &mut Review, answers: &mut Answers, action: Action) -> Turn {
    match action {
        Action::SelectPrev | Action::SelectNext => {
            review.scroll = 0;
            review.hscroll = 0;
            let down = action == Action::SelectNext;
            review.selected = moved(review.selected, review.planned().len(), down);
        }
        Action::ScrollUp => review.scroll = review.scroll.saturating_sub(5),
        Action::ScrollDown => {
            let lines = review.selected_diff().lines().count();
            let max = u16::try_from(lines.saturating_sub(1)).unwrap_or(u16::MAX);
            review.scroll = review.scroll.saturating_add(5).min(max);
        }
        Action::ScrollLeft => review.hscroll = review.hscroll.saturating_sub(HSCROLL_STEP),
        Action::ScrollRight => {
            // No further than where the longest line's last column is still in view.
            let widest = review
                .selected_diff()
                .lines()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0);
            let max = u16::try_from(widest.saturating_sub(1)).unwrap_or(u16::MAX);
            review.hscroll = review.hscroll.saturating_add(HSCROLL_STEP).min(max);
        }
        Action::JumpToMissing => return jump_to_missing(answers),
        Action::Next => {
            if !answers.missing().is_empty() {
                return Turn::notice(
                    "Some answers are still missing or invalid: press m to go to the first one",
                );
            }
            if !matches!(review.files, Some(Ok(_))) {
                return Turn::notice("The output files are not ready yet");
            }
            return Turn::go(Step::Write);
        }
        _ => {}
    }
    Turn::default()
}

/// `m`: to the first missing or invalid answer, its problems shown.
fn jump_to_missing(answers: &mut Answers) -> Turn {
    let target = answers
        .missing()
        .iter()
        .find_map(|p| p.key.and_then(|field| Some((Step::asking(field)?, field))));
    let Some((step, field)) = target else {
        return Turn::default();
    };
    answers.visited.insert(step);
    Turn {
        go: Some(step),
        focus: step
            .focusables(false)
            .iter()
            .position(|f| *f == Focusable::Field(field)),
        ..Turn::default()
    }
}
