//! The inspect view's bindings, per pane, on its own and inside the wizard (where quitting goes
//! back to the wizard). In the list, printable keys are the filter's: only Enter, Tab, arrows,
//! F-keys, Esc and Ctrl combinations bind there.

use super::{Action, Binding, FORCE_QUIT, HELP, HELP_Q, bind, ch, ctrl, key};
use crossterm::event::KeyCode;

const INSPECT_REFRESH: Binding = bind(
    &[ch('r'), key(KeyCode::F(5))],
    Action::Refresh,
    "refresh",
    true,
);
const INSPECT_COPY_ALL: Binding = bind(
    &[ch('a')],
    Action::CopyAll,
    "copy every converge command of the client",
    false,
);
const INSPECT_SCROLL_UP: Binding = bind(
    &[ch('u'), key(KeyCode::PageUp)],
    Action::ScrollUp,
    "scroll the details up",
    false,
);
const INSPECT_SCROLL_DOWN: Binding = bind(
    &[ch('d'), key(KeyCode::PageDown)],
    Action::ScrollDown,
    "scroll the details",
    false,
);
const INSPECT_FILTER: Binding = bind(
    &[ch('/')],
    Action::FocusList,
    "back to the list and its filter",
    false,
);
const INSPECT_TO_LIST: Binding = bind(
    &[key(KeyCode::Esc)],
    Action::Cancel,
    "back to the list",
    false,
);
/// The explain box over the view, as on every wizard screen; listed in help, not the footer.
const INSPECT_EXPLAIN: Binding = bind(
    &[key(KeyCode::F(3))],
    Action::Explain,
    "explain an error you paste",
    false,
);
const INSPECT_QUIT: Binding = bind(&[ch('q')], Action::Quit, "quit", true);
const INSPECT_STATUS_QUIT: Binding =
    bind(&[ch('q'), key(KeyCode::Esc)], Action::Quit, "quit", true);
const INSPECT_STATUS_BACK: Binding = bind(
    &[ch('q'), key(KeyCode::Esc)],
    Action::Quit,
    "back to wizard",
    true,
);
const INSPECT_BACK: Binding = bind(&[ch('q')], Action::Quit, "back to wizard", true);

macro_rules! inspect_list {
    ($esc_label:expr) => {
        &[
            bind(
                &[key(KeyCode::Up), ctrl('p')],
                Action::SelectPrev,
                "previous client",
                false,
            ),
            bind(
                &[key(KeyCode::Down), ctrl('n')],
                Action::SelectNext,
                "select",
                true,
            ),
            bind(&[key(KeyCode::PageUp)], Action::PagePrev, "page up", false),
            bind(
                &[key(KeyCode::PageDown)],
                Action::PageNext,
                "page down",
                false,
            ),
            bind(&[key(KeyCode::Enter)], Action::Next, "details", true),
            bind(
                &[key(KeyCode::Tab)],
                Action::FocusNext,
                "to the drift rows",
                false,
            ),
            bind(
                &[key(KeyCode::BackTab)],
                Action::FocusPrev,
                "to the commands",
                false,
            ),
            bind(&[key(KeyCode::F(5))], Action::Refresh, "refresh", true),
            INSPECT_EXPLAIN,
            HELP,
            bind(&[key(KeyCode::Esc)], Action::Cancel, $esc_label, true),
            FORCE_QUIT,
        ]
    };
}

macro_rules! inspect_pane {
    ($select:expr, $copy:expr, $next:expr, $prev:expr, $quit:expr) => {
        &[
            bind(
                &[key(KeyCode::Up), ch('k')],
                Action::SelectPrev,
                "select above",
                false,
            ),
            bind(
                &[key(KeyCode::Down), ch('j')],
                Action::SelectNext,
                $select,
                true,
            ),
            bind(&[ch('c'), ch('y')], Action::Copy, $copy, true),
            INSPECT_COPY_ALL,
            bind(&[key(KeyCode::Tab)], Action::FocusNext, $next, true),
            bind(&[key(KeyCode::BackTab)], Action::FocusPrev, $prev, false),
            INSPECT_SCROLL_DOWN,
            INSPECT_SCROLL_UP,
            INSPECT_FILTER,
            INSPECT_TO_LIST,
            INSPECT_REFRESH,
            INSPECT_EXPLAIN,
            HELP_Q,
            $quit,
            FORCE_QUIT,
        ]
    };
}

pub(super) static LIST: &[Binding] = inspect_list!("clear filter / quit");
pub(super) static LIST_EMBEDDED: &[Binding] = inspect_list!("clear filter / back");
pub(super) static DRIFT: &[Binding] = inspect_pane!(
    "select",
    "copy commands",
    "to commands",
    "to the list",
    INSPECT_QUIT
);
pub(super) static DRIFT_EMBEDDED: &[Binding] = inspect_pane!(
    "select",
    "copy commands",
    "to commands",
    "to the list",
    INSPECT_BACK
);
pub(super) static COMMANDS: &[Binding] = inspect_pane!(
    "select",
    "copy command",
    "to the list",
    "to drift rows",
    INSPECT_QUIT
);
pub(super) static COMMANDS_EMBEDDED: &[Binding] = inspect_pane!(
    "select",
    "copy command",
    "to the list",
    "to drift rows",
    INSPECT_BACK
);

/// While there is no list to select from (reading, empty, refused, unreachable).
pub(super) static STATUS: &[Binding] = &[
    INSPECT_REFRESH,
    INSPECT_EXPLAIN,
    HELP_Q,
    INSPECT_STATUS_QUIT,
    FORCE_QUIT,
];
pub(super) static STATUS_EMBEDDED: &[Binding] = &[
    INSPECT_REFRESH,
    INSPECT_EXPLAIN,
    HELP_Q,
    INSPECT_STATUS_BACK,
    FORCE_QUIT,
];
