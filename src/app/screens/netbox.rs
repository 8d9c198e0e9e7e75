//! The NetBox screen: where NetBox is served and which release. Its version field is offered the
//! release range the login page's style shows (F2 takes the suggested release).

use super::Heading;
use super::form::Offer;
use crate::checks::{CheckId, DetectedRelease};
use crate::plan::Field;

pub const HEADING: Heading = Heading {
    title: "NetBox: where it is served, and which release",
    intro: "The release decides which settings NetBox understands (PKCE, button label).",
};

pub const VERSION_OFFER: Offer = Offer {
    field: Field::NetboxVersion,
    check: CheckId::NetboxLogin,
    product: "NetBox",
    source: "the login page",
    hint: version_hint,
};

fn version_hint(detected: &DetectedRelease) -> String {
    match detected.suggested {
        Some(release) => format!(
            "! the login page looks like NetBox {}: F2 uses {release}",
            detected.range
        ),
        None => format!("✓ the login page agrees: NetBox {}", detected.range),
    }
}
