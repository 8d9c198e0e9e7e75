//! The inspect view: a header naming the source and the plan, the filter line, the client list
//! (only the visible rows are drawn), the selected client's drift rows and attributes, and the
//! commands that converge the selected drift row. Pure over [`Inspect`]; the footer comes from the
//! keymap like every other screen's.

mod client;
mod state;

use super::text::{fit, pad};
use crate::app::screens::inspect::{Inspect, Load, Pane, commands_height, list_width};
use crate::inspect::Row;
use crate::theme::Theme;
use client::{render_commands, render_details};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use state::render_state;
use unicode_width::UnicodeWidthStr;

/// Width of the drift column of the list (`✗ 12 drift`).
const DRIFT_COL: usize = 11;

/// Draws everything but the footer; returns where the cursor goes (the filter, when it has focus).
pub fn render(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) -> Option<Position> {
    let [header, filter, main, status] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    frame.render_widget(header_line(i, t, header.width), header);
    let cursor = filter_line(i, t, frame, filter);
    match &i.load {
        Load::Loaded => {
            let [top, commands] = main.layout(&Layout::vertical([
                Constraint::Fill(1),
                Constraint::Length(commands_height(area.height)),
            ]));
            let [list, details] = top.layout(&Layout::horizontal([
                Constraint::Length(list_width(area.width)),
                Constraint::Fill(1),
            ]));
            render_list(i, t, frame, list);
            render_details(i, t, frame, details);
            render_commands(i, t, frame, commands);
        }
        load => render_state(i, t, frame, main, load),
    }
    frame.render_widget(status_line(i, t), status);
    cursor
}

fn header_line(i: &Inspect, t: &Theme, width: u16) -> Paragraph<'static> {
    let from = i.from.clone().unwrap_or_else(|| i.source.label());
    let mut rest = format!("· Kanidm OAuth2 clients, read-only · {from}");
    match &i.plan_label {
        Some(plan) => rest.push_str(&format!(" · plan: {plan}")),
        None if i.plan.is_none() => rest.push_str(" · no plan"),
        None => {}
    }
    let rest = fit(&rest, usize::from(width).saturating_sub(16));
    Paragraph::new(Line::from(vec![
        Span::styled(" nbsso inspect ", t.title()),
        Span::styled(rest, t.dim()),
    ]))
}

fn filter_line(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) -> Option<Position> {
    let focused = i.pane == Pane::List;
    let label = " Filter › ";
    let count = match i.load {
        Load::Loaded => format!("{} of {} clients ", i.filtered.len(), i.rows.len()),
        _ => String::new(),
    };
    let label_w = u16::try_from(label.width()).unwrap_or(10);
    let count_w = u16::try_from(count.width()).unwrap_or(0);
    let input_w = area.width.saturating_sub(label_w + count_w + 1).max(1);
    let scroll = i.filter.visual_scroll(usize::from(input_w));
    let value: String = i.filter.value().chars().skip(scroll).collect();
    let shown = if value.is_empty() && !focused {
        Span::styled(
            "/ to filter by name, display name or redirect host",
            t.dim(),
        )
    } else if value.is_empty() {
        Span::styled("type to filter: name, display name, redirect host", t.dim())
    } else {
        Span::raw(fit(&value, usize::from(input_w)))
    };
    let [left, right] = area.layout(&Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(count_w),
    ]));
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(label, if focused { t.focus() } else { t.label() }),
            shown,
        ])),
        left,
    );
    frame.render_widget(Paragraph::new(Span::styled(count, t.dim())), right);
    focused.then(|| {
        let x = i.filter.visual_cursor().saturating_sub(scroll);
        Position::new(
            area.x + label_w + u16::try_from(x).unwrap_or(0).min(input_w),
            area.y,
        )
    })
}

pub(super) fn pane_block(title: String, focused: bool, t: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.focus() } else { t.dim() })
        .title(Span::styled(
            title,
            if focused { t.focus() } else { t.label() },
        ))
}

fn drift_cell(row: &Row, t: &Theme) -> Span<'static> {
    match row.drift {
        None => Span::styled(pad("–", DRIFT_COL), t.dim()),
        Some(0) => Span::styled(pad("✓ in sync", DRIFT_COL), t.ok()),
        Some(n) => Span::styled(pad(&format!("✗ {n} drift"), DRIFT_COL), t.fail()),
    }
}

fn render_list(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = i.pane == Pane::List;
    let block = pane_block(" Clients ".into(), focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    if i.filtered.is_empty() {
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled(
                    format!("No client matches “{}”.", i.filter.value()),
                    t.warn(),
                ),
                Line::styled("Esc clears the filter.", t.dim()),
            ])
            .wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let visible: Vec<usize> = i
        .filtered
        .iter()
        .skip(i.list_offset)
        .take(height)
        .copied()
        .collect();
    let longest = visible
        .iter()
        .filter_map(|&r| i.rows.get(r))
        .map(|r| r.state.name.width())
        .max()
        .unwrap_or(8);
    let name_w = longest.clamp(8, width.saturating_sub(2 + DRIFT_COL + 1).max(8));
    let display_w = width.saturating_sub(2 + name_w + 1 + DRIFT_COL);
    let mut lines = Vec::with_capacity(visible.len());
    for r in visible {
        let Some(row) = i.rows.get(r) else { continue };
        let selected = i.selected == Some(r);
        let mut spans = vec![
            Span::raw(if selected { "▸ " } else { "  " }),
            Span::styled(format!("{} ", pad(&row.state.name, name_w)), t.label()),
            drift_cell(row, t),
        ];
        if display_w > 4 {
            spans.push(Span::raw(pad(
                row.state.display_name.as_deref().unwrap_or(""),
                display_w,
            )));
        }
        if selected {
            let highlight = if focused { t.selected() } else { t.label() };
            spans = spans
                .into_iter()
                .map(|s| {
                    let style = s.style.patch(highlight);
                    s.style(style)
                })
                .collect();
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn status_line(i: &Inspect, t: &Theme) -> Paragraph<'static> {
    if let Some(notice) = &i.notice {
        return Paragraph::new(Line::styled(format!(" {notice}"), t.warn()));
    }
    let next = match i.pane {
        Pane::List => "Enter for the commands",
        Pane::Drift => "c copies converge commands",
        Pane::Commands => "c copies the command",
    };
    let text = match (&i.load, i.selected_row()) {
        (Load::Loaded, Some(row)) => match row.drift {
            Some(0) => format!(" ✓ {} is in sync with the plan", row.state.name),
            Some(n) => format!(
                " ✗ {} drifts from the plan in {n} attribute(s) · {next}",
                row.state.name
            ),
            None => format!(" {}: no plan to compare with", row.state.name),
        },
        _ => " Read-only: nothing is changed in Kanidm".into(),
    };
    Paragraph::new(Line::styled(text, t.dim()))
}
