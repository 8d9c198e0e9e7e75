//! Reading one server's clock: requests sent at the instants the [`Schedule`] plans, each on a
//! connection opened beforehand, their send and receive times and the `Date` they carry.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::task::{AbortHandle, Id, JoinSet};
use tokio::time::Instant;

use super::estimate::{ClockEstimate, Sample};
use super::probe::{self, Answer, Connection, Target};
use super::schedule::{Next, Schedule};
use crate::checks::http::{FetchError, HttpClient};

/// Requests per host the wizard spends on a measurement.
pub const DEFAULT_MAX_REQUESTS: usize = 24;

/// Most connections held open to one server at once.
pub const MAX_CONNECTIONS: usize = 8;

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

fn now_s() -> f64 {
    epoch_s(SystemTime::now())
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

/// Measures `url`'s clock against this machine's with at most `max_requests` GETs, all within
/// `deadline`.
///
/// Requests go out at staggered phases of the second, many at once, each on its own connection
/// (see [`stagger`](super::stagger)): about two seconds per measurement, and two hosts can be
/// measured at the same time (`tokio::join!`). A server that leaves a second connection waiting
/// while it serves the first gets one request after another instead (the estimate then says
/// [`Probing::Sequential`](super::Probing::Sequential)).
///
/// A `Date` header that is missing or malformed fails at once. When the deadline does not leave room
/// for every pass, the estimate uses the answers so far (fewer `requests`, a wider `error_s`); without
/// any answer it is [`ClockError::Deadline`].
pub async fn measure(
    client: &HttpClient,
    url: &str,
    max_requests: usize,
    deadline: Duration,
) -> Result<ClockEstimate, ClockError> {
    let fetch = |source| ClockError::Fetch {
        url: url.to_string(),
        source,
    };
    if max_requests == 0 {
        return Err(ClockError::NoRequests {
            url: url.to_string(),
        });
    }
    let end = Instant::now() + deadline;
    let target = Target::new(client, url).await.map_err(fetch)?;
    let started = now_s();
    let schedule = Schedule::new(
        started,
        started + deadline.as_secs_f64(),
        max_requests,
        MAX_CONNECTIONS,
    );
    let mut run = Run {
        url,
        target: Arc::new(target),
        schedule,
        idle: VecDeque::new(),
        opening: JoinSet::new(),
        probes: JoinSet::new(),
        watched: HashMap::new(),
        answered_connections: 0,
        planning: false,
    };
    let outcome = tokio::select! {
        biased;
        () = tokio::time::sleep_until(end) => Ok(()),
        done = run.drive() => done,
    };
    // What is still open or in flight is dropped.
    run.opening.abort_all();
    run.probes.abort_all();
    outcome?;
    run.schedule.estimate().ok_or(ClockError::Deadline {
        url: url.to_string(),
        deadline,
    })
}

/// What happened to a request.
enum Probed {
    Answer {
        back: Option<Connection>,
        answer: Answer,
    },
    Failed(FetchError),
}

/// A task the watchdog looks after: a request on a connection the server has not answered on yet,
/// or a connection being opened.
struct Watched {
    started: Instant,
    abort: AbortHandle,
    /// A request (rather than a connection being opened).
    request: bool,
    /// The request's connection had been answered on before (such a request is never stalled).
    answered_before: bool,
}

/// A measurement in progress: the schedule, and the connections it sends on.
struct Run<'a> {
    url: &'a str,
    target: Arc<Target>,
    schedule: Schedule,
    /// Open connections without a request, oldest use first (so each one is tried in turn).
    idle: VecDeque<Connection>,
    opening: JoinSet<Result<Connection, FetchError>>,
    probes: JoinSet<Probed>,
    watched: HashMap<Id, Watched>,
    /// Connections the server has answered on.
    answered_connections: usize,
    /// The schedule has been asked for its plan (a connection was ready).
    planning: bool,
}

impl Run<'_> {
    async fn drive(&mut self) -> Result<(), ClockError> {
        loop {
            // The first pass spans one second from its first request, so it is planned once a
            // connection is ready: over TLS opening one takes two round trips, and a first request
            // sent that late would leave the pass's last bracket wider than planned.
            let next = if self.planning || !self.idle.is_empty() {
                self.planning = true;
                self.schedule.next(now_s())
            } else {
                Next::Wait
            };
            if next == Next::Done {
                return Ok(());
            }
            self.open_wanted();
            let send_at = match next {
                Next::SendAt(at) if !self.idle.is_empty() => {
                    let wait = Duration::try_from_secs_f64(at - now_s()).unwrap_or_default();
                    Some(Instant::now() + wait)
                }
                _ => None,
            };
            let stall_at = self.next_stall();
            tokio::select! {
                biased;
                Some(done) = self.probes.join_next_with_id() => {
                    match done {
                        Ok((id, probed)) => {
                            let watched = self.watched.remove(&id);
                            let before = watched.is_none_or(|w| w.answered_before);
                            self.on_probed(probed, before)?;
                        }
                        // Only the watchdog cancels a request.
                        Err(e) if e.is_cancelled() => {
                            self.watched.remove(&e.id());
                            self.on_stalled_request();
                        }
                        Err(e) => {
                            self.watched.remove(&e.id());
                            self.schedule.lost();
                        }
                    }
                }
                Some(done) = self.opening.join_next_with_id() => {
                    let (id, opened) = match done {
                        Ok((id, opened)) => (id, opened),
                        Err(e) => (e.id(), Err(FetchError::Other(e.to_string()))),
                    };
                    self.watched.remove(&id);
                    self.on_opened(opened)?;
                }
                () = tokio::time::sleep_until(stall_at.unwrap_or_else(Instant::now)), if stall_at.is_some() => {
                    self.abort_stalled();
                }
                // The timer may wake a millisecond late: that moves a request's phase a little, and
                // its own stamps say where it really went.
                () = tokio::time::sleep_until(send_at.unwrap_or_else(Instant::now)), if send_at.is_some() => {
                    self.send();
                }
                else => return Ok(()),
            }
        }
    }

    /// How long a request on a connection the server has not answered on yet (or a connection
    /// being opened) may take, once the server has answered on another connection: a few round
    /// trips. Longer, and the server is serving one connection at a time.
    fn patience(&self, request: bool) -> Option<Duration> {
        let rtt = self.schedule.rtt_s();
        if self.answered_connections == 0 || rtt <= 0.0 {
            return None;
        }
        let (factor, floor) = if request { (4.0, 0.3) } else { (6.0, 0.5) };
        Some(Duration::from_secs_f64((rtt * factor).max(rtt + floor)))
    }

    /// When the first watched task runs out of patience.
    fn next_stall(&self) -> Option<Instant> {
        self.watched
            .values()
            .filter(|w| !w.answered_before)
            .filter_map(|w| Some(w.started + self.patience(w.request)?))
            .min()
    }

    /// Aborts the tasks that ran out of patience; they come back as cancelled.
    fn abort_stalled(&mut self) {
        let now = Instant::now();
        for w in self.watched.values() {
            if !w.answered_before
                && let Some(limit) = self.patience(w.request)
                && now >= w.started + limit
            {
                w.abort.abort();
            }
        }
    }

    /// Connections open, being opened or carrying a request.
    fn held(&self) -> usize {
        self.idle.len() + self.probes.len() + self.opening.len()
    }

    /// Opens connections until the current pass has enough. Until the server has answered on two,
    /// it may be serving one at a time, and each further connection would cost a stalled request.
    fn open_wanted(&mut self) {
        let mut wanted = self.schedule.wanted_connections();
        if self.answered_connections < 2 {
            wanted = wanted.min(2);
        }
        while self.held() < wanted {
            let target = self.target.clone();
            let abort = self.opening.spawn(async move { target.connect().await });
            self.watched.insert(
                abort.id(),
                Watched {
                    started: Instant::now(),
                    abort,
                    request: false,
                    answered_before: false,
                },
            );
        }
    }

    fn send(&mut self) {
        // A connection the server closed while it waited is of no use.
        self.idle.retain(|c| !c.is_closed());
        let Some(connection) = self.idle.pop_front() else {
            return;
        };
        if !self.schedule.take(now_s()) {
            self.idle.push_front(connection);
            return;
        }
        let answered_before = connection.answered();
        let target = self.target.clone();
        let abort = self.probes.spawn(async move {
            match probe::send(&target, connection).await {
                (back, Ok(answer)) => Probed::Answer { back, answer },
                (_, Err(e)) => Probed::Failed(e),
            }
        });
        self.watched.insert(
            abort.id(),
            Watched {
                started: Instant::now(),
                abort,
                request: true,
                answered_before,
            },
        );
    }

    fn on_probed(&mut self, probed: Probed, answered_before: bool) -> Result<(), ClockError> {
        match probed {
            Probed::Answer { back, answer } => {
                let date_s = parse_date(self.url, answer.date.as_deref())?;
                let sent_s = epoch_s(answer.sent_at);
                let sample = Sample {
                    sent_s,
                    received_s: sent_s + answer.rtt.as_secs_f64(),
                    date_s,
                    warm: true,
                };
                tracing::debug!(
                    url = self.url,
                    date_s,
                    rtt_ms = answer.rtt.as_secs_f64() * 1e3,
                    "clock probe"
                );
                self.schedule.answered(sample);
                if !answered_before {
                    self.answered_connections += 1;
                }
                // Unless the server closed it, the connection carries the next request.
                if let Some(connection) = back {
                    self.idle.push_back(connection);
                }
                Ok(())
            }
            Probed::Failed(source) => {
                self.schedule.lost();
                self.give_up_without_answers(source)
            }
        }
    }

    /// A request on a connection the server never answered on was given up.
    fn on_stalled_request(&mut self) {
        self.schedule.lost();
        self.one_connection_at_a_time();
    }

    fn on_opened(&mut self, opened: Result<Connection, FetchError>) -> Result<(), ClockError> {
        match opened {
            Ok(connection) => {
                self.idle.push_back(connection);
                Ok(())
            }
            Err(source) => {
                if self.answered_connections > 0 {
                    // It serves one connection and not another: a connection limit.
                    self.one_connection_at_a_time();
                    Ok(())
                } else {
                    self.give_up_without_answers(source)
                }
            }
        }
    }

    /// An error before any answer ends the measurement with it; later ones only cost a request.
    fn give_up_without_answers(&mut self, source: FetchError) -> Result<(), ClockError> {
        if self.schedule.estimate().is_some() {
            return Ok(());
        }
        Err(ClockError::Fetch {
            url: self.url.to_string(),
            source,
        })
    }

    /// The server leaves further connections waiting while it serves one: continue on the
    /// connection it answers on, one request at a time.
    fn one_connection_at_a_time(&mut self) {
        if self.schedule.connections() > 1 {
            tracing::debug!(url = self.url, "the server serves one connection at a time");
        }
        self.schedule.limit_connections(1);
        self.idle.retain(Connection::answered);
        for w in self.watched.values().filter(|w| !w.request) {
            w.abort.abort();
        }
    }
}
