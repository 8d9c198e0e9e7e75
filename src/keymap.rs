//! The keymap as data: every binding is keys + action + label + footer flag. The footer line and the
//! F1 help overlay are both generated from these tables, and `KeyCode` matching lives only here (and
//! in the text-field adapter, which hands unbound keys to tui-input).

mod inspect;

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
}

/// The inspect view's panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectPane {
    /// The client list; printable keys type into its filter.
    List,
    /// The selected client's drift rows and attributes.
    Drift,
    /// The converge and undo commands of the selected drift row.
    Commands,
    /// No client list to work on (reading, empty, refused, unreachable): only refresh, help and quit.
    Status,
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
    Checks,
    Review,
    Write,
    Done,
    QuitModal,
    Help,
    TooSmall,
    /// The inspect view, on its own (`nbsso inspect`) or inside the wizard (`embedded`).
    Inspect {
        pane: InspectPane,
        embedded: bool,
    },
}

const HELP: Binding = bind(&[key(KeyCode::F(1))], Action::Help, "help", true);
const HELP_Q: Binding = bind(&[key(KeyCode::F(1)), ch('?')], Action::Help, "help", true);
const FORCE_QUIT: Binding = bind(&[ctrl('c')], Action::ForceQuit, "quit now", false);
const QUIT_ESC: Binding = bind(&[key(KeyCode::Esc)], Action::Quit, "quit", true);
const QUIT_Q: Binding = bind(&[key(KeyCode::Esc), ch('q')], Action::Quit, "quit", true);
const NEXT: Binding = bind(
    &[key(KeyCode::Enter), key(KeyCode::PageDown)],
    Action::Next,
    "next step",
    true,
);
const BACK: Binding = bind(&[key(KeyCode::PageUp)], Action::Back, "back", true);
const BACK_PAGE: Binding = bind(
    &[key(KeyCode::PageUp), key(KeyCode::Backspace)],
    Action::Back,
    "back",
    true,
);
const FOCUS_NEXT: Binding = bind(&[key(KeyCode::Tab)], Action::FocusNext, "next field", true);
const FOCUS_PREV: Binding = bind(
    &[key(KeyCode::BackTab)],
    Action::FocusPrev,
    "previous field",
    false,
);

const INSPECT_F4: Binding = bind(
    &[key(KeyCode::F(4))],
    Action::Inspect,
    "inspect the plan's Kanidm client (read-only)",
    false,
);

static TEXT_FIELD: &[Binding] = &[
    NEXT,
    BACK,
    FOCUS_NEXT,
    FOCUS_PREV,
    bind(
        &[key(KeyCode::F(2))],
        Action::UseDetected,
        "version fields: use the release the server shows",
        false,
    ),
    INSPECT_F4,
    HELP,
    QUIT_ESC,
    FORCE_QUIT,
];

static CHOICE: &[Binding] = &[
    bind(
        &[key(KeyCode::Up), ch('k')],
        Action::ChoicePrev,
        "choose above",
        false,
    ),
    bind(
        &[key(KeyCode::Down), ch('j')],
        Action::ChoiceNext,
        "choose below",
        true,
    ),
    NEXT,
    BACK_PAGE,
    FOCUS_NEXT,
    FOCUS_PREV,
    INSPECT_F4,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

static TOGGLE: &[Binding] = &[
    bind(&[ch(' ')], Action::Toggle, "switch on/off", true),
    bind(
        &[key(KeyCode::Down)],
        Action::FocusNext,
        "next field",
        false,
    ),
    bind(
        &[key(KeyCode::Up)],
        Action::FocusPrev,
        "previous field",
        false,
    ),
    NEXT,
    BACK_PAGE,
    FOCUS_NEXT,
    FOCUS_PREV,
    INSPECT_F4,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

static PAGE: &[Binding] = &[NEXT, BACK_PAGE, HELP_Q, QUIT_Q, FORCE_QUIT];

static CHECKS: &[Binding] = &[
    bind(
        &[key(KeyCode::Up), ch('k')],
        Action::SelectPrev,
        "previous check",
        false,
    ),
    bind(
        &[key(KeyCode::Down), ch('j')],
        Action::SelectNext,
        "select check",
        false,
    ),
    bind(&[ch('r')], Action::Rerun, "rerun checks", true),
    bind(&[ch('d')], Action::ScrollDown, "scroll the details", false),
    bind(&[ch('u')], Action::ScrollUp, "scroll the details up", false),
    NEXT,
    BACK_PAGE,
    bind(
        &[ch('i'), key(KeyCode::F(4))],
        Action::Inspect,
        "inspect",
        true,
    ),
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

static REVIEW: &[Binding] = &[
    bind(
        &[key(KeyCode::Up), ch('k')],
        Action::SelectPrev,
        "previous file",
        false,
    ),
    bind(
        &[key(KeyCode::Down), ch('j')],
        Action::SelectNext,
        "select file",
        false,
    ),
    bind(&[ch('u')], Action::ScrollUp, "scroll diff up", false),
    bind(&[ch('d')], Action::ScrollDown, "scroll diff", true),
    bind(
        &[key(KeyCode::Left), ch('h')],
        Action::ScrollLeft,
        "scroll diff left",
        false,
    ),
    bind(
        &[key(KeyCode::Right), ch('l')],
        Action::ScrollRight,
        "scroll diff right (long lines)",
        false,
    ),
    bind(&[ch('m')], Action::JumpToMissing, "go to missing", true),
    bind(&[ch('s')], Action::SavePlan, "save plan", false),
    bind(&[key(KeyCode::Enter)], Action::Next, "write…", true),
    BACK_PAGE,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

static WRITE: &[Binding] = &[
    bind(
        &[key(KeyCode::Left), key(KeyCode::Right), key(KeyCode::Tab)],
        Action::Toggle,
        "switch Yes/No",
        true,
    ),
    bind(&[key(KeyCode::Enter)], Action::Confirm, "confirm", true),
    BACK_PAGE,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

static DONE: &[Binding] = &[
    bind(
        &[key(KeyCode::Up), ch('k')],
        Action::SelectPrev,
        "previous value",
        false,
    ),
    bind(
        &[key(KeyCode::Down), ch('j')],
        Action::SelectNext,
        "select value",
        true,
    ),
    bind(&[ch('c')], Action::Copy, "copy value", true),
    bind(&[ch('s')], Action::SavePlan, "save plan", true),
    bind(
        &[key(KeyCode::Enter), key(KeyCode::Esc), ch('q')],
        Action::Quit,
        "quit",
        true,
    ),
    HELP_Q,
    FORCE_QUIT,
];

static QUIT_MODAL: &[Binding] = &[
    bind(&[ch('s')], Action::SaveAndQuit, "save plan and quit", true),
    bind(
        &[ch('d')],
        Action::DiscardAndQuit,
        "quit without saving",
        true,
    ),
    bind(
        &[key(KeyCode::Esc), ch('n'), key(KeyCode::Enter)],
        Action::Cancel,
        "stay",
        true,
    ),
    bind(&[ctrl('c')], Action::DiscardAndQuit, "quit now", false),
];

static HELP_TABLE: &[Binding] = &[
    bind(
        &[key(KeyCode::Esc), key(KeyCode::F(1)), ch('?'), ch('q')],
        Action::Cancel,
        "close help",
        true,
    ),
    FORCE_QUIT,
];

static TOO_SMALL: &[Binding] = &[
    bind(&[key(KeyCode::Esc), ch('q')], Action::Quit, "quit", true),
    FORCE_QUIT,
];

/// The bindings that apply in a context, in help order.
pub fn bindings(ctx: Context) -> &'static [Binding] {
    match ctx {
        Context::TextField => TEXT_FIELD,
        Context::Choice => CHOICE,
        Context::Toggle => TOGGLE,
        Context::Page => PAGE,
        Context::Checks => CHECKS,
        Context::Review => REVIEW,
        Context::Write => WRITE,
        Context::Done => DONE,
        Context::QuitModal => QUIT_MODAL,
        Context::Help => HELP_TABLE,
        Context::TooSmall => TOO_SMALL,
        Context::Inspect { pane, embedded } => match (pane, embedded) {
            (InspectPane::List, false) => inspect::LIST,
            (InspectPane::List, true) => inspect::LIST_EMBEDDED,
            (InspectPane::Drift, false) => inspect::DRIFT,
            (InspectPane::Drift, true) => inspect::DRIFT_EMBEDDED,
            (InspectPane::Commands, false) => inspect::COMMANDS,
            (InspectPane::Commands, true) => inspect::COMMANDS_EMBEDDED,
            (InspectPane::Status, false) => inspect::STATUS,
            (InspectPane::Status, true) => inspect::STATUS_EMBEDDED,
        },
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
        Context::Inspect {
            pane: InspectPane::List,
            embedded: false,
        },
        Context::Inspect {
            pane: InspectPane::List,
            embedded: true,
        },
        Context::Inspect {
            pane: InspectPane::Drift,
            embedded: false,
        },
        Context::Inspect {
            pane: InspectPane::Drift,
            embedded: true,
        },
        Context::Inspect {
            pane: InspectPane::Commands,
            embedded: false,
        },
        Context::Inspect {
            pane: InspectPane::Commands,
            embedded: true,
        },
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
            let ctx = Context::Inspect {
                pane: InspectPane::Status,
                embedded,
            };
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
