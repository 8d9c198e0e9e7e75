//! The wizard against live loopback servers: answers typed into `update`, effects performed by the
//! real runtime executor, check events fed back until the board settles. A Kanidm whose clock is
//! 1.5 s ahead must show a failing (or warning) clock check with its fix on the board; a Kanidm of
//! another release has it offered on the Kanidm version field.

use crossterm::event::KeyCode;
use nbsso::app::{Model, Msg, Step, update};
use nbsso::checks::{CheckId, Options, Status};
use nbsso::runtime::effects::Executor;
use std::time::Duration;
use testkit::idp::{TestIdp, TestIdpBuilder};
use testkit::netbox::TestNetbox;
use testkit::wizard;
use tokio::sync::mpsc::unbounded_channel;
use wizard::*;

/// Kanidm (clock `offset_ms` ahead) with NetBox's callback registered, and a NetBox pointing at it.
fn servers(offset_ms: i64) -> (TestIdp, TestNetbox) {
    servers_with(|idp| idp.clock_offset_ms(offset_ms))
}

fn servers_with(kanidm: impl FnOnce(TestIdpBuilder) -> TestIdpBuilder) -> (TestIdp, TestNetbox) {
    testkit::pair::kanidm_and_netbox("s", kanidm)
}

/// Types the answers for the two servers; ends on the Checks step.
fn answer(m: &mut Model, idp: &TestIdp, nb: &TestNetbox) -> Vec<nbsso::app::Effect> {
    let mut effects = Vec::new();
    press(m, KeyCode::Enter);
    for _ in 0..4 {
        press(m, KeyCode::Up); // none → … → keycloak
    }
    press(m, KeyCode::Enter);
    assert_eq!(m.step, Step::Kanidm);
    effects.extend(type_text(m, &idp.origin()));
    focus(m, 1);
    effects.extend(type_text(m, &idp.ca_pem_path().display().to_string()));
    focus(m, 6);
    effects.extend(type_text(m, "alice"));
    press(m, KeyCode::Enter);
    effects.extend(type_text(m, &nb.origin()));
    press(m, KeyCode::Enter);
    press(m, KeyCode::Enter);
    assert_eq!(m.step, Step::Checks, "{:?}", m.answers.problems);
    effects
}

/// Performs `effects` with the real executor and feeds what comes back into `update` until the board
/// has a plan and nothing runs; returns how many check runs started.
fn settle(m: &mut Model, effects: Vec<nbsso::app::Effect>) -> usize {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _entered = rt.enter();
    let (tx, mut rx) = unbounded_channel();
    let (check_tx, mut check_rx) = unbounded_channel();
    let options = Options {
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let mut executor = Executor::new(tx, check_tx, options);
    for effect in effects {
        executor.run(effect);
    }
    let mut runs_started = 0;
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let msg = tokio::select! {
                    Some(msg) = rx.recv() => msg,
                    Some(event) = check_rx.recv() => Msg::Check(event),
                };
                for effect in update(m, msg) {
                    if matches!(effect, nbsso::app::Effect::StartChecks { .. }) {
                        runs_started += 1;
                    }
                    executor.run(effect);
                }
                if m.board.plan.is_some() && !m.board.running() {
                    break;
                }
            }
        })
        .await
        .expect("the checks settle within 60 s");
    });
    executor.shutdown();
    runs_started
}

#[test]
fn a_kanidm_clock_ahead_shows_a_failing_clock_check_with_its_fix() {
    let (idp, nb) = servers(1500);
    let mut m = model();
    let effects = answer(&mut m, &idp, &nb);
    let runs_started = settle(&mut m, effects);
    assert_eq!(runs_started, 1, "one debounced run for all that typing");
    let rows = m.board.rows.clone();
    assert_eq!(rows[&CheckId::KanidmTls].status, Status::Pass, "{rows:#?}");
    assert_eq!(rows[&CheckId::Discovery].status, Status::Pass, "{rows:#?}");
    let clock = rows[&CheckId::Clock].clone();
    assert!(
        matches!(clock.status, Status::Fail | Status::Warn),
        "{clock:#?}"
    );
    let fix = clock
        .finding
        .as_ref()
        .and_then(|f| f.fix.clone())
        .expect("a fix");
    // Select the clock row and read the board as the user would.
    while m.board.selected_id() != CheckId::Clock {
        press(&mut m, KeyCode::Down);
    }
    let screen = render(&mut m, 120, 40);
    let word = clock.status.word();
    assert!(
        screen
            .lines()
            .any(|l| l.contains("Clocks") && l.contains(word)),
        "{screen}"
    );
    assert!(screen.contains("Details: Clocks"), "{screen}");
    assert!(screen.contains("Fix: "), "{screen}");
    let fix_start: String = fix.chars().take(30).collect();
    assert!(screen.contains(&fix_start), "{fix_start:?} in {screen}");
}

#[test]
fn kanidms_release_is_offered_on_its_field_and_f2_makes_the_script_follow_it() {
    let (idp, nb) = servers_with(|idp| idp.server_version("1.7.3"));
    let mut m = model();
    let effects = answer(&mut m, &idp, &nb);
    settle(&mut m, effects);
    let discovery = m.board.rows[&CheckId::Discovery].clone();
    assert_eq!(discovery.status, Status::Warn, "{discovery:#?}");

    // Back on the Kanidm screen, the version field says what Kanidm answered.
    for _ in 0..3 {
        press(&mut m, KeyCode::PageUp);
    }
    assert_eq!(m.step, Step::Kanidm);
    focus(&mut m, 7);
    let screen = render(&mut m, 80, 24);
    assert!(
        screen
            .lines()
            .any(|l| l.contains("Kanidm version") && l.contains("1.11.1")),
        "{screen}"
    );
    assert!(
        screen.contains("! Kanidm answers as 1.7.3: F2 uses it"),
        "{screen}"
    );
    let before = planned_files(&m, &[]);
    let setup = |files: &[nbsso::generate::writer::PlannedFile]| {
        files
            .iter()
            .find(|f| f.path.ends_with("kanidm-setup.sh"))
            .map(|f| f.contents.clone())
            .expect("kanidm-setup.sh is planned")
    };
    assert!(setup(&before).contains("for Kanidm 1.11.1"));
    assert!(setup(&before).contains("consent-prompt \"$CLIENT\""));

    // F2 takes it; the checks run again and agree; the script is now for 1.7.3, which has no
    // consent prompt switch.
    let effects = press(&mut m, KeyCode::F(2));
    assert_eq!(m.answers.draft.kanidm.version, "1.7.3");
    assert_eq!(
        m.notice.as_deref(),
        Some("Kanidm version set to 1.7.3, from Kanidm's answer.")
    );
    settle(&mut m, effects);
    let discovery = m.board.rows[&CheckId::Discovery].clone();
    assert_eq!(discovery.status, Status::Pass, "{discovery:#?}");
    let screen = render(&mut m, 80, 24);
    assert!(screen.contains("✓ Kanidm answers as 1.7.3"), "{screen}");
    let after = planned_files(&m, &[]);
    assert!(setup(&after).contains("for Kanidm 1.7.3"));
    assert!(!setup(&after).contains("consent-prompt"));
}
