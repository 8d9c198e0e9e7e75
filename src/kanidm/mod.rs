//! Reading a Kanidm OAuth2 client as it is (`kanidm system oauth2 get`/`list`, text or JSON, and the
//! REST `GET /v1/oauth2/<name>`), and comparing it with a plan: the pure core of "inspect".

pub mod client_state;
pub mod drift;
pub mod token;

pub use client_state::{
    OAuthClientState, ParseError, parse_get_json, parse_get_text, parse_list_json, parse_list_text,
};
pub use drift::{COMPARED_ATTRIBUTES, DriftItem, drift};
