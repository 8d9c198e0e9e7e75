//! `update(&mut Model, Msg) -> Vec<Effect>`: the only place the wizard's state changes. It handles
//! what belongs to no screen (help, quitting, saving the plan, moving between steps, focus) and
//! hands the rest to the screen's module, then carries out the [`Turn`] it answers. No I/O here:
//! anything that touches the network, the disk or the terminal is returned as an [`Effect`].

use super::effect::Effect;
use super::model::{Modal, Model};
use super::msg::{DeploymentMsg, Msg};
use super::screens::explain::ExplainBox;
use super::screens::inspect::{Inspect, Reply, list_rows};
use super::screens::{
    Turn, checks, done, form, review, source, user_commands, users, welcome, write,
};
use super::step::Step;
use crate::checks::CheckId;
use crate::inspect::{Live, Source};
use crate::keymap::{self, Action, Context};
use crate::plan::PLAN_FILE;
use crossterm::event::KeyEvent;
use std::path::PathBuf;

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(model, key),
        Msg::Paste(text) => on_paste(model, &text),
        Msg::Resize(w, h) => {
            model.size = (w, h);
            if let Some(inspect) = model.inspect.as_mut() {
                inspect.resize(list_rows((w, h)));
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
            checks::debounce_elapsed(&mut model.board, generation, model.answers.checkable())
        }
        Msg::Check(event) => {
            checks::on_event(&mut model.board, event);
            Vec::new()
        }
        Msg::UsersLoaded(generation, result) => {
            let plan = model.answers.plan.clone();
            if let Some(notice) =
                users::on_loaded(&mut model.users, plan.as_deref(), generation, result)
            {
                model.notice = Some(notice);
            }
            Vec::new()
        }
        Msg::Planned(generation, result) => {
            review::on_planned(&mut model.review, generation, result);
            Vec::new()
        }
        Msg::Written(result) => match write::on_written(&mut model.write, result) {
            Some(files) => {
                model.done.written = Some(files);
                let turn = write::after_written(&mut model.write, &model.review);
                apply(model, turn)
            }
            None => Vec::new(),
        },
        Msg::Deployment(msg) => on_deployment(model, msg),
        Msg::PlanSaved(result) => match result {
            Ok(path) => {
                model.answers.baseline = model.answers.draft.clone();
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

/// NetBox's configuration read (Source), its patch planned (Review) or written (Write).
fn on_deployment(model: &mut Model, msg: DeploymentMsg) -> Vec<Effect> {
    match msg {
        DeploymentMsg::Read { generation, result } => {
            let turn = source::on_read(&mut model.source, &mut model.answers, generation, result);
            apply(model, turn)
        }
        DeploymentMsg::Planned { generation, result } => {
            review::on_patch_planned(&mut model.review, generation, result);
            Vec::new()
        }
        DeploymentMsg::Applied(result) => match write::on_applied(&mut model.write, result) {
            Some(applied) => {
                model.done.patched = Some(applied);
                apply(model, Turn::go(Step::Done))
            }
            None => Vec::new(),
        },
    }
}

fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let ctx = model.context();
    if ctx.is_inspect() {
        return inspect_key(model, ctx, key);
    }
    if ctx == Context::ExplainBox {
        return explain_key(model, ctx, key);
    }
    if let Some(action) = keymap::resolve(ctx, &key) {
        model.notice = None;
        return on_action(model, ctx, action);
    }
    if matches!(ctx, Context::UsersInput | Context::UsersPicker) {
        users::on_key(&mut model.users, key);
        users::keep_paths(&model.users, &mut model.answers);
        return Vec::new();
    }
    if ctx == Context::TextField {
        let focused = model.focused();
        let turn = form::on_key(&mut model.answers, focused, key);
        return apply(model, turn);
    }
    Vec::new()
}

fn on_paste(model: &mut Model, text: &str) -> Vec<Effect> {
    if model.context() == Context::ExplainBox
        && let Some(open) = model.explain.as_mut()
    {
        open.on_paste(text, &model.board, model.answers.plan.as_deref());
        return Vec::new();
    }
    if let Some(inspect) = model.inspect.as_mut() {
        inspect.on_paste(text);
        return Vec::new();
    }
    if model.context() == Context::UsersInput {
        users::on_paste(&mut model.users, text);
        users::keep_paths(&model.users, &mut model.answers);
        return Vec::new();
    }
    if model.context() != Context::TextField {
        return Vec::new();
    }
    let focused = model.focused();
    let turn = form::on_paste(&mut model.answers, focused, text);
    apply(model, turn)
}

/// Keys while the inspect view is open: help, the explain box and quit-now stay the wizard's;
/// everything else is the view's, and an unbound key types into its filter.
fn inspect_key(model: &mut Model, ctx: Context, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ctx, &key);
    if let Some(action @ (Action::Help | Action::Explain | Action::ForceQuit)) = action {
        return on_action(model, ctx, action);
    }
    let Some(inspect) = model.inspect.as_mut() else {
        return Vec::new();
    };
    let Some(action) = action else {
        return inspect.on_text_key(key);
    };
    match inspect.on_action(action, &mut model.reads) {
        Reply::Stay(effects) => effects,
        Reply::Close => close_inspect(model),
    }
}

/// Keys while the explain box is open: Esc closes it, quit-now stays the wizard's, unbound keys
/// type into its text.
fn explain_key(model: &mut Model, ctx: Context, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ctx, &key);
    let plan = model.answers.plan.clone();
    match (action, model.explain.as_mut()) {
        (Some(Action::Cancel), _) => model.explain = None,
        (Some(Action::ForceQuit), _) => return on_action(model, ctx, Action::ForceQuit),
        (Some(action), Some(open)) => open.on_action(action, &model.board, plan.as_deref()),
        (None, Some(open)) => open.on_key(key, &model.board, plan.as_deref()),
        (_, None) => {}
    }
    Vec::new()
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
    let (plan, label) = match (&model.answers.plan, model.answers.checkable()) {
        (Some(plan), _) => (plan.clone(), Some("the wizard's answers".to_string())),
        (None, Some((plan, Some(only)))) if only.contains(&CheckId::KanidmTls) => (plan, None),
        _ => {
            model.notice = Some(
                "The inspect view needs valid Kanidm answers first (URL, client, admin account)."
                    .into(),
            );
            return Vec::new();
        }
    };
    // Drift needs the whole plan; with only the Kanidm answers valid, the clients are shown alone.
    let drift_plan = label.is_some().then(|| plan.clone());
    let mut inspect = Inspect::new(
        Source::Live(Live::for_plan(&plan)),
        drift_plan,
        label,
        Some(plan.kanidm.client.clone()),
        true,
    );
    inspect.resize(list_rows(model.size));
    let read = inspect.read(&mut model.reads);
    model.inspect = Some(inspect);
    model.notice = None;
    vec![read]
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
        Action::Cancel if model.step == Step::Users && model.modal.is_none() => {
            let turn = screen_action(model, action);
            apply(model, turn)
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
        Action::Inspect => open_inspect(model),
        Action::Explain => {
            model.explain = Some(ExplainBox::paste());
            Vec::new()
        }
        Action::ExplainCheck => {
            match ExplainBox::for_selected_check(&model.board, model.answers.plan.as_deref()) {
                Ok(open) => model.explain = Some(open),
                Err(why) => model.notice = Some(why),
            }
            Vec::new()
        }
        Action::UseDetected => {
            let Some(super::step::Focusable::Field(field)) = model.focused() else {
                return Vec::new();
            };
            if field == crate::plan::Field::DeploymentBackendName {
                let turn = source::take_backend_name(&mut model.answers);
                return apply(model, turn);
            }
            let Some(offer) = super::screens::offer(field) else {
                return Vec::new();
            };
            let detected = model.board.detected(offer.check).cloned();
            let turn = form::take_release(&mut model.answers, offer, detected.as_ref());
            apply(model, turn)
        }
        Action::Back => back(model),
        Action::FocusNext | Action::FocusPrev if model.step == Step::Users => {
            let turn = screen_action(model, action);
            apply(model, turn)
        }
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
        _ => {
            if action == Action::Next {
                model.answers.visited.insert(model.step);
            }
            let turn = screen_action(model, action);
            apply(model, turn)
        }
    }
}

/// The current screen's own keys.
fn screen_action(model: &mut Model, action: Action) -> Turn {
    match model.step {
        Step::Welcome => welcome::on_action(&mut model.welcome, &mut model.answers, action),
        Step::Source => source::on_action(
            &mut model.source,
            &mut model.focus,
            &mut model.answers,
            action,
            model.size,
        ),
        Step::Kanidm | Step::NetBox | Step::Options => {
            form::on_action(model.step, &mut model.focus, &mut model.answers, action)
        }
        Step::Checks => checks::on_action(&mut model.board, &model.answers, action),
        Step::Users => {
            let plan = model.answers.plan.clone();
            users::on_action(&mut model.users, plan.as_deref(), action)
        }
        Step::Review => review::on_action(&mut model.review, &mut model.answers, action),
        Step::Write => write::on_action(&mut model.write, &model.review, action),
        Step::Done => users::has_source(model.answers.plan.as_deref())
            .then(|| user_commands::on_action(&mut model.users, action))
            .flatten()
            .unwrap_or_else(|| done::on_action(&mut model.done, &model.answers, action)),
    }
}

/// Carries out what a screen asked for: new answers are validated and the checks restarted
/// (through a debounce), then the next step is entered.
fn apply(model: &mut Model, turn: Turn) -> Vec<Effect> {
    let mut effects = turn.effects;
    if turn.changed {
        model.answers.revalidate();
        effects.extend(checks::answers_changed(
            &mut model.board,
            model.answers.checkable(),
        ));
        effects.extend(source::answers_changed(&mut model.source, &model.answers));
    }
    if let Some(notice) = turn.notice {
        model.notice = Some(notice);
    }
    if let Some(step) = turn.go {
        effects.extend(enter(model, step));
    }
    if let Some(focus) = turn.focus {
        model.focus = focus;
    }
    effects
}

/// Shows a step, its first field focused. Into the Review the files are compared with the disk
/// again; into Write the confirmation starts on the safe answer.
fn enter(model: &mut Model, step: Step) -> Vec<Effect> {
    model.step = step;
    model.focus = 0;
    match step {
        Step::Users => {
            let plan = model.answers.plan.clone();
            let found = model.source.found().map(|f| (f.shape, f.base.as_path()));
            users::take_saved_paths(&mut model.users, &model.answers.draft);
            users::enter(&mut model.users, plan.as_deref(), found);
            Vec::new()
        }
        Step::Review => {
            let mut effects = review::enter(&mut model.review, model.answers.plan.as_ref());
            // The matched user map joins the files the review compares and Write writes.
            for effect in &mut effects {
                if let Effect::PlanFiles { files, .. } = effect {
                    model.users.add_files(files);
                }
            }
            effects
        }
        Step::Write => {
            write::enter(&mut model.write, &model.review);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Back to the previous step: always allowed (answers are kept), except while writing and after.
fn back(model: &mut Model) -> Vec<Effect> {
    if model.write.writing || model.step == Step::Done {
        return Vec::new();
    }
    if model.step.is_form() {
        model.answers.visited.insert(model.step);
    }
    match model.step.prev() {
        Some(prev) => enter(model, prev),
        None => Vec::new(),
    }
}

fn save_plan(model: &Model) -> Effect {
    let dir = model.answers.draft.output.dir.trim();
    let path = if dir.is_empty() {
        model.plan_path.clone()
    } else {
        PathBuf::from(dir).join(PLAN_FILE)
    };
    Effect::SavePlan {
        path,
        toml: model.answers.draft.to_toml(),
    }
}
