//! The explain box: F3 on any screen opens it, a pasted error is explained as `nbsso explain`
//! explains it, Esc closes it and the screen under it is as it was; `e` on the Checks screen
//! opens the catalogue entry of the selected failed check. Whole-screen snapshots.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nbsso::app::{Model, Msg, Step, update};
use nbsso::checks::{CheckId, Finding};
use testkit::wizard::*;

const NBF_TRACEBACK: &str = include_str!("../fixtures/errors/socialcore-nbf.txt");

/// What `manage.py check` prints on a NetBox that works: nothing nbsso knows.
const UNRELATED: &str = "\
Performing system checks...

System check identified no issues (0 silenced).
December 02, 2026 - 21:40:11
Django version 5.2.8, using settings 'netbox.settings'
Starting development server at http://127.0.0.1:8000/
Quit the server with CONTROL-C.
";

fn snap(name: &str, model: &mut Model) {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(model, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

fn paste(m: &mut Model, text: &str) {
    update(m, Msg::Paste(text.to_string()));
}

/// The Kanidm screen with a URL typed, the explain box open on top.
fn kanidm_with_box() -> Model {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "https://idm.example.com");
    press(&mut m, KeyCode::F(3));
    m
}

#[test]
fn a_pasted_traceback_is_explained() {
    let mut m = kanidm_with_box();
    paste(&mut m, NBF_TRACEBACK);
    let open = m.explain.as_ref().expect("the box is open");
    assert!(open.matched);
    assert!(
        open.result
            .contains("NetBox's clock is behind Kanidm's (social-core's own nbf check)"),
        "{}",
        open.result
    );
    snap("explain_box_traceback", &mut m);
}

#[test]
fn unrelated_text_says_what_was_looked_for() {
    let mut m = kanidm_with_box();
    paste(&mut m, UNRELATED);
    let open = m.explain.as_ref().expect("the box is open");
    assert!(!open.matched);
    assert!(open.result.contains("found none of its"), "{}", open.result);
    snap("explain_box_unrelated", &mut m);
}

#[test]
fn esc_closes_the_box_and_the_screen_is_as_it_was() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "https://idm.example.com");
    let before = render(&mut m, 100, 30);
    press(&mut m, KeyCode::F(3));
    // Typing in the box (q, Enter, Backspace included) goes to the box, not to the field.
    type_text(&mut m, "q Token error: Signature has expired");
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Backspace);
    paste(&mut m, "\nAuthStateMissing");
    assert!(render(&mut m, 100, 30).contains("Explain an error"));
    assert_eq!(
        m.value(nbsso::plan::Field::KanidmOrigin),
        "https://idm.example.com"
    );
    press(&mut m, KeyCode::Esc);
    assert!(m.explain.is_none());
    assert_eq!(m.step, Step::Kanidm);
    assert_eq!(render(&mut m, 100, 30), before);
}

#[test]
fn ctrl_u_clears_the_text_and_pages_scroll_the_explanation() {
    let mut m = kanidm_with_box();
    paste(&mut m, NBF_TRACEBACK);
    press(&mut m, KeyCode::PageDown);
    assert_eq!(m.explain.as_ref().map(|b| b.scroll), Some(5));
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    let open = m.explain.as_ref().expect("open");
    assert!(open.text.is_empty() && !open.matched && open.scroll == 0);
}

/// A valid plan on the Checks screen; the clock check failed.
fn checks_with_failed_clock() -> Model {
    let mut m = model();
    fill_valid(&mut m);
    press(&mut m, KeyCode::Char('r'));
    check_done(
        &mut m,
        CheckId::KanidmTls,
        Finding::pass("certificate valid for idm.example.com"),
    );
    check_done(
        &mut m,
        CheckId::Clock,
        // The clock check's own words for a NetBox 1.5 s behind.
        Finding::fail(
            "NetBox is 1.512 s ± 0.004 s behind Kanidm: every login fails with \"Incorrect id_token: nbf\"",
        )
        .with_fix("run NTP (chrony or systemd-timesyncd) on both hosts")
        .with_detail("offset -1512 ms (8 samples, spread 4 ms)"),
    );
    m
}

#[test]
fn a_failed_check_opens_its_catalogue_entry() {
    let mut m = checks_with_failed_clock();
    while m.board.selected_id() != CheckId::Clock {
        press(&mut m, KeyCode::Down);
    }
    // The details of the failed check link to its entry.
    snap("explain_board_link", &mut m);
    press(&mut m, KeyCode::Char('e'));
    let open = m.explain.as_ref().expect("the entry is open");
    assert!(!open.editable);
    assert!(
        open.result
            .starts_with("The check Clocks says failed: NetBox is 1.512 s ± 0.004 s behind Kanidm"),
        "{}",
        open.result
    );
    snap("explain_box_failed_check", &mut m);
    // Pasting into an entry changes nothing; Esc is back on the board.
    paste(&mut m, NBF_TRACEBACK);
    assert!(m.explain.as_ref().is_some_and(|b| b.text.is_empty()));
    press(&mut m, KeyCode::Esc);
    assert_eq!((m.step, m.explain.is_none()), (Step::Checks, true));
}

#[test]
fn a_passed_check_has_nothing_to_explain() {
    let mut m = checks_with_failed_clock();
    while m.board.selected_id() != CheckId::KanidmTls {
        press(&mut m, KeyCode::Up);
    }
    press(&mut m, KeyCode::Char('e'));
    assert!(m.explain.is_none());
    assert!(
        m.notice
            .as_deref()
            .is_some_and(|n| n.contains("has not failed")),
        "{:?}",
        m.notice
    );
}
