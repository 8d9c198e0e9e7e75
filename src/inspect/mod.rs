//! Inspecting Kanidm OAuth2 clients, without a terminal: where the clients are read from
//! ([`source`]), the rows of the client list ([`rows`]), the attributes of a client as both the
//! text report and the interactive view show them ([`attributes`]), and what an inspection's
//! outcome means as an exit code ([`verdict`]). The interactive view itself is a wizard screen
//! (`app::screens::inspect`).

pub mod attributes;
mod rows;
pub mod source;

use crate::exit::Code;
pub use rows::{Loaded, Row, prepare};
pub use source::{FailKind, Live, LoadError, Source, WHO_CAN_SEE};

/// The exit code of an inspection, for the text report and the view alike. `wanted` is `None`
/// when no client was asked for (nothing to compare); otherwise `None` when the client is missing,
/// or how many of its attributes drift from the plan (0 without a plan).
pub fn verdict(wanted: Option<Option<usize>>) -> Code {
    match wanted {
        None | Some(Some(0)) => Code::Ok,
        Some(None | Some(_)) => Code::Findings,
    }
}

/// The words the view and the report use for the Kanidm attributes drift compares.
pub fn attribute_label(attribute: &str) -> &'static str {
    match attribute {
        "oauth2_rs_origin" => "redirect URL",
        "oauth2_rs_origin_landing" => "landing URL",
        "oauth2_rs_scope_map" => "scope map",
        "oauth2_allow_insecure_client_disable_pkce" => "PKCE",
        "oauth2_jwt_legacy_crypto_enable" => "legacy crypto",
        "oauth2_prefer_short_username" => "short username",
        "oauth2_consent_prompt_enable" => "consent prompt",
        "oauth2_strict_redirect_uri" => "strict redirect",
        "displayname" => "display name",
        _ => "attribute",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_drifting_client_is_a_finding() {
        assert_eq!(verdict(None), Code::Ok);
        assert_eq!(verdict(Some(Some(0))), Code::Ok);
        assert_eq!(verdict(Some(Some(2))), Code::Findings);
        assert_eq!(verdict(Some(None)), Code::Findings);
    }
}
