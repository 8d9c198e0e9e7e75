//! Done's page of the user migration's commands, in the order to run them, for the deployment
//! shape and service manager chosen on the Users step: export, (match, when no map was made), the
//! map copied in, plan, apply, record, the restart, later the cleanup, and the rollback. `↑`/`↓`
//! select one, `c` copies it.

use super::Turn;
use super::users::Users;
use crate::app::effect::Effect;
use crate::generate::user_migration::{self, Command, MapPlace};
use crate::keymap::Action;
use crate::users::ServiceManager;

/// One command of the page, with the heading that comes before it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub heading: Option<&'static str>,
    pub command: Command,
}

fn restart_label(manager: ServiceManager) -> &'static str {
    match manager {
        ServiceManager::Systemd => "Restart NetBox (systemd) after its configuration changed",
        ServiceManager::Rcctl => "Restart NetBox (OpenBSD rcctl) after its configuration changed",
        ServiceManager::DockerCompose => {
            "Restart NetBox (docker compose) after its configuration changed"
        }
        ServiceManager::Kubectl => "Restart NetBox (kubectl) after its configuration changed",
    }
}

/// Every command, in order.
pub fn entries(users: &Users) -> Vec<Entry> {
    let (shape, manager) = users.shape();
    let entry = |heading, label, line| Entry {
        heading,
        command: Command { label, line },
    };
    let mut out = vec![entry(
        None,
        "Export NetBox's users (changes nothing)",
        user_migration::export_command(shape),
    )];
    let place = users.map_place().unwrap_or_else(|| {
        out.push(entry(
            None,
            "Match them (no user map yet; s saves the plan it reads)",
            format!(
                "nbsso users match --netbox {} --plan {} --deployment {shape}",
                user_migration::EXPORT_FILE,
                crate::plan::PLAN_FILE
            ),
        ));
        MapPlace::Embedded
    });
    out.extend(
        user_migration::apply_commands(shape, place)
            .into_iter()
            .map(|command| Entry {
                heading: None,
                command,
            }),
    );
    out.push(entry(
        None,
        restart_label(manager),
        manager.restart().to_string(),
    ));
    let later = [
        (
            "Later, once the old login is gone from the configuration:",
            user_migration::cleanup_commands(shape),
        ),
        (
            "To undo apply (only the links it created, and its renames):",
            user_migration::rollback_commands(shape),
        ),
    ];
    for (heading, commands) in later {
        for (i, command) in commands.into_iter().enumerate() {
            out.push(Entry {
                heading: (i == 0).then_some(heading),
                command,
            });
        }
    }
    out
}

/// Done's keys while the commands are shown (and `u`, which shows or hides them); `None` leaves
/// the key to the Done screen.
pub fn on_action(users: &mut Users, action: Action) -> Option<Turn> {
    match action {
        Action::UserCommands => {
            users.commands_shown = !users.commands_shown;
            users.commands_selected = 0;
        }
        Action::SelectNext | Action::SelectPrev if users.commands_shown => {
            let down = action == Action::SelectNext;
            let len = entries(users).len();
            users.commands_selected = super::moved(users.commands_selected, len, down);
        }
        Action::Copy if users.commands_shown => {
            let entry = entries(users).into_iter().nth(users.commands_selected)?;
            return Some(Turn {
                effects: vec![Effect::Copy(entry.command.line)],
                notice: Some(format!(
                    "Copied the command \"{}\" through OSC 52 (if your terminal allows it)",
                    entry.command.label
                )),
                ..Turn::default()
            });
        }
        _ => return None,
    }
    Some(Turn::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_map_the_commands_say_to_match_first() {
        let users = Users {
            shape: 5,
            ..Users::default()
        };
        let labels: Vec<&str> = entries(&users).iter().map(|e| e.command.label).collect();
        assert_eq!(
            labels,
            [
                "Export NetBox's users (changes nothing)",
                "Match them (no user map yet; s saves the plan it reads)",
                "Plan",
                "Apply",
                "Record",
                "Restart NetBox (kubectl) after its configuration changed",
                "Cleanup (dry)",
                "Cleanup",
                "Rollback (dry)",
                "Rollback",
            ]
        );
        let lines: Vec<String> = entries(&users)
            .into_iter()
            .map(|e| e.command.line)
            .collect();
        assert_eq!(
            lines[1],
            "nbsso users match --netbox nbsso-export.txt --plan nbsso-plan.toml --deployment kubernetes"
        );
        assert!(
            lines[0].starts_with("kubectl exec -i deploy/netbox -- env NBSSO_USERS_ACTION=export")
        );
    }
}
