//! Live checks against the real servers. Each check is a thin fetch plus a pure evaluation of what
//! was captured, so evaluations are unit-tested on fixture bytes.

pub mod clock;
mod finding;
pub mod http;

pub use finding::{Finding, Status};
