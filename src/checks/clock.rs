//! Kanidm↔NetBox clock offset from HTTP `Date` headers, with an error bar.
//!
//! Why it matters (social-core, both 5.x and 7.x): Kanidm puts `nbf = iat = floor(kanidm_now)` in every
//! ID token, and social-core rejects the token with `Incorrect id_token: nbf` when
//! `int(netbox_now) < nbf`, with **no** leeway (`JWT_LEEWAY` only affects PyJWT's own checks, which run
//! first). So a login fails whenever `floor(netbox_now) < floor(kanidm_now_at_issue)`: a NetBox that is
//! behind Kanidm by more than the token-exchange latency fails some logins, by one second or more every
//! login. NetBox ahead of Kanidm is fine up to `ID_TOKEN_MAX_AGE` (600 s, then `Incorrect id_token: iat`).
//! When Kanidm's `iat` is also more than `JWT_LEEWAY` (social-core's default 1 s) ahead of NetBox's clock,
//! PyJWT's own check fails first, so the message is then `The token is not yet valid (iat)` (measured on
//! the real NetBox 4.7.3 with the IdP 1.5 s ahead: either message, depending on where in NetBox's
//! second the token arrives).
//!
//! Both servers only show their clocks through `Date` headers, which have one-second resolution. The
//! measurement is htpdate's bisection: each answer says the server's clock read `D` whole seconds at
//! some instant between sending and receiving, taken as the local midpoint (RTT/2 compensation). The
//! offset (remote − local) therefore lies in `[D − mid, D + 1 − mid)`. The next request is timed so
//! that its midpoint falls exactly where the remote second would tick if the offset were the centre of
//! what is still possible, so each answer halves the uncertainty: 1 s / 2⁷ ≈ 8 ms after eight requests.
//!
//! * [`Bisection`] is the pure estimator (samples in, planned send instants and [`ClockEstimate`] out);
//! * [`measure`] drives it against one URL with the shared [`HttpClient`];
//! * [`evaluate`] judges two estimates by social-core's rule and says what to fix.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Finding;
use super::http::{FetchError, HttpClient};

/// Requests per host the wizard spends on a measurement.
pub const DEFAULT_MAX_REQUESTS: usize = 8;

/// Time from Kanidm stamping `iat` to NetBox checking `nbf` in a typical deployment (token request
/// answered, JSON parsed, signature checked). A NetBox lagging by less than this never fails.
pub const TOKEN_EXCHANGE_S: f64 = 0.020;

/// social-core's `JWT_LEEWAY` default, which the generated settings keep: PyJWT refuses a token whose
/// `iat` is more than this ahead of NetBox's clock.
pub const JWT_LEEWAY_S: f64 = 1.0;

/// social-core's `ID_TOKEN_MAX_AGE`: a token older than this (by NetBox's clock) is refused.
pub const ID_TOKEN_MAX_AGE_S: f64 = 600.0;

/// NetBox ahead of Kanidm by more than this works, but deserves a warning.
pub const AHEAD_WARN_S: f64 = 60.0;

/// A share of failing logins at or above this (1 in 100) is worth a warning (possible) or a failure
/// (certain).
const SHARE_NOTICE: f64 = 0.01;

/// Bisection stops once the interval is narrower than this: network jitter dominates below it.
const MIN_WIDTH_S: f64 = 0.000_5;

/// How far ahead of "now" a request can be planned (scheduling and request building).
const PLAN_LEAD_S: f64 = 0.003;

/// The precise sleep wakes this early and yields until the planned instant.
const SPIN: Duration = Duration::from_millis(2);

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

/// A clock offset measured against one server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockEstimate {
    /// Remote clock minus this machine's clock, in seconds (positive: the server is ahead).
    pub offset_s: f64,
    /// The true offset is within `offset_s ± error_s`, provided the server stamped `Date` while the
    /// request was in flight: half the remaining bisection interval plus the worst-case asymmetry of
    /// the network path (up to half the RTT).
    pub error_s: f64,
    /// Requests the estimate is based on (including the one that opened the connection).
    pub requests: usize,
    /// Median round-trip time of the requests on the warm connection (all requests if none was warm).
    pub rtt_median: Duration,
}

/// What the samples so far allow.
#[derive(Debug, Clone, Copy)]
struct Analysis {
    /// Offsets consistent with the RTT/2-compensated constraints of most samples; the estimate is its
    /// centre and the next poll bisects it.
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
        let fastest = self.rtts(true).into_iter().fold(f64::INFINITY, f64::min);
        let constraints: Vec<Interval> = self
            .samples
            .iter()
            .filter_map(|s| {
                let slack = if s.warm {
                    ((s.rtt() - fastest) / 2.0).max(0.0)
                } else {
                    s.rtt() / 2.0
                };
                s.symmetric(slack).intersect(hard)
            })
            .collect();
        let region = best_agreement(&constraints).unwrap_or(hard);
        Some(Analysis { region, hard })
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

    pub fn estimate(&self) -> Option<ClockEstimate> {
        let Analysis { region, hard } = self.analyse()?;
        let offset_s = hard.clamp(region.centre());
        let error_s = (offset_s - hard.lo)
            .max(hard.hi - offset_s)
            .max(region.width() / 2.0);
        let rtt = self.expected_rtt_s().unwrap_or(0.0);
        Some(ClockEstimate {
            offset_s,
            error_s,
            requests: self.samples.len(),
            rtt_median: Duration::try_from_secs_f64(rtt).unwrap_or_default(),
        })
    }
}

/// Why a server's clock could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(
        "{url} answered without a Date header, so its clock cannot be read (a proxy in front of it may \
         strip the header; nginx and Apache send it by default)"
    )]
    NoDate { url: String },
    #[error(
        "{url} answered with a Date header that is not an HTTP date: {value:?} (expected the form \
         \"Sun, 22 Nov 2026 12:58:04 GMT\")"
    )]
    BadDate { url: String, value: String },
    #[error("{url} gave no answer within {deadline:?}, so its clock could not be read")]
    Deadline { url: String, deadline: Duration },
    #[error("cannot read the clock of {url}: {source}")]
    Fetch { url: String, source: FetchError },
    #[error("no request allowed for measuring the clock of {url}")]
    NoRequests { url: String },
}

impl ClockError {
    /// The server could not be reached at all (as opposed to answering without a usable `Date`).
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Deadline { .. } => true,
            Self::Fetch { source, .. } => source.is_unreachable(),
            _ => false,
        }
    }

    /// The check's result when a clock could not be read.
    pub fn to_finding(&self) -> Finding {
        let finding = if self.is_unreachable() {
            Finding::unreachable(self.to_string())
        } else {
            Finding::fail(self.to_string())
        };
        match self {
            Self::NoDate { .. } | Self::BadDate { .. } => finding.with_fix(
                "Let the server's own Date header through the reverse proxy (do not remove or rewrite it), \
                 then run the check again.",
            ),
            _ => finding,
        }
    }
}

fn epoch_s(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// The `Date` header in whole seconds since the UNIX epoch.
pub fn parse_date(url: &str, value: Option<&str>) -> Result<i64, ClockError> {
    let value = value.ok_or_else(|| ClockError::NoDate {
        url: url.to_string(),
    })?;
    let bad = || ClockError::BadDate {
        url: url.to_string(),
        value: value.to_string(),
    };
    let time = httpdate::parse_http_date(value.trim()).map_err(|_| bad())?;
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| bad())?
        .as_secs();
    i64::try_from(secs).map_err(|_| bad())
}

/// Sleeps until `target`, waking [`SPIN`] early and yielding until then (tokio's timer wheel has a
/// 1 ms granularity and wakes late; a planned send must leave within tens of microseconds).
async fn sleep_until_precise(target: tokio::time::Instant) {
    if let Some(coarse) = target.checked_sub(SPIN) {
        tokio::time::sleep_until(coarse).await;
    }
    while tokio::time::Instant::now() < target {
        tokio::task::yield_now().await;
    }
}

/// Measures `url`'s clock against this machine's with at most `max_requests` GETs, all within
/// `deadline`.
///
/// The first request opens the connection (its TCP/TLS set-up inflates the RTT, so it only gives the
/// coarse first interval); the others reuse it, each sent at the instant the bisection plans. Two hosts
/// can be measured at once (`tokio::join!`): the time goes into waiting for second boundaries.
///
/// A `Date` header that is missing or malformed fails at once. When the deadline does not leave room
/// for all polls, the estimate uses the answers so far (fewer `requests`, a wider `error_s`); without
/// any answer it is [`ClockError::Deadline`].
pub async fn measure(
    client: &HttpClient,
    url: &str,
    max_requests: usize,
    deadline: Duration,
) -> Result<ClockEstimate, ClockError> {
    if max_requests == 0 {
        return Err(ClockError::NoRequests {
            url: url.to_string(),
        });
    }
    let end = tokio::time::Instant::now() + deadline;
    let mut bisection = Bisection::new();
    let mut warm = false;
    while bisection.len() < max_requests {
        if !bisection.is_empty() {
            if bisection.settled() {
                break;
            }
            let now_s = epoch_s(SystemTime::now());
            let Some(send_s) = bisection.next_send(now_s, PLAN_LEAD_S) else {
                break;
            };
            let wait = Duration::try_from_secs_f64(send_s - now_s).unwrap_or_default();
            let rtt = Duration::try_from_secs_f64(bisection.expected_rtt_s().unwrap_or(0.0))
                .unwrap_or_default();
            let send_at = tokio::time::Instant::now() + wait;
            // Room for the answer, with a margin for a slower than usual one.
            if send_at + rtt * 2 + SPIN > end {
                break;
            }
            sleep_until_precise(send_at).await;
        }
        let remaining = end.saturating_duration_since(tokio::time::Instant::now());
        if remaining.is_zero() {
            break;
        }
        let captured = match client.get(url).send(remaining).await {
            Ok(captured) => captured,
            Err(FetchError::Timeout(_)) => break,
            Err(source) => {
                return Err(ClockError::Fetch {
                    url: url.to_string(),
                    source,
                });
            }
        };
        let date_s = parse_date(url, captured.header("date"))?;
        let sent_s = epoch_s(captured.sent_at);
        bisection.add(Sample {
            sent_s,
            received_s: sent_s + captured.rtt.as_secs_f64(),
            date_s,
            warm,
        });
        tracing::debug!(
            url,
            date_s,
            rtt_ms = captured.rtt.as_secs_f64() * 1e3,
            warm,
            uncertainty_ms = bisection.uncertainty_s().unwrap_or(f64::NAN) * 1e3,
            "clock poll"
        );
        // The next request reuses this connection unless the server closes it.
        warm = !captured
            .header("connection")
            .is_some_and(|v| v.to_ascii_lowercase().contains("close"));
    }
    bisection.estimate().ok_or(ClockError::Deadline {
        url: url.to_string(),
        deadline,
    })
}

fn signed(x: f64) -> String {
    format!("{x:+.3} s")
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        "under 1 %".to_string()
    } else {
        format!("{p:.0} %")
    }
}

/// The share of logins that fail with NetBox `lag_s` behind Kanidm: the token is checked
/// [`TOKEN_EXCHANGE_S`] after it was issued, and fails when a NetBox second boundary falls in the gap.
fn failing_share(lag_s: f64) -> f64 {
    (lag_s - TOKEN_EXCHANGE_S).clamp(0.0, 1.0)
}

/// The share of logins that PyJWT already refuses (`The token is not yet valid (iat)`), before
/// social-core's own nbf check: `iat` is more than [`JWT_LEEWAY_S`] ahead when NetBox checks it.
fn pyjwt_share(lag_s: f64) -> f64 {
    (lag_s - TOKEN_EXCHANGE_S - JWT_LEEWAY_S).clamp(0.0, 1.0)
}

/// Which host's time sync to fix, judged against this machine's clock (the third opinion).
fn culprit(kanidm: &ClockEstimate, netbox: &ClockEstimate) -> String {
    let (k, n) = (kanidm.offset_s, netbox.offset_s);
    let far = |e: &ClockEstimate| e.offset_s.abs() > (e.error_s * 2.0).max(0.1);
    let describe = |name: &str, off: f64| {
        format!(
            "{name} (its clock is {:.3} s {} this machine's)",
            off.abs(),
            if off < 0.0 { "behind" } else { "ahead of" }
        )
    };
    match (far(kanidm), far(netbox)) {
        (true, false) => describe("the Kanidm host", k),
        (false, true) => describe("the NetBox host", n),
        _ if n.abs() >= k.abs() => format!(
            "the NetBox host, and check the Kanidm host too (against this machine NetBox is {}, Kanidm {})",
            signed(n),
            signed(k)
        ),
        _ => format!(
            "the Kanidm host, and check the NetBox host too (against this machine Kanidm is {}, NetBox {})",
            signed(k),
            signed(n)
        ),
    }
}

fn time_sync_fix(kanidm: &ClockEstimate, netbox: &ClockEstimate) -> String {
    format!(
        "Fix the time sync on {}: run chrony (`apt install chrony`, then `chronyc tracking`) or \
         systemd-timesyncd (`timedatectl set-ntp true`, then `timedatectl timesync-status`), and allow \
         outgoing UDP port 123 to the NTP servers. Raising the JWT leeway (SOCIAL_AUTH_OIDC_JWT_LEEWAY) \
         does not help: Kanidm always sends nbf (= iat), and social-core checks nbf itself, \
         without any leeway. Only synchronised clocks fix this.",
        culprit(kanidm, netbox)
    )
}

/// Judges the Kanidm↔NetBox offset (both measured against this machine) by social-core's rule: a login
/// fails when `floor(netbox_now) < floor(kanidm_now_at_issue)` (`Incorrect id_token: nbf`) or when
/// NetBox is more than [`ID_TOKEN_MAX_AGE_S`] ahead (`Incorrect id_token: iat`).
pub fn evaluate(kanidm: &ClockEstimate, netbox: &ClockEstimate) -> Finding {
    // How far Kanidm's clock is ahead of NetBox's (positive: NetBox is behind).
    let lag = kanidm.offset_s - netbox.offset_s;
    let err = kanidm.error_s + netbox.error_s;
    let headline = if lag >= 0.0 {
        format!("NetBox is {lag:.3} s ± {err:.3} s behind Kanidm")
    } else {
        format!("NetBox is {:.3} s ± {err:.3} s ahead of Kanidm", -lag)
    };
    let (likely, low, high) = (
        failing_share(lag),
        failing_share(lag - err),
        failing_share(lag + err),
    );
    let ahead = -lag;
    // Beyond the leeway PyJWT refuses some tokens first, with its own message.
    let nbf = if pyjwt_share(lag + err) > 0.0 {
        "\"Incorrect id_token: nbf\" or \"The token is not yet valid (iat)\""
    } else {
        "\"Incorrect id_token: nbf\""
    };
    let iat = "\"Incorrect id_token: iat\"";
    let finding = if low >= 1.0 {
        Finding::fail(format!("{headline}: every login fails with {nbf}"))
    } else if low >= SHARE_NOTICE {
        Finding::fail(format!(
            "{headline}: about {} of logins fail with {nbf} (between {} and {})",
            percent(likely),
            percent(low),
            percent(high)
        ))
    } else if high >= SHARE_NOTICE {
        Finding::warn(format!(
            "{headline}: up to {} of logins may fail with {nbf}",
            percent(high)
        ))
    } else if ahead - err >= ID_TOKEN_MAX_AGE_S + 1.0 {
        Finding::fail(format!("{headline}: every login fails with {iat}"))
    } else if ahead + err > ID_TOKEN_MAX_AGE_S {
        Finding::fail(format!(
            "{headline}: logins fail with {iat} (NetBox may be at most {ID_TOKEN_MAX_AGE_S:.0} s ahead)"
        ))
    } else if ahead > AHEAD_WARN_S {
        Finding::warn(format!(
            "{headline}: logins work, but fail with {iat} once NetBox is {ID_TOKEN_MAX_AGE_S:.0} s ahead"
        ))
    } else {
        Finding::pass(format!("{headline}: social-core accepts Kanidm's tokens"))
    };
    let finding = if finding.status == super::Status::Pass {
        finding
    } else {
        finding.with_fix(time_sync_fix(kanidm, netbox))
    };
    let line = |name: &str, e: &ClockEstimate| {
        format!(
            "{name}: {} ± {:.3} s against this machine ({} requests, median RTT {:.1} ms)",
            signed(e.offset_s),
            e.error_s,
            e.requests,
            e.rtt_median.as_secs_f64() * 1e3
        )
    };
    finding
        .with_detail(line("Kanidm", kanidm))
        .with_detail(line("NetBox", netbox))
        .with_detail(format!(
            "Rule: Kanidm's ID tokens carry nbf = iat = its whole second; social-core refuses them while \
             NetBox's whole second is earlier (no leeway), and once NetBox is more than \
             {ID_TOKEN_MAX_AGE_S:.0} s past iat. A NetBox lagging by less than the token exchange \
             (~{:.0} ms assumed) is safe.",
            TOKEN_EXCHANGE_S * 1e3
        ))
        .with_detail(
            "NetBox's Date comes from whatever answers HTTP for it: a reverse proxy on another machine shows \
             that machine's clock.",
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

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

    #[test]
    fn date_parsing() {
        assert_eq!(
            parse_date("u", Some("Sun, 22 Nov 2026 12:58:04 GMT")).unwrap(),
            1_795_352_284
        );
        assert_eq!(
            parse_date("u", None),
            Err(ClockError::NoDate { url: "u".into() })
        );
        let bad = parse_date("https://n/login/", Some("yesterday")).unwrap_err();
        assert!(matches!(bad, ClockError::BadDate { .. }));
        assert!(bad.to_string().contains("\"yesterday\""), "{bad}");
    }

    fn est(offset_s: f64, error_s: f64) -> ClockEstimate {
        ClockEstimate {
            offset_s,
            error_s,
            requests: 8,
            rtt_median: Duration::from_millis(20),
        }
    }

    fn check_fix(f: &Finding) {
        let fix = f.fix.as_deref().unwrap();
        assert!(
            fix.contains("chrony")
                && fix.contains("systemd-timesyncd")
                && fix.contains("UDP port 123")
        );
        assert!(fix.contains("does not help"), "{fix}");
        assert!(!fix.contains("verify_"), "{fix}");
        assert!(!fix.to_lowercase().contains("set social_auth"), "{fix}");
    }

    #[test]
    fn netbox_a_second_behind_fails_every_login() {
        let f = evaluate(&est(0.002, 0.003), &est(-1.841, 0.003));
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            f.summary,
            "NetBox is 1.843 s ± 0.006 s behind Kanidm: every login fails with \"Incorrect id_token: nbf\" or \"The token is not yet valid (iat)\""
        );
        check_fix(&f);
        assert!(
            f.fix
                .as_deref()
                .unwrap()
                .contains("the NetBox host (its clock is 1.841 s behind")
        );
        assert!(f.details[0].starts_with("Kanidm: +0.002 s ± 0.003 s against this machine"));
        assert!(f.details[1].starts_with("NetBox: -1.841 s ± 0.003 s against this machine"));
    }

    #[test]
    fn kanidm_ahead_is_blamed_on_kanidm() {
        let f = evaluate(&est(2.5, 0.01), &est(0.0, 0.01));
        assert_eq!(f.status, Status::Fail);
        check_fix(&f);
        assert!(
            f.fix
                .as_deref()
                .unwrap()
                .contains("the Kanidm host (its clock is 2.500 s ahead of")
        );
    }

    #[test]
    fn a_sub_second_lag_fails_a_share_of_logins() {
        let f = evaluate(&est(0.0, 0.005), &est(-0.4, 0.005));
        assert_eq!(f.status, Status::Fail);
        // 0.4 − 0.02 = 38 %, between 37 % and 39 %.
        assert!(
            f.summary.contains("about 38 % of logins fail"),
            "{}",
            f.summary
        );
        assert!(f.summary.contains("between 37 % and 39 %"), "{}", f.summary);
        check_fix(&f);
    }

    #[test]
    fn lag_within_the_token_exchange_passes() {
        let f = evaluate(&est(0.0, 0.003), &est(-0.010, 0.003));
        assert_eq!(f.status, Status::Pass, "{}", f.summary);
        assert!(f.fix.is_none());
    }

    #[test]
    fn an_uncertain_lag_warns() {
        // 16 ms ± 20 ms: anything from none to 1.6 % of logins.
        let f = evaluate(&est(0.0, 0.010), &est(-0.016, 0.010));
        assert_eq!(f.status, Status::Warn, "{}", f.summary);
        assert!(
            f.summary.contains("up to 2 % of logins may fail"),
            "{}",
            f.summary
        );
        check_fix(&f);
    }

    #[test]
    fn a_small_lag_clearly_beyond_the_exchange_fails() {
        let f = evaluate(&est(0.05, 0.004), &est(0.0, 0.004));
        assert_eq!(f.status, Status::Fail, "{}", f.summary);
        assert!(
            f.summary.contains("about 3 % of logins fail"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn netbox_ahead_is_tolerated_up_to_max_age() {
        let ok = evaluate(&est(0.0, 0.005), &est(0.25, 0.005));
        assert_eq!(ok.status, Status::Pass);
        assert_eq!(
            ok.summary,
            "NetBox is 0.250 s ± 0.010 s ahead of Kanidm: social-core accepts Kanidm's tokens"
        );
        let large = evaluate(&est(0.0, 0.005), &est(75.0, 0.005));
        assert_eq!(large.status, Status::Warn);
        check_fix(&large);
        let edge = evaluate(&est(0.0, 0.005), &est(599.998, 0.005));
        assert_eq!(edge.status, Status::Fail);
        assert!(edge.summary.contains("Incorrect id_token: iat"));
        let over = evaluate(&est(0.0, 0.005), &est(700.0, 0.005));
        assert_eq!(over.status, Status::Fail);
        assert!(
            over.summary
                .ends_with("every login fails with \"Incorrect id_token: iat\""),
            "{}",
            over.summary
        );
        check_fix(&over);
    }

    #[test]
    fn clock_errors_read_well() {
        let e = ClockError::Deadline {
            url: "https://idm.example.com/status".into(),
            deadline: Duration::from_secs(10),
        };
        assert!(e.to_finding().unreachable);
        let no_date = ClockError::NoDate {
            url: "https://n/login/".into(),
        }
        .to_finding();
        assert!(!no_date.unreachable && no_date.fix.is_some());
    }
}
