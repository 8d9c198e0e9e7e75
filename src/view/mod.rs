//! `render(&Model, &mut Frame)`: pure over the model. The frame is a header, the step bar, the
//! current screen, a status line (checks and notices) and a footer generated from the keymap; help
//! and the quit confirmation draw on top. Below 80×24 a message replaces the layout.

mod checks;
mod done;
mod done_users;
mod explain;
mod form;
pub mod inspect;
mod overlay;
mod parts;
mod review;
mod review_users;
mod source;
mod step_bar;
pub mod text;
mod users;
mod welcome;
mod write;

use crate::app::{Model, Step};
use crate::keymap;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn render(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    if model.too_small() {
        too_small(model, frame, area);
        return;
    }
    if let Some(i) = &model.inspect {
        let [main, footer] = area.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1),
        ]));
        let cursor = inspect::render(i, &model.theme, frame, main);
        frame.render_widget(
            footer_line(model, keymap::footer(model.context()), footer.width),
            footer,
        );
        overlays(model, frame, area, cursor);
        return;
    }
    let [header, bar, _rule, body, status, footer] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ]));
    let t = &model.theme;
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" nbsso ", t.title()),
            Span::styled("— move NetBox single sign-on to Kanidm", t.dim()),
        ])),
        header,
    );
    frame.render_widget(step_bar::step_bar(model, bar.width), bar);
    let body = body.inner(ratatui::layout::Margin::new(1, 0));
    let cursor = match model.step {
        Step::Welcome => welcome::render(model, frame, body),
        Step::Source => source::render(model, frame, body),
        Step::Kanidm | Step::NetBox | Step::Options => form::render(model, frame, body),
        Step::Checks => {
            checks::render(model, frame, body);
            None
        }
        Step::Users => users::render(model, frame, body),
        Step::Review => {
            let mut body = body;
            if let Some(map) = model.users.matched_map() {
                let [top, rest] = body.layout(&Layout::vertical([
                    Constraint::Length(review_users::HEIGHT),
                    Constraint::Fill(1),
                ]));
                review_users::render(model, map, frame, top);
                body = rest;
            }
            review::render(model, frame, body);
            None
        }
        Step::Write => {
            write::render(model, frame, body);
            None
        }
        Step::Done if model.users.commands_shown => {
            done_users::render(model, frame, body);
            None
        }
        Step::Done => {
            let mut body = body;
            if let Some(hint) = done_users::hint(model) {
                let [rest, last] = body.layout(&Layout::vertical([
                    Constraint::Fill(1),
                    Constraint::Length(1),
                ]));
                frame.render_widget(
                    Paragraph::new(Line::styled(hint, model.theme.label())),
                    last,
                );
                body = rest;
            }
            done::render(model, frame, body);
            None
        }
    };
    frame.render_widget(status_line(model), status);
    frame.render_widget(
        footer_line(model, keymap::footer(model.context()), footer.width),
        footer,
    );
    overlays(model, frame, area, cursor);
}

/// Help or the quit question on top; otherwise the cursor where the screen wants it.
fn overlays(
    model: &Model,
    frame: &mut Frame,
    area: Rect,
    cursor: Option<ratatui::layout::Position>,
) {
    let ctx = model.base_context();
    if model.help {
        overlay::help(model, frame, area, keymap::help(ctx), ctx);
    } else if model.modal.is_some() {
        if let Some(open) = &model.explain {
            explain::render(model, open, frame, area);
        }
        overlay::quit(model, frame, area);
    } else if let Some(open) = &model.explain {
        explain::render(model, open, frame, area);
    } else if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}

/// One line: a notice if there is one, else how the checks are doing (not on the Checks screen).
fn status_line(model: &Model) -> Paragraph<'static> {
    let t = &model.theme;
    if let Some(notice) = &model.notice {
        return Paragraph::new(Line::from(Span::styled(format!(" {notice}"), t.warn())));
    }
    if model.step == Step::Checks {
        return Paragraph::new("");
    }
    Paragraph::new(Line::from(parts::checks_summary(model)))
}

/// The footer: the context's footer bindings. When they do not fit, the ones just before help and
/// quit (always last in the tables) are dropped first, so help and quit stay visible.
fn footer_line(
    model: &Model,
    mut entries: Vec<(String, &'static str)>,
    width: u16,
) -> Paragraph<'static> {
    let t = &model.theme;
    let len = |e: &[(String, &str)]| {
        1 + e
            .iter()
            .map(|(k, l)| k.chars().count() + l.chars().count() + 3)
            .sum::<usize>()
    };
    while len(&entries) > usize::from(width) && entries.len() > 2 {
        entries.remove(entries.len() - 3);
    }
    let mut spans = vec![Span::raw(" ")];
    for (keys, label) in entries {
        spans.push(Span::styled(keys, t.key()));
        spans.push(Span::styled(format!(" {label}  "), t.dim()));
    }
    Paragraph::new(Line::from(spans))
}

fn too_small(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let text = vec![
        Line::styled("The terminal is too small for nbsso.", t.fail()),
        Line::raw(format!(
            "It needs at least {}×{}; this one is {}×{}.",
            crate::app::model::MIN_WIDTH,
            crate::app::model::MIN_HEIGHT,
            area.width,
            area.height
        )),
        Line::raw("Enlarge the window, or press q to quit."),
    ];
    let [_, middle, _] = area.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(4),
        Constraint::Fill(1),
    ]));
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        middle,
    );
}
