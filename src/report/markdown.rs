//! The report as Markdown for a forum post or an issue: headings, lists and fenced blocks that read
//! the same as plain text.

use super::model::{CheckRow, ClientPart, ImportPart, PlanPart, Report};
use std::fmt::Write as _;

/// A code span that survives backticks in the value.
fn code(value: &str) -> String {
    let longest = longest_backtick_run(value);
    let ticks = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{value}{pad}{ticks}")
}

fn longest_backtick_run(value: &str) -> usize {
    value.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A fenced block longer than any backtick run inside it.
fn fenced(out: &mut String, info: &str, body: &str) {
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    let _ = writeln!(out, "{fence}{info}\n{}\n{fence}", body.trim_end());
}

fn glyph(status: &str) -> (&'static str, &'static str) {
    match status {
        "pass" => ("✓", "ok"),
        "warn" => ("!", "warning"),
        "fail" => ("✗", "failed"),
        "skipped" => ("-", "skipped"),
        _ => ("·", "pending"),
    }
}

fn versions(out: &mut String, report: &Report) {
    out.push_str("### Versions\n\n| component | version | from |\n|---|---|---|\n");
    for row in &report.versions {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            row.component,
            row.version.as_deref().unwrap_or("unknown"),
            row.from
        );
    }
    out.push('\n');
}

fn check_row(out: &mut String, row: &CheckRow) {
    let (glyph, word) = glyph(&row.status);
    let _ = writeln!(out, "- {glyph} **{word}** {}: {}", row.title, row.summary);
    if let Some(fix) = &row.fix {
        let _ = writeln!(out, "  - fix: {fix}");
    }
    if let Some(link) = &row.explain {
        let _ = writeln!(
            out,
            "  - explained: {} ({})",
            code(&format!("nbsso explain --entry {}", link.entry)),
            link.title
        );
    }
    for detail in &row.details {
        let _ = writeln!(out, "  - {}", code(detail));
    }
}

fn checks(out: &mut String, report: &Report) {
    out.push_str("### Checks (`nbsso check`)\n\n");
    if let Some(note) = &report.checks.note {
        let _ = writeln!(out, "{note}\n");
    }
    for row in &report.checks.results {
        check_row(out, row);
    }
    if !report.checks.results.is_empty() {
        out.push('\n');
    }
}

fn client(out: &mut String, part: &ClientPart) {
    out.push_str("### Kanidm client (`nbsso inspect`)\n\n");
    if let Some(source) = &part.source {
        let _ = writeln!(out, "Read from {}.\n", code(source));
    }
    match part.state.as_str() {
        "in-sync" => {
            let _ = writeln!(
                out,
                "✓ {} is as the plan wants it.\n",
                part.client.as_deref().unwrap_or("the client")
            );
        }
        "drift" => {
            let _ = writeln!(
                out,
                "✗ {} differs from the plan in {} attribute(s):\n",
                part.client.as_deref().unwrap_or("the client"),
                part.drift.len()
            );
            for d in &part.drift {
                let _ = writeln!(
                    out,
                    "- {}: plan {}, Kanidm {}. {}",
                    code(&d.attribute),
                    code(&d.expected),
                    code(&d.actual),
                    d.why
                );
                for command in &d.converge {
                    let _ = writeln!(out, "  - {}", code(command));
                }
            }
            out.push('\n');
        }
        _ => {
            let _ = writeln!(out, "{}\n", part.note.as_deref().unwrap_or("not read"));
        }
    }
}

fn imports(out: &mut String, parts: &[ImportPart]) {
    out.push_str("### Old single sign-on (`--import`)\n\n");
    if parts.is_empty() {
        out.push_str("No configuration given.\n\n");
        return;
    }
    for part in parts {
        let _ = writeln!(
            out,
            "- {}: {}",
            code(&part.path),
            part.old_sso.as_deref().unwrap_or("no single sign-on found")
        );
        for s in &part.settings {
            let _ = writeln!(out, "  - {}", code(&format!("{} = {}", s.name, s.value)));
        }
        for note in &part.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out.push('\n');
}

fn plan(out: &mut String, part: &PlanPart) {
    match &part.path {
        Some(path) => {
            let _ = writeln!(out, "### Plan ({})\n", code(path));
        }
        None => out.push_str("### Plan\n\n"),
    }
    let state = match part.state.as_str() {
        "not-given" => "No plan given (`--plan FILE`).",
        "unreadable" => "The plan could not be read.",
        "not-toml" => "The plan is not valid TOML.",
        "invalid" => "The plan is invalid: nbsso would write nothing for it.",
        _ => "The plan is valid.",
    };
    let _ = writeln!(out, "{state}\n");
    if let Some(error) = &part.error {
        let _ = writeln!(out, "{}\n", code(error));
    }
    for p in &part.problems {
        let _ = writeln!(out, "- {} {}: {}", p.severity, code(&p.field), p.message);
        if let Some(fix) = &p.fix {
            let _ = writeln!(out, "  - fix: {fix}");
        }
    }
    if !part.problems.is_empty() {
        out.push('\n');
    }
    if !part.unknown_keys.is_empty() {
        let keys: Vec<String> = part.unknown_keys.iter().map(|k| code(k)).collect();
        let _ = writeln!(
            out,
            "Keys nbsso does not know (values not shown): {}\n",
            keys.join(", ")
        );
    }
    if let Some(toml) = &part.toml {
        fenced(out, "toml", toml);
        out.push('\n');
    }
}

fn environment(out: &mut String, report: &Report) {
    out.push_str("### Environment of this run\n\n");
    for row in &report.environment {
        let value = row
            .value
            .as_deref()
            .map_or_else(|| "not set".to_string(), code);
        let _ = writeln!(out, "- {}: {value}", row.name);
    }
    if let Some(secret) = &report.secret_file {
        let _ = writeln!(
            out,
            "- client secret file {}: {}",
            code(&secret.path),
            secret.state
        );
    }
    out.push('\n');
}

/// The report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("## nbsso report\n\n");
    let _ = writeln!(
        out,
        "nbsso {} on {}. Secrets and tokens are replaced by `<redacted>`; {}.\n",
        report.nbsso,
        report.platform,
        if report.anonymised {
            "host names and addresses are replaced by stand-ins, the same one for each host everywhere in this report (`--anonymise`)"
        } else {
            "host names are kept (`--anonymise` replaces them)"
        }
    );
    versions(&mut out, report);
    checks(&mut out, report);
    client(&mut out, &report.kanidm_client);
    imports(&mut out, &report.old_sso);
    plan(&mut out, &report.plan);
    environment(&mut out, report);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_fences_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        let mut out = String::new();
        fenced(&mut out, "toml", "x = \"```\"\n");
        assert_eq!(out, "````toml\nx = \"```\"\n````\n");
    }
}
