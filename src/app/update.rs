//! `update(&mut Model, Msg) -> Vec<Effect>`: the only place the wizard's state changes. No I/O here:
//! anything that touches the network, the disk or the terminal is returned as an [`Effect`].

use super::effect::{DEBOUNCE, Effect};
use super::field::{ChoiceId, Focusable};
use super::model::{CheckRow, Modal, Model};
use super::msg::Msg;
use super::nav;
use super::step::Step;
use crate::checks::{CheckEvent, CheckId, Status};
use crate::keymap::{self, Action, Context};
use crate::plan::Plan;
use crossterm::event::{Event, KeyEvent};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use tui_input::InputRequest;
use tui_input::backend::crossterm::EventHandler;

/// The file name the answers are saved under, in the output directory.
pub const PLAN_FILE: &str = "nbsso-plan.toml";

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(model, key),
        Msg::Paste(text) => on_paste(model, &text),
        Msg::Resize(w, h) => {
            model.size = (w, h);
            if let Some(inspect) = model.inspect.as_mut() {
                inspect.resize(crate::view::inspect::list_rows((w, h)));
            }
            Vec::new()
        }
        Msg::Inspect(msg) => {
            if let Some(inspect) = model.inspect.as_mut() {
                inspect.on_msg(msg);
            }
            Vec::new()
        }
        Msg::Tick => {
            model.tick = model.tick.wrapping_add(1);
            Vec::new()
        }
        Msg::DebounceElapsed(generation) => {
            if generation != model.debounce {
                return Vec::new();
            }
            match model.checkable() {
                Some((plan, only)) if !same_run(model, &plan, &only) => {
                    start_checks(model, plan, only)
                }
                _ => Vec::new(),
            }
        }
        Msg::Check(event) => {
            on_check(model, event);
            Vec::new()
        }
        Msg::Planned(generation, result) => {
            if generation == model.review.generation {
                model.review.files = Some(result);
                model.review.selected = 0;
                model.review.scroll = 0;
                model.review.hscroll = 0;
            }
            Vec::new()
        }
        Msg::Written(result) => {
            model.write.writing = false;
            match result {
                Ok(files) => {
                    model.written = Some(files);
                    model.write.error = None;
                    model.step = Step::Done;
                    model.focus = 0;
                }
                Err(e) => model.write.error = Some(e),
            }
            Vec::new()
        }
        Msg::PlanSaved(result) => match result {
            Ok(path) => {
                model.baseline = model.draft.clone();
                model.notice = Some(format!("Plan saved to {}", path.display()));
                if model.quit_after_save {
                    vec![Effect::Quit]
                } else {
                    Vec::new()
                }
            }
            Err(e) => {
                model.quit_after_save = false;
                model.notice = Some(format!("The plan was not saved: {e}"));
                Vec::new()
            }
        },
    }
}

/// The keymap context under any overlay: decides the help's content too.
pub fn base_context(model: &Model) -> Context {
    if let Some(inspect) = &model.inspect {
        return inspect.context();
    }
    match model.step {
        Step::Welcome | Step::Source | Step::Kanidm | Step::NetBox | Step::Options => {
            match model.focused() {
                Some(Focusable::Text(_)) => Context::TextField,
                Some(Focusable::Choice(_)) => Context::Choice,
                Some(Focusable::Toggle(_)) => Context::Toggle,
                None => Context::Page,
            }
        }
        Step::Checks => Context::Checks,
        Step::Review => Context::Review,
        Step::Write => Context::Write,
        Step::Done => Context::Done,
    }
}

/// The context keys are resolved in now.
pub fn context(model: &Model) -> Context {
    if model.too_small() {
        Context::TooSmall
    } else if model.modal.is_some() {
        Context::QuitModal
    } else if model.help {
        Context::Help
    } else {
        base_context(model)
    }
}

fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let ctx = context(model);
    if let Context::Inspect { .. } = ctx {
        return inspect_key(model, ctx, key);
    }
    if let Some(action) = keymap::resolve(ctx, &key) {
        model.notice = None;
        return on_action(model, ctx, action);
    }
    if ctx == Context::TextField
        && let Some(Focusable::Text(id)) = model.focused()
        && let Some(input) = model.inputs.get_mut(&id)
        && input
            .handle_event(&Event::Key(key))
            .is_some_and(|changed| changed.value)
    {
        return field_changed(model, id);
    }
    Vec::new()
}

/// Keys while the inspect view is open: help and quit-now stay the wizard's; everything else is
/// the view's, and an unbound key types into its filter.
fn inspect_key(model: &mut Model, ctx: Context, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ctx, &key);
    if let Some(action @ (Action::Help | Action::ForceQuit)) = action {
        return on_action(model, ctx, action);
    }
    let Some(inspect) = model.inspect.as_mut() else {
        return Vec::new();
    };
    let Some(action) = action else {
        return inspect.on_text_key(key);
    };
    match inspect.on_action(action) {
        crate::inspect::Reply::Stay(effects) => effects,
        crate::inspect::Reply::Close => close_inspect(model),
    }
}

fn close_inspect(model: &mut Model) -> Vec<Effect> {
    if model.inspect_only {
        return vec![Effect::Quit];
    }
    model.inspect = None;
    model.notice = Some("Back from the inspect view; nothing was changed in Kanidm.".into());
    vec![Effect::CancelLoadClients]
}

/// Opens the inspect view on the plan's Kanidm, read live with the cached kanidm login.
fn open_inspect(model: &mut Model) -> Vec<Effect> {
    use crate::inspect::{Inspect, Live, Source};
    let (plan, label) = match (&model.plan, model.checkable()) {
        (Some(plan), _) => (Some(plan.clone()), Some("the wizard's answers".to_string())),
        (None, Some((plan, Some(only)))) if only.contains(&CheckId::KanidmTls) => {
            (Some(plan), None)
        }
        _ => {
            model.notice = Some(
                "The inspect view needs valid Kanidm answers first (URL, client, admin account)."
                    .into(),
            );
            return Vec::new();
        }
    };
    let Some(for_live) = plan.clone() else {
        return Vec::new();
    };
    // Drift needs the whole plan; with only the Kanidm answers valid, the clients are shown alone.
    let drift_plan = if label.is_some() { plan } else { None };
    let (mut inspect, read) = Inspect::open(
        Source::Live(Live::for_plan(&for_live)),
        drift_plan,
        label,
        Some(for_live.kanidm.client.clone()),
        true,
    );
    inspect.resize(crate::view::inspect::list_rows(model.size));
    model.inspect = Some(inspect);
    model.notice = None;
    vec![read]
}

fn on_paste(model: &mut Model, text: &str) -> Vec<Effect> {
    if let Some(inspect) = model.inspect.as_mut() {
        inspect.on_paste(text);
        return Vec::new();
    }
    if context(model) != Context::TextField {
        return Vec::new();
    }
    let Some(Focusable::Text(id)) = model.focused() else {
        return Vec::new();
    };
    let Some(input) = model.inputs.get_mut(&id) else {
        return Vec::new();
    };
    for c in text.chars().filter(|c| !c.is_control()) {
        input.handle(InputRequest::InsertChar(c));
    }
    field_changed(model, id)
}

/// F2 on a version field: take the release a check read from the server.
fn use_detected_release(model: &mut Model) -> Vec<Effect> {
    use super::field::FieldId;
    let Some(Focusable::Text(id @ (FieldId::NetboxVersion | FieldId::KanidmVersion))) =
        model.focused()
    else {
        return Vec::new();
    };
    let (product, source) = if id == FieldId::KanidmVersion {
        ("Kanidm", "Kanidm's answer")
    } else {
        ("NetBox", "the login page")
    };
    let Some(release) = model.detected_release(id).and_then(|d| d.suggested) else {
        model.notice = Some(format!(
            "No other {product} release to offer from {source}."
        ));
        return Vec::new();
    };
    if let Some(input) = model.inputs.get_mut(&id) {
        *input = tui_input::Input::new(release.to_string());
    }
    model.notice = Some(format!(
        "{product} version set to {release}, from {source}."
    ));
    field_changed(model, id)
}

fn field_changed(model: &mut Model, id: super::field::FieldId) -> Vec<Effect> {
    let text = model.value(id).to_string();
    id.set(&mut model.draft, &text);
    model.touched.insert(id);
    draft_changed(model)
}

/// After any answer changed: validate again, and (re)start or stop the checks through a debounce.
pub(super) fn draft_changed(model: &mut Model) -> Vec<Effect> {
    model.revalidate();
    model.debounce += 1;
    match model.checkable() {
        Some((plan, only)) if !same_run(model, &plan, &only) => vec![Effect::Debounce {
            generation: model.debounce,
            after: DEBOUNCE,
        }],
        Some(_) => Vec::new(),
        None if model.board.plan.is_some() => {
            // The answers went invalid: the old results no longer describe them.
            model.board.plan = None;
            model.board.only = None;
            model.board.run += 1;
            model.board.rows.clear();
            vec![Effect::CancelChecks]
        }
        None => Vec::new(),
    }
}

/// The current run already checks exactly this.
fn same_run(model: &Model, plan: &Arc<Plan>, only: &Option<BTreeSet<CheckId>>) -> bool {
    model.board.plan.as_ref() == Some(plan) && model.board.only == *only
}

fn start_checks(
    model: &mut Model,
    plan: Arc<Plan>,
    only: Option<BTreeSet<CheckId>>,
) -> Vec<Effect> {
    model.board.run += 1;
    model.board.plan = Some(plan.clone());
    model.board.only = only.clone();
    model.board.details_scroll = 0;
    model.board.rows = CheckId::ALL
        .into_iter()
        .filter(|id| only.as_ref().is_none_or(|o| o.contains(id)))
        .map(|id| {
            (
                id,
                CheckRow {
                    status: Status::Pending,
                    finding: None,
                },
            )
        })
        .collect();
    vec![Effect::StartChecks {
        run: model.board.run,
        plan,
        only,
    }]
}

fn on_check(model: &mut Model, event: CheckEvent) {
    if event.run != model.board.run || model.board.plan.is_none() {
        return; // a stale run: its plan is no longer the answers
    }
    model.board.rows.insert(
        event.id,
        CheckRow {
            status: event.status,
            finding: event.finding,
        },
    );
}

fn on_action(model: &mut Model, ctx: Context, action: Action) -> Vec<Effect> {
    match action {
        Action::Help => {
            model.help = true;
            Vec::new()
        }
        Action::Cancel if ctx == Context::Help => {
            model.help = false;
            Vec::new()
        }
        Action::Cancel => {
            model.modal = None;
            Vec::new()
        }
        Action::Quit | Action::ForceQuit => {
            if model.dirty() {
                model.modal = Some(Modal::Quit);
                Vec::new()
            } else {
                vec![Effect::Quit]
            }
        }
        Action::DiscardAndQuit => vec![Effect::Quit],
        Action::SaveAndQuit => {
            model.modal = None;
            model.quit_after_save = true;
            vec![save_plan(model)]
        }
        Action::SavePlan => vec![save_plan(model)],
        Action::UseDetected => use_detected_release(model),
        Action::Inspect => open_inspect(model),
        Action::Refresh
        | Action::CopyAll
        | Action::FocusList
        | Action::PagePrev
        | Action::PageNext => Vec::new(),
        Action::Next => nav::next(model),
        Action::Back => nav::back(model),
        Action::FocusNext | Action::FocusPrev => {
            let n = model.focusables().len();
            if n > 0 {
                model.focus = if action == Action::FocusNext {
                    (model.focus + 1) % n
                } else {
                    (model.focus + n - 1) % n
                };
            }
            Vec::new()
        }
        Action::ChoicePrev | Action::ChoiceNext => {
            choose(model, if action == Action::ChoiceNext { 1 } else { -1 })
        }
        Action::Toggle => match (model.step, model.focused()) {
            (Step::Write, _) => {
                model.write.yes = !model.write.yes;
                Vec::new()
            }
            (_, Some(Focusable::Toggle(t))) => {
                t.flip(&mut model.draft);
                draft_changed(model)
            }
            _ => Vec::new(),
        },
        Action::Rerun => match model.checkable() {
            Some((plan, only)) => start_checks(model, plan, only),
            None => {
                model.notice =
                    Some("The checks need valid answers first: see the steps marked !".into());
                Vec::new()
            }
        },
        Action::SelectPrev | Action::SelectNext => {
            select(model, action == Action::SelectNext);
            Vec::new()
        }
        Action::ScrollUp if model.step == Step::Checks => {
            model.board.details_scroll = model.board.details_scroll.saturating_sub(3);
            Vec::new()
        }
        Action::ScrollDown if model.step == Step::Checks => {
            let lines = model
                .board
                .rows
                .get(&model.board.selected_id())
                .and_then(|r| r.finding.as_ref())
                .map_or(0, |f| {
                    // Wrapped lines, roughly: the pane is at least 40 columns wide.
                    std::iter::once(&f.summary)
                        .chain(f.fix.iter())
                        .chain(f.details.iter())
                        .map(|l| l.chars().count() / 40 + 1)
                        .sum::<usize>()
                });
            let max = u16::try_from(lines.saturating_sub(1)).unwrap_or(u16::MAX);
            model.board.details_scroll = model.board.details_scroll.saturating_add(3).min(max);
            Vec::new()
        }
        Action::ScrollUp => {
            model.review.scroll = model.review.scroll.saturating_sub(5);
            Vec::new()
        }
        Action::ScrollDown => {
            let lines = model.review.selected_diff().lines().count();
            let max = u16::try_from(lines.saturating_sub(1)).unwrap_or(u16::MAX);
            model.review.scroll = model.review.scroll.saturating_add(5).min(max);
            Vec::new()
        }
        Action::ScrollLeft => {
            model.review.hscroll = model.review.hscroll.saturating_sub(HSCROLL_STEP);
            Vec::new()
        }
        Action::ScrollRight => {
            // No further than where the longest line's last column is still in view.
            let widest = model
                .review
                .selected_diff()
                .lines()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0);
            let max = u16::try_from(widest.saturating_sub(1)).unwrap_or(u16::MAX);
            model.review.hscroll = model.review.hscroll.saturating_add(HSCROLL_STEP).min(max);
            Vec::new()
        }
        Action::JumpToMissing => {
            nav::jump_to_missing(model);
            Vec::new()
        }
        Action::Confirm => nav::confirm_write(model),
        Action::Copy => {
            let values = model.copyable();
            match values.get(model.done_selected) {
                Some((label, value, file)) => {
                    model.notice = Some(format!(
                        "Copied the {label} through OSC 52 (if your terminal allows it); it is also in {}",
                        output_dir(model).join(file).display()
                    ));
                    vec![Effect::Copy(value.clone())]
                }
                None => Vec::new(),
            }
        }
    }
}

fn output_dir(model: &Model) -> PathBuf {
    match &model.plan {
        Some(plan) => plan.output_dir.clone(),
        None => PathBuf::from(model.draft.output.dir.trim()),
    }
}

fn save_plan(model: &Model) -> Effect {
    let dir = model.draft.output.dir.trim();
    let path = if dir.is_empty() {
        model.plan_path.clone()
    } else {
        PathBuf::from(dir).join(PLAN_FILE)
    };
    Effect::SavePlan {
        path,
        toml: model.draft.to_toml(),
    }
}

fn choose(model: &mut Model, delta: isize) -> Vec<Effect> {
    let Some(Focusable::Choice(choice)) = model.focused() else {
        return Vec::new();
    };
    let options = choice.options();
    let current = match choice {
        ChoiceId::Resume => model.resume_choice,
        ChoiceId::Source => options
            .iter()
            .position(|o| o.0 == model.draft.source.trim())
            .unwrap_or(options.len().saturating_sub(1)),
        ChoiceId::Pkce => options
            .iter()
            .position(|o| o.0 == model.draft.kanidm.pkce.trim())
            .unwrap_or(0),
    };
    let next = current
        .saturating_add_signed(delta)
        .min(options.len().saturating_sub(1));
    let Some(value) = options.get(next).map(|o| o.0) else {
        return Vec::new();
    };
    match choice {
        ChoiceId::Resume => {
            model.resume_choice = next;
            Vec::new()
        }
        ChoiceId::Source => {
            model.draft.source = value.into();
            draft_changed(model)
        }
        ChoiceId::Pkce => {
            model.draft.kanidm.pkce = value.into();
            draft_changed(model)
        }
    }
}

/// Columns one ←/→ moves the Review diff.
const HSCROLL_STEP: u16 = 10;

fn select(model: &mut Model, down: bool) {
    let (index, len) = match model.step {
        Step::Checks => {
            model.board.details_scroll = 0;
            (&mut model.board.selected, CheckId::ALL.len())
        }
        Step::Review => {
            model.review.scroll = 0;
            model.review.hscroll = 0;
            let len = model.review.planned().len();
            (&mut model.review.selected, len)
        }
        Step::Done => {
            let len = model.copyable().len();
            (&mut model.done_selected, len)
        }
        _ => return,
    };
    if len == 0 {
        return;
    }
    *index = if down {
        (*index + 1).min(len - 1)
    } else {
        index.saturating_sub(1)
    };
}
