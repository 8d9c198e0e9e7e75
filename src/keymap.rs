//! The keymap as data: every binding is keys + action + label + footer flag. The footer line and the
//! F1 help overlay are both generated from these tables, and `KeyCode` matching lives only here (and
//! in the text-field adapter, which hands unbound keys to tui-input).

mod inspect;
mod wizard;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key means, independent of which key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Next,
    Back,
    FocusNext,
    FocusPrev,
    ChoicePrev,
    ChoiceNext,
    Toggle,
    Help,
    Quit,
    ForceQuit,
    Rerun,
    SelectPrev,
    SelectNext,
    ScrollUp,
    ScrollDown,
    /// Sideways through long diff lines (Review).
    ScrollLeft,
    ScrollRight,
    JumpToMissing,
    Confirm,
    Cancel,
    SaveAndQuit,
    DiscardAndQuit,
    Copy,
    SavePlan,
    UseDetected,
    /// Open the inspect view of the plan's Kanidm client (wizard).
    Inspect,
    /// Read the inspect view's source again.
    Refresh,
    /// Copy every converge command of the selected client.
    CopyAll,
    /// Back to the client list and its filter.
    FocusList,
    PagePrev,
    PageNext,
    /// Open the explain box: paste an error, read its cause and fix (every wizard screen).
    Explain,
    /// Open the catalogue entry of the selected failed check (Checks).
    ExplainCheck,
    /// Empty the explain box's text.
    Clear,
    /// Users: type into the table's filter.
    Filter,
    /// Users: sort the table by state (again: back to NetBox's order).
    SortByState,
    /// Users: pick the Kanidm person for the selected user.
    PickPerson,
    /// Users: drop the selected user's pick (matching decides again).
    ClearPick,
    /// Users: the next deployment shape and service manager for the commands.
    NextDeployment,
    /// Done: show or hide the user migration's commands.
    UserCommands,
}

/// One key with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

impl Key {
    /// Whether a key event is this key. Shift is ignored for characters (`?` arrives with SHIFT).
    pub fn matches(&self, event: &KeyEvent) -> bool {
        if event.code != self.code {
            return false;
        }
        let mods = match event.code {
            KeyCode::Char(_) | KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        let want = match self.code {
            KeyCode::Char(_) | KeyCode::BackTab => self.mods - KeyModifiers::SHIFT,
            _ => self.mods,
        };
        mods == want
    }

    /// How the key is written in the footer and the help.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "S-Tab".to_string(),
            KeyCode::Backspace => "Bksp".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("^{}", base.to_uppercase())
        } else {
            base
        }
    }
}

/// A key binding: keys, what they do, how the help names it, and whether the footer shows it.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub label: &'static str,
    pub footer: bool,
}

const fn bind(keys: &'static [Key], action: Action, label: &'static str, footer: bool) -> Binding {
    Binding {
        keys,
        action,
        label,
        footer,
    }
}

impl Binding {
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Where the keys are pressed: decides which tables apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A text field has focus: printable keys belong to the field.
    TextField,
    /// A choice list (radio buttons) has focus.
    Choice,
    /// An on/off toggle has focus.
    Toggle,
    /// A screen with nothing to edit (Welcome without a saved plan).
    Page,
    /// The Source screen's panel of what was found in NetBox's configuration.
    Deployment,
    Checks,
    Review,
    Write,
    /// The Users table.
    Users,
    /// A text box of the Users screen (the export, the persons file, the filter).
    UsersInput,
    /// The Users screen's list of Kanidm persons to pick from.
    UsersPicker,
    Done,
    QuitModal,
    Help,
    TooSmall,
    /// The explain box, on top of any wizard screen: printable keys type into it.
    ExplainBox,
    /// The inspect view's client list (on its own, `nbsso inspect`, or inside the wizard:
    /// `embedded`, where quitting goes back to the wizard).
    InspectList {
        embedded: bool,
    },
    /// The inspect view's drift rows and attributes of the selected client.
    InspectDrift {
        embedded: bool,
    },
    /// The inspect view's converge and undo commands of the selected drift row.
    InspectCommands {
        embedded: bool,
    },
    /// The inspect view without a list to work on (reading, empty, refused, unreachable).
    InspectStatus {
        embedded: bool,
    },
}

impl Context {
    /// Whether the keys are the inspect view's.
    pub fn is_inspect(self) -> bool {
        matches!(
            self,
            Self::InspectList { .. }
                | Self::InspectDrift { .. }
                | Self::InspectCommands { .. }
                | Self::InspectStatus { .. }
        )
    }
}

const HELP: Binding = bind(&[key(KeyCode::F(1))], Action::Help, "help", true);
const HELP_Q: Binding = bind(&[key(KeyCode::F(1)), ch('?')], Action::Help, "help", true);
const FORCE_QUIT: Binding = bind(&[ctrl('c')], Action::ForceQuit, "quit now", false);
/// The bindings that apply in a context, in help order.
pub fn bindings(ctx: Context) -> &'static [Binding] {
    match ctx {
        Context::TextField => wizard::TEXT_FIELD,
        Context::Choice => wizard::CHOICE,
        Context::Toggle => wizard::TOGGLE,
        Context::Page => wizard::PAGE,
        Context::Deployment => wizard::DEPLOYMENT,
        Context::Checks => wizard::CHECKS,
        Context::Review => wizard::REVIEW,
        Context::Write => wizard::WRITE,
        Context::Users => wizard::USERS,
        Context::UsersInput => wizard::USERS_INPUT,
        Context::UsersPicker => wizard::USERS_PICKER,
        Context::Done => wizard::DONE,
        Context::QuitModal => wizard::QUIT_MODAL,
        Context::Help => wizard::HELP_TABLE,
        Context::TooSmall => wizard::TOO_SMALL,
        Context::ExplainBox => wizard::EXPLAIN_BOX,
        Context::InspectList { embedded: false } => inspect::LIST,
        Context::InspectList { embedded: true } => inspect::LIST_EMBEDDED,
        Context::InspectDrift { embedded: false } => inspect::DRIFT,
        Context::InspectDrift { embedded: true } => inspect::DRIFT_EMBEDDED,
        Context::InspectCommands { embedded: false } => inspect::COMMANDS,
        Context::InspectCommands { embedded: true } => inspect::COMMANDS_EMBEDDED,
        Context::InspectStatus { embedded: false } => inspect::STATUS,
        Context::InspectStatus { embedded: true } => inspect::STATUS_EMBEDDED,
    }
}

/// The action bound to a key in a context, if any. Unbound keys in a text field go to the field.
pub fn resolve(ctx: Context, event: &KeyEvent) -> Option<Action> {
    bindings(ctx)
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// The footer's entries: `(first key, label)` for every binding marked for the footer. The help
/// lists every key of a binding; the footer only the first, to keep to one line.
pub fn footer(ctx: Context) -> Vec<(String, &'static str)> {
    bindings(ctx)
        .iter()
        .filter(|b| b.footer)
        .map(|b| (b.keys.first().map(Key::label).unwrap_or_default(), b.label))
        .collect()
}

/// Every binding of a context, for the help overlay: `(keys, label)`.
pub fn help(ctx: Context) -> Vec<(String, &'static str)> {
    bindings(ctx)
        .iter()
        .map(|b| (b.keys_label(), b.label))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn printable_keys_never_bind_in_text_fields() {
        for c in ['q', '?', 'r', 'j', 'k', ' ', 's', 'd'] {
            assert_eq!(
                resolve(
                    Context::TextField,
                    &ev(KeyCode::Char(c), KeyModifiers::NONE)
                ),
                None,
                "{c}"
            );
        }
        assert_eq!(
            resolve(
                Context::TextField,
                &ev(KeyCode::Char('?'), KeyModifiers::SHIFT)
            ),
            None
        );
    }

    #[test]
    fn help_is_f1_everywhere_and_question_mark_outside_fields() {
        for ctx in [
            Context::TextField,
            Context::Choice,
            Context::Toggle,
            Context::Page,
            Context::Checks,
            Context::Review,
            Context::Write,
            Context::Done,
        ] {
            assert_eq!(
                resolve(ctx, &ev(KeyCode::F(1), KeyModifiers::NONE)),
                Some(Action::Help),
                "{ctx:?}"
            );
        }
        assert_eq!(
            resolve(
                Context::Checks,
                &ev(KeyCode::Char('?'), KeyModifiers::SHIFT)
            ),
            Some(Action::Help)
        );
    }

    #[test]
    fn f3_explains_on_every_wizard_screen_and_the_box_takes_printable_keys() {
        for ctx in [
            Context::TextField,
            Context::Choice,
            Context::Toggle,
            Context::Page,
            Context::Checks,
            Context::Review,
            Context::Write,
            Context::Done,
        ] {
            assert_eq!(
                resolve(ctx, &ev(KeyCode::F(3), KeyModifiers::NONE)),
                Some(Action::Explain),
                "{ctx:?}"
            );
        }
        for c in ['q', '?', 'e', 'r', ' ', 'j'] {
            assert_eq!(
                resolve(
                    Context::ExplainBox,
                    &ev(KeyCode::Char(c), KeyModifiers::NONE)
                ),
                None,
                "{c}"
            );
        }
        assert_eq!(
            resolve(Context::ExplainBox, &ev(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Cancel)
        );
    }

    #[test]
    fn tab_is_always_focus_in_forms() {
        for ctx in [Context::TextField, Context::Choice, Context::Toggle] {
            assert_eq!(
                resolve(ctx, &ev(KeyCode::Tab, KeyModifiers::NONE)),
                Some(Action::FocusNext)
            );
            assert_eq!(
                resolve(ctx, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
                Some(Action::FocusPrev)
            );
        }
    }

    const INSPECT: [Context; 6] = [
        Context::InspectList { embedded: false },
        Context::InspectList { embedded: true },
        Context::InspectDrift { embedded: false },
        Context::InspectDrift { embedded: true },
        Context::InspectCommands { embedded: false },
        Context::InspectCommands { embedded: true },
    ];

    #[test]
    fn printable_keys_type_into_the_inspect_filter() {
        for ctx in &INSPECT[..2] {
            for c in ['q', '?', 'r', 'c', 'y', 'a', 'j', 'k', '/', ' ', 'd', 'u'] {
                assert_eq!(
                    resolve(*ctx, &ev(KeyCode::Char(c), KeyModifiers::NONE)),
                    None,
                    "{c}"
                );
            }
        }
    }

    #[test]
    fn every_inspect_pane_has_help_refresh_quit_and_tab() {
        for ctx in INSPECT {
            for (code, action) in [
                (KeyCode::F(1), Action::Help),
                (KeyCode::F(5), Action::Refresh),
                (KeyCode::Tab, Action::FocusNext),
            ] {
                assert_eq!(
                    resolve(ctx, &ev(code, KeyModifiers::NONE)),
                    Some(action),
                    "{ctx:?} {code:?}"
                );
            }
            assert_eq!(
                resolve(ctx, &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
                Some(Action::ForceQuit)
            );
        }
    }

    #[test]
    fn without_a_list_the_inspect_view_offers_only_refresh_help_and_quit() {
        for embedded in [false, true] {
            let ctx = Context::InspectStatus { embedded };
            let labels: Vec<&str> = footer(ctx).into_iter().map(|(_, l)| l).collect();
            let quit = if embedded { "back to wizard" } else { "quit" };
            assert_eq!(labels, ["refresh", "help", quit]);
            for code in [KeyCode::Esc, KeyCode::Char('q')] {
                assert_eq!(
                    resolve(ctx, &ev(code, KeyModifiers::NONE)),
                    Some(Action::Quit)
                );
            }
            assert_eq!(
                resolve(ctx, &ev(KeyCode::F(5), KeyModifiers::NONE)),
                Some(Action::Refresh)
            );
        }
    }

    #[test]
    fn footer_is_a_subset_of_help() {
        for ctx in [Context::TextField, Context::Review, Context::Done]
            .into_iter()
            .chain(INSPECT)
        {
            let help = help(ctx);
            for (key, label) in footer(ctx) {
                assert!(
                    help.iter()
                        .any(|(keys, l)| *l == label && keys.split('/').next() == Some(&key)),
                    "{key} {label}"
                );
            }
        }
    }
}
