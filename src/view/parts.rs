//! Pieces several screens draw: the status glyph (a spinner while running), the checks summary
//! line, the name of a problem's field, and the selection style laid over a row.

use crate::app::{Model, Step};
use crate::checks::{CheckId, Status};
use crate::plan::Problem;
use crate::theme::Theme;
use ratatui::text::Span;

/// Spinner frames for running checks (the word "running" stands beside it).
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(model: &Model) -> &'static str {
    let i = usize::try_from(model.tick % SPINNER.len() as u64).unwrap_or(0);
    SPINNER.get(i).copied().unwrap_or("…")
}

/// The glyph of a status, animated while running.
pub fn status_glyph(model: &Model, status: Status) -> &'static str {
    if status == Status::Running {
        spinner(model)
    } else {
        status.glyph()
    }
}

/// "Checks: ⠋ 2 running  ✓ 4 ok  ! 1 warning": glyph + word for every state.
pub fn checks_summary(model: &Model) -> Vec<Span<'static>> {
    let t = &model.theme;
    let mut spans = vec![Span::styled(" Checks: ", t.label())];
    if model.board.plan.is_none() {
        spans.push(Span::styled("start when the answers are valid", t.dim()));
        return spans;
    }
    let waiting = CheckId::ALL.len().saturating_sub(model.board.rows.len());
    if waiting > 0 {
        spans.push(Span::styled(format!("· {waiting} waiting  "), t.dim()));
    }
    for status in [
        Status::Running,
        Status::Pending,
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Skipped,
    ] {
        let n = model.board.count(status);
        if n > 0 {
            spans.push(Span::styled(
                format!("{} {n} {}  ", status_glyph(model, status), status.word()),
                t.status(status),
            ));
        }
    }
    spans
}

/// Where the wizard asks for a problem's field: `Kanidm › Kanidm URL`; a choice or a toggle (whose
/// label is a question or a sentence) by its plan key; anything else by its dotted name.
pub fn field_label(p: &Problem) -> String {
    match p.key.and_then(|k| Some((Step::asking(k)?, k))) {
        Some((step, field)) if field.is_text() => format!("{} › {}", step.title(), field.label()),
        Some((step, _)) => format!("{} › {}", step.title(), p.field),
        None => p.field.clone(),
    }
}

/// A row's spans with the selection style laid over each span's own.
pub fn selected_spans<'a>(spans: Vec<Span<'a>>, t: &Theme) -> Vec<Span<'a>> {
    spans
        .into_iter()
        .map(|s| {
            let style = s.style.patch(t.selected());
            s.style(style)
        })
        .collect()
}
