//! The one Model: the current step and focus, the answers (a [`PlanDraft`] plus the text inputs),
//! what validation says, the check board, the review, the write and what is on top (help, modal).

use super::field::{ChoiceId, FieldId, Focusable};
use super::step::Step;
use crate::checks::{CheckId, DetectedRelease, Finding, Status};
use crate::generate::writer::{Disposition, PlannedFile, WrittenFile};
use crate::plan::{Plan, PlanDraft, Problem, Severity, validate};
use crate::theme::Theme;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use tui_input::Input;

/// Stand-ins for the side that is not valid yet in a partial check run; never contacted, because
/// only the checks of the valid side run.
const PLACEHOLDER_NETBOX: &str = "https://netbox.invalid";
const PLACEHOLDER_KANIDM: &str = "https://kanidm.invalid";

/// The smallest terminal the layout is drawn for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// A saved plan found at start-up, offered on the Welcome screen.
#[derive(Debug, Clone)]
pub struct ResumeOffer {
    pub path: PathBuf,
    pub draft: PlanDraft,
}

/// How the wizard starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where "save plan" writes, and where a saved plan is looked for.
    pub plan_path: PathBuf,
    pub resume: Option<ResumeOffer>,
    pub theme: Theme,
    pub size: (u16, u16),
}

impl Default for Config {
    fn default() -> Self {
        Self {
            plan_path: PathBuf::from("nbsso-out/nbsso-plan.toml"),
            resume: None,
            theme: Theme::colour(),
            size: (MIN_WIDTH, MIN_HEIGHT),
        }
    }
}

/// One row of the check board.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub status: Status,
    pub finding: Option<Finding>,
}

/// The live check board.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// The current run; events of other runs are stale.
    pub run: u64,
    /// The plan the current run checks; `None` until one side's answers are valid.
    pub plan: Option<Arc<Plan>>,
    /// The checks of the current run: `None` for all of them.
    pub only: Option<BTreeSet<CheckId>>,
    pub rows: BTreeMap<CheckId, CheckRow>,
    pub selected: usize,
    /// First line shown in the details pane.
    pub details_scroll: u16,
}

impl Board {
    pub fn running(&self) -> bool {
        self.plan.is_some()
            && self
                .rows
                .values()
                .any(|r| matches!(r.status, Status::Pending | Status::Running))
    }

    pub fn count(&self, status: Status) -> usize {
        self.rows.values().filter(|r| r.status == status).count()
    }

    pub fn selected_id(&self) -> CheckId {
        CheckId::ALL
            .get(self.selected)
            .copied()
            .unwrap_or(CheckId::KanidmTls)
    }
}

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
}

/// The Write screen's confirmation.
#[derive(Debug, Clone, Default)]
pub struct WriteState {
    /// Yes is selected; defaults to No when anything would be overwritten.
    pub yes: bool,
    pub writing: bool,
    pub error: Option<String>,
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
    pub draft: PlanDraft,
    /// The draft as last loaded or saved: quitting asks when the answers differ from it.
    pub baseline: PlanDraft,
    pub inputs: BTreeMap<FieldId, Input>,
    /// Fields the user has edited: their messages show at once; others after a Next.
    pub touched: BTreeSet<FieldId>,
    /// Steps left or attempted with Next: their problems show in full and mark the step bar.
    pub visited: BTreeSet<Step>,
    /// Everything `plan::validate` says about the draft.
    pub problems: Vec<Problem>,
    /// The valid plan, when the draft validates.
    pub plan: Option<Arc<Plan>>,
    pub resume: Option<ResumeOffer>,
    /// Index into `ChoiceId::Resume.options()`.
    pub resume_choice: usize,
    pub board: Board,
    /// The newest debounce; older timers are ignored.
    pub debounce: u64,
    pub review: Review,
    pub write: WriteState,
    pub written: Option<Vec<WrittenFile>>,
    /// The selected copyable value on Done.
    pub done_selected: usize,
    /// One line of feedback (saved, copied, errors of background work).
    pub notice: Option<String>,
    pub modal: Option<Modal>,
    pub help: bool,
    pub size: (u16, u16),
    pub tick: u64,
    pub theme: Theme,
    pub plan_path: PathBuf,
    /// Quit after the plan is saved.
    pub quit_after_save: bool,
    /// The inspect view, when open: it takes the screen and the keys.
    pub inspect: Option<crate::inspect::Inspect>,
    /// `nbsso inspect` on its own: closing the view quits.
    pub inspect_only: bool,
}

impl Model {
    pub fn new(config: Config) -> Self {
        let draft = PlanDraft::default();
        let mut model = Self {
            step: Step::Welcome,
            focus: 0,
            baseline: draft.clone(),
            draft,
            inputs: BTreeMap::new(),
            touched: BTreeSet::new(),
            visited: BTreeSet::new(),
            problems: Vec::new(),
            plan: None,
            resume: config.resume,
            resume_choice: 0,
            board: Board::default(),
            debounce: 0,
            review: Review::default(),
            write: WriteState::default(),
            written: None,
            done_selected: 0,
            notice: None,
            modal: None,
            help: false,
            size: config.size,
            tick: 0,
            theme: config.theme,
            plan_path: config.plan_path,
            quit_after_save: false,
            inspect: None,
            inspect_only: false,
        };
        model.load_inputs();
        model.revalidate();
        model
    }

    /// Refills every text input from the draft (start-up and resume).
    pub fn load_inputs(&mut self) {
        for step in Step::ALL {
            for f in step.focusables(false) {
                if let Focusable::Text(id) = f {
                    self.inputs.insert(id, Input::new(id.get(&self.draft)));
                }
            }
        }
    }

    /// Runs the whole-plan validation again (pure and cheap: done on every change).
    pub fn revalidate(&mut self) {
        match validate(&self.draft) {
            Ok((plan, problems)) => {
                self.problems = problems;
                self.plan = Some(Arc::new(plan));
            }
            Err(problems) => {
                self.problems = problems;
                self.plan = None;
            }
        }
    }

    pub fn focusables(&self) -> Vec<Focusable> {
        self.step.focusables(self.resume.is_some())
    }

    pub fn focused(&self) -> Option<Focusable> {
        self.focusables().get(self.focus).copied()
    }

    pub fn value(&self, id: FieldId) -> &str {
        self.inputs.get(&id).map(Input::value).unwrap_or_default()
    }

    /// The error shown for a focusable: its own validator first, then the plan's cross-field rules.
    /// Hidden until the field is edited or its step was left or attempted.
    pub fn error(&self, f: Focusable, step: Step) -> Option<String> {
        let shown = match f {
            Focusable::Text(id) => self.touched.contains(&id) || self.visited.contains(&step),
            _ => true,
        };
        if !shown {
            return None;
        }
        self.error_unconditional(f)
    }

    /// The error of a focusable whether or not it is shown yet (Next uses this).
    pub fn error_unconditional(&self, f: Focusable) -> Option<String> {
        if let Focusable::Text(id) = f
            && let Err(message) = id.check(self.value(id))
        {
            return Some(message);
        }
        self.problems
            .iter()
            .find(|p| p.severity == Severity::Error && f.covers(&p.field))
            .map(|p| p.message.clone())
    }

    /// A warning about a focusable from the plan (e.g. PKCE turned off for an old NetBox).
    pub fn warning(&self, f: Focusable) -> Option<&Problem> {
        self.problems
            .iter()
            .find(|p| p.severity == Severity::Warning && f.covers(&p.field))
    }

    /// The release a check read for a version field: NetBox's from the login page style, Kanidm's
    /// from the discovery answer's `x-kanidm-version`.
    pub fn detected_release(&self, field: FieldId) -> Option<&DetectedRelease> {
        let check = match field {
            FieldId::NetboxVersion => CheckId::NetboxLogin,
            FieldId::KanidmVersion => CheckId::Discovery,
            _ => return None,
        };
        self.board
            .rows
            .get(&check)
            .and_then(|r| r.finding.as_ref())
            .and_then(|f| f.detected.as_ref())
    }

    /// What a live check says about a version field, for the user to confirm (F2) or correct.
    pub fn check_hint(&self, f: Focusable) -> Option<String> {
        let Focusable::Text(field) = f else {
            return None;
        };
        let detected = self.detected_release(field)?;
        Some(match (field, detected.suggested) {
            (FieldId::KanidmVersion, Some(release)) => {
                format!("! Kanidm answers as {release}: F2 uses it")
            }
            (FieldId::KanidmVersion, None) => {
                format!("✓ Kanidm answers as {}", detected.range)
            }
            (_, Some(release)) => format!(
                "! the login page looks like NetBox {}: F2 uses {release}",
                detected.range
            ),
            (_, None) => format!("✓ the login page agrees: NetBox {}", detected.range),
        })
    }

    /// What the checks can run on now: the whole plan, or, while only the Kanidm (or only the
    /// NetBox) answers are valid, a plan with a placeholder for the other side and the checks that
    /// need just the valid side.
    pub fn checkable(&self) -> Option<(Arc<Plan>, Option<BTreeSet<CheckId>>)> {
        if let Some(plan) = &self.plan {
            return Some((plan.clone(), None));
        }
        let side_ok = |prefixes: &[&str]| {
            !self.problems.iter().any(|p| {
                p.severity == Severity::Error && prefixes.iter().any(|x| p.field.starts_with(x))
            })
        };
        let kanidm_ok = side_ok(&["kanidm.", "tls."]);
        let netbox_ok = side_ok(&["netbox."]);
        let mut draft = self.draft.clone();
        let only: BTreeSet<CheckId> = if kanidm_ok && !netbox_ok {
            draft.netbox = crate::plan::NetBoxDraft {
                url: PLACEHOLDER_NETBOX.into(),
                ..crate::plan::NetBoxDraft::default()
            };
            [CheckId::KanidmTls, CheckId::Discovery, CheckId::Jwks].into()
        } else if netbox_ok && !kanidm_ok {
            draft.kanidm.origin = PLACEHOLDER_KANIDM.into();
            draft.tls.ca_file = String::new();
            [CheckId::NetboxLogin, CheckId::Redirect].into()
        } else {
            return None;
        };
        validate(&draft)
            .ok()
            .map(|(plan, _)| (Arc::new(plan), Some(only)))
    }

    /// The first invalid focusable of a step, by index.
    pub fn first_invalid(&self, step: Step) -> Option<usize> {
        step.focusables(self.resume.is_some())
            .into_iter()
            .position(|f| self.error_unconditional(f).is_some())
    }

    pub fn step_invalid(&self, step: Step) -> bool {
        step.is_form() && self.first_invalid(step).is_some()
    }

    /// The plan errors still open, in field order (Review lists them with a jump).
    pub fn missing(&self) -> Vec<&Problem> {
        let mut missing: Vec<&Problem> = self
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        // In the order the wizard asks, not the plan file's.
        missing.sort_by_key(|p| match Step::of_problem_field(&p.field) {
            Some((step, f)) => (
                step,
                step.focusables(false)
                    .iter()
                    .position(|x| *x == f)
                    .unwrap_or(0),
            ),
            None => (Step::Done, 0),
        });
        missing
    }

    /// Answers would be lost by quitting now.
    pub fn dirty(&self) -> bool {
        self.draft != self.baseline
    }

    /// `nbsso inspect` on its own: a model whose only screen is the inspect view (the caller runs
    /// the effect [`crate::inspect::Inspect::open`] returned, to read the clients).
    pub fn inspect_only(config: Config, mut inspect: crate::inspect::Inspect) -> Self {
        let mut model = Self::new(config);
        inspect.resize(crate::view::inspect::list_rows(model.size));
        model.inspect = Some(inspect);
        model.inspect_only = true;
        model
    }

    /// The tick runs only while this is true.
    pub fn wants_tick(&self) -> bool {
        self.board.running()
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    pub fn resume_selected(&self) -> bool {
        self.resume.is_some()
            && ChoiceId::Resume
                .options()
                .get(self.resume_choice)
                .is_some_and(|o| o.0 == "resume")
    }

    /// Values the Done screen offers to copy: `(label, value, file holding it)`. Never the secret.
    pub fn copyable(&self) -> Vec<(&'static str, String, &'static str)> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        vec![
            ("Issuer", plan.issuer(), "netbox-sso.py"),
            ("Redirect URL", plan.redirect_url(), "kanidm-setup.sh"),
            ("Client name", plan.kanidm.client.clone(), "kanidm-setup.sh"),
            ("Group", plan.kanidm.group.clone(), "kanidm-setup.sh"),
        ]
    }
}
