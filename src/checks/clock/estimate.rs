//! The pure estimator: what a set of `Date` answers says about a server's clock offset, and when to
//! ask next so that the next answer halves what is still possible.

use std::time::Duration;

/// Bisection stops once the interval is narrower than this: network jitter dominates below it.
const MIN_WIDTH_S: f64 = 0.000_5;

/// Even the fastest answer's stamp is only known to about this much: timers and clocks tick in
/// milliseconds.
const STAMP_GRAIN_S: f64 = 0.001;

/// The share of answers taken to be simply wrong, whatever their round trip.
const WRONG_ANSWER_SHARE: f64 = 0.02;

/// The estimate weighs candidate offsets this far apart, or fewer over a wide interval.
const GRID_STEP_S: f64 = 0.000_1;
const MAX_GRID_STEPS: f64 = 4_000.0;

/// One answer: when it was sent and received by the local clock, and the server's `Date`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Local wall clock (seconds, any epoch shared with `date_s`, e.g. UNIX) just before sending.
    pub sent_s: f64,
    /// Local wall clock when the response headers arrived.
    pub received_s: f64,
    /// The server's `Date`, in whole seconds on the same epoch.
    pub date_s: i64,
    /// Sent on an already open connection. A cold request also waited for TCP/TLS set-up before the
    /// request left, so its midpoint is biased; it only counts through its hard bound.
    pub warm: bool,
}

impl Sample {
    fn rtt(&self) -> f64 {
        (self.received_s - self.sent_s).max(0.0)
    }

    fn mid(&self) -> f64 {
        (self.sent_s + self.received_s) / 2.0
    }

    /// What causality alone guarantees: the server stamped `Date` between send and receive.
    fn hard(&self) -> Interval {
        let d = self.date_s as f64;
        Interval::new(d - self.received_s, d + 1.0 - self.sent_s)
    }

    /// The RTT/2-compensated constraint, widened by `slack` on each side.
    fn symmetric(&self, slack: f64) -> Interval {
        let d = self.date_s as f64;
        let mid = self.mid();
        Interval::new(d - mid - slack, d + 1.0 - mid + slack)
    }
}

/// A half-open interval `[lo, hi)` of offsets, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    lo: f64,
    hi: f64,
}

impl Interval {
    fn new(lo: f64, hi: f64) -> Self {
        Self { lo, hi }
    }

    fn width(self) -> f64 {
        self.hi - self.lo
    }

    fn centre(self) -> f64 {
        (self.lo + self.hi) / 2.0
    }

    fn intersect(self, other: Self) -> Option<Self> {
        let lo = self.lo.max(other.lo);
        let hi = self.hi.min(other.hi);
        (lo < hi).then_some(Self { lo, hi })
    }

    fn clamp(self, x: f64) -> f64 {
        x.max(self.lo).min(self.hi)
    }
}

/// The offsets that the most intervals agree on (Marzullo's algorithm). When several disjoint regions
/// tie, their hull is returned: conservative, and the next poll bisects it.
fn best_agreement(intervals: &[Interval]) -> Option<Interval> {
    // (x, +1 start | −1 end); at equal x ends come first, as the intervals are half-open.
    let mut events: Vec<(f64, i32)> = intervals
        .iter()
        .filter(|i| i.lo < i.hi)
        .flat_map(|i| [(i.lo, 1), (i.hi, -1)])
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut count = 0;
    let mut best = 0;
    let mut hull: Option<Interval> = None;
    for (k, &(x, step)) in events.iter().enumerate() {
        count += step;
        if step < 0 {
            continue;
        }
        let Some(&(next, _)) = events.get(k + 1) else {
            break;
        };
        if next <= x {
            continue;
        }
        if count > best {
            best = count;
            hull = Some(Interval::new(x, next));
        } else if count == best
            && let Some(h) = hull.as_mut()
        {
            h.hi = next;
        }
    }
    hull
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// How the requests of a measurement went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Probing {
    /// Many at once, at staggered phases of the second.
    #[default]
    Staggered,
    /// One after another on one connection (htpdate's bisection): the server left a second
    /// connection waiting while it served the first.
    Sequential,
}

/// A clock offset measured against one server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockEstimate {
    /// Remote clock minus this machine's clock, in seconds (positive: the server is ahead).
    pub offset_s: f64,
    /// The true offset is within `offset_s ± error_s`, provided the server stamped `Date` while the
    /// request was in flight: half the remaining bisection interval plus the worst-case asymmetry of
    /// the network path (up to half the RTT).
    pub error_s: f64,
    /// Answers the estimate is based on.
    pub requests: usize,
    /// Median round-trip time of the requests on the warm connection (all requests if none was warm).
    pub rtt_median: Duration,
    pub probing: Probing,
}

/// What the samples so far allow.
#[derive(Debug, Clone, Copy)]
struct Analysis {
    /// Offsets consistent with the RTT/2-compensated constraints of most samples; the estimate lies
    /// in it and the next poll bisects it.
    region: Interval,
    /// Offsets consistent with causality alone; the error bar covers it.
    hard: Interval,
}

/// htpdate's bisection as a pure state machine: feed it [`Sample`]s, ask it when to send next.
///
/// Robustness: a sample whose path was slower than the fastest one may have spent the extra time on
/// either leg, so its constraint is widened by half the excess RTT. Samples that still disagree are
/// out-voted (the region most constraints agree on wins; ties keep the hull of the tied regions, to be
/// split by the next poll), and the estimate is always kept inside the causal bound.
#[derive(Debug, Clone, Default)]
pub struct Bisection {
    samples: Vec<Sample>,
}

impl Bisection {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, sample: Sample) {
        self.samples.push(sample);
    }

    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    fn rtts(&self, warm_only: bool) -> Vec<f64> {
        self.samples
            .iter()
            .filter(|s| s.warm || !warm_only)
            .map(Sample::rtt)
            .collect()
    }

    /// The fastest round trip on a warm connection; infinite when none was warm.
    fn fastest_warm_rtt_s(&self) -> f64 {
        self.rtts(true).into_iter().fold(f64::INFINITY, f64::min)
    }

    /// The RTT to plan with: the median over the warm connection, else whatever was seen.
    pub fn expected_rtt_s(&self) -> Option<f64> {
        let mut warm = self.rtts(true);
        if warm.is_empty() {
            median(&mut self.rtts(false))
        } else {
            median(&mut warm)
        }
    }

    fn analyse(&self) -> Option<Analysis> {
        self.analyse_with(true)
    }

    /// `uneven`: allow each warm answer's legs to differ by as much as its round trip exceeds the
    /// fastest one (otherwise every warm path counts as even).
    fn analyse_with(&self, uneven: bool) -> Option<Analysis> {
        if self.samples.is_empty() {
            return None;
        }
        let hards: Vec<Interval> = self.samples.iter().map(Sample::hard).collect();
        let all = hards
            .iter()
            .try_fold(Interval::new(f64::NEG_INFINITY, f64::INFINITY), |acc, h| {
                acc.intersect(*h)
            });
        // Causality only breaks when a clock stepped or a cache served a stale Date: trust the majority.
        let hard = match all {
            Some(h) => h,
            None => best_agreement(&hards)?,
        };
        let fastest = self.fastest_warm_rtt_s();
        let constraints: Vec<Interval> = self
            .samples
            .iter()
            .filter_map(|s| {
                let slack = match (s.warm, uneven) {
                    (false, _) => s.rtt() / 2.0,
                    (true, true) => ((s.rtt() - fastest) / 2.0).max(0.0),
                    (true, false) => 0.0,
                };
                s.symmetric(slack).intersect(hard)
            })
            .collect();
        let region = best_agreement(&constraints).unwrap_or(hard);
        Some(Analysis { region, hard })
    }

    /// Width of the offsets the answers leave possible if every warm path was even: how close the
    /// requests came to the tick. Only another pass narrows this; what uneven paths add to
    /// [`uncertainty_s`](Self::uncertainty_s) they would add again.
    pub fn bracket_s(&self) -> Option<f64> {
        self.analyse_with(false).map(|a| a.region.width())
    }

    /// The offsets still possible, `(lo, hi)`: where the next requests should look.
    pub fn region(&self) -> Option<(f64, f64)> {
        self.analyse().map(|a| (a.region.lo, a.region.hi))
    }

    /// How much a typical round trip exceeds the fastest one, in seconds: a typical answer may have
    /// spent up to this much more on one leg than on the other.
    pub fn rtt_spread_s(&self) -> f64 {
        let fastest = self.fastest_warm_rtt_s();
        match self.expected_rtt_s() {
            Some(median) if fastest.is_finite() => (median - fastest).max(0.0),
            _ => 0.0,
        }
    }

    /// Width of the interval still to bisect, in seconds.
    pub fn uncertainty_s(&self) -> Option<f64> {
        self.analyse().map(|a| a.region.width())
    }

    /// Further polls cannot sharpen the estimate noticeably.
    pub fn settled(&self) -> bool {
        self.uncertainty_s().is_some_and(|w| w < MIN_WIDTH_S)
    }

    /// The local instant (same epoch as the samples) to send the next request so that its midpoint
    /// falls where the remote second ticks if the offset is the centre of the current interval, no
    /// earlier than `now_s + lead_s`. `None` before the first sample.
    pub fn next_send(&self, now_s: f64, lead_s: f64) -> Option<f64> {
        let centre = self.analyse()?.region.centre();
        let half_rtt = self.expected_rtt_s().unwrap_or(0.0) / 2.0;
        // Remote second N ticks at local N − centre; the midpoint must be at or after now + lead + RTT/2.
        let tick = (now_s + lead_s + half_rtt + centre).ceil();
        Some(tick - centre - half_rtt)
    }

    /// The mean of the offsets inside `hard`, each weighted by how likely it makes every answer.
    ///
    /// An answer's `Date` was stamped somewhere between its legs: at the midpoint if both took as
    /// long as the fastest round trip's, anywhere within half its excess round trip either side of
    /// it otherwise (taken as equally likely, widened by [`STAMP_GRAIN_S`]). At offset θ the answer
    /// is as likely as the share of those stamps that fall in its second; [`WRONG_ANSWER_SHARE`]
    /// keeps one contradicting answer (a stale cache, a stepped clock) from ruling an offset out. So
    /// an answer delayed on one leg pulls the estimate only as far as it can tell, where the
    /// midpoints' bracket would follow it all the way.
    fn likeliest_mean(&self, hard: Interval) -> f64 {
        let fastest = self.fastest_warm_rtt_s();
        let stamps: Vec<(Interval, f64)> = self
            .samples
            .iter()
            .map(|s| {
                let half = if s.warm {
                    ((s.rtt() - fastest).max(0.0) + STAMP_GRAIN_S) / 2.0
                } else {
                    s.rtt() / 2.0 + STAMP_GRAIN_S
                };
                (
                    Interval::new(s.mid() - half, s.mid() + half),
                    s.date_s as f64,
                )
            })
            .collect();
        let steps = (hard.width() / GRID_STEP_S)
            .ceil()
            .clamp(1.0, MAX_GRID_STEPS) as usize;
        let logs: Vec<(f64, f64)> = (0..=steps)
            .map(|k| {
                let offset = hard.lo + hard.width() * k as f64 / steps as f64;
                let log: f64 = stamps
                    .iter()
                    .map(|&(stamp, date)| {
                        // Stamped within the second `date`: local instant in [date − θ, date + 1 − θ).
                        let inside = Interval::new(date - offset, date + 1.0 - offset)
                            .intersect(stamp)
                            .map_or(0.0, |i| i.width() / stamp.width());
                        ((1.0 - WRONG_ANSWER_SHARE) * inside + WRONG_ANSWER_SHARE).ln()
                    })
                    .sum();
                (offset, log)
            })
            .collect();
        let best = logs
            .iter()
            .map(|&(_, l)| l)
            .fold(f64::NEG_INFINITY, f64::max);
        let (sum, weight) = logs
            .iter()
            .fold((0.0, 0.0), |(sum, weight), &(offset, log)| {
                let w = (log - best).exp();
                (sum + offset * w, weight + w)
            });
        if weight > 0.0 {
            sum / weight
        } else {
            hard.centre()
        }
    }

    pub fn estimate(&self) -> Option<ClockEstimate> {
        let Analysis { region, hard } = self.analyse()?;
        let offset_s = hard.clamp(self.likeliest_mean(hard));
        let error_s = (offset_s - hard.lo)
            .max(hard.hi - offset_s)
            .max(region.width() / 2.0);
        let rtt = self.expected_rtt_s().unwrap_or(0.0);
        Some(ClockEstimate {
            offset_s,
            error_s,
            requests: self.samples.len(),
            rtt_median: Duration::try_from_secs_f64(rtt).unwrap_or_default(),
            probing: Probing::default(),
        })
    }
}

#[cfg(test)]
#[path = "estimate_tests.rs"]
mod tests;
