//! The Users step reading Kanidm's persons live: `GET /v1/person` on the Kanidm-shaped IdP with the
//! kanidm CLI's cached login of the plan's admin account, as the runtime performs the read. A login
//! that may not read persons gets the reason in place; the token is never on screen.

use crossterm::event::KeyCode;
use nbsso::app::effect::PersonsFrom;
use nbsso::app::{Effect, Model, Msg, Step, update};
use nbsso::runtime::users_load::{MAX_INPUT, load};
use nbsso::users::State;
use std::path::Path;
use testkit::idp::TestIdp;
use testkit::wizard::*;

const EXPORT: &str = "tests/fixtures/users/keycloak-default.export.txt";

/// Kanidm's REST API: the persons for `tok-idm-admin`, 403 for `tok-admin`.
fn kanidm_api() -> TestIdp {
    let body = std::fs::read_to_string("tests/fixtures/users/persons.rest.json").unwrap();
    TestIdp::builder()
        .rest_api("/v1/person", body)
        .start_blocking()
}

/// A Keycloak plan whose Kanidm is the test IdP; on the Users step.
fn at_users(idp: &TestIdp) -> Model {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    for _ in 0..4 {
        press(&mut m, KeyCode::Up); // none → … → keycloak
    }
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, &idp.origin());
    focus(&mut m, 1);
    type_text(&mut m, &idp.ca_pem_path().display().to_string());
    focus(&mut m, 6);
    type_text(&mut m, "alice");
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "https://netbox.example.com");
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Checks, "{:?}", m.answers.problems);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Users);
    m
}

/// The export typed, the persons box left empty: Enter reads them live, with the login in `cache`
/// (where the kanidm CLI keeps it).
fn read_live(m: &mut Model, cache: &Path) {
    type_text(m, EXPORT);
    let effects = press(m, KeyCode::Enter);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut read = false;
    for effect in effects {
        if let Effect::LoadUsers {
            generation,
            export,
            persons: PersonsFrom::Live(mut live),
            saved_picks,
        } = effect
        {
            assert_eq!(live.name.as_deref(), Some("idm_admin"), "the plan's admin");
            live.token_cache = Some(cache.to_path_buf());
            let result = runtime.block_on(load(
                export,
                PersonsFrom::Live(live),
                saved_picks,
                MAX_INPUT,
            ));
            update(m, Msg::UsersLoaded(generation, result));
            read = true;
        }
    }
    assert!(read, "an empty persons box reads them live");
}

fn cache_with(dir: &Path, token: &str) -> std::path::PathBuf {
    let cache = dir.join("kanidm_tokens");
    std::fs::write(
        &cache,
        format!(r#"{{"instances":{{"":{{"tokens":{{"idm_admin@localhost":"{token}"}}}}}}}}"#),
    )
    .unwrap();
    cache
}

#[test]
fn persons_are_read_live_with_the_cached_login() {
    let idp = kanidm_api();
    let dir = tempfile::tempdir().unwrap();
    let mut m = at_users(&idp);
    read_live(&mut m, &cache_with(dir.path(), "tok-idm-admin"));
    assert_eq!(m.users.error, None);
    let map = m.users.matched_map().unwrap();
    let bob = map.users.iter().find(|r| r.username == "bob").unwrap();
    assert_eq!(bob.state, State::Matched);
    let screen = render(&mut m, 120, 40);
    assert!(
        screen.contains(&format!("Kanidm persons ({}/v1/person)", idp.origin())),
        "{screen}"
    );
    assert!(screen.contains("✓ matched        bob"), "{screen}");
    assert!(!screen.contains("tok-idm-admin"), "{screen}");
}

#[test]
fn a_login_that_may_not_read_persons_is_explained_in_place() {
    let idp = kanidm_api();
    let dir = tempfile::tempdir().unwrap();
    let mut m = at_users(&idp);
    read_live(&mut m, &cache_with(dir.path(), "tok-admin"));
    let error = m.users.error.clone().unwrap();
    assert!(error.contains("idm_people_admins"), "{error}");
    assert!(m.users.matched_map().is_none());
    let screen = render(&mut m, 120, 40);
    assert!(
        screen.contains("✗ Kanidm's persons could not be read"),
        "{screen}"
    );
    assert!(!screen.contains("tok-admin"), "{screen}");
}
