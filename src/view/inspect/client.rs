//! The inspect view's client pane (drift rows first, then the attributes grouped) and commands
//! pane (converge and undo commands of the selected drift row, what differs and why).

use super::{LABEL, attribute_label, fit, pane_block};
use crate::inspect::Inspect;
use crate::kanidm::COMPARED_ATTRIBUTES as COMPARED;
use crate::kanidm::OAuthClientState;
use crate::keymap::InspectPane;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

fn on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn attr(label: &str, value: String, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {label:<LABEL$}"), t.dim()),
        Span::raw(value),
    ])
}

fn scopes(set: &std::collections::BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(" ")
}

/// The client's attributes, grouped: Identity, URLs, Access, Security.
fn attribute_lines(c: &OAuthClientState, t: &Theme) -> Vec<Line<'static>> {
    let none = || "(none)".to_string();
    let mut lines = vec![Line::styled("Identity", t.label())];
    lines.push(attr("name", c.name.clone(), t));
    lines.push(attr(
        "display name",
        c.display_name.clone().unwrap_or_else(none),
        t,
    ));
    lines.push(attr("SPN", c.spn.clone().unwrap_or_else(none), t));
    lines.push(attr("UUID", c.uuid.clone().unwrap_or_else(none), t));
    lines.push(Line::styled("URLs", t.label()));
    lines.push(attr(
        "landing",
        c.landing_url.clone().unwrap_or_else(none),
        t,
    ));
    if c.redirect_urls.is_empty() {
        lines.push(attr("redirect", "(none: every login is refused)".into(), t));
    }
    for url in &c.redirect_urls {
        lines.push(attr("redirect", url.clone(), t));
    }
    lines.push(Line::styled("Access", t.label()));
    if c.scope_maps.is_empty() {
        lines.push(attr("scope map", "(none: nobody can log in)".into(), t));
    }
    for (group, set) in &c.scope_maps {
        lines.push(attr("scope map", format!("{group}: {}", scopes(set)), t));
    }
    if c.sup_scope_maps.is_empty() {
        lines.push(attr("sup. scope map", none(), t));
    }
    for (group, set) in &c.sup_scope_maps {
        lines.push(attr(
            "sup. scope map",
            format!("{group}: {}", scopes(set)),
            t,
        ));
    }
    if c.claim_maps.is_empty() {
        lines.push(attr("claim map", none(), t));
    }
    for claim in &c.claim_maps {
        lines.push(attr("claim map", claim.clone(), t));
    }
    lines.push(Line::styled("Security", t.label()));
    lines.push(attr(
        "PKCE",
        if c.pkce_disabled {
            "not enforced (disabled)"
        } else {
            "enforced"
        }
        .into(),
        t,
    ));
    lines.push(attr(
        "legacy crypto",
        if c.legacy_crypto {
            "on (RS256)"
        } else {
            "off (ES256)"
        }
        .into(),
        t,
    ));
    lines.push(attr("strict redirect", on(c.strict_redirect).into(), t));
    lines.push(attr("consent prompt", on(c.consent_prompt).into(), t));
    lines.push(attr(
        "short username",
        on(c.prefer_short_username).into(),
        t,
    ));
    lines.push(attr(
        "client secret",
        if c.basic_secret_present {
            "set (never shown)"
        } else {
            "none"
        }
        .into(),
        t,
    ));
    // Whatever else Kanidm holds (refresh token expiry, localhost redirects, key IDs), verbatim;
    // nothing named like a secret, whatever a future release calls it.
    let other: Vec<_> = c
        .other
        .iter()
        .filter(|(name, _)| !name.contains("secret"))
        .collect();
    if !other.is_empty() {
        lines.push(Line::styled("Other", t.label()));
    }
    for (name, values) in other {
        for value in values {
            lines.push(Line::from(vec![
                Span::styled(format!("  {name}: "), t.dim()),
                Span::raw(value.clone()),
            ]));
        }
    }
    lines
}

pub(super) fn render_details(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = i.pane == InspectPane::Drift;
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
                    spans = crate::view::selected_spans(spans, t);
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
    let focused = i.pane == InspectPane::Commands;
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

/// Word-wraps text at `width` columns; a word longer than a line is cut into pieces (commands must
/// be read whole, never cut off).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    let words = text.split_whitespace().flat_map(|word| {
        // Pieces of at most `width` columns (wide characters count two).
        let mut pieces = vec![String::new()];
        for c in word.chars() {
            let last = pieces.last().map_or(0, |p| p.width());
            if last + c.width().unwrap_or(0) > width {
                pieces.push(String::new());
            }
            if let Some(piece) = pieces.last_mut() {
                piece.push(c);
            }
        }
        pieces
    });
    for word in words {
        let used = line.width();
        if used > 0 && used + 1 + word.width() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}
