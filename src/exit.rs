//! The exit codes of every command, documented in the README.

/// Everything passed or was written.
pub const OK: u8 = 0;
/// The command ran and found something to fix (failed checks, drift).
pub const FINDINGS: u8 = 1;
/// Bad command line, or a plan that is missing, unreadable or invalid.
pub const USAGE: u8 = 2;
/// A server could not be reached, or refused access.
pub const UNREACHABLE: u8 = 3;
/// The output files could not be written (nothing half-written is left behind).
pub const WRITE_FAILED: u8 = 4;
