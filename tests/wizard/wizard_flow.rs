//! Flow tests without a terminal: a script of messages into `update`, asserting the model and the
//! effects it returns.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nbsso::app::Focusable;
use nbsso::app::model::Modal;
use nbsso::app::{Effect, Msg, Step, update};
use nbsso::checks::{CheckEvent, CheckId, Finding, Status};
use nbsso::plan::Field;
use testkit::wizard::*;

fn start_run(effects: &[Effect]) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartChecks { run, .. } => Some(*run),
            _ => None,
        })
        .collect()
}

#[test]
fn typing_a_url_emits_one_debounced_check_run() {
    let mut m = model();
    press(&mut m, KeyCode::Enter); // Source
    press(&mut m, KeyCode::Enter); // Kanidm
    assert_eq!(m.step, Step::Kanidm);
    let effects = type_text(&mut m, "https://idm.example.com");
    // Every keystroke that leaves the Kanidm answers valid re-arms the debounce; nothing starts.
    assert!(effects.iter().all(|e| matches!(e, Effect::Debounce { .. })));
    let gens = debounces(&effects);
    assert!(gens.len() > 5, "{gens:?}");
    assert!(gens.windows(2).all(|w| w[0] < w[1]));
    // Old timers are ignored …
    for old in &gens[..gens.len() - 1] {
        assert!(update(&mut m, Msg::DebounceElapsed(*old)).is_empty());
    }
    // … and the newest starts one run: the Kanidm checks only, as NetBox's URL is still missing.
    let last = *gens.last().unwrap();
    let effects = update(&mut m, Msg::DebounceElapsed(last));
    match effects.as_slice() {
        [Effect::StartChecks { run: 1, plan, only }] => {
            assert_eq!(plan.kanidm.origin, "https://idm.example.com");
            let only: Vec<_> = only.as_ref().unwrap().iter().copied().collect();
            assert_eq!(
                only,
                [CheckId::KanidmTls, CheckId::Discovery, CheckId::Jwks]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(m.wants_tick(), "the board is pending: spinners tick");
    // The same timer again starts nothing.
    assert!(update(&mut m, Msg::DebounceElapsed(last)).is_empty());

    // With NetBox's URL too, one more debounced run checks everything.
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::NetBox);
    let effects = type_text(&mut m, "https://netbox.example.com");
    let last = *debounces(&effects).last().unwrap();
    match update(&mut m, Msg::DebounceElapsed(last)).as_slice() {
        [Effect::StartChecks { run: 2, plan, only }] => {
            assert_eq!(plan.netbox.url, "https://netbox.example.com");
            assert_eq!(*only, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn valid_netbox_answers_alone_start_the_netbox_checks() {
    let mut m = model();
    for _ in 0..2 {
        press(&mut m, KeyCode::Enter);
    }
    m.step = Step::NetBox; // Kanidm left empty
    m.focus = 0;
    let effects = type_text(&mut m, "https://netbox.example.com");
    let last = *debounces(&effects).last().unwrap();
    match update(&mut m, Msg::DebounceElapsed(last)).as_slice() {
        [Effect::StartChecks { only, .. }] => {
            let only: Vec<_> = only.as_ref().unwrap().iter().copied().collect();
            assert_eq!(only, [CheckId::NetboxLogin, CheckId::Redirect]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.board.rows.len(), 2, "only the NetBox checks are pending");
}

#[test]
fn a_stale_check_result_is_dropped() {
    let mut m = model();
    let effects = fill_valid(&mut m);
    let last = *debounces(&effects).last().unwrap();
    assert_eq!(
        start_run(&update(&mut m, Msg::DebounceElapsed(last))),
        vec![1]
    );
    // The user changes the NetBox URL: run 2 replaces run 1.
    press(&mut m, KeyCode::PageUp); // Options
    press(&mut m, KeyCode::PageUp); // NetBox
    let effects = type_text(&mut m, "x");
    let last = *debounces(&effects).last().unwrap();
    assert_eq!(
        start_run(&update(&mut m, Msg::DebounceElapsed(last))),
        vec![2]
    );
    let event = |run| {
        Msg::Check(CheckEvent {
            run,
            id: CheckId::Clock,
            status: Status::Fail,
            finding: Some(Finding::fail("clocks differ by 1.5 s")),
        })
    };
    update(&mut m, event(1));
    assert_eq!(m.board.rows[&CheckId::Clock].status, Status::Pending);
    update(&mut m, event(2));
    assert_eq!(m.board.rows[&CheckId::Clock].status, Status::Fail);
}

#[test]
fn answers_going_invalid_cancel_the_checks() {
    let mut m = model();
    let effects = fill_valid(&mut m);
    let last = *debounces(&effects).last().unwrap();
    update(&mut m, Msg::DebounceElapsed(last));
    press(&mut m, KeyCode::PageUp);
    press(&mut m, KeyCode::PageUp); // NetBox, URL focused
    // NetBox's URL goes invalid: the Kanidm side alone is still checkable, after the debounce.
    let effects = replace_text(&mut m, "netbox");
    let last = *debounces(&effects).last().unwrap();
    match update(&mut m, Msg::DebounceElapsed(last)).as_slice() {
        [Effect::StartChecks { run: 2, only, .. }] => assert!(only.is_some()),
        other => panic!("{other:?}"),
    }
    // The Kanidm URL goes invalid too: nothing is checkable, the run is cancelled at once.
    press(&mut m, KeyCode::PageUp); // Kanidm, URL focused
    let effects = replace_text(&mut m, "idm");
    assert!(effects.iter().any(|e| matches!(e, Effect::CancelChecks)));
    assert!(m.board.plan.is_none());
    assert!(!m.wants_tick());
}

#[test]
fn next_on_an_invalid_screen_moves_focus_to_the_first_invalid_field() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Kanidm);
    focus(&mut m, 4); // admin
    replace_text(&mut m, "admin"); // valid name, refused by the plan's rule
    focus(&mut m, 2);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Kanidm, "Next refused");
    assert_eq!(m.focused(), Some(Focusable::Field(Field::KanidmOrigin)));
    assert!(
        m.error(Focusable::Field(Field::KanidmOrigin), Step::Kanidm)
            .unwrap()
            .contains("required")
    );
    type_text(&mut m, "https://idm.example.com");
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Kanidm, "the admin account is still refused");
    assert_eq!(m.focused(), Some(Focusable::Field(Field::Admin)));
    assert!(
        m.error(Focusable::Field(Field::Admin), Step::Kanidm)
            .unwrap()
            .contains("cannot manage OAuth2 clients")
    );
}

#[test]
fn errors_show_once_a_field_is_typed_in_or_its_step_was_attempted() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    let origin = Focusable::Field(Field::KanidmOrigin);
    assert_eq!(
        m.error(origin, Step::Kanidm),
        None,
        "an untouched empty field"
    );
    type_text(&mut m, "idm.example.com");
    assert!(
        m.error(origin, Step::Kanidm)
            .unwrap()
            .contains("https://idm.example.com")
    );
}

#[test]
fn back_always_works_and_keeps_values() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "idm.example"); // invalid
    press(&mut m, KeyCode::PageUp);
    assert_eq!(m.step, Step::Source, "Back leaves an invalid screen");
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.value(Field::KanidmOrigin), "idm.example");
    assert_eq!(m.answers.draft.kanidm.origin, "idm.example");
}

#[test]
fn printable_keys_go_to_the_focused_field() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "q?r");
    assert_eq!(m.value(Field::KanidmOrigin), "q?r");
    assert!(m.modal.is_none() && !m.help);
}

#[test]
fn tab_and_shift_tab_cycle_focus() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, 1);
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(
        m.focused(),
        Some(Focusable::Field(Field::KanidmVersion)),
        "wraps to the last field"
    );
}

#[test]
fn quitting_asks_only_when_answers_would_be_lost() {
    let mut m = model();
    assert!(matches!(
        press(&mut m, KeyCode::Esc).as_slice(),
        [Effect::Quit]
    ));
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "https://idm.example.com");
    assert!(press(&mut m, KeyCode::Esc).is_empty());
    assert_eq!(m.modal, Some(Modal::Quit));
    // Enter keeps the user in the wizard.
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert_eq!(m.modal, None);
    press(&mut m, KeyCode::Esc);
    let effects = press(&mut m, KeyCode::Char('s'));
    match effects.as_slice() {
        [Effect::SavePlan { path, toml }] => {
            assert!(path.ends_with("nbsso-out/nbsso-plan.toml"), "{path:?}");
            assert!(toml.contains("https://idm.example.com"));
        }
        other => panic!("{other:?}"),
    }
    let saved = update(
        &mut m,
        Msg::PlanSaved(Ok("nbsso-out/nbsso-plan.toml".into())),
    );
    assert!(matches!(saved.as_slice(), [Effect::Quit]));
    assert!(!m.dirty());
}

#[test]
fn help_opens_with_f1_and_closes_with_esc_without_quitting() {
    let mut m = model();
    press(&mut m, KeyCode::F(1));
    assert!(m.help);
    assert!(press(&mut m, KeyCode::Esc).is_empty());
    assert!(!m.help);
}

#[test]
fn review_plans_files_and_write_defaults_to_no_when_overwriting() {
    let mut m = model();
    fill_valid(&mut m);
    press(&mut m, KeyCode::Enter); // Users: Enter with no export skips it
    let effects = press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Review);
    let generation = match effects.as_slice() {
        [
            Effect::PlanFiles {
                generation, files, ..
            },
        ] => {
            assert_eq!(files.len(), 5, "the four files and migrate-users.py");
            *generation
        }
        other => panic!("{other:?}"),
    };
    let files = planned_files(&m, &[("netbox-sso.py", "# old settings\n")]);
    // A result for an older review is ignored.
    update(&mut m, Msg::Planned(generation - 1, Ok(Vec::new())));
    assert!(m.review.files.is_none());
    update(&mut m, Msg::Planned(generation, Ok(files)));
    assert_eq!(m.review.overwrites().len(), 1);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Write);
    assert!(!m.write.yes, "defaults to No when a file is overwritten");
    // Enter on No goes back to the review, which compares with the disk again; nothing is written.
    let effects = press(&mut m, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::PlanFiles { .. }]),
        "{effects:?}"
    );
    assert_eq!(m.step, Step::Review);
    let files = planned_files(&m, &[("netbox-sso.py", "# old settings\n")]);
    let generation = m.review.generation;
    update(&mut m, Msg::Planned(generation, Ok(files)));
    press(&mut m, KeyCode::Enter);
    assert!(!m.write.yes, "No again");
    press(&mut m, KeyCode::Left);
    assert!(m.write.yes);
    match press(&mut m, KeyCode::Enter).as_slice() {
        [Effect::WriteFiles { planned }] => assert_eq!(planned.len(), 5),
        other => panic!("{other:?}"),
    }
    assert!(m.write.writing);
    update(&mut m, Msg::Written(Ok(Vec::new())));
    assert_eq!(m.step, Step::Done);
}

#[test]
fn write_defaults_to_yes_when_nothing_is_overwritten() {
    let mut m = model();
    fill_valid(&mut m);
    press(&mut m, KeyCode::Enter); // Users
    press(&mut m, KeyCode::Enter);
    let files = planned_files(&m, &[]);
    let generation = m.review.generation;
    update(&mut m, Msg::Planned(generation, Ok(files)));
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Write);
    assert!(m.write.yes);
}

#[test]
fn review_with_missing_answers_refuses_and_jumps_to_the_field() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    for _ in 0..4 {
        press(&mut m, KeyCode::PageDown);
    }
    // Next is refused on Kanidm: go around it with the keys for the later steps.
    assert_eq!(m.step, Step::Kanidm);
    m.step = Step::Review; // as if reached before the answers went invalid
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert_eq!(m.step, Step::Review);
    press(&mut m, KeyCode::Char('m'));
    assert_eq!(m.step, Step::Kanidm);
    assert_eq!(m.focused(), Some(Focusable::Field(Field::KanidmOrigin)));
}

#[test]
fn rerun_starts_a_new_run_and_ticks_only_while_running() {
    let mut m = model();
    fill_valid(&mut m);
    assert!(!m.wants_tick());
    let effects = press(&mut m, KeyCode::Char('r'));
    assert_eq!(start_run(&effects), vec![1]);
    assert!(m.wants_tick());
    for id in CheckId::ALL {
        update(
            &mut m,
            Msg::Check(CheckEvent {
                run: 1,
                id,
                status: Status::Pass,
                finding: Some(Finding::pass("fine")),
            }),
        );
    }
    assert!(!m.wants_tick(), "no tick once every check has finished");
}

#[test]
fn resuming_a_saved_plan_fills_every_field() {
    let mut draft = nbsso::plan::PlanDraft::default();
    draft.kanidm.origin = "https://idm.example.com".into();
    draft.netbox.url = "https://netbox.example.com".into();
    draft.source = "authentik".into();
    let mut m = nbsso::app::Model::new(nbsso::app::Config {
        resume: Some(nbsso::app::model::ResumeOffer {
            path: "nbsso-out/nbsso-plan.toml".into(),
            draft,
        }),
        ..nbsso::app::Config::default()
    });
    let effects = press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Source);
    assert_eq!(m.value(Field::KanidmOrigin), "https://idm.example.com");
    assert_eq!(
        debounces(&effects).len(),
        1,
        "checks start for the resumed plan"
    );
    assert!(!m.dirty(), "nothing to lose yet");
}

#[test]
fn paste_goes_into_the_focused_field_without_line_breaks() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    update(&mut m, Msg::Paste("https://idm.example.com\n".into()));
    assert_eq!(m.value(Field::KanidmOrigin), "https://idm.example.com");
    assert!(m.answers.touched.contains(&Field::KanidmOrigin));
}

#[test]
fn changing_the_source_reruns_the_checks_through_the_debounce() {
    let mut m = model();
    let effects = fill_valid(&mut m);
    let last = *debounces(&effects).last().unwrap();
    update(&mut m, Msg::DebounceElapsed(last));
    for _ in 0..4 {
        press(&mut m, KeyCode::PageUp);
    }
    assert_eq!(m.step, Step::Source);
    let effects = press(&mut m, KeyCode::Down);
    assert_eq!(m.answers.draft.source, "authentik");
    assert_eq!(debounces(&effects).len(), 1);
}

#[test]
fn resize_updates_the_model_and_small_sizes_only_allow_quitting() {
    let mut m = model();
    update(&mut m, Msg::Resize(70, 20));
    assert!(m.too_small());
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Welcome, "no navigation behind the message");
    assert!(matches!(
        press(&mut m, KeyCode::Char('q')).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn a_failed_save_is_reported_and_does_not_quit() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "x");
    press(&mut m, KeyCode::Esc);
    press(&mut m, KeyCode::Char('s'));
    let effects = update(&mut m, Msg::PlanSaved(Err("permission denied".into())));
    assert!(effects.is_empty());
    assert!(m.notice.as_deref().unwrap().contains("permission denied"));
    assert!(m.dirty());
}

#[test]
fn the_checks_details_scroll_and_reset_on_a_new_selection() {
    let mut m = model();
    fill_valid(&mut m);
    press(&mut m, KeyCode::Char('r'));
    let mut finding = Finding::fail("x");
    for i in 0..30 {
        finding = finding.with_detail(format!("line {i}"));
    }
    update(
        &mut m,
        Msg::Check(CheckEvent {
            run: 1,
            id: CheckId::KanidmTls,
            status: Status::Fail,
            finding: Some(finding),
        }),
    );
    press(&mut m, KeyCode::Char('d'));
    assert_eq!(m.board.details_scroll, 3);
    press(&mut m, KeyCode::Char('u'));
    assert_eq!(m.board.details_scroll, 0);
    press(&mut m, KeyCode::Char('d'));
    press(&mut m, KeyCode::Down);
    assert_eq!(m.board.details_scroll, 0);
}

#[test]
fn done_copies_a_value_through_osc52_and_names_the_file_as_fallback() {
    let mut m = model();
    fill_valid(&mut m);
    m.step = Step::Done;
    m.done.written = Some(Vec::new());
    m.done.selected = 1;
    let effects = press(&mut m, KeyCode::Char('c'));
    let copied: Vec<&String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Copy(text) => Some(text),
            _ => None,
        })
        .collect();
    let redirect = m.answers.plan.as_ref().unwrap().redirect_url();
    assert_eq!(copied, [&redirect]);
    let notice = m.notice.clone().unwrap();
    assert!(
        notice.starts_with("Copied the Redirect URL through OSC 52"),
        "{notice}"
    );
    assert!(
        notice.ends_with("it is also in nbsso-out/kanidm-setup.sh"),
        "{notice}"
    );
}
