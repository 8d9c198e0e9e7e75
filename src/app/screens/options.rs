//! The Options screen: how the login behaves (PKCE, user names, consent, the button, where the
//! files go). Each option is explained by what the NetBox and Kanidm releases allow.

use super::Heading;
use crate::checks::DetectedRelease;
use crate::plan::PlanDraft;
use crate::versions::{NetBoxCapabilities, Version};

pub const HEADING: Heading = Heading {
    title: "Options: how the login behaves",
    intro: "Each option is explained by what your NetBox and Kanidm releases allow.",
};

/// What the NetBox release allows for PKCE, and why; and whether the login page agrees with it
/// (`login_page`: the release the login page check read).
pub fn pkce_note(draft: &PlanDraft, login_page: Option<&DetectedRelease>) -> Vec<String> {
    let Some(caps) = draft
        .netbox
        .version
        .trim()
        .parse::<Version>()
        .ok()
        .and_then(NetBoxCapabilities::of)
    else {
        return vec!["Enter NetBox's version to see whether it can send PKCE.".into()];
    };
    let mut notes = vec![if caps.oidc_pkce {
        format!(
            "NetBox {} (social-auth-core {}) can send PKCE: Kanidm keeps enforcing it.",
            caps.netbox, caps.social_core
        )
    } else {
        format!(
            "NetBox {} (social-auth-core {}) cannot send PKCE (4.8.7+, NetBox 4.5.9+ can).",
            caps.netbox, caps.social_core
        )
    }];
    if let Some(detected) = login_page
        && let Some(release) = detected.suggested
    {
        notes.push(format!(
            "! The login page looks like NetBox {}: with {release} the answer may differ.",
            detected.range
        ));
    }
    notes
}
