//! `nbsso check`: the live checks, as text with glyphs and words, or as JSON.

use super::generate::print_plan_problems;
use super::{CheckArgs, load_plan, print_json};
use crate::checks::{self, CheckId, Finding, Status};
use crate::exit::Code;
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

/// Unreachable when a server could not be reached, else findings when anything failed, warned or
/// was skipped, else ok.
pub fn exit_code(results: &[(CheckId, Finding)]) -> Code {
    if results.iter().any(|(_, f)| f.unreachable) {
        Code::Unreachable
    } else if results
        .iter()
        .any(|(_, f)| matches!(f.status, Status::Fail | Status::Warn | Status::Skipped))
    {
        Code::Findings
    } else {
        Code::Ok
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

pub fn run(args: &CheckArgs, runtime: &tokio::runtime::Runtime) -> Code {
    let only = match parse_only(&args.only) {
        Ok(only) => only,
        Err(message) => {
            eprintln!("nbsso: {message}");
            return Code::Usage;
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
                    exit_code: Code::Usage.value(),
                    problems: &problems,
                    checks: Vec::new(),
                });
            } else {
                print_plan_problems(&args.plan, &problems, "no check was run");
            }
            return Code::Usage;
        }
    };
    if !args.json {
        outln!(
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
            exit_code: code.value(),
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
        out!("{}", checks::render_text(&results, args.verbose));
    }
    code
}
