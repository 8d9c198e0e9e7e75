//! The form screens (Source, Kanidm, NetBox, Options) share one state, the answers: the plan
//! draft, the text being typed, and what validation says about them. What each screen asks comes
//! from the field table; the keys are the same on all four: typing into text fields, Up/Down on a
//! choice, Space on a toggle, Tab between fields, Next refused while the screen has an error.

use super::{Turn, moved};
use crate::app::step::{Focusable, Step};
use crate::checks::{CheckId, DetectedRelease};
use crate::keymap::Action;
use crate::plan::{Field, Plan, PlanDraft, Problem, Severity, validate};
use crossterm::event::{Event, KeyEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

/// Stand-ins for the side that is not valid yet in a partial check run; never contacted, because
/// only the checks of the valid side run.
const PLACEHOLDER_NETBOX: &str = "https://netbox.invalid";
const PLACEHOLDER_KANIDM: &str = "https://kanidm.invalid";

/// What the checks can run on: a plan, and the checks to run (`None`: all of them).
pub type Checkable = (Arc<Plan>, Option<BTreeSet<CheckId>>);

/// The answers: the draft as edited, the text inputs, and what validation says.
#[derive(Debug, Clone)]
pub struct Answers {
    pub draft: PlanDraft,
    /// The draft as last loaded or saved: quitting asks when the answers differ from it.
    pub baseline: PlanDraft,
    pub inputs: BTreeMap<Field, Input>,
    /// Fields the user has edited: their messages show at once; others after a Next.
    pub touched: BTreeSet<Field>,
    /// Steps left or attempted with Next: their problems show in full and mark the step bar.
    pub visited: BTreeSet<Step>,
    /// Everything `plan::validate` says about the draft.
    pub problems: Vec<Problem>,
    /// The valid plan, when the draft validates.
    pub plan: Option<Arc<Plan>>,
}

/// A release a live check read from a server, offered for a version field (F2 takes it).
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    pub field: Field,
    /// The check whose finding names the release.
    pub check: CheckId,
    pub product: &'static str,
    /// Where the release was read, for the notices.
    pub source: &'static str,
    /// The line under the field: what the check saw, and what it suggests.
    pub hint: fn(&DetectedRelease) -> String,
}

impl Answers {
    pub fn new(draft: PlanDraft) -> Self {
        let mut answers = Self {
            baseline: draft.clone(),
            draft,
            inputs: BTreeMap::new(),
            touched: BTreeSet::new(),
            visited: BTreeSet::new(),
            problems: Vec::new(),
            plan: None,
        };
        answers.load_inputs();
        answers.revalidate();
        answers
    }

    /// Takes a saved plan's answers (resume); they are the baseline for "would answers be lost".
    pub fn replace(&mut self, draft: PlanDraft) {
        self.baseline = draft.clone();
        self.draft = draft;
        self.load_inputs();
        self.revalidate();
    }

    /// Refills every text input from the draft.
    fn load_inputs(&mut self) {
        for field in Field::all().filter(|f| f.is_text()) {
            self.inputs
                .insert(field, Input::new(field.text(&self.draft)));
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

    pub fn value(&self, field: Field) -> &str {
        self.inputs
            .get(&field)
            .map(Input::value)
            .unwrap_or_default()
    }

    /// The error shown for a focusable. A text field's is hidden until the field is edited or its
    /// step was left or attempted.
    pub fn error(&self, f: Focusable, step: Step) -> Option<String> {
        let shown = match f {
            Focusable::Field(field) if field.is_text() => {
                self.touched.contains(&field) || self.visited.contains(&step)
            }
            _ => true,
        };
        if !shown {
            return None;
        }
        self.error_unconditional(f)
    }

    /// The error of a focusable whether or not it is shown yet (Next uses this): the first error
    /// the plan's validation reports about its field.
    pub fn error_unconditional(&self, f: Focusable) -> Option<String> {
        self.about(f, Severity::Error).map(|p| p.message.clone())
    }

    /// A warning about a focusable from the plan (e.g. PKCE turned off for an old NetBox).
    pub fn warning(&self, f: Focusable) -> Option<&Problem> {
        self.about(f, Severity::Warning)
    }

    fn about(&self, f: Focusable, severity: Severity) -> Option<&Problem> {
        let Focusable::Field(field) = f else {
            return None;
        };
        self.problems
            .iter()
            .find(|p| p.severity == severity && p.key == Some(field))
    }

    /// No error about the fields that feed one server's checks.
    fn side_valid(&self, side: fn(crate::plan::field::Section) -> bool) -> bool {
        !self
            .problems
            .iter()
            .any(|p| p.severity == Severity::Error && p.key.is_some_and(|k| side(k.spec().section)))
    }

    /// What the checks can run on now: the whole plan, or, while only the Kanidm (or only the
    /// NetBox) answers are valid, a plan with a placeholder for the other side and the checks that
    /// need just the valid side.
    pub fn checkable(&self) -> Option<Checkable> {
        use crate::plan::field::Section;
        if let Some(plan) = &self.plan {
            return Some((plan.clone(), None));
        }
        let kanidm_ok = self.side_valid(Section::is_kanidm_side);
        let netbox_ok = self.side_valid(Section::is_netbox_side);
        let mut draft = self.draft.clone();
        let only: BTreeSet<CheckId> = if kanidm_ok && !netbox_ok {
            draft.netbox = PlanDraft::default().netbox;
            draft.netbox.url = PLACEHOLDER_NETBOX.into();
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

    /// The first invalid focusable of a form step, by index.
    pub fn first_invalid(&self, step: Step) -> Option<usize> {
        step.focusables(false)
            .into_iter()
            .position(|f| self.error_unconditional(f).is_some())
    }

    pub fn step_invalid(&self, step: Step) -> bool {
        step.is_form() && self.first_invalid(step).is_some()
    }

    /// Whether the user has typed into a field of the step (its step bar marker shows then).
    pub fn step_touched(&self, step: Step) -> bool {
        step.focusables(false).iter().any(|f| match f {
            Focusable::Field(field) => self.touched.contains(field),
            Focusable::Resume | Focusable::Deployment => false,
        })
    }

    /// The plan errors still open, in the order the wizard asks (Review lists them with a jump).
    pub fn missing(&self) -> Vec<&Problem> {
        let mut missing: Vec<&Problem> = self
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        missing.sort_by_key(
            |p| match p.key.and_then(|k| Step::asking(k).map(|s| (s, k))) {
                Some((step, field)) => (
                    step,
                    step.focusables(false)
                        .iter()
                        .position(|x| *x == Focusable::Field(field))
                        .unwrap_or(0),
                ),
                None => (Step::Done, 0),
            },
        );
        missing
    }

    /// Answers would be lost by quitting now.
    pub fn dirty(&self) -> bool {
        self.draft != self.baseline
    }

    /// Where the files go: the plan's directory, or what the field says while the plan is invalid.
    pub fn output_dir(&self) -> std::path::PathBuf {
        match &self.plan {
            Some(plan) => plan.output_dir.clone(),
            None => std::path::PathBuf::from(self.draft.output.dir.trim()),
        }
    }

    /// A text field's input changed: store it in the draft.
    fn typed(&mut self, field: Field) -> Turn {
        let text = self.value(field).to_string();
        field.set_text(&mut self.draft, &text);
        self.touched.insert(field);
        Turn::changed()
    }

    /// Fills a text field with a value read elsewhere: unlike typing, it does not count as the
    /// user's own answer.
    pub fn fill(&mut self, field: Field, text: String) {
        field.set_text(&mut self.draft, &text);
        self.inputs.insert(field, Input::new(text));
    }

    /// Replaces a text field's text, as if typed.
    pub fn set(&mut self, field: Field, text: String) -> Turn {
        self.inputs.insert(field, Input::new(text));
        self.typed(field)
    }
}

/// A key no binding took: typed into the focused text field.
pub fn on_key(answers: &mut Answers, focused: Option<Focusable>, key: KeyEvent) -> Turn {
    let Some(Focusable::Field(field)) = focused else {
        return Turn::default();
    };
    let changed = answers
        .inputs
        .get_mut(&field)
        .and_then(|input| input.handle_event(&Event::Key(key)))
        .is_some_and(|changed| changed.value);
    if changed {
        answers.typed(field)
    } else {
        Turn::default()
    }
}

/// Pasted text goes into the focused text field, without line breaks or other control characters.
pub fn on_paste(answers: &mut Answers, focused: Option<Focusable>, text: &str) -> Turn {
    let Some(Focusable::Field(field)) = focused else {
        return Turn::default();
    };
    let Some(input) = answers.inputs.get_mut(&field) else {
        return Turn::default();
    };
    for c in text.chars().filter(|c| !c.is_control()) {
        input.handle(InputRequest::InsertChar(c));
    }
    answers.typed(field)
}

/// The form's own keys: choices, toggles and Next (refused while the step has an error).
pub fn on_action(step: Step, focus: &mut usize, answers: &mut Answers, action: Action) -> Turn {
    let focused = step.focusables(false).get(*focus).copied();
    match (action, focused) {
        (Action::ChoicePrev | Action::ChoiceNext, Some(Focusable::Field(field)))
            if !field.choices().is_empty() =>
        {
            let current = field.choice_index(&answers.draft);
            let down = action == Action::ChoiceNext;
            field.choose(
                &mut answers.draft,
                moved(current, field.choices().len(), down),
            );
            Turn::changed()
        }
        (Action::Toggle, Some(Focusable::Field(field))) if field.is_flag() => {
            field.flip(&mut answers.draft);
            Turn::changed()
        }
        (Action::Next, _) => {
            if let Some(i) = answers.first_invalid(step) {
                *focus = i;
                return Turn::default();
            }
            step.next().map(Turn::go).unwrap_or_default()
        }
        _ => Turn::default(),
    }
}

/// F2 on a version field: take the release a check read from the server.
pub fn take_release(
    answers: &mut Answers,
    offer: &Offer,
    detected: Option<&DetectedRelease>,
) -> Turn {
    let Some(release) = detected.and_then(|d| d.suggested) else {
        return Turn::notice(format!(
            "No other {} release to offer from {}.",
            offer.product, offer.source
        ));
    };
    let mut turn = answers.set(offer.field, release.to_string());
    turn.notice = Some(format!(
        "{} version set to {release}, from {}.",
        offer.product, offer.source
    ));
    turn
}
