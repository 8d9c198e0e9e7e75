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
    let transcript = String::from_utf8_lossy(&output).into_owned();
    assert_eq!(code, Code::Ok, "{transcript}");
    transcript
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
