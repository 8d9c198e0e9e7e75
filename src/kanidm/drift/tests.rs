//! Drift between real client states (`tests/fixtures/kanidm/`) and plans, and the commands that fix it.

use super::*;
use crate::kanidm::client_state::parse_get_text;
use crate::plan::{PlanDraft, validate};

const ADMIN: &str = "kanidm system oauth2";

fn plan_with(edit: impl FnOnce(&mut PlanDraft)) -> Plan {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/keycloak-netbox-4.7.3.toml"
    );
    let mut draft = PlanDraft::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    draft.kanidm.origin = "https://localhost:8443".into();
    draft.netbox.url = "https://netbox.example.com".into();
    edit(&mut draft);
    validate(&draft).unwrap().0
}

fn plan() -> Plan {
    plan_with(|_| {})
}

fn fixture_17() -> OAuthClientState {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/kanidm/cli/17-oauth2-get-final.stdout"
    );
    parse_get_text(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .unwrap()
}

/// Fixture 17 brought to the plan: what `converge` should produce.
fn converged() -> OAuthClientState {
    OAuthClientState {
        pkce_disabled: false,
        consent_prompt: true,
        ..fixture_17()
    }
}

fn cmd(sub: &str, args: &str) -> String {
    format!("{ADMIN} {sub} --name idm_admin -- netbox{args}")
}

fn only(items: Vec<DriftItem>) -> DriftItem {
    assert_eq!(items.len(), 1, "{items:#?}");
    items.into_iter().next().unwrap()
}

#[test]
fn plan_is_as_expected() {
    let plan = plan();
    assert_eq!(plan.kanidm.pkce, Pkce::Enforced);
    assert!(plan.kanidm.short_usernames);
    assert!(plan.kanidm.consent_prompt);
    assert!(plan.kanidm.caps.consent_prompt_toggle);
    assert_eq!(
        plan.redirect_url(),
        "https://netbox.example.com/oauth/complete/oidc/"
    );
}

#[test]
fn fixture_17_drifts_in_pkce_and_consent_only() {
    let items = drift(&fixture_17(), &plan());
    let attributes: Vec<&str> = items.iter().map(|i| i.attribute).collect();
    assert_eq!(
        attributes,
        [
            "oauth2_allow_insecure_client_disable_pkce",
            "oauth2_consent_prompt_enable"
        ]
    );
    assert_eq!(items[0].expected, "enforced");
    assert_eq!(items[0].converge, [cmd("enable-pkce", "")]);
    assert_eq!(
        items[0].undo,
        [cmd("warning-insecure-client-disable-pkce", "")]
    );
    assert_eq!(
        (items[1].expected.as_str(), items[1].actual.as_str()),
        ("on", "off")
    );
    assert_eq!(items[1].converge, [cmd("enable-consent-prompt", "")]);
    assert_eq!(items[1].undo, [cmd("disable-consent-prompt", "")]);
    assert!(drift(&converged(), &plan()).is_empty());
}

#[test]
fn fixture_17_matches_a_pkce_disabled_no_consent_plan() {
    let plan = plan_with(|d| {
        d.kanidm.pkce = "disable".into();
        d.kanidm.consent_prompt = false;
    });
    assert_eq!(plan.kanidm.pkce, Pkce::Disabled);
    assert_eq!(drift(&fixture_17(), &plan), vec![]);
}

#[test]
fn consent_is_ignored_before_kanidm_1_9() {
    let plan = plan_with(|d| d.kanidm.version = "1.8.0".into());
    assert!(!plan.kanidm.caps.consent_prompt_toggle);
    let items = drift(&fixture_17(), &plan);
    assert_eq!(
        items.iter().map(|i| i.attribute).collect::<Vec<_>>(),
        ["oauth2_allow_insecure_client_disable_pkce"]
    );
}

#[test]
fn pkce_disabled_plan_against_enforcing_client() {
    let plan = plan_with(|d| d.kanidm.pkce = "disable".into());
    let item = only(drift(&converged(), &plan));
    assert_eq!(item.attribute, "oauth2_allow_insecure_client_disable_pkce");
    assert_eq!(item.actual, "enforced");
    assert_eq!(
        item.converge,
        [cmd("warning-insecure-client-disable-pkce", "")]
    );
    assert_eq!(item.undo, [cmd("enable-pkce", "")]);
    assert!(item.why.contains("No PKCE code challenge"));
}

#[test]
fn missing_redirect_url() {
    let state = OAuthClientState {
        redirect_urls: vec![],
        ..converged()
    };
    let item = only(drift(&state, &plan()));
    assert_eq!(item.attribute, "oauth2_rs_origin");
    assert_eq!(item.actual, "(none)");
    assert_eq!(
        item.converge,
        [cmd(
            "add-redirect-url",
            " https://netbox.example.com/oauth/complete/oidc/"
        )]
    );
    assert_eq!(
        item.undo,
        [cmd(
            "remove-redirect-url",
            " https://netbox.example.com/oauth/complete/oidc/"
        )]
    );
}

#[test]
fn redirect_trailing_slash_trap() {
    let state = OAuthClientState {
        redirect_urls: vec![
            "https://other.example.com/cb".into(),
            "https://netbox.example.com/oauth/complete/oidc".into(),
        ],
        ..converged()
    };
    let item = only(drift(&state, &plan()));
    assert!(item.why.contains("trailing slash"), "{}", item.why);
    assert_eq!(
        item.actual,
        "https://other.example.com/cb, https://netbox.example.com/oauth/complete/oidc"
    );
    assert_eq!(
        item.converge,
        [
            cmd(
                "add-redirect-url",
                " https://netbox.example.com/oauth/complete/oidc/"
            ),
            cmd(
                "remove-redirect-url",
                " https://netbox.example.com/oauth/complete/oidc"
            ),
        ]
    );
    assert_eq!(
        item.undo,
        [
            cmd(
                "remove-redirect-url",
                " https://netbox.example.com/oauth/complete/oidc/"
            ),
            cmd(
                "add-redirect-url",
                " https://netbox.example.com/oauth/complete/oidc"
            ),
        ]
    );
}

#[test]
fn redirect_http_vs_https_trap() {
    for (url, trap) in [
        (
            "http://netbox.example.com/oauth/complete/oidc/",
            "(http vs https;",
        ),
        (
            "http://netbox.example.com/oauth/complete/oidc",
            "(http vs https and trailing slash;",
        ),
    ] {
        let state = OAuthClientState {
            redirect_urls: vec![url.into()],
            ..converged()
        };
        let item = only(drift(&state, &plan()));
        assert!(item.why.contains(trap), "{}", item.why);
        assert!(item.why.contains("SOCIAL_AUTH_REDIRECT_IS_HTTPS"));
        assert_eq!(
            item.converge[1],
            cmd("remove-redirect-url", &format!(" {url}"))
        );
        assert_eq!(item.undo[1], cmd("add-redirect-url", &format!(" {url}")));
    }
}

#[test]
fn extra_redirect_urls_are_not_drift() {
    let mut state = converged();
    state
        .redirect_urls
        .push("https://elsewhere.example.com/cb".into());
    assert!(drift(&state, &plan()).is_empty());
}

#[test]
fn landing_url_without_trailing_slash() {
    let state = OAuthClientState {
        landing_url: Some("https://netbox.example.com".into()),
        ..converged()
    };
    let item = only(drift(&state, &plan()));
    assert_eq!(item.attribute, "oauth2_rs_origin_landing");
    assert_eq!(item.expected, "https://netbox.example.com/");
    assert_eq!(
        item.converge,
        [cmd("set-landing-url", " https://netbox.example.com/")]
    );
    assert_eq!(
        item.undo,
        [cmd("set-landing-url", " https://netbox.example.com")]
    );
    let unset = OAuthClientState {
        landing_url: None,
        ..converged()
    };
    let item = only(drift(&unset, &plan()));
    assert_eq!(item.actual, "(unset)");
    assert!(item.undo.is_empty());
}

#[test]
fn scope_map_missing_scope() {
    let mut state = converged();
    state.scope_maps.insert(
        "netbox_users@localhost".into(),
        ["openid".to_string(), "profile".to_string()].into(),
    );
    let item = only(drift(&state, &plan()));
    assert_eq!(item.attribute, "oauth2_rs_scope_map");
    assert_eq!(
        item.expected,
        "netbox_users@localhost: {email, openid, profile}"
    );
    assert_eq!(item.actual, "netbox_users@localhost: {openid, profile}");
    assert!(item.why.contains("lacks email"), "{}", item.why);
    assert_eq!(
        item.converge,
        [cmd(
            "update-scope-map",
            " netbox_users openid profile email"
        )]
    );
    assert_eq!(
        item.undo,
        [cmd("update-scope-map", " netbox_users openid profile")]
    );
}

#[test]
fn scope_map_absent_or_extra() {
    let mut state = converged();
    state.scope_maps.clear();
    state
        .scope_maps
        .insert("other@localhost".into(), ["openid".to_string()].into());
    let item = only(drift(&state, &plan()));
    assert_eq!(item.actual, "no scope map for netbox_users@localhost");
    assert_eq!(
        item.converge,
        [cmd(
            "update-scope-map",
            " netbox_users openid profile email"
        )]
    );
    assert_eq!(item.undo, [cmd("delete-scope-map", " netbox_users")]);

    let mut extra = converged();
    extra
        .scope_maps
        .get_mut("netbox_users@localhost")
        .unwrap()
        .insert("groups".into());
    let item = only(drift(&extra, &plan()));
    assert!(item.why.contains("never requests"), "{}", item.why);
    assert_eq!(
        item.undo,
        [cmd(
            "update-scope-map",
            " netbox_users email groups openid profile"
        )]
    );
}

#[test]
fn plan_extra_scopes_must_be_mapped() {
    let plan = plan_with(|d| d.kanidm.extra_scopes = vec!["groups".into()]);
    let item = only(drift(&converged(), &plan));
    assert!(item.why.contains("lacks groups"), "{}", item.why);
    assert_eq!(
        item.converge,
        [cmd(
            "update-scope-map",
            " netbox_users openid profile email groups"
        )]
    );
}

#[test]
fn legacy_crypto_on() {
    let state = OAuthClientState {
        legacy_crypto: true,
        ..converged()
    };
    let item = only(drift(&state, &plan()));
    assert_eq!(item.attribute, "oauth2_jwt_legacy_crypto_enable");
    assert_eq!(item.converge, [cmd("disable-legacy-crypto", "")]);
    assert_eq!(item.undo, [cmd("warning-enable-legacy-crypto", "")]);
}

#[test]
fn short_usernames_both_ways() {
    let state = OAuthClientState {
        prefer_short_username: false,
        ..converged()
    };
    let item = only(drift(&state, &plan()));
    assert_eq!(item.attribute, "oauth2_prefer_short_username");
    assert_eq!(item.converge, [cmd("prefer-short-username", "")]);
    assert_eq!(item.undo, [cmd("prefer-spn-username", "")]);

    let spn_plan = plan_with(|d| d.kanidm.short_usernames = false);
    let item = only(drift(&converged(), &spn_plan));
    assert_eq!(item.converge, [cmd("prefer-spn-username", "")]);
    assert_eq!(item.undo, [cmd("prefer-short-username", "")]);
}

#[test]
fn consent_disabled_plan_against_prompting_client() {
    let plan = plan_with(|d| d.kanidm.consent_prompt = false);
    let item = only(drift(&converged(), &plan));
    assert_eq!(item.converge, [cmd("disable-consent-prompt", "")]);
    assert_eq!(item.undo, [cmd("enable-consent-prompt", "")]);
}

#[test]
fn strict_redirect_off() {
    let state = OAuthClientState {
        strict_redirect: false,
        ..converged()
    };
    let item = only(drift(&state, &plan()));
    assert_eq!(item.attribute, "oauth2_strict_redirect_uri");
    assert_eq!(item.converge, [cmd("enable-strict-redirect-url", "")]);
    assert_eq!(item.undo, [cmd("disable-strict-redirect-url", "")]);
}

#[test]
fn display_name_is_quoted() {
    let state = OAuthClientState {
        display_name: Some("Old 'NetBox'".into()),
        ..converged()
    };
    let plan = plan_with(|d| d.kanidm.display_name = "NetBox DCIM".into());
    let item = only(drift(&state, &plan));
    assert_eq!(item.attribute, "displayname");
    assert_eq!(item.converge, [cmd("set-displayname", " 'NetBox DCIM'")]);
    assert_eq!(
        item.undo,
        [cmd("set-displayname", " 'Old '\\''NetBox'\\'''")]
    );
}

#[test]
fn drift_reports_only_compared_attributes_in_their_order() {
    let state = parse_get_text("---\nname: netbox\noauth2_allow_insecure_client_disable_pkce: true\noauth2_jwt_legacy_crypto_enable: true\n")
        .unwrap()
        .unwrap();
    let positions: Vec<usize> = drift(&state, &plan())
        .iter()
        .map(|i| {
            COMPARED_ATTRIBUTES
                .iter()
                .position(|a| *a == i.attribute)
                .unwrap_or_else(|| panic!("{} is not in COMPARED_ATTRIBUTES", i.attribute))
        })
        .collect();
    assert!(positions.len() >= 7, "{positions:?}");
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn everything_differs_from_a_fresh_client() {
    let state = parse_get_text("---\nname: netbox\n").unwrap().unwrap();
    let attributes: Vec<&str> = drift(&state, &plan()).iter().map(|i| i.attribute).collect();
    assert_eq!(
        attributes,
        [
            "oauth2_rs_origin",
            "oauth2_rs_origin_landing",
            "oauth2_rs_scope_map",
            "oauth2_prefer_short_username",
            "oauth2_strict_redirect_uri",
            "displayname"
        ]
    );
}

#[test]
fn words_are_quoted_only_when_needed() {
    assert_eq!(word("idm_admin"), "idm_admin");
    assert_eq!(word("https://a.example/x?y=1"), "'https://a.example/x?y=1'");
    assert_eq!(word(""), "''");
    assert_eq!(word("a b"), "'a b'");
    assert_eq!(word("$(rm)"), "'$(rm)'");
}
