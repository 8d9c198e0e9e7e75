//! Reads a NetBox configuration file with a real Python parser (Ruff's, pinned `=0.0.10`).
//!
//! This module is the only place any parser type appears: everything it returns is nbsso's own
//! ([`PyConfig`], [`Assignment`], [`Value`]), so the parser can be swapped (tree-sitter-python is the
//! fallback) without touching the detector or the patcher. No regular expression ever reads Python.

mod expr;
mod value;
mod walk;

pub use value::{Form, Value, is_secret_name, is_tracked, split_like_python};

/// The function nbsso's generated settings define to read the Kanidm client secret from the
/// environment or its file. Its arguments are a variable name and a path, never a secret, so the
/// reader does not treat them as one; the generator defines the function under this name.
pub const NBSSO_SECRET_READER: &str = "_nbsso_client_secret";

use crate::secret::Secret;
use std::fmt;
use std::ops::Range;

/// One assignment of a setting that decides single sign-on (see [`is_tracked`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub name: String,
    /// The whole statement, in bytes of the source (BOM included in the offsets).
    pub stmt: Range<usize>,
    /// The right-hand side, when there is one (`None` for names bound by an import).
    pub value_span: Option<Range<usize>>,
    /// 1-based line and column (in characters) of the statement.
    pub line: usize,
    pub column: usize,
    /// The `if` tests around the statement, outermost first (`not (a)` for an `else` branch).
    pub conditions: Vec<String>,
    /// The suite the statement is in (index into [`PyConfig::blocks`]); 0 is the module.
    pub block: usize,
    /// False for `A = B = value` or `A, B = ...`: the statement cannot be replaced for one name.
    pub sole_target: bool,
    pub value: Value,
}

impl Assignment {
    pub fn is_conditional(&self) -> bool {
        !self.conditions.is_empty()
    }
}

/// A class defined at module level (nbsso's own backend subclass is found this way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDef {
    pub name: String,
    /// The base classes as written (`OpenIdConnectAuth`, `oidc.OpenIdConnectAuth`).
    pub bases: Vec<String>,
    pub line: usize,
}

/// An `if` statement: its suites (one per branch) and the suite it sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfStmt {
    pub stmt: Range<usize>,
    pub blocks: Vec<usize>,
    pub parent: usize,
}

/// What a configuration file sets, as far as single sign-on is concerned.
#[derive(Debug, Clone, Default)]
pub struct PyConfig {
    /// Every assignment of a tracked setting, in source order.
    pub assignments: Vec<Assignment>,
    /// `from M import *` statements: `(module, line)`. They can set anything.
    pub star_imports: Vec<(String, usize)>,
    pub classes: Vec<ClassDef>,
    /// Names of module-level functions.
    pub functions: Vec<String>,
    /// The statements of each suite (module, `if` branches, `try` parts), in order.
    pub blocks: Vec<Vec<Range<usize>>>,
    /// Every `if` statement, outer ones before the ones nested in them.
    pub ifs: Vec<IfStmt>,
    /// Byte ranges that hold secrets: assignments of secret names, secret dict entries.
    pub secret_spans: Vec<Range<usize>>,
    /// The literal secret values found, so any line repeating one can be hidden too.
    pub secret_values: Vec<Secret>,
}

impl PyConfig {
    /// Every assignment of `name`, in source order.
    pub fn assignments_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Assignment> {
        self.assignments.iter().filter(move |a| a.name == name)
    }

    /// The last assignment of `name` in source order: the one that wins when its branch runs.
    pub fn last(&self, name: &str) -> Option<&Assignment> {
        self.assignments.iter().rev().find(|a| a.name == name)
    }
}

/// A file that is not valid Python: where, and what the parser says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// Parses `source` (a BOM is allowed) and collects what matters.
pub fn parse(source: &str) -> Result<PyConfig, SyntaxError> {
    walk::parse(source)
}

/// True when `source` is valid Python (used on every patched file before it replaces anything).
pub fn is_valid(source: &str) -> Result<(), SyntaxError> {
    walk::check(source)
}

/// 1-based line and character column of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .map_or(0, |s| s.trim_start_matches('\u{feff}').chars().count())
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
