//! `nbsso check`: the live checks, as text with glyphs and words, or as JSON.

use super::generate::print_plan_problems;
use super::{CheckArgs, load_plan, print_json};
use crate::checks::{self, CheckId, Finding, Status};
use crate::exit;
use crate::plan::Problem;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The stable JSON report of `nbsso check --json` (schema version 1, documented in the README).
#[derive(Debug, Serialize)]
struct CheckReport<'a> {
    version: u32,
    command: &'static str,
    plan: &'a Path,
    exit_code: u8,
    problems: &'a [Problem],
    checks: Vec<CheckEntry>,
}

#[derive(Debug, Serialize)]
struct CheckEntry {
    id: CheckId,
    title: &'static str,
    #[serde(flatten)]
    finding: Finding,
}

/// 3 when a server was unreachable, else 1 when anything failed or warned, else 0.
pub fn exit_code(results: &[(CheckId, Finding)]) -> u8 {
    if results.iter().any(|(_, f)| f.unreachable) {
        exit::UNREACHABLE
    } else if results
        .iter()
        .any(|(_, f)| matches!(f.status, Status::Fail | Status::Warn | Status::Skipped))
    {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn parse_only(values: &[String]) -> Result<Option<BTreeSet<CheckId>>, String> {
    if values.is_empty() {
        return Ok(None);
    }
    let mut ids = BTreeSet::new();
    for v in values {
        match CheckId::from_key(v.trim()) {
            Some(id) => {
                ids.insert(id);
            }
            None => {
                let known: Vec<&str> = CheckId::ALL.iter().map(|c| c.key()).collect();
                return Err(format!(
                    "unknown check {v:?}; the checks are {}",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(Some(ids))
}

pub fn run(args: &CheckArgs) -> u8 {
    let only = match parse_only(&args.only) {
        Ok(only) => only,
        Err(message) => {
            eprintln!("nbsso: {message}");
            return exit::USAGE;
        }
    };
    let (plan, warnings) = match load_plan(&args.plan) {
        Ok(ok) => ok,
        Err(problems) => {
            if args.json {
                print_json(&CheckReport {
                    version: 1,
                    command: "check",
                    plan: &args.plan,
                    exit_code: exit::USAGE,
                    problems: &problems,
                    checks: Vec::new(),
                });
            } else {
                print_plan_problems(&args.plan, &problems, "no check was run");
            }
            return exit::USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nbsso: cannot start the network runtime: {e}");
            return exit::UNREACHABLE;
        }
    };
    if !args.json {
        println!(
            "Checking Kanidm {} (client {}) and NetBox {} for {}",
            plan.kanidm.origin,
            plan.kanidm.client,
            plan.netbox_root(),
            args.plan.display()
        );
        for w in &warnings {
            eprintln!("{w}");
        }
    }
    let options = checks::Options {
        only,
        timeout: Duration::from_secs(args.timeout.max(1)),
        ..checks::Options::default()
    };
    let results = runtime.block_on(checks::run_to_end(Arc::new(plan), options));
    let code = exit_code(&results);
    if args.json {
        print_json(&CheckReport {
            version: 1,
            command: "check",
            plan: &args.plan,
            exit_code: code,
            problems: &warnings,
            checks: results
                .into_iter()
                .map(|(id, finding)| CheckEntry {
                    id,
                    title: id.title(),
                    finding,
                })
                .collect(),
        });
    } else {
        print!("{}", render_text(&results, args.verbose));
    }
    code
}

/// The human report: one line per check with glyph and word, then the fix (and details if asked).
pub fn render_text(results: &[(CheckId, Finding)], verbose: bool) -> String {
    let mut out = String::new();
    for (id, f) in results {
        out.push_str(&format!(
            "{} {:<8} {:<33} {}\n",
            f.status.glyph(),
            f.status.word(),
            id.title(),
            f.summary
        ));
        if let Some(fix) = &f.fix
            && f.status != Status::Pass
        {
            out.push_str(&format!("{:44}fix: {fix}\n", ""));
        }
        if verbose {
            for d in &f.details {
                out.push_str(&format!("{:44}{d}\n", ""));
            }
        }
    }
    let count = |s: Status| results.iter().filter(|(_, f)| f.status == s).count();
    out.push_str(&format!(
        "{} ok, {} warning(s), {} failed, {} skipped\n",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skipped)
    ));
    out
}
