//! `nbsso generate --patch`: the deployment's files patched for Kanidm, shown as diffs, written
//! atomically with a backup beside each.

use crate::deploy::detect::{self, Provider};
use crate::deploy::patch::{self, Instruction, PatchOutcome};
use crate::deploy::{self, Deployment, Shape};
use crate::generate::writer::{self, WriteError};
use crate::plan::{Plan, Stage};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub struct Prepared {
    shape: Shape,
    provider: Provider,
    stage: Stage,
    backend_name: String,
    redirect_url: String,
    outcome: PatchOutcome,
    backups: Vec<Option<PathBuf>>,
    next: Vec<String>,
    netbox_check: Option<NetBoxCheck>,
    check_result: Option<String>,
}

/// NetBox's own `check` for a configuration.py, when NetBox is installed beside it: a wheel
/// (`$NETBOX_ROOT/conf/configuration.py` with `$NETBOX_ROOT/venv/bin/netbox`) or a checkout
/// (`/opt/netbox/netbox/netbox/configuration.py` with `/opt/netbox/venv/bin/python` and `manage.py`).
struct NetBoxCheck {
    program: PathBuf,
    args: Vec<String>,
    dir: PathBuf,
    root: PathBuf,
}

impl NetBoxCheck {
    fn find(dep: &Deployment) -> Option<Self> {
        if dep.shape != Shape::ConfigurationPy {
            return None;
        }
        let config = dep
            .files
            .iter()
            .rev()
            .find(|f| f.python().is_some())?
            .path
            .clone();
        let config = std::fs::canonicalize(config).ok()?;
        let dir = config.parent()?;
        if dir.file_name().is_some_and(|n| n == "conf") {
            let root = dir.parent()?;
            let netbox = root.join("venv/bin/netbox");
            return netbox.is_file().then(|| Self {
                program: netbox,
                args: vec!["check".into()],
                dir: root.to_path_buf(),
                root: root.to_path_buf(),
            });
        }
        let project = dir.parent()?;
        let root = project.parent()?;
        let python = root.join("venv/bin/python");
        (project.join("manage.py").is_file() && python.is_file()).then(|| Self {
            program: python,
            args: vec!["manage.py".into(), "check".into()],
            dir: project.to_path_buf(),
            root: root.to_path_buf(),
        })
    }

    /// The command's verdict in one line (its last lines on failure).
    fn run(&self) -> String {
        let shown = format!("{} {}", self.program.display(), self.args.join(" "));
        let out = std::process::Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .env("NETBOX_ROOT", &self.root)
            .output();
        match out {
            Ok(o) if o.status.success() => format!("{shown}: passed"),
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stderr);
                let tail: Vec<&str> = text.lines().rev().take(5).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!(
                    "{shown} failed ({}): {}; the backup beside each file restores it",
                    o.status,
                    tail.join(" | ")
                )
            }
            Err(e) => format!("{shown} could not run: {e}"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PatchedFile {
    path: PathBuf,
    disposition: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<PathBuf>,
}

/// The `patch` object of `nbsso generate --json` (documented in the README).
#[derive(Debug, Serialize)]
pub struct PatchReport {
    shape: Shape,
    provider: Provider,
    stage: Stage,
    backend_name: String,
    redirect_url: String,
    files: Vec<PatchedFile>,
    notes: Vec<String>,
    instructions: Vec<Instruction>,
    next: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    netbox_check: Option<String>,
}

/// Reads the deployment the plan names and plans its patch; nothing is written.
pub fn prepare(plan: &Plan) -> Result<Prepared, String> {
    let d = &plan.deployment;
    if d.paths.is_empty() {
        return Err(
            "--patch needs the NetBox configuration: give its path after --patch, or set deployment.paths in the plan"
                .into(),
        );
    }
    let dep = deploy::load(&d.paths, d.env_file.as_deref()).map_err(|e| e.to_string())?;
    let findings = detect::detect(&dep);
    let outcome = patch::plan_patch(plan, &dep, &findings).map_err(|e| e.to_string())?;
    Ok(Prepared {
        shape: dep.shape,
        provider: findings.provider,
        stage: d.stage,
        backend_name: d.backend_name.clone(),
        redirect_url: plan.redirect_url(),
        backups: Vec::new(),
        next: next_steps(&dep, &outcome),
        netbox_check: NetBoxCheck::find(&dep),
        check_result: None,
        outcome,
    })
}

/// How to check and apply the change where NetBox runs.
fn next_steps(dep: &Deployment, outcome: &PatchOutcome) -> Vec<String> {
    let mut out = Vec::new();
    match dep.shape {
        Shape::ConfigurationPy => {
            if let Some(f) = dep.files.iter().rev().find(|f| f.python().is_some()) {
                let path = &f.path;
                let in_conf = path
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "conf");
                if in_conf {
                    let root = path
                        .parent()
                        .and_then(Path::parent)
                        .filter(|r| !r.as_os_str().is_empty())
                        .unwrap_or(Path::new("."));
                    out.push(format!("NETBOX_ROOT={} netbox check", root.display()));
                } else {
                    let manage = path
                        .parent()
                        .and_then(Path::parent)
                        .filter(|r| !r.as_os_str().is_empty())
                        .unwrap_or(Path::new("."));
                    out.push(format!(
                        "cd {} && python3 manage.py check",
                        manage.display()
                    ));
                }
            }
            out.push("restart NetBox (e.g. systemctl restart netbox netbox-rq)".into());
        }
        Shape::NetboxDocker => {
            out.push("docker compose exec netbox /opt/netbox/netbox/manage.py check".into());
            out.push(
                "docker compose up -d (recreates the containers, so a changed env file is read; a restart is not enough)"
                    .into(),
            );
        }
        Shape::Helm => out.push(
            "helm upgrade <release> <chart> -f <this values file>, after creating the Secret"
                .into(),
        ),
        Shape::Generated => {
            out.push("render the configuration again with its tool, then restart NetBox".into())
        }
    }
    if outcome.files.is_empty() && outcome.instructions.is_empty() {
        out.clear();
        out.push("nothing to change: the deployment already has these settings".into());
    }
    out
}

impl Prepared {
    pub fn report(&self, dry_run: bool) -> PatchReport {
        PatchReport {
            shape: self.shape,
            provider: self.provider,
            stage: self.stage,
            backend_name: self.backend_name.clone(),
            redirect_url: self.redirect_url.clone(),
            files: self
                .outcome
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| PatchedFile {
                    path: f.path.clone(),
                    disposition: if f.old.is_some() { "overwrite" } else { "new" },
                    diff: dry_run.then(|| f.diff.clone()),
                    backup: self.backups.get(i).cloned().flatten(),
                })
                .collect(),
            notes: self.outcome.notes.clone(),
            instructions: self.outcome.instructions.clone(),
            next: self.next.clone(),
            netbox_check: self.check_result.clone(),
        }
    }

    pub fn print(&self, dry_run: bool) {
        println!();
        println!(
            "NetBox deployment ({}, single sign-on today: {}; stage {}; Kanidm's redirect URL {}):",
            self.shape.label(),
            self.provider.source().key(),
            match self.stage {
                Stage::Kanidm => "kanidm",
                Stage::Both => "both",
            },
            self.redirect_url
        );
        if self.outcome.files.is_empty() {
            println!("  no file changes");
        }
        for (i, f) in self.outcome.files.iter().enumerate() {
            let what = if dry_run {
                if f.old.is_some() {
                    "would be patched"
                } else {
                    "would be created"
                }
            } else if f.old.is_some() {
                "patched"
            } else {
                "created"
            };
            let backup = self
                .backups
                .get(i)
                .cloned()
                .flatten()
                .map(|b| format!(" (old file kept as {})", b.display()))
                .unwrap_or_default();
            println!("  {}  {what}{backup}", f.path.display());
        }
        for n in &self.outcome.notes {
            println!("  why: {n}");
        }
        if dry_run {
            for f in &self.outcome.files {
                println!();
                print!("{}", f.diff);
            }
        }
        for i in &self.outcome.instructions {
            println!();
            println!("{}:", i.title);
            println!("{}", i.text);
        }
        if let Some(result) = &self.check_result {
            println!();
            println!("NetBox's own check: {result}");
        }
        if !self.next.is_empty() {
            println!();
            println!("Then, where NetBox runs:");
            for n in &self.next {
                println!("  {n}");
            }
        }
    }

    /// Writes every patched file (backups first); stops at the first failure. Then, where this
    /// machine has NetBox installed beside the configuration, runs its own check on it.
    pub fn write(&mut self, stamp: &str) -> Result<(), WriteError> {
        for f in &self.outcome.files {
            let backup = writer::replace_with_backup(&f.path, f.new.as_bytes(), 0o644, stamp)?;
            self.backups.push(backup);
        }
        if let Some(check) = self.netbox_check.take() {
            self.check_result = Some(check.run());
        }
        Ok(())
    }
}
