//! The live check board: one row per check (glyph, word, title, finding), and a details pane with
//! the selected check's fix.

use super::parts::{field_label, selected_spans, status_glyph};
use crate::app::Model;
use crate::checks::{CheckId, Status};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let [head, rows, details] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(8),
        Constraint::Fill(1),
    ]));
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled("Checks: the live servers, read-only", t.title()),
            Line::styled(
                "They rerun by themselves when the answers change; r reruns them now.",
                t.dim(),
            ),
        ]),
        head,
    );
    if model.board.plan.is_none() {
        let mut lines = vec![Line::raw(
            "They start once the Kanidm or the NetBox answers are valid. Still needed:",
        )];
        for p in model
            .answers
            .missing()
            .iter()
            .take(usize::from(rows.height) + 4)
        {
            let label = field_label(p);
            lines.push(Line::from(vec![
                Span::styled("  ✗ ", t.fail()),
                Span::styled(label, t.label()),
                Span::raw(format!(": {}", p.message)),
            ]));
        }
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }),
            rows.union(details),
        );
        return;
    }
    let mut lines = Vec::new();
    for (i, id) in CheckId::ALL.into_iter().enumerate() {
        let row = model.board.rows.get(&id);
        let status = row.map_or(Status::Pending, |r| r.status);
        let (word, summary) = match row {
            Some(r) => (
                status.word(),
                r.finding
                    .as_ref()
                    .map(|f| f.summary.clone())
                    .unwrap_or_default(),
            ),
            None => ("waiting", waiting_for(model).to_string()),
        };
        let selected = i == model.board.selected;
        let mut spans = vec![
            Span::raw(if selected { "▸ " } else { "  " }),
            Span::styled(
                format!("{} {:<8}", status_glyph(model, status), word),
                t.status(status),
            ),
            Span::styled(format!("{:<33}", id.title()), t.label()),
            Span::raw(super::text::fit(
                &summary,
                usize::from(rows.width.saturating_sub(45)),
            )),
        ];
        if selected {
            spans = selected_spans(spans, t);
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), rows);
    render_details(model, frame, details);
}

fn render_details(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let id = model.board.selected_id();
    let row = model.board.rows.get(&id);
    let mut lines = Vec::new();
    match row.and_then(|r| r.finding.as_ref()) {
        Some(finding) => {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} {} ", finding.status.glyph(), finding.status.word()),
                    t.status(finding.status),
                ),
                Span::raw(finding.summary.clone()),
            ]));
            if let Some(fix) = &finding.fix {
                lines.push(Line::from(vec![
                    Span::styled("Fix: ", t.label()),
                    Span::raw(fix.clone()),
                ]));
            }
            // The link to the error catalogue: what this failure means, its causes and fixes.
            if let Some(entry) = crate::explain::catalogue()
                .ok()
                .and_then(|c| crate::explain::for_finding(c, id, finding))
            {
                lines.push(Line::from(vec![
                    Span::styled("Explained: ", t.label()),
                    Span::raw(format!("{} (", entry.title)),
                    Span::styled("e", t.key()),
                    Span::raw(format!(" opens {})", entry.id)),
                ]));
            }
            for d in &finding.details {
                lines.push(Line::styled(format!("  {d}"), t.dim()));
            }
        }
        None => match row {
            Some(r) => lines.push(Line::styled(
                format!("{} {}", status_glyph(model, r.status), r.status.word()),
                t.status(r.status),
            )),
            None => lines.push(Line::styled(
                format!("· waiting: this check {}", waiting_for(model)),
                t.dim(),
            )),
        },
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((model.board.details_scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.dim())
                    .title(Span::styled(
                        format!(" Details: {} ", id.title()),
                        t.label(),
                    )),
            ),
        area,
    );
}

/// Why a check is not part of the current (partial) run.
fn waiting_for(model: &Model) -> &'static str {
    match &model.board.only {
        Some(only) if only.contains(&CheckId::KanidmTls) => "needs valid NetBox answers",
        Some(_) => "needs valid Kanidm answers",
        None => "",
    }
}
