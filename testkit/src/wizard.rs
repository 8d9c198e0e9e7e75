//! Helpers for the wizard's flow and snapshot tests: drive `update` with keys and text, render a
//! model on a `TestBackend`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nbsso::app::{Config, Effect, Model, Msg, Step, update};
use nbsso::generate::writer::{self, PlannedFile};
use nbsso::runtime::EventLoop;
use nbsso::runtime::clipboard::Recorded;
use nbsso::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::sync::Arc;

pub fn model() -> Model {
    Model::new(Config {
        theme: Theme::colour(),
        ..Config::default()
    })
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn press(model: &mut Model, code: KeyCode) -> Vec<Effect> {
    update(model, key(code))
}

/// Types text one key at a time; returns every effect emitted, in order.
pub fn type_text(model: &mut Model, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(update(model, key(KeyCode::Char(c))));
    }
    effects
}

/// Clears the focused field (ctrl-u) and types `text`.
pub fn replace_text(model: &mut Model, text: &str) -> Vec<Effect> {
    let mut effects = update(
        model,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    effects.extend(type_text(model, text));
    effects
}

/// Moves focus to the field at `index` on the current step.
pub fn focus(model: &mut Model, index: usize) {
    while model.focus != index {
        press(model, KeyCode::Tab);
    }
}

/// The answers of a valid plan, typed through the screens; ends on the Checks step.
pub fn fill_valid(model: &mut Model) -> Vec<Effect> {
    let mut effects = Vec::new();
    press(model, KeyCode::Enter); // Welcome → Source
    for _ in 0..4 {
        effects.extend(press(model, KeyCode::Up)); // none → oidc → keycloak-oidc → authentik → keycloak
    }
    press(model, KeyCode::Enter); // → Kanidm
    effects.extend(type_text(model, "https://idm.example.com"));
    focus(model, 6);
    effects.extend(type_text(model, "alice, bob"));
    press(model, KeyCode::Enter); // → NetBox
    effects.extend(type_text(model, "https://netbox.example.com"));
    press(model, KeyCode::Enter); // → Options
    effects.extend(press(model, KeyCode::Enter)); // → Checks
    assert_eq!(model.step, Step::Checks, "{:?}", model.answers.problems);
    effects
}

/// A check of the current run finished with `finding`.
pub fn check_done(model: &mut Model, id: nbsso::checks::CheckId, finding: nbsso::checks::Finding) {
    update(
        model,
        Msg::Check(nbsso::checks::CheckEvent {
            run: model.board.run,
            id,
            status: finding.status,
            finding: Some(finding),
        }),
    );
}

/// The debounce generations in a list of effects.
pub fn debounces(effects: &[Effect]) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Debounce { generation, .. } => Some(*generation),
            _ => None,
        })
        .collect()
}

/// Plans the files of the model's plan against a temp dir holding `existing` files, with paths
/// shown as `nbsso-out/…` so snapshots do not depend on the temp dir.
pub fn planned_files(model: &Model, existing: &[(&str, &str)]) -> Vec<PlannedFile> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in existing {
        std::fs::write(dir.path().join(name), text).expect("write existing");
    }
    let plan = model.answers.plan.clone().expect("valid plan");
    let files = nbsso::generate::generate(&plan);
    let tmp = dir.path().display().to_string();
    writer::plan_files(dir.path(), &files)
        .expect("plan files")
        .into_iter()
        .map(|mut f| {
            f.path = PathBuf::from(f.path.display().to_string().replace(&tmp, "nbsso-out"));
            f.diff = f.diff.replace(&tmp, "nbsso-out");
            f
        })
        .collect()
}

/// Renders the model at `w`×`h` and returns the screen as text.
pub fn render(model: &mut Model, w: u16, h: u16) -> String {
    update(model, Msg::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| nbsso::view::render(model, f))
        .expect("draw");
    terminal.backend().to_string()
}

/// Renders and returns the buffer, for style assertions.
pub fn render_buffer(model: &mut Model, w: u16, h: u16) -> ratatui::buffer::Buffer {
    update(model, Msg::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| nbsso::view::render(model, f))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// The real loop on a `w`×`h` test terminal with scripted `events` (no stop signal), and the
/// clipboard it copies to.
pub fn test_loop<S>(events: S, w: u16, h: u16) -> (EventLoop<TestBackend, S>, Arc<Recorded>)
where
    S: futures_util::Stream<Item = std::io::Result<crossterm::event::Event>> + Unpin,
{
    let (_, stop) = tokio::sync::mpsc::unbounded_channel();
    let clipboard = Arc::new(Recorded::default());
    let terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let ui = EventLoop::new(terminal, events, stop).with_clipboard(clipboard.clone());
    (ui, clipboard)
}
