//! Unified diffs of patched files that never show a secret: a line holding one is printed as
//! `<redacted>`, still marked `-`/`+` so the reader sees that it changes.

use crate::secret::Secret;
use similar::{ChangeTag, TextDiff};
use std::collections::HashSet;
use std::ops::Range;

/// Lines (0-based) that must not be shown, from byte ranges of secrets.
pub fn secret_lines(text: &str, spans: &[Range<usize>], values: &[Secret]) -> HashSet<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let mut out = HashSet::new();
    for span in spans {
        let last = line_of(span.end.saturating_sub(1).max(span.start));
        out.extend(line_of(span.start)..=last);
    }
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if values
            .iter()
            .any(|v| v.expose().len() >= 3 && line.contains(v.expose()))
        {
            out.insert(index);
        }
    }
    out
}

/// One hunk: the 0-based line ranges it covers in the old and new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old: Range<usize>,
    pub new: Range<usize>,
}

pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    diff.grouped_ops(3)
        .iter()
        .filter_map(|group| {
            let first = group.first()?;
            let last = group.last()?;
            Some(Hunk {
                old: first.old_range().start..last.old_range().end,
                new: first.new_range().start..last.new_range().end,
            })
        })
        .collect()
}

/// The unified diff from `old` to `new` with secret lines hidden. Empty when they are equal.
pub fn unified(
    label_old: &str,
    label_new: &str,
    old: &str,
    new: &str,
    hide_old: &HashSet<usize>,
    hide_new: &HashSet<usize>,
) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    let mut out = format!("--- {label_old}\n+++ {label_new}\n");
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (o, n) = (first.old_range().start, first.new_range().start);
        let (ol, nl) = (last.old_range().end - o, last.new_range().end - n);
        out.push_str(&format!(
            "@@ -{},{ol} +{},{nl} @@\n",
            if ol == 0 { o } else { o + 1 },
            if nl == 0 { n } else { n + 1 }
        ));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, hidden) = match change.tag() {
                    ChangeTag::Equal => (
                        ' ',
                        change.old_index().is_some_and(|i| hide_old.contains(&i)),
                    ),
                    ChangeTag::Delete => (
                        '-',
                        change.old_index().is_some_and(|i| hide_old.contains(&i)),
                    ),
                    ChangeTag::Insert => (
                        '+',
                        change.new_index().is_some_and(|i| hide_new.contains(&i)),
                    ),
                };
                out.push(sign);
                let line = change.value();
                if hidden {
                    let indent: String = line
                        .chars()
                        .take_while(|c| *c == ' ' || *c == '\t')
                        .collect();
                    out.push_str(&indent);
                    out.push_str("<redacted>\n");
                } else {
                    out.push_str(line);
                    if !line.ends_with('\n') {
                        out.push_str("\n\\ No newline at end of file\n");
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_lines_are_redacted_but_still_marked() {
        let old = "a = 1\nSECRET_KEY = 'canary-old'\nb = 2\nc = 3\n";
        let new = "a = 1\nSECRET_KEY = 'canary-new'\nb = 2\nc = 4\n";
        let secrets = [Secret::new("canary-old")];
        let hide_old = secret_lines(old, &[std::ops::Range { start: 6, end: 31 }], &secrets);
        let hide_new = secret_lines(new, &[std::ops::Range { start: 6, end: 31 }], &[]);
        let d = unified("a", "b", old, new, &hide_old, &hide_new);
        assert!(!d.contains("canary"), "{d}");
        assert!(d.contains("-<redacted>\n+<redacted>\n"), "{d}");
        assert!(d.contains("-c = 3\n+c = 4\n"));
        assert_eq!(hunks(old, new).len(), 1);
    }
}
