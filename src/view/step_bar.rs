//! The step bar: every step, the current one marked ▸, done ones ✓, invalid ones !, and the Checks
//! step ✗ when a check failed. Glyphs carry the meaning; styles only add emphasis.

use crate::app::{Model, Step};
use crate::checks::Status;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The marker after a step's title.
pub fn marker(model: &Model, step: Step) -> &'static str {
    if step == Step::Checks && model.board.plan.is_some() && model.board.count(Status::Fail) > 0 {
        return "✗";
    }
    let answers = &model.answers;
    let seen = answers.visited.contains(&step) || answers.step_touched(step);
    if seen && answers.step_invalid(step) {
        "!"
    } else if (answers.visited.contains(&step) && step < model.step) || model.step == Step::Done {
        "✓"
    } else {
        ""
    }
}

pub fn step_bar(model: &Model, width: u16) -> Paragraph<'static> {
    let t = &model.theme;
    let segments: Vec<(Step, String)> = Step::ALL
        .iter()
        .map(|&s| (s, format!("{}{}", s.title(), marker(model, s))))
        .collect();
    let numbered = |s: Step, text: &str| format!("{} {text}", s.index() + 1);
    let full: usize = segments
        .iter()
        .map(|(s, text)| numbered(*s, text).chars().count() + 3)
        .sum::<usize>()
        + 2;
    let use_numbers = full <= usize::from(width);
    let sep = if use_numbers { " › " } else { " " };
    let mut spans = vec![Span::raw(" ")];
    for (i, (step, text)) in segments.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(sep, t.dim()));
        }
        let text = if use_numbers {
            numbered(step, &text)
        } else {
            text
        };
        if step == model.step {
            spans.push(Span::styled(format!("▸{text}"), t.current_step()));
        } else if marker(model, step) == "!" || marker(model, step) == "✗" {
            spans.push(Span::styled(text, t.fail()));
        } else if step < model.step {
            spans.push(Span::styled(text, t.ok()));
        } else {
            spans.push(Span::styled(text, t.dim()));
        }
    }
    Paragraph::new(Line::from(spans))
}
