//! JWKS: the keys NetBox will verify ID tokens with, against the allowed algorithms.

use super::Finding;
use super::discovery::{ALLOWED_ALGORITHMS, excerpt, worst};
use super::http::{Captured, FetchError, HttpClient};
use crate::plan::Plan;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default, rename = "use")]
    usage: Option<String>,
}

pub async fn fetch(
    http: &HttpClient,
    jwks_uri: &str,
    deadline: Duration,
) -> Result<Captured, FetchError> {
    http.get(jwks_uri)
        .header("accept", "application/json")
        .send(deadline)
        .await
}

/// The algorithm a key can verify, from its type and curve.
fn natural_alg(key: &Jwk) -> Option<&'static str> {
    match (key.kty.as_str(), key.crv.as_deref()) {
        ("EC", Some("P-256")) => Some("ES256"),
        ("EC", Some("P-384")) => Some("ES384"),
        ("RSA", _) => Some("RS256"),
        _ => None,
    }
}

/// The signing algorithms NetBox will accept, as far as nbsso can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedAlgorithms {
    /// The plan names no configuration.py: the generated settings' list (ES256, RS256) is assumed.
    Planned,
    /// configuration.py sets `SOCIAL_AUTH_OIDC_JWT_ALGORITHMS` to this list.
    Configured(Vec<String>),
    /// configuration.py sets up the OIDC backend but not `JWT_ALGORITHMS`: social-core's default, RS256 only.
    SocialCoreDefault,
    /// configuration.py could not be read or judged (the reason); the planned list is assumed.
    Unknown(String),
}

/// social-core's `OpenIdConnectAuth.JWT_ALGORITHMS` (5.2.0, the release NetBox 4.7.3 pins).
pub const SOCIAL_CORE_DEFAULT_ALGORITHMS: [&str; 1] = ["RS256"];

/// The value of the last top-level assignment `name = …` in Python source, up to its closing bracket.
fn assignment<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let mut found = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(name) {
            let rest = rest.trim_start();
            if let Some(value) = rest.strip_prefix('=')
                && !value.starts_with('=')
            {
                let start = offset + (line.len() - value.len());
                found = Some(&text[start..]);
            }
        }
        offset += line.len();
    }
    let value = found?.trim_start();
    let (open, close) = match value.chars().next()? {
        '[' => ('[', ']'),
        '(' => ('(', ')'),
        _ => return Some(value.lines().next().unwrap_or_default()),
    };
    let mut depth = 0;
    for (i, c) in value.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(&value[..=i]);
            }
        }
    }
    Some(value)
}

/// What configuration.py's text allows (pure; the engine reads the file).
pub fn allowed_in_configuration(text: &str) -> AllowedAlgorithms {
    allowed_in_configuration_for(text, "SOCIAL_AUTH_OIDC_")
}

/// As [`allowed_in_configuration`], for the backend whose settings start with `prefix`
/// (`SOCIAL_AUTH_KANIDM_` when the plan gives Kanidm a backend name of its own).
pub fn allowed_in_configuration_for(text: &str, prefix: &str) -> AllowedAlgorithms {
    let algorithms = format!("{prefix}JWT_ALGORITHMS");
    let Some(value) = assignment(text, &algorithms) else {
        return if assignment(text, &format!("{prefix}OIDC_ENDPOINT")).is_some() {
            AllowedAlgorithms::SocialCoreDefault
        } else {
            AllowedAlgorithms::Unknown(
                "configuration.py does not set SOCIAL_AUTH_OIDC_OIDC_ENDPOINT itself (are the settings included from another file?)".into(),
            )
        };
    };
    let literal = (value.starts_with('[') && value.ends_with(']'))
        || (value.starts_with('(') && value.ends_with(')'));
    if !literal {
        return AllowedAlgorithms::Unknown(format!(
            "{algorithms} = {} is not a plain list",
            value.trim()
        ));
    }
    let mut list = Vec::new();
    let mut rest = &value[1..value.len() - 1];
    while let Some(q) = rest.find(['\'', '"']) {
        let quote = &rest[q..=q];
        let after = &rest[q + 1..];
        let Some(end) = after.find(quote) else { break };
        list.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    AllowedAlgorithms::Configured(list)
}

/// The allowed algorithms for a plan: read from its configuration.py when it names one.
/// `read` is what reading that file gave (`None` when the plan names none).
pub fn allowed_algorithms(read: Option<Result<String, String>>) -> AllowedAlgorithms {
    allowed_algorithms_for(read, "SOCIAL_AUTH_OIDC_")
}

/// As [`allowed_algorithms`], for the plan's backend settings prefix.
pub fn allowed_algorithms_for(
    read: Option<Result<String, String>>,
    prefix: &str,
) -> AllowedAlgorithms {
    match read {
        None => AllowedAlgorithms::Planned,
        Some(Ok(text)) => allowed_in_configuration_for(&text, prefix),
        Some(Err(e)) => AllowedAlgorithms::Unknown(format!("cannot read configuration.py: {e}")),
    }
}

pub fn evaluate(plan: &Plan, captured: &Captured, allowed: &AllowedAlgorithms) -> Finding {
    let url = captured.url.as_str();
    if captured.status != 200 {
        return Finding::fail(format!("the JWKS answered HTTP {}", captured.status)).with_detail(
            format!(
                "GET {url} → {} {}",
                captured.status,
                excerpt(&captured.text())
            ),
        );
    }
    let set: JwkSet = match serde_json::from_slice(&captured.body) {
        Ok(set) => set,
        Err(e) => {
            return Finding::fail(format!("the JWKS is not a JSON key set ({e})"))
                .with_detail(format!("GET {url} → 200 {}", excerpt(&captured.text())));
        }
    };
    if set.keys.is_empty() {
        return Finding::fail("the JWKS holds no key: NetBox cannot verify any ID token").with_fix(
            format!(
                "kanidm system oauth2 rotate-cryptographic-keys {} now --name {}",
                plan.kanidm.client, plan.kanidm.admin
            ),
        );
    }
    let mut problems = Vec::new();
    let mut details = vec![format!("GET {url} → 200, {} key(s)", set.keys.len())];
    let list: Vec<String> = match allowed {
        AllowedAlgorithms::Configured(list) => {
            details.push(format!(
                "configuration.py: SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = {list:?}"
            ));
            list.clone()
        }
        AllowedAlgorithms::SocialCoreDefault => {
            details.push(
                "configuration.py does not set SOCIAL_AUTH_OIDC_JWT_ALGORITHMS: social-core allows RS256 only"
                    .into(),
            );
            SOCIAL_CORE_DEFAULT_ALGORITHMS.map(str::to_string).to_vec()
        }
        AllowedAlgorithms::Unknown(why) => {
            details.push(format!("{why}; assuming the generated ES256, RS256"));
            ALLOWED_ALGORITHMS.map(str::to_string).to_vec()
        }
        AllowedAlgorithms::Planned => ALLOWED_ALGORITHMS.map(str::to_string).to_vec(),
    };
    let first = list.first().map(String::as_str).unwrap_or("RS256");
    let not_allowed = |alg: &str, kid: &str| -> Finding {
        if *allowed == AllowedAlgorithms::SocialCoreDefault {
            Finding::fail(format!(
                "key {kid} is for {alg}, but configuration.py does not set SOCIAL_AUTH_OIDC_JWT_ALGORITHMS, so social-core allows only RS256: every login fails with \"Token error: The specified alg value is not allowed\""
            ))
            .with_fix("add SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256'] (it is in netbox-sso.py) to configuration.py and restart NetBox")
        } else {
            Finding::fail(format!(
                "key {kid} is for {alg}, which NetBox's JWT_ALGORITHMS ({}) does not allow: logins fail with \"Token error: The specified alg value is not allowed\"",
                list.join(", ")
            ))
            .with_fix("SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256'] in configuration.py, then restart NetBox")
        }
    };
    for key in &set.keys {
        let kid = key.kid.as_deref().unwrap_or("(no kid)");
        let natural = natural_alg(key);
        details.push(format!(
            "key {kid}: {} {} alg {} use {}",
            key.kty,
            key.crv.as_deref().unwrap_or(""),
            key.alg.as_deref().unwrap_or("(none)"),
            key.usage.as_deref().unwrap_or("(none)")
        ));
        if key.kid.is_none() {
            problems.push(Finding::warn(
                "a key has no kid: NetBox then tries every key, and a key rotation may break logins",
            ));
        }
        match (&key.alg, natural) {
            (Some(alg), _) if !list.contains(alg) => problems.push(not_allowed(alg, kid)),
            (Some(alg), Some(nat)) if alg != nat => problems.push(Finding::fail(format!(
                "key {kid} says alg {alg} but is a {} key ({nat})",
                key.kty
            ))),
            (None, Some(nat)) if nat == first => details.push(format!(
                "key {kid} has no alg: social-core assumes the first allowed algorithm, {first}, which fits"
            )),
            (None, Some(nat)) => problems.push(
                Finding::fail(format!(
                    "key {kid} has no alg and is a {nat} key: social-core assumes {first} for it{}",
                    if first == "ES256" { " (\"Not an RSA key\")" } else { "" }
                ))
                .with_fix("SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['RS256', 'ES256'] for this IdP, or use Kanidm's ES256 keys"),
            ),
            (None, None) => problems.push(Finding::fail(format!(
                "key {kid} is of an unknown type {} and has no alg",
                key.kty
            ))),
            _ => {}
        }
    }
    match worst(problems) {
        Some(mut f) => {
            f.details.extend(details);
            f
        }
        None => {
            let algs: Vec<&str> = set
                .keys
                .iter()
                .filter_map(|k| k.alg.as_deref().or(natural_alg(k)))
                .collect();
            let mut f = Finding::pass(format!(
                "{} signing key(s), {}",
                set.keys.len(),
                algs.join(", ")
            ));
            f.details = details;
            f
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::super::test_support::{captured, plan_for};
    use super::*;

    const NETBOX: &[u8] = include_bytes!("../../tests/fixtures/kanidm/http/jwks-netbox.json");

    #[test]
    fn kanidm_es256_key_passes() {
        let f = evaluate(
            &plan_for("4.7.3", "netbox"),
            &captured(200, NETBOX),
            &AllowedAlgorithms::Planned,
        );
        assert_eq!(f.status, Status::Pass, "{f:#?}");
        assert_eq!(f.summary, "1 signing key(s), ES256");
    }

    #[test]
    fn a_key_without_alg() {
        let plan = plan_for("4.7.3", "netbox");
        let ec = String::from_utf8_lossy(NETBOX).replace("\"alg\":\"ES256\",", "");
        assert_eq!(
            evaluate(
                &plan,
                &captured(200, ec.as_bytes()),
                &AllowedAlgorithms::Planned
            )
            .status,
            Status::Pass
        );
        let rsa = br#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k1","use":"sig"}]}"#;
        let f = evaluate(&plan, &captured(200, rsa), &AllowedAlgorithms::Planned);
        assert_eq!(f.status, Status::Fail);
        assert!(f.summary.contains("Not an RSA key"), "{}", f.summary);
    }

    #[test]
    fn broken_and_empty_sets_fail() {
        let plan = plan_for("4.7.3", "netbox");
        assert_eq!(
            evaluate(
                &plan,
                &captured(200, b"{\"keys\":[]}"),
                &AllowedAlgorithms::Planned
            )
            .status,
            Status::Fail
        );
        assert_eq!(
            evaluate(&plan, &captured(200, b"[1,2]"), &AllowedAlgorithms::Planned).status,
            Status::Fail
        );
        assert_eq!(
            evaluate(
                &plan,
                &captured(404, b"\"nomatchingentries\""),
                &AllowedAlgorithms::Planned
            )
            .status,
            Status::Fail
        );
        let hs = br#"{"keys":[{"kty":"oct","alg":"HS256","kid":"x"}]}"#;
        assert!(
            evaluate(&plan, &captured(200, hs), &AllowedAlgorithms::Planned)
                .summary
                .contains("HS256")
        );
    }

    const CONFIG: &str = "DEBUG = False\nSOCIAL_AUTH_OIDC_OIDC_ENDPOINT = 'https://idm.example.com/oauth2/openid/netbox'\n";

    #[test]
    fn configuration_py_decides_the_allowed_algorithms() {
        assert_eq!(
            allowed_in_configuration(CONFIG),
            AllowedAlgorithms::SocialCoreDefault
        );
        let listed =
            format!("{CONFIG}SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', \"RS256\"]  # Kanidm\n");
        assert_eq!(
            allowed_in_configuration(&listed),
            AllowedAlgorithms::Configured(vec!["ES256".into(), "RS256".into()])
        );
        // The last assignment wins, across lines, and indented or compared names do not count.
        let later = format!(
            "{listed}if DEBUG:\n    SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = []\nSOCIAL_AUTH_OIDC_JWT_ALGORITHMS = (\n    'RS256',\n)\nSOCIAL_AUTH_OIDC_JWT_ALGORITHMS == 1\n"
        );
        assert_eq!(
            allowed_in_configuration(&later),
            AllowedAlgorithms::Configured(vec!["RS256".into()])
        );
        assert!(matches!(
            allowed_in_configuration("from .sso import *\n"),
            AllowedAlgorithms::Unknown(_)
        ));
        assert!(matches!(
            allowed_in_configuration("SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ALGS\n"),
            AllowedAlgorithms::Unknown(_)
        ));
        assert_eq!(allowed_algorithms(None), AllowedAlgorithms::Planned);
        assert!(matches!(
            allowed_algorithms(Some(Err("gone".into()))),
            AllowedAlgorithms::Unknown(_)
        ));
    }

    #[test]
    fn es256_keys_fail_when_configuration_py_leaves_social_core_s_default() {
        let plan = plan_for("4.7.3", "netbox");
        let f = evaluate(
            &plan,
            &captured(200, NETBOX),
            &allowed_in_configuration(CONFIG),
        );
        assert_eq!(f.status, Status::Fail, "{f:#?}");
        assert!(
            f.summary
                .contains("does not set SOCIAL_AUTH_OIDC_JWT_ALGORITHMS")
                && f.summary.contains("The specified alg value is not allowed"),
            "{}",
            f.summary
        );
        assert!(f.fix.unwrap().contains("['ES256', 'RS256']"));
        let rs_only = AllowedAlgorithms::Configured(vec!["RS256".into()]);
        let f = evaluate(&plan, &captured(200, NETBOX), &rs_only);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.summary.contains("JWT_ALGORITHMS (RS256)"),
            "{}",
            f.summary
        );
        let ok = allowed_in_configuration(&format!(
            "{CONFIG}SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256']\n"
        ));
        assert_eq!(
            evaluate(&plan, &captured(200, NETBOX), &ok).status,
            Status::Pass
        );
    }
}
