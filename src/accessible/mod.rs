//! The accessible mode (`nbsso --accessible`): the wizard as line-by-line questions for screen
//! readers, serial consoles and answer files. [`prompt`] words the questions and reads the
//! answers (pure); [`session`] holds the conversation over any reader and writer. Both stand on
//! the wizard's answers, the plan's validation, the checks engine and the writer; [`deployment`]
//! says in lines what the Source screen reads and what the review and the write patch.

pub mod deployment;
pub mod prompt;
pub mod session;

pub use session::{Session, run_stdio};

/// Whether the wizard should run as questions: asked for, or the terminal cannot show the
/// screens (`TERM=dumb`), or the output is not a terminal while someone types at the input.
pub fn wanted(flag: bool, term: Option<&str>, stdin_tty: bool, stdout_tty: bool) -> bool {
    flag || (stdin_tty && (term == Some("dumb") || !stdout_tty))
}

#[cfg(test)]
mod tests {
    use super::wanted;

    #[test]
    fn chosen_by_the_flag_a_dumb_terminal_or_a_redirected_output() {
        assert!(wanted(true, Some("xterm"), false, false));
        assert!(wanted(false, Some("dumb"), true, true));
        assert!(wanted(false, Some("xterm-256color"), true, false));
        assert!(!wanted(false, Some("xterm-256color"), true, true));
        // No one at the input: the wizard's own "needs a terminal" message.
        assert!(!wanted(false, Some("dumb"), false, true));
    }
}
