//! Side effects as values: `update` returns them, the runtime performs them and answers with a
//! [`super::Msg`]. Nothing here does I/O itself, so flow tests can assert on them.

use crate::checks::CheckId;
use crate::generate::writer::PlannedFile;
use crate::plan::Plan;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long typing must pause before the checks restart.
pub const DEBOUNCE: Duration = Duration::from_millis(400);

#[derive(Debug, Clone)]
pub enum Effect {
    /// Send `Msg::DebounceElapsed(gen)` after `after`; a newer debounce replaces an older one.
    Debounce {
        generation: u64,
        after: Duration,
    },
    /// Cancel the running checks (if any) and start the checks of `plan` as run `run`: all of
    /// them, or only those in `only` when just one side's answers are valid yet.
    StartChecks {
        run: u64,
        plan: Arc<Plan>,
        only: Option<BTreeSet<CheckId>>,
    },
    /// Cancel the running checks.
    CancelChecks,
    /// Compare the generated files with the output directory (reads only).
    PlanFiles {
        generation: u64,
        dir: PathBuf,
        files: Vec<crate::generate::GeneratedFile>,
    },
    /// Write the planned files, backing up what is overwritten.
    WriteFiles {
        planned: Vec<PlannedFile>,
    },
    /// Save the answers as a plan file.
    SavePlan {
        path: PathBuf,
        toml: String,
    },
    /// Read the inspect view's clients (REST, file or the saved standard input), parse them and
    /// work out their drift from `plan`; answers `Msg::Inspect(InspectMsg::Loaded{generation,..})`.
    LoadClients {
        generation: u64,
        source: crate::inspect::Source,
        plan: Option<Arc<Plan>>,
    },
    /// Stop the inspect view's read in flight (the view was closed).
    CancelLoadClients,
    /// Read NetBox's saved export and Kanidm's persons and parse them, off the UI thread;
    /// answers `Msg::UsersLoaded`.
    LoadUsers {
        generation: u64,
        export: PathBuf,
        persons: PersonsFrom,
        /// The picks an earlier run wrote (`user-overrides.csv` in the output directory), read
        /// when none are made yet.
        saved_picks: Option<PathBuf>,
    },
    /// Put a non-secret value on the clipboard (OSC 52).
    Copy(String),
    /// Read NetBox's configuration and say what it sets up; answers `DeploymentMsg::Read`.
    ReadDeployment {
        generation: u64,
        paths: Vec<PathBuf>,
        env_file: Option<PathBuf>,
    },
    /// Read the plan's deployment again and plan its patch (nothing is written); answers
    /// `DeploymentMsg::Planned`.
    PlanPatch {
        generation: u64,
        plan: Arc<Plan>,
    },
    /// Write the reviewed patch, a backup beside each file; answers `DeploymentMsg::Applied`.
    ApplyPatch {
        patch: Arc<crate::deploy::apply::PreparedPatch>,
    },
    Quit,
}

/// Where the Users screen reads Kanidm's persons.
#[derive(Debug, Clone)]
pub enum PersonsFrom {
    /// A saved `kanidm person list -o json` (or the REST answer).
    File(PathBuf),
    /// `GET /v1/person` with the kanidm CLI's cached login.
    Live(Box<crate::inspect::Live>),
}
