//! The report as data (the JSON form, schema version 1) and how it is built from what `nbsso report`
//! gathered. Pure: the CLI reads the files, runs the checks and reads Kanidm; this only arranges.

use super::import::ImportOutcome;
use crate::checks::{CheckId, Finding, Status};
use crate::explain;
use crate::kanidm::DriftItem;
use crate::plan::{Plan, PlanDraft, Problem};
use crate::versions::{NETBOX_RELEASES, Version};
use serde::{Deserialize, Serialize};

/// The plan as the report found it.
#[derive(Debug, Clone)]
pub enum PlanInput {
    NotGiven,
    /// The file could not be read (the sentence says why).
    Unreadable(String),
    /// Not TOML: the parser's message (without the offending line, which may hold a secret).
    NotToml(String),
    /// Parsed; valid or not.
    Parsed {
        draft: Box<PlanDraft>,
        validated: Result<(Box<Plan>, Vec<Problem>), Vec<Problem>>,
    },
}

impl PlanInput {
    pub fn plan(&self) -> Option<&Plan> {
        match self {
            Self::Parsed {
                validated: Ok((plan, _)),
                ..
            } => Some(plan),
            _ => None,
        }
    }
}

/// The live checks, if they ran.
#[derive(Debug, Clone)]
pub enum CheckInput {
    NotRun(String),
    Ran(Vec<(CheckId, Finding)>),
}

/// The Kanidm client as read from Kanidm's REST API.
#[derive(Debug, Clone)]
pub enum ClientInput {
    NotRead(String),
    Missing {
        client: String,
        source: String,
    },
    Read {
        client: String,
        source: String,
        drift: Vec<DriftItem>,
    },
}

/// Everything `nbsso report` gathered.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub plan_path: Option<String>,
    pub plan: PlanInput,
    pub checks: CheckInput,
    pub client: ClientInput,
    pub imports: Vec<ImportOutcome>,
    /// `(name, value)`; secret variables carry `<redacted>` (or `None` when unset).
    pub environment: Vec<(String, Option<String>)>,
    /// `(path, what was found)`: existence, mode and size, never the content.
    pub secret_file: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub component: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemRow {
    pub severity: String,
    pub field: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `not-given`, `unreadable`, `not-toml`, `invalid` or `valid`.
    pub state: String,
    /// The plan's known keys as TOML (nothing of it is secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toml: Option<String>,
    /// Keys nbsso does not know: named, their values never shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryLink {
    pub entry: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRow {
    pub id: String,
    pub title: String,
    /// `pass`, `warn`, `fail` or `skipped`.
    pub status: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreachable: bool,
    /// The `nbsso explain` entry of a failed or warning check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<EntryLink>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecksPart {
    pub ran: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<CheckRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRow {
    pub attribute: String,
    pub expected: String,
    pub actual: String,
    pub why: String,
    pub converge: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientPart {
    /// `not-read`, `missing`, `in-sync` or `drift`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingRow {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportPart {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_sso: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<SettingRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvRow {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretFilePart {
    pub path: String,
    pub state: String,
}

/// The whole report (`nbsso report --json`, schema version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub command: String,
    pub nbsso: String,
    pub platform: String,
    pub anonymised: bool,
    pub versions: Vec<VersionRow>,
    pub plan: PlanPart,
    pub checks: ChecksPart,
    pub kanidm_client: ClientPart,
    #[serde(default)]
    pub old_sso: Vec<ImportPart>,
    pub environment: Vec<EnvRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<SecretFilePart>,
}

fn status_key(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Skipped => "skipped",
        Status::Pending => "pending",
        Status::Running => "running",
    }
}

/// Every key of a TOML table that nbsso does not know, as dotted names.
fn unknown_keys(draft: &PlanDraft) -> Vec<String> {
    let sections = [
        ("", &draft.unknown),
        ("netbox.", &draft.netbox.unknown),
        ("kanidm.", &draft.kanidm.unknown),
        ("tls.", &draft.tls.unknown),
        ("login.", &draft.login.unknown),
        ("output.", &draft.output.unknown),
    ];
    sections
        .iter()
        .flat_map(|(prefix, keys)| keys.keys().map(move |k| format!("{prefix}{k}")))
        .collect()
}

fn problem_rows(problems: &[Problem]) -> Vec<ProblemRow> {
    problems
        .iter()
        .map(|p| ProblemRow {
            severity: match p.severity {
                crate::plan::Severity::Error => "error".into(),
                crate::plan::Severity::Warning => "warning".into(),
            },
            field: p.field.clone(),
            message: p.message.clone(),
            fix: p.fix.clone(),
        })
        .collect()
}

fn plan_part(path: Option<String>, input: &PlanInput) -> PlanPart {
    let part = |state: &str| PlanPart {
        path: path.clone(),
        state: state.into(),
        toml: None,
        unknown_keys: Vec::new(),
        problems: Vec::new(),
        error: None,
    };
    match input {
        PlanInput::NotGiven => part("not-given"),
        PlanInput::Unreadable(e) => PlanPart {
            error: Some(e.clone()),
            ..part("unreadable")
        },
        PlanInput::NotToml(e) => PlanPart {
            error: Some(e.clone()),
            ..part("not-toml")
        },
        PlanInput::Parsed { draft, validated } => {
            let (state, problems) = match validated {
                Ok((_, warnings)) => ("valid", warnings),
                Err(problems) => ("invalid", problems),
            };
            PlanPart {
                toml: Some(draft.to_toml()),
                unknown_keys: unknown_keys(draft),
                problems: problem_rows(problems),
                ..part(state)
            }
        }
    }
}

fn finding_of(results: &CheckInput, id: CheckId) -> Option<&Finding> {
    match results {
        CheckInput::Ran(results) => results.iter().find(|(i, _)| *i == id).map(|(_, f)| f),
        CheckInput::NotRun(_) => None,
    }
}

fn versions(input: &Gathered) -> Vec<VersionRow> {
    let plan = input.plan.plan();
    let draft = match &input.plan {
        PlanInput::Parsed { draft, .. } => Some(draft.as_ref()),
        _ => None,
    };
    let detected = |id: CheckId, what: &str| -> String {
        finding_of(&input.checks, id)
            .and_then(|f| f.detected.as_ref())
            .map(|d| match d.suggested {
                Some(s) => format!("; {what} shows {} (suggests {s})", d.range),
                None => format!("; {what} shows {}", d.range),
            })
            .unwrap_or_default()
    };
    let netbox: Option<Version> = plan
        .map(|p| p.netbox.caps.netbox)
        .or_else(|| draft.and_then(|d| d.netbox.version.parse().ok()));
    let pins = netbox.and_then(|v| NETBOX_RELEASES.iter().rev().find(|r| r.netbox_from <= v));
    let kanidm: Option<String> = plan
        .map(|p| p.kanidm.caps.version.to_string())
        .or_else(|| draft.map(|d| d.kanidm.version.clone()));
    let row = |component: &str, version: Option<String>, from: String| VersionRow {
        component: component.into(),
        version,
        from,
    };
    let pinned_by = |what: &str| match netbox {
        Some(v) => format!("pinned by NetBox {v} ({what})"),
        None => "unknown without the NetBox version".into(),
    };
    vec![
        row(
            "nbsso",
            Some(env!("CARGO_PKG_VERSION").into()),
            "this build".into(),
        ),
        row(
            "NetBox",
            netbox.map(|v| v.to_string()),
            format!(
                "the plan{}",
                detected(CheckId::NetboxLogin, "the login page")
            ),
        ),
        row(
            "social-auth-core",
            pins.map(|r| r.social_core.to_string()),
            pinned_by("requirements.txt"),
        ),
        row(
            "social-auth-app-django",
            pins.map(|r| r.social_app_django.to_string()),
            pinned_by("requirements.txt"),
        ),
        row(
            "Kanidm",
            kanidm,
            format!(
                "the plan{}",
                detected(CheckId::Discovery, "x-kanidm-version")
            ),
        ),
    ]
}

fn checks_part(input: &CheckInput) -> ChecksPart {
    let results = match input {
        CheckInput::NotRun(note) => {
            return ChecksPart {
                ran: false,
                note: Some(note.clone()),
                results: Vec::new(),
            };
        }
        CheckInput::Ran(results) => results,
    };
    let catalogue = explain::catalogue().ok();
    ChecksPart {
        ran: true,
        note: None,
        results: results
            .iter()
            .map(|(id, f)| CheckRow {
                id: id.key().into(),
                title: id.title().into(),
                status: status_key(f.status).into(),
                summary: f.summary.clone(),
                fix: f.fix.clone().filter(|_| f.status != Status::Pass),
                details: f.details.clone(),
                unreachable: f.unreachable,
                explain: catalogue
                    .and_then(|c| explain::for_finding(c, *id, f))
                    .map(|e| EntryLink {
                        entry: e.id.clone(),
                        title: e.title.clone(),
                    }),
            })
            .collect(),
    }
}

fn client_part(input: &ClientInput) -> ClientPart {
    let part = |state: &str| ClientPart {
        state: state.into(),
        client: None,
        source: None,
        note: None,
        drift: Vec::new(),
    };
    match input {
        ClientInput::NotRead(note) => ClientPart {
            note: Some(note.clone()),
            ..part("not-read")
        },
        ClientInput::Missing { client, source } => ClientPart {
            client: Some(client.clone()),
            source: Some(source.clone()),
            note: Some(format!("Kanidm has no OAuth2 client named {client}")),
            ..part("missing")
        },
        ClientInput::Read {
            client,
            source,
            drift,
        } => ClientPart {
            client: Some(client.clone()),
            source: Some(source.clone()),
            drift: drift
                .iter()
                .map(|d| DriftRow {
                    attribute: d.attribute.into(),
                    expected: d.expected.clone(),
                    actual: d.actual.clone(),
                    why: d.why.clone(),
                    converge: d.converge.clone(),
                })
                .collect(),
            ..part(if drift.is_empty() { "in-sync" } else { "drift" })
        },
    }
}

/// Arranges what was gathered into the report; secrets are taken out afterwards by
/// [`super::finish`].
pub fn build(input: &Gathered) -> Report {
    Report {
        version: 1,
        command: "report".into(),
        nbsso: env!("CARGO_PKG_VERSION").into(),
        platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        anonymised: false,
        versions: versions(input),
        plan: plan_part(input.plan_path.clone(), &input.plan),
        checks: checks_part(&input.checks),
        kanidm_client: client_part(&input.client),
        old_sso: input
            .imports
            .iter()
            .map(|i| ImportPart {
                path: i.path.display().to_string(),
                old_sso: i.old_sso.clone(),
                settings: i
                    .settings
                    .iter()
                    .map(|(name, value)| SettingRow {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
                notes: i.notes.clone(),
            })
            .collect(),
        environment: input
            .environment
            .iter()
            .map(|(name, value)| EnvRow {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        secret_file: input
            .secret_file
            .as_ref()
            .map(|(path, state)| SecretFilePart {
                path: path.clone(),
                state: state.clone(),
            }),
    }
}
