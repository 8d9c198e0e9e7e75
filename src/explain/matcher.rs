//! Finds the lines that matter in pasted text: a single message, a whole Python traceback, a page of
//! kanidmd's log or a terminal capture with colour codes. Pure: no I/O, so the wizard's paste box
//! and `nbsso explain` share it.

use super::catalogue::{Catalogue, Entry, Rank};
use std::collections::BTreeMap;

/// Longest line kept in a match (a pasted one-line JSON blob can be huge).
const MAX_SHOWN: usize = 300;

/// One catalogue entry found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'c> {
    pub entry: &'c Entry,
    /// 1-based line number in the pasted text.
    pub line: usize,
    /// The line, without colour codes and surrounding space (shortened when very long).
    pub text: String,
    /// Which of the entry's patterns matched (0 = the most telling).
    pub pattern: usize,
}

/// What the text holds: every entry found, the one that matters first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation<'c> {
    pub matches: Vec<Match<'c>>,
    /// Lines read.
    pub lines: usize,
}

impl<'c> Explanation<'c> {
    /// The entry that explains the failure: a cause before a symptom before a harmless message.
    pub fn primary(&self) -> Option<&Match<'c>> {
        self.matches.first()
    }

    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }
}

/// Removes terminal colour and cursor codes (the kanidm CLI colours its log lines even when piped).
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // CSI: parameters and intermediates, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

fn shown(line: &str) -> String {
    let trimmed = line.trim();
    if trimmed.chars().count() <= MAX_SHOWN {
        return trimmed.to_string();
    }
    let cut: String = trimmed.chars().take(MAX_SHOWN).collect();
    format!("{cut}…")
}

/// Every entry of `catalogue` found in `text`, ordered so the one that explains the failure comes
/// first: causes, then symptoms, then harmless messages; within a rank the later line first (the
/// last exception of a traceback is the one raised, and a log's last error is the latest). For each
/// entry the line is the last one matching its most telling pattern.
pub fn explain<'c>(catalogue: &'c Catalogue, text: &str) -> Explanation<'c> {
    // entry index -> (pattern index, line number, line)
    let mut best: BTreeMap<usize, (usize, usize, String)> = BTreeMap::new();
    let mut lines = 0;
    for (number, raw) in text.lines().enumerate() {
        lines = number + 1;
        let line = strip_ansi(raw);
        for hit in catalogue.set.matches(&line).iter() {
            let Some(&(entry, pattern)) = catalogue.owners.get(hit) else {
                continue;
            };
            let better = match best.get(&entry) {
                Some((p, _, _)) => pattern <= *p,
                None => true,
            };
            if better {
                best.insert(entry, (pattern, number + 1, shown(&line)));
            }
        }
    }
    let mut matches: Vec<Match<'c>> = best
        .into_iter()
        .filter_map(|(index, (pattern, line, text))| {
            catalogue.entries.get(index).map(|entry| Match {
                entry,
                line,
                text,
                pattern,
            })
        })
        .collect();
    matches.sort_by_key(|m| (m.entry.rank, std::cmp::Reverse(m.line), m.pattern));
    Explanation { matches, lines }
}

/// The ranks present, for saying what kind of text was pasted.
pub fn only_harmless(explanation: &Explanation<'_>) -> bool {
    !explanation.is_empty()
        && explanation
            .matches
            .iter()
            .all(|m| m.entry.rank == Rank::Harmless)
}
