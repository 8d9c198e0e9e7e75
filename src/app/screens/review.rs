//! Review: the answers, what the checks found, what is still missing (with a jump to it), and
//! every output file with its disposition and a diff that scrolls both ways. When the plan names
//! NetBox's configuration, its patch joins the list: each file it changes with its (redacted)
//! diff, the instructions for what nbsso does not change itself, and why each setting went where.

use super::form::Answers;
use super::{Turn, moved};
use crate::app::effect::Effect;
use crate::app::step::{Focusable, Step};
use crate::deploy::apply::PreparedPatch;
use crate::deploy::patch::{FilePatch, Instruction};
use crate::generate::writer::{Disposition, PlannedFile};
use crate::keymap::Action;
use crate::plan::Plan;
use std::sync::Arc;

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
    /// The patch of NetBox's configuration.
    pub patch: PatchState,
}

/// The patch of the deployment the plan names.
#[derive(Debug, Clone, Default)]
pub enum PatchState {
    /// The plan names no deployment: only the output files are written.
    #[default]
    None,
    Planning,
    Ready(Arc<PreparedPatch>),
    /// Why it cannot be patched (a file that no longer reads, a staged cut-over Helm cannot do).
    Failed(String),
}

/// One row of the review's list.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Output(&'a PlannedFile),
    /// A file of NetBox's configuration the patch changes or creates.
    Patch(&'a FilePatch),
    /// A change nbsso does not make itself (a generated file's source, a Kubernetes Secret).
    Instruction(&'a Instruction),
    /// Why each setting went where it went (an env file, a new file that wins).
    Why(&'a [String]),
    /// NetBox's configuration is being read again for its patch.
    Pending,
    /// Why NetBox's configuration cannot be patched.
    Problem(&'a str),
}

impl Entry<'_> {
    /// What the pane shows: the diff, the instruction, or the reasons one per line.
    pub fn text(&self) -> String {
        match self {
            Self::Output(f) => f.diff.clone(),
            Self::Patch(f) => f.diff.clone(),
            Self::Instruction(i) => i.text.clone(),
            Self::Why(notes) => notes.join("\n"),
            Self::Pending => "Reading NetBox's configuration again to plan its patch…".into(),
            Self::Problem(e) => format!(
                "{e}\n\nNothing will be written to NetBox's configuration. Fix it on the Source screen (PgUp), or empty the path there to write only the files."
            ),
        }
    }

    /// Whether the pane wraps the text (prose), rather than scrolling it sideways (a diff).
    pub fn wraps(&self) -> bool {
        matches!(self, Self::Why(_) | Self::Problem(_) | Self::Pending)
    }

    /// Rows the text takes in the pane: a reason wraps (counted at a narrow pane, so the end
    /// can always be scrolled to), a diff line does not (it scrolls sideways).
    pub fn rows(&self) -> usize {
        match self {
            Self::Why(_) | Self::Problem(_) => self
                .text()
                .lines()
                .map(|n| n.chars().count().div_ceil(WHY_WIDTH).max(1))
                .sum(),
            other => other.text().lines().count(),
        }
    }
}

/// The narrowest a reason is wrapped at, for the scroll's limit.
const WHY_WIDTH: usize = 36;

impl Review {
    pub fn planned(&self) -> &[PlannedFile] {
        match &self.files {
            Some(Ok(files)) => files,
            _ => &[],
        }
    }

    /// The patch, once planned.
    pub fn patch(&self) -> Option<&PreparedPatch> {
        match &self.patch {
            PatchState::Ready(p) => Some(p),
            _ => None,
        }
    }

    /// The list: the output files, then the deployment's files, instructions and reasons.
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let mut out: Vec<Entry> = self.planned().iter().map(Entry::Output).collect();
        match &self.patch {
            PatchState::None => {}
            PatchState::Planning => out.push(Entry::Pending),
            PatchState::Failed(e) => out.push(Entry::Problem(e)),
            PatchState::Ready(p) => {
                out.extend(p.outcome.files.iter().map(Entry::Patch));
                out.extend(p.outcome.instructions.iter().map(Entry::Instruction));
                if !p.outcome.notes.is_empty() {
                    out.push(Entry::Why(&p.outcome.notes));
                }
            }
        }
        out
    }

    /// The text of the selected entry; empty while nothing is planned.
    pub fn selected_diff(&self) -> String {
        self.entries()
            .get(self.selected)
            .map(Entry::text)
            .unwrap_or_default()
    }

    /// The existing files of NetBox's configuration the patch replaces (each backed up first).
    pub fn patched_existing(&self) -> Vec<&FilePatch> {
        self.patch()
            .map(|p| p.outcome.files.iter().filter(|f| f.old.is_some()).collect())
            .unwrap_or_default()
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
pub fn enter(review: &mut Review, plan: Option<&Arc<Plan>>) -> Vec<Effect> {
    review.generation += 1;
    review.files = None;
    review.patch = PatchState::None;
    review.reset_view();
    let Some(plan) = plan else {
        return Vec::new();
    };
    let mut effects = vec![Effect::PlanFiles {
        generation: review.generation,
        dir: plan.output_dir.clone(),
        files: crate::generate::generate(plan),
    }];
    // NetBox's configuration is read again: it may have changed since the Source screen read it.
    if !plan.deployment.paths.is_empty() {
        review.patch = PatchState::Planning;
        effects.push(Effect::PlanPatch {
            generation: review.generation,
            plan: plan.clone(),
        });
    }
    effects
}

/// The writer compared the files; an answer for an older review is dropped.
pub fn on_planned(review: &mut Review, generation: u64, result: Result<Vec<PlannedFile>, String>) {
    if generation == review.generation {
        review.files = Some(result);
        review.reset_view();
    }
}

/// The deployment's patch was planned; an answer for an older review is dropped.
pub fn on_patch_planned(
    review: &mut Review,
    generation: u64,
    result: Result<Arc<PreparedPatch>, String>,
) {
    if generation == review.generation {
        review.patch = match result {
            Ok(patch) => PatchState::Ready(patch),
            Err(e) => PatchState::Failed(e),
        };
    }
}

pub fn on_action(review: &mut Review, answers: &mut Answers, action: Action) -> Turn {
    match action {
        Action::SelectPrev | Action::SelectNext => {
            review.scroll = 0;
            review.hscroll = 0;
            let down = action == Action::SelectNext;
            review.selected = moved(review.selected, review.entries().len(), down);
        }
        Action::ScrollUp => review.scroll = review.scroll.saturating_sub(5),
        Action::ScrollDown => {
            let lines = review.entries().get(review.selected).map_or(0, Entry::rows);
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
            match &review.patch {
                PatchState::Planning => {
                    return Turn::notice("NetBox's configuration is still being read");
                }
                PatchState::Failed(_) => {
                    return Turn::notice(
                        "NetBox's configuration cannot be patched (see above): fix it on the Source screen (PgUp), or empty its path there to write only the files",
                    );
                }
                PatchState::None | PatchState::Ready(_) => {}
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
