//! The one terminal guard: raw mode, the alternate screen and bracketed paste on entry; restored
//! exactly once, on drop or by the chained panic hook, whichever comes first. (Restoring twice
//! would leave the alternate screen twice, which makes some terminals jump the cursor back over the
//! panic message.) The runtime turns SIGTERM and SIGHUP into a normal return, so the drop restores
//! then too.

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::{DefaultTerminal, Terminal};
use std::io::{self, Write, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// The terminal is in the wizard's mode and must be restored.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Puts the terminal back as it was, if it is not already.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // A panic or a kill in the middle of a frame may have left synchronized output on.
        let _ = crossterm::execute!(
            stdout(),
            EndSynchronizedUpdate,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
        let _ = disable_raw_mode();
    }
}

/// Restores the terminal first, then lets the previous hook print the panic on a sane screen.
/// Only a panic of the thread running the loop ends the wizard; a panicking background task is
/// caught by tokio and must not leave the still-running wizard in a restored (cooked) terminal.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        let ui_thread = std::thread::current().id();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == ui_thread {
                restore();
            }
            previous(info);
        }));
    });
}

pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    pub fn enter() -> io::Result<(Self, DefaultTerminal)> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = Self { _private: () };
        crossterm::execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
        let terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
        Ok((guard, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// A backend that marks where a frame starts and ends (synchronized output, DEC mode 2026): a
/// terminal that knows the mode shows each frame whole, never half drawn, however many writes it
/// takes; one that does not ignores the marks.
pub trait FrameSync {
    fn begin_frame(&mut self) -> io::Result<()>;
    fn end_frame(&mut self) -> io::Result<()>;
}

impl<W: Write> FrameSync for CrosstermBackend<W> {
    fn begin_frame(&mut self) -> io::Result<()> {
        crossterm::queue!(self, BeginSynchronizedUpdate)
    }

    fn end_frame(&mut self) -> io::Result<()> {
        crossterm::execute!(self, EndSynchronizedUpdate)
    }
}

/// Tests draw on a buffer: there is no terminal to tell.
impl FrameSync for TestBackend {
    fn begin_frame(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn end_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::Paragraph;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What the backend writes, kept where the test can read it.
    #[derive(Clone, Default)]
    struct Written(Rc<RefCell<Vec<u8>>>);

    impl Write for Written {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The frame's bytes, cursor handling included, lie between the two marks.
    #[test]
    fn a_frame_is_written_between_the_synchronized_output_marks() {
        let written = Written::default();
        let options = ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 20, 2)),
        };
        let backend = CrosstermBackend::new(written.clone());
        let mut terminal = Terminal::with_options(backend, options).unwrap();
        terminal.backend_mut().begin_frame().unwrap();
        terminal
            .draw(|f| f.render_widget(Paragraph::new("Press Enter"), f.area()))
            .unwrap();
        terminal.backend_mut().end_frame().unwrap();
        let out = String::from_utf8_lossy(&written.0.borrow()).into_owned();
        assert!(out.starts_with("\x1b[?2026h"), "{out:?}");
        assert!(out.ends_with("\x1b[?2026l"), "{out:?}");
        assert!(
            out.contains("Press") && out.contains("\x1b[?25l"),
            "{out:?}"
        );
    }
}
