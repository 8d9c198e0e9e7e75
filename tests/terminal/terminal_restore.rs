//! The terminal is given back whole however the wizard ends: a panic injected on each screen
//! (`NBSSO_INJECT_PANIC`: F12 panics), SIGTERM and SIGHUP in the middle of typing an answer. After
//! each, tmux says the pane left the alternate screen and shows the cursor, `stty -a` in the pane
//! says raw mode is off (`icanon`), the exit code is the one for the way out, and the panic's
//! message is readable and holds none of the secrets in the environment.

use std::process::Command;
use testkit::tmux::Tmux;

const SIZE: (u16, u16) = (100, 30);

/// A screen of the wizard and the text that shows it is up.
struct Screen {
    name: &'static str,
    shown_by: &'static str,
}

/// The wizard's screens in the order a first setup reaches them; the inspect view opens from
/// Checks with `i`.
const SCREENS: &[Screen] = &[
    Screen {
        name: "Welcome",
        shown_by: "Press Enter to begin",
    },
    Screen {
        name: "Source",
        shown_by: "Where does NetBox log in today?",
    },
    Screen {
        name: "Kanidm",
        shown_by: "Kanidm URL",
    },
    Screen {
        name: "NetBox",
        shown_by: "BASE_PATH",
    },
    Screen {
        name: "Options",
        shown_by: "REDIRECT_IS_HTTPS",
    },
    Screen {
        name: "Checks",
        shown_by: "Checks: the live servers",
    },
    Screen {
        name: "Inspect",
        shown_by: "Kanidm OAuth2 clients, read-only",
    },
    Screen {
        name: "Users",
        shown_by: "Users: every NetBox user keeps their own account",
    },
    Screen {
        name: "Review",
        shown_by: "Review: nothing has been written yet",
    },
    Screen {
        name: "Write",
        shown_by: "Write 5 files to nbsso-out?",
    },
    Screen {
        name: "Done",
        shown_by: "Done: the files are written",
    },
    Screen {
        name: "Help",
        shown_by: "Esc close",
    },
];

/// The keys that lead from the screen before `name` to it.
fn go_to(t: &Tmux, name: &str) {
    match name {
        "Welcome" => {}
        "Source" => t.keys(&["Enter"]),
        "Kanidm" => t.keys(&["Up", "Up", "Up", "Up", "Enter"]), // none → … → keycloak
        "NetBox" => {
            t.text("https://127.0.0.1:9");
            for _ in 0..6 {
                t.keys(&["Tab"]);
            }
            t.text("alice, bob");
            t.keys(&["Enter"]);
        }
        "Options" => {
            t.text("https://127.0.0.2:9");
            t.keys(&["Enter"]);
        }
        "Inspect" => t.keys(&["i"]),
        "Help" => t.keys(&["F1"]),
        _ => t.keys(&["Enter"]),
    }
}

/// Whether tmux shows the pane on its alternate screen, and its cursor.
fn pane_flags(t: &Tmux) -> (bool, bool) {
    let out = t.run(&[
        "display-message",
        "-p",
        "-t",
        "e2e",
        "#{alternate_on} #{cursor_flag}",
    ]);
    let flags = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (flags.starts_with('1'), flags.ends_with('1'))
}

/// The terminal after nbsso ended: alternate screen left, cursor shown, raw mode off.
fn assert_restored(t: &Tmux, what: &str, code: i32, left: &str) -> String {
    let screen = t.wait_exit();
    assert!(screen.contains(&format!("EXIT={code}")), "{what}: {screen}");
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "{what}: raw mode is still on: {screen}"
    );
    assert!(
        !screen.contains(left),
        "{what}: still on the alternate screen: {screen}"
    );
    let (alternate, cursor) = pane_flags(t);
    assert!(
        !alternate,
        "{what}: tmux says the pane is on the alternate screen"
    );
    assert!(cursor, "{what}: tmux says the cursor is hidden");
    screen
}

#[test]
fn a_panic_on_any_screen_gives_the_terminal_back() {
    let canary = format!("nbsso-canary-{}", std::process::id());
    for (i, target) in SCREENS.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("NBSSO_INJECT_PANIC", "1"),
            ("RUST_BACKTRACE", "0"),
            ("KANIDM_PASSWORD", canary.as_str()),
            ("NETBOX_OIDC_SECRET", canary.as_str()),
        ];
        let Some(t) = Tmux::start_with(&format!("panic{i}"), dir.path(), &env, &[], SIZE.0, SIZE.1)
        else {
            return;
        };
        // The way there: every screen before it in order, except the side trips (inspect, help).
        let path = SCREENS[..=i]
            .iter()
            .filter(|s| s.name == target.name || !matches!(s.name, "Inspect" | "Help"));
        for screen in path {
            go_to(&t, screen.name);
            t.wait_for(screen.shown_by);
        }
        t.keys(&["F12"]);
        let after = assert_restored(&t, target.name, 101, target.shown_by);
        assert!(
            after.contains("injected panic"),
            "{}: the message is readable: {after}",
            target.name
        );
        assert!(
            !after.contains(&canary),
            "{}: a secret in the panic output: {after}",
            target.name
        );
    }
}

#[test]
fn sigterm_and_sighup_while_typing_give_the_terminal_back() {
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let Some(t) = Tmux::start(&format!("typing{signal}"), dir.path(), &[], SIZE.0, SIZE.1)
        else {
            return;
        };
        for screen in &SCREENS[..3] {
            go_to(&t, screen.name);
            t.wait_for(screen.shown_by);
        }
        t.text("https://idm.exam");
        t.wait_for("https://idm.exam");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &t.nbsso_pid()])
            .status()
            .unwrap();
        assert!(status.success());
        assert_restored(&t, signal, code, "Kanidm URL");
    }
}
