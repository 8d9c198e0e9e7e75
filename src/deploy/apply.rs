//! A patch prepared from the plan and applied to the deployment: read the files the plan names,
//! plan their changes (each re-parsed before anything is written), and later write them
//! atomically with a backup beside each, refusing when a file changed since it was read. Then,
//! where NetBox is installed beside the configuration, NetBox's own check runs on the result.
//! `nbsso generate --patch` and the wizard's Write step both go through here.

use super::detect::{self, Provider};
use super::patch::{self, PatchOutcome};
use super::{Deployment, Shape};
use crate::generate::writer::{self, WriteError};
use crate::plan::{Plan, Stage};
use std::fmt;
use std::path::{Path, PathBuf};

/// The planned change of a deployment, with the commands that check and apply it where NetBox
/// runs. Its Debug output names the files only: their contents hold the old secrets.
pub struct PreparedPatch {
    pub shape: Shape,
    pub provider: Provider,
    pub stage: Stage,
    pub backend_name: String,
    pub redirect_url: String,
    pub outcome: PatchOutcome,
    /// How to check and apply the change where NetBox runs, in order.
    pub next: Vec<String>,
    netbox_check: Option<NetBoxCheck>,
}

impl fmt::Debug for PreparedPatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedPatch")
            .field("shape", &self.shape)
            .field("provider", &self.provider)
            .field(
                "files",
                &self
                    .outcome
                    .files
                    .iter()
                    .map(|f| &f.path)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// One file the patch wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchedFile {
    pub path: PathBuf,
    /// False for a file nbsso created (a netbox-docker file that sorts last).
    pub existed: bool,
    /// The old file, copied byte for byte beside it before it was replaced.
    pub backup: Option<PathBuf>,
}

/// What writing the patch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub files: Vec<PatchedFile>,
    /// NetBox's own check on the patched configuration, when NetBox is installed beside it.
    pub netbox_check: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "{path} changed since it was read; nothing of the patch was written (read it again: go back to the review)"
    )]
    Changed { path: PathBuf },
    /// A file could not be written: the files before it were (with their backups).
    #[error("{source}")]
    Write {
        source: WriteError,
        written: Vec<PatchedFile>,
    },
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

/// Reads the deployment the plan names and plans its patch; nothing is written.
pub fn prepare(plan: &Plan) -> Result<PreparedPatch, String> {
    let d = &plan.deployment;
    if d.paths.is_empty() {
        return Err(
            "--patch needs the NetBox configuration: give its path after --patch, or set deployment.paths in the plan"
                .into(),
        );
    }
    let dep = super::load(&d.paths, d.env_file.as_deref()).map_err(|e| e.to_string())?;
    let findings = detect::detect(&dep);
    let outcome = patch::plan_patch(plan, &dep, &findings).map_err(|e| e.to_string())?;
    Ok(PreparedPatch {
        shape: dep.shape,
        provider: findings.provider,
        stage: d.stage,
        backend_name: d.backend_name.clone(),
        redirect_url: plan.redirect_url(),
        next: next_steps(&dep, &outcome),
        netbox_check: NetBoxCheck::find(&dep),
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
        Shape::Helm => {
            out.push(
                "helm upgrade <release> <chart> -f <this values file>, after creating the Secret"
                    .into(),
            );
            out.push(
                "kubectl exec deploy/<release>-netbox -- /opt/netbox/netbox/manage.py check (once the new pods run)"
                    .into(),
            );
        }
        Shape::Generated => {
            out.push("render the configuration again with its tool (the changes above go into its source)".into());
            out.push(
                "netbox check (pip install) or python3 manage.py check (git install) where NetBox runs, then restart NetBox"
                    .into(),
            );
        }
    }
    if outcome.files.is_empty() && outcome.instructions.is_empty() {
        out.clear();
        out.push("nothing to change: the deployment already has these settings".into());
    }
    out
}

impl PreparedPatch {
    /// Writes every patched file (backups first); stops at the first failure. Nothing is written
    /// when any file changed since it was read. Then, where this machine has NetBox installed
    /// beside the configuration, runs its own check on it.
    pub fn write(&self, stamp: &str) -> Result<Applied, ApplyError> {
        for f in &self.outcome.files {
            let now = std::fs::read(&f.path).ok();
            let same = match (&f.old, &now) {
                (Some(old), Some(now)) => old.as_bytes() == now.as_slice(),
                (None, None) => true,
                _ => false,
            };
            if !same {
                return Err(ApplyError::Changed {
                    path: f.path.clone(),
                });
            }
        }
        let mut applied = Applied::default();
        for f in &self.outcome.files {
            let backup = writer::replace_with_backup(&f.path, f.new.as_bytes(), 0o644, stamp)
                .map_err(|source| ApplyError::Write {
                    source,
                    written: applied.files.clone(),
                })?;
            applied.files.push(PatchedFile {
                path: f.path.clone(),
                existed: f.old.is_some(),
                backup,
            });
        }
        applied.netbox_check = self.netbox_check.as_ref().map(NetBoxCheck::run);
        Ok(applied)
    }
}
