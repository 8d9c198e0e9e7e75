//! The patch planner: plan + deployment + findings → the new bytes of every file it changes,
//! each with a redacted unified diff, the reasons, and instructions for what it must not touch.
//!
//! Rules (migration.md §2.7): a literal assignment that wins is spliced in place; stale settings
//! of the old login are removed; a value read from the environment is changed in the env file, not
//! rewritten into a literal; everything else goes into an nbsso block where it wins (the end of
//! `configuration.py`, or a netbox-docker file that sorts after every other one). Generated files
//! and Helm charts get instructions or a values diff instead of Python.

use super::detect::{DEFAULT_BACKEND, Findings, Winner};
use super::envfile::quote_env;
use super::splice::{Edit, apply, deletion_edits, line_ending, with_line_ending};
use super::verify::{same, verify};
use super::{Deployment, Role, Shape, Source, instructions};
use crate::generate::netbox_settings::{
    self as settings, BACKEND_CLASS, BLOCK_END, Item, SECRET_HELPER, Setting, Wiring,
};
use crate::plan::{Plan, SourceIdp, Stage};
use crate::pyconf::{Form, SyntaxError, Value};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

/// The netbox-docker file nbsso adds; it must sort after every other file of the directory.
pub const DOCKER_FILE: &str = "zz_nbsso_kanidm.py";

/// One file's change. Its Debug output leaves out the contents, which hold the old secrets.
#[derive(Clone)]
pub struct FilePatch {
    pub path: PathBuf,
    pub role: Role,
    /// `None` for a file nbsso creates.
    pub old: Option<String>,
    pub new: String,
    /// The unified diff, secrets shown as `<redacted>` lines.
    pub diff: String,
}

impl std::fmt::Debug for FilePatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePatch")
            .field("path", &self.path)
            .field("role", &self.role)
            .field("new_file", &self.old.is_none())
            .finish_non_exhaustive()
    }
}

/// Something nbsso does not change itself, with the exact change to make.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Instruction {
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct PatchOutcome {
    pub files: Vec<FilePatch>,
    /// Why each setting went where it went.
    pub notes: Vec<String>,
    pub instructions: Vec<Instruction>,
}

#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("{0}")]
    Refused(String),
    #[error("{path}:{line}:{column}: the patched file would not be valid Python ({message}); nothing was changed", line = .error.line, column = .error.column, message = .error.message)]
    Invalid { path: PathBuf, error: SyntaxError },
    #[error("{0}; nothing was changed")]
    Verify(String),
}

/// The settings the plan asks for, and how Kanidm sits beside what stays.
pub fn target_items(plan: &Plan, findings: &Findings) -> Vec<Item> {
    settings::kanidm_items(plan, &wiring(plan, findings))
}

fn wiring(plan: &Plan, findings: &Findings) -> Wiring {
    let mut base = Wiring::from_plan(plan);
    let staged = plan.deployment.stage == Stage::Both;
    let kanidm = settings::backend_path(plan);
    let header_login = findings
        .get("REMOTE_AUTH_ENABLED")
        .is_some_and(|r| matches!(r.value, Some(Value::Bool { value: true })));
    if let Some(current) = &findings.backends {
        base.kept_backends = current
            .iter()
            .filter(|b| **b != kanidm)
            .filter(|b| b.as_str() != DEFAULT_BACKEND || header_login)
            .filter(|b| staged || !is_sso_backend(b))
            .cloned()
            .collect();
        if staged && !base.kept_backends.iter().any(|b| is_sso_backend(b)) {
            base.kept_backends
                .extend(Wiring::from_plan(plan).kept_backends);
        }
    }
    if let (Some((name, label, icon)), Some(attrs)) = (
        &mut base.old_button,
        findings
            .get("SOCIAL_AUTH_BACKEND_ATTRS")
            .and_then(|r| r.value.as_ref()),
    ) && let Some((_, Value::List { items, .. })) = attrs
        .as_dict()
        .and_then(|d| d.into_iter().find(|(k, _)| k == name))
    {
        if let Some(old) = items.first().and_then(Value::as_str) {
            *label = old.to_string();
        }
        *icon = items.get(1).and_then(Value::as_str).map(str::to_string);
    }
    base
}

fn is_sso_backend(path: &str) -> bool {
    let class = path.rsplit('.').next().unwrap_or(path);
    class == "KeycloakOAuth2" || class == "OpenIdConnectAuth" || class == BACKEND_CLASS
}

/// Names of the old login that Kanidm does not set and that must go (a direct cut-over only).
fn is_stale(plan: &Plan, name: &str, targets: &[&str]) -> bool {
    if plan.deployment.stage == Stage::Both || targets.contains(&name) {
        return false;
    }
    let old_prefix = match plan.source {
        SourceIdp::Keycloak => "SOCIAL_AUTH_KEYCLOAK_",
        SourceIdp::Authentik | SourceIdp::KeycloakOidc | SourceIdp::Oidc => "SOCIAL_AUTH_OIDC_",
        SourceIdp::None => return false,
    };
    name.starts_with(old_prefix) || name.starts_with(&plan.deployment.settings_prefix())
}

/// Where the nbsso block goes: a file index, or a new netbox-docker file.
enum Dest {
    Existing(usize),
    New(PathBuf),
}

fn destination(dep: &Deployment) -> Result<Dest, PatchError> {
    let patchable = |f: &&super::DeployFile| f.python().is_some() && f.generated.is_none();
    if dep.shape == Shape::NetboxDocker {
        let names: Vec<String> = dep
            .files
            .iter()
            .filter(|f| f.python().is_some())
            .filter_map(|f| f.path.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        let mut name = DOCKER_FILE.to_string();
        while names.iter().any(|n| *n > name) {
            name.insert(0, 'z');
        }
        if let Some(i) = dep.files.iter().position(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == name.as_str())
        }) {
            return Ok(Dest::Existing(i));
        }
        let dir = dep
            .config_dir
            .clone()
            .or_else(|| {
                dep.files
                    .iter()
                    .find(|f| f.role == Role::DockerMain)
                    .and_then(|f| f.path.parent().map(PathBuf::from))
            })
            .unwrap_or_default();
        return Ok(Dest::New(dir.join(name)));
    }
    dep.files
        .iter()
        .enumerate()
        .rev()
        .find(|(_, f)| patchable(f))
        .map(|(i, _)| Dest::Existing(i))
        .ok_or_else(|| PatchError::Refused("no configuration file nbsso may change".into()))
}

/// Per-file edits while planning.
#[derive(Default)]
struct Edits {
    deletions: BTreeMap<usize, Vec<Range<usize>>>,
    replacements: BTreeMap<usize, Vec<Edit>>,
}

pub fn plan_patch(
    plan: &Plan,
    dep: &Deployment,
    findings: &Findings,
) -> Result<PatchOutcome, PatchError> {
    let mut out = PatchOutcome::default();
    let items = target_items(plan, findings);
    if plan.deployment.stage == Stage::Both
        && let Some((_, label, _)) = wiring(plan, findings).old_button
        && label == plan.login.label
    {
        return Err(PatchError::Refused(format!(
            "both login buttons would read {label:?}: set login.button_label to another label for Kanidm"
        )));
    }
    match dep.shape {
        Shape::Generated => {
            out.instructions = instructions::for_generated(plan, dep, findings, &items);
            return Ok(out);
        }
        Shape::Helm => {
            if plan.deployment.needs_backend_class() {
                return Err(PatchError::Refused(format!(
                    "the Helm chart builds NetBox's configuration from YAML only, so no Python module for a backend named {:?} can be placed: only the direct cut-over is possible here (deployment.stage = \"kanidm\", deployment.backend_name = \"oidc\")",
                    plan.deployment.backend_name
                )));
            }
            return super::helm_patch::plan(plan, dep, findings, &items, out);
        }
        _ => {}
    }
    let dest = destination(dep)?;
    let dest_index = match &dest {
        Dest::Existing(i) => Some(*i),
        Dest::New(_) => None,
    };
    let targets: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Setting(s) => Some(s.name.as_str()),
            _ => None,
        })
        .collect();
    let mut edits = Edits::default();
    let mut env_edits: Vec<Edit> = Vec::new();
    let mut env_appends = String::new();
    let mut block: Vec<Item> = Vec::new();
    for item in &items {
        let Item::Setting(s) = item else {
            block.push(item.clone());
            continue;
        };
        place(
            plan,
            dep,
            findings,
            s,
            dest_index,
            &mut edits,
            &mut env_edits,
            &mut env_appends,
            &mut block,
            &mut out.notes,
        );
    }
    // Stale settings of the old login: every assignment in a file nbsso may change.
    for (file, f, py) in dep.python_files() {
        for a in &py.assignments {
            if !is_stale(plan, &a.name, &targets) {
                continue;
            }
            if f.generated.is_some() {
                out.notes.push(format!(
                    "{}: {} stays: the file is generated; remove it in its source",
                    f.path.display(),
                    a.name
                ));
                continue;
            }
            edits
                .deletions
                .entry(file)
                .or_default()
                .push(a.stmt.clone());
        }
    }
    let needed_block = block.iter().any(|i| matches!(i, Item::Setting(_)));
    let dest_py = dest_index
        .and_then(|i| dep.files.get(i))
        .and_then(|f| f.python());
    let helper_needed = needed_block
        && block_needs_helper(&block_settings(&block))
        && !dest_py.is_some_and(|p| p.functions.iter().any(|f| f == SECRET_HELPER));
    block.retain(|i| match i {
        Item::SecretHelper => helper_needed,
        Item::BackendClass => {
            !dest_py.is_some_and(|p| p.classes.iter().any(|c| c.name == BACKEND_CLASS))
        }
        Item::Note(_) => needed_block,
        Item::Setting(_) => true,
    });
    let mut sources = Vec::new();
    for (index, f) in dep.files.iter().enumerate() {
        let mut file_edits = edits.replacements.remove(&index).unwrap_or_default();
        if let (Some(py), Some(dels)) = (f.python(), edits.deletions.remove(&index)) {
            file_edits.extend(deletion_edits(&f.text, py, &dels));
        }
        if f.role == Role::EnvFile {
            file_edits.append(&mut env_edits);
            if !env_appends.is_empty() {
                let eol = line_ending(&f.text);
                let mut text = String::new();
                if !f.text.is_empty() && !f.text.ends_with('\n') {
                    text.push_str(eol);
                }
                text.push_str(&with_line_ending(&env_appends, eol));
                file_edits.push(Edit {
                    range: f.text.len()..f.text.len(),
                    text,
                });
            }
        }
        if Some(index) == dest_index
            && !block.is_empty()
            && (needed_block || block.iter().any(|i| matches!(i, Item::BackendClass)))
        {
            let eol = line_ending(&f.text);
            let mut text = String::new();
            if !f.text.is_empty() && !f.text.ends_with('\n') {
                text.push_str(eol);
            }
            if !f.text.is_empty() {
                text.push_str(eol);
            }
            text.push_str(&with_line_ending(&render_block(plan, &block, false), eol));
            file_edits.push(Edit {
                range: f.text.len()..f.text.len(),
                text,
            });
        }
        let new = apply(&f.text, &file_edits);
        sources.push(Source {
            path: f.path.clone(),
            role: f.role,
            text: new.clone(),
        });
        if new != f.text {
            out.files.push(FilePatch {
                path: f.path.clone(),
                role: f.role,
                old: Some(f.text.clone()),
                new,
                diff: String::new(),
            });
        }
    }
    if let Dest::New(path) = &dest
        && needed_block
    {
        let text = render_block(plan, &block, true);
        sources.push(Source {
            path: path.clone(),
            role: Role::DockerExtra,
            text: text.clone(),
        });
        out.files.push(FilePatch {
            path: path.clone(),
            role: Role::DockerExtra,
            old: None,
            new: text,
            diff: String::new(),
        });
    }
    verify(plan, dep, &items, sources, &mut out)?;
    Ok(out)
}

fn block_settings(block: &[Item]) -> Vec<&Setting> {
    block
        .iter()
        .filter_map(|i| match i {
            Item::Setting(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn block_needs_helper(settings: &[&Setting]) -> bool {
    settings.iter().any(|s| s.needs_helper())
}

fn render_block(plan: &Plan, block: &[Item], new_file: bool) -> String {
    let placement = if new_file {
        "# netbox-docker loads this file after every other file of its directory, so these settings win.\n\
         # Undo: delete this file and restart NetBox.\n"
    } else {
        "# Added by nbsso at the end of this file, so these settings win.\n\
         # Undo: restore this file from the backup nbsso made beside it, and restart NetBox.\n"
    };
    let mut text = settings::block_header(plan, placement);
    text.push_str(&settings::render_items(plan, block));
    text.push_str(BLOCK_END);
    text
}

/// Decides where one setting goes; records the edits and the reason.
#[allow(clippy::too_many_arguments)]
fn place(
    plan: &Plan,
    dep: &Deployment,
    findings: &Findings,
    s: &Setting,
    dest: Option<usize>,
    edits: &mut Edits,
    env_edits: &mut Vec<Edit>,
    env_appends: &mut String,
    block: &mut Vec<Item>,
    notes: &mut Vec<String>,
) {
    let _ = plan;
    let resolved = findings.get(&s.name);
    let winner = resolved.and_then(|r| match r.winner {
        Winner::Python { file, assignment } => dep.files.get(file).and_then(|f| {
            f.python()
                .and_then(|p| p.assignments.get(assignment))
                .map(|a| (file, f, a))
        }),
        Winner::Helm { .. } => None,
    });
    if let Some((file, f, a)) = winner {
        let written = a
            .value_span
            .as_ref()
            .and_then(|r| f.text.get(r.clone()))
            .unwrap_or_default();
        let in_dest = Some(file) == dest;
        let already = match (&s.value, resolved.and_then(|r| r.value.as_ref())) {
            (Some(expected), Some(found)) => !a.value.is_dynamic() && same(found, expected),
            _ => written == s.expr,
        };
        if already && !a.is_conditional() && in_dest {
            return;
        }
        if let (Some(value), Some((env_index, env))) = (&s.value, dep.env_file())
            && let Some((var, as_list)) = env_read(&a.value)
            && let Some(text) = env_text(value, as_list)
        {
            let env_path = dep
                .files
                .get(env_index)
                .map(|e| e.path.display().to_string())
                .unwrap_or_default();
            match env.get(&var) {
                Some(entry) => {
                    if entry.value.expose() != text {
                        env_edits.push(Edit {
                            range: entry.value_span.clone(),
                            text: quote_env(&text, entry.quote),
                        });
                    }
                }
                None => env_appends.push_str(&format!("{var}={text}\n")),
            }
            notes.push(format!(
                "{}: set in {env_path} ({var}): {}:{} reads it from the environment, and nbsso does not turn an environment read into a literal",
                s.name,
                f.path.display(),
                a.line
            ));
            return;
        }
        let literal = matches!(a.value.form(), Form::Literal | Form::Json);
        // The secret's reader is defined in the nbsso block, so its call cannot go above it.
        if literal
            && !a.is_conditional()
            && a.sole_target
            && in_dest
            && f.generated.is_none()
            && !s.needs_helper()
        {
            if let Some(span) = &a.value_span {
                edits.replacements.entry(file).or_default().push(Edit {
                    range: span.clone(),
                    text: s.expr.clone(),
                });
            }
            delete_others(dep, &s.name, Some((file, a.stmt.start)), edits, false);
            return;
        }
        let why = if a.is_conditional() {
            format!(
                "{}:{} sets it only when {}",
                f.path.display(),
                a.line,
                a.conditions.join(" and ")
            )
        } else if !literal {
            format!(
                "{}:{} computes it ({}), which nbsso does not rewrite",
                f.path.display(),
                a.line,
                a.value.describe()
            )
        } else if f.generated.is_some() {
            format!("{} is generated", f.path.display())
        } else {
            format!(
                "{}:{} is overridden by a later file",
                f.path.display(),
                a.line
            )
        };
        notes.push(format!("{}: added where it wins, because {why}", s.name));
    }
    delete_others(dep, &s.name, None, edits, true);
    block.push(Item::Setting(s.clone()));
}

/// Removes other assignments of `name` in files nbsso may change: literal ones always, dynamic
/// ones only when `all` (they are replaced by the block in the same or a later file).
fn delete_others(
    dep: &Deployment,
    name: &str,
    keep: Option<(usize, usize)>,
    edits: &mut Edits,
    all: bool,
) {
    for (file, f, py) in dep.python_files() {
        if f.generated.is_some() {
            continue;
        }
        for a in py.assignments_of(name) {
            if keep == Some((file, a.stmt.start)) {
                continue;
            }
            let literal = matches!(a.value.form(), Form::Literal | Form::Json);
            let stock_env_read = f.role == Role::DockerMain && !literal;
            if (literal || all) && !stock_env_read && a.sole_target {
                edits
                    .deletions
                    .entry(file)
                    .or_default()
                    .push(a.stmt.clone());
            }
        }
    }
}

/// The environment variable a value is read from, and whether it is read as a space list.
fn env_read(value: &Value) -> Option<(String, bool)> {
    match value {
        Value::Env { var, map, .. } => Some((
            var.clone(),
            map.as_deref().is_some_and(|m| m.contains("LIST")),
        )),
        Value::Split { base, .. } => env_read(base).map(|(v, _)| (v, true)),
        _ => None,
    }
}

/// A value as an env file line holds it, when it can: a string, or a list read as a space list.
fn env_text(value: &Value, as_list: bool) -> Option<String> {
    match value {
        Value::Str { value } if !as_list && !value.contains(['\n', '\r']) => Some(value.clone()),
        Value::Str { value } if as_list && !value.contains(char::is_whitespace) => {
            Some(value.clone())
        }
        Value::List { items, .. } if as_list => items
            .iter()
            .map(|i| {
                i.as_str()
                    .filter(|s| !s.contains(char::is_whitespace) && !s.is_empty())
                    .map(str::to_string)
            })
            .collect::<Option<Vec<_>>>()
            .map(|l| l.join(" ")),
        _ => None,
    }
}
