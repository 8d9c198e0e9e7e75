//! A clock measurement as a pure state machine: which request to send when, given the answers so
//! far. The network side ([`measure`](super::measure())) only sends at the instants it is told, on
//! connections it keeps open, and reports back; tests drive the same machine with a simulated
//! server.
//!
//! Normally the passes of [`stagger`](super::stagger) run with many requests in flight. When a server
//! serves only one connection at a time, the measurement falls back to htpdate's bisection, one
//! request after another, planned by [`Bisection::next_send`].

use std::collections::VecDeque;

use super::estimate::{Bisection, ClockEstimate, Probing, Sample};
use super::stagger::{self, PLAN_LEAD_S, Situation};

/// A pass stops early once the offsets still possible are this narrow: its remaining requests could
/// only confirm it.
pub const GOOD_ENOUGH_S: f64 = 0.010;

/// Another pass (a second more) is planned while the requests came no closer to the tick than this
/// ([`Bisection::bracket_s`]): a pass's requests are a few milliseconds apart, so this is a pass
/// that fell short (its window was partly behind it, or requests were lost), or the one-connection
/// fallback still halving.
pub const REFINE_ABOVE_S: f64 = 0.015;

/// Another pass is also planned while uneven paths leave more than this possible: more answers
/// around the tick out-vote the uneven ones.
pub const UNEVEN_ABOVE_S: f64 = 0.025;

/// On a jittery path (a typical round trip this much slower than the fastest) most answers are
/// uneven, and a further pass is worth its second down to [`UNEVEN_ABOVE_JITTERY_S`]. A steady path
/// with one late answer is not held up by it.
pub const JITTERY_SPREAD_S: f64 = 0.002;
pub const UNEVEN_ABOVE_JITTERY_S: f64 = 0.015;

/// The one-request-at-a-time fallback plans nothing that would end later than this after the start:
/// a second per halving adds up.
pub const SEQUENTIAL_BUDGET_S: f64 = 5.5;

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next {
    /// Send a request at this local instant (or as soon as a connection is free).
    SendAt(f64),
    /// Nothing to send before more answers are in.
    Wait,
    /// The measurement is over.
    Done,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    estimator: Bisection,
    /// Planned send instants of the current pass, ascending.
    queue: VecDeque<f64>,
    in_flight: usize,
    sent: usize,
    max_requests: usize,
    connections: usize,
    probing: Probing,
    started_s: f64,
    /// Nothing is planned whose answer would come after this (the caller's deadline).
    give_up_s: f64,
    finished: bool,
    /// The current pass is the first one: once it is all sent, its last bracket may be probed at
    /// once ([`stagger::wrap_pass`]).
    first_pass: bool,
}

impl Schedule {
    /// A measurement starting at local `started_s`, with at most `max_requests` requests over at
    /// most `connections` connections, answered by `give_up_s`.
    pub fn new(started_s: f64, give_up_s: f64, max_requests: usize, connections: usize) -> Self {
        Self {
            estimator: Bisection::new(),
            queue: VecDeque::new(),
            in_flight: 0,
            sent: 0,
            max_requests,
            connections: connections.max(1),
            probing: Probing::Staggered,
            started_s,
            give_up_s,
            finished: false,
            first_pass: false,
        }
    }

    /// Requests sent so far.
    pub fn sent(&self) -> usize {
        self.sent
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub fn probing(&self) -> Probing {
        self.probing
    }

    /// Connections the plan may use at once.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// The round trip to plan with (0 before the first answer).
    pub fn rtt_s(&self) -> f64 {
        self.estimator.expected_rtt_s().unwrap_or(0.0)
    }

    /// How many requests of the current pass may be in flight at once: enough connections to send
    /// each on time.
    pub fn wanted_connections(&self) -> usize {
        if self.probing == Probing::Sequential {
            return 1;
        }
        let rtt = self.rtt_s();
        let planned: Vec<f64> = self.queue.iter().copied().collect();
        let mut closest = planned
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        let mut requests = planned.len();
        // The first pass's last bracket may follow it at once, its requests closer together: their
        // connections are opened beforehand (over TLS, opening one takes round trips).
        if self.first_pass && rtt > 0.0 {
            let after = self
                .max_requests
                .saturating_sub(self.sent + self.queue.len());
            closest = closest.min(stagger::wrap_spacing_s(after));
            requests = requests.max(after);
        }
        // Before the first answer: two, so that a second connection is tried early.
        let overlap = if rtt <= 0.0 || !closest.is_finite() {
            2
        } else {
            (rtt * 1.1 / closest.max(1e-4)).ceil() as usize + 1
        };
        overlap.max(2).min(requests.max(2)).min(self.connections)
    }

    /// The next thing to do at local time `now_s`; plans a pass when the previous one is over.
    pub fn next(&mut self, now_s: f64) -> Next {
        if self.queue.is_empty() && self.in_flight == 0 && !self.plan(now_s) {
            return Next::Done;
        }
        if self.queue.is_empty() && self.first_pass {
            self.first_pass = false;
            self.plan_wrap(now_s);
        }
        match self.queue.front() {
            Some(&at) => Next::SendAt(at),
            None if self.in_flight > 0 => Next::Wait,
            None => Next::Done,
        }
    }

    /// The planned request is due at `now_s` and a connection is free: `true` if it is still worth
    /// sending (then it counts as sent and in flight), `false` if later answers made it useless.
    pub fn take(&mut self, now_s: f64) -> bool {
        if self.queue.pop_front().is_none() {
            return false;
        }
        let useful = self.sent < self.max_requests
            && stagger::informative(
                self.estimator.region(),
                self.estimator.rtt_spread_s(),
                now_s,
                self.rtt_s(),
            );
        if useful {
            self.sent += 1;
            self.in_flight += 1;
        }
        useful
    }

    /// An answer arrived.
    pub fn answered(&mut self, sample: Sample) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.estimator.add(sample);
        if self
            .estimator
            .uncertainty_s()
            .is_some_and(|w| w <= GOOD_ENOUGH_S)
        {
            self.finished = true;
            self.queue.clear();
            return;
        }
        self.prune();
    }

    /// A request gave no usable answer (it stalled, or its connection broke).
    pub fn lost(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The server serves only `connections` at a time: from now on one request after another.
    pub fn limit_connections(&mut self, connections: usize) {
        self.connections = connections.max(1);
        if self.connections == 1 {
            self.probing = Probing::Sequential;
        }
    }

    pub fn estimate(&self) -> Option<ClockEstimate> {
        self.estimator.estimate().map(|e| ClockEstimate {
            probing: self.probing,
            ..e
        })
    }

    /// Drops planned requests that the answers so far made useless.
    fn prune(&mut self) {
        let (region, spread, rtt) = (
            self.estimator.region(),
            self.estimator.rtt_spread_s(),
            self.rtt_s(),
        );
        self.queue
            .retain(|&at| stagger::informative(region, spread, at, rtt));
        // The first pass found the tick before its end: no last bracket to probe.
        if self.queue.is_empty() {
            self.first_pass = false;
        }
    }

    fn uneven_above_s(&self) -> f64 {
        if self.estimator.rtt_spread_s() > JITTERY_SPREAD_S {
            UNEVEN_ABOVE_JITTERY_S
        } else {
            UNEVEN_ABOVE_S
        }
    }

    fn situation(&self, now_s: f64) -> Situation {
        Situation {
            now_s,
            region: self.estimator.region(),
            rtt_s: self.rtt_s(),
            spread_s: self.estimator.rtt_spread_s(),
            requests_left: self.max_requests.saturating_sub(self.sent),
            connections: self.connections,
        }
    }

    /// The first pass is all sent and only its last request is still out: probes its last bracket
    /// now, unless more than [`stagger::WRAP_WASTE`] requests would go out before that answer (a
    /// slow path: the bracket waits for its answers like any other).
    fn plan_wrap(&mut self, now_s: f64) {
        if self.in_flight != 1 || self.probing == Probing::Sequential {
            return;
        }
        let rtt = self.rtt_s();
        let sends = stagger::wrap_pass(&self.situation(now_s));
        let early = sends.iter().filter(|&&at| at < now_s + rtt).count();
        if rtt > 0.0 && early <= stagger::WRAP_WASTE {
            self.queue = self.answerable(sends, self.give_up_s);
        }
    }

    /// The planned sends whose answers, with a margin for a slower than usual one, come by `give_up`.
    fn answerable(&self, sends: Vec<f64>, give_up: f64) -> VecDeque<f64> {
        let rtt = self.rtt_s();
        sends
            .into_iter()
            .filter(|&at| at + rtt * 2.0 + 0.002 <= give_up)
            .collect()
    }

    /// Plans the next pass; `false` when the measurement is over.
    fn plan(&mut self, now_s: f64) -> bool {
        let situation = self.situation(now_s);
        let narrow = self
            .estimator
            .bracket_s()
            .is_some_and(|w| w <= REFINE_ABOVE_S)
            && self
                .estimator
                .uncertainty_s()
                .is_some_and(|w| w <= self.uneven_above_s());
        if self.finished || situation.requests_left == 0 || narrow {
            return false;
        }
        let sends = if self.probing == Probing::Sequential && !self.estimator.is_empty() {
            self.estimator
                .next_send(now_s, PLAN_LEAD_S)
                .into_iter()
                .collect()
        } else {
            self.first_pass = situation.region.is_none_or(|(lo, hi)| hi - lo >= 1.0);
            stagger::next_pass(&situation)
        };
        let give_up = if self.probing == Probing::Sequential {
            self.give_up_s.min(self.started_s + SEQUENTIAL_BUDGET_S)
        } else {
            self.give_up_s
        };
        self.queue = self.answerable(sends, give_up);
        !self.queue.is_empty()
    }
}

#[cfg(test)]
#[path = "schedule_sim.rs"]
mod sim;
