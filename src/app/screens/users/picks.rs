//! Picks of the Users screen: a Kanidm person for a NetBox user (or "leave unlinked"), made from
//! the keyboard or the accessible mode's questions, undone, or taken back from the
//! `user-overrides.csv` an earlier run wrote. Each is an overrides line; the map is matched again.

use super::Users;
use crate::plan::Plan;
use std::path::PathBuf;

/// The picks an earlier run wrote as `user-overrides.csv`, or why they cannot be read.
#[derive(Debug, Clone)]
pub struct SavedPicks {
    pub path: PathBuf,
    pub picks: Result<Vec<(String, Option<String>)>, String>,
}

/// Picks `person` (`None`: leave unlinked) for `username`, in place of an earlier pick; a pick
/// the map cannot be made with is not kept. What happened, in one line.
pub fn set(
    users: &mut Users,
    plan: Option<&Plan>,
    username: &str,
    person: Option<String>,
) -> String {
    let before = users.picks.clone();
    users
        .picks
        .retain(|(u, _)| !u.eq_ignore_ascii_case(username));
    users.picks.push((username.to_string(), person.clone()));
    users.rebuild(plan);
    if let Some(Err(e)) = &users.map {
        let e = e.clone();
        users.picks = before;
        users.rebuild(plan);
        return format!("That pick was not kept: {e}");
    }
    let what = person.map_or("left unlinked".to_string(), |p| format!("linked to {p}"));
    format!("{username} will be {what}")
}

/// Undoes the pick for `username`, if there is one.
pub fn clear(users: &mut Users, plan: Option<&Plan>, username: &str) {
    users
        .picks
        .retain(|(u, _)| !u.eq_ignore_ascii_case(username));
    users.rebuild(plan);
}

/// Takes an earlier run's picks when the map can be made with them, and says what happened.
/// Either way the map is matched again, once when the picks fit.
pub(super) fn restore(users: &mut Users, plan: Option<&Plan>, saved: SavedPicks) -> Option<String> {
    let shown = saved.path.display();
    let said = match saved.picks {
        Ok(picks) if picks.is_empty() => None,
        Ok(picks) => {
            users.picks = picks;
            users.rebuild(plan);
            return match &users.map {
                Some(Ok(_)) => Some(format!(
                    "{} restored from {shown}, as an earlier run wrote them (x undoes one)",
                    match users.picks.len() {
                        1 => "1 pick".to_string(),
                        n => format!("{n} picks"),
                    }
                )),
                Some(Err(e)) => {
                    let said =
                        format!("The picks in {shown} were not restored: they no longer fit ({e})");
                    users.picks.clear();
                    users.rebuild(plan);
                    Some(said)
                }
                None => None,
            };
        }
        Err(e) => Some(format!("The earlier picks were not restored: {e}")),
    };
    users.rebuild(plan);
    said
}
