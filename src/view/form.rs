//! The form screens (Source, Kanidm, NetBox, Options): text fields on tui-input with the visual
//! cursor, pick-one lists and toggles, each with its message underneath.

use super::text::{fit, pad};
use crate::app::screens::{heading, options};
use crate::app::{Focusable, Model};
use crate::plan::Field;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

const LABEL_WIDTH: u16 = 26;

/// Draws the form of the current step; returns where the terminal cursor goes.
pub fn render(model: &Model, frame: &mut Frame, area: Rect) -> Option<Position> {
    render_fields(model, frame, area).0
}

/// Draws the form; returns where the cursor goes and the first row below the fields.
pub fn render_fields(model: &Model, frame: &mut Frame, area: Rect) -> (Option<Position>, u16) {
    let t = &model.theme;
    let heading = heading(model.step);
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled(heading.title, t.title()),
            Line::styled(heading.intro, t.dim()),
        ]),
        area,
    );
    let mut y = area.y + 2;
    let bottom = area.y + area.height;
    let mut cursor = None;
    let mut focused_message: Option<String> = None;
    let focusables = model.focusables();
    // Each text field has a line for its message. When a form of text fields would not fit with
    // room for the focused field's whole message, fields with nothing to say give up that line.
    let text_fields = focusables
        .iter()
        .filter(|f| matches!(f, Focusable::Field(field) if field.is_text()))
        .count();
    let compact = text_fields == focusables.len()
        && area.y + 2 + 2 * u16::try_from(text_fields).unwrap_or(u16::MAX) + 2 > bottom;
    for (i, f) in focusables.into_iter().enumerate() {
        let focused = i == model.focus;
        let row = |y: u16, height: u16| Rect::new(area.x, y, area.width, height.min(bottom - y));
        if y >= bottom {
            break;
        }
        match f {
            Focusable::Field(field) if field.is_text() => {
                let height = if compact && !has_message_line(model, f, focused) {
                    1
                } else {
                    2
                };
                let (pos, message) = text_field(model, frame, row(y, height), field, focused);
                if focused {
                    cursor = pos;
                    focused_message = message
                        .map(|e| format!("✗ {e}"))
                        .or_else(|| model.warning(f).map(|w| format!("! {}", w.message)))
                        .or_else(|| model.check_hint(f));
                }
                y += height;
            }
            Focusable::Field(field) if field.is_flag() => {
                toggle(model, frame, row(y, 1), field, focused);
                y += 1;
            }
            Focusable::Field(field) => {
                y += choice(model, frame, row(y, bottom - y), field, focused);
            }
            Focusable::Resume | Focusable::Deployment => {}
        }
        if focused && focused_message.is_none() {
            focused_message = model
                .error(f, model.step)
                .map(|e| format!("✗ {e}"))
                .or_else(|| model.warning(f).map(|w| format!("! {}", w.message)));
        }
    }
    // The focused field's whole message when it did not fit on its line.
    if let Some(message) = focused_message
        && unicode_width::UnicodeWidthStr::width(message.as_str())
            > usize::from(area.width.saturating_sub(LABEL_WIDTH))
        && y + 2 <= bottom
    {
        let style = if message.starts_with('!') {
            t.warn()
        } else {
            t.error_text()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(message, style)).wrap(Wrap { trim: true }),
            Rect::new(area.x, y + 1, area.width, bottom - y - 1),
        );
        y += 3;
    }
    (cursor, y.min(bottom))
}

/// Whether a text field shows anything under its input: an error, a warning, a check's word, or
/// (focused) its hint.
fn has_message_line(model: &Model, f: Focusable, focused: bool) -> bool {
    focused
        || model.error(f, model.step).is_some()
        || model.warning(f).is_some()
        || model.check_hint(f).is_some()
}

fn prefix(focused: bool) -> &'static str {
    if focused { "▸ " } else { "  " }
}

/// Label and input on the first line, the message (error, warning or hint) on the second.
/// Returns the cursor position and the error message, if any.
fn text_field(
    model: &Model,
    frame: &mut Frame,
    area: Rect,
    id: Field,
    focused: bool,
) -> (Option<Position>, Option<String>) {
    let t = &model.theme;
    let f = Focusable::Field(id);
    let error = model.error(f, model.step);
    let label_style = if focused { t.focus() } else { t.label() };
    let marker = if error.is_some() { " !" } else { "" };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(prefix(focused), label_style),
            Span::styled(format!("{}{marker}", id.label()), label_style),
        ])),
        Rect::new(area.x, area.y, LABEL_WIDTH.min(area.width), 1),
    );
    let input_x = area.x + LABEL_WIDTH.min(area.width);
    let input_w = area.width.saturating_sub(LABEL_WIDTH);
    let input = model.answers.inputs.get(&id);
    let value = input.map(|i| i.value()).unwrap_or_default();
    let scroll = input.map_or(0, |i| {
        i.visual_scroll(usize::from(input_w.saturating_sub(1)))
    });
    let input_style = if focused {
        t.base().add_modifier(Modifier::UNDERLINED)
    } else {
        t.base()
    };
    let shown = if value.is_empty() && !focused {
        Span::styled("(empty)", t.dim())
    } else {
        Span::styled(value.to_string(), input_style)
    };
    frame.render_widget(
        Paragraph::new(Line::from(shown)).scroll((0, u16::try_from(scroll).unwrap_or(0))),
        Rect::new(input_x, area.y, input_w, 1),
    );
    let cursor = input.map(|i| {
        let col = i.visual_cursor().saturating_sub(scroll);
        Position::new(
            input_x
                + u16::try_from(col)
                    .unwrap_or(0)
                    .min(input_w.saturating_sub(1)),
            area.y,
        )
    });
    if area.height > 1 {
        let width = usize::from(input_w);
        let line = match (&error, model.warning(f)) {
            (Some(e), _) => Line::styled(fit(&format!("✗ {e}"), width), t.error_text()),
            (None, Some(w)) => Line::styled(fit(&format!("! {}", w.message), width), t.warn()),
            (None, None) if model.check_hint(f).is_some() => {
                let hint = model.check_hint(f).unwrap_or_default();
                let style = if hint.starts_with('✓') {
                    t.ok()
                } else {
                    t.warn()
                };
                Line::styled(fit(&hint, width), style)
            }
            (None, None) if focused => Line::styled(id.hint(), t.dim()),
            _ => Line::raw(""),
        };
        frame.render_widget(
            Paragraph::new(line),
            Rect::new(input_x, area.y + 1, input_w, 1),
        );
    }
    (cursor, error)
}

/// A pick-one list; returns the rows it used.
fn choice(model: &Model, frame: &mut Frame, area: Rect, id: Field, focused: bool) -> u16 {
    let t = &model.theme;
    let f = Focusable::Field(id);
    let width = usize::from(area.width);
    let label_style = if focused { t.focus() } else { t.label() };
    let selected = id.choice_index(&model.answers.draft);
    let mut lines = vec![Line::from(vec![
        Span::styled(prefix(focused), label_style),
        Span::styled(id.label(), label_style),
    ])];
    // The explanations line up after the widest label (at least 12 columns).
    let column = id
        .choices()
        .iter()
        .map(|o| unicode_width::UnicodeWidthStr::width(o.label))
        .max()
        .unwrap_or(0)
        .max(12);
    for (i, option) in id.choices().iter().enumerate() {
        let mark = if i == selected { "(•)" } else { "( )" };
        let style = if i == selected && focused {
            t.selected()
        } else {
            t.base()
        };
        lines.push(Line::from(vec![
            Span::raw("    "),
            Span::styled(format!("{mark} {}", pad(option.label, column)), style),
            Span::styled(format!(" {}", option.explanation), t.dim()),
        ]));
    }
    if id == Field::Pkce {
        let login_page = model.detected_release(Field::NetboxVersion);
        for note in options::pkce_note(&model.answers.draft, login_page) {
            lines.push(Line::styled(fit(&format!("    {note}"), width), t.dim()));
        }
    }
    if let Some(e) = model.error(f, model.step) {
        lines.push(Line::styled(
            fit(&format!("    ✗ {e}"), width),
            t.error_text(),
        ));
    } else if let Some(w) = model.warning(f) {
        lines.push(Line::styled(
            fit(&format!("    ! {}", w.message), width),
            t.warn(),
        ));
    }
    let used = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .min(area.height);
    frame.render_widget(Paragraph::new(lines), area);
    used
}

fn toggle(model: &Model, frame: &mut Frame, area: Rect, id: Field, focused: bool) {
    let t = &model.theme;
    let f = Focusable::Field(id);
    let label_style = if focused { t.focus() } else { t.label() };
    let mark = if id.flag(&model.answers.draft) {
        "[x]"
    } else {
        "[ ]"
    };
    let mut spans = vec![
        Span::styled(prefix(focused), label_style),
        Span::styled(format!("{mark} {}", id.label()), label_style),
    ];
    if let Some(e) = model.error(f, model.step) {
        spans.push(Span::styled(format!("  ✗ {e}"), t.error_text()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
