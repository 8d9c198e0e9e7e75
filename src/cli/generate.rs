//! `nbsso generate`: the plan's files, with a dry run and a JSON report.

use super::{GenerateArgs, print_json};
use crate::exit::Code;
use crate::generate::{self, writer};
use crate::plan::{self, PlanDraft, Problem, Severity};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The stable JSON report of `nbsso generate --json` (schema version 1, documented in the README).
#[derive(Debug, Serialize)]
struct GenerateReport<'a> {
    version: u32,
    command: &'static str,
    plan: &'a Path,
    ok: bool,
    dry_run: bool,
    exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_dir: Option<&'a Path>,
    problems: &'a [Problem],
    files: Vec<FileReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<super::patch::PatchReport>,
}

#[derive(Debug, Serialize)]
struct FileReport {
    path: PathBuf,
    kind: generate::FileKind,
    mode: String,
    disposition: writer::Disposition,
    purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

/// `--patch`: change the NetBox deployment itself, not only write files to the output directory.
#[derive(Debug, clap::Args)]
pub struct PatchArgs {
    /// Patch this NetBox configuration (a configuration.py, a netbox-docker configuration directory
    /// or a Helm values file); without paths, the plan's deployment.paths
    #[arg(long, value_name = "PATH", num_args = 0..)]
    pub patch: Option<Vec<PathBuf>>,
    /// The env file NetBox's process reads (default: the plan's deployment.env_file)
    #[arg(long, value_name = "FILE", requires = "patch")]
    pub env_file: Option<PathBuf>,
    /// kanidm: Kanidm replaces the old login; both: keep the old login beside Kanidm's
    #[arg(long, value_name = "STAGE", value_parser = ["kanidm", "both"])]
    pub stage: Option<String>,
}

/// Reads and validates a plan file; on failure, the problems (a read or TOML error is one problem).
pub fn load_plan(path: &Path) -> Result<(plan::Plan, Vec<Problem>), Vec<Problem>> {
    load_plan_with(path, |_| {})
}

/// As [`load_plan`], with command-line values put into the draft before it is checked.
pub fn load_plan_with(
    path: &Path,
    overrides: impl FnOnce(&mut PlanDraft),
) -> Result<(plan::Plan, Vec<Problem>), Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem::elsewhere(
            path.display().to_string(),
            format!("cannot read the plan: {e}"),
        )]
    })?;
    let mut draft = PlanDraft::from_toml(&text).map_err(|e| {
        let location = e
            .span()
            .map(|span| {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("{}:{line}", path.display())
            })
            .unwrap_or_else(|| path.display().to_string());
        vec![
            Problem::elsewhere(
                location,
                format!("the plan is not valid TOML: {}", e.message()),
            )
            .with_fix("see examples/ for the plan format"),
        ]
    })?;
    overrides(&mut draft);
    plan::validate(&draft)
}

pub fn run(args: &GenerateArgs) -> Code {
    let mut report = GenerateReport {
        version: 1,
        command: "generate",
        plan: &args.plan,
        ok: false,
        dry_run: args.dry_run,
        exit_code: Code::Usage.value(),
        output_dir: None,
        problems: &[],
        files: Vec::new(),
        error: None,
        patch: None,
    };
    let (plan, warnings) = match load_plan_with(&args.plan, |draft| {
        let p = &args.patch;
        if let Some(stage) = &p.stage {
            draft.deployment.stage = stage.clone();
        }
        if let Some(paths) = p.patch.as_ref().filter(|v| !v.is_empty()) {
            draft.deployment.paths = paths.iter().map(|x| x.display().to_string()).collect();
        }
        if let Some(env) = &p.env_file {
            draft.deployment.env_file = env.display().to_string();
        }
    }) {
        Ok(ok) => ok,
        Err(problems) => {
            report.problems = &problems;
            if args.json {
                print_json(&report);
            } else {
                print_plan_problems(&args.plan, &problems, "nothing was written");
            }
            return Code::Usage;
        }
    };
    report.problems = &warnings;
    let out_dir = args.out.clone().unwrap_or_else(|| plan.output_dir.clone());
    report.output_dir = Some(&out_dir);
    let mut files = generate::generate(&plan);
    super::users::keep_matched_map(&mut files, &out_dir, &plan);
    let planned = match writer::plan_files(&out_dir, &files) {
        Ok(p) => p,
        Err(e) => return fail_write(args, &mut report, e),
    };
    let patch = match args
        .patch
        .patch
        .is_some()
        .then(|| super::patch::prepare(&plan))
    {
        Some(Ok(patch)) => Some(patch),
        Some(Err(message)) => {
            report.error = Some(message.clone());
            if args.json {
                print_json(&report);
            } else {
                eprintln!("nbsso: {message}");
                eprintln!("nbsso: nothing was written.");
            }
            return Code::Usage;
        }
        None => None,
    };

    if !args.json {
        outln!(
            "Plan {}: {} → Kanidm {} at {}; NetBox {} (social-auth-core {}) at {}",
            args.plan.display(),
            plan.source.label(),
            plan.kanidm.caps.version,
            plan.kanidm.origin,
            plan.netbox.caps.netbox,
            plan.netbox.caps.social_core,
            plan.netbox_root()
        );
        for w in &warnings {
            eprintln!("{w}");
        }
    }

    if args.dry_run {
        report.ok = true;
        report.exit_code = Code::Ok.value();
        report.files = planned
            .iter()
            .map(|f| FileReport {
                path: f.path.clone(),
                kind: f.kind,
                mode: f.mode.clone(),
                disposition: f.disposition,
                purpose: f.purpose,
                backup: None,
                diff: (!f.diff.is_empty()).then(|| f.diff.clone()),
            })
            .collect();
        report.patch = patch.as_ref().map(|p| p.report(true));
        if args.json {
            print_json(&report);
        } else {
            outln!("Dry run: nothing is written. In {}:", out_dir.display());
            for f in &planned {
                outln!(
                    "  {:<24} {:<11} {}  {}",
                    file_name(&f.path),
                    f.disposition.label(),
                    f.mode,
                    f.purpose
                );
            }
            for f in planned.iter().filter(|f| !f.diff.is_empty()) {
                outln!();
                out!("{}", f.diff);
            }
            if let Some(p) = &patch {
                p.print(true);
            }
        }
        return Code::Ok;
    }

    let stamp = writer::timestamp_now();
    let written = match writer::write_files(&planned, &stamp) {
        Ok(w) => w,
        Err(e) => return fail_write(args, &mut report, e),
    };
    let mut patch = patch;
    if let Some(p) = &mut patch
        && let Err(e) = p.write(&stamp)
    {
        report.patch = Some(p.report(false));
        return fail_write(args, &mut report, e);
    }
    report.patch = patch.as_ref().map(|p| p.report(false));
    report.ok = true;
    report.exit_code = Code::Ok.value();
    report.files = planned
        .iter()
        .zip(&written)
        .map(|(f, w)| FileReport {
            path: f.path.clone(),
            kind: f.kind,
            mode: f.mode.clone(),
            disposition: f.disposition,
            purpose: f.purpose,
            backup: w.backup.clone(),
            diff: None,
        })
        .collect();
    if args.json {
        print_json(&report);
    } else {
        outln!("Wrote {}:", out_dir.display());
        for (f, w) in planned.iter().zip(&written) {
            let backup = w
                .backup
                .as_ref()
                .map(|b| format!(" (old file kept as {})", file_name(b)))
                .unwrap_or_default();
            outln!(
                "  {:<24} {:<11} {}{backup}",
                file_name(&f.path),
                f.disposition.label(),
                f.mode
            );
        }
        if let Some(p) = &patch {
            p.print(false);
        }
        outln!(
            "Next: follow {} step by step.",
            out_dir.join("CHECKLIST.md").display()
        );
    }
    Code::Ok
}

fn fail_write(args: &GenerateArgs, report: &mut GenerateReport<'_>, e: writer::WriteError) -> Code {
    report.exit_code = Code::NotWritten.value();
    report.error = Some(e.to_string());
    if args.json {
        print_json(report);
    } else {
        eprintln!("nbsso: {e}");
    }
    Code::NotWritten
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Prints an invalid plan's problems to stderr, errors and warnings in field order.
pub(super) fn print_plan_problems(plan: &Path, problems: &[Problem], consequence: &str) {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    for p in problems {
        eprintln!("{p}");
    }
    eprintln!(
        "nbsso: the plan {} has {errors} error(s); {consequence}.",
        plan.display()
    );
}
