//! Old lines that hold a secret, kept out of the diffs of nbsso's own output files: a file in the
//! output directory may have been edited by hand, with a client secret pasted in, and the review
//! screen, `--dry-run` and `--json` show what replacing it changes.

use crate::pyconf;
use std::collections::HashSet;
use std::ops::Range;

/// An assignment's name at the start of a line: Python `NAME =`, shell `NAME=`, `export NAME=`,
/// YAML or dict-like `NAME:`.
fn assigned_name(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let line = line.trim_start_matches(['\'', '"']);
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let rest = line[end..].trim_start_matches(['\'', '"']).trim_start();
    (end > 0 && (rest.starts_with('=') || rest.starts_with(':'))).then(|| &line[..end])
}

/// The lines of `old` (without their line ends) that must not be shown: those the Python reader
/// finds a secret in, those holding one of its secret values, and assignments to a secret name.
pub fn secret_lines(old: &str) -> HashSet<&str> {
    let (spans, values): (Vec<Range<usize>>, Vec<String>) = match pyconf::parse(old) {
        Ok(config) => (
            config.secret_spans,
            config
                .secret_values
                .iter()
                .map(|s| s.expose().to_string())
                .filter(|v| v.len() >= 3)
                .collect(),
        ),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let mut hidden = HashSet::new();
    let mut start = 0;
    for line in old.split_inclusive('\n') {
        let range = start..start + line.len();
        start = range.end;
        let overlaps = spans
            .iter()
            .any(|s| s.start < range.end && range.start < s.end.max(s.start + 1));
        let holds_value = values.iter().any(|v| line.contains(v.as_str()));
        let secret_name = assigned_name(line).is_some_and(pyconf::is_secret_name);
        if overlaps || holds_value || secret_name {
            hidden.insert(line.trim_end_matches(['\n', '\r']));
        }
    }
    hidden
}

/// `diff` (unified, from `old`) with every removed or context line that is one of `old`'s secret
/// lines shown as `<redacted>`, still marked, so the reader sees that it changes.
pub fn redact_diff(diff: &str, old: &str) -> String {
    let hidden = secret_lines(old);
    if hidden.is_empty() {
        return diff.to_string();
    }
    let mut out = String::with_capacity(diff.len());
    for (index, line) in diff.split_inclusive('\n').enumerate() {
        let body = line.get(1..).unwrap_or("").trim_end_matches(['\n', '\r']);
        let old_line = index >= 2 && (line.starts_with('-') || line.starts_with(' '));
        if old_line && hidden.contains(body) {
            let indent: String = body
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            out.push_str(&line[..1]);
            out.push_str(&indent);
            out.push_str("<redacted>\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_secrets_are_redacted_in_every_form() {
        let old = "# by hand\nSOCIAL_AUTH_OIDC_SECRET = 'canary-1'\nOTHER = {\n    'secret': 'canary-2',\n}\nexport KANIDM_PASSWORD=canary-3\nLOGIN_REQUIRED = True\n";
        let diff = "--- a\n+++ b\n@@ -1,7 +1,1 @@\n-# by hand\n-SOCIAL_AUTH_OIDC_SECRET = 'canary-1'\n-OTHER = {\n-    'secret': 'canary-2',\n-}\n-export KANIDM_PASSWORD=canary-3\n LOGIN_REQUIRED = True\n";
        let shown = redact_diff(diff, old);
        assert!(!shown.contains("canary"), "{shown}");
        assert!(
            shown.contains("-<redacted>\n-OTHER = {\n-    <redacted>\n"),
            "{shown}"
        );
        assert!(shown.contains(" LOGIN_REQUIRED = True\n"), "{shown}");
    }

    #[test]
    fn a_diff_without_secrets_is_unchanged() {
        let old = "LOGIN_REQUIRED = True\n";
        let diff = "--- a\n+++ b\n@@ -1 +1 @@\n-LOGIN_REQUIRED = True\n+LOGIN_REQUIRED = False\n";
        assert_eq!(redact_diff(diff, old), diff);
    }
}
