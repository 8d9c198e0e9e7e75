//! Which cause it is: an entry's causes judged by what the confirming checks found. Pure: the
//! caller runs the checks (`nbsso explain --plan`) and passes their findings in.

use super::catalogue::{Catalogue, Cause, Entry};
use super::matcher::explain;
use crate::checks::{CheckId, Finding, Status};
use serde::Serialize;

/// What the checks say about one cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The check failed or warned with the finding this cause predicts.
    Confirmed,
    /// The check failed or warned, but about something else.
    OtherProblem,
    /// The check passed: not this cause.
    RuledOut,
    /// The check could not run (skipped, unreachable, not selected).
    Unknown,
    /// No check can tell; look by hand.
    NoCheck,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::OtherProblem => "other problem",
            Self::RuledOut => "ruled out",
            Self::Unknown => "unknown",
            Self::NoCheck => "no check",
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Self::Confirmed => "✗",
            Self::OtherProblem => "!",
            Self::RuledOut => "✓",
            Self::Unknown | Self::NoCheck => "-",
        }
    }
}

/// One cause with its verdict and the finding it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged<'c> {
    #[serde(flatten)]
    pub cause: &'c Cause,
    pub verdict: Verdict,
    /// The check's one-line finding, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

fn finding_mentions(finding: &Finding, words: &str) -> bool {
    finding.summary.contains(words)
        || finding.fix.as_deref().is_some_and(|f| f.contains(words))
        || finding.details.iter().any(|d| d.contains(words))
}

/// What one check's result says about a cause whose confirmation is `words` (`None`: any
/// failure or warning confirms).
fn verdict_of(finding: &Finding, words: Option<&str>) -> Verdict {
    let mentions = words.map(|w| finding_mentions(finding, w));
    match finding.status {
        // An unreachable server confirms only the cause that is about reaching it.
        _ if finding.unreachable && mentions == Some(true) => Verdict::Confirmed,
        _ if finding.unreachable => Verdict::Unknown,
        Status::Pass => Verdict::RuledOut,
        Status::Fail | Status::Warn if mentions == Some(false) => Verdict::OtherProblem,
        Status::Fail | Status::Warn => Verdict::Confirmed,
        Status::Skipped | Status::Pending | Status::Running => Verdict::Unknown,
    }
}

/// Judges one cause by the results of its checks: confirmed if any check confirms it, else the
/// most telling of the others (another problem, ruled out, unknown).
pub fn judge_cause<'c>(cause: &'c Cause, results: &[(CheckId, Finding)]) -> Judged<'c> {
    let confirmations = cause.confirmations();
    if confirmations.is_empty() {
        return Judged {
            cause,
            verdict: Verdict::NoCheck,
            evidence: None,
        };
    }
    let order = |v: Verdict| match v {
        Verdict::Confirmed => 0,
        Verdict::OtherProblem => 1,
        Verdict::RuledOut => 2,
        Verdict::Unknown | Verdict::NoCheck => 3,
    };
    confirmations
        .iter()
        .map(
            |(check, words)| match results.iter().find(|(id, _)| id == check) {
                Some((_, finding)) => (verdict_of(finding, *words), Some(finding.summary.clone())),
                None => (Verdict::Unknown, None),
            },
        )
        .min_by_key(|(verdict, _)| order(*verdict))
        .map(|(verdict, evidence)| Judged {
            cause,
            verdict,
            evidence,
        })
        .unwrap_or(Judged {
            cause,
            verdict: Verdict::Unknown,
            evidence: None,
        })
}

/// Every cause of `entry`, judged; the most likely first, as in the catalogue.
pub fn judge<'c>(entry: &'c Entry, results: &[(CheckId, Finding)]) -> Vec<Judged<'c>> {
    entry
        .causes
        .iter()
        .map(|c| judge_cause(c, results))
        .collect()
}

/// The cause the checks point at: the first confirmed one.
pub fn which<'a, 'c>(judged: &'a [Judged<'c>]) -> Option<&'a Judged<'c>> {
    judged.iter().find(|j| j.verdict == Verdict::Confirmed)
}

/// The catalogue entry a check's finding belongs to, so a failed check can link to it: the entry
/// whose cause this check confirms with the words of this finding, else the entry whose message
/// the finding quotes, else none.
pub fn for_finding<'c>(
    catalogue: &'c Catalogue,
    check: CheckId,
    finding: &Finding,
) -> Option<&'c Entry> {
    if finding.status == Status::Pass {
        return None;
    }
    // The most direct link: an entry that names the failure (before a symptom), through its
    // most likely cause.
    let cited = catalogue
        .entries
        .iter()
        .filter_map(|entry| {
            entry
                .causes
                .iter()
                .position(|c| {
                    c.confirmations().iter().any(|(id, words)| {
                        *id == check && words.is_some_and(|w| finding_mentions(finding, w))
                    })
                })
                .map(|cause| (entry.rank, cause, entry))
        })
        .min_by_key(|(rank, cause, _)| (*rank, *cause));
    if let Some((_, _, entry)) = cited {
        return Some(entry);
    }
    let mut text = finding.summary.clone();
    if let Some(fix) = &finding.fix {
        text.push('\n');
        text.push_str(fix);
    }
    explain(catalogue, &text)
        .matches
        .into_iter()
        .map(|m| m.entry)
        .find(|e| e.checks().contains(&check))
}
