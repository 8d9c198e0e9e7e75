//! The rows of the client list: each client with what the filter matches and its drift count,
//! worked out once per read (off the event loop), never per keystroke.

use crate::kanidm::{OAuthClientState, drift};
use crate::plan::Plan;

/// One client of the list, with what the list and the filter need worked out once, at load.
#[derive(Debug, Clone)]
pub struct Row {
    pub state: OAuthClientState,
    /// Name, display name and redirect URL hosts, lowercased: what the filter matches.
    haystack: String,
    /// How many attributes drift from the plan; `None` without a plan.
    pub drift: Option<usize>,
}

impl Row {
    /// Whether the filter's lowercased text matches the name, display name or a redirect host.
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.haystack.contains(needle)
    }
}

/// Works out the rows of a freshly read list (runs off the event loop: drift for every client).
pub fn prepare(clients: Vec<OAuthClientState>, plan: Option<&Plan>) -> Vec<Row> {
    clients
        .into_iter()
        .map(|state| {
            let mut haystack = state.name.to_lowercase();
            if let Some(d) = &state.display_name {
                haystack.push('\n');
                haystack.push_str(&d.to_lowercase());
            }
            for url in state.redirect_urls.iter().chain(state.landing_url.iter()) {
                if let Some(host) = url::Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_lowercase))
                {
                    haystack.push('\n');
                    haystack.push_str(&host);
                }
            }
            let drift = plan.map(|p| drift(&state, p).len());
            Row {
                state,
                haystack,
                drift,
            }
        })
        .collect()
}

/// A finished read: the prepared rows and where they came from (a URL, a file, standard input).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub rows: Vec<Row>,
    pub from: String,
}
