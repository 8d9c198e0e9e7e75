//! The user migration's commands on Done (`u`), in order, the selected one marked; long commands
//! are cut into lines at the column, never at spaces, so what is read is what is copied.

use crate::app::Model;
use crate::app::screens::user_commands::entries;
use crate::app::screens::users::has_source;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The hint under Done's summary, when the plan migrates users.
pub fn hint(model: &Model) -> Option<String> {
    has_source(model.answers.plan.as_deref()).then(|| {
        let (shape, _) = model.users.shape();
        format!("u: the commands that move every user's account ({shape})")
    })
}

/// `text` in pieces of `width` characters.
fn pieces(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let (shape, _) = model.users.shape();
    let dir = model
        .answers
        .plan
        .as_deref()
        .map(|p| p.output_dir.display().to_string())
        .unwrap_or_default();
    let width = usize::from(area.width);
    let head = vec![
        Line::styled(
            format!("Moving the users on {}, in this order", shape.label()),
            t.title(),
        ),
        Line::styled(
            super::text::fit(
                &format!("In {dir}: ↑/↓ select, c copies, u goes back (d on Users: another shape)"),
                width,
            ),
            t.dim(),
        ),
    ];
    let mut body: Vec<Line> = Vec::new();
    let mut selected_at = (0, 0);
    for (i, entry) in entries(&model.users).into_iter().enumerate() {
        if let Some(heading) = entry.heading {
            body.push(Line::styled(heading, t.label()));
        }
        let selected = i == model.users.commands_selected;
        let start = body.len();
        let (mark, style) = if selected {
            ("▸", t.selected())
        } else {
            (" ", t.label())
        };
        body.push(Line::from(vec![
            Span::styled(mark, style),
            Span::styled(format!("{}. {}", i + 1, entry.command.label), style),
        ]));
        for piece in pieces(&entry.command.line, width.saturating_sub(3)) {
            body.push(Line::raw(format!("   {piece}")));
        }
        if selected {
            selected_at = (start, body.len());
        }
    }
    // Scrolled so the whole selected command is in view.
    let rows = usize::from(area.height).saturating_sub(head.len());
    let scroll = selected_at.1.saturating_sub(rows).min(selected_at.0);
    let mut lines = head;
    lines.extend(body.into_iter().skip(scroll));
    frame.render_widget(Paragraph::new(lines), area);
}
