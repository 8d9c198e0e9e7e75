//! What the inspect view shows instead of its panes while there is no list: reading, no clients
//! (and who can see them), not allowed, unreachable, unreadable input.

use crate::app::screens::inspect::{Inspect, Load};
use crate::inspect::{Source, WHO_CAN_SEE};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// What replaces the panes while there is no list: reading, empty, not allowed, unreachable.
pub(super) fn render_state(i: &Inspect, t: &Theme, frame: &mut Frame, area: Rect, load: &Load) {
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
