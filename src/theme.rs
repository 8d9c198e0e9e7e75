//! Semantic styles, built from a small palette. With `NO_COLOR` set, every style is made of
//! modifiers only (bold, reversed, underlined, dim); meaning never rests on colour alone anyway,
//! because every state also has a glyph or a word.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    /// Honours `NO_COLOR` (any non-empty value), as <https://no-color.org> asks.
    pub fn from_env() -> Self {
        Self {
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    pub fn colour() -> Self {
        Self { no_color: false }
    }

    pub fn monochrome() -> Self {
        Self { no_color: true }
    }

    fn fg(&self, color: Color) -> Style {
        if self.no_color {
            Style::new()
        } else {
            Style::new().fg(color)
        }
    }

    pub fn base(&self) -> Style {
        Style::new()
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            Style::new().fg(Color::DarkGray)
        }
    }

    pub fn label(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The focused field's frame and label.
    pub fn focus(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The selected row of a list (checks, files, choices).
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn fail(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// An inline validation message under a field.
    pub fn error_text(&self) -> Style {
        self.fg(Color::Red)
    }

    /// The step being shown in the step bar.
    pub fn current_step(&self) -> Style {
        self.fg(Color::Cyan)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// Keys in the footer and help.
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn diff_add(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn diff_del(&self) -> Style {
        self.fg(Color::Red)
    }

    pub fn diff_hunk(&self) -> Style {
        self.fg(Color::Cyan)
    }

    /// Masked secrets (never the secret itself).
    pub fn secret(&self) -> Style {
        self.fg(Color::Magenta)
    }

    /// The default button of a confirmation.
    pub fn button_selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// Style for a check or file status.
    pub fn status(&self, status: crate::checks::Status) -> Style {
        use crate::checks::Status;
        match status {
            Status::Pass => self.ok(),
            Status::Warn => self.warn(),
            Status::Fail => self.fail(),
            Status::Running => self.title(),
            Status::Pending | Status::Skipped => self.dim(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_uses_no_colours() {
        let t = Theme::monochrome();
        for style in [
            t.title(),
            t.dim(),
            t.focus(),
            t.ok(),
            t.warn(),
            t.fail(),
            t.error_text(),
            t.current_step(),
            t.key(),
            t.diff_add(),
            t.diff_del(),
            t.secret(),
        ] {
            assert_eq!(style.fg, None, "{style:?}");
            assert_eq!(style.bg, None, "{style:?}");
        }
    }
}
