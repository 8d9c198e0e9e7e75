//! Done: what was written and backed up, the next commands in order, and values to copy.

use crate::app::Model;
use crate::app::screens::done::copyable;
use crate::deploy::apply::Applied;
use crate::generate::writer::{Disposition, WrittenFile};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::path::Path;

pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let plan = model.answers.plan.as_deref();
    let dir = plan.map(|p| p.output_dir.clone()).unwrap_or_default();
    let fit = |s: &str| super::text::fit(s, usize::from(area.width));
    let patched = model.done.patched.as_ref();
    let title = if patched.is_some() {
        "Done: the files are written and NetBox's configuration is patched"
    } else {
        "Done: the files are written"
    };
    let mut lines = vec![Line::styled(title, t.title())];
    let written = model.done.written.iter().flatten();
    if patched.is_some() {
        // The deployment's files and backups matter more here: the output files take one line.
        let files: Vec<&WrittenFile> = written.collect();
        let replaced = files
            .iter()
            .filter(|f| f.disposition == Disposition::Overwrite)
            .count();
        let kept = if replaced > 0 {
            format!(", {replaced} replaced (backup beside each)")
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled("  + written   ", t.ok()),
            Span::raw(fit(&format!(
                "{} files in {}{kept}",
                files.len(),
                dir.display()
            ))),
        ]));
    }
    for f in model
        .done
        .written
        .iter()
        .flatten()
        .filter(|_| patched.is_none())
    {
        let word = match f.disposition {
            Disposition::New => "+ written  ",
            Disposition::Unchanged => "= unchanged",
            Disposition::Overwrite => "~ replaced ",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {word} "), t.ok()),
            Span::raw(f.path.display().to_string()),
        ]));
        if let Some(backup) = &f.backup {
            let name = backup
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            lines.push(Line::styled(fit(&format!("      backup: {name}")), t.dim()));
        }
    }
    if let Some(applied) = patched {
        lines.extend(patched_lines(applied, t, usize::from(area.width)));
    }
    lines.push(Line::styled("Next, in this order:", t.label()));
    let admin = plan.map(|p| p.kanidm.admin.clone()).unwrap_or_default();
    let mut steps = vec![
        format!(
            "Read {} (every step, and how to check it)",
            dir.join("CHECKLIST.md").display()
        ),
        format!(
            "bash {}  (where the kanidm CLI runs, as {admin})",
            dir.join("kanidm-setup.sh").display()
        ),
    ];
    match model.review.patch() {
        // The deployment was patched, or nbsso changes none of its files itself (a generated
        // file, Helm values): its own steps replace adding netbox-sso.py by hand.
        Some(patch) if patched.is_some() || patch.outcome.files.is_empty() => {
            for i in &patch.outcome.instructions {
                steps.push(format!("{} (as the review showed)", i.title));
            }
            steps.extend(patch.next.iter().cloned());
        }
        _ => steps.push(format!(
            "Add {} to configuration.py; restart NetBox",
            dir.join("netbox-sso.py").display()
        )),
    }
    steps.push(format!(
        "nbsso check --plan {}  (s saves the plan)",
        dir.join(crate::plan::PLAN_FILE).display()
    ));
    for (i, s) in steps.iter().enumerate() {
        lines.push(Line::raw(fit(&format!("  {}. {s}", i + 1))));
    }
    lines.push(Line::styled(
        "Values (c copies the selected one):",
        t.label(),
    ));
    for (i, c) in copyable(plan).iter().enumerate() {
        let selected = i == model.done.selected;
        let style = if selected { t.selected() } else { t.base() };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▸ " } else { "  " }, style),
            Span::styled(format!("{:<14}", c.label), t.label()),
            Span::styled(c.value.clone(), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The deployment's files as patched, each backup by name, and NetBox's own check if it ran.
/// Paths are shown under the directory holding them all.
fn patched_lines(applied: &Applied, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let base = crate::deploy::common_dir(applied.files.iter().map(|f| f.path.as_path()));
    let short = |p: &Path| p.strip_prefix(&base).unwrap_or(p).display().to_string();
    let mut lines = vec![Line::styled(
        super::text::fit(
            &format!(
                "NetBox's configuration in {} (~ patched, + created):",
                base.display()
            ),
            width,
        ),
        t.label(),
    )];
    // One line a file: its path, and the backup beside it by name.
    for f in &applied.files {
        let word = if f.existed { "~" } else { "+" };
        let backup = f
            .backup
            .as_ref()
            .and_then(|b| b.file_name())
            .map(|n| format!("  backup: {}", n.to_string_lossy()))
            .unwrap_or_default();
        let path = short(&f.path);
        let room = width.saturating_sub(4);
        lines.push(Line::from(vec![
            Span::styled(format!("  {word} "), t.ok()),
            Span::raw(super::text::fit(&path, room)),
            Span::styled(
                super::text::fit(&backup, room.saturating_sub(path.len())),
                t.dim(),
            ),
        ]));
    }
    if let Some(check) = &applied.netbox_check {
        let style = if check.ends_with("passed") {
            t.ok()
        } else {
            t.fail()
        };
        lines.push(Line::styled(
            super::text::fit(&format!("  NetBox's own check: {check}"), width),
            style,
        ));
    }
    lines
}
