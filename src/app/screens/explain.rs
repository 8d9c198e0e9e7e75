//! The explain box, open on top of any screen: paste an error (a line, a traceback, log lines) and
//! read what `nbsso explain` says about it, judged by the live checks that already ran; or, from
//! the Checks screen, the catalogue entry of the selected failed check. Closing it changes nothing
//! under it.

use super::checks::Board;
use crate::checks::{CheckId, Finding};
use crate::explain::{self, MAX_TEXT};
use crate::keymap::Action;
use crate::plan::Plan;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the box shows before anything is pasted.
pub const INVITATION: &str = "Paste the error here (a line, a whole traceback or log lines): \
    the cause and the fix appear below as you paste or type.";

/// The explain box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainBox {
    /// What was pasted or typed; empty for a check's entry.
    pub text: String,
    /// The explanation as `nbsso explain` words it.
    pub result: String,
    /// Whether the text holds a known message (or the box shows a check's entry).
    pub matched: bool,
    /// The box's title: what it explains.
    pub title: String,
    /// Whether the text can be edited (false for a check's entry).
    pub editable: bool,
    /// First line of the result shown.
    pub scroll: u16,
}

/// The finished checks of the current run, as `(id, finding)`.
fn finished(board: &Board) -> Vec<(CheckId, Finding)> {
    board
        .rows
        .iter()
        .filter_map(|(id, row)| row.finding.clone().map(|f| (*id, f)))
        .collect()
}

impl ExplainBox {
    /// An empty paste box.
    pub fn paste() -> Self {
        Self {
            text: String::new(),
            result: INVITATION.to_string(),
            matched: false,
            title: "Explain an error".into(),
            editable: true,
            scroll: 0,
        }
    }

    /// The catalogue entry of the board's selected check, or why there is none (for a notice).
    pub fn for_selected_check(board: &Board, plan: Option<&Plan>) -> Result<Self, String> {
        let id = board.selected_id();
        let (entry, result) = explain::failed_check_text(id, &finished(board), plan)?;
        Ok(Self {
            text: String::new(),
            result,
            matched: true,
            title: format!("{}: {entry}", id.title()),
            editable: false,
            scroll: 0,
        })
    }

    /// Explains the text again, with the checks that finished so far.
    fn refresh(&mut self, board: &Board, plan: Option<&Plan>) {
        self.scroll = 0;
        if self.text.trim().is_empty() {
            self.result = INVITATION.to_string();
            self.matched = false;
            return;
        }
        match explain::pasted_text(&self.text, plan, &finished(board)) {
            Ok((matched, result)) => {
                self.matched = matched;
                self.result = result;
            }
            Err(e) => {
                self.matched = false;
                self.result = format!("The error catalogue could not be read: {e}");
            }
        }
    }

    /// Pasted text is added as it is, line breaks and all, up to `nbsso explain`'s limit.
    pub fn on_paste(&mut self, text: &str, board: &Board, plan: Option<&Plan>) {
        if !self.editable {
            return;
        }
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut end = text.len().min(MAX_TEXT.saturating_sub(self.text.len()));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&text[..end]);
        self.refresh(board, plan);
    }

    /// A key no binding took: typed into the text (Enter starts a new line).
    pub fn on_key(&mut self, key: KeyEvent, board: &Board, plan: Option<&Plan>) {
        if !self.editable
            || key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return;
        }
        match key.code {
            KeyCode::Char(c) if self.text.len() < MAX_TEXT => self.text.push(c),
            KeyCode::Enter if self.text.len() < MAX_TEXT => self.text.push('\n'),
            KeyCode::Backspace => {
                self.text.pop();
            }
            _ => return,
        }
        self.refresh(board, plan);
    }

    /// The box's own keys: scrolling the result and clearing the text.
    pub fn on_action(&mut self, action: Action, board: &Board, plan: Option<&Plan>) {
        match action {
            Action::ScrollUp => self.scroll = self.scroll.saturating_sub(5),
            Action::ScrollDown => {
                let max = u16::try_from(self.result.lines().count().saturating_sub(1))
                    .unwrap_or(u16::MAX);
                self.scroll = self.scroll.saturating_add(5).min(max);
            }
            Action::Clear if self.editable => {
                self.text.clear();
                self.refresh(board, plan);
            }
            _ => {}
        }
    }
}
