//! The real loop on a `TestBackend`: scripted terminal events in, the screen and the outcome out.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::Stream;
use nbsso::plan::Field;
use nbsso::runtime::{EventLoop, Outcome, to_msg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io;
use std::pin::Pin;
use testkit::wizard;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

type Events = Pin<Box<dyn Stream<Item = io::Result<Event>> + Send>>;

/// A stream of the given events that stays open while `keep` lives.
fn script(events: Vec<Event>) -> (Events, UnboundedSender<Event>) {
    let (tx, rx) = unbounded_channel();
    for e in events {
        tx.send(e).unwrap();
    }
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
        );
    (Box::pin(stream), tx)
}

fn k(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn text(s: &str) -> Vec<Event> {
    s.chars().map(|c| k(KeyCode::Char(c))).collect()
}

#[tokio::test]
async fn typed_answers_reach_the_model_and_the_screen_is_drawn() {
    let mut events = vec![k(KeyCode::Enter), k(KeyCode::Enter)];
    events.extend(text("idm.example.com"));
    events.push(k(KeyCode::Esc));
    let (events, _keep) = script(events);
    let (_stop_tx, stop) = unbounded_channel();
    let terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut model = wizard::model();
    // The script ends with the quit question open; then the input closes.
    drop(_keep);
    let mut ui = EventLoop::new(terminal, events, stop);
    let outcome = ui.run(&mut model, Vec::new()).await.unwrap();
    assert_eq!(outcome, Outcome::InputClosed);
    assert_eq!(model.value(Field::KanidmOrigin), "idm.example.com");
    let screen = ui.terminal.backend().to_string();
    assert!(screen.contains("Quit nbsso?"), "{screen}");
    assert!(screen.contains("needs a scheme"), "{screen}");
}

#[tokio::test]
async fn quitting_without_saving_ends_the_loop() {
    let mut events = vec![k(KeyCode::Enter), k(KeyCode::Enter)];
    events.extend(text("x"));
    events.extend([k(KeyCode::Esc), k(KeyCode::Char('d'))]);
    let (events, _keep) = script(events);
    let (_stop_tx, stop) = unbounded_channel();
    let terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut model = wizard::model();
    let mut ui = EventLoop::new(terminal, events, stop);
    let outcome = ui.run(&mut model, Vec::new()).await.unwrap();
    assert_eq!(outcome, Outcome::Quit);
}

#[tokio::test]
async fn a_signal_ends_the_loop_with_its_number() {
    let (events, _keep) = script(Vec::new());
    let (stop_tx, stop) = unbounded_channel();
    stop_tx.send(15).unwrap();
    let terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut model = wizard::model();
    let mut ui = EventLoop::new(terminal, events, stop);
    let outcome = ui.run(&mut model, Vec::new()).await.unwrap();
    assert_eq!(outcome, Outcome::Signal(15));
}

#[tokio::test]
async fn a_small_terminal_gets_a_message_instead_of_the_layout() {
    let (events, keep) = script(vec![Event::Resize(60, 20)]);
    drop(keep);
    let (_stop_tx, stop) = unbounded_channel();
    let terminal = Terminal::new(TestBackend::new(60, 20)).unwrap();
    let mut model = wizard::model();
    let mut ui = EventLoop::new(terminal, events, stop);
    ui.run(&mut model, Vec::new()).await.unwrap();
    assert_eq!(model.size, (60, 20));
    let screen = ui.terminal.backend().to_string();
    assert!(screen.contains("too small"), "{screen}");
    assert!(screen.contains("60×20"), "{screen}");
}

#[tokio::test]
async fn a_terminal_size_seen_only_when_drawing_reaches_the_model_through_update() {
    let (events, keep) = script(Vec::new());
    drop(keep);
    let (_stop_tx, stop) = unbounded_channel();
    let terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut model = wizard::model();
    assert_eq!(model.size, (80, 24));
    let mut ui = EventLoop::new(terminal, events, stop);
    ui.run(&mut model, Vec::new()).await.unwrap();
    assert_eq!(model.size, (100, 30));
    let screen = ui.terminal.backend().to_string();
    assert!(screen.contains("Press Enter to begin."), "{screen}");
}

#[tokio::test]
async fn done_copies_the_selected_value_to_the_clipboard() {
    let mut model = wizard::model();
    wizard::fill_valid(&mut model);
    model.step = nbsso::app::Step::Done;
    model.done.written = Some(Vec::new());
    let redirect = model.answers.plan.as_ref().unwrap().redirect_url();
    let (events, keep) = script(vec![k(KeyCode::Down), k(KeyCode::Char('c'))]);
    drop(keep);
    let (mut ui, clipboard) = wizard::test_loop(events, 80, 24);
    ui.run(&mut model, Vec::new()).await.unwrap();
    assert_eq!(clipboard.copies(), [redirect]);
    let screen = ui.terminal.backend().to_string();
    assert!(
        screen.contains("Copied the Redirect URL through OSC 52"),
        "{screen}"
    );
}

#[test]
fn only_presses_and_repeats_become_messages() {
    let mut release = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE);
    release.kind = crossterm::event::KeyEventKind::Release;
    assert!(to_msg(Event::Key(release)).is_none());
    assert!(to_msg(k(KeyCode::Char('a'))).is_some());
    assert!(to_msg(Event::FocusGained).is_none());
    assert!(to_msg(Event::Paste("x".into())).is_some());
}

#[test]
fn without_a_terminal_the_wizard_explains_and_exits_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the wizard needs a terminal"), "{err}");
    assert!(err.contains("nbsso generate --plan FILE"), "{err}");
}
