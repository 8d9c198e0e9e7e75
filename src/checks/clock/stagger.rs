//! Where to probe: at staggered phases of the second, many requests in flight at once.
//!
//! A server's `Date` changes once a second, at the local instants `N − offset`. A request whose
//! midpoint falls before such an instant reads second `N − 1`, after it second `N`; so what a request
//! tells depends only on the phase of the second it samples. The first pass spreads
//! [`COARSE_PROBES`] requests over one second, closer together as the second goes on (the later
//! the tick, the fewer requests are left to narrow its bracket). The tick recurs every second, so
//! the next pass spreads what is left over the bracket's next occurrence: about 5 ms apart,
//! wherever the tick fell. A pass's requests overlap in time, each on its own connection: a
//! measurement takes about two seconds whatever the round trip, where one request after another
//! takes a second per halving.
//!
//! The last bracket, from the first pass's last request to the next second's first, has no next
//! occurrence within two seconds. On a fast path it is probed at once ([`wrap_pass`]), as soon as
//! the first pass is sent: if the last request then shows the tick was before it, the few requests
//! already sent are the price, and the rest are dropped.
//!
//! Everything here is pure: times are local wall-clock seconds (the epoch of [`Sample`]), offsets
//! the remote clock minus the local one.
//!
//! [`Sample`]: super::Sample

/// Most requests of the first pass (see [`graded_phases`]).
pub const COARSE_PROBES: usize = 13;

/// Most requests of a later pass.
pub const FINE_PROBES: usize = 22;

/// A later pass spaces its requests about this far apart when it has enough of them.
const FINE_SPACING_S: f64 = 0.003;

/// Width of the first pass's last bracket (see [`graded_phases`]). The bracket before it is found
/// when the last request answers, and probed a second later: this keeps that within two seconds.
pub const WRAP_BRACKET_S: f64 = 0.055;

/// Requests of the [`wrap_pass`] a fast path has sent by the time the first pass's last answer
/// shows the tick was before it: the bracket before the last is planned with that many fewer.
pub const WRAP_WASTE: usize = 5;

/// The earliest a request can be planned after "now" (scheduling and request building).
pub const PLAN_LEAD_S: f64 = 0.003;

/// A pass probes the current occurrence of the bracket only when at least this share of it is
/// still ahead; otherwise it waits for the next occurrence, a second later.
const MIN_SHARE_AHEAD: f64 = 0.5;

/// What the planner knows when a pass ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Situation {
    pub now_s: f64,
    /// The offsets still possible, `(lo, hi)`; `None` before the first answer.
    pub region: Option<(f64, f64)>,
    /// Round trip to plan with (0 before the first answer).
    pub rtt_s: f64,
    /// How far a typical round trip exceeds the fastest: answers may be off by half of it.
    pub spread_s: f64,
    pub requests_left: usize,
    /// Connections the server lets us use at once.
    pub connections: usize,
}

impl Situation {
    /// A connection is busy for about a round trip per request, plus a margin for a slow one.
    fn busy_s(&self) -> f64 {
        self.rtt_s * 1.1 + 0.000_5
    }

    /// Most requests that fit in `span` seconds on the server's connections: up to one per
    /// connection at any spacing; more only when they are spaced at least a busy connection's time
    /// over the number of connections. `inside` probes sit strictly inside the span (`k + 1` gaps),
    /// the others start at its left edge (`k` gaps).
    fn fit(&self, span: f64, inside: bool) -> usize {
        let c = self.connections.max(1);
        let busy = self.busy_s();
        if busy <= 0.0 {
            return usize::MAX;
        }
        let gaps = (c as f64 * span / busy).floor().max(0.0) as usize;
        let k = if inside { gaps.saturating_sub(1) } else { gaps };
        k.max(c)
    }
}

/// How far a bracket of `width` is widened before it is probed again: the answers of a jittery path
/// may have placed it a little off.
fn margin_s(spread_s: f64, width: f64) -> f64 {
    (0.001 + spread_s / 2.0).min(width / 4.0)
}

/// The local send instants of the next pass, ascending; empty when no request is left.
pub fn next_pass(s: &Situation) -> Vec<f64> {
    if s.requests_left == 0 {
        return Vec::new();
    }
    match s.region {
        Some((lo, hi)) if hi - lo < 1.0 => window_pass(s, lo, hi, false),
        _ => coarse_pass(s),
    }
}

/// One second, whatever the offset: the tick falls between two neighbours. The probes come closer
/// together as the second goes on. The later the tick, the more of them were spent before it, and
/// the fewer are left for the next pass to divide its bracket with. So each bracket is made as wide
/// as the requests left after it can divide equally well.
fn coarse_pass(s: &Situation) -> Vec<f64> {
    let k = COARSE_PROBES
        .min(s.requests_left)
        .min(s.fit(1.0, false))
        .max(1);
    let start = s.now_s + PLAN_LEAD_S;
    let graded = graded_phases(k, s.requests_left);
    let closest = graded
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    // The closest two must still find a connection free.
    let phases = if closest * s.connections.max(1) as f64 >= s.busy_s() {
        graded
    } else {
        (0..k).map(|j| j as f64 / k as f64).collect()
    };
    phases.into_iter().map(|p| start + p).collect()
}

/// `k` phases in [0, 1) for a first pass with `budget` requests in all. The bracket after probe `j`
/// is found when probe `j + 1` answers, with `j + 2` requests spent, and the next pass divides it
/// with those left: each bracket is as wide as its requests can divide equally well. The bracket
/// before the last also loses [`WRAP_WASTE`] requests; the last one, to the next second's first
/// probe, stays [`WRAP_BRACKET_S`] wide.
fn graded_phases(k: usize, budget: usize) -> Vec<f64> {
    if k < 2 {
        return vec![0.0; k];
    }
    let budget = budget.max(k);
    let left = |j: usize| {
        if j + 2 == k {
            budget.saturating_sub(k + WRAP_WASTE)
        } else {
            budget - (j + 2)
        }
    };
    let weights: Vec<f64> = (0..k - 1).map(|j| (left(j) + 1) as f64).collect();
    let total: f64 = weights.iter().sum();
    let span = 1.0 - WRAP_BRACKET_S;
    let mut phases = Vec::with_capacity(k);
    let mut phase = 0.0;
    phases.push(phase);
    for weight in weights {
        phase += span * weight / total;
        phases.push(phase);
    }
    phases
}

/// About how far apart [`wrap_pass`] sends `requests` requests.
pub fn wrap_spacing_s(requests: usize) -> f64 {
    WRAP_BRACKET_S / requests.max(1) as f64
}

/// The first pass's last bracket, probed in its current occurrence while the last requests are
/// still out. Empty when there is no bracket yet or its current occurrence is over.
pub fn wrap_pass(s: &Situation) -> Vec<f64> {
    match s.region {
        Some((lo, hi)) if hi - lo < 1.0 && s.requests_left > 0 => window_pass(s, lo, hi, true),
        _ => Vec::new(),
    }
}

/// The bracket `(lo, hi)` of offsets, probed where it next recurs, or, with `current`, only in its
/// current occurrence.
fn window_pass(s: &Situation, lo: f64, hi: f64, current: bool) -> Vec<f64> {
    let margin = margin_s(s.spread_s, hi - lo);
    let (lo, hi) = (lo - margin, hi + margin);
    let half_rtt = s.rtt_s / 2.0;
    // The earliest midpoint a request sent now can have.
    let earliest = s.now_s + PLAN_LEAD_S + half_rtt;
    // Remote second N ticks in (N − hi, N − lo]: the first such window that ends after `earliest`.
    let mut n = (earliest + lo).floor() + 1.0;
    let width = hi - lo;
    let (mut start, mut end) = (n - hi, n - lo);
    // The current occurrence is the one under way.
    if current && start > earliest {
        return Vec::new();
    }
    if !current && start < earliest && (end - earliest) < MIN_SHARE_AHEAD * width {
        n += 1.0;
        (start, end) = (n - hi, n - lo);
    }
    let partial = start < earliest;
    let from = start.max(earliest);
    let span = end - from;
    let wanted = (span / FINE_SPACING_S).ceil() as usize;
    let k = wanted
        .clamp(1, FINE_PROBES)
        .min(s.requests_left)
        .min(s.fit(span, !partial));
    // A whole window's edges are known, so its probes go strictly inside; a partial one's left part
    // is behind us, so the first probe goes as early as it can.
    let midpoints: Vec<f64> = if partial {
        (0..k).map(|j| from + span * j as f64 / k as f64).collect()
    } else {
        (1..=k)
            .map(|j| from + span * j as f64 / (k + 1) as f64)
            .collect()
    };
    midpoints.into_iter().map(|m| m - half_rtt).collect()
}

/// Whether a request sent at `send_s` can still tell something: its midpoint falls where the remote
/// second may tick, given the offsets still possible.
pub fn informative(region: Option<(f64, f64)>, spread_s: f64, send_s: f64, rtt_s: f64) -> bool {
    let Some((lo, hi)) = region else {
        return true;
    };
    if hi - lo >= 1.0 {
        return true;
    }
    let margin = margin_s(spread_s, hi - lo);
    let mid = send_s + rtt_s / 2.0;
    // Some whole second N with N − hi < mid < N − lo.
    let n = (mid + lo - margin).floor() + 1.0;
    n < mid + hi + margin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn situation(region: Option<(f64, f64)>) -> Situation {
        Situation {
            now_s: 100.25,
            region,
            rtt_s: 0.020,
            spread_s: 0.0,
            requests_left: 24,
            connections: 8,
        }
    }

    #[test]
    fn the_first_pass_covers_one_second_closer_together_as_it_goes() {
        let sends = next_pass(&situation(None));
        assert_eq!(sends.len(), COARSE_PROBES);
        assert!((sends[0] - (100.25 + PLAN_LEAD_S)).abs() < 1e-9);
        let gaps: Vec<f64> = sends.windows(2).map(|p| p[1] - p[0]).collect();
        for pair in gaps.windows(2) {
            assert!(pair[1] < pair[0], "{gaps:?}");
        }
        // The bracket after probe j, divided by the requests left once it is found, is the same for
        // all j: 24 − (j + 2) left, and the one before the last also pays for the wrap pass.
        let last = gaps.len() - 1;
        let shares: Vec<f64> = gaps
            .iter()
            .enumerate()
            .map(|(j, gap)| {
                let left = if j == last {
                    24 - COARSE_PROBES - WRAP_WASTE
                } else {
                    24 - (j + 2)
                };
                gap / (left + 1) as f64
            })
            .collect();
        assert!(
            shares
                .iter()
                .all(|s| (s - shares[0]).abs() < 1e-9 * shares[0].max(1.0)),
            "{shares:?}"
        );
        assert!(shares[0] < 0.0047, "{shares:?}");
        // The last bracket, to the next second's first probe, is WRAP_BRACKET_S: its own requests
        // (those left after the first pass) divide it about as finely.
        let last_send = sends[sends.len() - 1];
        assert!(
            (sends[0] + 1.0 - last_send - WRAP_BRACKET_S).abs() < 1e-9,
            "{sends:?}"
        );
        let wrap_share = WRAP_BRACKET_S / (24 - COARSE_PROBES + 1) as f64;
        assert!((wrap_share - shares[0]).abs() < 0.0005, "{wrap_share}");
    }

    #[test]
    fn the_last_bracket_is_probed_in_its_current_occurrence() {
        // The first pass ended at 100.25 + 0.945; the answers so far leave the tick between the
        // second-to-last probe's midpoint and the first probe's a second later: 50 ms behind us and
        // 45 ms ahead, less than the share a later pass waits for.
        let now = 101.195;
        let (behind, ahead) = (0.050, 0.045);
        // Midpoints in (now + rtt/2 − behind, now + rtt/2 + ahead): offsets N − mid.
        let mid_now = now + 0.010;
        let s = Situation {
            now_s: now,
            requests_left: 11,
            ..situation(Some((102.0 - mid_now - ahead, 102.0 - mid_now + behind)))
        };
        let sends = wrap_pass(&s);
        assert_eq!(sends.len(), 11, "{sends:?}");
        assert!((sends[0] - (now + PLAN_LEAD_S)).abs() < 1e-9, "{sends:?}");
        let last_mid = sends[sends.len() - 1] + 0.010;
        assert!(last_mid < mid_now + ahead + 0.001, "{sends:?}");
        // A later pass would wait for the next occurrence instead.
        let later = next_pass(&s);
        assert!(later[0] > now + 0.9, "{later:?}");
        // Once the bracket is behind, there is nothing to probe now.
        let past = Situation {
            now_s: now + 0.1,
            ..s
        };
        assert!(wrap_pass(&past).is_empty());
        assert!(wrap_pass(&situation(None)).is_empty());
    }

    #[test]
    fn a_slow_server_gets_an_even_first_pass() {
        // 300 ms a round trip: the closest graded probes would find none of the 8 connections free.
        let s = Situation {
            rtt_s: 0.3,
            ..situation(None)
        };
        let sends = next_pass(&s);
        assert_eq!(sends.len(), COARSE_PROBES);
        let gaps: Vec<f64> = sends.windows(2).map(|p| p[1] - p[0]).collect();
        assert!(gaps.iter().all(|g| (g - gaps[0]).abs() < 1e-9), "{gaps:?}");
        assert!(gaps[0] * 8.0 >= s.busy_s(), "{gaps:?}");
    }

    #[test]
    fn a_later_pass_spreads_over_the_next_occurrence_of_the_bracket() {
        // Offsets in [0.30, 0.38): the remote second ticks at local N − 0.38 .. N − 0.30.
        let s = situation(Some((0.30, 0.38)));
        let sends = next_pass(&s);
        assert_eq!(sends.len(), FINE_PROBES);
        let mids: Vec<f64> = sends.iter().map(|t| t + 0.010).collect();
        // Now is 100.25: the window 100.62 .. 100.70 (widened by 1 ms) is wholly ahead.
        assert!(
            mids[0] > 100.619 && mids[mids.len() - 1] < 100.701,
            "{mids:?}"
        );
        let gap = mids[1] - mids[0];
        assert!(
            (gap - 0.082 / (FINE_PROBES + 1) as f64).abs() < 1e-9,
            "{gap}"
        );
        assert!(sends[0] >= s.now_s + PLAN_LEAD_S);
    }

    #[test]
    fn a_bracket_mostly_behind_waits_for_the_next_second() {
        // The window 100.20 .. 100.28 is nearly over at 100.25: probe it a second later.
        let sends = next_pass(&situation(Some((-0.28, -0.20))));
        let first_mid = sends[0] + 0.010;
        assert!(first_mid > 101.19 && first_mid < 101.29, "{sends:?}");
    }

    #[test]
    fn a_bracket_mostly_ahead_is_probed_at_once() {
        // Window 100.24 .. 100.40: 0.13 s of its 0.16 s are still ahead.
        let sends = next_pass(&situation(Some((-0.40, -0.24))));
        let first_mid = sends[0] + 0.010;
        assert!(
            (first_mid - (100.25 + PLAN_LEAD_S + 0.010)).abs() < 1e-9,
            "{sends:?}"
        );
        assert!(sends.iter().all(|t| t + 0.010 < 100.402));
    }

    #[test]
    fn one_connection_spaces_requests_a_round_trip_apart() {
        let s = Situation {
            connections: 1,
            ..situation(Some((0.30, 0.38)))
        };
        let sends = next_pass(&s);
        assert!(sends.len() >= 2 && sends.len() <= 4, "{sends:?}");
        for pair in sends.windows(2) {
            assert!(pair[1] - pair[0] >= s.busy_s(), "{sends:?}");
        }
        // A bracket narrower than a round trip gets one request: bisection.
        let narrow = Situation {
            connections: 1,
            ..situation(Some((0.30, 0.31)))
        };
        assert_eq!(next_pass(&narrow).len(), 1);
    }

    #[test]
    fn the_request_budget_is_kept() {
        let s = Situation {
            requests_left: 5,
            ..situation(None)
        };
        assert_eq!(next_pass(&s).len(), 5);
        let none = Situation {
            requests_left: 0,
            ..situation(Some((0.30, 0.38)))
        };
        assert!(next_pass(&none).is_empty());
    }

    #[test]
    fn requests_outside_the_bracket_are_useless() {
        let region = Some((0.30, 0.38));
        // Midpoints 100.65 (inside the window 100.62 .. 100.70) and 100.80 (outside).
        assert!(informative(region, 0.0, 100.64, 0.020));
        assert!(!informative(region, 0.0, 100.79, 0.020));
        // A second later the window recurs.
        assert!(informative(region, 0.0, 101.64, 0.020));
        assert!(informative(None, 0.0, 100.79, 0.020));
    }
}
