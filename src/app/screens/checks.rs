//! The Checks screen and the live check board behind the status line of every screen: the checks
//! start (after a debounce) as soon as one side's answers are valid, rerun when they change, and
//! results of a run that is no longer current are dropped.

use super::form::{Answers, Checkable};
use super::{Turn, moved};
use crate::app::effect::{DEBOUNCE, Effect};
use crate::app::step::Step;
use crate::checks::{CheckEvent, CheckId, DetectedRelease, Finding, Status};
use crate::keymap::Action;
use crate::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One row of the check board.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub status: Status,
    pub finding: Option<Finding>,
}

/// The live check board.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// The current run; events of other runs are stale.
    pub run: u64,
    /// The plan the current run checks; `None` until one side's answers are valid.
    pub plan: Option<Arc<Plan>>,
    /// The checks of the current run: `None` for all of them.
    pub only: Option<BTreeSet<CheckId>>,
    pub rows: BTreeMap<CheckId, CheckRow>,
    pub selected: usize,
    /// First line shown in the details pane.
    pub details_scroll: u16,
    /// The newest debounce timer; older ones are ignored.
    pub debounce: u64,
}

impl Board {
    pub fn running(&self) -> bool {
        self.plan.is_some()
            && self
                .rows
                .values()
                .any(|r| matches!(r.status, Status::Pending | Status::Running))
    }

    pub fn count(&self, status: Status) -> usize {
        self.rows.values().filter(|r| r.status == status).count()
    }

    pub fn selected_id(&self) -> CheckId {
        CheckId::ALL
            .get(self.selected)
            .copied()
            .unwrap_or(CheckId::KanidmTls)
    }

    /// The release a check read from its server, if it has finished and named one.
    pub fn detected(&self, check: CheckId) -> Option<&DetectedRelease> {
        self.rows
            .get(&check)
            .and_then(|r| r.finding.as_ref())
            .and_then(|f| f.detected.as_ref())
    }

    /// The current run already checks exactly this.
    fn same_run(&self, (plan, only): &Checkable) -> bool {
        self.plan.as_ref() == Some(plan) && self.only == *only
    }

    fn start(&mut self, (plan, only): Checkable) -> Vec<Effect> {
        self.run += 1;
        self.plan = Some(plan.clone());
        self.only = only.clone();
        self.details_scroll = 0;
        self.rows = CheckId::ALL
            .into_iter()
            .filter(|id| only.as_ref().is_none_or(|o| o.contains(id)))
            .map(|id| {
                (
                    id,
                    CheckRow {
                        status: Status::Pending,
                        finding: None,
                    },
                )
            })
            .collect();
        vec![Effect::StartChecks {
            run: self.run,
            plan,
            only,
        }]
    }
}

/// After any answer changed: (re)start the checks through a debounce, or stop them when nothing
/// is checkable any more.
pub fn answers_changed(board: &mut Board, checkable: Option<Checkable>) -> Vec<Effect> {
    board.debounce += 1;
    match checkable {
        Some(c) if !board.same_run(&c) => vec![Effect::Debounce {
            generation: board.debounce,
            after: DEBOUNCE,
        }],
        Some(_) => Vec::new(),
        None if board.plan.is_some() => {
            // The answers went invalid: the old results no longer describe them.
            board.plan = None;
            board.only = None;
            board.run += 1;
            board.rows.clear();
            vec![Effect::CancelChecks]
        }
        None => Vec::new(),
    }
}

/// The debounce timer `generation` ran out: start the checks, unless a newer timer runs or the
/// current run already checks these answers.
pub fn debounce_elapsed(
    board: &mut Board,
    generation: u64,
    checkable: Option<Checkable>,
) -> Vec<Effect> {
    if generation != board.debounce {
        return Vec::new();
    }
    match checkable {
        Some(c) if !board.same_run(&c) => board.start(c),
        _ => Vec::new(),
    }
}

/// A check moved on; events of a stale run are dropped.
pub fn on_event(board: &mut Board, event: CheckEvent) {
    if event.run != board.run || board.plan.is_none() {
        return; // a stale run: its plan is no longer the answers
    }
    board.rows.insert(
        event.id,
        CheckRow {
            status: event.status,
            finding: event.finding,
        },
    );
}

/// `r` anywhere the keymap binds it: run the checks again now.
pub fn rerun(board: &mut Board, answers: &Answers) -> Turn {
    match answers.checkable() {
        Some(c) => Turn::effects(board.start(c)),
        None => Turn::notice("The checks need valid answers first: see the steps marked !"),
    }
}

pub fn on_action(board: &mut Board, answers: &Answers, action: Action) -> Turn {
    match action {
        Action::Rerun => return rerun(board, answers),
        Action::Next => return Turn::go(Step::Users),
        Action::SelectPrev | Action::SelectNext => {
            board.details_scroll = 0;
            let down = action == Action::SelectNext;
            board.selected = moved(board.selected, CheckId::ALL.len(), down);
        }
        Action::ScrollUp => board.details_scroll = board.details_scroll.saturating_sub(3),
        Action::ScrollDown => {
            let lines = board
                .rows
                .get(&board.selected_id())
                .and_then(|r| r.finding.as_ref())
                .map_or(0, |f| {
                    // Wrapped lines, roughly: the pane is at least 40 columns wide.
                    std::iter::once(&f.summary)
                        .chain(f.fix.iter())
                        .chain(f.details.iter())
                        .map(|l| l.chars().count() / 40 + 1)
                        .sum::<usize>()
                });
            let max = u16::try_from(lines.saturating_sub(1)).unwrap_or(u16::MAX);
            board.details_scroll = board.details_scroll.saturating_add(3).min(max);
        }
        _ => {}
    }
    Turn::default()
}
