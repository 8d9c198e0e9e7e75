//! The Users step as questions, from the checks' menu: NetBox's saved export and Kanidm's persons
//! read by the Users screen's own loader, the map said as `nbsso users match` prints it (the users
//! that need a decision first, every user on request), and picks made by username and person
//! name. The state is the Users screen's, so the review adds the same `user-map.json`,
//! `migrate-users.py` and `user-overrides.csv` as the wizard.

use super::{Ended, Session};
use crate::accessible::prompt::{self, Reply};
use crate::app::screens::user_commands;
use crate::app::screens::users::{self, UsersFocus, picks};
use crate::keymap::Action;
use crate::plan::{Field, Plan};
use crate::quote::comment;
use crate::runtime::users_load;
use crate::users::{State, text};
use tui_input::Input;

/// The states that need a look before the move: the rest is linked, left alone or done.
const TO_DECIDE: [State; 3] = [State::Ambiguous, State::Unmatched, State::Stray];

impl Session<'_> {
    /// Matches NetBox's users to Kanidm persons; back to the checks' menu when done.
    pub(super) fn users_step(&mut self, plan: &Plan) -> Result<(), Ended> {
        let found = self.source.found().map(|f| (f.shape, f.base.clone()));
        users::enter(
            &mut self.users,
            Some(plan),
            found.as_ref().map(|(shape, base)| (*shape, base.as_path())),
        );
        self.say(
            "\nUsers: every NetBox user keeps their own account\n\
             Run migrate-users.py inside NetBox with NBSSO_USERS_ACTION=export first and save its \
             output; nbsso matches it with Kanidm's persons. An empty export goes back to the \
             checks' menu; an empty person list reads the persons live with the plan's admin \
             login.\n\n",
        );
        if self.users.loaded.is_none() && !self.read_users(plan)? {
            return Ok(());
        }
        self.say_map(false);
        let options: Vec<String> = [
            "done: the map goes into the review",
            "pick the Kanidm person for a user (or leave them unlinked)",
            "undo a pick",
            "list every user",
            "read the export and the persons again",
        ]
        .map(String::from)
        .to_vec();
        loop {
            let line = self.ask(&prompt::menu("Users: what next?", &options, 0))?;
            match prompt::pick(&line, options.len(), 0) {
                Ok(None | Some(0)) => return Ok(()),
                Ok(Some(1)) => self.pick_person(plan)?,
                Ok(Some(2)) => self.undo_pick(plan)?,
                Ok(Some(3)) => self.say_map(true),
                Ok(Some(_)) => {
                    if self.read_users(plan)? {
                        self.say_map(false);
                    }
                }
                Err(message) => self.say(&format!("Not valid: {message}\n")),
            }
        }
    }

    /// Asks for the export and the persons and reads them as the Users screen does, until they
    /// read. False: the user went back.
    fn read_users(&mut self, plan: &Plan) -> Result<bool, Ended> {
        loop {
            let export = match self.users_path(Field::UsersExport)? {
                Some(export) if !export.is_empty() => export,
                _ => return Ok(false),
            };
            let Some(persons) = self.users_path(Field::UsersPersons)? else {
                continue;
            };
            self.users.export_path = Input::new(export);
            self.users.persons_path = Input::new(persons);
            self.users.focus = UsersFocus::Export;
            let turn = users::on_action(&mut self.users, Some(plan), Action::Confirm);
            let mut notice = None;
            for effect in turn.effects {
                if let Some((generation, result)) = users_load::perform(self.runtime, effect) {
                    notice = users::on_loaded(&mut self.users, Some(plan), generation, result);
                }
            }
            if let Some(e) = self.users.error.take() {
                self.say_line(&format!("Not read: {e}"));
                continue;
            }
            if let Some(notice) = notice {
                self.say_line(&notice);
            }
            return Ok(true);
        }
    }

    /// One of the inputs' paths, asked as the plan's field: Enter keeps what the plan holds, `-`
    /// empties it. `None`: the user went back.
    fn users_path(&mut self, field: Field) -> Result<Option<String>, Ended> {
        loop {
            let line = self.ask(&prompt::question(field, &self.answers))?;
            match prompt::answer(&mut self.answers, field, &line) {
                Reply::Back => return Ok(None),
                Reply::Invalid(message) => self.say(&format!("Not valid: {message}\n")),
                Reply::Taken(_) => return Ok(Some(field.text(&self.answers.draft).trim().into())),
            }
        }
    }

    /// The map's summary and the users that need a decision (`every`: all of them).
    fn say_map(&mut self, every: bool) {
        let (Some(loaded), Some(map)) = (&self.users.loaded, &self.users.map) else {
            return;
        };
        let lines = match map {
            Err(e) => vec![format!("The users cannot be matched: {e}")],
            Ok(map) => {
                let mut lines = text::summary(map, &loaded.persons_from);
                // A user picked to stay unlinked is decided, though still unmatched.
                let decided = |username: &str| self.users.pick_of(username) == Some(&None);
                let shown: Vec<_> = map
                    .users
                    .iter()
                    .filter(|r| every || (TO_DECIDE.contains(&r.state) && !decided(&r.username)))
                    .collect();
                if !every && !shown.is_empty() {
                    lines.push(format!("{} user(s) to decide:", shown.len()));
                }
                lines.extend(text::rows(shown));
                lines
            }
        };
        self.say("\n");
        for line in lines {
            self.say_line(&line);
        }
        self.say("\n");
    }

    /// One line of text that came from NetBox, Kanidm or a file: control characters are shown
    /// as `?`, so no value can move the cursor or clear the screen.
    fn say_line(&mut self, line: &str) {
        self.say(&format!("{}\n", comment(line)));
    }

    /// A pick by username and person name.
    fn pick_person(&mut self, plan: &Plan) -> Result<(), Ended> {
        let Some(username) = self.ask_username()? else {
            return Ok(());
        };
        let candidates: Vec<String> = self
            .users
            .matched_map()
            .and_then(|m| m.users.iter().find(|r| r.username == username))
            .map(|r| r.candidates.iter().map(|p| p.name.clone()).collect())
            .unwrap_or_default();
        if !candidates.is_empty() {
            self.say_line(&format!("Persons that fit: {}", candidates.join(", ")));
        }
        let shown = comment(&username);
        let line = self.ask(&format!(
            "The Kanidm person for {shown} (its name), or - to leave {shown} unlinked: "
        ))?;
        let wanted = line.trim();
        if wanted.is_empty() || prompt::is_back(wanted) {
            return Ok(());
        }
        let person = if wanted == "-" {
            None
        } else {
            let known = self.users.loaded.as_ref().and_then(|l| {
                l.persons
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(wanted))
                    .map(|p| p.name.clone())
            });
            let Some(name) = known else {
                self.say_line(&format!("Kanidm has no person named {wanted}."));
                return Ok(());
            };
            Some(name)
        };
        let said = picks::set(&mut self.users, Some(plan), &username, person);
        self.say_line(&said);
        self.say_map(false);
        Ok(())
    }

    fn undo_pick(&mut self, plan: &Plan) -> Result<(), Ended> {
        if self.users.picks.is_empty() {
            self.say("No pick to undo.\n");
            return Ok(());
        }
        let made: Vec<String> = self.users.picks.iter().map(|(u, _)| u.clone()).collect();
        self.say_line(&format!("Picks made for: {}", made.join(", ")));
        let Some(username) = self.ask_username()? else {
            return Ok(());
        };
        picks::clear(&mut self.users, Some(plan), &username);
        self.say_line(&format!("{username}: the pick is undone"));
        self.say_map(false);
        Ok(())
    }

    /// After the write, when users were matched: the user migration's commands, as Done lists
    /// them.
    pub(super) fn say_user_commands(&mut self) {
        if self.users.matched_map().is_none() {
            return;
        }
        self.say("The user migration, in order, where NetBox runs:\n");
        for entry in user_commands::entries(&self.users) {
            if let Some(heading) = entry.heading {
                self.say(&format!("{heading}\n"));
            }
            let command = entry.command;
            self.say(&format!("  {}:\n    {}\n", command.label, command.line));
        }
    }

    /// A NetBox username of the map, as NetBox spells it; `None`: back.
    fn ask_username(&mut self) -> Result<Option<String>, Ended> {
        loop {
            let line = self.ask("The NetBox user (their username; Enter goes back): ")?;
            let wanted = line.trim();
            if wanted.is_empty() || prompt::is_back(wanted) {
                return Ok(None);
            }
            let found = self.users.matched_map().and_then(|m| {
                m.users
                    .iter()
                    .find(|r| r.username.eq_ignore_ascii_case(wanted))
                    .map(|r| r.username.clone())
            });
            match found {
                Some(username) => return Ok(Some(username)),
                None => self.say_line(&format!("NetBox has no user named {wanted}.")),
            }
        }
    }
}
