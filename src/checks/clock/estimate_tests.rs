//! The estimator against deterministic simulated exchanges.

use super::super::stagger::PLAN_LEAD_S;
use super::*;

/// A deterministic simulated exchange: local clock, a server whose clock is `offset` ahead, and a
/// network whose legs take `up`/`down` seconds for poll number `k` (0 is the cold connection).
struct Sim<F: Fn(usize) -> (f64, f64)> {
    offset: f64,
    legs: F,
    now: f64,
}

impl<F: Fn(usize) -> (f64, f64)> Sim<F> {
    fn new(offset: f64, start: f64, legs: F) -> Self {
        Self {
            offset,
            legs,
            now: start,
        }
    }

    /// Runs the bisection for `requests` polls, sending exactly at the planned instants.
    fn run(&mut self, requests: usize) -> Bisection {
        self.run_with(requests, |_, d| d)
    }

    /// Like `run`, letting `tamper(k, date)` change what the server answers.
    fn run_with(&mut self, requests: usize, tamper: impl Fn(usize, i64) -> i64) -> Bisection {
        let mut b = Bisection::new();
        for k in 0..requests {
            if k > 0 {
                if b.settled() {
                    break;
                }
                let send = b.next_send(self.now, PLAN_LEAD_S).unwrap();
                assert!(send >= self.now + PLAN_LEAD_S - 1e-9, "planned in the past");
                assert!(
                    send < self.now + 2.1,
                    "planned too far ahead: {}",
                    send - self.now
                );
                self.now = send;
            }
            let (up, down) = (self.legs)(k);
            let sent = self.now;
            let stamp = sent + up;
            let date = tamper(k, (stamp + self.offset).floor() as i64);
            let received = stamp + down;
            b.add(Sample {
                sent_s: sent,
                received_s: received,
                date_s: date,
                warm: k > 0,
            });
            self.now = received + 0.0002;
        }
        b
    }
}

/// Tiny deterministic generator in [0, 1).
fn lcg(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

const OFFSETS: [f64; 9] = [
    -1.843, -0.4, 0.25, 2.5, 0.0, 0.999_9, -0.000_1, 600.5, -37.123_4,
];

#[test]
fn symmetric_latency_halves_each_poll() {
    for &offset in &OFFSETS {
        for start in [1_000.0, 1_000.37, 1_000.999] {
            // Cold request: 3 ms handshake before the request leaves, then 10 ms each way.
            let mut sim = Sim::new(offset, start, |k| {
                if k == 0 {
                    (0.013, 0.010)
                } else {
                    (0.010, 0.010)
                }
            });
            let b = sim.run(8);
            let e = b.estimate().unwrap();
            let miss = (e.offset_s - offset).abs();
            assert_eq!(e.requests, 8);
            // 1.023 s / 2^7 = 8 ms left: the centre is within 4 ms.
            assert!(miss <= 0.004 + 1e-9, "offset {offset} start {start}: {e:?}");
            assert!(miss <= e.error_s, "truth outside the error bar: {e:?}");
            // Half the interval plus half the RTT.
            assert!(e.error_s < 0.016, "{e:?}");
            assert!((e.rtt_median.as_secs_f64() - 0.020).abs() < 1e-9);
            assert!(
                b.uncertainty_s().unwrap() < 0.0081,
                "{:?}",
                b.uncertainty_s()
            );
        }
    }
}

#[test]
fn each_poll_halves_the_interval() {
    let mut sim = Sim::new(-1.843, 50.2, |_| (0.001, 0.001));
    let mut b = sim.run(1);
    let mut width = b.uncertainty_s().unwrap();
    for _ in 0..7 {
        let send = b.next_send(sim.now, PLAN_LEAD_S).unwrap();
        let date = (send + 0.001 - 1.843).floor() as i64;
        b.add(Sample {
            sent_s: send,
            received_s: send + 0.002,
            date_s: date,
            warm: true,
        });
        sim.now = send + 0.002;
        let next = b.uncertainty_s().unwrap();
        assert!((next - width / 2.0).abs() < 1e-6, "{width} -> {next}");
        width = next;
    }
}

#[test]
fn planned_midpoint_hits_the_predicted_tick() {
    let mut sim = Sim::new(0.25, 10.0, |_| (0.01, 0.01));
    let b = sim.run(3);
    let centre = b.analyse().unwrap().region.centre();
    let send = b.next_send(sim.now, PLAN_LEAD_S).unwrap();
    let mid = send + b.expected_rtt_s().unwrap() / 2.0;
    let remote = mid + centre;
    assert!(
        (remote - remote.round()).abs() < 1e-9,
        "remote at midpoint {remote}"
    );
}

#[test]
fn jitter_stays_within_bounds() {
    let mut seed = 7u64;
    let mut worst: f64 = 0.0;
    for round in 0..400 {
        let offset = (lcg(&mut seed) - 0.5) * 10.0;
        let start = 5_000.0 + lcg(&mut seed);
        let jitter: Vec<(f64, f64)> = (0..8)
            .map(|_| {
                (
                    0.010 + lcg(&mut seed) * 0.002,
                    0.010 + lcg(&mut seed) * 0.002,
                )
            })
            .collect();
        let mut sim = Sim::new(offset, start, |k| jitter[k]);
        let e = sim.run(8).estimate().unwrap();
        let miss = (e.offset_s - offset).abs();
        worst = worst.max(miss);
        assert!(
            miss <= e.error_s,
            "round {round}: truth outside the error bar: {e:?} vs {offset}"
        );
        assert!(miss < 0.007, "round {round}: {miss} {e:?}");
    }
    assert!(worst > 0.0);
}

#[test]
fn an_asymmetric_path_is_covered_by_the_error_bar() {
    // All the delay on the way back: the midpoint is 10 ms after the stamp.
    for &offset in &OFFSETS {
        let mut sim = Sim::new(offset, 77.5, |_| (0.0, 0.020));
        let e = sim.run(8).estimate().unwrap();
        let miss = (e.offset_s - offset).abs();
        assert!(miss <= e.error_s, "{offset}: {e:?}");
        assert!(
            miss > 0.005 && miss < 0.015,
            "{offset}: bias expected, {miss}"
        );
    }
}

#[test]
fn a_delayed_answer_is_outvoted() {
    // Poll 3's answer is held up by 300 ms after the stamp; the rest is clean.
    for &offset in &OFFSETS {
        let mut sim = Sim::new(offset, 300.1, |k| {
            if k == 3 {
                (0.005, 0.305)
            } else {
                (0.005, 0.005)
            }
        });
        let e = sim.run(8).estimate().unwrap();
        let miss = (e.offset_s - offset).abs();
        assert!(miss <= e.error_s, "{offset}: {e:?}");
        assert!(miss < 0.02, "{offset}: {e:?}");
    }
}

#[test]
fn a_stale_cached_date_is_outvoted() {
    // Polls 2 and 5 are answered from a cache holding a response from 30 s ago: their Dates
    // contradict causality and the other answers, and the majority wins.
    for &offset in &[-1.843, 0.25, 2.5] {
        let mut sim = Sim::new(offset, 12.6, |_| (0.004, 0.004));
        let cached = (12.6 + offset).floor() as i64 - 30;
        let b = sim.run_with(8, |k, d| if k == 2 || k == 5 { cached } else { d });
        let e = b.estimate().unwrap();
        let miss = (e.offset_s - offset).abs();
        assert!(miss <= e.error_s, "{offset}: {e:?}");
        assert!(miss < 0.04, "{offset}: {e:?}");
    }
}

#[test]
fn best_agreement_takes_the_majority_and_the_hull_of_ties() {
    let i = Interval::new;
    let best = best_agreement(&[i(0.0, 1.0), i(0.4, 1.4), i(0.5, 0.9), i(2.0, 3.0)]).unwrap();
    assert_eq!(best, i(0.5, 0.9));
    // Half-open: touching intervals do not overlap, so two ties → hull.
    let tie = best_agreement(&[i(0.0, 1.0), i(1.0, 2.0)]).unwrap();
    assert_eq!(tie, i(0.0, 2.0));
    assert!(best_agreement(&[]).is_none());
}

#[test]
fn no_sample_no_estimate() {
    let b = Bisection::new();
    assert!(b.estimate().is_none());
    assert!(b.next_send(1.0, PLAN_LEAD_S).is_none());
    assert!(!b.settled());
}

#[test]
fn one_cold_sample_gives_the_coarse_interval() {
    let mut sim = Sim::new(-0.4, 20.3, |_| (0.050, 0.050));
    let b = sim.run(1);
    let e = b.estimate().unwrap();
    assert_eq!(e.requests, 1);
    assert!((e.offset_s + 0.4).abs() <= e.error_s);
    assert!(e.error_s > 0.5 && e.error_s < 0.56, "{e:?}");
}
