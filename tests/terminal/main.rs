//! Journeys in a real terminal: the built `nbsso` in a private tmux server, driven with keys and read
//! from the screen as a user sees it. Needs tmux (skipped, with the reason printed, without it);
//! `NBSSO_BIN` picks the binary (`tests/run` sets the release build).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accessible_tmux;
mod crash_injection;
mod explain_tmux;
mod inspect_tmux;
mod terminal_restore;
mod wizard_import_tmux;
mod wizard_tmux;
