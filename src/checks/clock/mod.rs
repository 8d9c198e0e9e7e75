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
//! Both servers only show their clocks through `Date` headers, which have one-second resolution. Each
//! answer says the server's clock read `D` whole seconds at some instant between sending and
//! receiving, taken as the local midpoint (RTT/2 compensation). The offset (remote − local) therefore
//! lies in `[D − mid, D + 1 − mid)`: an answer tells on which side of the server's tick its midpoint
//! fell. Requests go out at staggered phases of the second, many at once (one pass over a whole
//! second, then one over the window where the tick was found, a second later), each timed on a
//! connection opened beforehand: a few milliseconds in about two seconds, for two hosts at once. A
//! server that serves one connection at a time gets htpdate's bisection instead, one request after
//! another, each halving the uncertainty.
//!
//! * [`estimate`]: the pure estimator, [`Bisection`] (samples in, the offsets still possible, the
//!   bisection's next send instant and [`ClockEstimate`] out);
//! * [`stagger`]: where the next pass probes; [`schedule`]: the whole measurement as a pure state
//!   machine (which request when, when to stop, the fallback);
//! * [`probe`]: the clock's own HTTP/1.1 connections, opened ahead and timed per request;
//! * [`measure`](mod@measure): drives the schedule against one URL;
//! * [`judge`]: [`evaluate`] judges two estimates by social-core's rule and says what to fix.

pub mod estimate;
pub mod judge;
pub mod measure;
pub mod probe;
pub mod schedule;
pub mod stagger;

pub use estimate::{Bisection, ClockEstimate, Probing, Sample};
pub use judge::{AHEAD_WARN_S, ID_TOKEN_MAX_AGE_S, JWT_LEEWAY_S, TOKEN_EXCHANGE_S, evaluate};
pub use measure::{ClockError, DEFAULT_MAX_REQUESTS, MAX_CONNECTIONS, measure, parse_date};
