//! The parsers against the real CLI's and REST API's output (`tests/fixtures/kanidm/`) and against
//! malformed input.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

const CLASSES: [&str; 9] = [
    "account",
    "key_object",
    "key_object_internal",
    "key_object_jwe_a128gcm",
    "key_object_jwt_es256",
    "memberof",
    "oauth2_resource_server",
    "oauth2_resource_server_basic",
    "object",
];

fn fixture(name: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kanidm");
    std::fs::read_to_string(format!("{dir}/{name}")).unwrap()
}

fn cli(name: &str) -> String {
    fixture(&format!("cli/{name}.stdout"))
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn scopes(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// The netbox client right after `create` (fixture 03).
fn netbox_created() -> OAuthClientState {
    OAuthClientState {
        name: "netbox".into(),
        display_name: Some("NetBox".into()),
        redirect_urls: vec![],
        landing_url: Some("https://netbox.example.com/".into()),
        scope_maps: BTreeMap::new(),
        sup_scope_maps: BTreeMap::new(),
        claim_maps: vec![],
        pkce_disabled: false,
        legacy_crypto: false,
        prefer_short_username: false,
        consent_prompt: true,
        strict_redirect: true,
        basic_secret_present: true,
        uuid: Some("f664bdf1-ce06-4ed8-a39f-1b35ced1a774".into()),
        spn: Some("netbox@localhost".into()),
        classes: strings(&CLASSES),
        other: BTreeMap::from([(
            "key_internal_data".to_string(),
            strings(&[
                "371b019fc66c: valid jws_es256 0",
                "f1c3422006cf: valid jwe_a128gcm 0",
            ]),
        )]),
    }
}

fn netbox_05() -> OAuthClientState {
    OAuthClientState {
        redirect_urls: strings(&["https://netbox.example.com/oauth/complete/oidc/"]),
        ..netbox_created()
    }
}

fn netbox_07() -> OAuthClientState {
    OAuthClientState {
        pkce_disabled: true,
        ..netbox_05()
    }
}

fn netbox_09() -> OAuthClientState {
    OAuthClientState {
        prefer_short_username: true,
        ..netbox_07()
    }
}

fn netbox_17() -> OAuthClientState {
    OAuthClientState {
        consent_prompt: false,
        scope_maps: BTreeMap::from([(
            "netbox_users@localhost".to_string(),
            scopes(&["email", "openid", "profile"]),
        )]),
        ..netbox_09()
    }
}

fn strict_23() -> OAuthClientState {
    OAuthClientState {
        name: "strict".into(),
        display_name: Some("Strict PKCE".into()),
        redirect_urls: strings(&["https://strict.example.com/oauth/complete/oidc/"]),
        landing_url: Some("https://strict.example.com/".into()),
        scope_maps: BTreeMap::from([(
            "netbox_users@localhost".to_string(),
            scopes(&["email", "openid", "profile"]),
        )]),
        sup_scope_maps: BTreeMap::new(),
        claim_maps: vec![],
        pkce_disabled: false,
        legacy_crypto: false,
        prefer_short_username: false,
        consent_prompt: true,
        strict_redirect: true,
        basic_secret_present: true,
        uuid: Some("0e6aad33-14b5-400b-96bb-66b60081a2cc".into()),
        spn: Some("strict@localhost".into()),
        classes: strings(&CLASSES),
        other: BTreeMap::from([(
            "key_internal_data".to_string(),
            strings(&[
                "4fd0ea497c50: valid jwe_a128gcm 0",
                "67e15e1a4f86: valid jws_es256 0",
            ]),
        )]),
    }
}

#[test]
fn fixture_03_after_create() {
    let state = parse_get_text(&cli("03-oauth2-get-after-create")).unwrap();
    assert_eq!(state, Some(netbox_created()));
}

#[test]
fn fixture_05_text_and_json_agree() {
    let text = parse_get_text(&cli("05-oauth2-get-before-pkce-shortname")).unwrap();
    let json = parse_get_json(&cli("05j-oauth2-get-before-pkce-shortname-json")).unwrap();
    assert_eq!(text, Some(netbox_05()));
    assert_eq!(json, text);
}

#[test]
fn fixture_07_pkce_disabled() {
    let state = parse_get_text(&cli("07-oauth2-get-after-disable-pkce")).unwrap();
    assert_eq!(state, Some(netbox_07()));
}

#[test]
fn fixture_09_text_and_json_agree() {
    let text = parse_get_text(&cli("09-oauth2-get-after-pkce-shortname")).unwrap();
    let json = parse_get_json(&cli("09j-oauth2-get-after-pkce-shortname-json")).unwrap();
    assert_eq!(text, Some(netbox_09()));
    assert_eq!(json, text);
}

#[test]
fn fixture_17_text_and_json_agree() {
    let text = parse_get_text(&cli("17-oauth2-get-final")).unwrap();
    let json = parse_get_json(&cli("17j-oauth2-get-final-json")).unwrap();
    assert_eq!(text, Some(netbox_17()));
    assert_eq!(json, text);
    assert_eq!(text.unwrap().domain(), Some("localhost"));
}

#[test]
fn fixture_18_list_text_and_json_agree() {
    let text = parse_list_text(&cli("18-oauth2-list")).unwrap();
    let json = parse_list_json(&cli("18j-oauth2-list-json")).unwrap();
    assert_eq!(text, vec![netbox_17()]);
    assert_eq!(json, text);
}

#[test]
fn fixture_23_strict_client() {
    let state = parse_get_text(&cli("23-strict-get")).unwrap();
    assert_eq!(state, Some(strict_23()));
}

#[test]
fn fixture_01_empty_list() {
    assert_eq!(
        parse_list_text(&cli("01-oauth2-list-empty")).unwrap(),
        vec![]
    );
    let err = parse_list_text("---\nname: a\n---\nclass: x\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: the client has no `name` attribute"
    );
}

#[test]
fn missing_client_is_none() {
    assert_eq!(
        parse_get_text(&cli("30-oauth2-get-nonexistent")).unwrap(),
        None
    );
    assert_eq!(
        parse_get_text(&cli("85-oauth2-get-netbox-as-admin")).unwrap(),
        None
    );
    assert_eq!(parse_list_text("No matching entries\n").unwrap(), vec![]);
    assert_eq!(
        parse_get_json(&fixture("http/rest-v1-oauth2-doesnotexist.body")).unwrap(),
        None
    );
    assert_eq!(parse_list_json("null").unwrap(), vec![]);
}

#[test]
fn rest_api_shapes() {
    assert_eq!(
        parse_get_json(&fixture("http/rest-v1-oauth2-netbox.json")).unwrap(),
        Some(netbox_17())
    );
    assert_eq!(
        parse_list_json(&fixture("http/rest-v1-oauth2-list.json")).unwrap(),
        vec![netbox_17()]
    );
}

#[test]
fn two_clients_listed_in_order() {
    let text = format!("{}{}", cli("17-oauth2-get-final"), cli("23-strict-get"));
    assert_eq!(
        parse_list_text(&text).unwrap(),
        vec![netbox_17(), strict_23()]
    );
    let err = parse_get_text(&text).unwrap_err();
    assert!(err.message.contains("found 2 `---` blocks"), "{err}");
}

#[test]
fn other_attributes_are_kept_and_crlf_is_accepted() {
    let text = "---\r\nname: app\r\noauth2_allow_localhost_redirect: true\r\n\
                oauth2_rs_claim_map: groups:netbox_users@localhost:\",\":\"admin\"\r\n\
                oauth2_rs_sup_scope_map: admins@localhost: {\"groups\"}\r\n\
                oauth2_jwt_legacy_crypto_enable: true\r\n\
                oauth2_rs_scope_map: empty@localhost: {}\r\n\
                oauth2_refresh_token_expiry: 3600\r\n";
    let state = parse_get_text(text).unwrap().unwrap();
    assert_eq!(state.name, "app");
    assert!(state.legacy_crypto);
    assert!(!state.strict_redirect);
    assert!(state.consent_prompt);
    assert!(!state.basic_secret_present);
    assert_eq!(
        state.claim_maps,
        strings(&["groups:netbox_users@localhost:\",\":\"admin\""])
    );
    assert_eq!(
        state.sup_scope_maps,
        BTreeMap::from([("admins@localhost".to_string(), scopes(&["groups"]))])
    );
    assert_eq!(
        state.scope_maps,
        BTreeMap::from([("empty@localhost".to_string(), BTreeSet::new())])
    );
    assert_eq!(
        state.other,
        BTreeMap::from([
            (
                "oauth2_allow_localhost_redirect".to_string(),
                strings(&["true"])
            ),
            (
                "oauth2_refresh_token_expiry".to_string(),
                strings(&["3600"])
            ),
        ])
    );
}

#[test]
fn secret_value_is_never_kept() {
    let state = parse_get_text("---\nname: x\noauth2_rs_basic_secret: s3cr3t-value\n")
        .unwrap()
        .unwrap();
    assert!(state.basic_secret_present);
    assert!(!format!("{state:?}").contains("s3cr3t"));
}

#[test]
fn errors_name_the_line() {
    let cases: [(&str, &str); 11] = [
        (
            "---\nname: a\noauth2_rs_scope_map: nomap\n",
            "line 3: `oauth2_rs_scope_map` should be `group@domain: {\"scope\", …}`, found \"nomap\"",
        ),
        ("", "the output is empty"),
        ("name: netbox\n", "line 1: expected `---`"),
        (
            "---\nname: netbox\ngarbage\n",
            "line 3: expected `attribute: value`, found \"garbage\"",
        ),
        (
            "---\nName: netbox\n",
            "line 2: \"Name\" is not a Kanidm attribute name",
        ),
        (
            "---\ndisplayname: a\n",
            "line 1: the client has no `name` attribute",
        ),
        (
            "---\nname: a\n\n---\n",
            "expected one client, found 2 `---` blocks",
        ),
        ("---\nname: a\nname: b\n", "line 3: `name` appears 2 times"),
        (
            "---\nname: a\noauth2_strict_redirect_uri: yes\n",
            "line 3: `oauth2_strict_redirect_uri` must be `true` or `false`, found \"yes\"",
        ),
        (
            "---\nname: a\noauth2_rs_scope_map: g@d: {\"openid\"\n",
            "line 3: `oauth2_rs_scope_map` for g@d: expected `{\"scope\", …}`, found",
        ),
        (
            "---\nname: a\noauth2_rs_scope_map: g@d: {\"openid}\n",
            "line 3: `oauth2_rs_scope_map` for g@d: a scope's closing `\"` is missing",
        ),
    ];
    for (input, expected) in cases {
        let err = parse_get_text(input).unwrap_err().to_string();
        assert!(
            err.starts_with(expected) || err.contains(expected),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn json_errors() {
    let cases: [(&str, &str); 6] = [
        ("", "not valid JSON"),
        ("{\"attrs\":", "line 1: not valid JSON"),
        ("[1]", "the client is not a JSON object"),
        (
            "{\"attrs\":{\"name\":\"netbox\"}}",
            "attribute `name` is not a list of strings",
        ),
        (
            "{\"attrs\":{\"name\":[1]}}",
            "holds a value that is not a string",
        ),
        (
            "{\"attrs\":{\"class\":[\"x\"]}}",
            "the client: the client has no `name` attribute",
        ),
    ];
    for (input, expected) in cases {
        let err = parse_get_json(input).unwrap_err().to_string();
        assert!(err.contains(expected), "{input:?}: {err}");
    }
    let err = parse_list_json("[{\"name\":[\"a\"]},{\"name\":[\"b\",\"c\"]}]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "client 2: `name` appears 2 times, but a client has only one"
    );
    assert!(
        parse_list_json("{}")
            .unwrap_err()
            .to_string()
            .contains("array")
    );
}

#[test]
fn huge_and_odd_inputs_do_not_panic() {
    let huge = "x".repeat(MAX_INPUT_BYTES + 1);
    assert!(parse_get_text(&huge).unwrap_err().message.contains("bytes"));
    assert!(parse_get_json(&huge).is_err());
    let deep = "[".repeat(100_000);
    assert!(parse_list_json(&deep).is_err());
    assert!(parse_get_text("---\n\u{0}: \u{fffd}\n").is_err());
    let truncated = &cli("17-oauth2-get-final")[..200];
    let _ = parse_get_text(truncated);
}
