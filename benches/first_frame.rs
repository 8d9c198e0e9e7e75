#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Time from starting the wizard to its first drawn frame, in a real pseudo-terminal: util-linux's
//! `script` gives the built `nbsso` an 80×24 pty (its shell sets the size with stty, then `exec`s
//! nbsso), and the clock runs from spawning `script` until the bytes of the first whole frame (the
//! Welcome screen, then the end of synchronized output, the last bytes of a draw) arrive. The
//! starts of `script`, its shell and stty count as nbsso's time: the figure is an upper bound. (A
//! mark printed just before the exec cannot split the two: `script` often forwards it in one read
//! with the frame.)
//!
//! `cargo bench --bench first_frame`; 21 runs, prints the median and the slowest; exits non-zero
//! when the median is above 50 ms.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 21;
const GOAL: Duration = Duration::from_millis(50);
const FRAME_TEXT: &[u8] = b"Press Enter to begin";
/// The end of synchronized output: the last bytes of every frame.
const FRAME_END: &[u8] = b"\x1b[?2026l";

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// One start: the time from spawning `script` to the end of the first frame.
fn once(nbsso: &str) -> Duration {
    let shell = format!("stty cols 80 rows 24; exec '{nbsso}'");
    let spawned = Instant::now();
    let mut child = Command::new("script")
        .args(["-q", "-f", "-e", "-c", &shell, "/dev/null"])
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("util-linux script");
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    let took = loop {
        let n = out.read(&mut buf).unwrap();
        let now = Instant::now();
        assert!(
            n > 0 && now < deadline,
            "no frame: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
        if let Some(text) = find(&seen, FRAME_TEXT, 0)
            && find(&seen, FRAME_END, text).is_some()
        {
            break now - spawned;
        }
    };
    // q on the Welcome screen quits.
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(b"q");
    drop(input);
    let mut rest = Vec::new();
    let _ = out.read_to_end(&mut rest);
    let status = child.wait().unwrap();
    assert!(status.success(), "nbsso ended with {status}");
    took
}

fn main() {
    let nbsso = std::env::var("NBSSO_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_nbsso").into());
    once(&nbsso); // the binary and its libraries into the page cache
    let mut times: Vec<Duration> = (0..RUNS).map(|_| once(&nbsso)).collect();
    times.sort();
    let median = times[RUNS / 2];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "first frame (from spawning script, its shell and stty included): median {:.1} ms, fastest {:.1} ms, slowest {:.1} ms of {RUNS} starts \
         ({:.2}x the {} ms goal)",
        ms(median),
        ms(times[0]),
        ms(times[RUNS - 1]),
        ms(median) / ms(GOAL),
        GOAL.as_millis()
    );

    if median > GOAL {
        std::process::exit(1);
    }
}
