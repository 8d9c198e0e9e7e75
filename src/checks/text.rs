//! The checks' results as plain text: one line per check with glyph and word, then the fix. `nbsso
//! check` prints it, and `nbsso explain` and the wizard show it above the causes they judge.

use super::{CheckId, Finding, Status};

/// One line per check (`✓ ok       Kanidm TLS  certificate valid …`), its fix under a failure or
/// warning, its details when `verbose`, and a count of each outcome.
pub fn render_text(results: &[(CheckId, Finding)], verbose: bool) -> String {
    let mut out = String::new();
    for (id, f) in results {
        out.push_str(&format!(
            "{} {:<8} {:<33} {}\n",
            f.status.glyph(),
            f.status.word(),
            id.title(),
            f.summary
        ));
        if let Some(fix) = &f.fix
            && f.status != Status::Pass
        {
            out.push_str(&format!("{:44}fix: {fix}\n", ""));
        }
        if verbose {
            for d in &f.details {
                out.push_str(&format!("{:44}{d}\n", ""));
            }
        }
    }
    out.push_str(&counts(results));
    out.push('\n');
    out
}

/// `5 ok, 1 warning(s), 1 failed, 0 skipped`.
pub fn counts(results: &[(CheckId, Finding)]) -> String {
    let count = |s: Status| results.iter().filter(|(_, f)| f.status == s).count();
    format!(
        "{} ok, {} warning(s), {} failed, {} skipped",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skipped)
    )
}
