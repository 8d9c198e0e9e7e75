//! `nbsso explain`: from the message a user sees to its cause and fix. The catalogue is data
//! (`assets/errors.toml`); the matcher and the verdicts are pure functions the CLI and the wizard
//! share: paste text in, get the entries it holds; hand in check findings, get which cause it is.

mod catalogue;
mod fix;
mod matcher;
mod redirect;
mod text;
mod verdict;

pub use catalogue::{
    CATALOGUE_TOML, Catalogue, CatalogueError, Cause, Component, Entry, Rank, catalogue,
};
pub use fix::{FixValues, PLACEHOLDERS, unknown_placeholders};
pub use matcher::{Explanation, Match, explain, only_harmless, strip_ansi};
pub use redirect::{redirect_difference, refused_redirect};
pub use text::{
    MAX_TEXT, check_text, entry_text, explained_text, failed_check_text, nothing_text,
    observed_redirect, pasted_text,
};
pub use verdict::{Judged, Verdict, for_finding, judge, judge_cause, which};

#[cfg(test)]
mod tests;
