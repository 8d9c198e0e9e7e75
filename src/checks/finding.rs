//! What a check reports: a status, one line a user reads first, and the exact fix.

use crate::versions::Version;
use serde::Serialize;

/// A release a check could tell from what a server showed, for the user to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetectedRelease {
    /// What the evidence allows, in words: `4.7.1 or later`.
    pub range: String,
    /// The release to offer, when the evidence points at one the plan does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested: Option<Version>,
}

/// Where a check is, from the user's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Running,
    Pass,
    /// Works, but something needs attention.
    Warn,
    /// Logins will fail (or the server cannot be reached).
    Fail,
    /// Not run: a check it depends on failed, or it was not selected.
    Skipped,
}

impl Status {
    /// The glyph shown beside the status word; status is never shown by colour alone.
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Pending => "·",
            Self::Running => "…",
            Self::Pass => "✓",
            Self::Warn => "!",
            Self::Fail => "✗",
            Self::Skipped => "-",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Pass => "ok",
            Self::Warn => "warning",
            Self::Fail => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub status: Status,
    /// One line: what was found.
    pub summary: String,
    /// The exact setting or command that fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Further lines for the details pane (measured values, what was compared).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// The server could not be reached at all (exit code 3 rather than 1).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unreachable: bool,
    /// The release a server showed: NetBox's, from its login page style (the login page check), or
    /// Kanidm's, from its `x-kanidm-version` header (the discovery check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected: Option<DetectedRelease>,
}

impl Finding {
    pub fn new(status: Status, summary: impl Into<String>) -> Self {
        Self {
            status,
            summary: summary.into(),
            fix: None,
            details: Vec::new(),
            unreachable: false,
            detected: None,
        }
    }

    pub fn pass(summary: impl Into<String>) -> Self {
        Self::new(Status::Pass, summary)
    }

    pub fn warn(summary: impl Into<String>) -> Self {
        Self::new(Status::Warn, summary)
    }

    pub fn fail(summary: impl Into<String>) -> Self {
        Self::new(Status::Fail, summary)
    }

    pub fn skipped(summary: impl Into<String>) -> Self {
        Self::new(Status::Skipped, summary)
    }

    pub fn unreachable(summary: impl Into<String>) -> Self {
        Self {
            unreachable: true,
            ..Self::fail(summary)
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub fn with_detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    pub fn with_details(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.details.extend(lines);
        self
    }
}
