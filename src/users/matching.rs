//! Who becomes whom: every NetBox user of an export, matched against Kanidm persons.
//!
//! The evidence for a user is its old links' uids (a username or e-mail for Keycloak and some
//! Authentik modes; UUIDs, hashes and numbers are opaque), the claims of its last login, and its
//! NetBox username and e-mail. Usernames are compared with Kanidm `name` and `spn` first, then e-mails
//! with Kanidm `mail`, always case-insensitively. Every user ends in one [`State`].

use super::LinkProviders;
use super::export::{NetBoxExport, NetBoxUser, SocialLink};
use super::overrides::Override;
use super::persons::{KanidmPerson, is_uuid};
use super::row::{MatchBy, PersonRef, State, UserRef, UserRow};
use crate::quote;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("overrides line {line}: NetBox has no user named {username}")]
    UnknownUser { line: usize, username: String },
    #[error("overrides line {line}: Kanidm has no person named {name}")]
    UnknownPerson { line: usize, name: String },
    #[error("overrides lines {first} and {second} both give Kanidm person {name}")]
    PersonTwice {
        first: usize,
        second: usize,
        name: String,
    },
}

struct Index {
    by_name: HashMap<String, usize>,
    by_spn: HashMap<String, usize>,
    by_mail: HashMap<String, Vec<usize>>,
    by_uuid: HashMap<String, usize>,
}

impl Index {
    fn new(persons: &[KanidmPerson]) -> Self {
        let mut index = Index {
            by_name: HashMap::with_capacity(persons.len()),
            by_spn: HashMap::with_capacity(persons.len()),
            by_mail: HashMap::with_capacity(persons.len()),
            by_uuid: HashMap::with_capacity(persons.len()),
        };
        for (i, p) in persons.iter().enumerate() {
            index.by_name.insert(p.name.to_lowercase(), i);
            if let Some(spn) = &p.spn {
                index.by_spn.insert(spn.to_lowercase(), i);
            }
            for mail in &p.mail {
                let slot = index.by_mail.entry(mail.to_lowercase()).or_default();
                if !slot.contains(&i) {
                    slot.push(i);
                }
            }
            index.by_uuid.insert(p.uuid.clone(), i);
        }
        index
    }
}

/// A uid or username that says nothing about the person: a UUID, a hash, a number.
fn opaque(value: &str) -> bool {
    is_uuid(value)
        || value.is_empty()
        || value.bytes().all(|b| b.is_ascii_digit())
        || (value.len() >= 32 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What a user's links are, seen from the migration.
struct Links<'e> {
    /// Kanidm links, with the person when the list has it.
    kanidm: Vec<(Option<usize>, &'e SocialLink)>,
    old: Vec<&'e SocialLink>,
}

fn classify<'e>(user: &'e NetBoxUser, index: &Index, providers: &LinkProviders) -> Links<'e> {
    let mut links = Links {
        kanidm: Vec::new(),
        old: Vec::new(),
    };
    for link in &user.links {
        let person = index.by_uuid.get(&link.uid.to_ascii_lowercase()).copied();
        if link.provider == providers.new && (person.is_some() || !providers.shared()) {
            links.kanidm.push((person, link));
        } else if link.provider == providers.old {
            links.old.push(link);
        }
    }
    links
}

enum Fit {
    One(usize, MatchBy),
    Many(Vec<usize>),
    None,
}

/// The persons a user's evidence points at: usernames first, then e-mails.
fn fit(user: &NetBoxUser, old: &[&SocialLink], index: &Index) -> Fit {
    let mut names: Vec<(&str, &str)> = Vec::new();
    let mut mails: Vec<(&str, &str)> = Vec::new();
    for link in old {
        if !opaque(&link.uid) {
            names.push((&link.uid, "old uid"));
            if link.uid.contains('@') {
                mails.push((&link.uid, "old uid"));
            }
        }
        if let Some(v) = link.claims.preferred_username.as_deref() {
            names.push((v, "preferred_username of the last login"));
        }
        if let Some(v) = link.claims.email.as_deref() {
            mails.push((v, "e-mail of the last login"));
        }
    }
    if !opaque(&user.username) {
        names.push((&user.username, "NetBox username"));
    }
    if !user.email.is_empty() {
        mails.push((&user.email, "NetBox e-mail"));
    }
    let mut found: Vec<(usize, MatchBy)> = Vec::new();
    for (value, from) in names {
        let lower = value.to_lowercase();
        for i in [index.by_name.get(&lower), index.by_spn.get(&lower)]
            .into_iter()
            .flatten()
        {
            if !found.iter().any(|(j, _)| j == i) {
                let by = MatchBy::Username {
                    evidence: value.to_string(),
                    from: from.to_string(),
                };
                found.push((*i, by));
            }
        }
    }
    if found.is_empty() {
        for (value, from) in mails {
            for i in index
                .by_mail
                .get(&value.to_lowercase())
                .into_iter()
                .flatten()
            {
                if !found.iter().any(|(j, _)| j == i) {
                    let by = MatchBy::Email {
                        evidence: value.to_string(),
                        from: from.to_string(),
                    };
                    found.push((*i, by));
                }
            }
        }
    }
    match found.len() {
        0 => Fit::None,
        1 => {
            let (i, by) = found.remove(0);
            Fit::One(i, by)
        }
        _ => Fit::Many(found.into_iter().map(|(i, _)| i).collect()),
    }
}

/// `alice` + 16 hex digits: the name social-core gives a second account when `alice` exists.
fn deduplicated_copy(copy: &str, original: &str) -> bool {
    let (copy, original) = (copy.to_lowercase(), original.to_lowercase());
    copy.len() == original.len() + 16
        && copy.starts_with(&original)
        && copy[original.len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
}

/// `alice@idm.example.com` for Kanidm person `alice`: a login before short usernames were on.
fn spn_named(username: &str, person: &KanidmPerson) -> bool {
    let lower = username.to_lowercase();
    person.spn.as_deref().map(str::to_lowercase) == Some(lower.clone())
        || lower
            .strip_prefix(&person.name.to_lowercase())
            .is_some_and(|rest| rest.starts_with('@'))
}

/// Matches every user of the export. Overrides come first and win over the evidence.
pub fn match_users(
    export: &NetBoxExport,
    persons: &[KanidmPerson],
    providers: &LinkProviders,
    overrides: &[Override],
) -> Result<Vec<UserRow>, MatchError> {
    let index = Index::new(persons);
    let users = &export.users;
    let by_username: HashMap<String, usize> = users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.username.to_lowercase(), i))
        .collect();
    let links: Vec<Links> = users
        .iter()
        .map(|u| classify(u, &index, providers))
        .collect();

    // Overrides: user -> (person or none, line).
    let mut forced: HashMap<usize, (Option<usize>, usize)> = HashMap::new();
    let mut forced_persons: HashMap<usize, (usize, usize)> = HashMap::new();
    for o in overrides {
        let user = *by_username
            .get(&o.netbox_username.to_lowercase())
            .ok_or_else(|| MatchError::UnknownUser {
                line: o.line,
                username: o.netbox_username.clone(),
            })?;
        let person = match &o.kanidm_name {
            None => None,
            Some(name) => Some(*index.by_name.get(&name.to_lowercase()).ok_or_else(|| {
                MatchError::UnknownPerson {
                    line: o.line,
                    name: name.clone(),
                }
            })?),
        };
        if let Some(p) = person {
            if let Some((_, first)) = forced_persons.get(&p) {
                return Err(MatchError::PersonTwice {
                    first: *first,
                    second: o.line,
                    name: persons[p].name.clone(),
                });
            }
            forced_persons.insert(p, (user, o.line));
        }
        forced.insert(user, (person, o.line));
    }

    // Who holds each person's Kanidm link, and what each old account's evidence fits.
    let mut holder: HashMap<usize, usize> = HashMap::new();
    for (u, l) in links.iter().enumerate() {
        for (p, _) in &l.kanidm {
            if let Some(p) = p {
                holder.entry(*p).or_insert(u);
            }
        }
    }
    let fits: Vec<Option<Fit>> = users
        .iter()
        .enumerate()
        .map(|(u, user)| {
            let l = &links[u];
            (l.kanidm.is_empty() && !l.old.is_empty() && !forced.contains_key(&u))
                .then(|| fit(user, &l.old, &index))
        })
        .collect();
    let mut claims: HashMap<usize, Vec<usize>> = HashMap::new();
    for (u, f) in fits.iter().enumerate() {
        if let Some(Fit::One(p, _)) = f {
            claims.entry(*p).or_default().push(u);
        }
    }
    // A holder is a stray when it is a copy of an account whose evidence fits the same person.
    let mut stray_of: HashMap<usize, usize> = HashMap::new();
    for (p, h) in &holder {
        let person = &persons[*p];
        let copy = &users[*h].username;
        let real = claims
            .get(p)
            .into_iter()
            .flatten()
            .find(|r| deduplicated_copy(copy, &users[**r].username) || spn_named(copy, person));
        if let Some(r) = real {
            stray_of.insert(*h, *r);
        }
    }

    let rows = users
        .iter()
        .enumerate()
        .map(|(u, user)| {
            let mut row = UserRow {
                id: user.id,
                username: user.username.clone(),
                email: user.email.clone(),
                active: user.active,
                superuser: user.superuser,
                state: State::Unmatched,
                person: None,
                by: None,
                candidates: Vec::new(),
                rivals: Vec::new(),
                linked_user: None,
                old_uids: links[u].old.iter().map(|l| l.uid.clone()).collect(),
                rename_to: None,
                reason: String::new(),
                fix: None,
            };
            let ctx = Context {
                users,
                persons,
                providers,
                holder: &holder,
                stray_of: &stray_of,
                by_username: &by_username,
            };
            if !links[u].kanidm.is_empty() {
                ctx.holder_row(&mut row, u, &links[u]);
            } else if let Some((person, line)) = forced.get(&u) {
                ctx.forced_row(&mut row, u, *person, *line);
            } else if let Some(f) = &fits[u] {
                ctx.evidence_row(&mut row, u, f, &claims, &forced_persons);
            } else {
                row.state = State::Local;
                row.reason = "no single sign-on link: a local account, left alone".into();
            }
            row
        })
        .collect();
    Ok(rows)
}

struct Context<'a> {
    users: &'a [NetBoxUser],
    persons: &'a [KanidmPerson],
    providers: &'a LinkProviders,
    holder: &'a HashMap<usize, usize>,
    stray_of: &'a HashMap<usize, usize>,
    by_username: &'a HashMap<String, usize>,
}

impl Context<'_> {
    /// A user that has a Kanidm link already.
    fn holder_row(&self, row: &mut UserRow, u: usize, links: &Links) {
        let (person, link) = links.kanidm[0];
        row.state = State::AlreadyLinked;
        row.linked_user = Some(UserRef::of(&self.users[u]));
        let Some(p) = person else {
            row.reason = format!(
                "linked to Kanidm UUID {}, which no person in the Kanidm list has (deleted?)",
                link.uid
            );
            return;
        };
        let person = &self.persons[p];
        row.person = Some(PersonRef::of(person));
        if let Some(real) = self.stray_of.get(&u) {
            let real = &self.users[*real];
            row.state = State::Stray;
            row.linked_user = None;
            row.rivals = vec![UserRef::of(real)];
            row.reason = format!(
                "a copy NetBox made at a login through Kanidm: it holds Kanidm person {}'s link, which {} needs",
                person.name, real.username
            );
            row.fix = Some(format!(
                "nbsso never deletes accounts. Inside NetBox (nbshell) remove this copy's link and deactivate it: \
                 UserSocialAuth.objects.filter(user_id={}, provider={}, uid={}).delete(); \
                 User.objects.filter(pk={}).update(is_active=False); then export and match again",
                row.id,
                quote::python(&self.providers.new),
                quote::python(&link.uid),
                row.id
            ));
            return;
        }
        row.reason = format!("already linked to Kanidm person {}", person.name);
        if spn_named(&row.username, person) {
            let short = person.name.to_lowercase();
            match self.by_username.get(&short) {
                Some(other) if *other != u => {
                    row.reason = format!(
                        "already linked to Kanidm person {}; named after its SPN, but the short name belongs to another account",
                        person.name
                    );
                }
                _ => {
                    row.rename_to = Some(person.name.clone());
                    row.reason = format!(
                        "already linked to Kanidm person {}; named after its SPN from a login before short usernames: apply renames it to {}",
                        person.name, person.name
                    );
                }
            }
        }
    }

    /// A user the overrides file decides.
    fn forced_row(&self, row: &mut UserRow, u: usize, person: Option<usize>, line: usize) {
        let Some(p) = person else {
            row.reason = format!("not linked, as the overrides file says (line {line})");
            return;
        };
        let person = &self.persons[p];
        row.person = Some(PersonRef::of(person));
        match self.holder.get(&p) {
            Some(h) if *h != u => self.taken(row, person, *h),
            _ => {
                row.state = State::Matched;
                row.by = Some(MatchBy::Override { line });
                row.reason = format!(
                    "Kanidm person {} {}",
                    person.name,
                    MatchBy::Override { line }.describe()
                );
            }
        }
    }

    /// The person's link is held by another account.
    fn taken(&self, row: &mut UserRow, person: &KanidmPerson, h: usize) {
        let held = &self.users[h];
        row.state = State::AlreadyLinked;
        row.linked_user = Some(UserRef::of(held));
        if self.stray_of.contains_key(&h) {
            row.reason = format!(
                "Kanidm person {}'s link is held by the stray copy {}",
                person.name, held.username
            );
            row.fix = Some(format!("follow the fix shown for {}", held.username));
        } else {
            row.reason = format!(
                "Kanidm person {} is already linked to another account, {}",
                person.name, held.username
            );
            row.fix = Some(format!(
                "if {} is the right account, nothing to do; otherwise give this user another person in the overrides file",
                held.username
            ));
        }
    }

    /// A user with old links, matched by its evidence.
    fn evidence_row(
        &self,
        row: &mut UserRow,
        u: usize,
        fit: &Fit,
        claims: &HashMap<usize, Vec<usize>>,
        forced_persons: &HashMap<usize, (usize, usize)>,
    ) {
        let pick = "pick one with a line `netbox_username,kanidm_name` in the overrides file";
        match fit {
            Fit::None => {
                row.reason = format!(
                    "no Kanidm person has this user's name or e-mail (old uid {})",
                    row.old_uids.join(", ")
                );
                row.fix = Some(format!(
                    "create the person in Kanidm, or name it with a line `{},<kanidm_name>` in the overrides file",
                    row.username
                ));
            }
            Fit::Many(found) => {
                row.state = State::Ambiguous;
                row.candidates = found
                    .iter()
                    .map(|p| PersonRef::of(&self.persons[*p]))
                    .collect();
                let names: Vec<&str> = row.candidates.iter().map(|c| c.name.as_str()).collect();
                row.reason = format!("several Kanidm persons fit: {}", names.join(", "));
                row.fix = Some(pick.into());
            }
            Fit::One(p, by) => {
                let person = &self.persons[*p];
                row.person = Some(PersonRef::of(person));
                if let Some(h) = self.holder.get(p) {
                    self.taken(row, person, *h);
                } else if let Some((other, line)) = forced_persons.get(p) {
                    row.reason = format!(
                        "Kanidm person {} is given to {} by the overrides file (line {line})",
                        person.name, self.users[*other].username
                    );
                } else if let Some(rivals) = claims.get(p).filter(|r| r.len() > 1) {
                    row.state = State::Ambiguous;
                    row.candidates = vec![PersonRef::of(person)];
                    row.rivals = rivals
                        .iter()
                        .filter(|r| **r != u)
                        .map(|r| UserRef::of(&self.users[*r]))
                        .collect();
                    let names: Vec<&str> = row.rivals.iter().map(|r| r.username.as_str()).collect();
                    row.reason = format!(
                        "Kanidm person {} fits this user and {} ({})",
                        person.name,
                        names.join(", "),
                        by.describe()
                    );
                    row.fix = Some(pick.into());
                } else {
                    row.state = State::Matched;
                    row.by = Some(by.clone());
                    row.reason = format!("Kanidm person {} {}", person.name, by.describe());
                }
            }
        }
    }
}
