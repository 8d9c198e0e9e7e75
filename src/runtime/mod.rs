//! Runs the terminal UIs: the terminal guard, input and signals in, effects out. The loop turns
//! events into messages and performs the effects `update` returns; it changes the model only
//! through `update`. It waits on the message queue first (biased), then input, the tick (only
//! while checks run) and signals; it handles one message at a time and draws only when the queue
//! is empty.

pub mod clipboard;
pub mod effects;
mod launch;
pub mod terminal;
pub mod users_load;

pub use launch::{async_runtime, find_resume, run_inspect, run_wizard};

use crate::app::{Effect, Model, Msg, update};
use crate::checks::{self, CheckEvent};
use crate::view;
use clipboard::{Clipboard, Ignore};
use crossterm::event::Event;
use effects::Executor;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use terminal::FrameSync;
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

/// Everything the loop runs with: the terminal it draws on, the terminal's events, the stop
/// signals, the checks' options and where copied values go. Generic over the backend and the
/// events, so tests drive it on a `TestBackend` with scripted input and read the clipboard.
pub struct EventLoop<B: Backend, S> {
    pub terminal: Terminal<B>,
    pub events: S,
    /// Stop signals by number (SIGTERM 15, SIGHUP 1, SIGINT 2).
    pub stop: mpsc::UnboundedReceiver<i32>,
    pub options: checks::Options,
    pub clipboard: Arc<dyn Clipboard>,
}

impl<B, S> EventLoop<B, S>
where
    B: Backend + FrameSync,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    /// A loop with the default check options; copied values are dropped until
    /// [`EventLoop::with_clipboard`] says where they go.
    pub fn new(terminal: Terminal<B>, events: S, stop: mpsc::UnboundedReceiver<i32>) -> Self {
        Self {
            terminal,
            events,
            stop,
            options: checks::Options::default(),
            clipboard: Arc::new(Ignore),
        }
    }

    pub fn with_clipboard(mut self, clipboard: Arc<dyn Clipboard>) -> Self {
        self.clipboard = clipboard;
        self
    }

    pub fn with_options(mut self, options: checks::Options) -> Self {
        self.options = options;
        self
    }

    /// Runs `model` until it quits, the input ends or a stop signal comes, starting with the
    /// `initial` effects (the inspect view's first read).
    pub async fn run(&mut self, model: &mut Model, initial: Vec<Effect>) -> io::Result<Outcome> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        let (check_tx, mut check_rx) = mpsc::unbounded_channel::<CheckEvent>();
        let mut executor = Executor::new(tx, check_tx, self.options.clone())
            .with_clipboard(self.clipboard.clone());
        for effect in initial {
            executor.run(effect);
        }
        let mut ticker: Option<Interval> = None;
        self.draw(model, &mut executor)?;
        let outcome = loop {
            let msg = tokio::select! {
                biased;
                Some(signal) = self.stop.recv() => break Outcome::Signal(signal),
                Some(msg) = rx.recv() => msg,
                Some(event) = check_rx.recv() => Msg::Check(event),
                event = self.events.next() => match event {
                    Some(Ok(event)) => match to_msg(event) {
                        Some(msg) => msg,
                        None => continue,
                    },
                    Some(Err(e)) => return Err(e),
                    None => break Outcome::InputClosed,
                },
                () = tick(&mut ticker) => Msg::Tick,
            };
            if dispatch(model, msg, &mut executor) {
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
                self.draw(model, &mut executor)?;
            }
        };
        executor.shutdown();
        Ok(outcome)
    }

    /// Draws the model; a terminal whose size changed unseen is first told to `update` as a resize.
    fn draw(&mut self, model: &mut Model, executor: &mut Executor) -> io::Result<()> {
        if let Ok(size) = self.terminal.size()
            && (size.width, size.height) != model.size
        {
            dispatch(model, Msg::Resize(size.width, size.height), executor);
        }
        self.terminal.backend_mut().begin_frame()?;
        let drawn = self
            .terminal
            .draw(|frame| view::render(model, frame))
            .map(drop)
            .map_err(|e| io::Error::other(e.to_string()));
        // Ended even when the draw failed: a terminal left in synchronized output shows nothing.
        let ended = self.terminal.backend_mut().end_frame();
        drawn.and(ended)
    }
}

/// One message through `update`, its effects to the executor; true when the model quits.
fn dispatch(model: &mut Model, msg: Msg, executor: &mut Executor) -> bool {
    let mut quit = false;
    for effect in update(model, msg) {
        if matches!(effect, Effect::Quit) {
            quit = true;
        } else {
            executor.run(effect);
        }
    }
    quit
}
