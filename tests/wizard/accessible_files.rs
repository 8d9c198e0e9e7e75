//! The accessible mode and the terminal wizard write the same files for the same answers: the
//! wizard's model is driven with keys (its effects performed as the runtime performs them), the
//! accessible conversation with an answer file, each into its own directory, and every file is
//! compared byte for byte.

use crossterm::event::KeyCode;
use nbsso::accessible::Session;
use nbsso::app::{Effect, Model, Msg, Step, update};
use nbsso::exit::Code;
use nbsso::generate::writer;
use std::path::Path;
use testkit::wizard::*;

/// Unreachable servers: the checks fail fast, and neither way of answering depends on them.
const KANIDM: &str = "https://127.0.0.1:9";
const NETBOX: &str = "https://127.0.0.2:9";

/// Performs the effects the runtime would for the review, the write and the plan file.
fn perform(model: &mut Model, effects: Vec<Effect>) {
    for effect in effects {
        let msg = match effect {
            Effect::PlanFiles {
                generation,
                dir,
                files,
            } => Msg::Planned(
                generation,
                writer::plan_files(&dir, &files).map_err(|e| e.to_string()),
            ),
            Effect::WriteFiles { planned } => Msg::Written(
                writer::write_files(&planned, "20261202T000000Z").map_err(|e| e.to_string()),
            ),
            Effect::SavePlan { path, toml } => {
                Msg::PlanSaved(nbsso::runtime::effects::save_plan(&path, toml))
            }
            _ => continue,
        };
        let more = update(model, msg);
        perform(model, more);
    }
}

fn enter(model: &mut Model) {
    let effects = press(model, KeyCode::Enter);
    perform(model, effects);
}

/// An Authentik migration with some answers changed from their defaults, through the screens.
fn with_the_wizard(out: &Path) {
    let mut m = model();
    enter(&mut m); // Welcome → Source
    for _ in 0..3 {
        press(&mut m, KeyCode::Up); // Fresh setup → Other OIDC → Keycloak OIDC → Authentik
    }
    enter(&mut m);
    type_text(&mut m, KANIDM);
    focus(&mut m, 3);
    replace_text(&mut m, "NetBox Production");
    focus(&mut m, 6);
    type_text(&mut m, "alice, bob");
    enter(&mut m); // → NetBox
    type_text(&mut m, NETBOX);
    focus(&mut m, 1);
    type_text(&mut m, "/netbox");
    enter(&mut m); // → Options
    press(&mut m, KeyCode::Down); // PKCE: enforce
    focus(&mut m, 2);
    press(&mut m, KeyCode::Char(' ')); // no consent prompt
    focus(&mut m, 6);
    replace_text(&mut m, &out.display().to_string());
    enter(&mut m); // → Checks
    assert_eq!(m.step, Step::Checks, "{:?}", m.answers.problems);
    enter(&mut m); // → Users
    assert_eq!(m.step, Step::Users);
    enter(&mut m); // no export read: → Review
    enter(&mut m); // → Write
    assert!(m.write.yes);
    enter(&mut m); // write
    assert_eq!(m.step, Step::Done, "{:?}", m.write.error);
    let effects = press(&mut m, KeyCode::Char('s'));
    perform(&mut m, effects);
}

/// The same answers as an answer file.
fn with_the_accessible_mode(out: &Path) -> String {
    let answers = [
        "2", // Source: Authentik
        "",  // no NetBox configuration to read
        "",  // no env file
        "",  // cut-over: Kanidm only
        "",  // Kanidm's backend name: oidc
        KANIDM,
        "",
        "",
        "NetBox Production",
        "",
        "",
        "alice, bob",
        "",
        NETBOX,
        "/netbox",
        "",
        "",
        "",
        "2", // PKCE: enforce
        "",
        "2", // no consent prompt
        "",
        "",
        "",
        &out.display().to_string(),
        "1", // checks: on to the review
        "1", // write
        "1", // save the plan
    ]
    .join("\n")
        + "\n";
    let (code, transcript) = converse(&answers);
    assert_eq!(code, Code::Ok, "{transcript}");
    transcript
}

/// Every line of `said` is in the transcript.
fn assert_said(transcript: &str, said: &[&str]) {
    for line in said {
        assert!(
            transcript.contains(line),
            "{line:?} not said:\n{transcript}"
        );
    }
}

/// The accessible conversation over an answer file: its exit code and its transcript.
fn converse(answers: &str) -> (Code, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut input = answers.as_bytes();
    let mut output = Vec::new();
    let code = Session::new(
        &mut input,
        &mut output,
        true,
        &runtime,
        nbsso::checks::Options::default(),
    )
    .run();
    (code, String::from_utf8_lossy(&output).into_owned())
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_accessible_mode_writes_the_wizards_files_byte_for_byte() {
    let tui = tempfile::tempdir().unwrap();
    let lines = tempfile::tempdir().unwrap();
    with_the_wizard(tui.path());
    let transcript = with_the_accessible_mode(lines.path());
    assert!(
        transcript.contains("Done: the files are written"),
        "{transcript}"
    );
    let names = files(tui.path());
    assert_eq!(
        names,
        [
            "CHECKLIST.md",
            "kanidm-setup.sh",
            "kanidm-undo.sh",
            "migrate-users.py",
            "nbsso-plan.toml",
            "netbox-sso.py"
        ]
    );
    assert_eq!(files(lines.path()), names);
    for name in &names {
        let (a, b) = (tui.path().join(name), lines.path().join(name));
        let (left, right) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        // The plan file names its own output directory, which differs on purpose.
        let (left, right) = if name == "nbsso-plan.toml" {
            let strip = |bytes: Vec<u8>, dir: &Path| {
                String::from_utf8(bytes)
                    .unwrap()
                    .replace(&dir.display().to_string(), "<out>")
                    .into_bytes()
            };
            (strip(left, tui.path()), strip(right, lines.path()))
        } else {
            (left, right)
        };
        assert!(left == right, "{name} differs");
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a), mode(&b), "{name}");
    }
    // The answers that differ from the defaults made it into the files.
    let setup = std::fs::read_to_string(tui.path().join("kanidm-setup.sh")).unwrap();
    assert!(
        setup.contains("https://127.0.0.2:9/netbox/oauth/complete/oidc/"),
        "{setup}"
    );
    let plan = std::fs::read_to_string(lines.path().join("nbsso-plan.toml")).unwrap();
    for expected in [
        "source = \"authentik\"",
        "pkce = \"enforce\"",
        "consent_prompt = false",
        "display_name = \"NetBox Production\"",
        "base_path = \"/netbox\"",
    ] {
        assert!(plan.contains(expected), "{expected} in {plan}");
    }
}

/// The answers of a plan: the old login (`source`, empty for the default) and NetBox's
/// configuration (`config`, empty for none), then defaults but the servers, the group members and
/// the output directory `out`; the rest of the answers after it.
fn plan_answers(source: &str, config: &str, out: &Path, rest: &[&str]) -> String {
    let out = out.display().to_string();
    let defaults = |n: usize| vec![""; n];
    // Source: the old login, the configuration, then env file, cut-over and backend name as
    // they are.
    let mut answers = vec![source, config];
    answers.extend(defaults(3));
    // Kanidm: the URL, four defaults, the group's members, the version.
    answers.push(KANIDM);
    answers.extend(defaults(5));
    answers.extend(["alice, bob", ""]);
    // NetBox: the URL, then its defaults.
    answers.push(NETBOX);
    answers.extend(defaults(4));
    // Options: the defaults, then the output directory.
    answers.extend(defaults(6));
    answers.push(&out);
    answers.extend_from_slice(rest);
    answers.join("\n") + "\n"
}

#[test]
fn the_accessible_mode_reads_and_patches_netbox_docker_as_generate_patch_does() {
    use super::wizard_import::{CANARIES, docker_copy, files_under, generate_patch};
    let lines = docker_copy();
    let cli = docker_copy();
    let original = files_under(lines.path());
    let out = tempfile::tempdir().unwrap();
    let config = lines.path().join("configuration").display().to_string();
    // On to the review, the changes shown first, then written, and the plan saved.
    let answers = plan_answers("", &config, out.path(), &["1", "2", "1", "1"]);
    let (code, transcript) = converse(&answers);
    assert_eq!(code, Code::Ok, "{transcript}");
    assert_said(
        &transcript,
        &[
            "Found netbox-docker, old login Keycloak: 4 files (4 patchable)",
            "SOCIAL_AUTH_KEYCLOAK_SECRET = <redacted>",
            "The old login is now Keycloak, as the files say",
            "NetBox's configuration (netbox-docker, old login Keycloak): nbsso patches 4 of its files",
            "configuration/zz_nbsso_kanidm.py: create",
            // Files are replaced: writing is not the default.
            "and patch 4 of NetBox's configuration?",
            "Type 1 to 2 [2]:",
            "-<redacted>",
            "NetBox's configuration is patched:",
            "2. docker compose up -d",
        ],
    );
    for canary in CANARIES {
        assert!(!transcript.contains(canary), "{canary} said:\n{transcript}");
    }
    // Each replaced file was backed up whole, and the transcript names the backup.
    let patched = files_under(lines.path());
    assert_ne!(patched, original, "the deployment was patched");
    for (rel, old) in &original {
        let path = lines.path().join(rel);
        if std::fs::read(&path).unwrap() == *old {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let backup = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                n.starts_with(&format!("{name}.nbsso-")) && n.ends_with(".bak")
            })
            .unwrap_or_else(|| panic!("no backup of {name}"));
        assert_eq!(
            std::fs::read(&backup).unwrap(),
            *old,
            "{}",
            backup.display()
        );
        assert!(
            transcript.contains(&format!("the old one kept as {}", backup.display())),
            "{transcript}"
        );
    }

    // The saved plan through `nbsso generate --patch` on the other copy: the same bytes.
    let saved = std::fs::read_to_string(out.path().join("nbsso-plan.toml")).unwrap();
    let draft = nbsso::plan::PlanDraft::from_toml(&saved).unwrap();
    assert_eq!(draft.source, "keycloak");
    assert_eq!(
        patched,
        generate_patch(cli.path(), draft),
        "same files, same bytes"
    );
}

#[test]
fn a_configuration_that_does_not_read_is_asked_again_and_can_be_left_out() {
    use super::wizard_import::INVALID;
    let before = std::fs::read(INVALID).unwrap();
    let out = tempfile::tempdir().unwrap();
    // The invalid file; asked again, the path emptied (and the step's other answers kept); then
    // on with the other answers.
    let answers = plan_answers("", INVALID, out.path(), &["1", "1", "1"]).replacen(
        &format!("{INVALID}\n\n\n\n"),
        &format!("{INVALID}\n\n\n\n-\n\n\n\n"),
        1,
    );
    let (code, transcript) = converse(&answers);
    assert_eq!(code, Code::Ok, "{transcript}");
    let error = nbsso::deploy::load(&[std::path::PathBuf::from(INVALID)], None)
        .expect_err("not valid Python")
        .to_string();
    let at = error.split(": ").next().unwrap();
    assert!(at.starts_with(&format!("{INVALID}:20")), "{error}");
    assert!(
        transcript.contains(&format!("NetBox's configuration could not be read: {at}")),
        "the message names file:line:column\n{transcript}"
    );
    // The question came again right after the message, and the rest went on without a patch.
    let again = transcript
        .split("could not be read")
        .nth(1)
        .unwrap_or_default();
    assert!(again.contains("NetBox configuration\n"), "{transcript}");
    assert!(
        !transcript.contains("NetBox's configuration ("),
        "{transcript}"
    );
    assert!(
        transcript.contains("Done: the files are written"),
        "{transcript}"
    );
    assert!(!transcript.contains("canary-db-bad"), "{transcript}");
    assert_eq!(std::fs::read(INVALID).unwrap(), before, "nothing changed");
}

#[test]
fn the_accessible_users_step_writes_what_users_match_writes_with_the_same_picks() {
    use super::wizard_users::{EXPORT, PERSONS, assert_same_map_as_users_match};
    let out = tempfile::tempdir().unwrap();
    // After the checks (which fail: the servers are unreachable), option 5 matches the users.
    let answers = plan_answers(
        "1", // Source: Keycloak
        "",  // no configuration to read
        out.path(),
        &[
            "5",
            "tests/fixtures/users/missing.export.txt", // not there: asked again
            PERSONS,
            EXPORT,
            "<", // back to the export's question
            "",  // Enter keeps the export as typed
            "",  // and the persons' file
            "2",
            "nobody", // not a NetBox user: asked again
            "fmeyer",
            "nobody", // not a Kanidm person: nothing picked
            "2",
            "FMEYER", // as NetBox spells it
            "frank",
            "2",
            "erin",
            "-",
            "1", // done: back to the checks' menu
            "1", // review
            "1", // write
            "1", // save the plan
        ],
    );
    let (code, transcript) = converse(&answers);
    assert_eq!(code, Code::Ok, "{transcript}");
    assert_said(
        &transcript,
        &[
            "5. match NetBox's users to Kanidm persons (the user migration)",
            "Not read: tests/fixtures/users/missing.export.txt cannot be read",
            "Kanidm persons\n  a saved `kanidm person list -o json`; empty: read live\n",
            "[tests/fixtures/users/persons.cli.json]: <\nExport output\n",
            "[tests/fixtures/users/keycloak-default.export.txt]: \n",
            "1 ambiguous, 1 unmatched",
            "✓ lock-out guard: local superuser with a password: admin",
            "3 user(s) to decide:",
            "ambiguous       fmeyer: several Kanidm persons fit: frank, fmeyer-ops",
            "NetBox has no user named nobody.",
            "Persons that fit: frank, fmeyer-ops",
            "Kanidm has no person named nobody.",
            "fmeyer will be linked to frank",
            "erin will be left unlinked",
            // Only the stray copy is left to decide.
            "1 user(s) to decide:\n  stray ",
            "user-map.json: new; every NetBox user's match",
            "The user migration, in order, where NetBox runs:",
            "NBSSO_USERS_ACTION=apply",
        ],
    );

    // The same inputs and picks through the command line, with the plan the session saved.
    let picks = std::fs::read_to_string(out.path().join("user-overrides.csv")).unwrap();
    assert_eq!(picks, "netbox_username,kanidm_name\nfmeyer,frank\nerin,-\n");
    let plan = out.path().join("nbsso-plan.toml");
    let saved = std::fs::read_to_string(&plan).unwrap();
    assert!(
        saved.ends_with(&format!(
            "[users]\nexport = \"{EXPORT}\"\npersons = \"{PERSONS}\"\n"
        )),
        "{saved}"
    );
    assert_same_map_as_users_match(out.path(), &plan, &picks, &[]);
}

/// A patch the review refuses (a staged cut-over the Helm chart cannot express) sends the user to
/// the configuration's question; once it is answered, the review comes back at once, without the
/// later questions asked again, and the files are written without a patch.
#[test]
fn a_patch_the_review_refuses_asks_the_configuration_again_then_returns_to_the_review() {
    const HELM: &str = "tests/fixtures/netbox-config/helm-authentik/values.yaml";
    let before = std::fs::read(HELM).unwrap();
    let out = tempfile::tempdir().unwrap();
    // Both logins at once, Kanidm's under its own backend name: valid as answers, refused by the
    // Helm chart's patch. At the review, the path is emptied, then the files are written.
    let answers = plan_answers("", HELM, out.path(), &["1", "-", "1", "1"]).replacen(
        &format!("{HELM}\n\n\n\n"),
        &format!("{HELM}\n\n2\nkanidm\n"),
        1,
    );
    let (code, transcript) = converse(&answers);
    assert_eq!(code, Code::Ok, "{transcript}");
    let refused = transcript
        .split("NetBox's configuration cannot be patched: the Helm chart builds")
        .nth(1)
        .unwrap_or_else(|| panic!("the review refuses the patch\n{transcript}"));
    // The configuration's question, then straight back to the review.
    let (asked, rest) = refused
        .split_once("Review: nothing has been written yet")
        .unwrap_or_else(|| panic!("back to the review\n{transcript}"));
    assert!(asked.contains("NetBox configuration\n"), "{asked}");
    for later in ["Env file\n", "Kanidm URL", "Output directory"] {
        assert!(!asked.contains(later), "{later:?} asked again:\n{asked}");
    }
    assert!(rest.contains("Done: the files are written"), "{transcript}");
    assert!(out.path().join("netbox-sso.py").exists());
    assert_eq!(std::fs::read(HELM).unwrap(), before, "nothing changed");
}
