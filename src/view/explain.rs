//! The explain box on top of the screen: the end of the pasted text, then the explanation as
//! `nbsso explain` prints it, scrolled with PgUp/PgDn. The header and the footer stay visible.

use super::text::fit;
use crate::app::Model;
use crate::app::screens::explain::ExplainBox;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Lines of the pasted text shown: its end, where a traceback's message is.
const TEXT_ROWS: usize = 4;

pub fn render(model: &Model, open: &ExplainBox, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let popup = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(2),
        ..area
    };
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus())
        .title(Span::styled(
            format!(" {} (Esc closes) ", open.title),
            t.title(),
        ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let width = usize::from(inner.width);
    let result_area = if open.editable {
        let lines: Vec<&str> = open.text.lines().collect();
        let mut shown = vec![Line::styled(
            format!("Pasted text: {} line(s)", lines.len()),
            t.label(),
        )];
        for line in &lines[lines.len().saturating_sub(TEXT_ROWS)..] {
            shown.push(Line::styled(fit(&format!("  {line}"), width), t.dim()));
        }
        let rows = u16::try_from(shown.len() + 1).unwrap_or(u16::MAX);
        let [text, rest] = inner.layout(&Layout::vertical([
            Constraint::Length(rows),
            Constraint::Fill(1),
        ]));
        frame.render_widget(Paragraph::new(shown), text);
        rest
    } else {
        inner
    };
    let style = if open.matched { t.label() } else { t.warn() };
    let mut lines: Vec<Line> = Vec::new();
    for (i, line) in open.result.lines().enumerate() {
        if i == 0 {
            lines.push(Line::styled(line.to_string(), style));
        } else {
            lines.push(Line::raw(line.to_string()));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((open.scroll, 0)),
        result_area,
    );
}
