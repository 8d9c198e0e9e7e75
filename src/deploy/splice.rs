//! Byte splices on a file's original text: every byte outside an edit is kept as it was.

use crate::pyconf::PyConfig;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// The line ending the file uses: CRLF when its first line ends so, else LF.
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
        _ => "\n",
    }
}

/// `text` with `\n` written in the file's line ending.
pub fn with_line_ending(text: &str, eol: &str) -> String {
    if eol == "\n" {
        text.to_string()
    } else {
        text.replace('\n', eol)
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text.get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// The end of the line `at` is on, after its line break (or the end of the text).
fn line_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| at + i + 1)
}

/// The bytes to remove for a whole statement: its lines (with a trailing comment and the line
/// break) when it stands alone on them; only the statement and its `;` when it shares a line.
pub fn statement_removal(text: &str, stmt: &Range<usize>) -> Range<usize> {
    let start_of_line = line_start(text, stmt.start);
    let before = text.get(start_of_line..stmt.start).unwrap_or_default();
    let end_of_line = line_end(text, stmt.end);
    let after = text.get(stmt.end..end_of_line).unwrap_or_default();
    let after_trimmed = after.trim_start_matches([' ', '\t']);
    let alone_before = before.trim_start_matches('\u{feff}').trim().is_empty();
    if let Some(after_semicolon) = after_trimmed.strip_prefix(';') {
        // `A = 1; B = 2`: remove `A = 1; ` and keep the rest of the line.
        let semicolon = stmt.end + (after.len() - after_trimmed.len());
        let rest = after_semicolon.trim_start_matches([' ', '\t']);
        let end = semicolon + 1 + (after_semicolon.len() - rest.len());
        return stmt.start..end;
    }
    let trailing_is_comment_or_empty =
        after_trimmed.trim().is_empty() || after_trimmed.starts_with('#');
    if alone_before && trailing_is_comment_or_empty {
        // Keep a BOM at the very start of the file.
        let start = if before.starts_with('\u{feff}') {
            start_of_line + '\u{feff}'.len_utf8()
        } else {
            start_of_line
        };
        return start..end_of_line;
    }
    let trimmed_before = before.trim_end_matches([' ', '\t']);
    if trimmed_before.ends_with(';') {
        // `A = 1; B = 2`, removing B: remove `; B = 2`.
        return start_of_line + trimmed_before.len() - 1..stmt.end;
    }
    stmt.clone()
}

/// Applies non-overlapping edits (any order).
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 1024);
    let mut at = 0;
    for e in sorted {
        if e.range.start < at {
            continue;
        }
        out.push_str(text.get(at..e.range.start).unwrap_or_default());
        out.push_str(&e.text);
        at = e.range.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// Statement removals, with `if` statements left empty removed whole and other emptied suites
/// given a `pass`.
pub fn deletion_edits(text: &str, py: &PyConfig, dels: &[Range<usize>]) -> Vec<Edit> {
    let mut deleted: Vec<Range<usize>> = dels.to_vec();
    let all_deleted = |deleted: &[Range<usize>], block: usize| {
        py.blocks.get(block).is_some_and(|stmts| {
            !stmts.is_empty()
                && stmts
                    .iter()
                    .all(|s| deleted.iter().any(|d| d.start <= s.start && s.end <= d.end))
        })
    };
    for if_stmt in py.ifs.iter().rev() {
        if if_stmt.blocks.iter().all(|b| all_deleted(&deleted, *b)) {
            deleted.push(if_stmt.stmt.clone());
        }
    }
    // Keep only outermost ranges.
    let outer: Vec<Range<usize>> = deleted
        .iter()
        .filter(|r| {
            !deleted
                .iter()
                .any(|o| o != *r && o.start <= r.start && r.end <= o.end)
        })
        .cloned()
        .collect();
    let mut unique: Vec<Range<usize>> = Vec::new();
    for r in outer {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    let mut edits = Vec::new();
    let mut passed = Vec::new();
    for (index, stmts) in py.blocks.iter().enumerate() {
        if index == 0
            || stmts.is_empty()
            || !stmts
                .iter()
                .all(|s| unique.iter().any(|d| d.start <= s.start && s.end <= d.end))
        {
            continue;
        }
        // The suite's statements are all gone but the statement owning it stays: keep it valid.
        if let Some(first) = stmts.first()
            && unique.contains(first)
        {
            passed.push(first.clone());
            edits.push(Edit {
                range: first.clone(),
                text: "pass".into(),
            });
        }
    }
    for r in unique {
        if !passed.contains(&r) {
            edits.push(Edit {
                range: statement_removal(text, &r),
                text: String::new(),
            });
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remove(text: &str, stmt: &str) -> String {
        let start = text.find(stmt).unwrap();
        let r = statement_removal(text, &(start..start + stmt.len()));
        apply(
            text,
            &[Edit {
                range: r,
                text: String::new(),
            }],
        )
    }

    #[test]
    fn removal_keeps_neighbours() {
        assert_eq!(
            remove("a = 1\nB = 2  # old\nc = 3\n", "B = 2"),
            "a = 1\nc = 3\n"
        );
        assert_eq!(remove("a = 1; B = 2\n", "B = 2"), "a = 1\n");
        assert_eq!(remove("B = 2; a = 1\n", "B = 2"), "a = 1\n");
        assert_eq!(
            remove("\u{feff}B = 2\r\nc = 3\r\n", "B = 2"),
            "\u{feff}c = 3\r\n"
        );
        assert_eq!(
            remove("if x:\n    B = 2\n    c = 1\n", "B = 2"),
            "if x:\n    c = 1\n"
        );
        assert_eq!(remove("B = (1,\n  2)\n", "B = (1,\n  2)"), "");
    }

    #[test]
    fn line_endings() {
        assert_eq!(line_ending("a\r\nb"), "\r\n");
        assert_eq!(line_ending("a\nb\r\n"), "\n");
        assert_eq!(with_line_ending("a\nb\n", "\r\n"), "a\r\nb\r\n");
    }
}
