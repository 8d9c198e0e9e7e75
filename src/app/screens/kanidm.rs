//! The Kanidm screen: the OAuth2 client NetBox will log in through. Its version field is offered
//! the release Kanidm names in the discovery answer's `x-kanidm-version` header (F2 takes it).

use super::Heading;
use super::form::Offer;
use crate::checks::{CheckId, DetectedRelease};
use crate::plan::Field;

pub const HEADING: Heading = Heading {
    title: "Kanidm: the OAuth2 client NetBox will log in through",
    intro: "Nothing is created now: kanidm-setup.sh does it, after you have reviewed it.",
};

pub const VERSION_OFFER: Offer = Offer {
    field: Field::KanidmVersion,
    check: CheckId::Discovery,
    product: "Kanidm",
    source: "Kanidm's answer",
    hint: version_hint,
};

fn version_hint(detected: &DetectedRelease) -> String {
    match detected.suggested {
        Some(release) => format!("! Kanidm answers as {release}: F2 uses it"),
        None => format!("✓ Kanidm answers as {}", detected.range),
    }
}
