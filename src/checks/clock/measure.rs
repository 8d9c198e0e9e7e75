//! Reading one server's clock: requests sent at the instants the estimator plans, their send and
//! receive times and the `Date` they carry.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::estimate::{Bisection, ClockEstimate, Sample};
use crate::checks::http::{FetchError, HttpClient};

/// Requests per host the wizard spends on a measurement.
pub const DEFAULT_MAX_REQUESTS: usize = 8;

/// How far ahead of "now" a request can be planned (scheduling and request building).
pub(super) const PLAN_LEAD_S: f64 = 0.003;

/// The precise sleep wakes this early and yields until the planned instant.
const SPIN: Duration = Duration::from_millis(2);

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
