//! The inspect view: whole-screen snapshots of its states at 80×24 and 120×40, and its update
//! (filter, selection, focus, copy, refresh, stale reads, exit codes) without a terminal.

use crossterm::event::KeyCode;
use nbsso::app::screens::inspect::{Load, Pane, list_rows};
use nbsso::app::{Effect, Model, Msg, update};
use nbsso::inspect::{FailKind, Live, LoadError, Source};
use std::time::Duration;
use testkit::inspect::*;

fn snap(name: &str, model: &mut Model) {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(model, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

fn copied(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Copy(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn selected_name(model: &Model) -> String {
    inspect(model)
        .selected_row()
        .map(|r| r.state.name.clone())
        .unwrap_or_default()
}

#[test]
fn list_with_a_plan_and_mixed_drift() {
    let mut m = loaded_model();
    // The plan's client is selected first.
    assert_eq!(selected_name(&m), "netbox");
    snap("inspect_list", &mut m);
}

#[test]
fn client_with_drift_rows_and_commands() {
    let mut m = loaded_model();
    key(&mut m, KeyCode::Enter);
    assert_eq!(inspect(&m).pane, Pane::Drift);
    key(&mut m, KeyCode::Down);
    snap("inspect_client_drift", &mut m);
    key(&mut m, KeyCode::Tab);
    assert_eq!(inspect(&m).pane, Pane::Commands);
    key(&mut m, KeyCode::Down);
    snap("inspect_client_commands", &mut m);
}

#[test]
fn filtered_to_nothing() {
    let mut m = loaded_model();
    type_text(&mut m, "zzz");
    snap("inspect_no_match", &mut m);
}

#[test]
fn empty_list_says_which_account_can_see_clients() {
    let plan = plan();
    let (mut m, _) = opened(Source::File("clients.json".into()), Some(plan.clone()));
    let g = generation(&m);
    update(&mut m, loaded(g, "[]", Some(&plan)));
    assert_eq!(inspect(&m).load, Load::Empty);
    snap("inspect_empty", &mut m);
}

fn live() -> Source {
    Source::Live(Live {
        origin: Some("https://idm.example.com".into()),
        ca_file: None,
        name: Some("admin".into()),
        instance: None,
        token_cache: None,
        timeout: Duration::from_secs(10),
    })
}

#[test]
fn not_allowed_names_the_account_to_use() {
    let (mut m, _) = opened(live(), Some(plan()));
    let g = generation(&m);
    update(
        &mut m,
        failed(
            g,
            LoadError {
                kind: FailKind::NotAllowed,
                message: "Kanidm refused access (403): only members of idm_oauth2_admins (such as idm_admin) can see OAuth2 clients (https://idm.example.com/v1/oauth2)".into(),
            },
        ),
    );
    snap("inspect_not_allowed", &mut m);
    assert_eq!(inspect(&m).exit_code().value(), 3);
}

#[test]
fn unreachable() {
    let (mut m, _) = opened(live(), None);
    let g = generation(&m);
    update(
        &mut m,
        failed(
            g,
            LoadError {
                kind: FailKind::Unreachable,
                message: "cannot read https://idm.example.com/v1/oauth2: connection refused".into(),
            },
        ),
    );
    snap("inspect_unreachable", &mut m);
}

#[test]
fn loading_then_a_stale_read_is_dropped() {
    let (mut m, read) = opened(Source::File("clients.json".into()), None);
    let g = generation(&m);
    assert!(matches!(read, Effect::LoadClients { generation, .. } if generation == g));
    let screen = render(&mut m, 80, 24);
    assert!(
        screen.contains("reading the OAuth2 clients from clients.json"),
        "{screen}"
    );
    // A read of an older generation does not land.
    update(&mut m, loaded(g - 1, &clients_json(), None));
    assert_eq!(inspect(&m).load, Load::Loading);
    update(&mut m, loaded(g, &clients_json(), None));
    assert_eq!(inspect(&m).load, Load::Loaded);
    assert_eq!(inspect(&m).rows.len(), 5);
}

#[test]
fn typing_filters_by_name_display_name_and_redirect_host() {
    let mut m = loaded_model();
    type_text(&mut m, "GRAF");
    assert_eq!(inspect(&m).filtered.len(), 1);
    assert_eq!(selected_name(&m), "grafana");
    // Ctrl-U clears like a shell; then a redirect host matches.
    update(
        &mut m,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('u'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert_eq!(inspect(&m).filtered.len(), 5);
    type_text(&mut m, "example.org");
    assert_eq!(selected_name(&m), "wiki");
    // Esc clears a filter first; the selection stays.
    key(&mut m, KeyCode::Esc);
    assert_eq!(inspect(&m).filter.value(), "");
    assert_eq!(selected_name(&m), "wiki");
    // Printable keys that are bindings elsewhere (q, c, r) type into the filter.
    let effects = type_text(&mut m, "qcr");
    assert!(effects.is_empty());
    assert_eq!(inspect(&m).filter.value(), "qcr");
}

#[test]
fn selection_moves_in_the_filtered_list_and_drift_follows_it() {
    let mut m = loaded_model();
    assert_eq!(inspect(&m).drift.len(), 2);
    key(&mut m, KeyCode::Down);
    assert_eq!(selected_name(&m), "netbox-dr");
    assert!(inspect(&m).drift.is_empty(), "in sync");
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Down);
    assert_eq!(selected_name(&m), "wiki", "stops at the end");
    key(&mut m, KeyCode::PageUp);
    assert_eq!(selected_name(&m), "gitea");
}

#[test]
fn copy_puts_the_converge_commands_on_the_clipboard_and_says_so() {
    let mut m = loaded_model();
    key(&mut m, KeyCode::Enter);
    let effects = key(&mut m, KeyCode::Char('c'));
    assert_eq!(
        copied(&effects),
        ["kanidm system oauth2 enable-pkce --name idm_admin -- netbox"]
    );
    let notice = inspect(&m).notice.clone().unwrap();
    assert!(
        notice.starts_with("Copied kanidm system oauth2 enable-pkce"),
        "{notice}"
    );
    let screen = render(&mut m, 80, 24);
    assert!(
        screen.contains("Copied kanidm system oauth2 enable-pkce"),
        "{screen}"
    );
    // The undo command, from the commands pane.
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Char('j'));
    let effects = key(&mut m, KeyCode::Char('y'));
    assert_eq!(
        copied(&effects),
        ["kanidm system oauth2 warning-insecure-client-disable-pkce --name idm_admin -- netbox"]
    );
    // Every converge command of the client.
    let effects = key(&mut m, KeyCode::Char('a'));
    assert_eq!(
        copied(&effects),
        [
            "kanidm system oauth2 enable-pkce --name idm_admin -- netbox\n\
          kanidm system oauth2 enable-consent-prompt --name idm_admin -- netbox"
        ]
    );
}

#[test]
fn nothing_to_copy_for_a_client_in_sync_or_without_a_plan() {
    let mut m = loaded_model();
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Enter);
    assert!(copied(&key(&mut m, KeyCode::Char('c'))).is_empty());
    assert_eq!(
        inspect(&m).notice.as_deref(),
        Some("Nothing to copy: netbox-dr matches the plan.")
    );
    let (mut m, _) = opened(Source::File("clients.json".into()), None);
    let g = generation(&m);
    update(&mut m, loaded(g, &clients_json(), None));
    key(&mut m, KeyCode::Enter);
    assert!(copied(&key(&mut m, KeyCode::Char('c'))).is_empty());
    assert!(
        inspect(&m)
            .notice
            .clone()
            .unwrap()
            .contains("without a plan")
    );
    assert_eq!(
        inspect(&m).exit_code().value(),
        0,
        "no plan: nothing to compare"
    );
}

#[test]
fn refresh_reads_the_file_again_and_keeps_the_selection() {
    let mut m = loaded_model();
    key(&mut m, KeyCode::Down); // netbox-dr
    let before = generation(&m);
    let effects = key(&mut m, KeyCode::F(5));
    let g = generation(&m);
    assert!(g > before);
    assert!(
        matches!(&effects[..], [Effect::LoadClients { generation, source: Source::File(_), .. }] if *generation == g)
    );
    // The file changed meanwhile: netbox-dr is now first.
    let text = clients_json();
    let mut list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    list.rotate_left(3);
    let plan = plan();
    update(
        &mut m,
        loaded(g, &serde_json::to_string(&list).unwrap(), Some(&plan)),
    );
    assert_eq!(selected_name(&m), "netbox-dr");
    assert_eq!(inspect(&m).selected, Some(0));
    // r refreshes too, outside the list (where it would type).
    key(&mut m, KeyCode::Tab);
    assert_eq!(key(&mut m, KeyCode::Char('r')).len(), 1);
}

#[test]
fn standard_input_cannot_be_read_again() {
    let text = clients_json();
    let (mut m, _) = opened(Source::Stdin(text.clone().into()), None);
    let g = generation(&m);
    update(&mut m, loaded(g, &text, None));
    assert!(key(&mut m, KeyCode::F(5)).is_empty());
    assert!(
        inspect(&m)
            .notice
            .clone()
            .unwrap()
            .starts_with("Standard input cannot be read again")
    );
}

#[test]
fn exit_codes_follow_the_report() {
    let mut m = loaded_model();
    assert_eq!(inspect(&m).exit_code().value(), 1, "netbox drifts");
    // Esc with an empty filter quits the view on its own.
    assert!(matches!(&key(&mut m, KeyCode::Esc)[..], [Effect::Quit]));
    let (m, _) = opened(Source::File("clients.json".into()), Some(plan()));
    assert_eq!(
        inspect(&m).exit_code().value(),
        3,
        "quit before the read ended"
    );
    let plan = plan();
    let (mut m, _) = opened(Source::File("clients.json".into()), Some(plan.clone()));
    let g = generation(&m);
    let text = clients_json();
    let mut list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    list.retain(|c| c["name"][0] != "netbox");
    update(
        &mut m,
        loaded(g, &serde_json::to_string(&list).unwrap(), Some(&plan)),
    );
    assert_eq!(
        inspect(&m).exit_code().value(),
        1,
        "the plan's client is missing"
    );
    let notice = inspect(&m).notice.clone().unwrap();
    assert!(
        notice.starts_with(
            "✗ missing: no OAuth2 client named netbox here; if it exists, only members of idm_oauth2_admins"
        ),
        "{notice}"
    );
}

#[test]
fn the_secret_is_never_shown() {
    let mut m = loaded_model();
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Char('d'));
    key(&mut m, KeyCode::Char('d'));
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("set (never shown)"), "{screen}");
    assert!(!screen.contains("hidden"), "{screen}");
    // The attributes nbsso has no words for are shown verbatim, below.
    for _ in 0..3 {
        key(&mut m, KeyCode::Char('d'));
    }
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("Other"), "{screen}");
    assert!(
        screen.contains("key_internal_data: 371b019fc66c: valid jws_es256 0"),
        "{screen}"
    );
    assert!(!screen.contains("hidden"), "{screen}");
}

#[test]
fn help_lists_the_inspect_keys() {
    let mut m = loaded_model();
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::F(1));
    let screen = render(&mut m, 80, 24);
    for text in [
        "copy commands",
        "refresh",
        "back to the list",
        "every converge command",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    key(&mut m, KeyCode::Esc);
    assert!(!m.help);
}

#[test]
fn hostile_values_from_the_server_stay_text() {
    let plan = plan();
    let (mut m, _) = opened(Source::File("clients.json".into()), Some(plan.clone()));
    let g = generation(&m);
    let mut list: Vec<serde_json::Value> = serde_json::from_str(&clients_json()).unwrap();
    list[0]["displayname"] = serde_json::json!(["Evil\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J name"]);
    list[0]["oauth2_rs_origin"] = serde_json::json!(["https://evil.example/\u{1b}[31mred"]);
    update(
        &mut m,
        loaded(g, &serde_json::to_string(&list).unwrap(), Some(&plan)),
    );
    key(&mut m, KeyCode::Up);
    key(&mut m, KeyCode::Up);
    assert_eq!(selected_name(&m), "gitea");
    for (w, h) in [(80, 24), (120, 40)] {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        update(&mut m, Msg::Resize(w, h));
        terminal.draw(|f| nbsso::view::render(&m, f)).unwrap();
        for cell in terminal.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "a control character reached the screen: {:?}",
                cell.symbol()
            );
        }
    }
}

#[test]
fn help_overlay_of_the_drift_pane() {
    let mut m = loaded_model();
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::F(1));
    snap("inspect_help_drift", &mut m);
}

#[test]
fn the_cursor_stands_in_the_filter_while_the_list_has_focus() {
    let mut m = loaded_model();
    type_text(&mut m, "graf");
    update(&mut m, Msg::Resize(80, 24));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| nbsso::view::render(&m, f)).unwrap();
    // " Filter › " is 10 columns; four characters typed.
    terminal
        .backend_mut()
        .assert_cursor_position(ratatui::layout::Position::new(14, 1));
    key(&mut m, KeyCode::Left);
    terminal.draw(|f| nbsso::view::render(&m, f)).unwrap();
    terminal
        .backend_mut()
        .assert_cursor_position(ratatui::layout::Position::new(13, 1));
}

#[test]
fn a_long_list_scrolls_with_the_selection_and_draws_only_what_fits() {
    let plan = plan();
    let (mut m, _) = opened(Source::File("clients.json".into()), Some(plan.clone()));
    let g = generation(&m);
    let base: Vec<serde_json::Value> = serde_json::from_str(&clients_json()).unwrap();
    let list: Vec<serde_json::Value> = (0..40)
        .map(|i| {
            let mut c = base[i % base.len()].clone();
            c["name"] = serde_json::json!([format!("app{i:02}")]);
            c
        })
        .collect();
    update(
        &mut m,
        loaded(g, &serde_json::to_string(&list).unwrap(), Some(&plan)),
    );
    update(&mut m, Msg::Resize(80, 24));
    let rows = inspect(&m).list_rows;
    assert_eq!(rows, list_rows((80, 24)));
    key(&mut m, KeyCode::PageDown);
    key(&mut m, KeyCode::PageDown);
    key(&mut m, KeyCode::Down);
    let pos = inspect(&m).position().unwrap();
    assert_eq!(pos, 2 * rows + 1);
    let offset = inspect(&m).list_offset;
    assert!(
        offset <= pos && pos < offset + rows,
        "{offset} {pos} {rows}"
    );
    let screen = render(&mut m, 80, 24);
    assert!(screen.contains(&format!("▸ app{pos:02}")), "{screen}");
    assert!(
        !screen.contains("app00 "),
        "scrolled past the top: {screen}"
    );
    // Back up to the top: the list follows.
    for _ in 0..3 {
        key(&mut m, KeyCode::PageUp);
    }
    assert_eq!(inspect(&m).list_offset, 0);
    assert!(render(&mut m, 80, 24).contains("▸ app00"));
}

#[test]
fn wide_characters_keep_the_columns_and_one_line_per_drift_row() {
    let plan = plan();
    let (mut m, _) = opened(Source::File("clients.json".into()), Some(plan.clone()));
    let g = generation(&m);
    let mut list: Vec<serde_json::Value> = serde_json::from_str(&clients_json()).unwrap();
    for c in &mut list {
        c["displayname"] = serde_json::json!(["ネットボックス本番環境のログイン画面"]);
    }
    update(
        &mut m,
        loaded(g, &serde_json::to_string(&list).unwrap(), Some(&plan)),
    );
    key(&mut m, KeyCode::Enter);
    update(&mut m, Msg::Resize(80, 24));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| nbsso::view::render(&m, f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let cell = |x: u16, y: u16| buffer[(x, y)].symbol().to_string();
    // The list's right border and the client pane's left one, on every row of the panes.
    for y in 3..14 {
        assert_eq!(cell(31, y), "│", "row {y}");
        assert_eq!(cell(32, y), "│", "row {y}");
    }
    // Drift: the heading, three rows (display name among them), then the ✓ ok line.
    let drift = inspect(&m).drift.len();
    assert_eq!(drift, 3, "{:?}", inspect(&m).drift);
    let row = |y: u16| (33..79).map(|x| cell(x, y)).collect::<String>();
    for y in 4..4 + 3 {
        assert!(row(y).contains("✗ drift"), "row {y}: {}", row(y));
    }
    assert!(row(7).contains("✓ ok"), "{}", row(7));
}

#[test]
fn f3_explains_a_pasted_error_over_the_view_and_esc_gives_it_back_as_it_was() {
    const NBF_TRACEBACK: &str = include_str!("../fixtures/errors/socialcore-nbf.txt");
    let mut m = loaded_model();
    type_text(&mut m, "net");
    let filter = inspect(&m).filter.value().to_string();
    let before = render(&mut m, 120, 40);
    key(&mut m, KeyCode::F(3));
    assert!(m.explain.is_some());
    // Pasted and typed text goes to the box, not to the list's filter.
    update(&mut m, Msg::Paste(NBF_TRACEBACK.to_string()));
    type_text(&mut m, "q");
    assert_eq!(inspect(&m).filter.value(), filter);
    let open = m.explain.as_ref().unwrap();
    assert!(open.matched, "{}", open.result);
    snap("inspect_explain_box", &mut m);
    key(&mut m, KeyCode::Esc);
    assert!(m.explain.is_none());
    assert_eq!(render(&mut m, 120, 40), before);
    // In each pane and while there is no list.
    for pane in [KeyCode::Enter, KeyCode::Tab] {
        key(&mut m, pane);
        key(&mut m, KeyCode::F(3));
        assert!(m.explain.is_some(), "{:?}", inspect(&m).pane);
        key(&mut m, KeyCode::Esc);
    }
    let (mut unread, _) = opened(live(), Some(plan()));
    key(&mut unread, KeyCode::F(3));
    assert!(unread.explain.is_some());
}
