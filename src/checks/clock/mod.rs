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
//! * [`estimate`]: the pure estimator, [`Bisection`] (samples in, planned send instants and
//!   [`ClockEstimate`] out);
//! * [`measure`](mod@measure): drives it against one URL with the shared HTTP client;
//! * [`judge`]: [`evaluate`] judges two estimates by social-core's rule and says what to fix.

pub mod estimate;
pub mod judge;
pub mod measure;

pub use estimate::{Bisection, ClockEstimate, Sample};
pub use judge::{AHEAD_WARN_S, ID_TOKEN_MAX_AGE_S, JWT_LEEWAY_S, TOKEN_EXCHANGE_S, evaluate};
pub use measure::{ClockError, DEFAULT_MAX_REQUESTS, measure, parse_date};
