//! `nbsso generate`: the plan's files, with a dry run and a JSON report.

use super::{GenerateArgs, print_json};
use crate::exit;
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

/// Reads and validates a plan file; on failure, the problems (a read or TOML error is one problem).
pub fn load_plan(path: &Path) -> Result<(plan::Plan, Vec<Problem>), Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem {
            severity: Severity::Error,
            field: path.display().to_string(),
            message: format!("cannot read the plan: {e}"),
            fix: None,
        }]
    })?;
    let draft = PlanDraft::from_toml(&text).map_err(|e| {
        let location = e
            .span()
            .map(|span| {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("{}:{line}", path.display())
            })
            .unwrap_or_else(|| path.display().to_string());
        vec![Problem {
            severity: Severity::Error,
            field: location,
            message: format!("the plan is not valid TOML: {}", e.message()),
            fix: Some("see examples/ for the plan format".into()),
        }]
    })?;
    plan::validate(&draft)
}

pub fn run(args: &GenerateArgs) -> u8 {
    let mut report = GenerateReport {
        version: 1,
        command: "generate",
        plan: &args.plan,
        ok: false,
        dry_run: args.dry_run,
        exit_code: exit::USAGE,
        output_dir: None,
        problems: &[],
        files: Vec::new(),
        error: None,
    };
    let (plan, warnings) = match load_plan(&args.plan) {
        Ok(ok) => ok,
        Err(problems) => {
            report.problems = &problems;
            if args.json {
                print_json(&report);
            } else {
                print_plan_problems(&args.plan, &problems, "nothing was written");
            }
            return exit::USAGE;
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

    if !args.json {
        println!(
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
        report.exit_code = exit::OK;
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
        if args.json {
            print_json(&report);
        } else {
            println!("Dry run: nothing is written. In {}:", out_dir.display());
            for f in &planned {
                println!(
                    "  {:<24} {:<11} {}  {}",
                    file_name(&f.path),
                    f.disposition.label(),
                    f.mode,
                    f.purpose
                );
            }
            for f in planned.iter().filter(|f| !f.diff.is_empty()) {
                println!();
                print!("{}", f.diff);
            }
        }
        return exit::OK;
    }

    let written = match writer::write_files(&planned, &writer::timestamp_now()) {
        Ok(w) => w,
        Err(e) => return fail_write(args, &mut report, e),
    };
    report.ok = true;
    report.exit_code = exit::OK;
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
        println!("Wrote {}:", out_dir.display());
        for (f, w) in planned.iter().zip(&written) {
            let backup = w
                .backup
                .as_ref()
                .map(|b| format!(" (old file kept as {})", file_name(b)))
                .unwrap_or_default();
            println!(
                "  {:<24} {:<11} {}{backup}",
                file_name(&f.path),
                f.disposition.label(),
                f.mode
            );
        }
        println!(
            "Next: follow {} step by step.",
            out_dir.join("CHECKLIST.md").display()
        );
    }
    exit::OK
}

fn fail_write(args: &GenerateArgs, report: &mut GenerateReport<'_>, e: writer::WriteError) -> u8 {
    report.exit_code = exit::WRITE_FAILED;
    report.error = Some(e.to_string());
    if args.json {
        print_json(report);
    } else {
        eprintln!("nbsso: {e}");
    }
    exit::WRITE_FAILED
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
