//! The inspect view with its effects performed by the runtime's effect runner: Kanidm's REST list
//! read with the kanidm CLI's cached login (and refused for `admin`), files read and re-read, and
//! the view opened from the wizard's Checks screen and closed again.

use crossterm::event::KeyCode;
use crossterm::event::{Event, KeyEvent, KeyModifiers};
use inspect_support::{inspect, key, render};
use nbsso::app::screens::inspect::Load;
use nbsso::app::{Effect, Model, Msg, Step, update};
use nbsso::checks::{CheckEvent, Options};
use nbsso::inspect::{Live, Source};
use nbsso::runtime::Outcome;
use nbsso::runtime::effects::Executor;
use std::path::Path;
use std::time::Duration;
use testkit::fixtures;
use testkit::idp::TestIdp;
use testkit::inspect as inspect_support;
use testkit::wizard;
use tokio::sync::mpsc::unbounded_channel;

/// Performs `effects` (reads only) and feeds each answer back into `update`, as the loop does.
fn perform(model: &mut Model, effects: Vec<Effect>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        let (check_tx, _check_rx) = unbounded_channel::<CheckEvent>();
        let mut executor = Executor::new(tx, check_tx, Options::default());
        let reads = effects
            .iter()
            .filter(|e| matches!(e, Effect::LoadClients { .. }))
            .count();
        for effect in effects {
            executor.run(effect);
        }
        for _ in 0..reads {
            let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .unwrap()
                .unwrap();
            update(model, msg);
        }
    });
}

/// A Kanidm whose `GET /v1/oauth2` serves the captured list to `tok-idm-admin` and 403 to `tok-admin`.
fn kanidm_api() -> TestIdp {
    TestIdp::builder()
        .rest_api(
            "/v1/oauth2",
            fixtures::bytes("kanidm/http/rest-v1-oauth2-list.json"),
        )
        .start_blocking()
}

fn live(idp: &TestIdp, dir: &Path, name: &str) -> Source {
    let cache = dir.join("kanidm_tokens");
    std::fs::write(
        &cache,
        r#"{"instances":{"":{"tokens":{"idm_admin@localhost":"tok-idm-admin","admin@localhost":"tok-admin"}}}}"#,
    )
    .unwrap();
    Source::Live(Live {
        origin: Some(idp.origin()),
        ca_file: Some(idp.ca_pem_path().to_path_buf()),
        name: Some(name.into()),
        instance: None,
        token_cache: Some(cache),
        timeout: Duration::from_secs(10),
    })
}

#[test]
fn the_rest_list_with_the_cached_login_then_refresh() {
    let idp = kanidm_api();
    let dir = tempfile::tempdir().unwrap();
    let plan = inspect_support::plan();
    let (mut m, read) = inspect_support::opened(live(&idp, dir.path(), "idm_admin"), Some(plan));
    perform(&mut m, vec![read]);
    assert_eq!(inspect(&m).load, Load::Loaded, "{:?}", inspect(&m).load);
    assert_eq!(inspect(&m).rows.len(), 1);
    assert_eq!(inspect(&m).drift.len(), 2);
    let seen = idp.requests_to("/v1/oauth2");
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer tok-idm-admin")
    );
    let screen = render(&mut m, 100, 30);
    assert!(
        screen.contains(&format!("{}/v1/oauth2", idp.origin())),
        "{screen}"
    );
    assert!(
        !screen.contains("tok-idm-admin"),
        "the token is never shown"
    );
    // F5 reads the server again.
    let effects = key(&mut m, KeyCode::F(5));
    perform(&mut m, effects);
    assert_eq!(idp.requests_to("/v1/oauth2").len(), 2);
    assert_eq!(inspect(&m).load, Load::Loaded);
    assert_eq!(
        inspect(&m).notice.clone().unwrap(),
        format!("Read 1 client(s) again from {}/v1/oauth2", idp.origin())
    );
}

#[test]
fn the_admin_account_is_not_allowed_and_told_which_to_use() {
    let idp = kanidm_api();
    let dir = tempfile::tempdir().unwrap();
    let (mut m, read) = inspect_support::opened(live(&idp, dir.path(), "admin"), None);
    perform(&mut m, vec![read]);
    let Load::NotAllowed(message) = &inspect(&m).load else {
        panic!("{:?}", inspect(&m).load);
    };
    assert!(message.contains("Kanidm refused access (403)"), "{message}");
    assert!(message.contains("idm_oauth2_admins"), "{message}");
    let screen = render(&mut m, 100, 30);
    assert!(screen.contains("kanidm login -D idm_admin"), "{screen}");
    assert_eq!(inspect(&m).exit_code().value(), 3);
    // Nothing cached for the account asked for: not allowed either, with the fix.
    let (mut m, read) = inspect_support::opened(live(&idp, dir.path(), "alice"), None);
    perform(&mut m, vec![read]);
    let Load::NotAllowed(message) = &inspect(&m).load else {
        panic!("{:?}", inspect(&m).load);
    };
    assert!(
        message.contains("run `kanidm login --name alice`"),
        "{message}"
    );
}

#[test]
fn a_file_is_read_again_on_refresh_and_bad_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clients.json");
    std::fs::write(&path, inspect_support::clients_json()).unwrap();
    let (mut m, read) = inspect_support::opened(Source::File(path.clone()), None);
    perform(&mut m, vec![read]);
    assert_eq!(inspect(&m).rows.len(), 5);
    // Saved again as the text of `kanidm system oauth2 list`.
    std::fs::copy(fixtures::path("kanidm/cli/18-oauth2-list.stdout"), &path).unwrap();
    let effects = key(&mut m, KeyCode::F(5));
    perform(&mut m, effects);
    assert_eq!(inspect(&m).rows.len(), 1);
    assert_eq!(inspect(&m).from.as_deref(), path.to_str());
    std::fs::write(&path, "this is not kanidm output\n").unwrap();
    let effects = key(&mut m, KeyCode::F(5));
    perform(&mut m, effects);
    let Load::Error(message) = &inspect(&m).load else {
        panic!("{:?}", inspect(&m).load);
    };
    assert!(
        message.contains("is not the output of kanidm system oauth2 get/list"),
        "{message}"
    );
    assert_eq!(inspect(&m).exit_code().value(), 2);
    // "No matching entries" (what `admin` gets): the empty state.
    std::fs::copy(
        fixtures::path("kanidm/cli/85-oauth2-get-netbox-as-admin.stdout"),
        &path,
    )
    .unwrap();
    let effects = key(&mut m, KeyCode::F(5));
    perform(&mut m, effects);
    assert_eq!(inspect(&m).load, Load::Empty);
}

#[test]
fn the_wizard_opens_the_view_on_the_plans_kanidm_and_esc_returns() {
    let mut m = wizard::model();
    wizard::fill_valid(&mut m);
    assert_eq!(m.step, Step::Checks);
    let effects = key(&mut m, KeyCode::Char('i'));
    let [
        Effect::LoadClients {
            source: Source::Live(live),
            plan: Some(plan),
            ..
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}");
    };
    assert_eq!(live.origin.as_deref(), Some("https://idm.example.com"));
    assert_eq!(
        live.name.as_deref(),
        std::env::var("KANIDM_NAME")
            .ok()
            .as_deref()
            .or(Some("idm_admin"))
    );
    assert_eq!(plan.kanidm.client, "netbox");
    assert!(inspect(&m).embedded);
    let g = inspect(&m).generation;
    let text = inspect_support::clients_json();
    update(&mut m, inspect_support::loaded(g, &text, Some(plan)));
    let screen = render(&mut m, 80, 24);
    insta::assert_snapshot!("inspect_in_the_wizard_80x24", screen);
    // Esc on an empty filter goes back to the Checks screen, nothing else changed.
    let effects = key(&mut m, KeyCode::Esc);
    assert!(
        matches!(&effects[..], [Effect::CancelLoadClients]),
        "{effects:?}"
    );
    assert!(m.inspect.is_none());
    assert_eq!(m.step, Step::Checks);
    let screen = render(&mut m, 80, 24);
    assert!(screen.contains("Checks: the live servers"), "{screen}");
    assert!(screen.contains("nothing was changed in Kanidm"), "{screen}");
    // F4 from a form field opens it too.
    key(&mut m, KeyCode::PageUp);
    key(&mut m, KeyCode::F(4));
    assert!(m.inspect.is_some());
    let g = inspect(&m).generation;
    update(&mut m, inspect_support::loaded(g, &text, None));
    key(&mut m, KeyCode::Char('n'));
    assert_eq!(inspect(&m).filter.value(), "n", "keys type into the filter");
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Char('q'));
    assert!(m.inspect.is_none(), "q closes the view from the panes");
    assert_eq!(m.step, Step::Options);
}

#[test]
fn the_wizard_needs_valid_kanidm_answers_to_inspect() {
    let mut m = wizard::model();
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Enter); // Kanidm, empty
    let effects = key(&mut m, KeyCode::F(4));
    assert!(effects.is_empty());
    assert!(m.inspect.is_none());
    assert!(m.notice.clone().unwrap().contains("valid Kanidm answers"));
}

/// The real loop: what the keys copy reaches the clipboard it was given, and the screen says so.
#[tokio::test]
async fn copied_commands_reach_the_clipboard() {
    let mut m = inspect_support::loaded_model();
    let keys = [
        KeyCode::Enter,
        KeyCode::Char('c'),
        KeyCode::Tab,
        KeyCode::Char('j'),
        KeyCode::Char('y'),
    ];
    let events = futures_util::stream::iter(
        keys.map(|code| Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))),
    );
    let (mut ui, clipboard) = wizard::test_loop(events, 80, 24);
    assert_eq!(
        ui.run(&mut m, Vec::new()).await.unwrap(),
        Outcome::InputClosed
    );
    assert_eq!(
        clipboard.copies(),
        [
            "kanidm system oauth2 enable-pkce --name idm_admin -- netbox",
            "kanidm system oauth2 warning-insecure-client-disable-pkce --name idm_admin -- netbox"
        ]
    );
    let screen = ui.terminal.backend().to_string();
    assert!(
        screen.contains("Copied kanidm system oauth2 warning-insecure-client"),
        "{screen}"
    );
}
