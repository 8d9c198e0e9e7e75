//! `nbsso import`: read a NetBox deployment's configuration, say what single sign-on it sets up
//! and where each setting comes from, and optionally write a plan prefilled from it.

use super::print_json;
use crate::deploy::detect::{self, Findings, Pipeline, Provider, Warning};
use crate::deploy::{self, Deployment, Role, Shape, prefill};
use crate::exit::Code;
use crate::generate::writer;
use crate::plan::PlanDraft;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A configuration.py, a netbox-docker configuration directory, a Helm values file or an env file
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The env file NetBox's process reads (netbox-docker: env/netbox.env, found by itself beside
    /// a configuration directory)
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
    /// Write a plan prefilled from what was found (an existing file is backed up first)
    #[arg(long, value_name = "FILE")]
    pub plan_out: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct FileEntry {
    path: PathBuf,
    role: Role,
    patchable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    why_not: Option<String>,
}

#[derive(Debug, Serialize)]
struct SettingEntry {
    name: String,
    /// `"<redacted>"` for secrets.
    value: String,
    source: String,
    dynamic: bool,
    form: crate::pyconf::Form,
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    conditions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    overrides: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ErrorEntry {
    message: String,
}

/// The JSON report of `nbsso import --json` (schema version 1, documented in the README).
#[derive(Debug, Serialize)]
struct ImportReport {
    version: u32,
    command: &'static str,
    exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    shape: Option<Shape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<Provider>,
    files: Vec<FileEntry>,
    settings: Vec<SettingEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backends: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pipeline: Option<Pipeline>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    button_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logout_url: Option<String>,
    already_kanidm: bool,
    warnings: Vec<Warning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan_out: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorEntry>,
}

impl ImportReport {
    fn empty() -> Self {
        Self {
            version: 1,
            command: "import",
            exit_code: Code::Usage.value(),
            shape: None,
            provider: None,
            files: Vec::new(),
            settings: Vec::new(),
            backends: None,
            scopes: None,
            pipeline: None,
            username_key: None,
            id_key: None,
            button_label: None,
            logout_url: None,
            already_kanidm: false,
            warnings: Vec::new(),
            plan_out: None,
            error: None,
        }
    }
}

fn report(dep: &Deployment, f: &Findings) -> ImportReport {
    let mut r = ImportReport::empty();
    r.shape = Some(f.shape);
    r.provider = Some(f.provider);
    r.files = dep
        .files
        .iter()
        .map(|file| FileEntry {
            path: file.path.clone(),
            role: file.role,
            patchable: file.not_patchable().is_none(),
            why_not: file.not_patchable(),
        })
        .collect();
    r.settings = f
        .settings
        .iter()
        .map(|s| SettingEntry {
            name: s.name.clone(),
            value: s.shown(),
            source: s.origin.to_string(),
            dynamic: s.dynamic(),
            form: s.form(),
            env: s.env.as_ref().map(ToString::to_string),
            conditions: s.conditions.clone(),
            overrides: s.overridden.iter().map(ToString::to_string).collect(),
        })
        .collect();
    r.backends = f.backends.clone();
    r.scopes = f.scopes.clone();
    r.pipeline = f.pipeline.clone();
    r.username_key = f.username_key.clone();
    r.id_key = f.id_key.clone();
    r.button_label = f.button_label.clone();
    r.logout_url = f.logout_url.clone();
    r.already_kanidm = f.already_kanidm;
    r.warnings = f.warnings.clone();
    r.exit_code = if f.warnings.is_empty() {
        Code::Ok
    } else {
        Code::Findings
    }
    .value();
    r
}

/// A plan prefilled from the findings; the Kanidm and NetBox URLs are left for the user.
pub fn draft_from(
    paths: &[PathBuf],
    env_file: Option<&Path>,
    dep: &Deployment,
    f: &Findings,
) -> (PlanDraft, Vec<String>) {
    let mut draft = PlanDraft {
        source: f.provider.source().key().to_string(),
        ..PlanDraft::default()
    };
    draft.deployment.paths = paths.iter().map(|p| p.display().to_string()).collect();
    if let Some(env) = env_file.map(Path::to_path_buf).or_else(|| {
        dep.env_file()
            .and_then(|(i, _)| dep.files.get(i))
            .map(|file| file.path.clone())
    }) {
        draft.deployment.env_file = env.display().to_string();
    }
    let prefill = prefill::prefill(dep, f);
    if let Some(configuration) = prefill.configuration {
        draft.netbox.configuration = configuration;
    }
    draft.kanidm.extra_scopes = prefill.extra_scopes;
    (draft, prefill.notes)
}

fn write_plan(path: &Path, draft: &PlanDraft) -> Result<(), String> {
    let text = draft.to_toml();
    writer::replace_with_backup(path, text.as_bytes(), 0o644, &writer::timestamp_now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

pub fn run(args: &ImportArgs) -> Code {
    let dep = match deploy::load(&args.paths, args.env_file.as_deref()) {
        Ok(dep) => dep,
        Err(e) => {
            if args.json {
                let mut r = ImportReport::empty();
                r.error = Some(ErrorEntry {
                    message: e.to_string(),
                });
                print_json(&r);
            } else {
                eprintln!("nbsso: {e}");
                eprintln!("nbsso: nothing was written.");
            }
            return Code::Usage;
        }
    };
    let findings = detect::detect(&dep);
    let mut r = report(&dep, &findings);
    let mut plan_notes = Vec::new();
    if let Some(out) = &args.plan_out {
        let (draft, notes) = draft_from(&args.paths, args.env_file.as_deref(), &dep, &findings);
        plan_notes = notes;
        if let Err(e) = write_plan(out, &draft) {
            eprintln!("nbsso: cannot write the plan {}: {e}", out.display());
            return Code::NotWritten;
        }
        r.plan_out = Some(out.clone());
    }
    if args.json {
        print_json(&r);
    } else {
        print_text(&r, &plan_notes);
    }
    if r.exit_code == Code::Ok.value() {
        Code::Ok
    } else {
        Code::Findings
    }
}

fn print_text(r: &ImportReport, plan_notes: &[String]) {
    let shape = r.shape.map_or("?", Shape::label);
    outln!("Read a {shape} deployment:");
    for f in &r.files {
        let state = match &f.why_not {
            None => "nbsso may patch it".to_string(),
            Some(why) => format!("not patched: {why}"),
        };
        outln!("  {}  ({}; {state})", f.path.display(), f.role.label());
    }
    let provider = r
        .provider
        .map_or("none".to_string(), |p| p.source().key().to_string());
    outln!("Single sign-on today: {provider}");
    if let Some(b) = &r.backends {
        outln!("REMOTE_AUTH_BACKEND: {}", b.join(", "));
    }
    if !r.settings.is_empty() {
        outln!("Settings (the value NetBox gets, and where it comes from):");
        let width = r.settings.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for s in &r.settings {
            let mut source = s.source.clone();
            if let Some(env) = &s.env {
                source = format!("{env} via {source}");
            }
            let form = if s.dynamic {
                format!(
                    " [{}]",
                    serde_json::to_string(&s.form)
                        .unwrap_or_default()
                        .trim_matches('"')
                )
            } else {
                String::new()
            };
            outln!("  {:<width$}  {}  ← {source}{form}", s.name, s.value);
            for o in &s.overrides {
                outln!("  {:<width$}  (overrides {o})", "");
            }
        }
    }
    let optional = [
        ("Scopes", r.scopes.as_ref().map(|s| s.join(" "))),
        ("USERNAME_KEY", r.username_key.clone()),
        ("ID_KEY", r.id_key.clone()),
        ("Button label", r.button_label.clone()),
        ("Logout URL", r.logout_url.clone()),
    ];
    for (label, value) in optional {
        if let Some(v) = value {
            outln!("{label}: {v}");
        }
    }
    if let Some(p) = &r.pipeline {
        let custom = if p.custom.is_empty() {
            "no custom steps".to_string()
        } else {
            format!("custom steps: {}", p.custom.join(", "))
        };
        let email = if p.associate_by_email {
            "; associate_by_email is on"
        } else {
            ""
        };
        outln!(
            "Pipeline: {} steps, {custom}{email} ({})",
            p.steps.len(),
            p.source
        );
    }
    if r.already_kanidm {
        outln!("The OIDC endpoint already points at a Kanidm issuer.");
    }
    for w in &r.warnings {
        match &w.source {
            Some(s) => eprintln!("warning: {s}: {}", w.message),
            None => eprintln!("warning: {}", w.message),
        }
    }
    if let Some(out) = &r.plan_out {
        outln!(
            "Wrote the plan {} (fill in netbox.url and kanidm.origin, then `nbsso generate --plan {} --patch --dry-run`).",
            out.display(),
            out.display()
        );
        for n in plan_notes {
            outln!("  note: {n}");
        }
    }
}

pub const AFTER_HELP: &str = "PATH is a configuration.py (checkout netbox/netbox/, wheel $NETBOX_ROOT/conf/), a netbox-docker\n\
configuration directory (configuration.py, then the other *.py files by name; env/netbox.env beside it\n\
is read too), a Helm values file, or an env file. Nothing is changed.\n\n\
Examples:\n  \
nbsso import /opt/netbox/netbox/netbox/configuration.py\n  \
nbsso import netbox-docker/configuration --env-file netbox-docker/env/netbox.env --json\n  \
nbsso import values.yaml --plan-out plan.toml\n\n\
Exit codes: 0 read everything, 1 read with warnings, 2 a file cannot be read or is not valid Python or YAML\n\
(the message names file:line:column; nothing is written), 4 the plan could not be written.";
