//! The Source screen: where NetBox logs in today (one choice from the field table). It decides
//! how users' existing NetBox accounts are matched after the move.

use super::Heading;

pub const HEADING: Heading = Heading {
    title: "Source: where NetBox logs in today",
    intro: "This decides how users' existing NetBox accounts are matched after the move.",
};
