use super::*;
use crate::checks::{CheckId, Finding};
use std::path::Path;

fn shipped() -> &'static Catalogue {
    catalogue().unwrap()
}

#[test]
fn the_shipped_catalogue_parses_and_names_only_known_checks() {
    let cat = shipped();
    assert!(cat.entries.len() >= 30, "{} entries", cat.entries.len());
    for entry in &cat.entries {
        for cause in &entry.causes {
            if let Some(key) = &cause.check {
                assert!(CheckId::from_key(key).is_some(), "{}: {key}", entry.id);
            }
            for also in &cause.also {
                assert!(
                    CheckId::from_key(&also.check).is_some(),
                    "{}: {}",
                    entry.id,
                    also.check
                );
            }
            assert!(
                unknown_placeholders(&cause.fix).is_empty(),
                "{}: unknown placeholder in {:?}",
                entry.id,
                cause.fix
            );
        }
    }
    // Every check can lead to at least one entry.
    for id in CheckId::ALL {
        assert!(!cat.for_check(id).is_empty(), "no entry for {id:?}");
    }
}

/// A cause's `finding` words must be words a check really says: read them in the checks' source.
#[test]
fn finding_words_are_in_the_checks_source() {
    fn sources(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut text = String::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks"),
        &mut text,
    );
    for entry in &shipped().entries {
        for cause in &entry.causes {
            for (_, words) in cause.confirmations() {
                if let Some(words) = words {
                    assert!(
                        text.contains(words),
                        "{}: no check says {words:?}",
                        entry.id
                    );
                }
            }
        }
    }
}

fn parse_err(text: &str) -> String {
    Catalogue::parse(text).unwrap_err().to_string()
}

const GOOD: &str = r#"
[[entry]]
id = "one"
title = "t"
component = "kanidmd"
seen = "s"
match = ["boom"]
source = "src"
[[entry.cause]]
why = "w"
check = "clock"
fix = "f"
"#;

#[test]
fn broken_catalogues_are_refused_with_the_entry_named() {
    assert!(Catalogue::parse(GOOD).is_ok());
    assert_eq!(
        parse_err(&GOOD.replace("\"clock\"", "\"clocks\"")),
        "catalogue entry one: unknown check \"clocks\"; the checks are kanidm-tls, discovery, jwks, clock, netbox-login, redirect, authorise"
    );
    assert!(parse_err(&format!("{GOOD}{}", GOOD)).contains("used twice"));
    assert!(parse_err(&GOOD.replace("match = [\"boom\"]", "regex = [\"(\"]")).contains("pattern"));
    assert!(parse_err(&GOOD.replace("match = [\"boom\"]", "")).contains("no text to match"));
    assert!(
        parse_err(&GOOD.replace("check = \"clock\"", "finding = \"x\""))
            .contains("finding or also without a check")
    );
    assert!(parse_err(&GOOD.replace("fix = \"f\"", "fix = \" \"")).contains("has no fix"));
    assert!(parse_err(&GOOD.replace("id = \"one\"", "id = \"One\"")).contains("lower-case"));
    assert!(
        parse_err(&GOOD.replace("kanidmd", "netbox-ui"))
            .starts_with("the error catalogue is not valid TOML")
    );
    assert!(
        parse_err(&GOOD.replace("seen = \"s\"", "seen = \"s\"\ncolour = 1"))
            .contains("unknown field")
    );
}

#[test]
fn colour_codes_are_removed_before_matching() {
    let line = "\u{1b}[2m2026-11-22T13:00:26.521208Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m \u{1b}[2mkanidm_cli\u{1b}[0m\u{1b}[2m:\u{1b}[0m HTTP Error: 400 Bad Request InvalidAttribute(\"Invalid Oauth Scope Map syntax\")";
    assert_eq!(
        strip_ansi(line),
        "2026-11-22T13:00:26.521208Z ERROR kanidm_cli: HTTP Error: 400 Bad Request InvalidAttribute(\"Invalid Oauth Scope Map syntax\")"
    );
    let found = explain(shipped(), line);
    assert_eq!(found.primary().unwrap().entry.id, "cli-scope-map-syntax");
}

#[test]
fn a_cause_comes_before_symptoms_and_harmless_lines_whatever_the_order() {
    let text = "WARN kanidm_client: Mismatched client and server version - features may not work, or other unforeseen errors may occur.\n\
                social_core.exceptions.AuthTokenError: Token error: Incorrect id_token: nbf\n\
                Single sign-on failed. Please try again or contact your administrator.\n";
    let found = explain(shipped(), text);
    let ids: Vec<&str> = found.matches.iter().map(|m| m.entry.id.as_str()).collect();
    assert_eq!(
        ids,
        ["token-nbf", "single-sign-on-failed", "cli-version-mismatch"]
    );
    assert_eq!(found.primary().unwrap().line, 2);
    assert_eq!(found.lines, 3);
    assert!(!only_harmless(&found));
}

#[test]
fn the_most_telling_pattern_picks_the_line() {
    // kanidmd logs the reason first and the OAuth2 error code after it: the reason is the line.
    let text = "ERROR [error]: No PKCE code challenge was provided with client in enforced PKCE mode | event_tag_id: 12\n\
                ERROR [error]: Unable to authorise - Error ID: f3c3 error: invalid_request | event_tag_id: 1\n";
    let found = explain(shipped(), text);
    assert_eq!(found.matches.len(), 1);
    let m = found.primary().unwrap();
    assert_eq!(
        (m.entry.id.as_str(), m.line, m.pattern),
        ("pkce-missing", 1, 0)
    );
}

#[test]
fn unrelated_text_matches_nothing() {
    let found = explain(
        shipped(),
        "everything is fine\nGET /api/dcim/devices/ 200\n",
    );
    assert!(found.is_empty());
    assert_eq!(found.lines, 2);
}

#[test]
fn long_lines_are_shortened_in_the_match() {
    let text = format!(
        "{} Error Code: InvalidState {}",
        "x".repeat(400),
        "y".repeat(400)
    );
    let m = explain(shipped(), &text).matches.remove(0);
    assert_eq!(m.text.chars().count(), 301);
    assert!(m.text.ends_with('…'));
}

fn finding(status: crate::checks::Status, summary: &str) -> Finding {
    Finding::new(status, summary)
}

#[test]
fn verdicts_follow_the_checks_words() {
    use crate::checks::Status;
    let entry = shipped().get("token-nbf").unwrap();
    let behind = [(
        CheckId::Clock,
        finding(
            Status::Fail,
            "NetBox is 1.843 s ± 0.006 s behind Kanidm: every login fails",
        ),
    )];
    let judged = judge(entry, &behind);
    assert_eq!(judged[0].verdict, Verdict::Confirmed);
    assert_eq!(
        which(&judged).map(|j| j.cause.why.as_str()),
        Some(entry.causes[0].why.as_str())
    );

    let ahead = [(
        CheckId::Clock,
        finding(
            Status::Fail,
            "NetBox is 700.000 s ± 0.010 s ahead of Kanidm: every login fails",
        ),
    )];
    assert_eq!(judge(entry, &ahead)[0].verdict, Verdict::OtherProblem);
    let fine = [(
        CheckId::Clock,
        finding(
            Status::Pass,
            "NetBox is 0.250 s ± 0.010 s ahead of Kanidm: social-core accepts Kanidm's tokens",
        ),
    )];
    let judged = judge(entry, &fine);
    assert_eq!(judged[0].verdict, Verdict::RuledOut);
    assert!(judged[0].evidence.as_deref().unwrap().contains("accepts"));
    assert!(which(&judged).is_none());
    let down = [(CheckId::Clock, Finding::unreachable("cannot reach Kanidm"))];
    assert_eq!(judge(entry, &down)[0].verdict, Verdict::Unknown);
    assert_eq!(judge(entry, &[])[0].verdict, Verdict::Unknown);

    let secret = shipped().get("client-secret-rejected").unwrap();
    assert_eq!(judge(secret, &behind)[0].verdict, Verdict::NoCheck);
}

#[test]
fn a_failed_check_links_to_its_entry() {
    use crate::checks::Status;
    let cases = [
        (
            CheckId::Clock,
            "NetBox is 1.843 s ± 0.006 s behind Kanidm: every login fails with \"Incorrect id_token: nbf\" or \"The token is not yet valid (iat)\"",
            Some("token-nbf"),
        ),
        (
            CheckId::Jwks,
            "key k1 is for ES256, but configuration.py does not set SOCIAL_AUTH_OIDC_JWT_ALGORITHMS, so social-core allows only RS256: every login fails with \"Token error: The specified alg value is not allowed\"",
            Some("alg-not-allowed"),
        ),
        (
            CheckId::Authorise,
            "Kanidm enforces PKCE and NetBox sends no challenge: logins stop at Kanidm (\"No PKCE code challenge was provided\")",
            Some("pkce-missing"),
        ),
        (
            CheckId::Redirect,
            "NetBox sends no PKCE challenge, but Kanidm enforces PKCE: the login stops at Kanidm",
            Some("pkce-missing"),
        ),
        (
            CheckId::Authorise,
            "Kanidm refuses https://netbox.example.com/oauth/complete/oidc/: it is not registered exactly for netbox (\"Invalid OAuth2 redirect_uri\")",
            Some("redirect-mismatch"),
        ),
    ];
    for (check, summary, entry) in cases {
        let found = for_finding(shipped(), check, &finding(Status::Fail, summary));
        assert_eq!(found.map(|e| e.id.as_str()), entry, "{summary}");
    }
    let ok = finding(
        Status::Pass,
        "NetBox sends redirect_uri https://netbox.example.com/oauth/complete/oidc/",
    );
    assert!(for_finding(shipped(), CheckId::Redirect, &ok).is_none());
}

#[test]
fn fixes_name_the_plans_values() {
    let values = FixValues::new(None);
    assert_eq!(
        values.render("kanidm system oauth2 add-redirect-url {client} {redirect} --name {admin}"),
        "kanidm system oauth2 add-redirect-url netbox https://<netbox>/oauth/complete/oidc/ --name idm_admin"
    );
    assert_eq!(
        values.render("{1: '<key>'} {unknown}"),
        "{1: '<key>'} {unknown}"
    );
    assert_eq!(
        unknown_placeholders("{client} {cliant} {1: 'x'}"),
        ["cliant"]
    );
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/authentik-netbox-4.5.2.toml"),
    )
    .unwrap();
    let plan = crate::plan::validate(&crate::plan::PlanDraft::from_toml(&text).unwrap())
        .unwrap()
        .0;
    let values = FixValues::new(Some(&plan));
    assert_eq!(values.render("{redirect}"), plan.redirect_url());
    assert_eq!(values.render("{issuer}"), plan.issuer());
}
