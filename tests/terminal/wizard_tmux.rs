//! End-to-end journeys: the built `nbsso` binary in a private tmux server (100×30), driven with
//! send-keys and read with capture-pane. Skipped, with the reason printed, when tmux is missing.
//! `NBSSO_BIN` overrides the binary (e.g. the release build).

use std::process::Command;
use testkit::tmux;
use tmux::Tmux;

/// The journeys' terminal size.
const SIZE: (u16, u16) = (100, 30);

/// Types the answers of a Keycloak migration and goes to the Review.
fn answer_keycloak(t: &Tmux) {
    answer_keycloak_to_users(t);
    t.keys(&["Enter"]); // nothing typed: the optional step is skipped
    t.wait_for("Review: nothing has been written yet");
    t.wait_for("CHECKLIST.md");
}

/// Types the answers of a Keycloak migration and goes to the Users step.
fn answer_keycloak_to_users(t: &Tmux) {
    t.wait_for("Press Enter to begin");
    t.keys(&["Enter"]);
    t.wait_for("Where does NetBox log in today?");
    t.keys(&["Up", "Up", "Up", "Up", "Enter"]); // none → … → keycloak
    answer_to_review(t);
}

/// From the Kanidm screen, types a Kanidm URL, members and a NetBox URL and goes through the
/// Checks to the Users step, the one before the Review.
pub fn answer_to_review(t: &Tmux) {
    t.wait_for("Kanidm URL");
    t.text("https://127.0.0.1:9");
    for _ in 0..6 {
        t.keys(&["Tab"]);
    }
    t.text("alice, bob");
    t.keys(&["Enter"]);
    t.wait_for("BASE_PATH");
    t.text("https://127.0.0.2:9");
    t.keys(&["Enter"]);
    t.wait_for("REDIRECT_IS_HTTPS");
    t.keys(&["Enter"]);
    t.wait_for("Checks: the live servers");
    t.keys(&["Enter"]);
    t.wait_for("Users: every NetBox user keeps their own account");
}

/// The Users step as a user drives it: the saved export and person list typed, the table read,
/// the ambiguous fmeyer given frank from the picker, and the map written with the other files.
#[test]
fn users_are_matched_and_a_pick_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/users");
    for (from, to) in [
        ("keycloak-default.export.txt", "nbsso-export.txt"),
        ("persons.cli.json", "persons.json"),
    ] {
        std::fs::copy(fixtures.join(from), dir.path().join(to)).unwrap();
    }
    let Some(t) = Tmux::start("users", dir.path(), &[], SIZE.0, SIZE.1) else {
        return;
    };
    answer_keycloak_to_users(&t);
    t.text("nbsso-export.txt");
    t.keys(&["Tab"]);
    t.text("persons.json");
    t.keys(&["Enter"]);
    let screen = t.wait_for("3 matched");
    assert!(screen.contains("? ambiguous      fmeyer"), "{screen}");
    assert!(screen.contains("✓ Lock-out guard"), "{screen}");
    t.keys(&["/"]);
    t.text("fmeyer");
    t.keys(&["Enter", "p"]);
    t.wait_for("Kanidm person for fmeyer");
    for _ in 0..7 {
        t.keys(&["Down"]); // (leave unlinked), admin2, alice, bob, carol, dsmith, fmeyer-ops, frank
    }
    t.keys(&["Enter"]);
    t.wait_for("fmeyer will be linked to frank");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Review: nothing has been written yet");
    assert!(screen.contains("fmeyer → frank"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_for("Write 7 files to nbsso-out?");
    t.keys(&["Enter"]);
    t.wait_for("Done: the files are written");
    t.keys(&["u"]);
    t.wait_for("Moving the users on git checkout");
    let out = dir.path().join("nbsso-out");
    let map = std::fs::read_to_string(out.join("user-map.json")).unwrap();
    assert!(map.contains("\"kanidm\": \"frank\""), "{map}");
    let picks = std::fs::read_to_string(out.join("user-overrides.csv")).unwrap();
    assert_eq!(picks, "netbox_username,kanidm_name\nfmeyer,frank\n");
    t.keys(&["Enter"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["d"]);
    let screen = t.wait_exit();
    assert!(screen.contains("EXIT=0"), "{screen}");
}

#[test]
fn first_time_keycloak_migration_writes_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start("happy", dir.path(), &[], SIZE.0, SIZE.1) else {
        return;
    };
    answer_keycloak(&t);
    assert!(
        !dir.path().join("nbsso-out").exists(),
        "nothing written before the confirmation"
    );
    t.keys(&["Enter"]);
    let screen = t.wait_for("Write 5 files to nbsso-out?");
    assert!(screen.contains("No existing file is replaced"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_for("Done: the files are written");
    for (name, mode) in [
        ("CHECKLIST.md", 0o644),
        ("kanidm-setup.sh", 0o755),
        ("kanidm-undo.sh", 0o755),
        ("netbox-sso.py", 0o644),
        ("migrate-users.py", 0o644),
    ] {
        let path = dir.path().join("nbsso-out").join(name);
        let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(meta.is_file(), "{name}");
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            mode,
            "{name}"
        );
    }
    let settings = std::fs::read_to_string(dir.path().join("nbsso-out/netbox-sso.py")).unwrap();
    assert!(
        settings.contains("SOCIAL_AUTH_OIDC_USE_PKCE = True"),
        "{settings}"
    );
    // Quitting asks (the plan is not saved); save it and quit.
    t.keys(&["q"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["s"]);
    let screen = t.wait_exit();
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.lines().any(|l| l.trim() == "icanon"), "{screen}");
    let plan = std::fs::read_to_string(dir.path().join("nbsso-out/nbsso-plan.toml")).unwrap();
    assert!(plan.contains("source = \"keycloak\""), "{plan}");
}

#[test]
fn a_typo_shows_inline_then_back_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start("typo", dir.path(), &[], SIZE.0, SIZE.1) else {
        return;
    };
    t.wait_for("Press Enter to begin");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Kanidm URL");
    t.text("idm.example.com");
    t.wait_for("needs a scheme");
    t.keys(&["Enter"]);
    t.wait_for("Kanidm URL !");
    t.keys(&["PageUp"]);
    t.wait_for("Where does NetBox log in today?");
    t.keys(&["Enter"]);
    let screen = t.wait_for("idm.example.com");
    assert!(
        screen.contains("needs a scheme"),
        "the value and its error are kept"
    );
    t.keys(&["Home"]);
    t.text("https://");
    let screen = t.wait_for("https://idm.example.com");
    assert!(!screen.contains("needs a scheme"), "{screen}");
    t.keys(&["Escape"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["d"]);
    let screen = t.wait_exit();
    assert!(screen.contains("EXIT=0"), "{screen}");
}

#[test]
fn an_overwrite_is_confirmed_and_keeps_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nbsso-out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("netbox-sso.py"), "# hand-written\n").unwrap();
    let Some(t) = Tmux::start("overwrite", dir.path(), &[], SIZE.0, SIZE.1) else {
        return;
    };
    answer_keycloak(&t);
    t.wait_for("overwrite");
    t.keys(&["Enter"]);
    let screen = t.wait_for("will be overwritten: netbox-sso.py");
    assert!(screen.contains("▸ No, back to the review ◂"), "{screen}");
    t.keys(&["Left", "Enter"]);
    t.wait_for("Done: the files are written");
    t.wait_for("backup: netbox-sso.py.nbsso-");
    let backups: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(backups[0].path()).unwrap(),
        "# hand-written\n"
    );
    t.keys(&["q", "d"]);
    assert!(t.wait_exit().contains("EXIT=0"));
}

#[test]
fn the_terminal_is_restored_after_sigterm_and_sighup() {
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let Some(t) = Tmux::start(&format!("sig{signal}"), dir.path(), &[], SIZE.0, SIZE.1) else {
            return;
        };
        t.wait_for("Press Enter to begin");
        let pid = t.nbsso_pid();
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let screen = t.wait_exit();
        assert!(
            screen.contains(&format!("EXIT={code}")),
            "{signal}: {screen}"
        );
        assert!(
            screen.lines().any(|l| l.trim() == "icanon"),
            "{signal}: raw mode is off again: {screen}"
        );
        assert!(
            !screen.contains("Press Enter to begin"),
            "{signal}: the alternate screen was left: {screen}"
        );
    }
}

#[test]
fn a_kanidm_clock_ahead_shows_the_clock_check_failing_with_its_fix() {
    let (idp, netbox) = testkit::pair::kanidm_and_netbox("s", |idp| idp.clock_offset_ms(1500));
    let dir = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start("clock", dir.path(), &[], SIZE.0, SIZE.1) else {
        return;
    };
    t.answer_first_setup_kanidm(&idp.origin(), idp.ca_pem_path(), "alice");
    t.answer_netbox_and_open_checks(&netbox.origin());
    let screen = t.wait_for("✗ failed  Clocks");
    assert!(screen.contains("✓ ok      Kanidm TLS"), "{screen}");
    for _ in 0..3 {
        t.keys(&["Down"]);
    }
    let screen = t.wait_for("Details: Clocks");
    assert!(screen.contains("Fix: "), "{screen}");
    assert!(screen.contains("behind Kanidm"), "{screen}");
    // Escape and a key sent together read as Alt+key: wait for the question first.
    t.keys(&["Escape"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["d"]);
    assert!(t.wait_exit().contains("EXIT=0"));
}
