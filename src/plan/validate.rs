//! Checks a whole [`PlanDraft`] and reports every problem at once, each with its field and a fix.
//! Each field's own rule comes from the field table ([`super::field`]); the rules that join
//! fields (PKCE against the NetBox release, the `admin` account, …) are written out here.

use super::draft::{PlanDraft, UnknownKeys};
use super::field::{Field, Kind, Section, known_keys};
use super::{
    DEFAULT_SCOPES, DeploymentTarget, KanidmTarget, LoginButton, NetBoxTarget, OIDC_BACKEND, Pkce,
    PkceChoice, Plan, SourceIdp, Stage, UserInputs,
};
use crate::versions::{KanidmCapabilities, NetBoxCapabilities, Version};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

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
    /// Where, as written in reports: the dotted path (`kanidm.origin`, `kanidm.members[2]`), an
    /// unknown key, or the plan file itself.
    pub field: String,
    /// The field of the table it is about; `None` for unknown keys and unreadable files.
    #[serde(skip)]
    pub key: Option<Field>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Problem {
    /// An error about a field of the table.
    pub fn error(field: Field, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            field: field.path().to_string(),
            key: Some(field),
            message: message.into(),
            fix: None,
        }
    }

    pub fn warning(field: Field, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(field, message)
        }
    }

    /// An error about one item of a list field (`kanidm.members[2]`).
    fn item_error(field: Field, index: usize, message: impl Into<String>) -> Self {
        Self {
            field: format!("{}[{index}]", field.path()),
            ..Self::error(field, message)
        }
    }

    /// An error about something that is not a field: an unknown key, or the plan file itself
    /// (`plan.toml`, `plan.toml:3`).
    pub fn elsewhere(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            field: location.into(),
            key: None,
            message: message.into(),
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
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
    /// Checks a text field by its rule in the table; returns the normalised value if it is valid
    /// (`""` for an optional field left empty).
    fn text(&mut self, field: Field, draft: &PlanDraft) -> Option<String> {
        let Kind::Text {
            get,
            optional,
            rule,
            ..
        } = field.spec().kind
        else {
            return None;
        };
        let text = get(draft);
        if optional && text.trim().is_empty() {
            return Some(String::new());
        }
        match rule(text) {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(Problem::error(field, message));
                None
            }
        }
    }

    /// Checks item `index` of a list field by the table's rule; returns its value if it is valid.
    fn item(&mut self, field: Field, index: usize, text: &str) -> Option<String> {
        let Kind::List { item, .. } = field.spec().kind else {
            return None;
        };
        match item(text) {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(Problem::item_error(field, index, message));
                None
            }
        }
    }

    /// Checks a pick-one field; returns the chosen value (the default when empty).
    fn choice(&mut self, field: Field, draft: &PlanDraft) -> Option<&'static str> {
        let Kind::Choice {
            get,
            default,
            choices,
            what,
            ..
        } = field.spec().kind
        else {
            return None;
        };
        let text = get(draft).trim();
        if text.is_empty() {
            return Some(default);
        }
        if let Some(choice) = choices.iter().find(|c| c.value == text) {
            return Some(choice.value);
        }
        let values: Vec<&str> = choices.iter().map(|c| c.value).collect();
        let (last, first) = values.split_last().unwrap_or((&"", &[]));
        self.push(
            Problem::error(field, format!("unknown {what} {text:?}"))
                .with_fix(format!("write {} or {last}", first.join(", "))),
        );
        None
    }

    fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    fn unknown_keys(&mut self, section: Section, keys: &UnknownKeys) {
        let known = known_keys(section);
        for key in keys.keys() {
            let field = match section {
                Section::Top => key.clone(),
                _ => format!("{}.{key}", section.name()),
            };
            let suggestion = known
                .iter()
                .map(|k| (strsim::jaro_winkler(k, key), *k))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| k);
            let mut problem = Problem::elsewhere(field, "nbsso does not know this setting");
            problem = match suggestion {
                Some(k) => problem.with_fix(format!("did you mean `{k}`?")),
                None => problem.with_fix(format!("known settings here: {}", known.join(", "))),
            };
            self.push(problem);
        }
    }
}

fn version(findings: &mut Findings, field: Field, draft: &PlanDraft) -> Option<Version> {
    findings
        .text(field, draft)
        .and_then(|text| text.parse::<Version>().ok())
}

/// The `[deployment]` table: what to patch, the stage and Kanidm's backend name.
fn deployment(
    f: &mut Findings,
    draft: &PlanDraft,
    source: Option<SourceIdp>,
) -> Option<DeploymentTarget> {
    let mut paths = Vec::new();
    for (i, text) in draft.deployment.paths.iter().enumerate() {
        if let Some(p) = f.item(Field::DeploymentPaths, i, text) {
            paths.push(PathBuf::from(p));
        }
    }
    let env_file = path(f.text(Field::DeploymentEnvFile, draft));
    let stage = f
        .choice(Field::DeploymentStage, draft)
        .and_then(Stage::parse);
    let backend_name = f.text(Field::DeploymentBackendName, draft);
    let oidc_source = matches!(
        source,
        Some(SourceIdp::Authentik | SourceIdp::KeycloakOidc | SourceIdp::Oidc)
    );
    if stage == Some(Stage::Both) && oidc_source && backend_name.as_deref() == Some(OIDC_BACKEND) {
        f.push(
            Problem::error(
                Field::DeploymentBackendName,
                "the old login already uses the backend name oidc: both logins cannot share its name and settings",
            )
            .with_fix("set backend_name = \"kanidm\" (Kanidm's redirect URL becomes …/oauth/complete/kanidm/), or stage = \"kanidm\" for a direct cut-over"),
        );
        return None;
    }
    Some(DeploymentTarget {
        paths,
        env_file: env_file?,
        stage: stage?,
        backend_name: backend_name?,
    })
}

fn path(text: Option<String>) -> Option<Option<PathBuf>> {
    text.map(|t| (!t.is_empty()).then(|| PathBuf::from(t)))
}

/// Checks the draft. On success returns the plan and its warnings; otherwise every problem found,
/// errors and warnings, in field order.
pub fn validate(draft: &PlanDraft) -> Result<(Plan, Vec<Problem>), Vec<Problem>> {
    let mut f = Findings::default();
    for section in [
        Section::Top,
        Section::NetBox,
        Section::Kanidm,
        Section::Tls,
        Section::Login,
        Section::Output,
        Section::Deployment,
        Section::Users,
    ] {
        f.unknown_keys(section, draft.unknown(section));
    }

    let source = f.choice(Field::Source, draft).and_then(SourceIdp::parse);

    // NetBox
    let nb = &draft.netbox;
    let netbox_url = f.text(Field::NetboxUrl, draft);
    let base_path = f.text(Field::BasePath, draft);
    let netbox_caps = version(&mut f, Field::NetboxVersion, draft).and_then(|v| {
        let caps = NetBoxCapabilities::of(v);
        if caps.is_none() {
            f.push(
                Problem::error(
                    Field::NetboxVersion,
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
            Field::NetboxVersion,
            format!(
                "NetBox {} is newer than 4.7.3, the newest release nbsso knows; assuming it pins social-auth-core {} like 4.7.3",
                caps.netbox, caps.social_core
            ),
        ));
    }
    let secret_file = f.text(Field::SecretFile, draft).map(PathBuf::from);
    let configuration = path(f.text(Field::Configuration, draft));
    if let Some(url) = &netbox_url
        && url.starts_with("http://")
    {
        f.push(
            Problem::warning(
                Field::NetboxUrl,
                "NetBox is reached over plain http://: the login and session cookies travel unencrypted",
            )
            .with_fix("serve NetBox over https:// behind a TLS proxy"),
        );
        if nb.redirect_is_https {
            f.push(Problem::error(
                Field::RedirectIsHttps,
                "REDIRECT_IS_HTTPS makes NetBox send an https:// redirect URL while the plan's NetBox URL is http://",
            ).with_fix("use the https:// URL users type, or set redirect_is_https = false"));
        }
    }

    // Kanidm
    let k = &draft.kanidm;
    let origin = f.text(Field::KanidmOrigin, draft);
    let kanidm_caps = version(&mut f, Field::KanidmVersion, draft).and_then(|v| {
        let caps = KanidmCapabilities::of(v);
        if caps.is_none() {
            f.push(
                Problem::error(
                    Field::KanidmVersion,
                    format!("Kanidm {v} has no add-redirect-url (added in 1.3.0)"),
                )
                .with_fix("upgrade Kanidm to 1.3 or later (1.11 recommended)"),
            );
        }
        caps
    });
    let client = f.text(Field::Client, draft);
    let display_name = f.text(Field::DisplayName, draft);
    let admin = f.text(Field::Admin, draft);
    if admin.as_deref() == Some("admin") {
        f.push(
            Problem::error(
                Field::Admin,
                "the `admin` account cannot manage OAuth2 clients: it sees none and gets 403 on create",
            )
            .with_fix("use idm_admin, or an account in idm_oauth2_admins"),
        );
    }
    let group = f.text(Field::Group, draft);
    let mut members = Vec::new();
    for (i, member) in k.members.iter().enumerate() {
        let Some(m) = f.item(Field::Members, i, member) else {
            continue;
        };
        if members.contains(&m) {
            f.push(Problem {
                severity: Severity::Warning,
                ..Problem::item_error(Field::Members, i, format!("{m} is listed twice"))
            });
        } else {
            members.push(m);
        }
    }
    if k.members.is_empty() {
        f.push(
            Problem::warning(
                Field::Members,
                "no members: nobody will be allowed to log in until people are added to the group",
            )
            .with_fix("list the Kanidm persons who may log in to NetBox"),
        );
    }
    let mut scopes: Vec<String> = DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect();
    for (i, extra) in k.extra_scopes.iter().enumerate() {
        if let Some(s) = f.item(Field::ExtraScopes, i, extra)
            && !scopes.contains(&s)
        {
            scopes.push(s);
        }
    }

    let pkce_choice = f.choice(Field::Pkce, draft).map(|value| match value {
        "enforce" => PkceChoice::Enforce,
        "disable" => PkceChoice::Disable,
        _ => PkceChoice::Auto,
    });
    let pkce = match (pkce_choice, &netbox_caps) {
        (Some(choice), Some(caps)) => decide_pkce(&mut f, choice, caps),
        _ => None,
    };

    if let Some(caps) = &kanidm_caps {
        if !k.consent_prompt && !caps.consent_prompt_toggle {
            f.push(
                Problem::error(
                    Field::ConsentPrompt,
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
                Field::KanidmVersion,
                format!(
                    "Kanidm {} is newer than the 1.11 CLI nbsso was checked against",
                    caps.version
                ),
            ));
        }
    }

    // TLS, login button, output
    let ca_file = path(f.text(Field::CaFile, draft));
    let label = f.text(Field::ButtonLabel, draft);
    let icon = f
        .text(Field::ButtonIcon, draft)
        .map(|icon| (!icon.is_empty()).then_some(icon));
    if let Some(caps) = &netbox_caps
        && !caps.backend_attrs
    {
        f.push(Problem::warning(
            Field::ButtonLabel,
            format!(
                "NetBox {} cannot rename the login button (SOCIAL_AUTH_BACKEND_ATTRS came in 4.0.9); it will read \"OpenID Connect\"",
                caps.netbox
            ),
        ));
    }
    let output_dir = f.text(Field::OutputDir, draft).map(PathBuf::from);
    let deployment = deployment(&mut f, draft, source);
    let user_inputs = path(f.text(Field::UsersExport, draft))
        .zip(path(f.text(Field::UsersPersons, draft)))
        .map(|(export, persons)| UserInputs { export, persons });

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
            users: user_inputs?,
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
                    Field::Pkce,
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
                    Field::Pkce,
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
                Field::Pkce,
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
