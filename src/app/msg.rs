//! Everything that can happen to the wizard, as values: input, timers and background results.

use crate::checks::CheckEvent;
use crate::deploy::apply::{Applied, PreparedPatch};
use crate::generate::writer::{PlannedFile, WrittenFile};
use crossterm::event::KeyEvent;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press (or repeat); releases never arrive here.
    Key(KeyEvent),
    /// Bracketed paste into the focused field.
    Paste(String),
    Resize(u16, u16),
    /// Drives the spinners; sent only while a check runs.
    Tick,
    /// The debounce timer with this generation ran out.
    DebounceElapsed(u64),
    /// A check of some run moved on; stale runs are dropped by `update`.
    Check(CheckEvent),
    /// The review's file plan (generation, result).
    Planned(u64, Result<Vec<PlannedFile>, String>),
    /// The writer finished.
    Written(Result<Vec<WrittenFile>, String>),
    /// The plan was saved (or not).
    PlanSaved(Result<PathBuf, String>),
    /// The Users screen's inputs were read and parsed (generation, result).
    UsersLoaded(u64, Result<super::screens::users::Loaded, String>),
    /// The inspect view's clients were read (or not).
    Inspect(super::screens::inspect::InspectMsg),
    /// NetBox's configuration was read, its patch planned or written.
    Deployment(DeploymentMsg),
}

/// Reading and patching NetBox's configuration (the Source, Review and Write steps).
#[derive(Debug, Clone)]
pub enum DeploymentMsg {
    /// What the read numbered `generation` found, or why it could not read.
    Read {
        generation: u64,
        result: Result<Arc<super::screens::source::Found>, String>,
    },
    /// The review's patch (review `generation`).
    Planned {
        generation: u64,
        result: Result<Arc<PreparedPatch>, String>,
    },
    /// The patch was written, or why not.
    Applied(Result<Applied, String>),
}
