//! The two servers the wizard's checks talk to, wired as a real pair: a NetBox-shaped server
//! (NetBox 4.7.1+ login page with a "Kanidm" button, PKCE on) whose login begins at the
//! Kanidm-shaped IdP, which has NetBox's callback registered as the redirect URL.

use crate::idp::{TestIdp, TestIdpBuilder};
use crate::netbox::{LoginStyle, TestNetbox};

/// Starts both, Kanidm with the client `netbox` (basic secret `secret`); `kanidm` adds anything
/// else to the IdP's builder (a clock offset, an intercepted REST API).
pub fn kanidm_and_netbox(
    secret: &str,
    kanidm: impl FnOnce(TestIdpBuilder) -> TestIdpBuilder,
) -> (TestIdp, TestNetbox) {
    // NetBox needs an authorisation endpoint to start; the real one is set once the IdP runs.
    let placeholder = TestIdp::builder().start_blocking();
    let netbox = TestNetbox::builder()
        .style(LoginStyle::PostBegin)
        .authorize_endpoint(&format!("{}/ui/oauth2", placeholder.origin()))
        .client_id("netbox")
        .use_pkce(true)
        .button("Kanidm", Some("login"))
        .start_blocking();
    let redirect = format!("{}/oauth/complete/oidc/", netbox.origin());
    let idp = kanidm(
        TestIdp::builder()
            .client("netbox", secret)
            .redirect_url(&redirect),
    )
    .start_blocking();
    let endpoint = format!("{}/ui/oauth2", idp.origin());
    netbox.configure(|c| {
        if let Some(sso) = c.sso.as_mut() {
            sso.authorize_endpoint = endpoint;
        }
    });
    (idp, netbox)
}
