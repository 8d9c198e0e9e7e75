//! The wizard's bindings, per context: the form fields, each screen, the quit question, the help
//! and the too-small terminal. In text fields printable keys are the field's: only Enter, Tab,
//! PgUp/PgDn, F-keys, Esc and Ctrl combinations bind there.

use super::{Action, Binding, FORCE_QUIT, HELP, HELP_Q, bind, ch, ctrl, key};
use crossterm::event::KeyCode;

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

/// On every wizard screen: before help and quit, so a narrow footer drops it first.
const EXPLAIN_F3: Binding = bind(
    &[key(KeyCode::F(3))],
    Action::Explain,
    "explain an error",
    true,
);

pub(super) static TEXT_FIELD: &[Binding] = &[
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
    EXPLAIN_F3,
    HELP,
    QUIT_ESC,
    FORCE_QUIT,
];

pub(super) static CHOICE: &[Binding] = &[
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
    EXPLAIN_F3,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

pub(super) static TOGGLE: &[Binding] = &[
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
    EXPLAIN_F3,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

pub(super) static PAGE: &[Binding] = &[NEXT, BACK_PAGE, EXPLAIN_F3, HELP_Q, QUIT_Q, FORCE_QUIT];

pub(super) static DEPLOYMENT: &[Binding] = &[
    bind(
        &[key(KeyCode::Down), ch('j'), ch('d')],
        Action::ScrollDown,
        "scroll the findings",
        true,
    ),
    bind(
        &[key(KeyCode::Up), ch('k'), ch('u')],
        Action::ScrollUp,
        "scroll the findings up",
        false,
    ),
    NEXT,
    BACK_PAGE,
    FOCUS_NEXT,
    FOCUS_PREV,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

pub(super) static CHECKS: &[Binding] = &[
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
    bind(
        &[ch('e')],
        Action::ExplainCheck,
        "explain the failed check",
        true,
    ),
    EXPLAIN_F3,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

pub(super) static REVIEW: &[Binding] = &[
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
    EXPLAIN_F3,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

pub(super) static USERS: &[Binding] = &[
    bind(
        &[key(KeyCode::Up), ch('k')],
        Action::SelectPrev,
        "previous user",
        false,
    ),
    bind(
        &[key(KeyCode::Down), ch('j')],
        Action::SelectNext,
        "next user",
        false,
    ),
    bind(&[ch('p')], Action::PickPerson, "pick person", true),
    bind(&[ch('x')], Action::ClearPick, "undo pick", false),
    bind(&[ch('/')], Action::Filter, "filter", true),
    bind(&[ch('o')], Action::SortByState, "sort by state", true),
    bind(
        &[ch('d')],
        Action::NextDeployment,
        "deployment shape for the commands",
        false,
    ),
    bind(
        &[key(KeyCode::Tab)],
        Action::FocusNext,
        "the export and persons files",
        false,
    ),
    bind(&[ch('r')], Action::Refresh, "read the files again", false),
    NEXT,
    BACK_PAGE,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

pub(super) static USERS_INPUT: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Confirm, "read / done", true),
    bind(&[key(KeyCode::Tab)], Action::FocusNext, "next box", true),
    bind(
        &[key(KeyCode::BackTab)],
        Action::FocusPrev,
        "previous box",
        false,
    ),
    bind(&[key(KeyCode::Esc)], Action::Cancel, "to the table", true),
    bind(&[key(KeyCode::PageDown)], Action::Next, "next step", false),
    BACK,
    HELP,
    FORCE_QUIT,
];

/// Typing narrows the persons, so only keys that type nothing bind here.
pub(super) static USERS_PICKER: &[Binding] = &[
    bind(
        &[key(KeyCode::Up)],
        Action::SelectPrev,
        "previous person",
        false,
    ),
    bind(
        &[key(KeyCode::Down)],
        Action::SelectNext,
        "next person",
        true,
    ),
    bind(&[key(KeyCode::Enter)], Action::Confirm, "pick", true),
    bind(&[key(KeyCode::Esc)], Action::Cancel, "cancel", true),
    HELP,
    FORCE_QUIT,
];

pub(super) static WRITE: &[Binding] = &[
    bind(
        &[key(KeyCode::Left), key(KeyCode::Right), key(KeyCode::Tab)],
        Action::Toggle,
        "switch Yes/No",
        true,
    ),
    bind(&[key(KeyCode::Enter)], Action::Confirm, "confirm", true),
    BACK_PAGE,
    EXPLAIN_F3,
    HELP_Q,
    QUIT_Q,
    FORCE_QUIT,
];

pub(super) static DONE: &[Binding] = &[
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
    bind(
        &[ch('u')],
        Action::UserCommands,
        "user migration commands",
        false,
    ),
    bind(&[ch('s')], Action::SavePlan, "save plan", true),
    bind(
        &[key(KeyCode::Enter), key(KeyCode::Esc), ch('q')],
        Action::Quit,
        "quit",
        true,
    ),
    EXPLAIN_F3,
    HELP_Q,
    FORCE_QUIT,
];

pub(super) static QUIT_MODAL: &[Binding] = &[
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

pub(super) static HELP_TABLE: &[Binding] = &[
    bind(
        &[key(KeyCode::Esc), key(KeyCode::F(1)), ch('?'), ch('q')],
        Action::Cancel,
        "close help",
        true,
    ),
    FORCE_QUIT,
];

pub(super) static TOO_SMALL: &[Binding] = &[
    bind(&[key(KeyCode::Esc), ch('q')], Action::Quit, "quit", true),
    FORCE_QUIT,
];

pub(super) static EXPLAIN_BOX: &[Binding] = &[
    bind(&[key(KeyCode::Esc)], Action::Cancel, "close", true),
    bind(
        &[key(KeyCode::PageUp)],
        Action::ScrollUp,
        "scroll the explanation up",
        true,
    ),
    bind(
        &[key(KeyCode::PageDown)],
        Action::ScrollDown,
        "scroll the explanation",
        true,
    ),
    bind(&[ctrl('u')], Action::Clear, "clear the text", true),
    FORCE_QUIT,
];
