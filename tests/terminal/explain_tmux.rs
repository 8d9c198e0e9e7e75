//! The explain box in a real terminal: F3 over a half-filled screen, a traceback pasted with the
//! terminal's bracketed paste (line breaks kept), its explanation, and Esc back to the screen with
//! the answer typed before still there.

use testkit::tmux::Tmux;

const TRACEBACK: &str = include_str!("../fixtures/errors/socialcore-nbf.txt");

#[test]
fn a_bracketed_paste_is_explained_and_esc_returns_to_the_answers() {
    let dir = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start("explain", dir.path(), &[], 100, 30) else {
        return;
    };
    t.wait_for("Press Enter to begin");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Kanidm URL");
    t.text("https://idm.example.com");
    t.wait_for("F3 explain an error");
    t.keys(&["F3"]);
    t.wait_for("Explain an error (Esc closes)");
    t.run(&["set-buffer", "--", TRACEBACK]);
    t.run(&["paste-buffer", "-p", "-t", "e2e"]);
    let screen = t.wait_for("NetBox's clock is behind Kanidm's (social-core's own nbf check)");
    // Every line arrived as one paste: the traceback's 23 lines, the error found in its last.
    assert!(screen.contains("Pasted text: 23 line(s)"), "{screen}");
    assert!(screen.contains("Found in line 23 of 23:"), "{screen}");
    t.keys(&["Escape"]);
    let screen = t.wait_until("the box closes", |s| !s.contains("Esc closes"));
    assert!(screen.contains("https://idm.example.com"), "{screen}");
    t.keys(&["C-c"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["d"]);
    let screen = t.wait_exit();
    assert!(screen.contains("EXIT=0"), "{screen}");
}
