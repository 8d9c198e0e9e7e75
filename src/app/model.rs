//! The one Model: the current step and focus, each screen's state, and what is on top (help, the
//! quit question). The screens' states are defined with their screens (`app::screens`).

use super::effect::Effect;
use super::screens::checks::Board;
use super::screens::done::Done;
use super::screens::explain::ExplainBox;
use super::screens::form::Answers;
use super::screens::inspect::{Inspect, Reads, list_rows};
use super::screens::review::Review;
use super::screens::source::SourceScreen;
use super::screens::users::Users;
use super::screens::welcome::Welcome;
use super::screens::write::WriteState;
use super::step::{Focusable, Step};
use crate::checks::DetectedRelease;
use crate::keymap::Context;
use crate::plan::{Field, PlanDraft, Problem};
use crate::theme::Theme;
use std::path::PathBuf;

pub use super::screens::welcome::ResumeOffer;

/// The smallest terminal the layout is drawn for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// How the wizard starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where "save plan" writes, and where a saved plan is looked for.
    pub plan_path: PathBuf,
    pub resume: Option<ResumeOffer>,
    pub theme: Theme,
    pub size: (u16, u16),
    /// A line to show first (a saved plan that could not be read).
    pub notice: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            plan_path: PathBuf::from("nbsso-out").join(crate::plan::PLAN_FILE),
            resume: None,
            theme: Theme::colour(),
            size: (MIN_WIDTH, MIN_HEIGHT),
            notice: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modal {
    /// "Quit? answers would be lost": save and quit / quit / stay (the default).
    Quit,
}

pub struct Model {
    pub step: Step,
    /// Index into `step.focusables(..)`.
    pub focus: usize,
    /// The form screens' state: the draft and what validation says about it.
    pub answers: Answers,
    pub welcome: Welcome,
    /// The Source screen's read of NetBox's configuration.
    pub source: SourceScreen,
    pub board: Board,
    pub users: Users,
    pub review: Review,
    pub write: WriteState,
    pub done: Done,
    /// The inspect view, when open: it takes the screen and the keys.
    pub inspect: Option<Inspect>,
    /// `nbsso inspect` on its own: closing the view quits.
    pub inspect_only: bool,
    /// The numbers of the inspect view's reads, across every view opened.
    pub reads: Reads,
    /// One line of feedback (saved, copied, errors of background work).
    pub notice: Option<String>,
    pub modal: Option<Modal>,
    pub help: bool,
    /// The explain box, when open: on top of the screen, which it leaves as it was.
    pub explain: Option<ExplainBox>,
    pub size: (u16, u16),
    pub tick: u64,
    pub theme: Theme,
    pub plan_path: PathBuf,
    /// Quit after the plan is saved.
    pub quit_after_save: bool,
}

impl Model {
    pub fn new(config: Config) -> Self {
        Self {
            step: Step::Welcome,
            focus: 0,
            answers: Answers::new(PlanDraft::default()),
            welcome: Welcome {
                resume: config.resume,
                choice: 0,
            },
            source: SourceScreen::default(),
            board: Board::default(),
            users: Users::default(),
            review: Review::default(),
            write: WriteState::default(),
            done: Done::default(),
            inspect: None,
            inspect_only: false,
            reads: Reads::default(),
            notice: config.notice,
            modal: None,
            help: false,
            explain: None,
            size: config.size,
            tick: 0,
            theme: config.theme,
            plan_path: config.plan_path,
            quit_after_save: false,
        }
    }

    /// `nbsso inspect` on its own: a model whose only screen is the inspect view, and the effect
    /// that reads its clients.
    pub fn inspect_only(config: Config, mut inspect: Inspect) -> (Self, Vec<Effect>) {
        let mut model = Self::new(config);
        inspect.resize(list_rows(model.size));
        let read = inspect.read(&mut model.reads);
        model.inspect = Some(inspect);
        model.inspect_only = true;
        (model, vec![read])
    }

    pub fn focusables(&self) -> Vec<Focusable> {
        self.step.focusables(self.welcome.resume.is_some())
    }

    pub fn focused(&self) -> Option<Focusable> {
        self.focusables().get(self.focus).copied()
    }

    /// The text of a text field, as typed.
    pub fn value(&self, field: Field) -> &str {
        self.answers.value(field)
    }

    /// The error shown for a focusable (see [`Answers::error`]).
    pub fn error(&self, f: Focusable, step: Step) -> Option<String> {
        self.answers.error(f, step)
    }

    pub fn warning(&self, f: Focusable) -> Option<&Problem> {
        self.answers.warning(f)
    }

    /// The release a check read for a version field: NetBox's from the login page style, Kanidm's
    /// from the discovery answer's `x-kanidm-version`.
    pub fn detected_release(&self, field: Field) -> Option<&DetectedRelease> {
        let offer = super::screens::offer(field)?;
        self.board.detected(offer.check)
    }

    /// What a live check says about a version field, for the user to confirm (F2) or correct.
    pub fn check_hint(&self, f: Focusable) -> Option<String> {
        let Focusable::Field(field) = f else {
            return None;
        };
        let offer = super::screens::offer(field)?;
        self.board.detected(offer.check).map(offer.hint)
    }

    /// The tick runs only while this is true.
    pub fn wants_tick(&self) -> bool {
        self.board.running()
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Answers would be lost by quitting now.
    pub fn dirty(&self) -> bool {
        self.answers.dirty()
    }

    /// The keymap context under any overlay: decides the help's content too.
    pub fn base_context(&self) -> Context {
        if let Some(inspect) = &self.inspect {
            return inspect.context();
        }
        match self.step {
            Step::Welcome | Step::Source | Step::Kanidm | Step::NetBox | Step::Options => {
                match self.focused() {
                    Some(Focusable::Field(field)) if field.is_text() => Context::TextField,
                    Some(Focusable::Field(field)) if field.is_flag() => Context::Toggle,
                    Some(Focusable::Field(_)) => Context::Choice,
                    Some(Focusable::Resume) => Context::Choice,
                    Some(Focusable::Deployment) => Context::Deployment,
                    None => Context::Page,
                }
            }
            Step::Checks => Context::Checks,
            Step::Users if self.users.picker.is_some() => Context::UsersPicker,
            Step::Users if super::screens::users::typing(&self.users) => Context::UsersInput,
            Step::Users => Context::Users,
            Step::Review => Context::Review,
            Step::Write => Context::Write,
            Step::Done => Context::Done,
        }
    }

    /// The context keys are resolved in now.
    pub fn context(&self) -> Context {
        if self.too_small() {
            Context::TooSmall
        } else if self.modal.is_some() {
            Context::QuitModal
        } else if self.help {
            Context::Help
        } else if self.explain.is_some() {
            Context::ExplainBox
        } else {
            self.base_context()
        }
    }
}
