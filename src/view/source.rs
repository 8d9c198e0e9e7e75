//! The Source screen: the form (the old login, where NetBox's configuration is, the cut-over),
//! then a panel with what the read of the configuration found. The panel sits under the fields;
//! focused (Tab), it takes their place and scrolls.

use super::text::wrap_words;
use crate::app::screens::source::Read;
use crate::app::screens::source::panel::{self, Tone};
use crate::app::{Focusable, Model};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Below this many rows under the fields the unfocused panel shows only its summary.
const MIN_PANEL: u16 = 6;

pub fn render(model: &Model, frame: &mut Frame, area: Rect) -> Option<Position> {
    let focused = model.focused() == Some(Focusable::Deployment);
    let bottom = area.y + area.height;
    let (mut cursor, mut below) = super::form::render_fields(model, frame, area);
    if focused {
        // Focused, the panel takes the fields' place, so it has the same rows at every size
        // (the screen's scrolling counts on them).
        below = (area.y + 2).min(bottom);
        frame.render_widget(Clear, Rect::new(area.x, below, area.width, bottom - below));
        cursor = None;
    }
    let rest = Rect::new(area.x, below, area.width, bottom.saturating_sub(below));
    if rest.height == 0 {
        return cursor;
    }
    let t = &model.theme;
    let style = |tone: Tone| match tone {
        Tone::Plain => t.base(),
        Tone::Dim => t.dim(),
        Tone::Ok => t.ok(),
        Tone::Warn => t.warn(),
        Tone::Fail => t.error_text(),
    };
    let lines: Vec<(String, Style)> = panel::lines(&model.source, &model.answers)
        .into_iter()
        .map(|(text, tone)| (text, style(tone)))
        .collect();
    if rest.height < MIN_PANEL && !focused {
        // Little room: the first lines, wrapped; for findings, where to read them all.
        let room = usize::from(rest.height);
        let width = usize::from(rest.width);
        let mut short: Vec<Line> = lines
            .iter()
            .flat_map(|(text, style)| {
                wrap_words(text, width)
                    .into_iter()
                    .map(move |l| Line::styled(l, *style))
            })
            .take(room + 1)
            .collect();
        if short.len() > room {
            short.truncate(room);
            if room > 1 && matches!(model.source.read, Read::Found(_)) {
                short.truncate(room - 1);
                short.push(Line::styled(
                    "  Tab to the findings to read them all",
                    t.dim(),
                ));
            }
        }
        frame.render_widget(Paragraph::new(short), rest);
        return cursor;
    }
    let width = usize::from(rest.width.saturating_sub(2));
    let wrapped: Vec<Line> = lines
        .iter()
        .flat_map(|(text, style)| {
            let indent = text.len() - text.trim_start().len();
            wrap_words(text, width.saturating_sub(indent))
                .into_iter()
                .map(move |l| Line::styled(format!("{}{l}", " ".repeat(indent)), *style))
        })
        .collect();
    let inner = usize::from(rest.height.saturating_sub(2));
    let max = wrapped.len().saturating_sub(inner);
    let scroll = usize::from(model.source.scroll).min(max);
    let title = if wrapped.len() > inner {
        format!(
            " NetBox's configuration: lines {}–{} of {} ",
            scroll + 1,
            (scroll + inner).min(wrapped.len()),
            wrapped.len()
        )
    } else {
        " NetBox's configuration ".to_string()
    };
    let border = if focused { t.focus() } else { t.dim() };
    frame.render_widget(
        Paragraph::new(wrapped)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(border)
                    .title(Span::styled(title, t.label())),
            ),
        rest,
    );
    cursor
}
