//! Performs [`Effect`]s: timers, check runs, the writer and the plan file. Every result comes back
//! as a [`Msg`] on the queue; blocking file work runs on tokio's blocking pool, never in the loop.

use super::clipboard::{Clipboard, Ignore};
use crate::app::msg::DeploymentMsg;
use crate::app::screens::inspect::InspectMsg;
use crate::app::screens::source::Found;
use crate::app::{Effect, Msg};
use crate::checks::{self, CheckEvent, RunHandle};
use crate::deploy::{self, apply, detect};
use crate::generate::writer;
use crate::generate::{FileKind, GeneratedFile};
use crate::inspect::{self, FailKind, LoadError, Loaded, Source};
use crate::plan::PLAN_FILE;
use crate::plan::Plan;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

pub struct Executor {
    tx: UnboundedSender<Msg>,
    check_tx: UnboundedSender<CheckEvent>,
    options: checks::Options,
    /// The running checks; dropping the handle cancels them.
    checks: Option<RunHandle>,
    /// The pending debounce timer; a newer one replaces it.
    debounce: Option<JoinHandle<()>>,
    /// The inspect view's read in flight; a newer read replaces it.
    inspect_load: Option<JoinHandle<()>>,
    /// The read of NetBox's configuration waiting to start; a newer one (the next key typed into
    /// its path) replaces it.
    deployment_read: Option<JoinHandle<()>>,
    /// The Users screen's read in flight; a newer read replaces it.
    users_load: Option<JoinHandle<()>>,
    /// Where copied values go.
    clipboard: Arc<dyn Clipboard>,
}

impl Executor {
    pub fn new(
        tx: UnboundedSender<Msg>,
        check_tx: UnboundedSender<CheckEvent>,
        options: checks::Options,
    ) -> Self {
        Self {
            tx,
            check_tx,
            options,
            checks: None,
            debounce: None,
            inspect_load: None,
            deployment_read: None,
            users_load: None,
            clipboard: Arc::new(Ignore),
        }
    }

    /// Copied values go to `clipboard` (by default they are dropped).
    pub fn with_clipboard(mut self, clipboard: Arc<dyn Clipboard>) -> Self {
        self.clipboard = clipboard;
        self
    }

    /// Runs one effect (never `Quit`: the loop handles that).
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Debounce { generation, after } => {
                if let Some(old) = self.debounce.take() {
                    old.abort();
                }
                let tx = self.tx.clone();
                self.debounce = Some(tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = tx.send(Msg::DebounceElapsed(generation));
                }));
            }
            Effect::StartChecks { run, plan, only } => {
                self.checks = None;
                let options = checks::Options {
                    only,
                    ..self.options.clone()
                };
                self.checks = Some(checks::start(plan, options, run, self.check_tx.clone()));
            }
            Effect::CancelChecks => self.checks = None,
            Effect::PlanFiles {
                generation,
                dir,
                files,
            } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = writer::plan_files(&dir, &files).map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Planned(generation, result));
                });
            }
            Effect::WriteFiles { planned } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let stamp = writer::timestamp_now();
                    let result = writer::write_files(&planned, &stamp).map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Written(result));
                });
            }
            Effect::SavePlan { path, toml } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::PlanSaved(save_plan(&path, toml)));
                });
            }
            Effect::LoadClients {
                generation,
                source,
                plan,
            } => {
                if let Some(old) = self.inspect_load.take() {
                    old.abort();
                }
                let tx = self.tx.clone();
                self.inspect_load = Some(tokio::spawn(async move {
                    let result = load_clients(source, plan).await;
                    let _ = tx.send(Msg::Inspect(InspectMsg::Loaded { generation, result }));
                }));
            }
            Effect::CancelLoadClients => {
                if let Some(load) = self.inspect_load.take() {
                    load.abort();
                }
            }
            Effect::LoadUsers {
                generation,
                export,
                persons,
                saved_picks,
            } => {
                if let Some(old) = self.users_load.take() {
                    old.abort();
                }
                let tx = self.tx.clone();
                self.users_load = Some(tokio::spawn(async move {
                    let result = super::users_load::load(
                        export,
                        persons,
                        saved_picks,
                        super::users_load::MAX_INPUT,
                    )
                    .await;
                    let _ = tx.send(Msg::UsersLoaded(generation, result));
                }));
            }
            Effect::Copy(text) => self.clipboard.copy(&text),
            Effect::ReadDeployment {
                generation,
                paths,
                env_file,
            } => {
                if let Some(old) = self.deployment_read.take() {
                    old.abort();
                }
                let tx = self.tx.clone();
                self.deployment_read = Some(tokio::spawn(async move {
                    // A path is typed a key at a time: read only once typing pauses.
                    tokio::time::sleep(READ_PAUSE).await;
                    let read = tokio::task::spawn_blocking(move || {
                        read_deployment(&paths, env_file.as_deref())
                    });
                    let result = read.await.unwrap_or_else(|e| {
                        Err(format!("the configuration could not be read: {e}"))
                    });
                    let _ = tx.send(Msg::Deployment(DeploymentMsg::Read { generation, result }));
                }));
            }
            Effect::PlanPatch { generation, plan } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = apply::prepare(&plan).map(Arc::new);
                    let _ = tx.send(Msg::Deployment(DeploymentMsg::Planned {
                        generation,
                        result,
                    }));
                });
            }
            Effect::ApplyPatch { patch } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = patch
                        .write(&writer::timestamp_now())
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Deployment(DeploymentMsg::Applied(result)));
                });
            }
            Effect::Quit => {}
        }
    }

    /// Stops everything still running (on quit).
    pub fn shutdown(&mut self) {
        self.checks = None;
        if let Some(d) = self.debounce.take() {
            d.abort();
        }
        if let Some(load) = self.inspect_load.take() {
            load.abort();
        }
        if let Some(read) = self.deployment_read.take() {
            read.abort();
        }
        if let Some(load) = self.users_load.take() {
            load.abort();
        }
    }
}

/// How long typing into the configuration's path must pause before it is read.
const READ_PAUSE: std::time::Duration = std::time::Duration::from_millis(150);

/// Reads and parses the clients, then works out every client's drift on the blocking pool (5,000
/// clients take milliseconds, which the loop must not spend).
async fn load_clients(source: Source, plan: Option<Arc<Plan>>) -> Result<Loaded, LoadError> {
    let (clients, from) = source.read().await?;
    tokio::task::spawn_blocking(move || Loaded {
        rows: inspect::prepare(clients, plan.as_deref()),
        from,
    })
    .await
    .map_err(|e| LoadError {
        kind: FailKind::Invalid,
        message: format!("the clients could not be compared with the plan: {e}"),
    })
}

/// Reads NetBox's configuration with `nbsso import`'s reader and sums up what it found.
pub fn read_deployment(paths: &[PathBuf], env_file: Option<&Path>) -> Result<Arc<Found>, String> {
    let dep = deploy::load(paths, env_file).map_err(|e| e.to_string())?;
    let findings = detect::detect(&dep);
    Ok(Arc::new(Found::new(&dep, &findings)))
}

/// Saves the plan through the writer, so an older plan file is backed up, not lost.
pub fn save_plan(path: &Path, toml: String) -> Result<PathBuf, String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = GeneratedFile {
        name: PLAN_FILE,
        kind: FileKind::Text,
        contents: toml,
        purpose: "the answers, to resume the wizard or run nbsso check",
    };
    let planned = writer::plan_files(dir, &[file]).map_err(|e| e.to_string())?;
    writer::write_files(&planned, &writer::timestamp_now()).map_err(|e| e.to_string())?;
    Ok(dir.join(PLAN_FILE))
}
