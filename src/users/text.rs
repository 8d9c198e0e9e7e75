//! The user map in lines of text, as `nbsso users match` prints it and the accessible wizard says
//! it: the counts, the lock-out guard, the warnings, and every user with their state and fix.
//! Names and reasons come from NetBox and Kanidm, so control characters are shown escaped.

use super::{UserMap, UserRow};
use crate::quote::comment;

/// The summary: who is moved from which links to which, the counts, the guard and the warnings.
pub fn summary(map: &UserMap, persons_from: &str) -> Vec<String> {
    let counts: Vec<String> = map
        .counts
        .iter()
        .map(|(state, n)| format!("{n} {}", state.label()))
        .collect();
    let mut out = vec![
        format!(
            "{} NetBox user(s) (NetBox {}), Kanidm persons from {persons_from}; {} links → {} links",
            map.users.len(),
            map.netbox_version,
            map.providers.old,
            map.providers.new
        ),
        format!("  {}", counts.join(", ")),
    ];
    let mark = if map.guard.ok { "✓" } else { "✗" };
    out.push(format!("{mark} lock-out guard: {}", map.guard.message));
    if let Some(fix) = &map.guard.fix {
        out.push(format!("  fix: {fix}"));
    }
    out.extend(map.warnings.iter().map(|w| format!("! {w}")));
    out
}

/// One line per user (and one more for a fix): state, username, the person, why.
pub fn rows<'a>(rows: impl IntoIterator<Item = &'a UserRow>) -> Vec<String> {
    let mut out = Vec::new();
    for row in rows {
        let target = row
            .person
            .as_ref()
            .map(|p| format!(" → {}", p.name))
            .unwrap_or_default();
        out.push(format!(
            "  {:<15} {}{target}: {}",
            row.state.label(),
            comment(&row.username),
            comment(&row.reason)
        ));
        if let Some(fix) = &row.fix {
            out.push(format!("  {:<15} fix: {}", "", comment(fix)));
        }
    }
    out
}
