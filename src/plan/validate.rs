//! Checks a whole [`PlanDraft`] and reports every problem at once, each with its field and a fix.

use super::draft::{PlanDraft, UnknownKeys};
use super::fields;
use super::{
    DEFAULT_SCOPES, KanidmTarget, LoginButton, NetBoxTarget, Pkce, PkceChoice, Plan, SourceIdp,
};
use crate::versions::{KanidmCapabilities, NetBoxCapabilities, Version};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about the plan: where, what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// Dotted TOML path, e.g. `kanidm.origin`.
    pub field: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Problem {
    pub(super) fn error(field: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            field: field.into(),
            message: message.into(),
            fix: None,
        }
    }

    pub(super) fn warning(field: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(field, message)
        }
    }

    pub(super) fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}: {}", self.field, self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

/// Collects problems while the plan is checked field by field.
#[derive(Default)]
struct Findings(Vec<Problem>);

impl Findings {
    /// Records the validator's message for `field` and returns the value if it was valid.
    fn field<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(Problem::error(field, message));
                None
            }
        }
    }

    fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    fn unknown_keys(&mut self, table: &str, keys: &UnknownKeys, known: &[&str]) {
        for key in keys.keys() {
            let field = if table.is_empty() {
                key.clone()
            } else {
                format!("{table}.{key}")
            };
            let suggestion = known
                .iter()
                .map(|k| (strsim::jaro_winkler(k, key), *k))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| k);
            let mut problem = Problem::error(&field, "nbsso does not know this setting");
            problem = match suggestion {
                Some(k) => problem.with_fix(format!("did you mean `{k}`?")),
                None => problem.with_fix(format!("known settings here: {}", known.join(", "))),
            };
            self.push(problem);
        }
    }
}

fn version(findings: &mut Findings, field: &str, text: &str) -> Option<Version> {
    findings.field(field, text.parse::<Version>().map_err(|e| e.to_string()))
}

/// Checks the draft. On success returns the plan and its warnings; otherwise every problem found,
/// errors and warnings, in field order.
pub fn validate(draft: &PlanDraft) -> Result<(Plan, Vec<Problem>), Vec<Problem>> {
    let mut f = Findings::default();
    f.unknown_keys(
        "",
        &draft.unknown,
        &[
            "source",
            "netbox",
            "kanidm",
            "tls",
            "login",
            "output",
            "deployment",
        ],
    );
    f.unknown_keys(
        "netbox",
        &draft.netbox.unknown,
        &[
            "url",
            "base_path",
            "version",
            "secret_file",
            "configuration",
            "redirect_is_https",
        ],
    );
    f.unknown_keys(
        "kanidm",
        &draft.kanidm.unknown,
        &[
            "origin",
            "version",
            "client",
            "display_name",
            "admin",
            "group",
            "members",
            "extra_scopes",
            "pkce",
            "short_usernames",
            "consent_prompt",
        ],
    );
    f.unknown_keys("tls", &draft.tls.unknown, &["ca_file"]);
    f.unknown_keys(
        "login",
        &draft.login.unknown,
        &["button_label", "button_icon"],
    );
    f.unknown_keys("output", &draft.output.unknown, &["dir"]);
    f.unknown_keys(
        "deployment",
        &draft.deployment.unknown,
        &super::deployment::KNOWN_KEYS,
    );

    let source = SourceIdp::parse(&draft.source);
    if source.is_none() {
        f.push(
            Problem::error(
                "source",
                format!("unknown identity provider {:?}", draft.source.trim()),
            )
            .with_fix("write keycloak, authentik, keycloak-oidc, oidc or none"),
        );
    }
    let deployment = super::deployment::validate(&draft.deployment, source, &mut f.0);

    // NetBox
    let nb = &draft.netbox;
    let netbox_url = f.field("netbox.url", fields::netbox_url(&nb.url));
    let base_path = f.field("netbox.base_path", fields::base_path(&nb.base_path));
    let netbox_caps = version(&mut f, "netbox.version", &nb.version).and_then(|v| {
        let caps = NetBoxCapabilities::of(v);
        if caps.is_none() {
            f.push(
                Problem::error(
                    "netbox.version",
                    format!("NetBox {v} is older than 3.1.0, the oldest release nbsso knows"),
                )
                .with_fix("upgrade NetBox first"),
            );
        }
        caps
    });
    if let Some(caps) = &netbox_caps
        && caps.beyond_known
    {
        f.push(Problem::warning(
            "netbox.version",
            format!(
                "NetBox {} is newer than 4.7.3, the newest release nbsso knows; assuming it pins social-auth-core {} like 4.7.3",
                caps.netbox, caps.social_core
            ),
        ));
    }
    let secret_file = f.field(
        "netbox.secret_file",
        fields::absolute_path(&nb.secret_file, "secret file"),
    );
    let configuration = if nb.configuration.trim().is_empty() {
        Some(None)
    } else {
        f.field(
            "netbox.configuration",
            fields::local_path(&nb.configuration, "configuration.py path"),
        )
        .map(Some)
    };
    if let Some(url) = &netbox_url
        && url.starts_with("http://")
    {
        f.push(
            Problem::warning(
                "netbox.url",
                "NetBox is reached over plain http://: the login and session cookies travel unencrypted",
            )
            .with_fix("serve NetBox over https:// behind a TLS proxy"),
        );
        if nb.redirect_is_https {
            f.push(Problem::error(
                "netbox.redirect_is_https",
                "REDIRECT_IS_HTTPS makes NetBox send an https:// redirect URL while the plan's NetBox URL is http://",
            ).with_fix("use the https:// URL users type, or set redirect_is_https = false"));
        }
    }

    // Kanidm
    let k = &draft.kanidm;
    let origin = f.field("kanidm.origin", fields::kanidm_origin(&k.origin));
    let kanidm_caps = version(&mut f, "kanidm.version", &k.version).and_then(|v| {
        let caps = KanidmCapabilities::of(v);
        if caps.is_none() {
            f.push(
                Problem::error(
                    "kanidm.version",
                    format!("Kanidm {v} has no add-redirect-url (added in 1.3.0)"),
                )
                .with_fix("upgrade Kanidm to 1.3 or later (1.11 recommended)"),
            );
        }
        caps
    });
    let client = f.field(
        "kanidm.client",
        fields::kanidm_name(&k.client, "client name"),
    );
    let display_name = f.field(
        "kanidm.display_name",
        fields::free_text(&k.display_name, "display name", 128),
    );
    let admin = f.field(
        "kanidm.admin",
        fields::kanidm_name(&k.admin, "admin account"),
    );
    if admin.as_deref() == Some("admin") {
        f.push(
            Problem::error(
                "kanidm.admin",
                "the `admin` account cannot manage OAuth2 clients: it sees none and gets 403 on create",
            )
            .with_fix("use idm_admin, or an account in idm_oauth2_admins"),
        );
    }
    let group = f.field("kanidm.group", fields::kanidm_name(&k.group, "group name"));
    let mut members = Vec::new();
    for (i, member) in k.members.iter().enumerate() {
        let field = format!("kanidm.members[{i}]");
        if let Some(m) = f.field(&field, fields::kanidm_member(member)) {
            if members.contains(&m) {
                f.push(Problem::warning(&field, format!("{m} is listed twice")));
            } else {
                members.push(m);
            }
        }
    }
    if k.members.is_empty() {
        f.push(
            Problem::warning(
                "kanidm.members",
                "no members: nobody will be allowed to log in until people are added to the group",
            )
            .with_fix("list the Kanidm persons who may log in to NetBox"),
        );
    }
    let mut scopes: Vec<String> = DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect();
    for (i, extra) in k.extra_scopes.iter().enumerate() {
        if let Some(s) = f.field(&format!("kanidm.extra_scopes[{i}]"), fields::scope(extra))
            && !scopes.contains(&s)
        {
            scopes.push(s);
        }
    }

    let pkce_choice = match k.pkce.trim() {
        "auto" | "" => Some(PkceChoice::Auto),
        "enforce" => Some(PkceChoice::Enforce),
        "disable" => Some(PkceChoice::Disable),
        other => {
            f.push(
                Problem::error("kanidm.pkce", format!("unknown PKCE strategy {other:?}"))
                    .with_fix("write auto, enforce or disable"),
            );
            None
        }
    };
    let pkce = match (pkce_choice, &netbox_caps) {
        (Some(choice), Some(caps)) => decide_pkce(&mut f, choice, caps),
        _ => None,
    };

    if let Some(caps) = &kanidm_caps {
        if !k.consent_prompt && !caps.consent_prompt_toggle {
            f.push(
                Problem::error(
                    "kanidm.consent_prompt",
                    format!(
                        "Kanidm {} cannot turn the consent prompt off (disable-consent-prompt came in 1.9.0)",
                        caps.version
                    ),
                )
                .with_fix("set consent_prompt = true, or upgrade Kanidm"),
            );
        }
        if caps.beyond_known {
            f.push(Problem::warning(
                "kanidm.version",
                format!(
                    "Kanidm {} is newer than the 1.11 CLI nbsso was checked against",
                    caps.version
                ),
            ));
        }
    }

    // TLS, login button, output
    let ca_file = if draft.tls.ca_file.trim().is_empty() {
        Some(None)
    } else {
        f.field(
            "tls.ca_file",
            fields::absolute_path(&draft.tls.ca_file, "CA file"),
        )
        .map(Some)
    };
    let label = f.field(
        "login.button_label",
        fields::free_text(&draft.login.button_label, "button label", 64),
    );
    let icon = f.field(
        "login.button_icon",
        fields::button_icon(&draft.login.button_icon),
    );
    if let Some(caps) = &netbox_caps
        && !caps.backend_attrs
    {
        f.push(Problem::warning(
            "login.button_label",
            format!(
                "NetBox {} cannot rename the login button (SOCIAL_AUTH_BACKEND_ATTRS came in 4.0.9); it will read \"OpenID Connect\"",
                caps.netbox
            ),
        ));
    }
    let output_dir = f.field(
        "output.dir",
        fields::local_path(&draft.output.dir, "output directory"),
    );

    let has_errors = f.0.iter().any(|p| p.severity == Severity::Error);
    let assembled = (|| {
        Some(Plan {
            source: source?,
            netbox: NetBoxTarget {
                url: netbox_url?,
                base_path: base_path?,
                caps: netbox_caps?,
                secret_file: secret_file?,
                configuration: configuration?,
                redirect_is_https: nb.redirect_is_https,
            },
            kanidm: KanidmTarget {
                origin: origin?,
                caps: kanidm_caps?,
                client: client?,
                display_name: display_name?,
                admin: admin?,
                group: group?,
                members,
                scopes,
                pkce: pkce?,
                short_usernames: k.short_usernames,
                consent_prompt: k.consent_prompt,
            },
            ca_file: ca_file?,
            login: LoginButton {
                label: label?,
                icon: icon?,
            },
            output_dir: output_dir?,
            deployment: deployment?,
        })
    })();
    match assembled {
        Some(plan) if !has_errors => Ok((plan, f.0)),
        _ => Err(f.0),
    }
}

/// PKCE: keep Kanidm's enforcement whenever NetBox can send a challenge (C1).
fn decide_pkce(f: &mut Findings, choice: PkceChoice, caps: &NetBoxCapabilities) -> Option<Pkce> {
    match (choice, caps.oidc_pkce) {
        (PkceChoice::Auto | PkceChoice::Enforce, true) => Some(Pkce::Enforced),
        (PkceChoice::Auto, false) => {
            f.push(
                Problem::warning(
                    "kanidm.pkce",
                    format!(
                        "NetBox {} pins social-auth-core {}, which cannot send PKCE; Kanidm's PKCE enforcement will be turned off for this client",
                        caps.netbox, caps.social_core
                    ),
                )
                .with_fix("upgrade NetBox to 4.5.9 or later, then generate again and rerun kanidm-setup.sh: PKCE is then enforced again"),
            );
            Some(Pkce::Disabled)
        }
        (PkceChoice::Enforce, false) => {
            f.push(
                Problem::error(
                    "kanidm.pkce",
                    format!(
                        "NetBox {} (social-auth-core {}) cannot send PKCE, so every login would stop at Kanidm with \"No PKCE code challenge was provided\"",
                        caps.netbox, caps.social_core
                    ),
                )
                .with_fix("upgrade NetBox to 4.5.9 or later, or set pkce = \"auto\""),
            );
            None
        }
        (PkceChoice::Disable, supported) => {
            let mut p = Problem::warning(
                "kanidm.pkce",
                "turning PKCE off weakens Kanidm's protection of the authorization code",
            );
            if supported {
                p = p.with_fix(format!(
                    "NetBox {} can send PKCE: set pkce = \"auto\" instead",
                    caps.netbox
                ));
            }
            f.push(p);
            Some(Pkce::Disabled)
        }
    }
}
