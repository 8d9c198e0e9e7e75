//! A Kanidm OAuth2 client as the server reports it, parsed from the four shapes it comes in:
//!
//! - `kanidm system oauth2 get <name>` text: `---`, then one `attr: value` line per value, attributes
//!   sorted, multi-valued ones repeated; `No matching entries` when the client does not exist.
//! - `kanidm system oauth2 get <name> -o json` and REST `GET /v1/oauth2/<name>`:
//!   `{"attrs":{"attr":["value",…]}}`, or `null` when the client does not exist.
//! - `kanidm system oauth2 list` text: one `---` block per client.
//! - `kanidm system oauth2 list -o json` (an array of attrs maps) and REST `GET /v1/oauth2` (an array
//!   of `{"attrs":…}` objects).
//!
//! Parsing never panics: malformed input gives a [`ParseError`] naming the line (text) or the entry
//! (JSON). The basic secret's value is never kept, only whether one is configured.
//!
//! * [`model`]: the client's state, the parse error, and the one builder both parsers feed with
//!   attribute values;
//! * [`text`]: the CLI's text output;
//! * [`json`]: the CLI's `-o json` output and the REST answers.

mod json;
mod model;
#[cfg(test)]
mod tests;
mod text;

pub use json::{parse_get_json, parse_list_json};
pub use model::{MAX_INPUT_BYTES, OAuthClientState, ParseError};
pub use text::{NO_MATCHING_ENTRIES, parse_get_text, parse_list_text};
