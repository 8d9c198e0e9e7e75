//! Write: a confirmation naming every file that would be overwritten (No is the default then);
//! Yes hands the reviewed files to the writer, then the reviewed patch of NetBox's configuration;
//! No goes back to the review.

use super::Turn;
use super::review::{PatchState, Review};
use crate::app::effect::Effect;
use crate::app::step::Step;
use crate::deploy::apply::Applied;
use crate::generate::writer::WrittenFile;
use crate::keymap::Action;

/// The Write screen's confirmation.
#[derive(Debug, Clone, Default)]
pub struct WriteState {
    /// Yes is selected; defaults to No when anything would be overwritten.
    pub yes: bool,
    pub writing: bool,
    pub error: Option<String>,
}

/// Entering the confirmation: Yes only when nothing would be overwritten (a patched file of
/// NetBox's configuration counts).
pub fn enter(write: &mut WriteState, review: &Review) {
    write.yes = review.overwrites().is_empty() && review.patched_existing().is_empty();
    write.error = None;
}

/// The output files are written: next the patch, when the review planned one that changes files.
pub fn after_written(write: &mut WriteState, review: &Review) -> Turn {
    match &review.patch {
        PatchState::Ready(patch) if !patch.outcome.files.is_empty() => {
            write.writing = true;
            Turn::effects(vec![Effect::ApplyPatch {
                patch: patch.clone(),
            }])
        }
        _ => Turn::go(Step::Done),
    }
}

/// The patch was written (on to Done), or why not (stay: the output files are written already).
pub fn on_applied(write: &mut WriteState, result: Result<Applied, String>) -> Option<Applied> {
    write.writing = false;
    match result {
        Ok(applied) => Some(applied),
        Err(e) => {
            write.error = Some(format!(
                "the output files are written, but NetBox's configuration is not patched: {e}"
            ));
            None
        }
    }
}

pub fn on_action(write: &mut WriteState, review: &Review, action: Action) -> Turn {
    match action {
        Action::Toggle => {
            write.yes = !write.yes;
            Turn::default()
        }
        Action::Confirm if write.writing => Turn::default(),
        // Back to the review, with the dispositions read again (a failed write may have changed
        // some files).
        Action::Confirm if !write.yes => Turn::go(Step::Review),
        Action::Confirm => {
            write.writing = true;
            write.error = None;
            Turn::effects(vec![Effect::WriteFiles {
                planned: review.planned().to_vec(),
            }])
        }
        _ => Turn::default(),
    }
}

/// The writer finished: the files written (on to Done), or why not (stay, with the message).
pub fn on_written(
    write: &mut WriteState,
    result: Result<Vec<WrittenFile>, String>,
) -> Option<Vec<WrittenFile>> {
    write.writing = false;
    match result {
        Ok(files) => {
            write.error = None;
            Some(files)
        }
        Err(e) => {
            write.error = Some(e);
            None
        }
    }
}
