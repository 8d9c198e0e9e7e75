//! The inspect view's client pane (drift rows first, then the attributes grouped) and commands
//! pane (converge and undo commands of the selected drift row, what differs and why).

use super::pane_block;
use crate::app::screens::inspect::{Inspect, Pane};
use crate::inspect::attribute_label;
use crate::inspect::attributes::groups;
use crate::kanidm::COMPARED_ATTRIBUTES as COMPARED;
use crate::kanidm::OAuthClientState;
use crate::theme::Theme;
use crate::view::text::{fit, wrap_words};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// The client's attributes, grouped, as the text report shows them.
fn attribute_lines(c: &OAuthClientState, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for group in groups(c) {
        lines.push(Line::styled(group.title, t.label()));
        for attribute in &group.attributes {
            let (label, value) = attribute.cells();
            lines.push(Line::from(vec![
                Span::styled(label, t.dim()),
                Span::raw(value.to_string()),
            ]));
        }
    }
    lines
}

pub(super) fn render_details(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = i.pane == Pane::Drift;
    let Some(row) = i.selected_row() else {
        let block = pane_block(" Client ".into(), focused, t);
        frame.render_widget(
            Paragraph::new(Line::styled("No client selected.", t.dim())).block(block),
            area,
        );
        return;
    };
    let c = &row.state;
    let title = match &c.display_name {
        Some(d) => format!(" {} — {d} ", c.name),
        None => format!(" {} ", c.name),
    };
    let block = pane_block(title, focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    // Drift rows first, one line each, so the selected one is at a known line.
    let mut selected_line = 0;
    match &i.plan {
        None => {
            lines.push(Line::styled(
                "No plan: with --plan FILE the drift and its commands show here.",
                t.dim(),
            ));
        }
        Some(plan) => {
            let compared = COMPARED
                .iter()
                .filter(|a| {
                    **a != "oauth2_consent_prompt_enable" || plan.kanidm.caps.consent_prompt_toggle
                })
                .count();
            let summary = if i.drift.is_empty() {
                Span::styled("✓ in sync with the plan", t.ok())
            } else {
                Span::styled(
                    fit(
                        &format!("✗ {} of {compared} attributes differ", i.drift.len()),
                        width.saturating_sub(7),
                    ),
                    t.fail(),
                )
            };
            lines.push(Line::from(vec![
                Span::styled("Drift  ", t.label()),
                summary,
            ]));
            for (n, item) in i.drift.iter().enumerate() {
                let selected = n == i.drift_selected;
                if selected {
                    selected_line = lines.len();
                }
                let text = format!(
                    "{:<15} plan {} · Kanidm {}",
                    attribute_label(item.attribute),
                    item.expected,
                    item.actual
                );
                let mut spans = vec![
                    Span::raw(if selected { "▸ " } else { "  " }),
                    Span::styled("✗ drift  ", t.fail()),
                    Span::raw(fit(&text, width.saturating_sub(11))),
                ];
                if selected && focused {
                    spans = crate::view::parts::selected_spans(spans, t);
                }
                lines.push(Line::from(spans));
            }
            let ok: Vec<&str> = COMPARED
                .into_iter()
                .filter(|a| {
                    !i.drift.iter().any(|d| d.attribute == *a)
                        && (*a != "oauth2_consent_prompt_enable"
                            || plan.kanidm.caps.consent_prompt_toggle)
                })
                .map(attribute_label)
                .collect();
            for (k, part) in wrap_words(&ok.join(", "), width.saturating_sub(11))
                .into_iter()
                .enumerate()
            {
                let head = if k == 0 {
                    "  ✓ ok     "
                } else {
                    "           "
                };
                lines.push(Line::from(vec![
                    Span::styled(head, t.ok()),
                    Span::styled(part, t.dim()),
                ]));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.extend(attribute_lines(c, t));
    let height = usize::from(inner.height).max(1);
    let mut scroll = usize::from(i.detail_scroll);
    // Drift rows sit at the top; a selection below the view scrolls to it.
    if focused && selected_line >= scroll + height {
        scroll = selected_line + 1 - height;
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(scroll).unwrap_or(0), 0)),
        inner,
    );
}

pub(super) fn render_commands(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = i.pane == Pane::Commands;
    let title = match i.selected_drift() {
        Some(item) => format!(
            " Commands: {} ({}) ",
            attribute_label(item.attribute),
            item.attribute
        ),
        None => " Commands ".to_string(),
    };
    let block = pane_block(title, focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::new();
    let Some(item) = i.selected_drift() else {
        let text = match (&i.plan, i.selected_row()) {
            (None, _) => "No plan, so no commands: run with --plan FILE to compare.".to_string(),
            (_, None) => String::new(),
            (Some(_), Some(r)) => {
                format!("✓ {} matches the plan: nothing to converge.", r.state.name)
            }
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, t.dim())).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    };
    let mut selected_span = (0, 0);
    for (n, (kind, command)) in i.commands().into_iter().enumerate() {
        let selected = focused && n == i.command_selected;
        let start = lines.len();
        let marker = if selected { "▸ " } else { "  " };
        for (k, part) in wrap_words(command, width.saturating_sub(11))
            .into_iter()
            .enumerate()
        {
            let head = if k == 0 {
                format!("{marker}{kind:<9}")
            } else {
                " ".repeat(11)
            };
            let style = if selected { t.selected() } else { Style::new() };
            lines.push(Line::from(vec![
                Span::styled(head, if kind == "undo" { t.dim() } else { t.key() }),
                Span::styled(part, style),
            ]));
        }
        if selected {
            selected_span = (start, lines.len());
        }
    }
    let differs = format!("plan {} · Kanidm {}", item.expected, item.actual);
    for (k, part) in wrap_words(&differs, width.saturating_sub(11))
        .into_iter()
        .enumerate()
    {
        let head = if k == 0 { "  differs  " } else { "           " };
        lines.push(Line::from(vec![
            Span::styled(head, t.dim()),
            Span::raw(part),
        ]));
    }
    for (k, part) in wrap_words(&item.why, width.saturating_sub(11))
        .into_iter()
        .enumerate()
    {
        let head = if k == 0 { "  why      " } else { "           " };
        lines.push(Line::from(vec![
            Span::styled(head, t.dim()),
            Span::raw(part),
        ]));
    }
    let height = inner.height.max(1);
    let (start, end) = selected_span;
    let scroll = if end > usize::from(height) {
        u16::try_from(end - usize::from(height)).unwrap_or(0)
    } else {
        0
    }
    .min(u16::try_from(start).unwrap_or(0));
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}
