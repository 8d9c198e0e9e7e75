//! The Users step: NetBox's saved export and Kanidm's persons read by the runtime's reader,
//! matched into a table (filter, sort, picks from the keyboard), the map on the Review, the
//! commands on Done, and files written equal to what `nbsso users match` writes for the same
//! inputs.

use crossterm::event::KeyCode;
use nbsso::app::screens::users::Loaded;
use nbsso::app::{Effect, Model, Msg, Step, update};
use nbsso::generate::writer::{self, Disposition, WrittenFile};
use nbsso::runtime::users_load::{MAX_INPUT, load};
use nbsso::users::{NetBoxExport, State, parse_persons};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use testkit::wizard::*;

pub const EXPORT: &str = "tests/fixtures/users/keycloak-default.export.txt";
pub const PERSONS: &str = "tests/fixtures/users/persons.cli.json";

fn snap(name: &str, model: &mut Model) {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(model, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A valid Keycloak plan, on the Users step.
fn at_users() -> Model {
    let mut m = model();
    fill_valid(&mut m);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Users);
    m
}

/// Performs the effects' reads the way the runtime does, answering the model.
fn perform_loads(m: &mut Model, effects: Vec<Effect>) {
    let runtime = runtime();
    for effect in effects {
        if let Some((generation, result)) = nbsso::runtime::users_load::perform(&runtime, effect) {
            update(m, Msg::UsersLoaded(generation, result));
        }
    }
}

/// Types the two paths and presses Enter; the read is performed.
fn read_inputs(m: &mut Model, export: &str, persons: &str) {
    type_text(m, export);
    press(m, KeyCode::Tab);
    type_text(m, persons);
    let effects = press(m, KeyCode::Enter);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadUsers { .. })),
        "{effects:?}"
    );
    perform_loads(m, effects);
}

fn select_user(m: &mut Model, username: &str) {
    let at = m
        .users
        .shown()
        .iter()
        .position(|&i| m.users.matched_map().unwrap().users[i].username == username)
        .unwrap();
    while m.users.selected > at {
        press(m, KeyCode::Up);
    }
    while m.users.selected < at {
        press(m, KeyCode::Down);
    }
}

/// Opens the picker on `username` and picks `person` (`None`: leave unlinked).
fn pick(m: &mut Model, username: &str, person: Option<&str>) {
    select_user(m, username);
    press(m, KeyCode::Char('p'));
    let target = match person {
        None => 0,
        Some(name) => {
            1 + m
                .users
                .pickable()
                .iter()
                .position(|p| p.name == name)
                .unwrap()
        }
    };
    for _ in 0..20 {
        press(m, KeyCode::Up);
    }
    for _ in 0..target {
        press(m, KeyCode::Down);
    }
    press(m, KeyCode::Enter);
    assert!(m.users.picker.is_none());
}

fn state_of(m: &Model, username: &str) -> State {
    let map = m.users.matched_map().unwrap();
    map.users
        .iter()
        .find(|r| r.username == username)
        .unwrap()
        .state
}

/// Plans the files the Review asks for against `dir`.
fn plan_review(m: &mut Model, effects: Vec<Effect>, dir: &Path) {
    for effect in effects {
        if let Effect::PlanFiles {
            generation, files, ..
        } = effect
        {
            let planned = writer::plan_files(dir, &files).map_err(|e| e.to_string());
            update(m, Msg::Planned(generation, planned));
        }
    }
}

#[test]
fn the_table_shows_every_state_with_counts_and_the_guard() {
    let mut m = at_users();
    snap("users_empty", &mut m);
    read_inputs(&mut m, EXPORT, PERSONS);
    assert_eq!(m.users.error, None);
    assert_eq!(state_of(&m, "fmeyer"), State::Ambiguous);
    snap("users_table", &mut m);
    // Sorted by state: the matched first, the local accounts last.
    press(&mut m, KeyCode::Char('o'));
    let map = m.users.matched_map().unwrap();
    let states: Vec<State> = m
        .users
        .shown()
        .iter()
        .map(|&i| map.users[i].state)
        .collect();
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(states, sorted);
    assert_eq!(states.first(), Some(&State::Matched));
    snap("users_sorted", &mut m);
}

#[test]
fn the_filter_narrows_the_table_as_typed() {
    let mut m = at_users();
    read_inputs(&mut m, EXPORT, PERSONS);
    press(&mut m, KeyCode::Char('/'));
    type_text(&mut m, "alice");
    assert_eq!(m.users.shown().len(), 2, "alice and her stray copy");
    snap("users_filter", &mut m);
    // Esc drops the filter; the table is whole again.
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.users.shown().len(), 11);
}

#[test]
fn the_picker_lists_the_persons_and_a_pick_resolves_the_row() {
    let mut m = at_users();
    read_inputs(&mut m, EXPORT, PERSONS);
    select_user(&mut m, "fmeyer");
    press(&mut m, KeyCode::Char('p'));
    assert!(m.users.picker.is_some());
    snap("users_picker", &mut m);
    press(&mut m, KeyCode::Esc);
    assert!(m.users.picker.is_none());
    assert_eq!(
        state_of(&m, "fmeyer"),
        State::Ambiguous,
        "Esc picks nothing"
    );
    // Typing narrows the list.
    press(&mut m, KeyCode::Char('p'));
    type_text(&mut m, "fmeyer-");
    let found: Vec<&str> = m.users.pickable().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(found, ["fmeyer-ops"]);
    assert_eq!(
        m.users.picker,
        Some(1),
        "the first person found is selected"
    );
    snap("users_picker_search", &mut m);
    press(&mut m, KeyCode::Esc);
    pick(&mut m, "fmeyer", Some("frank"));
    assert_eq!(state_of(&m, "fmeyer"), State::Matched);
    assert_eq!(m.notice.as_deref(), Some("fmeyer will be linked to frank"));
    // x undoes the pick.
    press(&mut m, KeyCode::Char('x'));
    assert_eq!(state_of(&m, "fmeyer"), State::Ambiguous);
}

/// The fixtures as the runtime reads them, changed by `change`, as the answer to a read of
/// `nbsso-export.txt` and `persons.json` typed on the screen.
fn loaded_with(m: &mut Model, change: impl FnOnce(&mut NetBoxExport)) {
    let mut export = NetBoxExport::parse(&std::fs::read_to_string(EXPORT).unwrap()).unwrap();
    change(&mut export);
    type_text(m, "nbsso-export.txt");
    press(m, KeyCode::Tab);
    type_text(m, "persons.json");
    let effects = press(m, KeyCode::Enter);
    let generation = effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadUsers { generation, .. } => Some(*generation),
            _ => None,
        })
        .unwrap();
    let loaded = Loaded {
        export,
        persons: parse_persons(&std::fs::read_to_string(PERSONS).unwrap()).unwrap(),
        persons_from: "persons.json".into(),
        saved_picks: None,
    };
    update(m, Msg::UsersLoaded(generation, Ok(loaded)));
}

#[test]
fn a_failing_guard_is_shown_with_its_fix() {
    let mut m = at_users();
    loaded_with(&mut m, |export| {
        for u in &mut export.users {
            u.usable_password = false;
        }
    });
    assert!(!m.users.matched_map().unwrap().guard.ok);
    let screen = render(&mut m, 120, 40);
    assert!(
        screen.contains("✗ Lock-out guard: no active superuser"),
        "{screen}"
    );
    snap("users_guard_failing", &mut m);
}

#[test]
fn associate_by_email_in_the_pipeline_is_warned_about() {
    let mut m = at_users();
    loaded_with(&mut m, |export| export.associate_by_email = true);
    let screen = render(&mut m, 120, 40);
    assert!(
        screen.contains("! SOCIAL_AUTH_PIPELINE contains associate_by_email"),
        "{screen}"
    );
}

#[test]
fn bad_input_gets_a_message_in_place_and_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("cut.txt");
    let text = std::fs::read_to_string(EXPORT).unwrap();
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let huge = dir.path().join("huge.txt");
    std::fs::write(&huge, "x".repeat(2048)).unwrap();

    let mut m = at_users();
    read_inputs(&mut m, EXPORT, PERSONS);
    let before = m.users.matched_map().unwrap().users.len();
    // Back to the export box, the truncated file instead.
    press(&mut m, KeyCode::Tab);
    assert_eq!(m.context(), nbsso::keymap::Context::UsersInput);
    replace_text(&mut m, truncated.to_str().unwrap());
    let effects = press(&mut m, KeyCode::Enter);
    perform_loads(&mut m, effects);
    let error = m.users.error.clone().unwrap();
    assert!(error.starts_with(truncated.to_str().unwrap()), "{error}");
    assert_eq!(m.users.matched_map().unwrap().users.len(), before);
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("✗ /"), "{screen}");

    // A file larger than the reader takes, and one that is not there.
    let (export, persons) = (huge.clone(), PathBuf::from(PERSONS));
    let err = runtime()
        .block_on(load(
            export,
            nbsso::app::effect::PersonsFrom::File(persons),
            None,
            1024,
        ))
        .unwrap_err();
    assert!(err.contains("is larger than"), "{err}");
    let missing = dir.path().join("nope.txt");
    let err = runtime()
        .block_on(load(
            missing,
            nbsso::app::effect::PersonsFrom::File(PERSONS.into()),
            None,
            MAX_INPUT,
        ))
        .unwrap_err();
    assert!(err.contains("cannot be read"), "{err}");
}

#[test]
fn a_plan_without_a_source_has_nothing_to_move() {
    let mut m = at_users();
    // Back to Source, choose none, and on to the Users step again.
    while m.step != Step::Source {
        press(&mut m, KeyCode::PageUp);
    }
    for _ in 0..4 {
        press(&mut m, KeyCode::Down);
    }
    while m.step != Step::Users {
        press(&mut m, KeyCode::Enter);
    }
    let screen = render(&mut m, 80, 24);
    assert!(screen.contains("nothing to move"), "{screen}");
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Review);
}

/// The wizard with the keycloak export, fmeyer picked as frank and erin left unlinked, for
/// netbox-docker; on the Review.
fn matched_to_review(dir: &Path) -> Model {
    let mut m = at_users();
    read_inputs(&mut m, EXPORT, PERSONS);
    pick(&mut m, "fmeyer", Some("frank"));
    pick(&mut m, "erin", None);
    for _ in 0..4 {
        press(&mut m, KeyCode::Char('d'));
    }
    assert_eq!(m.users.shape().0, nbsso::users::Deployment::Docker);
    let effects = press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Review);
    plan_review(&mut m, effects, dir);
    m
}

#[test]
fn review_shows_the_map_and_done_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = matched_to_review(dir.path());
    let names: Vec<String> = m
        .review
        .planned()
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(names.contains(&"user-map.json".to_string()), "{names:?}");
    assert!(names.contains(&"user-overrides.csv".to_string()));
    // Paths as the other snapshots show them.
    let tmp = dir.path().display().to_string();
    let planned: Vec<_> = m
        .review
        .planned()
        .iter()
        .cloned()
        .map(|mut f| {
            f.path = PathBuf::from(f.path.display().to_string().replace(&tmp, "nbsso-out"));
            f.diff = f.diff.replace(&tmp, "nbsso-out");
            f
        })
        .collect();
    let generation = m.review.generation;
    update(&mut m, Msg::Planned(generation, Ok(planned)));
    snap("users_review", &mut m);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Write);
    let written = m
        .review
        .planned()
        .iter()
        .map(|f| WrittenFile {
            path: f.path.clone(),
            disposition: Disposition::New,
            backup: None,
        })
        .collect();
    update(&mut m, Msg::Written(Ok(written)));
    assert_eq!(m.step, Step::Done);
    let screen = render(&mut m, 80, 24);
    assert!(screen.contains("u: the commands that move every user's account"));
    press(&mut m, KeyCode::Char('u'));
    snap("users_done_docker", &mut m);
    let screen = render(&mut m, 120, 40);
    // c copies the selected command whole: apply, the third.
    press(&mut m, KeyCode::Down);
    press(&mut m, KeyCode::Down);
    let effects = press(&mut m, KeyCode::Char('c'));
    let apply = nbsso::generate::user_migration::apply_commands(
        nbsso::users::Deployment::Docker,
        nbsso::generate::user_migration::MapPlace::Embedded,
    );
    assert_eq!(apply[1].label, "Apply");
    assert!(
        matches!(effects.as_slice(), [Effect::Copy(line)] if *line == apply[1].line),
        "{effects:?}"
    );
    assert_eq!(
        m.notice.as_deref(),
        Some("Copied the command \"Apply\" through OSC 52 (if your terminal allows it)")
    );
    for expected in [
        "docker compose exec -T -e NBSSO_USERS_ACTION=export netbox",
        "docker compose exec -T -e NBSSO_USERS_ACTION=apply netbox",
        "docker compose restart netbox netbox-worker",
    ] {
        assert!(screen.contains(expected), "{expected}\n{screen}");
    }
}

/// `nbsso users match` on the fixtures with `plan` and the picks `csv` as an overrides file (and
/// `more` arguments): its `user-map.json` and `migrate-users.py` are byte for byte those in `dir`.
pub fn assert_same_map_as_users_match(dir: &Path, plan: &Path, csv: &str, more: &[&str]) {
    let cli = tempfile::tempdir().unwrap();
    let overrides = cli.path().join("overrides.csv");
    std::fs::write(&overrides, csv).unwrap();
    let out = cli.path().join("out");
    let mut args = vec![
        "--netbox",
        EXPORT,
        "--kanidm",
        PERSONS,
        "--overrides",
        overrides.to_str().unwrap(),
        "--plan",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let said = nbsso_users_match(&args);
    for file in ["user-map.json", "migrate-users.py"] {
        let ours = std::fs::read_to_string(dir.join(file)).unwrap();
        let cli = std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{e}\n{said}"));
        assert!(ours == cli, "{file} differs");
    }
}

fn nbsso_users_match(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .args(["users", "match"])
        .args(args)
        .stdin(Stdio::null())
        .env_remove("KANIDM_URL")
        .env_remove("KANIDM_TOKEN")
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_written_map_is_what_users_match_writes_with_the_same_overrides() {
    let wizard_dir = tempfile::tempdir().unwrap();
    let mut m = matched_to_review(wizard_dir.path());
    press(&mut m, KeyCode::Enter); // → Write
    let effects = press(&mut m, KeyCode::Enter);
    let planned = effects
        .into_iter()
        .find_map(|e| match e {
            Effect::WriteFiles { planned } => Some(planned),
            _ => None,
        })
        .expect("Yes writes");
    let written = writer::write_files(&planned, "20261202-220000").unwrap();
    update(&mut m, Msg::Written(Ok(written)));
    assert_eq!(m.step, Step::Done);

    // The same inputs through the command line, the picks as a hand-written overrides file.
    let cli_dir = tempfile::tempdir().unwrap();
    let plan = cli_dir.path().join("plan.toml");
    std::fs::write(&plan, m.answers.draft.to_toml()).unwrap();
    let csv = "netbox_username,kanidm_name\nfmeyer,frank\nerin,-\n";
    assert_same_map_as_users_match(wizard_dir.path(), &plan, csv, &["--deployment", "docker"]);
    let picks = std::fs::read_to_string(wizard_dir.path().join("user-overrides.csv")).unwrap();
    assert_eq!(picks, csv);
    // The map carries fmeyer → frank, and not erin.
    let map = std::fs::read_to_string(wizard_dir.path().join("user-map.json")).unwrap();
    assert!(map.contains("\"kanidm\": \"frank\""), "{map}");
    let script = std::fs::read_to_string(wizard_dir.path().join("migrate-users.py")).unwrap();
    assert!(script.contains("NBSSO_DATA = r'''{"));
    assert!(script.contains("\"username\":\"fmeyer\""));
    assert!(!script.contains("\"username\":\"erin\""));
}

#[test]
fn no_token_hash_or_secret_reaches_any_screen() {
    const CANARY: &str = "CANARY-5b21e0";
    let dir = tempfile::tempdir().unwrap();
    let export = std::fs::read_to_string(EXPORT)
        .unwrap()
        .replace(
            "\"provider\": \"keycloak\"",
            &format!(
                "\"extra_data\": {{\"access_token\": \"eyJ.{CANARY}.sig\", \"refresh_token\": \"{CANARY}\"}}, \"provider\": \"keycloak\""
            ),
        )
        .replace(
            "\"superuser\": true",
            &format!("\"password\": \"pbkdf2_sha256$870000${CANARY}$hash\", \"superuser\": true"),
        );
    assert!(export.contains(CANARY));
    let persons = std::fs::read_to_string(PERSONS).unwrap().replace(
        "\"mail\":",
        &format!("\"unix_password\": [\"{CANARY}\"], \"mail\":"),
    );
    assert!(persons.contains(CANARY));
    let export_path = dir.path().join("export.txt");
    let persons_path = dir.path().join("persons.json");
    std::fs::write(&export_path, export).unwrap();
    std::fs::write(&persons_path, persons).unwrap();

    let mut m = at_users();
    read_inputs(
        &mut m,
        export_path.to_str().unwrap(),
        persons_path.to_str().unwrap(),
    );
    assert_eq!(m.users.error, None);
    let mut screens = Vec::new();
    let rows = m.users.shown().len();
    for _ in 0..rows {
        screens.push(render(&mut m, 200, 60));
        press(&mut m, KeyCode::Down);
    }
    press(&mut m, KeyCode::Char('p'));
    screens.push(render(&mut m, 200, 60));
    press(&mut m, KeyCode::Esc);
    let effects = press(&mut m, KeyCode::Enter);
    plan_review(&mut m, effects, dir.path());
    screens.push(render(&mut m, 200, 60));
    for _ in 0..12 {
        press(&mut m, KeyCode::Down);
        screens.push(render(&mut m, 200, 60));
    }
    m.step = Step::Done;
    press(&mut m, KeyCode::Char('u'));
    screens.push(render(&mut m, 200, 60));
    for screen in screens {
        assert!(!screen.contains(CANARY), "{screen}");
    }
    for file in m.review.planned() {
        assert!(!file.diff.contains(CANARY), "{}", file.path.display());
    }
}

#[test]
fn done_gives_the_restart_of_every_service_manager() {
    let mut m = at_users();
    read_inputs(&mut m, EXPORT, PERSONS);
    let expected = [
        ("checkout", "sudo systemctl restart netbox netbox-rq"),
        ("checkout", "doas rcctl restart netbox netbox_rq"),
        ("wheel", "sudo systemctl restart netbox netbox-rq"),
        ("wheel", "doas rcctl restart netbox netbox_rq"),
        ("docker", "docker compose restart netbox netbox-worker"),
        (
            "kubernetes",
            "kubectl rollout restart deployment/netbox deployment/netbox-worker",
        ),
    ];
    for (shape, restart) in expected {
        m.step = Step::Users;
        let users = render(&mut m, 120, 40);
        assert!(
            users.contains(&format!("Commands for: {shape} (")),
            "{users}"
        );
        m.step = Step::Done;
        m.users.commands_shown = true;
        let done = render(&mut m, 120, 40);
        assert!(done.contains(restart), "{shape}: {restart}\n{done}");
        m.step = Step::Users;
        press(&mut m, KeyCode::Char('d'));
    }
}

/// The Users step of a plan that writes to `out`.
fn at_users_writing_to(out: &Path) -> Model {
    let mut m = at_users();
    m.answers
        .set(nbsso::plan::Field::OutputDir, out.display().to_string());
    m.answers.revalidate();
    assert!(m.answers.plan.is_some(), "{:?}", m.answers.problems);
    m
}

#[test]
fn picks_an_earlier_run_wrote_come_back_with_the_inputs() {
    let out = tempfile::tempdir().unwrap();
    let saved = out.path().join("user-overrides.csv");
    // As the Write step writes them.
    std::fs::write(
        &saved,
        "netbox_username,kanidm_name\nfmeyer,frank\nerin,-\n",
    )
    .unwrap();
    let mut m = at_users_writing_to(out.path());
    read_inputs(&mut m, EXPORT, PERSONS);
    assert_eq!(
        m.notice,
        Some(format!(
            "2 picks restored from {}, as an earlier run wrote them (x undoes one)",
            saved.display()
        ))
    );
    assert_eq!(
        m.users.picks,
        [
            ("fmeyer".to_string(), Some("frank".to_string())),
            ("erin".to_string(), None)
        ]
    );
    let screen = render(&mut m, 200, 40);
    assert!(screen.contains("2 picks restored from"), "{screen}");
    // The map is the one the same picks made by hand give.
    let mut by_hand = at_users();
    read_inputs(&mut by_hand, EXPORT, PERSONS);
    assert_eq!(by_hand.notice, None);
    let map = |m: &Model| format!("{:?}", m.users.matched_map().unwrap());
    assert_ne!(map(&by_hand), map(&m));
    pick(&mut by_hand, "fmeyer", Some("frank"));
    pick(&mut by_hand, "erin", None);
    assert_eq!(map(&by_hand), map(&m));
    assert_eq!(state_of(&m, "fmeyer"), State::Matched);

    // A pick undone here stands when the inputs are read again: the file is not asked for while
    // this run has picks of its own.
    select_user(&mut m, "fmeyer");
    press(&mut m, KeyCode::Char('x'));
    assert_eq!(state_of(&m, "fmeyer"), State::Ambiguous);
    press(&mut m, KeyCode::Tab); // → the export's path
    let effects = press(&mut m, KeyCode::Enter);
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::LoadUsers {
                saved_picks: None,
                ..
            }
        )),
        "{effects:?}"
    );
    perform_loads(&mut m, effects);
    assert_eq!(m.users.picks, [("erin".to_string(), None)]);
    assert_eq!(state_of(&m, "fmeyer"), State::Ambiguous);
}

#[test]
fn earlier_picks_that_no_longer_fit_are_left_out_with_the_reason() {
    let out = tempfile::tempdir().unwrap();
    let saved = out.path().join("user-overrides.csv");
    for (csv, said) in [
        (
            "netbox_username,kanidm_name\nfmeyer,frank\nghost,frank\n",
            format!(
                "The picks in {} were not restored: they no longer fit (overrides line 3: NetBox has no user named ghost)",
                saved.display()
            ),
        ),
        (
            "netbox_username,kanidm_name\nfmeyer,frank,extra\n",
            format!(
                "The earlier picks were not restored: {}: overrides line 2: 3 fields; expected netbox_username,kanidm_name",
                saved.display()
            ),
        ),
    ] {
        std::fs::write(&saved, csv).unwrap();
        let mut m = at_users_writing_to(out.path());
        read_inputs(&mut m, EXPORT, PERSONS);
        assert_eq!(m.notice.as_deref(), Some(said.as_str()));
        // The inputs are read all the same, with no pick.
        assert!(m.users.picks.is_empty());
        assert_eq!(state_of(&m, "fmeyer"), State::Ambiguous);
    }
}

/// The paths typed on the Users step are answers like any other: they go into the saved plan's
/// `[users]` table, a resumed run shows them and reads them again with Enter, and
/// `nbsso users match --plan` takes them when its flags do not name the inputs.
#[test]
fn the_inputs_paths_are_saved_with_the_plan_and_read_again_on_resume() {
    let mut m = at_users();
    read_inputs(&mut m, EXPORT, PERSONS);
    pick(&mut m, "fmeyer", Some("frank"));
    press(&mut m, KeyCode::Enter); // → Review
    assert_eq!(m.step, Step::Review);
    let toml = press(&mut m, KeyCode::Char('s'))
        .into_iter()
        .find_map(|e| match e {
            Effect::SavePlan { toml, .. } => Some(toml),
            _ => None,
        })
        .expect("s saves the plan on the Review");
    assert!(
        toml.ends_with(&format!(
            "\n[users]\nexport = \"{EXPORT}\"\npersons = \"{PERSONS}\"\n"
        )),
        "{toml}"
    );

    let draft = nbsso::plan::PlanDraft::from_toml(&toml).unwrap();
    let mut resumed = Model::new(nbsso::app::Config {
        resume: Some(nbsso::app::model::ResumeOffer {
            path: "nbsso-out/nbsso-plan.toml".into(),
            draft,
        }),
        ..nbsso::app::Config::default()
    });
    press(&mut resumed, KeyCode::Enter); // Welcome: resume
    while resumed.step != Step::Users {
        let step = resumed.step;
        press(&mut resumed, KeyCode::Enter);
        assert_ne!(resumed.step, step, "{:?}", resumed.answers.problems);
    }
    assert_eq!(resumed.users.export_path.value(), EXPORT);
    assert_eq!(resumed.users.persons_path.value(), PERSONS);
    let screen = render(&mut resumed, 120, 40);
    assert!(
        screen.contains(&format!("Export output  {EXPORT}")),
        "{screen}"
    );
    let effects = press(&mut resumed, KeyCode::Enter);
    perform_loads(&mut resumed, effects);
    assert!(
        resumed.users.matched_map().is_some(),
        "{:?}",
        resumed.users.error
    );
    assert!(!resumed.dirty(), "the paths read are the plan's own");
    // Emptied, the person list is read live again, and the answers differ from the saved plan.
    press(&mut resumed, KeyCode::Tab); // the table → the export's path
    press(&mut resumed, KeyCode::Tab); // → the persons' path
    update(
        &mut resumed,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('u'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert_eq!(resumed.answers.draft.users.persons, "");
    assert!(resumed.dirty());

    // The command line, with only the plan and the picks.
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, &toml).unwrap();
    let overrides = dir.path().join("overrides.csv");
    std::fs::write(&overrides, "netbox_username,kanidm_name\nfmeyer,frank\n").unwrap();
    let out = dir.path().join("from-plan");
    let said = nbsso_users_match(&[
        "--plan",
        plan.to_str().unwrap(),
        "--overrides",
        overrides.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        said.contains("Kanidm persons from tests/fixtures/users/persons.cli.json"),
        "{said}"
    );
    // The same as naming the inputs with --netbox and --kanidm.
    assert_same_map_as_users_match(
        &out,
        &plan,
        "netbox_username,kanidm_name\nfmeyer,frank\n",
        &[],
    );
    // Neither a flag nor the plan names the export: a usage error that says how.
    let said = nbsso_users_match(&["--kanidm", PERSONS]);
    assert!(
        said.contains("say where NetBox's export is: --netbox"),
        "{said}"
    );
}
