//! What draws on top: the F1 help (generated from the keymap of the screen beneath) and the quit
//! confirmation.

use crate::app::Model;
use crate::keymap::{self, Context};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn help(
    model: &Model,
    frame: &mut Frame,
    area: Rect,
    entries: Vec<(String, &'static str)>,
    ctx: Context,
) {
    let t = &model.theme;
    let mut lines = vec![Line::styled("Keys on this screen", t.label())];
    for (keys, label) in entries {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<22}"), t.key()),
            Span::raw(label),
        ]));
    }
    lines.push(Line::raw(""));
    if ctx.is_inspect() {
        lines.push(Line::styled("The inspect view (read-only)", t.label()));
        lines.push(Line::raw(
            "  In the list, typing filters by name, display name or redirect URL host.",
        ));
        lines.push(Line::raw(
            "  ✗ drift rows: Tab to the commands; c copies one through OSC 52.",
        ));
        lines.push(Line::raw(
            "  Nothing is changed in Kanidm: run the copied commands yourself.",
        ));
    } else {
        lines.push(Line::styled("In text fields", t.label()));
        lines.push(Line::raw(
            "  Every answer is checked as you type; the message is under the field.",
        ));
        lines.push(Line::raw(
            "  ←/→ Home/End ^A ^E ^W ^U ^K edit as in a shell.",
        ));
        lines.push(Line::raw(
            "  Next refuses to leave a screen with an invalid answer; Back always works.",
        ));
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = area.centered(
        Constraint::Length(78.min(area.width)),
        Constraint::Length(height),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.focus())
                .title(Span::styled(" Help (Esc closes) ", t.title())),
        ),
        popup,
    );
}

pub fn quit(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let mut lines = vec![
        Line::styled("Quit nbsso? Your answers are not saved.", t.label()),
        Line::raw(""),
    ];
    for (keys, label) in keymap::help(Context::QuitModal) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<14}"), t.key()),
            Span::raw(label),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Staying is the default (Enter).", t.dim()));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = area.centered(
        Constraint::Length(60.min(area.width)),
        Constraint::Length(height),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.warn())
                .title(Span::styled(" Quit? ", t.title())),
        ),
        popup,
    );
}
