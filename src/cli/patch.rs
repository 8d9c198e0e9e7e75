//! `nbsso generate --patch`: the deployment's files patched for Kanidm (planned and written by
//! `deploy::apply`), shown as diffs and reported.

use crate::deploy::Shape;
use crate::deploy::apply::{self, Applied, ApplyError, PreparedPatch};
use crate::deploy::detect::Provider;
use crate::deploy::patch::Instruction;
use crate::generate::writer::WriteError;
use crate::plan::{Plan, Stage};
use serde::Serialize;
use std::path::PathBuf;

/// The prepared patch, and what writing it did.
pub struct Prepared {
    patch: PreparedPatch,
    applied: Applied,
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
    Ok(Prepared {
        patch: apply::prepare(plan)?,
        applied: Applied::default(),
    })
}

impl Prepared {
    fn backup(&self, path: &PathBuf) -> Option<PathBuf> {
        self.applied
            .files
            .iter()
            .find(|f| f.path == *path)
            .and_then(|f| f.backup.clone())
    }

    pub fn report(&self, dry_run: bool) -> PatchReport {
        let p = &self.patch;
        PatchReport {
            shape: p.shape,
            provider: p.provider,
            stage: p.stage,
            backend_name: p.backend_name.clone(),
            redirect_url: p.redirect_url.clone(),
            files: p
                .outcome
                .files
                .iter()
                .map(|f| PatchedFile {
                    path: f.path.clone(),
                    disposition: if f.old.is_some() { "overwrite" } else { "new" },
                    diff: dry_run.then(|| f.diff.clone()),
                    backup: self.backup(&f.path),
                })
                .collect(),
            notes: p.outcome.notes.clone(),
            instructions: p.outcome.instructions.clone(),
            next: p.next.clone(),
            netbox_check: self.applied.netbox_check.clone(),
        }
    }

    pub fn print(&self, dry_run: bool) {
        let p = &self.patch;
        outln!();
        outln!(
            "NetBox deployment ({}, single sign-on today: {}; stage {}; Kanidm's redirect URL {}):",
            p.shape.label(),
            p.provider.source().key(),
            match p.stage {
                Stage::Kanidm => "kanidm",
                Stage::Both => "both",
            },
            p.redirect_url
        );
        if p.outcome.files.is_empty() {
            outln!("  no file changes");
        }
        for f in &p.outcome.files {
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
                .backup(&f.path)
                .map(|b| format!(" (old file kept as {})", b.display()))
                .unwrap_or_default();
            outln!("  {}  {what}{backup}", f.path.display());
        }
        for n in &p.outcome.notes {
            outln!("  why: {n}");
        }
        if dry_run {
            for f in &p.outcome.files {
                outln!();
                out!("{}", f.diff);
            }
        }
        for i in &p.outcome.instructions {
            outln!();
            outln!("{}:", i.title);
            outln!("{}", i.text);
        }
        if let Some(result) = &self.applied.netbox_check {
            outln!();
            outln!("NetBox's own check: {result}");
        }
        if !p.next.is_empty() {
            outln!();
            outln!("Then, where NetBox runs:");
            for n in &p.next {
                outln!("  {n}");
            }
        }
    }

    /// Writes every patched file (backups first); stops at the first failure, keeping what was
    /// written for the report. Then NetBox's own check runs where NetBox is installed.
    pub fn write(&mut self, stamp: &str) -> Result<(), WriteError> {
        match self.patch.write(stamp) {
            Ok(applied) => {
                self.applied = applied;
                Ok(())
            }
            Err(ApplyError::Write { source, written }) => {
                self.applied.files = written;
                Err(source)
            }
            Err(ApplyError::Changed { path }) => Err(WriteError::Write {
                path,
                source: std::io::Error::other(
                    "it changed since nbsso read it; nothing of the patch was written",
                ),
            }),
        }
    }
}
