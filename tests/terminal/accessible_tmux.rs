//! The accessible mode in a real terminal: every question answered by typing, with a refused
//! answer asked again, a step back, the checks' results as lines, a pasted error explained, the
//! failed checks' catalogue entries, the changes shown, the files written and the plan saved.
//! Then the automatic choice (TERM=dumb) and an answer file on standard input.

use std::process::{Command, Stdio};
use testkit::tmux::{self, Tmux};

/// A tall pane: the journey reads back over several questions.
const SIZE: (u16, u16) = (120, 50);

/// Types a line and presses Enter.
fn answer(t: &Tmux, line: &str) {
    if !line.is_empty() {
        t.text(line);
    }
    t.keys(&["Enter"]);
}

/// Everything the pane printed, scrolled off or not.
fn history(t: &Tmux) -> String {
    String::from_utf8_lossy(
        &t.run(&["capture-pane", "-p", "-S", "-", "-t", "e2e"])
            .stdout,
    )
    .into()
}

/// Waits until `text` was printed at least `n` times.
fn wait_count(t: &Tmux, text: &str, n: usize) -> String {
    let start = std::time::Instant::now();
    loop {
        let all = history(t);
        if all.matches(text).count() >= n {
            return all;
        }
        assert!(start.elapsed() < tmux::WAIT, "{text:?} {n} times:\n{all}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Waits until the last line on the screen is the prompt `prompt` (a question waits for input).
fn wait_prompt(t: &Tmux, prompt: &str) -> String {
    t.wait_until(&format!("the prompt {prompt:?}"), |s| {
        s.lines().rev().find(|l| !l.trim().is_empty()) == Some(prompt)
    })
}

#[test]
fn the_whole_wizard_as_questions_writes_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start("accessible", dir.path(), &["--accessible"], SIZE.0, SIZE.1) else {
        return;
    };
    t.wait_for("one question at a time");
    t.wait_for("  5. Fresh setup: no single sign-on yet");
    answer(&t, "9");
    t.wait_for("Not valid: Type a number from 1 to 5.");
    answer(&t, "1"); // Keycloak
    for _ in 0..4 {
        answer(&t, ""); // no configuration to read, no env file, Kanidm only, backend oidc
    }
    t.wait_for("Kanidm: the OAuth2 client NetBox will log in through");
    answer(&t, "idm.example.com");
    t.wait_for("Not valid: the Kanidm URL needs a scheme");
    answer(&t, "https://127.0.0.1:9");
    t.wait_for("CA file (optional)");
    answer(&t, "");
    t.wait_for("OAuth2 client name");
    answer(&t, "");
    t.wait_for("Display name");
    answer(&t, "back"); // to the client name again
    wait_count(&t, "OAuth2 client name", 2);
    for _ in 0..4 {
        answer(&t, ""); // client, display name, admin, group
    }
    t.wait_for("Group members");
    answer(&t, "alice, bob");
    t.wait_for("Kanidm version");
    answer(&t, "");
    t.wait_for("NetBox URL");
    answer(&t, "https://127.0.0.2:9");
    for _ in 0..4 {
        answer(&t, ""); // BASE_PATH, version, secret file, configuration.py
    }
    t.wait_for("Options: how the login behaves");
    for _ in 0..7 {
        answer(&t, "");
    }
    wait_prompt(&t, "Type 1 to 5 [1]:");
    let screen = history(&t);
    for line in [
        "Checks: the live servers, read-only",
        "Kanidm TLS: failed: cannot reach 127.0.0.1",
        "Discovery: skipped: needs Kanidm TLS to pass first",
        "  4. explain the failed checks (their catalogue entries)",
        "  5. match NetBox's users to Kanidm persons (the user migration)",
    ] {
        assert!(screen.contains(line), "{line}:\n{screen}");
    }
    answer(&t, "3");
    t.wait_for("Paste the error");
    answer(
        &t,
        "social_core.exceptions.AuthTokenError: Token error: Incorrect id_token: nbf",
    );
    answer(&t, ".");
    wait_count(&t, "What next?", 2);
    wait_prompt(&t, "Type 1 to 5 [1]:");
    let all = history(&t);
    assert!(
        all.contains("NetBox's clock is behind Kanidm's (social-core's own nbf check)"),
        "{all}"
    );
    answer(&t, "4");
    wait_count(&t, "What next?", 3);
    wait_prompt(&t, "Type 1 to 5 [1]:");
    let all = history(&t);
    assert!(
        all.contains("The check Kanidm TLS says failed: cannot reach 127.0.0.1"),
        "{all}"
    );
    answer(&t, "1");
    t.wait_for("Review: nothing has been written yet");
    let screen = t.wait_for("Write 5 files to nbsso-out?");
    assert!(screen.contains("nbsso-out/netbox-sso.py: new"), "{screen}");
    assert!(
        !dir.path().join("nbsso-out").exists(),
        "nothing written yet"
    );
    answer(&t, "2");
    wait_count(&t, "+++ nbsso-out/migrate-users.py", 1);
    wait_prompt(&t, "Type 1 to 2 [1]:");
    answer(&t, "1");
    t.wait_for("Done: the files are written");
    answer(&t, "1");
    let screen = t.wait_exit();
    assert!(
        screen.contains("Plan saved to nbsso-out/nbsso-plan.toml"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    // No box drawing: only text a screen reader can read line by line.
    assert!(!screen.contains(['│', '┌', '─', '▸']), "{screen}");
    for name in [
        "CHECKLIST.md",
        "kanidm-setup.sh",
        "kanidm-undo.sh",
        "netbox-sso.py",
        "migrate-users.py",
        "nbsso-plan.toml",
    ] {
        assert!(dir.path().join("nbsso-out").join(name).is_file(), "{name}");
    }
    let plan = std::fs::read_to_string(dir.path().join("nbsso-out/nbsso-plan.toml")).unwrap();
    assert!(plan.contains("source = \"keycloak\""), "{plan}");
    let members = nbsso::plan::PlanDraft::from_toml(&plan)
        .unwrap()
        .kanidm
        .members;
    assert_eq!(members, ["alice", "bob"]);
}

#[test]
fn a_dumb_terminal_gets_the_questions_without_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start_with("dumb", dir.path(), &[("TERM", "dumb")], &[], 100, 30) else {
        return;
    };
    t.wait_for("one question at a time");
    wait_prompt(&t, "Type 1 to 5 [5]:");
    t.keys(&["C-d"]);
    let screen = t.wait_exit();
    assert!(
        screen.contains("The input ended before the wizard finished"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=2"), "{screen}");
    assert!(!dir.path().join("nbsso-out").exists());
}

#[test]
fn an_answer_file_on_standard_input_drives_it() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("answers.txt");
    let lines = [
        "4", // Other OIDC
        "",  // no configuration to read
        "",  // no env file
        "",  // Kanidm only
        "",  // Kanidm's backend name: oidc
        "https://127.0.0.1:9",
        "",
        "netbox-prod",
        "",
        "",
        "",
        "carol",
        "",
        "https://127.0.0.2:9",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "1",
        "1",
        "2", // do not save the plan
    ];
    std::fs::write(&answers, lines.join("\n") + "\n").unwrap();
    let out = Command::new(tmux::nbsso_bin())
        .arg("--accessible")
        .current_dir(dir.path())
        .stdin(std::fs::File::open(&answers).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // Each answer is written after its question, so the transcript reads as a conversation.
    assert!(
        text.contains("OAuth2 client name\n  the Kanidm OAuth2 client NetBox logs in through\nType the value [netbox]: netbox-prod\n"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no escape sequences: {text}");
    let setup = std::fs::read_to_string(dir.path().join("nbsso-out/kanidm-setup.sh")).unwrap();
    assert!(setup.contains("netbox-prod"), "{setup}");
    assert!(!dir.path().join("nbsso-out/nbsso-plan.toml").exists());
}
