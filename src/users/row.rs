//! One NetBox user's outcome of matching: its [`State`], the person, the evidence, the fix.

use super::export::NetBoxUser;
use super::persons::KanidmPerson;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// One Kanidm person, nobody else's: apply links it.
    Matched,
    /// Two or more persons fit this user, or two or more users fit one person: all are shown.
    Ambiguous,
    /// No person fits.
    Unmatched,
    /// A Kanidm link exists already, to this user or to another one.
    AlreadyLinked,
    /// A copy NetBox made at a test login through Kanidm, holding the link the real account needs.
    Stray,
    /// No single sign-on link at all: a local account, left alone.
    Local,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Matched,
        State::Ambiguous,
        State::Unmatched,
        State::AlreadyLinked,
        State::Stray,
        State::Local,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Matched => "matched",
            Self::Ambiguous => "ambiguous",
            Self::Unmatched => "unmatched",
            Self::AlreadyLinked => "already linked",
            Self::Stray => "stray",
            Self::Local => "local",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRef {
    pub name: String,
    pub uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
}

impl PersonRef {
    pub(super) fn of(p: &KanidmPerson) -> Self {
        Self {
            name: p.name.clone(),
            uuid: p.uuid.clone(),
            mail: p.mail.first().cloned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRef {
    pub id: i64,
    pub username: String,
}

impl UserRef {
    pub(super) fn of(u: &NetBoxUser) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
        }
    }
}

/// What decided a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum MatchBy {
    Username { evidence: String, from: String },
    Email { evidence: String, from: String },
    Override { line: usize },
}

impl MatchBy {
    pub fn describe(&self) -> String {
        match self {
            Self::Username { evidence, from } => format!("by the username {evidence} ({from})"),
            Self::Email { evidence, from } => format!("by the e-mail {evidence} ({from})"),
            Self::Override { line } => format!("by the overrides file, line {line}"),
        }
    }
}

/// One NetBox user's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub active: bool,
    pub superuser: bool,
    pub state: State,
    /// The person linked (matched, already linked, stray).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<MatchBy>,
    /// The persons that fit (ambiguous).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<PersonRef>,
    /// Other NetBox users that fit the same person (ambiguous), or the real account (stray).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rivals: Vec<UserRef>,
    /// Who holds the person's Kanidm link (already linked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_user: Option<UserRef>,
    /// The uids of the old provider's links.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub old_uids: Vec<String>,
    /// An account named after a Kanidm SPN, offered its short name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rename_to: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// How many users are in each state, in [`State::ALL`] order, states with nobody left out.
pub fn counts(rows: &[UserRow]) -> Vec<(State, usize)> {
    State::ALL
        .iter()
        .map(|s| (*s, rows.iter().filter(|r| r.state == *s).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}
