//! The Source screen: the form (the old login, where NetBox's configuration is, the cut-over),
//! then a panel with what the read of the configuration found. The panel sits under the fields;
//! focused (Tab), it takes the screen below the heading and scrolls.

use super::text::wrap_words;
use crate::app::screens::source::{self, Found, Read};
use crate::app::{Focusable, Model};
use crate::deploy::detect::Provider;
use crate::plan::SourceIdp;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Below this many rows under the fields the unfocused panel shows only its summary.
const MIN_PANEL: u16 = 6;

pub fn render(model: &Model, frame: &mut Frame, area: Rect) -> Option<Position> {
    let focused = model.focused() == Some(Focusable::Deployment);
    let bottom = area.y + area.height;
    let (mut cursor, mut below) = super::form::render_fields(model, frame, area);
    if focused && bottom.saturating_sub(below) < MIN_PANEL {
        // Too little room under the fields: the panel takes their place while it has focus.
        below = (area.y + 2).min(bottom);
        frame.render_widget(Clear, Rect::new(area.x, below, area.width, bottom - below));
        cursor = None;
    }
    let rest = Rect::new(area.x, below, area.width, bottom.saturating_sub(below));
    if rest.height == 0 {
        return cursor;
    }
    let t = &model.theme;
    let mut lines = Vec::new();
    if let Some(offer) = source::backend_offer(&model.answers) {
        lines.push((format!("! {offer}"), t.warn()));
    }
    if let Read::Found(found) = &model.source.read {
        let said = found.provider.source();
        let chosen = SourceIdp::parse(&model.answers.draft.source);
        if chosen != Some(said) {
            lines.push((
                format!(
                    "! The files say {}, the choice above says {}: nbsso follows the choice above.",
                    said.label(),
                    chosen.map_or("nothing", SourceIdp::label)
                ),
                t.warn(),
            ));
        }
    }
    if matches!(model.source.read, Read::Nothing)
        && !model.answers.draft.deployment.paths.is_empty()
    {
        lines.push((
            "NetBox's configuration is read once the path (and env file) above are valid.".into(),
            t.warn(),
        ));
    } else {
        lines.extend(panel_lines(&model.source.read, t));
    }
    if rest.height < MIN_PANEL && !focused {
        // Little room: the first lines, wrapped; for findings, where to read them all.
        let room = usize::from(rest.height);
        let width = usize::from(rest.width);
        let mut short: Vec<Line> = lines
            .iter()
            .flat_map(|(text, style)| {
                wrap_words(text, width)
                    .into_iter()
                    .map(move |l| Line::styled(l, *style))
            })
            .take(room + 1)
            .collect();
        if short.len() > room {
            short.truncate(room);
            if room > 1 && matches!(model.source.read, Read::Found(_)) {
                short.truncate(room - 1);
                short.push(Line::styled(
                    "  Tab to the findings to read them all",
                    t.dim(),
                ));
            }
        }
        frame.render_widget(Paragraph::new(short), rest);
        return cursor;
    }
    let width = usize::from(rest.width.saturating_sub(2));
    let wrapped: Vec<Line> = lines
        .iter()
        .flat_map(|(text, style)| {
            let indent = text.len() - text.trim_start().len();
            wrap_words(text, width.saturating_sub(indent))
                .into_iter()
                .map(move |l| Line::styled(format!("{}{l}", " ".repeat(indent)), *style))
        })
        .collect();
    let inner = usize::from(rest.height.saturating_sub(2));
    let max = wrapped.len().saturating_sub(inner);
    let scroll = usize::from(model.source.scroll).min(max);
    let title = if wrapped.len() > inner {
        format!(
            " NetBox's configuration: lines {}–{} of {} ",
            scroll + 1,
            (scroll + inner).min(wrapped.len()),
            wrapped.len()
        )
    } else {
        " NetBox's configuration ".to_string()
    };
    let border = if focused { t.focus() } else { t.dim() };
    frame.render_widget(
        Paragraph::new(wrapped)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(border)
                    .title(Span::styled(title, t.label())),
            ),
        rest,
    );
    cursor
}

/// The panel's lines, each with its style; a line's leading spaces indent its wrapped rest.
fn panel_lines(read: &Read, t: &Theme) -> Vec<(String, Style)> {
    match read {
        Read::Nothing => vec![
            (
                "No configuration given: nbsso writes netbox-sso.py to add by hand.".into(),
                t.dim(),
            ),
            (
                "Give configuration.py, a netbox-docker configuration directory or Helm values, and nbsso reads it, shows what it found and patches it after the review.".into(),
                t.dim(),
            ),
        ],
        Read::Reading => vec![("Reading NetBox's configuration…".into(), t.dim())],
        Read::Failed(e) => vec![
            (format!("✗ {e}"), t.error_text()),
            (
                "Nothing was changed. Fix the path or the file, or empty the path to write only the files."
                    .into(),
                t.dim(),
            ),
        ],
        Read::Found(found) => found_lines(found, t),
    }
}

fn found_lines(found: &Found, t: &Theme) -> Vec<(String, Style)> {
    let mut out = Vec::new();
    let patchable = found
        .files
        .iter()
        .filter(|f| f.not_patchable.is_none())
        .count();
    let warnings = match found.warnings.len() + found.prefill.notes.len() {
        0 => String::new(),
        1 => ", 1 warning".into(),
        n => format!(", {n} warnings"),
    };
    out.push((
        format!(
            "✓ Found {}, old login {}: {} files ({patchable} patchable){warnings}",
            found.shape.label(),
            found.provider.source().label(),
            found.files.len(),
        ),
        t.ok(),
    ));
    let base = found.base.display().to_string();
    if !base.is_empty() {
        out.push((format!("  in {base}"), t.dim()));
    }
    for from in &found.told_from {
        out.push((format!("  from {from}"), t.dim()));
    }
    if found.already_kanidm {
        out.push(("  It already logs in with Kanidm.".into(), t.warn()));
    } else if found.provider == Provider::Oidc {
        out.push((
            "  The files do not say which provider this is: choose Authentik, Keycloak OIDC or Other OIDC above."
                .into(),
            t.warn(),
        ));
    }
    for f in &found.files {
        let line = match &f.not_patchable {
            None => (
                format!("  ✓ {} ({}; nbsso may patch it)", f.name, f.role),
                t.base(),
            ),
            Some(why) => (
                format!("  ✗ {} ({}; not patched: {why})", f.name, f.role),
                t.warn(),
            ),
        };
        out.push(line);
    }
    for (name, value) in &found.summary {
        out.push((format!("  {name}: {value}"), t.base()));
    }
    for s in &found.settings {
        out.push((
            format!("  {} = {}  ({})", s.name, s.value, s.source),
            t.base(),
        ));
    }
    let p = &found.prefill;
    let mut filled = Vec::new();
    if let Some(c) = &p.configuration {
        filled.push(format!("configuration.py {c}"));
    }
    if !p.extra_scopes.is_empty() {
        filled.push(format!("extra scopes {}", p.extra_scopes.join(" ")));
    }
    if !filled.is_empty() {
        out.push((
            format!("Taken into the plan where empty: {}", filled.join("; ")),
            t.dim(),
        ));
    }
    for n in &p.notes {
        out.push((format!("! {n}"), t.warn()));
    }
    for w in &found.warnings {
        out.push((format!("! {w}"), t.warn()));
    }
    out
}
