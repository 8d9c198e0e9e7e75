//! Write: a confirmation naming every file that will be overwritten (default No then), then the
//! writer runs as an effect.

use crate::app::Model;
use crate::generate::writer::Disposition;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let files = model.review.planned();
    let plan = model.answers.plan.as_deref();
    let dir = plan
        .map(|p| p.output_dir.display().to_string())
        .unwrap_or_default();
    let overwrites = model.review.overwrites();
    let mut lines = vec![
        Line::styled(format!("Write {} files to {dir}?", files.len()), t.title()),
        Line::raw(""),
    ];
    for f in files {
        let (word, style) = match f.disposition {
            Disposition::New => ("+ new        ", t.ok()),
            Disposition::Unchanged => ("= unchanged  ", t.dim()),
            Disposition::Overwrite => ("~ overwrite  ", t.warn()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {word}"), style),
            Span::raw(f.path.display().to_string()),
        ]));
    }
    if let Some(patch) = model.review.patch()
        && !patch.outcome.files.is_empty()
    {
        let names: Vec<String> = patch
            .outcome
            .files
            .iter()
            .map(|f| {
                let name = f
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if f.old.is_some() {
                    format!("~ {name}")
                } else {
                    format!("+ {name}")
                }
            })
            .collect();
        lines.push(Line::styled(
            format!(
                "Then patch NetBox's configuration (each file parsed again first): {}",
                names.join(", ")
            ),
            t.label(),
        ));
    }
    let patched = model.review.patched_existing().len();
    lines.push(Line::raw(""));
    if overwrites.is_empty() && patched == 0 {
        lines.push(Line::raw("No existing file is replaced."));
    } else {
        let names: Vec<String> = overwrites
            .iter()
            .map(|f| &f.path)
            .chain(model.review.patched_existing().iter().map(|f| &f.path))
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .collect();
        lines.push(Line::styled(
            format!(
                "! {} existing file{} will be overwritten: {}.",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
            t.warn(),
        ));
        lines.push(Line::raw(
            "  Each is first copied to NAME.nbsso-<timestamp>.bak beside it, with its mode.",
        ));
    }
    lines.push(Line::raw(""));
    if model.write.writing {
        lines.push(Line::styled("Writing…", t.title()));
    } else {
        let button = |label: &str, on: bool| {
            if on {
                Span::styled(format!("▸ {label} ◂"), t.button_selected())
            } else {
                Span::styled(format!("  {label}  "), t.base())
            }
        };
        lines.push(Line::from(vec![
            Span::raw("  "),
            button("Yes, write the files", model.write.yes),
            Span::raw("    "),
            button("No, back to the review", !model.write.yes),
        ]));
    }
    if let Some(e) = &model.write.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("✗ The files were not all written: {e}"),
            t.fail(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
