#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Peak resident memory (the kernel's VmHWM) of the built wizard in a real terminal (tmux, 120×40):
//! on its Welcome screen, and after it has run the whole check board against the test kit's
//! Kanidm-shaped IdP and NetBox-shaped server on 127.0.0.1 (TLS with a private CA).
//!
//! `cargo bench --bench wizard_memory`; needs tmux. Exits non-zero above 16 MB.

use testkit::tmux::Tmux;

const GOAL_KB: u64 = 16 * 1024;

/// VmHWM of a process, in KiB.
fn peak_rss_kb(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

fn main() {
    let (idp, netbox) = testkit::pair::kanidm_and_netbox("s", |idp| idp);
    let dir = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start("memory", dir.path(), &[], 120, 40) else {
        std::process::exit(2);
    };
    t.wait_for("Press Enter to begin");
    let pid = t.nbsso_pid();
    let idle = peak_rss_kb(&pid);
    t.answer_first_setup_kanidm(&idp.origin(), idp.ca_pem_path(), "alice");
    t.answer_netbox_and_open_checks(&netbox.origin());
    let board = t.wait_until("every check has finished", |s| {
        s.contains("Kanidm authorise probe") && !s.contains("running") && !s.contains("waiting")
    });
    let ok = board.lines().filter(|l| l.contains("✓ ok  ")).count();
    let status = format!("{ok} of 7 checks ok");
    let after_board = peak_rss_kb(&pid);
    t.keys(&["Escape"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["d"]);
    assert!(t.wait_exit().contains("EXIT=0"));
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "peak RSS: {:.1} MB on the Welcome screen, {:.1} MB after the whole check board \
         ({:.2}x the 16 MB goal); board: {status}",
        mb(idle),
        mb(after_board),
        after_board as f64 / GOAL_KB as f64
    );
    if after_board > GOAL_KB {
        std::process::exit(1);
    }
}
