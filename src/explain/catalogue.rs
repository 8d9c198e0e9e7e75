//! The error catalogue: what each message users meet means, who prints it, its causes in order of
//! likelihood, the check that confirms each cause and the exact fix. The data is
//! `assets/errors.toml`, compiled in and parsed once; [`Catalogue::parse`] refuses a file with an
//! unknown check, a pattern that does not compile or an entry without a cause.

use crate::checks::CheckId;
use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The program that prints a message, which tells the user where to look for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// python-social-auth's `social_core` (NetBox's log with `DEBUG = True`).
    SocialCore,
    /// PyJWT, raised inside social-core's ID token check.
    Pyjwt,
    /// `requests`, raised inside social-core's HTTP calls.
    Requests,
    /// NetBox itself: its pages, toasts and warnings.
    Netbox,
    /// Django, under NetBox.
    Django,
    /// The Python interpreter running NetBox.
    Python,
    /// The `kanidm` command line tool.
    KanidmCli,
    /// The Kanidm server's log (`journalctl -u kanidmd`, `docker logs`).
    Kanidmd,
    /// The page Kanidm shows in the browser.
    KanidmPage,
}

impl Component {
    pub fn label(self) -> &'static str {
        match self {
            Self::SocialCore => "social-auth-core (NetBox's log)",
            Self::Pyjwt => "PyJWT, inside social-auth-core (NetBox's log)",
            Self::Requests => "requests, inside social-auth-core (NetBox's log or 500 page)",
            Self::Netbox => "NetBox",
            Self::Django => "Django, under NetBox",
            Self::Python => "Python, starting NetBox",
            Self::KanidmCli => "the kanidm CLI",
            Self::Kanidmd => "kanidmd's log",
            Self::KanidmPage => "Kanidm's page in the browser",
        }
    }
}

/// How much a match says on its own; decides which of several matches in a text comes first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rank {
    /// Names the failure itself (`Incorrect id_token: nbf`).
    #[default]
    Cause,
    /// A consequence with several possible causes (`Single sign-on failed`).
    Symptom,
    /// Printed while everything works; never the reason for a failure.
    Harmless,
}

/// One possible reason for an entry's message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// What is wrong, in one or two sentences.
    pub why: String,
    /// The `nbsso check` that confirms (or rules out) this cause, if one can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// Words of that check's finding that confirm this cause in particular; without them any
    /// failure or warning of the check does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// Further checks that confirm this cause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Confirmation>,
    /// The exact commands or settings that fix it.
    pub fix: String,
}

/// Another check that confirms a cause (the redirect check and the authorise probe both see that
/// NetBox sends no PKCE challenge).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    pub check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
}

impl Cause {
    pub fn check_id(&self) -> Option<CheckId> {
        self.check.as_deref().and_then(CheckId::from_key)
    }

    /// Every check that can confirm this cause, with the words it would say: the main one first.
    pub fn confirmations(&self) -> Vec<(CheckId, Option<&str>)> {
        let main = self.check_id().map(|id| (id, self.finding.as_deref()));
        main.into_iter()
            .chain(
                self.also.iter().filter_map(|c| {
                    CheckId::from_key(&c.check).map(|id| (id, c.finding.as_deref()))
                }),
            )
            .collect()
    }
}

/// One message (or family of messages) and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable name, used by `--json` and to link a check's finding to its entry.
    pub id: String,
    /// What happened, in one line.
    pub title: String,
    pub component: Component,
    /// Where the user meets it.
    pub seen: String,
    #[serde(default)]
    pub rank: Rank,
    /// Exact texts (case-sensitive substrings of one line), most telling first.
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<String>,
    /// Regular expressions for texts that vary, tried after `match`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
    /// Where the text comes from (source file and line, fixture, reference).
    pub source: String,
    /// Causes, most likely first.
    #[serde(rename = "cause")]
    pub causes: Vec<Cause>,
}

impl Entry {
    /// Every pattern as the matcher sees it, in the order they are tried.
    pub fn patterns(&self) -> impl Iterator<Item = String> + '_ {
        self.texts
            .iter()
            .map(|t| regex::escape(t))
            .chain(self.regex.iter().cloned())
    }

    /// The checks that can confirm one of the causes, in cause order, without repeats.
    pub fn checks(&self) -> Vec<CheckId> {
        let mut seen = Vec::new();
        for (id, _) in self.causes.iter().flat_map(Cause::confirmations) {
            if !seen.contains(&id) {
                seen.push(id);
            }
        }
        seen
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    #[serde(rename = "entry")]
    entries: Vec<Entry>,
}

/// Why the catalogue could not be loaded: a broken `assets/errors.toml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("the error catalogue is not valid TOML: {0}")]
    Toml(String),
    #[error("catalogue entry {entry}: {problem}")]
    Entry { entry: String, problem: String },
}

/// The parsed catalogue with its patterns compiled.
#[derive(Debug)]
pub struct Catalogue {
    pub entries: Vec<Entry>,
    /// Every pattern of every entry, for one pass over each line.
    pub(super) set: RegexSet,
    /// For each pattern of `set`: (entry index, pattern index within the entry).
    pub(super) owners: Vec<(usize, usize)>,
}

/// The catalogue shipped with nbsso.
pub const CATALOGUE_TOML: &str = include_str!("../../assets/errors.toml");

static SHIPPED: LazyLock<Result<Catalogue, CatalogueError>> =
    LazyLock::new(|| Catalogue::parse(CATALOGUE_TOML));

/// The shipped catalogue, parsed on first use.
pub fn catalogue() -> Result<&'static Catalogue, &'static CatalogueError> {
    SHIPPED.as_ref()
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Catalogue {
    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let file: CatalogueFile =
            toml::from_str(text).map_err(|e| CatalogueError::Toml(e.to_string()))?;
        let mut ids = BTreeSet::new();
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        for (index, entry) in file.entries.iter().enumerate() {
            let problem = |problem: String| CatalogueError::Entry {
                entry: entry.id.clone(),
                problem,
            };
            if !is_kebab(&entry.id) {
                return Err(problem(
                    "the id must be lower-case words joined by -".into(),
                ));
            }
            if !ids.insert(entry.id.as_str()) {
                return Err(problem("the id is used twice".into()));
            }
            if entry.texts.is_empty() && entry.regex.is_empty() {
                return Err(problem("no text to match (match or regex)".into()));
            }
            if entry.causes.is_empty() {
                return Err(problem("no cause".into()));
            }
            if entry
                .texts
                .iter()
                .any(|t| t.trim().is_empty() || t.contains('\n'))
            {
                return Err(problem("a match text is empty or spans lines".into()));
            }
            for cause in &entry.causes {
                if cause.fix.trim().is_empty() {
                    return Err(problem(format!("the cause {:?} has no fix", cause.why)));
                }
                if cause.check.is_none() && (cause.finding.is_some() || !cause.also.is_empty()) {
                    return Err(problem("finding or also without a check".into()));
                }
                let keys = cause
                    .check
                    .iter()
                    .chain(cause.also.iter().map(|c| &c.check));
                for key in keys {
                    if CheckId::from_key(key).is_none() {
                        let known: Vec<&str> = CheckId::ALL.iter().map(|c| c.key()).collect();
                        return Err(problem(format!(
                            "unknown check {key:?}; the checks are {}",
                            known.join(", ")
                        )));
                    }
                }
            }
            for (n, pattern) in entry.patterns().enumerate() {
                Regex::new(&pattern).map_err(|e| problem(format!("pattern {pattern:?}: {e}")))?;
                patterns.push(pattern);
                owners.push((index, n));
            }
        }
        let set = RegexSet::new(&patterns).map_err(|e| CatalogueError::Entry {
            entry: "(all)".into(),
            problem: e.to_string(),
        })?;
        Ok(Self {
            entries: file.entries,
            set,
            owners,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entries one of whose causes this check confirms.
    pub fn for_check(&self, id: CheckId) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.checks().contains(&id))
            .collect()
    }
}
