//! The wizard reading NetBox's configuration on the Source screen, showing the patch on the
//! Review, writing it and listing the backups on Done. Effects are performed here with the
//! runtime's own functions (the reader of `nbsso import`, the writer, `deploy::apply`), so what
//! the screens show is what a user would get.

use crossterm::event::KeyCode;
use nbsso::app::msg::DeploymentMsg;
use nbsso::app::screens::review::Entry;
use nbsso::app::{Effect, Model, Msg, Step, update};
use nbsso::deploy::apply::{self, Applied, PatchedFile};
use nbsso::generate::writer::{self, Disposition, WrittenFile};
use nbsso::runtime::effects::read_deployment;
use nbsso::users::{Deployment, ServiceManager};
use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::fixtures::copy_dir;
use testkit::wizard::*;

/// The fixtures, relative to the package (the tests' working directory), so screens that show
/// paths look the same on every machine.
const DOCKER: &str = "tests/fixtures/netbox-config/docker-keycloak/configuration";
pub const INVALID: &str = "tests/fixtures/netbox-config/invalid/configuration.py";
const STAMP: &str = "20261202-120000";

/// Every secret of the docker fixture's env file and configuration, and the one each test adds.
pub const CANARIES: [&str; 6] = [
    "canary-docker-db-J3n2",
    "canary-docker-redis-H4s",
    "canary-docker-secret-key",
    "canary-docker-api-token",
    "canary-docker-kc-secret-P0o9",
    "canary-wizard-literal-Zq8",
];

fn snap(name: &str, model: &mut Model) {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(model, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

/// Performs effects the way the runtime does, feeding each answer back into `update`, until none
/// is left. Timers, checks and the clipboard are left out: they have tests of their own.
fn perform(model: &mut Model, effects: Vec<Effect>) {
    let mut queue = effects;
    while !queue.is_empty() {
        let mut next = Vec::new();
        for effect in queue {
            let msg = match effect {
                Effect::ReadDeployment {
                    generation,
                    paths,
                    env_file,
                } => Msg::Deployment(DeploymentMsg::Read {
                    generation,
                    result: read_deployment(&paths, env_file.as_deref()),
                }),
                Effect::PlanFiles {
                    generation,
                    dir,
                    files,
                } => Msg::Planned(
                    generation,
                    writer::plan_files(&dir, &files).map_err(|e| e.to_string()),
                ),
                Effect::PlanPatch { generation, plan } => Msg::Deployment(DeploymentMsg::Planned {
                    generation,
                    result: apply::prepare(&plan).map(std::sync::Arc::new),
                }),
                Effect::WriteFiles { planned } => {
                    Msg::Written(writer::write_files(&planned, STAMP).map_err(|e| e.to_string()))
                }
                Effect::ApplyPatch { patch } => Msg::Deployment(DeploymentMsg::Applied(
                    patch.write(STAMP).map_err(|e| e.to_string()),
                )),
                _ => continue,
            };
            next.extend(update(model, msg));
        }
        queue = next;
    }
}

/// Welcome → Source, the configuration's path typed into its field and read.
fn source_with(path: &str) -> Model {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Source);
    focus(&mut m, 1);
    let last = newest_read(type_text(&mut m, path));
    assert!(!last.is_empty(), "typing a path starts a read");
    perform(&mut m, last);
    m
}

/// The last read among effects (each key of a path starts one; only the newest counts).
fn newest_read(effects: Vec<Effect>) -> Vec<Effect> {
    effects
        .into_iter()
        .filter(|e| matches!(e, Effect::ReadDeployment { .. }))
        .last()
        .into_iter()
        .collect()
}

/// From a Source screen that read a Keycloak deployment, through the other screens to the
/// Review, with its files planned in `out` and the patch planned.
fn to_review(m: &mut Model, out: &Path) {
    press(m, KeyCode::Enter); // → Kanidm
    assert_eq!(m.step, Step::Kanidm, "{:?}", m.answers.problems);
    type_text(m, "https://idm.example.com");
    focus(m, 6);
    type_text(m, "alice, bob");
    press(m, KeyCode::Enter); // → NetBox
    type_text(m, "https://netbox.example.com");
    press(m, KeyCode::Enter); // → Options
    let last = m.focusables().len() - 1;
    focus(m, last);
    replace_text(m, &out.display().to_string());
    press(m, KeyCode::Enter); // → Checks
    assert_eq!(m.step, Step::Checks, "{:?}", m.answers.problems);
    press(m, KeyCode::Enter); // → Users
    assert_eq!(m.step, Step::Users);
    // The user migration's commands follow the deployment read on the Source screen.
    let (deployment, manager) = m.users.shape();
    match m.source.found().map(|f| f.shape) {
        Some(nbsso::deploy::Shape::NetboxDocker) => assert_eq!(
            (deployment, manager),
            (Deployment::Docker, ServiceManager::DockerCompose)
        ),
        Some(nbsso::deploy::Shape::Helm) => assert_eq!(
            (deployment, manager),
            (Deployment::Kubernetes, ServiceManager::Kubectl)
        ),
        _ => {}
    }
    let effects = press(m, KeyCode::Enter); // no export read: → Review
    assert_eq!(m.step, Step::Review);
    perform(m, effects);
    assert!(m.review.patch().is_some(), "{:?}", m.review.patch);
}

#[test]
fn source_reads_a_keycloak_netbox_docker_directory() {
    let mut m = source_with(DOCKER);
    let found = m.source.found().expect("the directory reads");
    assert_eq!(found.shape.label(), "netbox-docker");
    // The provider the files name is chosen for the user.
    assert_eq!(m.answers.draft.source, "keycloak");
    snap("wizard_import_source_docker", &mut m);
    // Tab to the findings: at 80×24 they take the screen and scroll.
    let last = m.focusables().len() - 1;
    focus(&mut m, last);
    snap("wizard_import_source_docker_findings", &mut m);
}

#[test]
fn source_keeps_the_users_choice_while_the_files_say_the_same() {
    let mut m = source_with(DOCKER);
    focus(&mut m, 0);
    press(&mut m, KeyCode::Down); // Keycloak → Authentik, by hand
    assert_eq!(m.answers.draft.source, "authentik");
    // The env file typed afterwards reads the same deployment again: the choice stands.
    focus(&mut m, 2);
    let effects = type_text(
        &mut m,
        "tests/fixtures/netbox-config/docker-keycloak/env/netbox.env",
    );
    perform(&mut m, newest_read(effects));
    assert!(m.source.found().is_some());
    assert_eq!(m.answers.draft.source, "authentik");
    let screen = render(&mut m, 80, 24);
    assert!(
        screen.contains("! The files say Keycloak, the choice above says Authentik"),
        "{screen}"
    );
}

#[test]
fn a_choice_made_before_the_read_stands() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Up); // Fresh setup → Other OIDC, by hand
    let chosen = m.answers.draft.source.clone();
    assert_ne!(chosen, "keycloak");
    focus(&mut m, 1);
    let effects = type_text(&mut m, DOCKER);
    perform(&mut m, newest_read(effects));
    assert!(m.source.found().is_some());
    assert_eq!(m.answers.draft.source, chosen);
}

#[test]
fn source_says_where_python_is_invalid_and_keeps_the_answers() {
    let mut m = source_with(INVALID);
    let screen = render(&mut m, 120, 40);
    let error = nbsso::deploy::load(&[PathBuf::from(INVALID)], None)
        .expect_err("not valid Python")
        .to_string();
    let at = error.split(": ").next().unwrap();
    assert!(
        at.starts_with(&format!("{INVALID}:20")) && at.matches(':').count() == 2,
        "{error}"
    );
    assert!(
        screen.contains(at),
        "the message names file:line:column\n{screen}"
    );
    assert_eq!(m.value(nbsso::plan::Field::DeploymentPaths), INVALID);
    snap("wizard_import_source_invalid", &mut m);
    // Next is refused with the reason, and the path keeps its text.
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Source);
    assert!(
        m.notice
            .as_deref()
            .unwrap_or("")
            .contains("could not be read")
    );
}

/// The output directory of the tests that only plan: relative and never created, so the
/// screens read the same on every machine.
const OUT: &str = "target/nbsso-wizard-import-never-written";

/// The index of the review entry that patches the file named `name`.
fn entry_of(m: &Model, name: &str) -> usize {
    m.review
        .entries()
        .iter()
        .position(|e| matches!(e, Entry::Patch(f) if f.path.ends_with(name)))
        .unwrap_or_else(|| panic!("{name} is not patched"))
}

/// Selects the entry patching `name`, or the last entry.
fn select(m: &mut Model, name: Option<&str>) {
    let index = match name {
        Some(name) => entry_of(m, name),
        None => m.review.entries().len() - 1,
    };
    while m.review.selected < index {
        press(m, KeyCode::Down);
    }
    while m.review.selected > index {
        press(m, KeyCode::Up);
    }
}

#[test]
fn review_shows_the_redacted_diff_of_each_patched_file() {
    let mut m = source_with(DOCKER);
    to_review(&mut m, Path::new(OUT));
    select(&mut m, Some("configuration/sso.py"));
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("-SOCIAL_AUTH_KEYCLOAK_KEY"), "{screen}");
    snap("wizard_import_review_sso_diff", &mut m);
    select(&mut m, Some("env/netbox.env"));
    let screen = render(&mut m, 120, 40);
    // The env file's secrets around the changed line are redacted lines.
    assert!(screen.contains("│ <redacted>"), "{screen}");
    assert!(
        screen.contains("+REMOTE_AUTH_BACKEND=social_core.backends.open_id_connect"),
        "{screen}"
    );
    snap("wizard_import_review_env_diff", &mut m);
    // Why each setting went where it did (the backend stays an environment read).
    select(&mut m, None);
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("REMOTE_AUTH_BACKEND"), "{screen}");
    snap("wizard_import_review_why", &mut m);
}

#[test]
fn done_lists_the_backups_and_what_to_run_for_the_shape() {
    let mut m = source_with(DOCKER);
    to_review(&mut m, Path::new(OUT));
    press(&mut m, KeyCode::Enter); // → Write
    snap("wizard_import_write", &mut m);
    assert_eq!(m.step, Step::Write);
    assert!(!m.write.yes, "No is the default when files are overwritten");
    // Write and patch, answered as the writer and the patch would: the fixture stays unchanged.
    press(&mut m, KeyCode::Tab);
    let effects = press(&mut m, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::WriteFiles { .. }]));
    let written = [
        "CHECKLIST.md",
        "kanidm-setup.sh",
        "kanidm-undo.sh",
        "netbox-sso.py",
    ]
    .map(|name| WrittenFile {
        path: PathBuf::from("nbsso-out").join(name),
        disposition: Disposition::New,
        backup: None,
    })
    .to_vec();
    let effects = update(&mut m, Msg::Written(Ok(written)));
    assert!(matches!(effects.as_slice(), [Effect::ApplyPatch { .. }]));
    let patch = m.review.patch().expect("patch");
    let applied = Applied {
        files: patch
            .outcome
            .files
            .iter()
            .map(|f| PatchedFile {
                path: f.path.clone(),
                existed: f.old.is_some(),
                backup: f.old.as_ref().map(|_| {
                    let name = f.path.file_name().unwrap().to_string_lossy();
                    f.path.with_file_name(format!("{name}.nbsso-{STAMP}.bak"))
                }),
            })
            .collect(),
        netbox_check: None,
    };
    update(&mut m, Msg::Deployment(DeploymentMsg::Applied(Ok(applied))));
    assert_eq!(m.step, Step::Done);
    let screen = render(&mut m, 80, 24);
    assert!(
        screen.contains("backup: sso.py.nbsso-20261202-120000.bak"),
        "{screen}"
    );
    assert!(screen.contains("docker compose up -d"), "{screen}");
    snap("wizard_import_done", &mut m);
}

/// The docker fixture in a temp dir, with a literal old secret added to sso.py.
pub fn docker_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        Path::new("tests/fixtures/netbox-config/docker-keycloak"),
        tmp.path(),
    );
    let sso = tmp.path().join("configuration/sso.py");
    let text = std::fs::read_to_string(&sso).unwrap().replace(
        "SOCIAL_AUTH_KEYCLOAK_SECRET = environ.get('KEYCLOAK_CLIENT_SECRET')",
        "SOCIAL_AUTH_KEYCLOAK_SECRET = environ.get('KEYCLOAK_CLIENT_SECRET', 'canary-wizard-literal-Zq8')",
    );
    std::fs::write(&sso, text).unwrap();
    tmp
}

/// Every regular file under `dir` but backups, by path relative to it, with its bytes.
/// `nbsso generate --patch` with `draft` on the docker copy in `copy` (its output written
/// beside and removed): every file of the copy afterwards, as [`files_under`] lists them.
pub fn generate_patch(copy: &Path, mut draft: nbsso::plan::PlanDraft) -> Vec<(PathBuf, Vec<u8>)> {
    draft.deployment.paths = vec![copy.join("configuration").display().to_string()];
    draft.output.dir = copy.join("out").display().to_string();
    let plan_file = copy.join("plan.toml");
    std::fs::write(&plan_file, draft.to_toml()).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .args(["generate", "--plan"])
        .arg(&plan_file)
        .arg("--patch")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::remove_file(&plan_file).unwrap();
    std::fs::remove_dir_all(copy.join("out")).unwrap();
    files_under(copy)
}

pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.to_string_lossy().ends_with(".bak") {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_wizard_patches_byte_for_byte_what_generate_patch_writes_and_never_shows_a_secret() {
    let wizard = docker_copy();
    let cli = docker_copy();
    let original = files_under(wizard.path());
    let out = tempfile::tempdir().unwrap();
    let config = wizard.path().join("configuration");
    let mut m = source_with(&config.display().to_string());
    let mut screens = vec![render(&mut m, 80, 24), render(&mut m, 120, 40)];
    // Every row of the findings, scrolled through.
    let last = m.focusables().len() - 1;
    focus(&mut m, last);
    for _ in 0..20 {
        screens.push(render(&mut m, 80, 24));
        press(&mut m, KeyCode::Down);
    }
    to_review(&mut m, out.path());
    // The removed literal secret is a redacted line that still says it goes.
    select(&mut m, Some("configuration/sso.py"));
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("│-<redacted>"), "{screen}");
    while m.review.selected > 0 {
        press(&mut m, KeyCode::Up);
    }
    for _ in 0..m.review.entries().len() {
        for _ in 0..10 {
            screens.push(render(&mut m, 80, 24));
            screens.push(render(&mut m, 120, 40));
            press(&mut m, KeyCode::Char('d'));
        }
        press(&mut m, KeyCode::Down);
    }
    press(&mut m, KeyCode::Enter); // → Write
    screens.push(render(&mut m, 120, 40));
    press(&mut m, KeyCode::Tab); // Yes
    let effects = press(&mut m, KeyCode::Enter);
    perform(&mut m, effects);
    assert_eq!(m.step, Step::Done, "{:?}", m.write.error);
    screens.push(render(&mut m, 80, 24));
    screens.push(render(&mut m, 120, 40));
    screens.push(format!(
        "{:?} {:?} {:?} {:?}",
        m.source, m.review, m.done, m.write
    ));
    for screen in &screens {
        for canary in CANARIES {
            assert!(!screen.contains(canary), "{canary} shown:\n{screen}");
        }
    }

    // The same plan through `nbsso generate --patch` on the other copy.
    let by_wizard = files_under(wizard.path());
    assert_eq!(
        by_wizard,
        generate_patch(cli.path(), m.answers.draft.clone()),
        "same files, same bytes"
    );
    assert_ne!(by_wizard, original, "the deployment was patched");
    // Each replaced file's backup beside it holds the old bytes.
    let applied = m.done.patched.clone().expect("patched");
    assert!(applied.files.iter().any(|f| !f.existed));
    for f in applied.files.iter().filter(|f| f.existed) {
        let backup = f.backup.as_ref().expect("backup");
        let rel = f.path.strip_prefix(wizard.path()).unwrap();
        let old = original.iter().find(|(p, _)| p == rel).expect("original");
        assert_eq!(
            std::fs::read(backup).unwrap(),
            old.1,
            "{}",
            backup.display()
        );
    }
}

const LIST_PIPELINE: &str =
    "tests/fixtures/netbox-config/keycloak-list-pipeline/netbox/netbox/configuration.py";
const ID_KEY: &str = "tests/fixtures/netbox-config/keycloak-id-key/netbox/netbox/configuration.py";

/// Replaces the configuration path on the Source screen and performs the newest read.
fn read_path(m: &mut Model, path: &str) {
    focus(m, 1);
    let last = newest_read(replace_text(m, path));
    perform(m, last);
}

#[test]
fn a_read_fills_only_what_the_user_left_alone() {
    use nbsso::plan::Field;
    let mut m = source_with(LIST_PIPELINE);
    assert_eq!(m.value(Field::Configuration), LIST_PIPELINE);
    // The old `roles` scope is not carried over, and the screen says why.
    let screen = render(&mut m, 120, 60);
    assert!(screen.contains("\"roles\" is not carried over"), "{screen}");
    assert!(screen.contains(": 1 file (1 patchable)"), "{screen}");
    // Another file: the value nbsso filled follows it.
    read_path(&mut m, ID_KEY);
    assert_eq!(m.value(Field::Configuration), ID_KEY);
    // The user's own path for configuration.py (typed on the NetBox screen) stays.
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "https://idm.example.com");
    focus(&mut m, 6);
    type_text(&mut m, "alice");
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::NetBox, "{:?}", m.answers.problems);
    type_text(&mut m, "https://netbox.example.com");
    let at = m
        .focusables()
        .iter()
        .position(|f| *f == nbsso::app::Focusable::Field(Field::Configuration))
        .expect("configuration.py is asked on the NetBox screen");
    focus(&mut m, at);
    replace_text(&mut m, "/opt/netbox/netbox/netbox/configuration.py");
    press(&mut m, KeyCode::PageUp);
    press(&mut m, KeyCode::PageUp);
    assert_eq!(m.step, Step::Source);
    read_path(&mut m, LIST_PIPELINE);
    assert!(m.source.found().is_some());
    assert_eq!(
        m.value(Field::Configuration),
        "/opt/netbox/netbox/netbox/configuration.py"
    );
}

#[test]
fn an_older_read_answering_late_is_dropped() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    focus(&mut m, 1);
    let first = type_text(&mut m, INVALID);
    let second = replace_text(&mut m, DOCKER);
    perform(&mut m, newest_read(second));
    perform(&mut m, newest_read(first));
    let found = m.source.found().expect("the newest read stands");
    assert_eq!(found.shape.label(), "netbox-docker");
}

#[test]
fn a_generated_configuration_gets_the_change_to_make_in_its_source() {
    let path = "tests/fixtures/netbox-config/ansible-rendered/configuration.py";
    let before = std::fs::read(path).unwrap();
    let mut m = source_with(path);
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("not patched"), "{screen}");
    to_review(&mut m, Path::new(OUT));
    let patch = m.review.patch().expect("planned");
    assert!(
        patch.outcome.files.is_empty(),
        "a generated file is never patched"
    );
    let at = m
        .review
        .entries()
        .iter()
        .position(|e| matches!(e, Entry::Instruction(_)))
        .expect("an instruction");
    while m.review.selected < at {
        press(&mut m, KeyCode::Down);
    }
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("netbox_config"), "{screen}");
    snap("wizard_import_review_generated", &mut m);
    // Written, Done names the change by hand and the tool's render instead of netbox-sso.py.
    press(&mut m, KeyCode::Enter);
    assert!(m.write.yes, "nothing is overwritten");
    let effects = press(&mut m, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::WriteFiles { .. }]));
    update(&mut m, Msg::Written(Ok(Vec::new())));
    assert_eq!(m.step, Step::Done);
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("(as the review showed)"), "{screen}");
    assert!(
        screen.contains("render the configuration again"),
        "{screen}"
    );
    assert!(!screen.contains("Add target"), "{screen}");
    assert_eq!(std::fs::read(path).unwrap(), before);
}

#[test]
fn a_missing_path_says_so_in_place() {
    let mut m = source_with("tests/fixtures/netbox-config/no-such-dir/configuration.py");
    let screen = render(&mut m, 80, 24);
    assert!(
        screen.contains("✗ tests/fixtures/netbox-config/no-such-dir"),
        "{screen}"
    );
    assert!(matches!(
        m.source.read,
        nbsso::app::screens::source::Read::Failed(_)
    ));
}

#[test]
fn both_logins_beside_an_old_oidc_one_offer_kanidm_as_its_backend_name() {
    use nbsso::plan::Field;
    let mut m = source_with("tests/fixtures/netbox-config/docker-authentik/configuration");
    assert_eq!(m.answers.draft.source, "authentik");
    focus(&mut m, 3);
    press(&mut m, KeyCode::Down); // Kanidm only → Both logins
    assert_eq!(m.answers.draft.deployment.stage, "both");
    focus(&mut m, 4);
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("F2 uses kanidm"), "{screen}");
    snap("wizard_import_source_both_logins", &mut m);
    press(&mut m, KeyCode::F(2));
    assert_eq!(m.value(Field::DeploymentBackendName), "kanidm");
    to_review(&mut m, Path::new(OUT));
    let patch = m.review.patch().expect("planned");
    assert!(
        patch.redirect_url.ends_with("/oauth/complete/kanidm/"),
        "{}",
        patch.redirect_url
    );
}

#[test]
fn the_findings_scroll_to_their_last_line_on_a_small_terminal() {
    let mut m = source_with(LIST_PIPELINE);
    let lines = nbsso::app::screens::source::panel::lines(&m.source, &m.answers);
    let (last, _) = lines.last().expect("findings");
    let start: String = last
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let at = m.focusables().len() - 1;
    focus(&mut m, at);
    render(&mut m, 80, 24);
    assert!(
        !render(&mut m, 80, 24).contains(&start),
        "{start} shown at once"
    );
    for _ in 0..40 {
        press(&mut m, KeyCode::Down);
    }
    let screen = render(&mut m, 80, 24);
    assert!(screen.contains(&start), "{start}\n{screen}");
    // And back up to the first line.
    for _ in 0..40 {
        press(&mut m, KeyCode::Up);
    }
    let screen = render(&mut m, 80, 24);
    assert!(screen.contains("✓ Found configuration.py"), "{screen}");
}

#[test]
fn helm_values_get_a_values_diff_and_the_secret_a_command() {
    let path = "tests/fixtures/netbox-config/helm-authentik/values.yaml";
    let mut m = source_with(path);
    assert_eq!(m.source.found().expect("read").shape.label(), "helm");
    to_review(&mut m, Path::new(OUT));
    select(&mut m, Some("values.yaml"));
    let screen = render(&mut m, 120, 40);
    assert!(
        screen.contains("+      SOCIAL_AUTH_OIDC_OIDC_ENDPOINT: \"https://idm.example.com/"),
        "{screen}"
    );
    assert!(screen.contains("+logoutRedirectUrl: \"home\""), "{screen}");
    let secret = m
        .review
        .entries()
        .iter()
        .position(|e| matches!(e, Entry::Instruction(i) if i.text.contains("kubectl")))
        .expect("the Secret's command");
    while m.review.selected < secret {
        press(&mut m, KeyCode::Down);
    }
    let screen = render(&mut m, 120, 40);
    assert!(screen.contains("kubectl"), "{screen}");
    assert!(!screen.contains("canary"), "{screen}");
}
