//! The user map on the Review: the counts per state, the lock-out guard, and who becomes whom.

use super::text::fit;
use super::users::{counts_line, guard_lines};
use crate::app::Model;
use crate::users::{State, UserMap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// Rows the summary takes.
pub const HEIGHT: u16 = 3;

/// `alice → alice  fmeyer → frank  …`: the matched users, in NetBox's order.
pub fn who_becomes_whom(map: &UserMap, width: usize) -> String {
    let pairs: Vec<String> = map
        .users
        .iter()
        .filter(|r| r.state == State::Matched)
        .filter_map(|r| Some(format!("{} → {}", r.username, r.person.as_ref()?.name)))
        .collect();
    if pairs.is_empty() {
        return "Nobody is linked yet: user-map.json lists why for each user".into();
    }
    let mut text = String::from("Links: ");
    for (i, pair) in pairs.iter().enumerate() {
        let rest = format!("(+{} more in user-map.json)", pairs.len() - i);
        if text.chars().count() + pair.chars().count() + rest.chars().count() + 2 > width {
            text.push_str(&rest);
            return text;
        }
        text.push_str(pair);
        text.push_str("  ");
    }
    text.trim_end().to_string()
}

pub fn render(model: &Model, map: &UserMap, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let width = usize::from(area.width);
    let mut lines = vec![counts_line(t, map)];
    lines.extend(guard_lines(t, map, width).into_iter().take(1));
    lines.push(Line::raw(fit(&who_becomes_whom(map, width), width)));
    frame.render_widget(Paragraph::new(lines), area);
}
