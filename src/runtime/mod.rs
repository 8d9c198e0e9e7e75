//! Runs the wizard: the terminal guard, input and signals in, effects out. The loop waits on the
//! message queue first (biased), then input, the tick (only while checks run) and signals; it
//! handles one message at a time and draws only when the queue is empty.

pub mod effects;
pub mod terminal;

use crate::app::model::ResumeOffer;
use crate::app::update::PLAN_FILE;
use crate::app::{Config, Effect, Model, Msg, update};
use crate::checks::{self, CheckEvent};
use crate::exit;
use crate::plan::PlanDraft;
use crate::theme::Theme;
use crate::view;
use crossterm::event::{Event, EventStream};
use effects::Executor;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Interval, MissedTickBehavior};

/// How often spinners move while a check runs.
pub const TICK: Duration = Duration::from_millis(100);

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Quit,
    /// SIGTERM (15), SIGHUP (1) or SIGINT (2).
    Signal(i32),
    InputClosed,
}

/// Turns a terminal event into a message: key presses and repeats, paste and resize.
pub fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.is_press() || key.is_repeat() => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The loop, generic over the backend and the input so tests can drive it on a `TestBackend`.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    events: S,
    stop: mpsc::UnboundedReceiver<i32>,
    options: checks::Options,
    osc52: bool,
) -> io::Result<Outcome>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    run_loop_with(terminal, model, events, stop, options, osc52, Vec::new()).await
}

/// [`run_loop`], starting with `initial` effects (the inspect view's first read).
pub async fn run_loop_with<B, S>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    mut events: S,
    mut stop: mpsc::UnboundedReceiver<i32>,
    options: checks::Options,
    osc52: bool,
    initial: Vec<Effect>,
) -> io::Result<Outcome>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (check_tx, mut check_rx) = mpsc::unbounded_channel::<CheckEvent>();
    let mut executor = Executor::new(tx, check_tx, options);
    executor.osc52 = osc52;
    for effect in initial {
        executor.run(effect);
    }
    let mut ticker: Option<Interval> = None;
    draw(terminal, model)?;
    let outcome = loop {
        let msg = tokio::select! {
            biased;
            Some(signal) = stop.recv() => break Outcome::Signal(signal),
            Some(msg) = rx.recv() => msg,
            Some(event) = check_rx.recv() => Msg::Check(event),
            event = events.next() => match event {
                Some(Ok(event)) => match to_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(e)) => return Err(e),
                None => break Outcome::InputClosed,
            },
            () = tick(&mut ticker) => Msg::Tick,
        };
        let mut quit = false;
        for effect in update(model, msg) {
            if matches!(effect, Effect::Quit) {
                quit = true;
            } else {
                executor.run(effect);
            }
        }
        if quit {
            break Outcome::Quit;
        }
        if model.wants_tick() {
            if ticker.is_none() {
                let mut interval = tokio::time::interval(TICK);
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                ticker = Some(interval);
            }
        } else {
            ticker = None;
        }
        if rx.is_empty() && check_rx.is_empty() {
            draw(terminal, model)?;
        }
    };
    executor.shutdown();
    Ok(outcome)
}

fn draw<B: Backend>(terminal: &mut Terminal<B>, model: &mut Model) -> io::Result<()> {
    if let Ok(size) = terminal.size() {
        model.size = (size.width, size.height);
        if let Some(inspect) = model.inspect.as_mut() {
            inspect.resize(view::inspect::list_rows(model.size));
        }
    }
    terminal
        .draw(|frame| view::render(model, frame))
        .map(drop)
        .map_err(|e| io::Error::other(e.to_string()))
}

/// A saved plan in the default output directory, offered for resuming.
fn find_resume() -> (Option<ResumeOffer>, Option<String>) {
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

/// A hook for the end-to-end suite: with `NBSSO_INJECT_PANIC` set, the first key press panics, to
/// prove the panic hook restores the terminal. Nothing else panics on purpose.
#[allow(clippy::panic)]
fn injected_panic() -> ! {
    panic!("injected panic (NBSSO_INJECT_PANIC is set)")
}

/// `nbsso` with no command: the wizard. Returns the exit code.
pub fn run_wizard() -> u8 {
    use std::io::IsTerminal;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        eprintln!(
            "nbsso: the wizard needs a terminal. Without one, `nbsso generate --plan FILE` writes the \
             migration files and `nbsso check --plan FILE` checks the live servers; see `nbsso --help`."
        );
        return exit::USAGE;
    }
    run_tui(wizard, |()| exit::OK)
}

/// `nbsso inspect` on a terminal: the inspect view on its own. The exit code has the report's
/// meaning for the state the view ends in (see [`crate::inspect::Inspect::exit_code`]).
pub fn run_inspect(
    source: crate::inspect::Source,
    plan: Option<std::sync::Arc<crate::plan::Plan>>,
    plan_label: Option<String>,
    client: Option<String>,
) -> u8 {
    let (inspect, read) = crate::inspect::Inspect::open(source, plan, plan_label, client, false);
    let model = Model::inspect_only(
        Config {
            theme: Theme::from_env(),
            ..Config::default()
        },
        inspect,
    );
    run_tui(
        move || inspect_view(model, read),
        |model: Model| {
            model
                .inspect
                .as_ref()
                .map_or(exit::UNREACHABLE, crate::inspect::Inspect::exit_code)
        },
    )
}

/// Runs a terminal UI on a runtime of its own; `finish` turns a normal end into the exit code.
fn run_tui<F, Fut, T>(ui: F, finish: impl FnOnce(T) -> u8) -> u8
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = io::Result<(Outcome, T)>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nbsso: cannot start: {e}");
            return exit::USAGE;
        }
    };
    let result = runtime.block_on(ui());
    // Stop the blocking pool's stragglers without waiting for network timeouts.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok((Outcome::Quit | Outcome::InputClosed, value)) => finish(value),
        Ok((Outcome::Signal(n), _)) => u8::try_from(128 + n).unwrap_or(1),
        Err(e) => {
            eprintln!("nbsso: the terminal failed: {e}");
            exit::FINDINGS
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

async fn inspect_view(mut model: Model, read: Effect) -> io::Result<(Outcome, Model)> {
    let stop_rx = stop_signals()?;
    let (_guard, mut terminal) = terminal::TerminalGuard::enter()?;
    let outcome = run_loop_with(
        &mut terminal,
        &mut model,
        EventStream::new(),
        stop_rx,
        checks::Options::default(),
        true,
        vec![read],
    )
    .await?;
    Ok((outcome, model))
}

async fn wizard() -> io::Result<(Outcome, ())> {
    wizard_view().await.map(|o| (o, ()))
}

async fn wizard_view() -> io::Result<Outcome> {
    let (resume, problem) = find_resume();
    let stop_rx = stop_signals()?;
    let (_guard, mut terminal) = terminal::TerminalGuard::enter()?;
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let mut model = Model::new(Config {
        resume,
        theme: Theme::from_env(),
        size,
        ..Config::default()
    });
    model.notice = problem;
    let inject = std::env::var_os("NBSSO_INJECT_PANIC").is_some();
    let events = EventStream::new().inspect(move |event| {
        if inject && matches!(event, Ok(Event::Key(_))) {
            injected_panic();
        }
    });
    run_loop(
        &mut terminal,
        &mut model,
        events,
        stop_rx,
        checks::Options::default(),
        true,
    )
    .await
}
