#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Render time of the densest screens at 200×60 (budget: 1 ms per frame).
//!
//! `cargo bench --bench wizard_render`; exits non-zero when a screen's median is over budget.

use crossterm::event::KeyCode;
use nbsso::app::{Model, Msg, Step, update};
use nbsso::checks::{CheckEvent, CheckId, Finding};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};
use testkit::wizard::*;

const BUDGET: Duration = Duration::from_millis(1);
const FRAMES: usize = 300;

fn checks_failed() -> Model {
    let mut m = model();
    fill_valid(&mut m);
    press(&mut m, KeyCode::Char('r'));
    for id in CheckId::ALL {
        let mut f = Finding::fail(format!("{} failed in a long and detailed way", id.title()))
            .with_fix(
                "a fix that is long enough to wrap over more than one line of the details pane "
                    .repeat(3),
            );
        for i in 0..20 {
            f = f.with_detail(format!(
                "detail line {i}: measured values and what was compared"
            ));
        }
        let run = m.board.run;
        update(
            &mut m,
            Msg::Check(CheckEvent {
                run,
                id,
                status: f.status,
                finding: Some(f),
            }),
        );
    }
    m
}

fn review() -> Model {
    let mut m = checks_failed();
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Review);
    let files = planned_files(
        &m,
        &[("netbox-sso.py", "# old\n"), ("CHECKLIST.md", "old\n")],
    );
    let generation = m.review.generation;
    update(&mut m, Msg::Planned(generation, Ok(files)));
    m
}

fn median_frame(m: &Model) -> Duration {
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut times = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        let start = Instant::now();
        terminal.draw(|f| nbsso::view::render(m, f)).unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    times[FRAMES / 2]
}

fn main() {
    // Measured with the allocator set up as the binary sets it.
    nbsso::allocator::return_freed_memory_at_once();
    let mut over = false;
    for (name, model) in [
        ("checks (failed, details)", checks_failed()),
        ("review (diff)", review()),
    ] {
        let t = median_frame(&model);
        println!("{name:<28} 200x60 median {:>8.3} ms", t.as_secs_f64() * 1e3);
        over |= t > BUDGET;
    }
    if over {
        eprintln!("over the {} ms budget", BUDGET.as_millis());
        std::process::exit(1);
    }
}
