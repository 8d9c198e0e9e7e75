//! Done: what was written and backed up, the next commands in order, and values to copy.

use super::form::Answers;
use super::{Turn, moved};
use crate::app::effect::Effect;
use crate::deploy::apply::Applied;
use crate::generate::writer::WrittenFile;
use crate::keymap::Action;
use crate::plan::Plan;

/// The Done screen's state.
#[derive(Debug, Clone, Default)]
pub struct Done {
    pub written: Option<Vec<WrittenFile>>,
    /// The files of NetBox's configuration that were patched, when the plan named it.
    pub patched: Option<Applied>,
    /// The selected value to copy.
    pub selected: usize,
}

/// A value the Done screen offers to copy: what it is, the value, and the file that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copyable {
    pub label: &'static str,
    pub value: String,
    pub file: &'static str,
}

/// Values to copy. Never the secret.
pub fn copyable(plan: Option<&Plan>) -> Vec<Copyable> {
    let Some(plan) = plan else {
        return Vec::new();
    };
    let value = |label, value, file| Copyable { label, value, file };
    vec![
        value("Issuer", plan.issuer(), "netbox-sso.py"),
        value("Redirect URL", plan.redirect_url(), "kanidm-setup.sh"),
        value("Client name", plan.kanidm.client.clone(), "kanidm-setup.sh"),
        value("Group", plan.kanidm.group.clone(), "kanidm-setup.sh"),
    ]
}

pub fn on_action(done: &mut Done, answers: &Answers, action: Action) -> Turn {
    let values = copyable(answers.plan.as_deref());
    match action {
        Action::SelectPrev | Action::SelectNext => {
            let down = action == Action::SelectNext;
            done.selected = moved(done.selected, values.len(), down);
            Turn::default()
        }
        Action::Copy => match values.get(done.selected) {
            Some(c) => Turn {
                effects: vec![Effect::Copy(c.value.clone())],
                notice: Some(format!(
                    "Copied the {} through OSC 52 (if your terminal allows it); it is also in {}",
                    c.label,
                    answers.output_dir().join(c.file).display()
                )),
                ..Turn::default()
            },
            None => Turn::default(),
        },
        _ => Turn::default(),
    }
}
