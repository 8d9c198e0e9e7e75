//! The inspect view: a header naming the source and the plan, the filter line, the client list
//! (only the visible rows are drawn), the selected client's drift rows and attributes, and the
//! commands that converge the selected drift row. Pure over [`Inspect`]; the footer comes from the
//! keymap like every other screen's.

use crate::inspect::{Inspect, Load, Row, Source, source::WHO_CAN_SEE};
use crate::kanidm::OAuthClientState;
use crate::keymap::InspectPane;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Width of the drift column of the list (`✗ 12 drift`).
const DRIFT_COL: usize = 11;
/// Width of the attribute labels in the details pane.
const LABEL: usize = 16;

fn commands_height(height: u16) -> u16 {
    (height.saturating_sub(4) * 2 / 5).clamp(7, 10)
}

fn list_width(width: u16) -> u16 {
    (width * 2 / 5).clamp(30, 56)
}

/// How many list rows are visible at a terminal size (the update keeps the selection in them).
pub fn list_rows(size: (u16, u16)) -> usize {
    let (_, h) = size;
    usize::from(h.saturating_sub(4 + commands_height(h) + 2)).max(1)
}

/// The Kanidm attributes drift compares, with the words the view uses for them.
pub fn attribute_label(attribute: &str) -> &'static str {
    match attribute {
        "oauth2_rs_origin" => "redirect URL",
        "oauth2_rs_origin_landing" => "landing URL",
        "oauth2_rs_scope_map" => "scope map",
        "oauth2_allow_insecure_client_disable_pkce" => "PKCE",
        "oauth2_jwt_legacy_crypto_enable" => "legacy crypto",
        "oauth2_prefer_short_username" => "short username",
        "oauth2_consent_prompt_enable" => "consent prompt",
        "oauth2_strict_redirect_uri" => "strict redirect",
        "displayname" => "display name",
        _ => "attribute",
    }
}

const COMPARED: [&str; 9] = [
    "oauth2_rs_origin",
    "oauth2_rs_origin_landing",
    "oauth2_rs_scope_map",
    "oauth2_allow_insecure_client_disable_pkce",
    "oauth2_jwt_legacy_crypto_enable",
    "oauth2_prefer_short_username",
    "oauth2_consent_prompt_enable",
    "oauth2_strict_redirect_uri",
    "displayname",
];

/// Cuts `text` to `width` columns with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn pad(text: &str, width: usize) -> String {
    format!("{:<width$}", fit(text, width))
}

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
    let focused = i.pane == InspectPane::List;
    let label = " Filter › ";
    let count = match i.load {
        Load::Loaded => format!("{} of {} clients ", i.filtered.len(), i.rows.len()),
        _ => String::new(),
    };
    let label_w = u16::try_from(label.chars().count()).unwrap_or(10);
    let count_w = u16::try_from(count.chars().count()).unwrap_or(0);
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

fn pane_block(title: String, focused: bool, t: &Theme) -> Block<'static> {
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
    let focused = i.pane == InspectPane::List;
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
        .map(|r| r.state.name.chars().count())
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
    lines
}

fn render_details(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) {
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
                    spans = spans
                        .into_iter()
                        .map(|s| {
                            let style = s.style.patch(t.selected());
                            s.style(style)
                        })
                        .collect();
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

fn render_commands(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect) {
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
        let chars: Vec<char> = word.chars().collect();
        chars
            .chunks(width)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
    });
    for word in words {
        let used = line.chars().count();
        if used > 0 && used + 1 + word.chars().count() > width {
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

/// What replaces the panes while there is no list: reading, empty, not allowed, unreachable.
fn render_state(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect, load: &Load) {
    let again = if i.source.rereadable() {
        "Then press F5 to read again."
    } else {
        "Then run nbsso inspect again."
    };
    let (title, style, mut lines) = match load {
        Load::Loading => (
            " Reading ",
            t.title(),
            vec![Line::raw(format!(
                "… reading the OAuth2 clients from {}",
                i.source.label()
            ))],
        ),
        Load::Empty => {
            let from = i.from.clone().unwrap_or_else(|| i.source.label());
            let how = match &i.source {
                Source::Live(_) => vec![
                    Line::raw("Log in as such an account:"),
                    Line::styled("  kanidm login -D idm_admin", t.key()),
                    Line::raw(again),
                ],
                _ => vec![
                    Line::raw("Save the list again as such an account:"),
                    Line::styled(
                        "  kanidm system oauth2 list --name idm_admin -o json > clients.json",
                        t.key(),
                    ),
                ],
            };
            (
                " No OAuth2 clients ",
                t.warn(),
                vec![
                    Line::styled(format!("{from} holds no OAuth2 client."), t.warn()),
                    Line::raw(""),
                    Line::raw(format!("If there should be some: {WHO_CAN_SEE}.")),
                ]
                .into_iter()
                .chain(how)
                .collect(),
            )
        }
        Load::NotAllowed(message) => (
            " Not allowed ",
            t.fail(),
            vec![
                Line::styled(
                    "✗ not allowed: Kanidm did not let this login read OAuth2 clients",
                    t.fail(),
                ),
                Line::raw(message.clone()),
                Line::raw(""),
                Line::raw("Log in as an account in idm_oauth2_admins, such as idm_admin:"),
                Line::styled("  kanidm login -D idm_admin", t.key()),
                Line::raw(again),
            ],
        ),
        Load::Unreachable(message) => (
            " Unreachable ",
            t.fail(),
            vec![
                Line::styled("✗ unreachable: Kanidm could not be read", t.fail()),
                Line::raw(message.clone()),
                Line::raw(""),
                Line::raw(format!(
                    "Check the URL and the CA file (the plan's kanidm.origin and tls.ca_file, or KANIDM_URL and KANIDM_CA_PATH). {again}"
                )),
            ],
        ),
        Load::Error(message) => (
            " Cannot read ",
            t.fail(),
            vec![
                Line::styled("✗ the clients could not be read", t.fail()),
                Line::raw(message.clone()),
            ],
        ),
        Load::Loaded => (" Clients ", t.label(), Vec::new()),
    };
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Read-only: nbsso changes nothing in Kanidm.",
        t.dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(style)
                .title(Span::styled(title, style)),
        ),
        area,
    );
}

fn status_line(i: &Inspect, t: &Theme) -> Paragraph<'static> {
    if let Some(notice) = &i.notice {
        return Paragraph::new(Line::styled(format!(" {notice}"), t.warn()));
    }
    let next = match i.pane {
        InspectPane::List => "Enter for the commands",
        InspectPane::Drift => "c copies converge commands",
        InspectPane::Commands => "c copies the command",
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
