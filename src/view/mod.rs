//! `render(&Model, &mut Frame)`: pure over the model. The frame is a header, the step bar, the
//! current screen, a status line (checks and notices) and a footer generated from the keymap; help
//! and the quit confirmation draw on top. Below 80×24 a message replaces the layout.

mod checks;
mod done;
mod form;
pub mod inspect;
mod overlay;
mod review;
mod step_bar;
pub mod text;
mod welcome;
mod write;

use crate::app::{Model, Step};
use crate::checks::{CheckId, Status};
use crate::keymap;
use crate::plan::Problem;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Spinner frames for running checks (the word "running" stands beside it).
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(model: &Model) -> &'static str {
    let i = usize::try_from(model.tick % SPINNER.len() as u64).unwrap_or(0);
    SPINNER.get(i).copied().unwrap_or("…")
}

/// The glyph of a status, animated while running.
pub fn status_glyph(model: &Model, status: Status) -> &'static str {
    if status == Status::Running {
        spinner(model)
    } else {
        status.glyph()
    }
}

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
        Step::Source | Step::Kanidm | Step::NetBox | Step::Options => {
            form::render(model, frame, body)
        }
        Step::Checks => {
            checks::render(model, frame, body);
            None
        }
        Step::Review => {
            review::render(model, frame, body);
            None
        }
        Step::Write => {
            write::render(model, frame, body);
            None
        }
        Step::Done => {
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
        overlay::quit(model, frame, area);
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
    Paragraph::new(Line::from(checks_summary(model)))
}

/// "Checks: ⠋ 2 running  ✓ 4 ok  ! 1 warning": glyph + word for every state.
pub fn checks_summary(model: &Model) -> Vec<Span<'static>> {
    let t = &model.theme;
    let mut spans = vec![Span::styled(" Checks: ", t.label())];
    if model.board.plan.is_none() {
        spans.push(Span::styled("start when the answers are valid", t.dim()));
        return spans;
    }
    let waiting = CheckId::ALL.len().saturating_sub(model.board.rows.len());
    if waiting > 0 {
        spans.push(Span::styled(format!("· {waiting} waiting  "), t.dim()));
    }
    for status in [
        Status::Running,
        Status::Pending,
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Skipped,
    ] {
        let n = model.board.count(status);
        if n > 0 {
            spans.push(Span::styled(
                format!("{} {n} {}  ", status_glyph(model, status), status.word()),
                t.status(status),
            ));
        }
    }
    spans
}

/// Where the wizard asks for a problem's field: `Kanidm › Kanidm URL`; a choice or a toggle (whose
/// label is a question or a sentence) by its plan key; anything else by its dotted name.
pub fn field_label(p: &Problem) -> String {
    match p.key.and_then(|k| Some((Step::asking(k)?, k))) {
        Some((step, field)) if field.is_text() => format!("{} › {}", step.title(), field.label()),
        Some((step, _)) => format!("{} › {}", step.title(), p.field),
        None => p.field.clone(),
    }
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

/// A row's spans with the selection style laid over each span's own.
pub(crate) fn selected_spans<'a>(
    spans: Vec<ratatui::text::Span<'a>>,
    t: &crate::theme::Theme,
) -> Vec<ratatui::text::Span<'a>> {
    spans
        .into_iter()
        .map(|s| {
            let style = s.style.patch(t.selected());
            s.style(style)
        })
        .collect()
}
