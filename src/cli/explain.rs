//! `nbsso explain`: the cause and fix of a pasted error, and with `--plan` which cause it is.

use super::generate::print_plan_problems;
use super::{ExplainArgs, load_plan, print_json};
use crate::checks::{self, CheckId, Finding};
use crate::exit::Code;
use crate::explain::{
    self, Catalogue, Entry, Explanation, FixValues, Judged, Match, Rank, Verdict,
};
use crate::plan::Plan;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// More than any traceback or log excerpt someone pastes.
const MAX_TEXT: u64 = 4 * 1024 * 1024;

/// The messages shown when nothing matched, as examples of what is looked for.
const EXAMPLES: [&str; 5] = [
    "alg-not-allowed",
    "token-nbf",
    "pkce-missing",
    "redirect-mismatch",
    "tls-untrusted-netbox",
];

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
        .take(MAX_TEXT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() as u64 > MAX_TEXT {
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

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The human explanation of one entry: what, where, the causes with their fixes and verdicts.
fn render_entry(entry: &Entry, values: &FixValues, judged: &[Judged<'_>]) -> String {
    let mut out = format!(
        "{}\n  printed by: {}\n  seen: {}\n",
        entry.title,
        entry.component.label(),
        entry.seen
    );
    if entry.rank == Rank::Harmless {
        out.push_str("  This message is harmless: it is not why a login or command fails.\n");
    }
    out.push_str("\nCauses, most likely first:\n");
    for (i, cause) in entry.causes.iter().enumerate() {
        let verdict = judged.get(i).filter(|j| j.verdict != Verdict::NoCheck);
        let tag = verdict
            .map(|j| format!(" [{} {}]", j.verdict.glyph(), j.verdict.word()))
            .unwrap_or_default();
        out.push_str(&format!("  {}. {}{tag}\n", i + 1, cause.why));
        if let Some(evidence) = verdict.and_then(|j| j.evidence.as_deref()) {
            out.push_str(&format!("     check said: {evidence}\n"));
        } else if let Some(check) = &cause.check {
            out.push_str(&format!(
                "     confirm with: nbsso check --plan <plan> --only {check}\n"
            ));
        }
        out.push_str(&format!(
            "     fix:\n{}\n",
            indent(&values.render(&cause.fix), "       ")
        ));
    }
    out.push_str(&format!("\nSource of the text: {}\n", entry.source));
    out
}

fn render_found(found: &Explanation<'_>, primary: &Match<'_>) -> String {
    let mut out = format!(
        "Found in line {} of {}:\n  {}\n\n",
        primary.line, found.lines, primary.text
    );
    if explain::only_harmless(found) {
        out.push_str("Only harmless messages are in the text; the error itself is not.\n\n");
    }
    out
}

fn render_others(found: &Explanation<'_>) -> String {
    let others: Vec<String> = found
        .matches
        .iter()
        .skip(1)
        .map(|m| format!("  line {:<5} {:<28} {}", m.line, m.entry.id, m.entry.title))
        .collect();
    if others.is_empty() {
        String::new()
    } else {
        format!(
            "\nAlso in the text (nbsso explain --entry ID shows one):\n{}\n",
            others.join("\n")
        )
    }
}

fn render_checks(results: &[(CheckId, Finding)], judged: &[Judged<'_>]) -> String {
    let mut out = format!(
        "Checks run against the plan's servers:\n{}\n",
        indent(super::check::render_text(results, false).trim_end(), "  ")
    );
    match explain::which(judged) {
        Some(j) => {
            let n = judged.iter().position(|x| std::ptr::eq(x, j)).unwrap_or(0) + 1;
            out.push_str(&format!("\nIt is cause {n}: {}\n\n", j.cause.why));
        }
        None => out.push_str(
            "\nNo check confirms a cause; the ones marked ruled out are not it, look at the others by hand.\n\n",
        ),
    }
    out
}

fn render_nothing(catalogue: &Catalogue, lines: usize) -> String {
    let examples: Vec<String> = EXAMPLES
        .iter()
        .filter_map(|id| catalogue.get(id))
        .filter_map(|e| e.texts.first().or(e.regex.first()))
        .map(|t| format!("  {t}"))
        .collect();
    format!(
        "nbsso found none of its {} known messages in the text ({lines} line(s)).\n\
         It looks for messages of social-auth-core, PyJWT, requests, NetBox, Django, the kanidm CLI, \
         kanidmd's log and Kanidm's pages, for example:\n{}\n\
         Paste the last lines of NetBox's traceback (with DEBUG = True), or kanidmd's log lines of the \
         failed login (journalctl -u kanidmd). `nbsso explain --list` shows every message.\n",
        catalogue.entries.len(),
        examples.join("\n")
    )
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

/// kanidmd's refused redirect_uri next to the plan's redirect URL, in words.
fn observed_redirect(text: &str, planned: Option<&str>) -> Option<String> {
    let got = explain::refused_redirect(text)?;
    let planned = planned?;
    Some(match explain::redirect_difference(got, planned) {
        Some(difference) => {
            format!("Kanidm refused {got}; the plan's redirect URL is {planned}: {difference}.")
        }
        None => format!(
            "Kanidm refused {got}, which is the plan's redirect URL: it is not registered in Kanidm yet."
        ),
    })
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
        print!("{}", list(catalogue));
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
                print!("{}", render_entry(entry, &values, &[]));
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
            print!("{}", render_nothing(catalogue, found.lines));
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
    let observed = observed_redirect(&text, plan_redirect.as_deref());
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
        let mut out = render_found(&found, primary);
        if let Some(observed) = &observed {
            out.push_str(&format!("{observed}\n\n"));
        }
        if !results.is_empty() {
            out.push_str(&render_checks(&results, &judged));
        } else if args.plan.is_some() && entry.checks().is_empty() {
            out.push_str(
                "No check of nbsso check can tell these causes apart: look at them by hand.\n\n",
            );
        }
        out.push_str(&render_entry(entry, &values, &judged));
        out.push_str(&render_others(&found));
        print!("{out}");
    }
    Code::Ok
}
