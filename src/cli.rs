//! The command line: `nbsso generate` (more commands build on the same core).

use crate::exit;
use crate::generate::{self, writer};
use crate::plan::{self, PlanDraft, Problem, Severity};
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "nbsso",
    version,
    about = "Moves NetBox single sign-on to Kanidm, safely",
    long_about = "Moves a NetBox instance's single sign-on to the Kanidm identity server.\n\n\
        nbsso reads a migration plan (TOML), checks it against what your NetBox and Kanidm versions can do, \
        and writes the kanidm commands, the NetBox settings and a checklist. It changes nothing on any server.",
    after_help = "Examples:\n  \
        nbsso generate --plan examples/keycloak-netbox-4.7.3.toml --dry-run\n  \
        nbsso generate --plan plan.toml --out ./nbsso-out\n  \
        nbsso generate --plan plan.toml --json\n\n\
        Exit codes: 0 ok, 1 findings, 2 usage or invalid plan, 3 unreachable, 4 output not written."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the kanidm script, the NetBox settings and the checklist for a plan
    #[command(after_help = "Files written to the output directory:\n  \
        CHECKLIST.md      the steps in order, with commands and checks\n  \
        kanidm-setup.sh   creates the Kanidm OAuth2 client, group and scope map (safe to rerun)\n  \
        kanidm-undo.sh    reverses what kanidm-setup.sh changed\n  \
        netbox-sso.py     the settings block for NetBox's configuration.py\n\n\
        Existing files that differ are backed up as NAME.nbsso-<timestamp>.bak before being replaced.")]
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The migration plan (TOML); see examples/ for one per scenario
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Output directory (default: the plan's output.dir)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Show what would be written, with diffs, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Some(Command::Generate(args)) => run_generate(&args),
        None => {
            eprintln!(
                "nbsso: name a command. `nbsso generate --plan FILE` writes the migration files; see `nbsso --help`."
            );
            exit::USAGE
        }
    }
}

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

fn run_generate(args: &GenerateArgs) -> u8 {
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
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .count();
                for p in &problems {
                    eprintln!("{p}");
                }
                eprintln!(
                    "nbsso: the plan {} has {errors} error(s); nothing was written.",
                    args.plan.display()
                );
            }
            return exit::USAGE;
        }
    };
    report.problems = &warnings;
    let out_dir = args.out.clone().unwrap_or_else(|| plan.output_dir.clone());
    report.output_dir = Some(&out_dir);
    let files = generate::generate(&plan);
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

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("nbsso: cannot print the JSON report: {e}"),
    }
}
