//! Keeping secrets out of a report, and (with `--anonymise`) host names too.
//!
//! The report is built from typed values that hold no secret; [`Scrubber`] is the second line: every
//! string of the report passes through it, and it replaces the secret values nbsso read (client
//! secret file, token cache, secret environment variables), anything shaped like a JWT, credentials
//! in URLs, bearer and basic credentials, and OAuth2 query values. [`Anonymiser`] then maps each host
//! name and IP address to a stand-in, the same one everywhere in the report.

use crate::secret::Secret;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// What every redacted value becomes.
pub const REDACTED: &str = "<redacted>";

/// Shorter values are not searched for: they would match ordinary words.
const MIN_SECRET_LEN: usize = 6;

struct Rule {
    pattern: Regex,
    /// The replacement, in `regex`'s syntax (`${1}` keeps a group).
    with: &'static str,
}

fn rule(pattern: &str, with: &'static str) -> Option<Rule> {
    Regex::new(pattern)
        .ok()
        .map(|pattern| Rule { pattern, with })
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    [
        // JWS/JWE compact forms (ID tokens, access tokens, Kanidm's user auth tokens).
        rule(
            r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){0,3}",
            "<redacted>",
        ),
        // user:password@ in URLs.
        rule(
            r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@:]+:[^/\s@]*@",
            "${1}<redacted>@",
        ),
        // OAuth2 and login values in query strings and forms.
        rule(
            r"(?i)([?&;](?:state|nonce|code|code_challenge|code_verifier|token|access_token|id_token|refresh_token|client_secret|secret|password|csrfmiddlewaretoken)=)[^&\s#'\x22]+",
            "${1}<redacted>",
        ),
        // Authorization headers.
        rule(
            r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}",
            "${1}<redacted>",
        ),
        // A secret setting assigned in text: SOCIAL_AUTH_OIDC_SECRET = '…', KANIDM_PASSWORD=…
        rule(
            r#"(\b[A-Z][A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD)[A-Z0-9_]*\s*[:=]\s*['"]?)[^'"\s,}`<]{4,}"#,
            "${1}<redacted>",
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
});

/// Replaces secrets in text.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    secrets: Vec<Secret>,
}

impl Scrubber {
    /// `secrets`: every secret value read while building the report (the longest are replaced first,
    /// so a secret that contains another is not left half-shown).
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut secrets: Vec<Secret> = secrets
            .into_iter()
            .map(|s| Secret::new(s.expose().trim()))
            .filter(|s| s.expose().chars().count() >= MIN_SECRET_LEN)
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        secrets.dedup();
        Self { secrets }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.expose()) {
                out = out.replace(secret.expose(), REDACTED);
            }
        }
        for rule in RULES.iter() {
            out = rule.pattern.replace_all(&out, rule.with).into_owned();
        }
        out
    }
}

fn compiled(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

/// Where a text names a host for sure: a URL's authority, the domain after `@` (an SPN, an e-mail
/// address), a certificate's CN and its list of names.
static HOST_CONTEXTS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^/\s@]*@)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)",
        r"(?i)@([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)",
        r"(?i)\bCN=([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)",
        r"(?i)\bnames ((?:[a-z0-9][a-z0-9.-]* ?)+)",
    ]
    .into_iter()
    .filter_map(compiled)
    .collect()
});
/// Anything shaped like a dotted host name; one is taken for a host only when it is a subdomain or
/// a parent of a host named in a context above (`kanidm.pkce`, a plan key, is not).
static HOST_SHAPE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(r"(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\b")
});
static IPV4: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"));

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'
}

/// Maps host names and IP addresses to stand-ins, consistently across a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anonymiser {
    /// host → stand-in.
    map: BTreeMap<String, String>,
    /// Host-shaped words not (yet) known to be hosts.
    candidates: BTreeSet<String>,
    hosts: usize,
    addresses: usize,
}

impl Anonymiser {
    /// Names the hosts whose role is known first: `netbox.invalid` and `kanidm.invalid` (RFC 2606's
    /// reserved `.invalid`, so no stand-in is anyone's real name).
    pub fn new(netbox_host: Option<&str>, kanidm_host: Option<&str>) -> Self {
        let mut this = Self::default();
        for (host, alias) in [
            (netbox_host, "netbox.invalid"),
            (kanidm_host, "kanidm.invalid"),
        ] {
            if let Some(host) = host.filter(|h| !h.is_empty() && !is_kept(h)) {
                this.map
                    .entry(host.to_ascii_lowercase())
                    .or_insert_with(|| alias.to_string());
            }
        }
        this
    }

    fn add_host(&mut self, host: &str) {
        let host = host.trim_matches('.').to_ascii_lowercase();
        if host.is_empty() || is_kept(&host) || self.map.contains_key(&host) {
            return;
        }
        let alias = if IPV4.as_ref().is_some_and(|re| re.is_match(&host)) {
            self.addresses += 1;
            format!("192.0.2.{}", self.addresses)
        } else {
            self.hosts += 1;
            format!("host-{}.invalid", self.hosts)
        };
        self.map.insert(host, alias);
    }

    /// Learns the hosts `text` names (call for every string, then [`Self::settle`], then
    /// [`Self::apply`]).
    pub fn learn(&mut self, text: &str) {
        for re in HOST_CONTEXTS.iter() {
            for caps in re.captures_iter(text) {
                if let Some(found) = caps.get(1) {
                    for host in found.as_str().split_whitespace() {
                        self.add_host(host);
                    }
                }
            }
        }
        if let Some(re) = IPV4.as_ref() {
            for m in re.find_iter(text) {
                self.add_host(m.as_str());
            }
        }
        if let Some(re) = HOST_SHAPE.as_ref() {
            for m in re.find_iter(text) {
                let in_word = text[..m.start()].ends_with('_') || text[m.end()..].starts_with('_');
                if !in_word {
                    self.candidates.insert(m.as_str().to_ascii_lowercase());
                }
            }
        }
    }

    /// Takes the host-shaped words that are subdomains or parents of a known host for hosts too.
    pub fn settle(&mut self) {
        let known: Vec<String> = self
            .map
            .keys()
            .filter(|h| !IPV4.as_ref().is_some_and(|re| re.is_match(h)))
            .cloned()
            .collect();
        let related = |candidate: &str| {
            known.iter().any(|host| {
                candidate.ends_with(&format!(".{host}"))
                    || (host.ends_with(&format!(".{candidate}")) && candidate.contains('.'))
            })
        };
        let candidates = std::mem::take(&mut self.candidates);
        for candidate in candidates.iter().filter(|c| related(c)) {
            self.add_host(candidate);
        }
    }

    /// `text` with every learned host replaced (whole names only, case-insensitively).
    pub fn apply(&self, text: &str) -> String {
        let mut hosts: Vec<(&String, &String)> = self.map.iter().collect();
        hosts.sort_by_key(|(h, _)| std::cmp::Reverse(h.len()));
        let mut out = text.to_string();
        for (host, alias) in hosts {
            out = replace_whole(&out, host, alias);
        }
        out
    }

    /// The stand-ins, for a test or a legend.
    pub fn mapping(&self) -> &BTreeMap<String, String> {
        &self.map
    }
}

/// Names that identify nobody: loopback and placeholders.
fn is_kept(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    lower == "localhost"
        || lower.starts_with("127.")
        || lower == "0.0.0.0"
        || lower.ends_with(".invalid")
        || lower.starts_with("192.0.2.")
}

fn replace_whole(text: &str, host: &str, alias: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(host) {
        let start = from + found;
        let end = start + host.len();
        let before_ok = !text[..start].chars().next_back().is_some_and(is_host_char);
        let rest = &text[end..];
        let after_ok = match rest.chars().next() {
            None => true,
            Some('.') => !rest[1..].starts_with(|c: char| c.is_ascii_alphanumeric()),
            Some(c) => !is_host_char(c),
        };
        if before_ok && after_ok {
            out.push_str(&text[last..start]);
            out.push_str(alias);
            last = end;
        }
        from = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_token_shapes_are_redacted() {
        let s = Scrubber::new([
            Secret::new("kanidmbasicsecret0123456789abcdef\n"),
            Secret::new("abc"),
        ]);
        let text = "secret kanidmbasicsecret0123456789abcdef; short abc stays; \
            id_token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln; \
            https://alice:pw@netbox.example.com/x?state=St4te&next=/ ; Authorization: Bearer tok-123456789; \
            SOCIAL_AUTH_OIDC_SECRET = 'hunter22'";
        assert_eq!(
            s.scrub(text),
            "secret <redacted>; short abc stays; id_token <redacted>; \
             https://<redacted>@netbox.example.com/x?state=<redacted>&next=/ ; Authorization: Bearer <redacted>; \
             SOCIAL_AUTH_OIDC_SECRET = '<redacted>'"
        );
    }

    #[test]
    fn hosts_map_to_the_same_stand_in_everywhere() {
        let mut a = Anonymiser::new(
            Some("netbox.corp.example.net"),
            Some("idm.corp.example.net"),
        );
        let texts = [
            "GET https://idm.corp.example.net:8443/oauth2/openid/netbox/.well-known/openid-configuration",
            "spn netbox@idm.corp.example.net, member alice@corp.example.net, via 10.1.2.3 and 127.0.0.1",
            "redirect https://netbox.corp.example.net/oauth/complete/oidc/ in netbox-sso.py and sub.idm.corp.example.net.",
            "warning kanidm.pkce: certificate: CN=idm.corp.example.net, names idm.corp.example.net kanidm.lan",
        ];
        for t in texts {
            a.learn(t);
        }
        a.settle();
        let out: Vec<String> = texts.iter().map(|t| a.apply(t)).collect();
        assert_eq!(
            out,
            [
                "GET https://kanidm.invalid:8443/oauth2/openid/netbox/.well-known/openid-configuration",
                "spn netbox@kanidm.invalid, member alice@host-1.invalid, via 192.0.2.1 and 127.0.0.1",
                "redirect https://netbox.invalid/oauth/complete/oidc/ in netbox-sso.py and host-3.invalid.",
                "warning kanidm.pkce: certificate: CN=kanidm.invalid, names kanidm.invalid host-2.invalid",
            ]
        );
    }
}
