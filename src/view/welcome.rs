//! Welcome: what will happen, what will not, and a saved plan to resume.

use crate::app::Model;
use crate::app::screens::welcome::RESUME;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn render(model: &Model, frame: &mut Frame, area: Rect) -> Option<Position> {
    let t = &model.theme;
    let mut lines = vec![
        Line::styled("Welcome: move NetBox's single sign-on to Kanidm", t.title()),
        Line::raw(""),
        Line::styled("What will happen", t.label()),
        Line::raw("  • You answer questions about your source, Kanidm and NetBox; each answer is"),
        Line::raw("    checked as you type."),
        Line::raw("  • nbsso checks the live servers in the background (read-only requests)."),
        Line::raw("  • You review every output file, with a diff, before anything is written."),
        Line::raw(""),
        Line::styled("What will not happen", t.label()),
        Line::raw("  • Nothing is changed on any server: you run the generated scripts yourself."),
        Line::raw("  • No file is written until the end, after the review and your confirmation."),
        Line::raw(""),
    ];
    if let Some(offer) = &model.welcome.resume {
        lines.push(Line::from(vec![
            Span::styled("A saved plan was found: ", t.label()),
            Span::raw(offer.path.display().to_string()),
        ]));
        for (i, choice) in RESUME.iter().enumerate() {
            let selected = i == model.welcome.choice;
            let mark = if selected { "▸ (•)" } else { "  ( )" };
            let style = if selected { t.selected() } else { t.base() };
            lines.push(Line::from(vec![
                Span::styled(format!("{mark} {}", choice.label), style),
                Span::styled(format!("  {}", choice.explanation), t.dim()),
            ]));
        }
    } else {
        lines.push(Line::styled("Press Enter to begin.", t.dim()));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    None
}
