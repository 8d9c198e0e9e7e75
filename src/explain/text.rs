//! The human text of an explanation: the line that mattered, the causes in order with their fixes
//! (filled with the plan's values) and, after the checks ran, which cause it is. `nbsso explain`
//! prints it; the wizard's paste box and its accessible mode show the same text.

use super::catalogue::{Catalogue, Entry, Rank};
use super::fix::FixValues;
use super::matcher::{Explanation, Match, only_harmless};
use super::redirect::{redirect_difference, refused_redirect};
use super::verdict::{Judged, Verdict, judge, which};
use crate::checks::{self, CheckId, Finding, Status};

/// More than any traceback or log excerpt someone pastes.
pub const MAX_TEXT: usize = 4 * 1024 * 1024;

/// The messages shown when nothing matched, as examples of what is looked for.
const EXAMPLES: [&str; 5] = [
    "alg-not-allowed",
    "token-nbf",
    "pkce-missing",
    "redirect-mismatch",
    "tls-untrusted-netbox",
];

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One entry: what, where, the causes with their fixes and (after the checks) their verdicts.
pub fn entry_text(entry: &Entry, values: &FixValues, judged: &[Judged<'_>]) -> String {
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

fn found_text(found: &Explanation<'_>, primary: &Match<'_>) -> String {
    let mut out = format!(
        "Found in line {} of {}:\n  {}\n\n",
        primary.line, found.lines, primary.text
    );
    if only_harmless(found) {
        out.push_str("Only harmless messages are in the text; the error itself is not.\n\n");
    }
    out
}

fn others_text(found: &Explanation<'_>) -> String {
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

/// The checks' results and which cause they point at.
fn checks_text(results: &[(CheckId, Finding)], judged: &[Judged<'_>]) -> String {
    let mut out = format!(
        "Checks run against the plan's servers:\n{}\n",
        indent(checks::render_text(results, false).trim_end(), "  ")
    );
    match which(judged) {
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

/// What is said when the text holds no known message: how many are known, examples, what to paste.
pub fn nothing_text(catalogue: &Catalogue, lines: usize) -> String {
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

/// kanidmd's refused redirect_uri next to the plan's redirect URL, in words.
pub fn observed_redirect(text: &str, planned: Option<&str>) -> Option<String> {
    let got = refused_redirect(text)?;
    let planned = planned?;
    Some(match redirect_difference(got, planned) {
        Some(difference) => {
            format!("Kanidm refused {got}; the plan's redirect URL is {planned}: {difference}.")
        }
        None => format!(
            "Kanidm refused {got}, which is the plan's redirect URL: it is not registered in Kanidm yet."
        ),
    })
}

/// What `nbsso explain` says about a text in which `found` has a first match: the line, what the
/// text shows against the plan, the checks' results (`plan_given`: the checks could run), the
/// entry with its causes judged, and the other entries in the text.
pub fn explained_text(
    found: &Explanation<'_>,
    values: &FixValues,
    observed: Option<&str>,
    results: &[(CheckId, Finding)],
    plan_given: bool,
) -> String {
    let Some(primary) = found.primary() else {
        return String::new();
    };
    let entry = primary.entry;
    let judged = if results.is_empty() {
        Vec::new()
    } else {
        judge(entry, results)
    };
    let mut out = found_text(found, primary);
    if let Some(observed) = observed {
        out.push_str(&format!("{observed}\n\n"));
    }
    if !results.is_empty() {
        out.push_str(&checks_text(results, &judged));
    } else if plan_given && entry.checks().is_empty() {
        out.push_str(
            "No check of nbsso check can tell these causes apart: look at them by hand.\n\n",
        );
    }
    out.push_str(&entry_text(entry, values, &judged));
    out.push_str(&others_text(found));
    out
}

/// A failed or warning check's catalogue entry: what the check said, then the entry with each
/// cause judged by the results of the checks it names (`results`: every finished check).
pub fn check_text(
    check: CheckId,
    finding: &Finding,
    entry: &Entry,
    values: &FixValues,
    results: &[(CheckId, Finding)],
) -> String {
    let relevant: Vec<(CheckId, Finding)> = results
        .iter()
        .filter(|(id, _)| entry.checks().contains(id))
        .cloned()
        .collect();
    let judged = judge(entry, &relevant);
    let mut out = format!(
        "The check {} says {}: {}\n\n",
        check.title(),
        finding.status.word(),
        finding.summary
    );
    if !relevant.is_empty() {
        out.push_str(&checks_text(&relevant, &judged));
    }
    out.push_str(&entry_text(entry, values, &judged));
    out
}

/// What `nbsso explain` prints for `text`, as a front end shows it without running checks of its
/// own: `results` are checks that already ran against `plan` (the wizard's live board); only those
/// that confirm a cause of the matched entry are used. `None` when the catalogue failed to load.
pub fn pasted_text(
    text: &str,
    plan: Option<&crate::plan::Plan>,
    results: &[(CheckId, Finding)],
) -> Result<(bool, String), String> {
    let catalogue = super::catalogue::catalogue().map_err(|e| e.to_string())?;
    let found = super::matcher::explain(catalogue, text);
    let values = FixValues::new(plan);
    let Some(primary) = found.primary() else {
        return Ok((false, nothing_text(catalogue, found.lines)));
    };
    let wanted = primary.entry.checks();
    let relevant: Vec<(CheckId, Finding)> = results
        .iter()
        .filter(|(id, _)| wanted.contains(id))
        .cloned()
        .collect();
    let planned = plan.map(crate::plan::Plan::redirect_url);
    let observed = observed_redirect(text, planned.as_deref());
    Ok((
        true,
        explained_text(
            &found,
            &values,
            observed.as_deref(),
            &relevant,
            plan.is_some(),
        ),
    ))
}

/// The catalogue entry of a failed or warning check: its id, and the text [`check_text`] words
/// with the plan's values; or why there is none (the check passed, or no entry explains it).
pub fn failed_check_text(
    check: CheckId,
    results: &[(CheckId, Finding)],
    plan: Option<&crate::plan::Plan>,
) -> Result<(String, String), String> {
    let finding = results
        .iter()
        .find(|(id, f)| *id == check && matches!(f.status, Status::Fail | Status::Warn))
        .map(|(_, f)| f)
        .ok_or_else(|| {
            format!(
                "{} has not failed: there is nothing to explain.",
                check.title()
            )
        })?;
    let catalogue = super::catalogue::catalogue().map_err(|e| e.to_string())?;
    let entry = super::verdict::for_finding(catalogue, check, finding).ok_or_else(|| {
        format!(
            "No catalogue entry explains what {} found; its fix is in the details.",
            check.title()
        )
    })?;
    let text = check_text(check, finding, entry, &FixValues::new(plan), results);
    Ok((entry.id.clone(), text))
}
