//! Done: what was written and backed up, the next commands in order, and values to copy.

use crate::app::Model;
use crate::app::screens::done::copyable;
use crate::generate::writer::Disposition;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let plan = model.answers.plan.as_deref();
    let dir = plan.map(|p| p.output_dir.clone()).unwrap_or_default();
    let fit = |s: &str| super::text::fit(s, usize::from(area.width));
    let mut lines = vec![Line::styled("Done: the files are written", t.title())];
    for f in model.done.written.iter().flatten() {
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
    lines.push(Line::styled("Next, in this order:", t.label()));
    let admin = plan.map(|p| p.kanidm.admin.clone()).unwrap_or_default();
    let steps = [
        format!(
            "Read {} (every step, and how to check it)",
            dir.join("CHECKLIST.md").display()
        ),
        format!(
            "bash {}  (where the kanidm CLI runs, as {admin})",
            dir.join("kanidm-setup.sh").display()
        ),
        format!(
            "Add {} to configuration.py; restart NetBox",
            dir.join("netbox-sso.py").display()
        ),
        format!(
            "nbsso check --plan {}  (s saves the plan)",
            dir.join(crate::plan::PLAN_FILE).display()
        ),
    ];
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
