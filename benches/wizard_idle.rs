#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! CPU used by the wizard's loop while idle for 5 s (no input, no check running): should be ~0.
//!
//! `cargo bench --bench wizard_idle`; exits non-zero above 50 ms of CPU.

use futures_util::Stream;
use nbsso::runtime::EventLoop;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io;
use std::pin::Pin;
use std::time::Duration;

/// utime + stime of this process, from /proc/self/stat, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn main() {
    // Measured with the allocator set up as the binary sets it.
    nbsso::allocator::return_freed_memory_at_once();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let used = rt.block_on(async {
        let events: Pin<Box<dyn Stream<Item = io::Result<crossterm::event::Event>> + Send>> =
            Box::pin(futures_util::stream::pending());
        let (stop_tx, stop) = tokio::sync::mpsc::unbounded_channel();
        let terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let mut model = testkit::wizard::model();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let _ = stop_tx.send(15);
        });
        let before = cpu_seconds();
        EventLoop::new(terminal, events, stop)
            .run(&mut model, Vec::new())
            .await
            .unwrap();
        cpu_seconds() - before
    });
    println!("idle 5 s: {:.3} s of CPU", used);
    if used > 0.05 {
        std::process::exit(1);
    }
}
