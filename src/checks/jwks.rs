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

pub fn evaluate(plan: &Plan, captured: &Captured) -> Finding {
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
            (Some(alg), _) if !ALLOWED_ALGORITHMS.contains(&alg.as_str()) => problems.push(Finding::fail(format!(
                "key {kid} is for {alg}, which NetBox's JWT_ALGORITHMS (ES256, RS256) does not allow"
            ))),
            (Some(alg), Some(nat)) if alg != nat => problems.push(Finding::fail(format!(
                "key {kid} says alg {alg} but is a {} key ({nat})",
                key.kty
            ))),
            (None, Some("ES256")) => details.push(format!(
                "key {kid} has no alg: social-core assumes the first allowed algorithm, ES256, which fits"
            )),
            (None, Some(nat)) => problems.push(
                Finding::fail(format!(
                    "key {kid} has no alg and is a {nat} key: social-core assumes ES256 for it (\"Not an RSA key\")"
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
        let f = evaluate(&plan_for("4.7.3", "netbox"), &captured(200, NETBOX));
        assert_eq!(f.status, Status::Pass, "{f:#?}");
        assert_eq!(f.summary, "1 signing key(s), ES256");
    }

    #[test]
    fn a_key_without_alg() {
        let plan = plan_for("4.7.3", "netbox");
        let ec = String::from_utf8_lossy(NETBOX).replace("\"alg\":\"ES256\",", "");
        assert_eq!(
            evaluate(&plan, &captured(200, ec.as_bytes())).status,
            Status::Pass
        );
        let rsa = br#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k1","use":"sig"}]}"#;
        let f = evaluate(&plan, &captured(200, rsa));
        assert_eq!(f.status, Status::Fail);
        assert!(f.summary.contains("Not an RSA key"), "{}", f.summary);
    }

    #[test]
    fn broken_and_empty_sets_fail() {
        let plan = plan_for("4.7.3", "netbox");
        assert_eq!(
            evaluate(&plan, &captured(200, b"{\"keys\":[]}")).status,
            Status::Fail
        );
        assert_eq!(
            evaluate(&plan, &captured(200, b"[1,2]")).status,
            Status::Fail
        );
        assert_eq!(
            evaluate(&plan, &captured(404, b"\"nomatchingentries\"")).status,
            Status::Fail
        );
        let hs = br#"{"keys":[{"kty":"oct","alg":"HS256","kid":"x"}]}"#;
        assert!(
            evaluate(&plan, &captured(200, hs))
                .summary
                .contains("HS256")
        );
    }
}
