//! Users: the two inputs, the counts per state, the lock-out guard's verdict, the table (filter,
//! sort) with the selected user's reason, and the person picker on top.

use super::text::{fit, pad};
use crate::app::Model;
use crate::app::screens::users::{NOTHING_TO_MOVE, Users, UsersFocus, has_source};
use crate::plan::Field;
use crate::theme::Theme;
use crate::users::{State, UserMap, UserRow};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;

/// The glyph that says a state without colour.
pub fn glyph(state: State) -> &'static str {
    match state {
        State::Matched => "✓",
        State::Ambiguous => "?",
        State::Unmatched => "✗",
        State::AlreadyLinked => "=",
        State::Stray => "!",
        State::Local => "·",
    }
}

pub fn state_style(t: &Theme, state: State) -> Style {
    match state {
        State::Matched | State::AlreadyLinked => t.ok(),
        State::Ambiguous | State::Stray => t.warn(),
        State::Unmatched => t.fail(),
        State::Local => t.dim(),
    }
}

/// `✓ 5 matched  ? 1 ambiguous  …`
pub fn counts_line(t: &Theme, map: &UserMap) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{} users: ", map.users.len()),
        t.label(),
    )];
    for (state, n) in &map.counts {
        spans.push(Span::styled(
            format!("{} {n} {}  ", glyph(*state), state.label()),
            state_style(t, *state),
        ));
    }
    let renames = map.script.renames.len();
    if renames > 0 {
        spans.push(Span::styled(format!("↻ {renames} renamed"), t.ok()));
    }
    Line::from(spans)
}

/// The lock-out guard's verdict in one line; a second with the fix when it refuses.
pub fn guard_lines(t: &Theme, map: &UserMap, width: usize) -> Vec<Line<'static>> {
    if map.guard.ok {
        let text = format!("✓ Lock-out guard: {}", map.guard.message);
        return vec![Line::styled(fit(&text, width), t.ok())];
    }
    let text = format!("✗ Lock-out guard: {}", map.guard.message);
    let mut lines = vec![Line::styled(fit(&text, width), t.fail())];
    if let Some(fix) = &map.guard.fix {
        lines.push(Line::styled(fit(&format!("  fix: {fix}"), width), t.fail()));
    }
    lines
}

pub fn render(model: &Model, frame: &mut Frame, area: Rect) -> Option<Position> {
    let t = &model.theme;
    let u = &model.users;
    let plan = model.answers.plan.as_deref();
    let title = Line::styled(
        "Users: every NetBox user keeps their own account",
        t.title(),
    );
    if plan.is_none() || !has_source(plan) {
        let text = if plan.is_none() {
            "The answers are not complete yet: go back and finish them (PgUp); this step needs the \
             plan's source and Kanidm."
        } else {
            NOTHING_TO_MOVE
        };
        let lines = vec![title, Line::raw(""), Line::raw(text)];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return None;
    }
    let status_rows = if u.error.is_some() { 2 } else { 1 };
    let count_rows = match u.matched_map() {
        Some(map) if counts_line(t, map).width() > usize::from(area.width) => 2u16,
        _ => 1u16,
    };
    // The guard's verdict (and its fix), then the map's warnings (at most two lines).
    let guard_rows = match u.matched_map() {
        Some(map) => {
            let warnings = u16::try_from(map.warnings.len().min(2)).unwrap_or(2);
            1 + u16::from(!map.guard.ok) + warnings
        }
        None => 1,
    };
    let [
        head,
        export,
        persons,
        status,
        counts,
        guard,
        options,
        table,
        reason,
    ] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(status_rows),
        Constraint::Length(count_rows),
        Constraint::Length(guard_rows),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(2),
    ]));
    frame.render_widget(Paragraph::new(title), head);
    let live = plan.map_or(String::new(), |p| {
        format!(
            "(empty: read live from {} as {})",
            p.kanidm.origin, p.kanidm.admin
        )
    });
    let export_label = format!("{:<15}", Field::UsersExport.label());
    let persons_label = format!("{:<15}", Field::UsersPersons.label());
    let mut cursor = input_line(
        t,
        frame,
        export,
        (&export_label, &u.export_path),
        u.focus == UsersFocus::Export,
        Field::UsersExport.hint(),
    );
    cursor = cursor.or(input_line(
        t,
        frame,
        persons,
        (&persons_label, &u.persons_path),
        u.focus == UsersFocus::Persons,
        &live,
    ));
    frame.render_widget(status_paragraph(t, u), status);
    let width = usize::from(area.width);
    match &u.map {
        Some(Ok(map)) => {
            frame.render_widget(
                Paragraph::new(counts_line(t, map)).wrap(Wrap { trim: true }),
                counts,
            );
            let mut lines = guard_lines(t, map, width);
            lines.extend(
                map.warnings
                    .iter()
                    .take(2)
                    .map(|w| Line::styled(fit(&format!("! {w}"), width), t.warn())),
            );
            frame.render_widget(Paragraph::new(lines), guard);
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(Line::styled(fit(&format!("✗ {e}"), width), t.fail())),
                counts,
            );
        }
        None => {}
    }
    cursor = cursor.or(options_line(t, frame, options, u));
    if let Some(map) = u.matched_map() {
        render_table(t, frame, table, u, map);
        if let Some(row) = u.selected_row() {
            let mut text = row.reason.clone();
            if matches!(row.state, State::Ambiguous | State::Unmatched) {
                text = format!("p picks the person. {text}");
            }
            if let Some(fix) = &row.fix {
                text.push_str(&format!(". Fix: {fix}"));
            }
            frame.render_widget(
                Paragraph::new(Line::styled(text, t.dim())).wrap(Wrap { trim: true }),
                reason,
            );
        }
        if let Some(entry) = u.picker {
            picker(t, frame, area, u, entry);
        }
    }
    cursor
}

/// A label and a one-line text box; the cursor position when it has focus.
fn input_line(
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
    (label, input): (&str, &Input),
    focused: bool,
    placeholder: &str,
) -> Option<Position> {
    let room = usize::from(area.width).saturating_sub(label.len() + 1);
    let scroll = input.visual_scroll(room.max(1));
    let value: String = input.value().chars().skip(scroll).collect();
    let (text, style) = if value.is_empty() {
        (fit(placeholder, room), t.dim())
    } else {
        (
            fit(&value, room),
            if focused { t.focus() } else { t.base() },
        )
    };
    let marker = if focused { "▸" } else { " " };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{marker}{label}"), t.label()),
            Span::styled(text, style),
        ])),
        area,
    );
    let x = area.x + u16::try_from(label.len() + 1 + input.visual_cursor() - scroll).ok()?;
    focused.then_some(Position::new(x.min(area.right().saturating_sub(1)), area.y))
}

fn status_paragraph(t: &Theme, u: &Users) -> Paragraph<'static> {
    let line = if u.loading {
        Line::styled("Reading the export and Kanidm's persons…", t.dim())
    } else if let Some(e) = &u.error {
        Line::styled(format!("✗ {e}"), t.fail())
    } else if let Some(l) = &u.loaded {
        Line::styled(
            format!(
                "Read {} NetBox users (NetBox {}) and {} Kanidm persons ({})",
                l.export.users.len(),
                l.export.netbox_version,
                l.persons.len(),
                l.persons_from
            ),
            t.dim(),
        )
    } else {
        Line::styled(
            "Type the export output's path, then Enter (empty: skip this step)",
            t.dim(),
        )
    };
    Paragraph::new(line).wrap(Wrap { trim: true })
}

/// The filter, the sort and the deployment the commands are for.
fn options_line(t: &Theme, frame: &mut Frame, area: Rect, u: &Users) -> Option<Position> {
    let filtering = u.focus == UsersFocus::Filter;
    let label = "Filter: ";
    let value = u.filter.value();
    let shown = if value.is_empty() && !filtering {
        "(/ to type)".to_string()
    } else {
        fit(value, 18)
    };
    let (shape, manager) = u.shape();
    let sort = if u.by_state {
        "by state"
    } else {
        "NetBox order"
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(label, t.label()),
            Span::styled(
                format!("{shown:<19}"),
                if filtering { t.focus() } else { t.base() },
            ),
            Span::styled("Sort: ", t.label()),
            Span::raw(format!("{sort:<13}")),
            Span::styled("Commands for: ", t.label()),
            Span::raw(fit(&format!("{shape} ({})", manager.label()), 24)),
        ])),
        area,
    );
    let typed = u16::try_from(u.filter.visual_cursor().min(18)).ok()?;
    filtering.then_some(Position::new(area.x + 8 + typed, area.y))
}

fn render_table(t: &Theme, frame: &mut Frame, area: Rect, u: &Users, map: &UserMap) {
    let shown = u.shown();
    let width = usize::from(area.width);
    let why = width.saturating_sub(2 + 17 + 21 + 19);
    let mut lines = vec![Line::styled(
        format!(
            "  {}{}{}{}",
            pad("State", 17),
            pad("NetBox user", 21),
            pad("Kanidm person", 19),
            pad("Why", why)
        ),
        t.label(),
    )];
    let rows = usize::from(area.height).saturating_sub(1);
    let first = (u.selected + 1).saturating_sub(rows);
    if shown.is_empty() {
        lines.push(Line::styled("  No user matches the filter", t.dim()));
    }
    for (at, &i) in shown.iter().enumerate().skip(first).take(rows) {
        let Some(row) = map.users.get(i) else {
            continue;
        };
        let selected = at == u.selected && u.picker.is_none();
        lines.push(table_row(t, row, selected, why, u));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn table_row(t: &Theme, row: &UserRow, selected: bool, why: usize, u: &Users) -> Line<'static> {
    let state = format!("{} {}", glyph(row.state), row.state.label());
    let person = match (&row.person, row.candidates.as_slice()) {
        (Some(p), _) => p.name.clone(),
        (None, [a, b, ..]) => format!("{} | {}", a.name, b.name),
        _ => "—".into(),
    };
    let mut reason = match &row.rename_to {
        Some(to) => format!("rename to {to}; {}", row.reason),
        None => row.reason.clone(),
    };
    if u.pick_of(&row.username).is_some() {
        reason = format!("picked: {reason}");
    }
    let base = if selected { t.selected() } else { t.base() };
    Line::from(vec![
        Span::styled(if selected { "▸ " } else { "  " }, base),
        Span::styled(pad(&state, 17), state_style(t, row.state)),
        Span::styled(format!("{} ", pad(&row.username, 20)), base),
        Span::styled(format!("{} ", pad(&person, 18)), base),
        Span::styled(fit(&reason, why), t.dim()),
    ])
}

/// The persons to pick from for the selected user, "leave unlinked" first.
fn picker(t: &Theme, frame: &mut Frame, area: Rect, u: &Users, entry: usize) {
    let user = u
        .selected_row()
        .map_or(String::new(), |r| r.username.clone());
    let persons = u.pickable();
    let mut entries = vec!["(leave unlinked)".to_string()];
    entries.extend(persons.iter().map(|p| {
        let mail = p.mail.first().map_or("", String::as_str);
        format!("{} {mail}", pad(&p.name, 18))
    }));
    let height = 14;
    let popup = area.centered(
        Constraint::Length(60.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    let rows = usize::from(popup.height.saturating_sub(2));
    let first = (entry + 1).saturating_sub(rows);
    let lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, e)| {
            let (mark, style) = if i == entry {
                ("▸ ", t.selected())
            } else {
                ("  ", t.base())
            };
            Line::styled(format!("{mark}{e}"), style)
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.focus())
                .title(Span::styled(
                    fit(&format!(" Kanidm person for {user} "), 56),
                    t.title(),
                ))
                .title_bottom(Span::styled(
                    fit(&format!(" type to search: {}▏", u.picker_query.value()), 56),
                    t.focus(),
                )),
        ),
        popup,
    );
}
