//! The two terminal UIs as the command line starts them: the wizard, and `nbsso inspect`'s view.
//! Both run on the process's one async runtime, restore the terminal on every way out, and end
//! with a code from the exit-code table.

use super::clipboard::Osc52;
use super::{EventLoop, Outcome, terminal};
use crate::app::model::ResumeOffer;
use crate::app::screens::inspect::Inspect;
use crate::app::{Config, Model};
use crate::exit::Code;
use crate::inspect::Source;
use crate::plan::{PLAN_FILE, Plan, PlanDraft};
use crate::theme::Theme;
use crossterm::event::{Event, EventStream, KeyCode};
use futures_util::StreamExt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// The process's async runtime, for the checks, Kanidm's REST API and the terminal UIs.
pub fn async_runtime() -> io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// A saved plan in the default output directory, offered for resuming.
pub fn find_resume() -> (Option<ResumeOffer>, Option<String>) {
    let path = PathBuf::from(PlanDraft::default().output.dir).join(PLAN_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return (None, None);
    };
    match PlanDraft::from_toml(&text) {
        Ok(draft) => (Some(ResumeOffer { path, draft }), None),
        Err(e) => (
            None,
            Some(format!(
                "{} could not be read as a plan: {e}",
                path.display()
            )),
        ),
    }
}

/// A hook for the end-to-end suite: with `NBSSO_INJECT_PANIC` set, F12 panics on whatever screen
/// is shown, to prove the panic hook restores the terminal from each. Nothing else panics on
/// purpose; without the variable F12 is an ordinary key.
#[allow(clippy::panic)]
fn injected_panic() -> ! {
    panic!("injected panic (NBSSO_INJECT_PANIC is set)")
}

/// `nbsso` with no command: the wizard.
pub fn run_wizard(runtime: &Runtime) -> Code {
    use std::io::IsTerminal;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        eprintln!(
            "nbsso: the wizard needs a terminal. Without one, `nbsso --accessible < answers.txt` takes \
             its answers from a file, `nbsso generate --plan FILE` writes the migration files and \
             `nbsso check --plan FILE` checks the live servers; see `nbsso --help`."
        );
        return Code::Usage;
    }
    finish(runtime.block_on(wizard()), |()| Code::Ok)
}

/// `nbsso inspect` on a terminal: the inspect view on its own. The exit code has the report's
/// meaning for the state the view ends in (see [`Inspect::exit_code`]).
pub fn run_inspect(
    runtime: &Runtime,
    source: Source,
    plan: Option<Arc<Plan>>,
    plan_label: Option<String>,
    client: Option<String>,
) -> Code {
    let inspect = Inspect::new(source, plan, plan_label, client, false);
    let (model, read) = Model::inspect_only(
        Config {
            theme: Theme::from_env(),
            ..Config::default()
        },
        inspect,
    );
    finish(runtime.block_on(inspect_view(model, read)), |model| {
        model
            .inspect
            .as_ref()
            .map_or(Code::Unreachable, Inspect::exit_code)
    })
}

/// The exit code of a terminal UI that ended: `done` says what a normal end means.
fn finish<T>(result: io::Result<(Outcome, T)>, done: impl FnOnce(T) -> Code) -> Code {
    match result {
        Ok((Outcome::Quit | Outcome::InputClosed, value)) => done(value),
        Ok((Outcome::Signal(n), _)) => Code::from_signal(n),
        Err(e) => {
            eprintln!("nbsso: the terminal failed: {e}");
            Code::Internal
        }
    }
}

/// SIGTERM, SIGHUP and SIGINT as a message to the loop, which then returns (and the guard restores
/// the terminal).
fn stop_signals() -> io::Result<mpsc::UnboundedReceiver<i32>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (stop_tx, stop_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Ctrl-C is a key in raw mode; SIGINT only comes from `kill -INT`.
        let n = tokio::select! {
            _ = term.recv() => 15,
            _ = hup.recv() => 1,
            _ = int.recv() => 2,
        };
        let _ = stop_tx.send(n);
    });
    Ok(stop_rx)
}

async fn inspect_view(
    mut model: Model,
    read: Vec<crate::app::Effect>,
) -> io::Result<(Outcome, Model)> {
    let stop = stop_signals()?;
    let (_guard, terminal) = terminal::TerminalGuard::enter()?;
    let outcome = EventLoop::new(terminal, EventStream::new(), stop)
        .with_clipboard(Arc::new(Osc52::stdout()))
        .run(&mut model, read)
        .await?;
    Ok((outcome, model))
}

async fn wizard() -> io::Result<(Outcome, ())> {
    let (resume, problem) = find_resume();
    let stop = stop_signals()?;
    let (_guard, terminal) = terminal::TerminalGuard::enter()?;
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let mut model = Model::new(Config {
        resume,
        theme: Theme::from_env(),
        size,
        notice: problem,
        ..Config::default()
    });
    let inject = std::env::var_os("NBSSO_INJECT_PANIC").is_some();
    let events = EventStream::new().inspect(move |event| {
        if inject && matches!(event, Ok(Event::Key(k)) if k.code == KeyCode::F(12)) {
            injected_panic();
        }
    });
    let outcome = EventLoop::new(terminal, events, stop)
        .with_clipboard(Arc::new(Osc52::stdout()))
        .run(&mut model, Vec::new())
        .await?;
    Ok((outcome, ()))
}
