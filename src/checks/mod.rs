//! Live checks against the real servers. Each check is a thin fetch plus a pure evaluation of what
//! was captured, so evaluations are unit-tested on fixture bytes. [`engine`] runs them concurrently.

pub mod authorise;
pub mod clock;
pub mod discovery;
pub mod engine;
mod finding;
pub mod http;
pub mod jwks;
pub mod netbox;
#[cfg(test)]
mod test_support;
mod text;
pub mod tls;

pub use engine::{CheckEvent, CheckId, Options, RunHandle, run_to_end, start};
pub use finding::{DetectedRelease, Finding, Status};
pub use text::{counts, render_text};
