//! `nbsso explain`: the cause and fix of a pasted error, and with `--plan` which cause it is.

use super::generate::print_plan_problems;
use super::{ExplainArgs, load_plan, print_json};
use crate::checks::{self, CheckId, Finding};
use crate::exit::Code;
use crate::explain::{self, Catalogue, Entry, FixValues, Judged, Rank, Verdict};
use crate::plan::Plan;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// Runs the checks `only` of `plan` to the end on the process's runtime (as `nbsso check` does).
pub(super) fn run_checks(
    runtime: &tokio::runtime::Runtime,
    plan: Plan,
    only: Option<BTreeSet<CheckId>>,
    timeout: Duration,
) -> Vec<(CheckId, Finding)> {
    let options = checks::Options {
        only,
        timeout: timeout.max(Duration::from_secs(1)),
        ..checks::Options::default()
    };
    runtime.block_on(checks::run_to_end(Arc::new(plan), options))
}

#[derive(Debug, Serialize)]
struct MatchJson<'a> {
    entry: &'a str,
    title: &'a str,
    rank: Rank,
    line: usize,
    text: &'a str,
}

#[derive(Debug, Serialize)]
struct CauseJson<'a> {
    why: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'a str>,
    fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct EntryJson<'a> {
    id: &'a str,
    title: &'a str,
    component: explain::Component,
    seen: &'a str,
    source: &'a str,
    causes: Vec<CauseJson<'a>>,
}

#[derive(Debug, Serialize)]
struct CheckJson<'a> {
    id: CheckId,
    #[serde(flatten)]
    finding: &'a Finding,
}

/// `nbsso explain --json` (schema version 1, documented in the README).
#[derive(Debug, Serialize)]
struct ExplainReport<'a> {
    version: u32,
    command: &'static str,
    exit_code: u8,
    lines: usize,
    looked_for: usize,
    matches: Vec<MatchJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<EntryJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checks: Vec<CheckJson<'a>>,
    /// The 1-based number of the cause the checks confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<usize>,
    /// What the text itself shows next to the plan (the redirect_uri Kanidm refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    observed: Option<String>,
}

fn read_text(args: &ExplainArgs) -> Result<String, String> {
    if !args.text.is_empty() && args.text != ["-"] {
        return Ok(args.text.join(" "));
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprintln!("Paste the error (a line, a traceback or log lines), then press Ctrl-D:");
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(explain::MAX_TEXT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() > explain::MAX_TEXT {
        return Err("the text is larger than 4 MiB: paste the lines around the error".into());
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn entry_json<'a>(entry: &'a Entry, values: &FixValues, judged: &'a [Judged<'a>]) -> EntryJson<'a> {
    EntryJson {
        id: &entry.id,
        title: &entry.title,
        component: entry.component,
        seen: &entry.seen,
        source: &entry.source,
        causes: entry
            .causes
            .iter()
            .enumerate()
            .map(|(i, c)| CauseJson {
                why: &c.why,
                check: c.check.as_deref(),
                fix: values.render(&c.fix),
                verdict: judged.get(i).map(|j| j.verdict),
                evidence: judged.get(i).and_then(|j| j.evidence.as_deref()),
            })
            .collect(),
    }
}

fn list(catalogue: &Catalogue) -> String {
    let mut out = String::new();
    for e in &catalogue.entries {
        out.push_str(&format!(
            "{}  ({})\n  {}\n",
            e.id,
            e.component.label(),
            e.title
        ));
        for t in e.texts.iter().take(3).chain(e.regex.iter()) {
            out.push_str(&format!("    {t}\n"));
        }
    }
    out
}

/// Loads the plan when one is given: `Err(exit code)` after printing the problems.
fn plan_of(args: &ExplainArgs) -> Result<Option<Plan>, Code> {
    let Some(path) = &args.plan else {
        return Ok(None);
    };
    match load_plan(path) {
        Ok((plan, _)) => Ok(Some(plan)),
        Err(problems) => {
            print_plan_problems(path, &problems, "no check was run");
            Err(Code::Usage)
        }
    }
}

pub fn run(args: &ExplainArgs, runtime: &tokio::runtime::Runtime) -> Code {
    let catalogue = match explain::catalogue() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nbsso: {e}");
            return Code::Usage;
        }
    };
    if args.list {
        out!("{}", list(catalogue));
        return Code::Ok;
    }
    let plan = match plan_of(args) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let values = FixValues::new(plan.as_ref());
    if let Some(id) = &args.entry {
        return match catalogue.get(id) {
            Some(entry) => {
                out!("{}", explain::entry_text(entry, &values, &[]));
                Code::Ok
            }
            None => {
                eprintln!("nbsso: no catalogue entry {id:?}; `nbsso explain --list` shows them");
                Code::Usage
            }
        };
    }
    let text = match read_text(args) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("nbsso: {e}");
            return Code::Usage;
        }
    };
    let found = explain::explain(catalogue, &text);
    let Some(primary) = found.primary() else {
        if args.json {
            print_json(&ExplainReport {
                version: 1,
                command: "explain",
                exit_code: Code::Findings.value(),
                lines: found.lines,
                looked_for: catalogue.entries.len(),
                matches: Vec::new(),
                entry: None,
                checks: Vec::new(),
                cause: None,
                observed: None,
            });
        } else {
            out!("{}", explain::nothing_text(catalogue, found.lines));
        }
        return Code::Findings;
    };
    let entry = primary.entry;
    let plan_redirect = plan.as_ref().map(Plan::redirect_url);
    let results = match plan {
        Some(plan) if !entry.checks().is_empty() => {
            let only = entry.checks().into_iter().collect();
            run_checks(runtime, plan, Some(only), Duration::from_secs(args.timeout))
        }
        _ => Vec::new(),
    };
    let observed = explain::observed_redirect(&text, plan_redirect.as_deref());
    let judged = if results.is_empty() {
        Vec::new()
    } else {
        explain::judge(entry, &results)
    };
    if args.json {
        let cause = explain::which(&judged)
            .and_then(|j| judged.iter().position(|x| std::ptr::eq(x, j)))
            .map(|i| i + 1);
        print_json(&ExplainReport {
            version: 1,
            command: "explain",
            exit_code: Code::Ok.value(),
            lines: found.lines,
            looked_for: catalogue.entries.len(),
            matches: found
                .matches
                .iter()
                .map(|m| MatchJson {
                    entry: &m.entry.id,
                    title: &m.entry.title,
                    rank: m.entry.rank,
                    line: m.line,
                    text: &m.text,
                })
                .collect(),
            entry: Some(entry_json(entry, &values, &judged)),
            checks: results
                .iter()
                .map(|(id, finding)| CheckJson { id: *id, finding })
                .collect(),
            cause,
            observed,
        });
    } else {
        out!(
            "{}",
            explain::explained_text(
                &found,
                &values,
                observed.as_deref(),
                &results,
                args.plan.is_some()
            )
        );
    }
    Code::Ok
}
