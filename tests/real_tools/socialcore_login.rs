//! The generated `netbox-sso.py`, loaded by the real social-auth-core that NetBox pins, completes a
//! full authorization-code login against the Kanidm-shaped IdP; and the mistakes the plan prevents
//! fail with social-core's exact texts.

use nbsso::generate;
use nbsso::plan::{Plan, validate};
use std::path::PathBuf;
use testkit::idp::{TestIdp, TestIdpBuilder, TestUser};
use testkit::python::{LoginOutcome, SC_NETBOX_4_5, SC_NETBOX_4_7, socialcore_login};

const SECRET: &str = "kanidmbasicsecret0123456789abcdefghijklmnopqrstu";

struct Case {
    _dir: tempfile::TempDir,
    settings: PathBuf,
    plan: Plan,
}

/// Generates the settings for `example` pointed at `idp`, with the secret file kanidm-setup.sh writes.
fn generated_settings(example: &str, idp: &TestIdp) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let draft = testkit::plans::example_draft_for_idp(
        example,
        idp.origin(),
        idp.ca_pem_path(),
        dir.path(),
        SECRET,
    );
    let (plan, _) = validate(&draft).unwrap();
    let settings = dir.path().join("netbox-sso.py");
    std::fs::write(&settings, generate::netbox_settings(&plan)).unwrap();
    Case {
        _dir: dir,
        settings,
        plan,
    }
}

/// The IdP as `kanidm-setup.sh` leaves Kanidm for this plan.
fn kanidm_after_setup(redirect: &str) -> TestIdpBuilder {
    TestIdp::builder()
        .client("netbox", SECRET)
        .redirect_url(redirect)
        .short_username(true)
        .user(TestUser::alice())
}

fn edit(case: &Case, from: &str, to: &str) {
    let text = std::fs::read_to_string(&case.settings).unwrap();
    assert!(
        text.contains(from),
        "the generated settings no longer contain {from:?}"
    );
    std::fs::write(&case.settings, text.replace(from, to)).unwrap();
}

fn login(version: &str, case: &Case, idp: &TestIdp) -> LoginOutcome {
    socialcore_login(
        version,
        &case.settings,
        &case.plan.redirect_url(),
        idp.ca_pem_path(),
    )
}

const NETBOX_4_7_3: &str = "keycloak-netbox-4.7.3.toml";
const REDIRECT_4_7_3: &str = "https://netbox.example.com/oauth/complete/oidc/";

#[test]
fn netbox_4_7_3_settings_log_in_against_kanidm_defaults() {
    let idp = kanidm_after_setup(REDIRECT_4_7_3).start_blocking();
    let case = generated_settings(NETBOX_4_7_3, &idp);
    let outcome = login(SC_NETBOX_4_7, &case, &idp);
    assert!(outcome.ok, "{:#}", outcome.raw);
    assert_eq!(
        outcome.uid.as_deref(),
        Some(TestUser::alice().uuid.as_str())
    );
    assert_eq!(outcome.username.as_deref(), Some("alice"));
    // The IdP saw a PKCE challenge (S256) and a token request with the verifier and the basic secret.
    let authorise = idp.requests_to("/ui/oauth2");
    assert_eq!(
        authorise[0].query_param("code_challenge_method").as_deref(),
        Some("S256")
    );
    let token = idp.requests_to("/oauth2/token");
    assert!(token[0].form_param("code_verifier").is_some());
    assert!(
        token[0]
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
}

#[test]
fn without_es256_the_callback_fails_with_the_alg_error() {
    let idp = kanidm_after_setup(REDIRECT_4_7_3).start_blocking();
    let case = generated_settings(NETBOX_4_7_3, &idp);
    edit(
        &case,
        "SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256']\n",
        "",
    );
    let outcome = login(SC_NETBOX_4_7, &case, &idp);
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("Token error: The specified alg value is not allowed")
    );
}

#[test]
fn without_use_pkce_kanidm_stops_the_login_at_authorise() {
    let idp = kanidm_after_setup(REDIRECT_4_7_3).start_blocking();
    let case = generated_settings(NETBOX_4_7_3, &idp);
    edit(&case, "SOCIAL_AUTH_OIDC_USE_PKCE = True\n", "");
    let outcome = login(SC_NETBOX_4_7, &case, &idp);
    assert!(!outcome.ok);
    assert_eq!(outcome.stage, "authorize", "{:#}", outcome.raw);
    // Kanidm's browser endpoint answers its HTML error page; NetBox never gets a callback.
    assert_eq!(outcome.authorize_status, Some(200));
    assert!(idp.requests_to("/oauth2/token").is_empty());
    assert!(
        idp.server_log()
            .iter()
            .any(|l| l
                .contains("No PKCE code challenge was provided with client in enforced PKCE mode")),
        "{:?}",
        idp.server_log()
    );
}

#[test]
fn a_trailing_slash_on_the_endpoint_breaks_discovery() {
    let idp = kanidm_after_setup(REDIRECT_4_7_3).start_blocking();
    let case = generated_settings(NETBOX_4_7_3, &idp);
    let issuer = case.plan.issuer();
    edit(
        &case,
        &format!("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = '{issuer}'"),
        &format!("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = '{issuer}/'"),
    );
    let outcome = login(SC_NETBOX_4_7, &case, &idp);
    assert!(!outcome.ok);
    assert_eq!(outcome.error_type.as_deref(), Some("HTTPError"));
    assert_eq!(
        outcome.error.as_deref(),
        Some(
            format!(
                "404 Client Error: Not Found for url: {issuer}//.well-known/openid-configuration"
            )
            .as_str()
        )
    );
}

#[test]
fn idp_clock_ahead_by_1_5_s_fails_on_nbf_even_with_a_larger_leeway() {
    let idp = kanidm_after_setup(REDIRECT_4_7_3)
        .clock_offset_ms(1500)
        .start_blocking();
    let case = generated_settings(NETBOX_4_7_3, &idp);
    edit(
        &case,
        "SOCIAL_AUTH_OIDC_USE_PKCE = True\n",
        "SOCIAL_AUTH_OIDC_USE_PKCE = True\nSOCIAL_AUTH_OIDC_JWT_LEEWAY = 5\n",
    );
    let outcome = login(SC_NETBOX_4_7, &case, &idp);
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("Token error: Incorrect id_token: nbf")
    );
}

#[test]
fn netbox_4_5_2_pair_logs_in_with_social_core_4_8_3() {
    let redirect = "https://tools.example.org/netbox/oauth/complete/oidc/";
    // kanidm-setup.sh for this plan turns PKCE enforcement off and maps the extra scope "roles".
    let idp = kanidm_after_setup(redirect)
        .scope_map(&["openid", "profile", "email", "roles"])
        .pkce(false)
        .start_blocking();
    let case = generated_settings("authentik-netbox-4.5.2.toml", &idp);
    assert_eq!(case.plan.redirect_url(), redirect);
    let outcome = login(SC_NETBOX_4_5, &case, &idp);
    assert!(outcome.ok, "{:#}", outcome.raw);
    assert_eq!(
        outcome.uid.as_deref(),
        Some(TestUser::alice().uuid.as_str())
    );
    assert_eq!(outcome.username.as_deref(), Some("alice"));
    let authorise = idp.requests_to("/ui/oauth2");
    assert_eq!(
        authorise[0].query_param("code_challenge"),
        None,
        "4.8.3 cannot send PKCE"
    );
    let mut scopes: Vec<String> = authorise[0]
        .query_param("scope")
        .unwrap()
        .split(' ')
        .map(str::to_string)
        .collect();
    scopes.sort();
    assert_eq!(scopes, ["email", "openid", "profile", "roles"]);
}

#[test]
fn netbox_4_5_2_against_enforced_pkce_is_why_setup_disables_it() {
    let redirect = "https://tools.example.org/netbox/oauth/complete/oidc/";
    let idp = kanidm_after_setup(redirect)
        .scope_map(&["openid", "profile", "email", "roles"])
        .start_blocking();
    let case = generated_settings("authentik-netbox-4.5.2.toml", &idp);
    let outcome = login(SC_NETBOX_4_5, &case, &idp);
    assert!(!outcome.ok);
    assert_eq!(outcome.stage, "authorize");
}
