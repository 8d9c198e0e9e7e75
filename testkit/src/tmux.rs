//! A private tmux server for end-to-end journeys: a command in a pane of a fixed size, driven with
//! send-keys and read with capture-pane. After the command exits the pane shows its exit code and
//! the terminal mode (`icanon` once raw mode is off again).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);
/// How long a matching screen that keeps changing is watched before it is taken as it is.
pub const SETTLE: Duration = Duration::from_millis(600);

pub struct Tmux {
    socket: String,
}

/// The nbsso binary the journeys drive: `NBSSO_BIN` (the release build), else the test build.
pub fn nbsso_bin() -> PathBuf {
    std::env::var_os("NBSSO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(crate::built_nbsso)
}

/// Quotes a word for `sh -c`.
pub fn sh_word(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

impl Tmux {
    /// Runs `nbsso <args>` in `dir` in a `width`×`height` pane; `None` (with the reason printed)
    /// when tmux is not installed.
    pub fn start(name: &str, dir: &Path, args: &[&str], width: u16, height: u16) -> Option<Self> {
        Self::start_with(name, dir, &[], args, width, height)
    }

    /// As [`Self::start`], with `env` set for nbsso.
    pub fn start_with(
        name: &str,
        dir: &Path,
        env: &[(&str, &str)],
        args: &[&str],
        width: u16,
        height: u16,
    ) -> Option<Self> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipped: tmux is not installed");
            return None;
        }
        let socket = format!("nbsso-e2e-{}-{name}", std::process::id());
        let command: Vec<String> = std::iter::once("env".to_string())
            .chain(env.iter().map(|(k, v)| format!("{k}={v}")))
            .chain(std::iter::once(nbsso_bin().display().to_string()))
            .chain(args.iter().map(|a| a.to_string()))
            .map(|w| sh_word(&w))
            .collect();
        let script = format!(
            "{}; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-*icanon'; sleep 60",
            command.join(" ")
        );
        let t = Self { socket };
        let (w, h) = (width.to_string(), height.to_string());
        let out = t.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w,
            "-y",
            &h,
            "-c",
            dir.to_str().unwrap(),
            "sh",
            "-c",
            &script,
        ]);
        assert!(out.status.success(), "{out:?}");
        Some(t)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "e2e", k]);
        }
    }

    pub fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "e2e"]).stdout).into()
    }

    /// Polls until `ok` holds for the pane and the frame is whole, or fails with the last screen.
    ///
    /// A frame is drawn in several writes, so a capture can catch one half drawn: the screen is
    /// returned once two captures 50 ms apart agree, or, while something animates (a spinner),
    /// once `ok` has held for [`SETTLE`].
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut held_since: Option<(Instant, String)> = None;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                match &held_since {
                    Some((since, previous)) if *previous == screen || since.elapsed() >= SETTLE => {
                        return screen;
                    }
                    Some((since, _)) => held_since = Some((*since, screen)),
                    None => held_since = Some((Instant::now(), screen)),
                }
            } else {
                held_since = None;
                assert!(start.elapsed() < WAIT, "{what} within {WAIT:?}:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} appears"), |s| s.contains(text))
    }

    /// Waits until the command exited and the shell printed its exit code and the terminal mode.
    pub fn wait_exit(&self) -> String {
        self.wait_until("nbsso exits", |s| {
            s.contains("EXIT=") && s.lines().any(|l| l.trim().ends_with("icanon"))
        })
    }

    /// The pid of nbsso: the child of the pane's shell.
    pub fn nbsso_pid(&self) -> String {
        let shell = self.run(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"]);
        let shell = String::from_utf8_lossy(&shell.stdout).trim().to_string();
        let out = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap()
            .to_string()
    }

    /// Answers the wizard as a first setup up to the NetBox screen: Kanidm at `origin` trusted
    /// through `ca`, with `member` in the group; returns once the NetBox URL field shows.
    pub fn answer_first_setup_kanidm(&self, origin: &str, ca: &Path, member: &str) {
        self.wait_for("Press Enter to begin");
        self.keys(&["Enter", "Up", "Up", "Up", "Up", "Enter"]); // Source: none → … → keycloak
        self.wait_for("Kanidm URL");
        self.text(origin);
        self.keys(&["Tab"]);
        self.text(&ca.display().to_string());
        for _ in 0..5 {
            self.keys(&["Tab"]);
        }
        self.text(member);
        self.keys(&["Enter"]);
        self.wait_for("BASE_PATH");
    }

    /// From the NetBox screen: answers NetBox's URL, waits for the checks to start in the
    /// background (they do while the user is still on the NetBox screen), and goes through Options
    /// to the Checks screen.
    pub fn answer_netbox_and_open_checks(&self, netbox_origin: &str) {
        self.text(netbox_origin);
        self.wait_until("the checks start", |s| {
            s.contains("Checks: ") && !s.contains("start when the answers are valid")
        });
        self.keys(&["Enter"]);
        self.wait_for("REDIRECT_IS_HTTPS");
        self.keys(&["Enter"]);
        self.wait_for("Checks: the live servers");
    }

    /// The newest tmux paste buffer (what an OSC 52 copy put there, with `set-clipboard on`).
    pub fn clipboard(&self) -> String {
        String::from_utf8_lossy(&self.run(&["show-buffer"]).stdout).into()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}
