#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The wizard against live loopback servers: answers typed into `update`, effects performed by the
//! real runtime executor, check events fed back until the board settles. A Kanidm whose clock is
//! 1.5 s ahead must show a failing (or warning) clock check with its fix on the board.

mod support;
#[path = "support/wizard.rs"]
mod wizard;

use crossterm::event::KeyCode;
use nbsso::app::{Model, Msg, Step, update};
use nbsso::checks::{CheckId, Options, Status};
use nbsso::runtime::effects::Executor;
use std::time::Duration;
use support::idp::TestIdp;
use support::netbox::{LoginStyle, TestNetbox};
use tokio::sync::mpsc::unbounded_channel;
use wizard::*;

/// Kanidm (clock `offset_ms` ahead) with NetBox's callback registered, and a NetBox pointing at it.
fn servers(offset_ms: i64) -> (TestIdp, TestNetbox) {
    let placeholder = TestIdp::builder().start_blocking();
    let netbox = TestNetbox::builder()
        .style(LoginStyle::PostBegin)
        .authorize_endpoint(&format!("{}/ui/oauth2", placeholder.origin()))
        .client_id("netbox")
        .use_pkce(true)
        .button("Kanidm", Some("login"))
        .start_blocking();
    let redirect = format!("{}/oauth/complete/oidc/", netbox.origin());
    let idp = TestIdp::builder()
        .client("netbox", "s")
        .redirect_url(&redirect)
        .clock_offset_ms(offset_ms)
        .start_blocking();
    let endpoint = format!("{}/ui/oauth2", idp.origin());
    netbox.configure(|c| {
        if let Some(sso) = c.sso.as_mut() {
            sso.authorize_endpoint = endpoint;
        }
    });
    (idp, netbox)
}

/// Types the answers for the two servers; ends on the Checks step.
fn answer(m: &mut Model, idp: &TestIdp, nb: &TestNetbox) -> Vec<nbsso::app::Effect> {
    let mut effects = Vec::new();
    press(m, KeyCode::Enter);
    press(m, KeyCode::Up);
    press(m, KeyCode::Up);
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
    assert_eq!(m.step, Step::Checks, "{:?}", m.problems);
    effects
}

#[test]
fn a_kanidm_clock_ahead_shows_a_failing_clock_check_with_its_fix() {
    let (idp, nb) = servers(1500);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _entered = rt.enter();
    let (tx, mut rx) = unbounded_channel();
    let (check_tx, mut check_rx) = unbounded_channel();
    let options = Options {
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let mut executor = Executor::new(tx, check_tx, options);
    let mut m = model();
    for effect in answer(&mut m, &idp, &nb) {
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
                for effect in update(&mut m, msg) {
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
    executor.shutdown();
}
