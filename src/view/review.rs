//! Review: the answers, what the checks found, anything still missing, and every output file with
//! its disposition and a scrollable diff.

use super::text::{fit, pad};
use crate::app::Model;
use crate::app::screens::review::Entry;
use crate::generate::writer::Disposition;
use crate::plan::Field;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let missing = model.answers.missing();
    let missing_rows = if missing.is_empty() {
        0
    } else {
        u16::try_from(missing.len().min(3) + 1).unwrap_or(4)
    };
    let [head, answers, checks, missing_area, files] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(1),
        Constraint::Length(missing_rows),
        Constraint::Fill(1),
    ]));
    frame.render_widget(
        Paragraph::new(Line::styled(
            "Review: nothing has been written yet",
            t.title(),
        )),
        head,
    );
    render_answers(model, frame, answers);
    let mut spans = super::parts::checks_summary(model);
    for (id, row) in &model.board.rows {
        if matches!(
            row.status,
            crate::checks::Status::Fail | crate::checks::Status::Warn
        ) {
            spans.push(Span::styled(
                format!("{} {}  ", row.status.glyph(), id.title()),
                t.status(row.status),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), checks);
    if !missing.is_empty() {
        let mut lines = vec![Line::styled(
            format!(
                "Still missing or invalid ({}); press m to go to the first:",
                missing.len()
            ),
            t.fail(),
        )];
        for p in missing.iter().take(3) {
            let label = super::parts::field_label(p);
            let room = usize::from(area.width).saturating_sub(label.width() + 6);
            lines.push(Line::from(vec![
                Span::styled("  ✗ ", t.fail()),
                Span::styled(label, t.label()),
                Span::raw(format!(": {}", fit(&p.message, room))),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), missing_area);
    }
    render_files(model, frame, files);
}

/// The answers in two columns, read through the field table (a secret field is never shown).
fn render_answers(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let d = &model.answers.draft;
    let v = |field: Field| field.shown(d);
    let or_missing = |field: Field| {
        let s = v(field);
        if s.trim().is_empty() {
            "(missing)".to_string()
        } else {
            s.trim().to_string()
        }
    };
    let members = if d.kanidm.members.is_empty() {
        "no members yet".to_string()
    } else {
        v(Field::Members)
    };
    let base = match v(Field::BasePath).trim() {
        "" => String::new(),
        base => format!(" BASE_PATH {base}"),
    };
    let deployment = if d.deployment.paths.is_empty() {
        String::new()
    } else {
        format!(
            "; patch {} ({})",
            d.deployment.paths.join(" "),
            v(Field::DeploymentStage)
        )
    };
    let rows = [
        ("Source", format!("{}{deployment}", v(Field::Source))),
        ("Kanidm", or_missing(Field::KanidmOrigin)),
        (
            "Client",
            format!("{} \"{}\"", v(Field::Client), v(Field::DisplayName)),
        ),
        ("Group", format!("{} ({members})", v(Field::Group))),
        (
            "Secret",
            format!("not shown; file {}", v(Field::SecretFile)),
        ),
        ("NetBox", format!("{}{base}", or_missing(Field::NetboxUrl))),
        (
            "Version",
            format!("{} (PKCE {})", v(Field::NetboxVersion), v(Field::Pkce)),
        ),
        (
            "Button",
            format!("{} ({})", v(Field::ButtonLabel), v(Field::ButtonIcon)),
        ),
        ("Output", v(Field::OutputDir)),
        ("Admin", v(Field::Admin)),
    ];
    let [left, right] = area.layout(&Layout::horizontal([
        Constraint::Percentage(50),
        Constraint::Percentage(50),
    ]));
    let room = usize::from(left.width.saturating_sub(9));
    let line = |(k, v): &(&str, String)| {
        Line::from(vec![
            Span::styled(format!("{k:<8}"), t.label()),
            Span::styled(
                fit(v, room),
                if *k == "Secret" { t.secret() } else { t.base() },
            ),
        ])
    };
    let (a, b) = rows.split_at(5);
    frame.render_widget(Paragraph::new(a.iter().map(line).collect::<Vec<_>>()), left);
    frame.render_widget(
        Paragraph::new(b.iter().map(line).collect::<Vec<_>>()),
        right,
    );
}

fn disposition_word(d: Disposition) -> &'static str {
    match d {
        Disposition::New => "+ new",
        Disposition::Unchanged => "= unchanged",
        Disposition::Overwrite => "~ overwrite",
    }
}

/// A row of the list: its name, and its word (disposition) with that word's style.
fn entry_row(entry: &Entry, t: &Theme) -> (String, &'static str, Style) {
    let name = |path: &std::path::Path| {
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    match entry {
        Entry::Output(f) => {
            let style = match f.disposition {
                Disposition::Overwrite => t.warn(),
                Disposition::New => t.ok(),
                Disposition::Unchanged => t.dim(),
            };
            (name(&f.path), disposition_word(f.disposition), style)
        }
        Entry::Patch(f) if f.old.is_some() => (name(&f.path), "~ patch", t.warn()),
        Entry::Patch(f) => (name(&f.path), "+ new", t.ok()),
        Entry::Instruction(_) => ("by hand".into(), "! change", t.warn()),
        Entry::Why(_) => ("why".into(), "? notes", t.dim()),
        Entry::Pending => ("NetBox config".into(), "… reading", t.dim()),
        Entry::Problem(_) => ("NetBox config".into(), "✗ cannot", t.fail()),
    }
}

/// The pane's title for an entry.
fn entry_title(entry: &Entry) -> String {
    match entry {
        Entry::Output(f) => f.path.display().to_string(),
        Entry::Patch(f) => format!(
            "{} ({})",
            f.path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            f.role.label()
        ),
        Entry::Instruction(i) => i.title.clone(),
        Entry::Why(_) => "why each setting goes where it goes".into(),
        Entry::Pending | Entry::Problem(_) => "NetBox's configuration".into(),
    }
}

fn render_files(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    match &model.review.files {
        None if model.answers.plan.is_none() => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    "The output files are planned once every answer is valid.",
                    t.dim(),
                )),
                area,
            );
            return;
        }
        None => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    "Comparing with the output directory…",
                    t.dim(),
                )),
                area,
            );
            return;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(Line::styled(format!("✗ {e}"), t.fail())),
                area,
            );
            return;
        }
        Some(Ok(_)) => {}
    }
    let entries = model.review.entries();
    let patching = model.review.entries().len() > model.review.planned().len();
    let list_width: u16 = if patching { 33 } else { 30 };
    let [list, diff] = area.layout(&Layout::horizontal([
        Constraint::Length(list_width),
        Constraint::Fill(1),
    ]));
    let rows: Vec<_> = entries.iter().map(|e| entry_row(e, t)).collect();
    // The names' column: the longest name and a space, at least 16 columns, as room allows.
    let widest_word = rows.iter().map(|(_, w, _)| w.width()).max().unwrap_or(0);
    let column = rows
        .iter()
        .map(|(n, _, _)| n.width() + 1)
        .max()
        .unwrap_or(0)
        .max(16)
        .min(usize::from(list_width).saturating_sub(2 + widest_word));
    let mut lines = vec![Line::styled("Files", t.label())];
    let patch_at = model.review.planned().len();
    let mut selected_line = 0;
    for (i, (name, word, word_style)) in rows.iter().enumerate() {
        if i == patch_at {
            lines.push(Line::styled("NetBox configuration", t.label()));
        }
        if i == model.review.selected {
            selected_line = lines.len();
        }
        let selected = i == model.review.selected;
        let style = if selected { t.selected() } else { t.base() };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▸ " } else { "  " }, style),
            Span::styled(pad(name, column), style),
            Span::styled(*word, *word_style),
        ]));
    }
    if !model.review.overwrites().is_empty() || !model.review.patched_existing().is_empty() {
        lines.push(Line::styled("~ backup kept first", t.dim()));
    }
    // A list longer than its pane scrolls so the selected row shows.
    let skip = (selected_line + 1).saturating_sub(usize::from(list.height));
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(skip).unwrap_or(0), 0)),
        list,
    );
    let Some(entry) = entries.get(model.review.selected) else {
        return;
    };
    let text = entry.text();
    let total = text.lines().count();
    let height = usize::from(diff.height.saturating_sub(2));
    let width = usize::from(diff.width.saturating_sub(2));
    let first = usize::from(model.review.scroll);
    let hscroll = model.review.hscroll;
    let block = Block::default().borders(Borders::ALL).border_style(t.dim());
    if entry.wraps() {
        let style = match entry {
            Entry::Problem(_) => t.error_text(),
            _ => t.base(),
        };
        let lines: Vec<Line> = text
            .lines()
            .map(|l| {
                let l = if matches!(entry, Entry::Why(_)) {
                    format!("• {l}")
                } else {
                    l.to_string()
                };
                Line::styled(l, style)
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((model.review.scroll, 0))
                .block(block.title(Span::styled(format!(" {} ", entry_title(entry)), t.label()))),
            diff,
        );
        return;
    }
    let lines: Vec<Line> = text
        .lines()
        .skip(first)
        .take(height)
        .map(|l| {
            let style = if l.starts_with("@@") {
                t.diff_hunk()
            } else if l.starts_with('+') {
                t.diff_add()
            } else if l.starts_with('-') {
                t.diff_del()
            } else {
                t.base()
            };
            Line::styled(l.to_string(), style)
        })
        .collect();
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    // Say when the view is shifted, and when lines go on past the right edge.
    let sideways = match (hscroll > 0, widest > width + usize::from(hscroll)) {
        (true, true) => format!("←col {}→", hscroll + 1),
        (true, false) => format!("←col {}", hscroll + 1),
        (false, true) => "→".to_string(),
        (false, false) => String::new(),
    };
    let unchanged = matches!(entry, Entry::Output(f) if f.disposition == Disposition::Unchanged);
    let title = match entry {
        Entry::Output(f) if unchanged || total == 0 => {
            format!(" {} ({}) ", f.path.display(), f.disposition.label())
        }
        _ => format!(
            " {}: lines {}–{} of {total} ",
            entry_title(entry),
            (first + 1).min(total),
            (first + height).min(total)
        ),
    };
    frame.render_widget(
        Paragraph::new(lines).scroll((0, hscroll)).block(
            block
                .title(Span::styled(title, t.label()))
                .title_bottom(Line::styled(sideways, t.label()).right_aligned()),
        ),
        diff,
    );
}
