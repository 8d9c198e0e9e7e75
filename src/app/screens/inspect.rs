//! The inspect view's state and its update: the list of Kanidm OAuth2 clients with a filter
//! typed as you go, the selected client's attributes and drift from the plan, the commands that
//! converge it, refresh and copy. Read-only: the only effects are reading the source again and
//! putting a command on the clipboard. The same screen runs on its own (`nbsso inspect`) and
//! inside the wizard.

use super::moved;
use crate::app::effect::Effect;
use crate::exit::Code;
use crate::inspect::{FailKind, LoadError, Loaded, Row, Source, WHO_CAN_SEE};
use crate::kanidm::{DriftItem, drift};
use crate::keymap::{Action, Context};
use crate::plan::Plan;
use crossterm::event::{Event, KeyEvent};
use std::sync::Arc;
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

/// The view's panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The client list; printable keys type into its filter.
    List,
    /// The selected client's drift rows and attributes.
    Drift,
    /// The converge and undo commands of the selected drift row.
    Commands,
}

/// Rows of the screen the commands pane takes at a terminal height.
pub fn commands_height(height: u16) -> u16 {
    (height.saturating_sub(4).saturating_mul(2) / 5).clamp(7, 10)
}

/// Columns of the screen the client list takes at a terminal width.
pub fn list_width(width: u16) -> u16 {
    (width.saturating_mul(2) / 5).clamp(30, 56)
}

/// How many list rows are visible at a terminal size (the selection is kept among them).
pub fn list_rows(size: (u16, u16)) -> usize {
    let (_, h) = size;
    usize::from(h.saturating_sub(4 + commands_height(h) + 2)).max(1)
}

/// The numbers of the reads of clients; each read gets a new one, so an answer that arrives after
/// a newer read started (or after the view it was for was closed) is dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reads(u64);

impl Reads {
    pub fn start(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// Where the clients are, as far as the view knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    Loading,
    Loaded,
    /// The source holds no client (or the account may not see any).
    Empty,
    NotAllowed(String),
    Unreachable(String),
    /// Missing settings, unreadable input.
    Error(String),
}

/// The messages the component handles besides keys.
#[derive(Debug, Clone)]
pub enum InspectMsg {
    Loaded {
        generation: u64,
        result: Result<Loaded, LoadError>,
    },
}

/// What the owner should do after a key: keep the view open (with effects to run) or close it.
#[derive(Debug)]
pub enum Reply {
    Stay(Vec<Effect>),
    Close,
}

pub struct Inspect {
    pub source: Source,
    pub plan: Option<Arc<Plan>>,
    /// The plan file's name, for the header.
    pub plan_label: Option<String>,
    /// The client to select first: named on the command line, or the plan's.
    pub wanted: Option<String>,
    /// Inside the wizard: closing returns to it.
    pub embedded: bool,
    pub load: Load,
    /// The newest read; older answers are dropped.
    pub generation: u64,
    /// Where the shown clients were read from.
    pub from: Option<String>,
    pub rows: Vec<Row>,
    pub filter: Input,
    /// Indices into `rows` that match the filter, in order.
    pub filtered: Vec<usize>,
    /// The selected row (an index into `rows`), if any matches.
    pub selected: Option<usize>,
    /// First visible position of the list.
    pub list_offset: usize,
    /// List rows visible at the current size (kept through [`Inspect::resize`]).
    pub list_rows: usize,
    pub pane: Pane,
    /// The selected client's drift, worked out when the selection changes (not per keystroke).
    pub drift: Vec<DriftItem>,
    pub drift_selected: usize,
    /// The selected command of the commands pane: converge commands first, then undo ones.
    pub command_selected: usize,
    /// First line shown in the details pane.
    pub detail_scroll: u16,
    /// One line of feedback (copied, refresh refused).
    pub notice: Option<String>,
}

impl Inspect {
    /// A view that still has to read `source` ([`Inspect::read`] returns the effect that does).
    pub fn new(
        source: Source,
        plan: Option<Arc<Plan>>,
        plan_label: Option<String>,
        wanted: Option<String>,
        embedded: bool,
    ) -> Self {
        let wanted = wanted.or_else(|| plan.as_ref().map(|p| p.kanidm.client.clone()));
        Self {
            source,
            plan,
            plan_label,
            wanted,
            embedded,
            load: Load::Loading,
            generation: 0,
            from: None,
            rows: Vec::new(),
            filter: Input::default(),
            filtered: Vec::new(),
            selected: None,
            list_offset: 0,
            list_rows: 10,
            pane: Pane::List,
            drift: Vec::new(),
            drift_selected: 0,
            command_selected: 0,
            detail_scroll: 0,
            notice: None,
        }
    }

    /// A new read of the source, as the effect that performs it.
    pub fn read(&mut self, reads: &mut Reads) -> Effect {
        self.generation = reads.start();
        Effect::LoadClients {
            generation: self.generation,
            source: self.source.clone(),
            plan: self.plan.clone(),
        }
    }

    /// The keymap context: the focused pane's keys, or only refresh, help and quit while there is
    /// no list to work on (reading, empty, refused, unreachable).
    pub fn context(&self) -> Context {
        let embedded = self.embedded;
        if self.load != Load::Loaded {
            return Context::InspectStatus { embedded };
        }
        match self.pane {
            Pane::List => Context::InspectList { embedded },
            Pane::Drift => Context::InspectDrift { embedded },
            Pane::Commands => Context::InspectCommands { embedded },
        }
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.selected.and_then(|i| self.rows.get(i))
    }

    /// The position of the selection in the filtered list.
    pub fn position(&self) -> Option<usize> {
        let selected = self.selected?;
        self.filtered.binary_search(&selected).ok()
    }

    pub fn selected_drift(&self) -> Option<&DriftItem> {
        self.drift.get(self.drift_selected)
    }

    /// The commands of the selected drift row: `("converge" | "undo", command)`.
    pub fn commands(&self) -> Vec<(&'static str, &str)> {
        let Some(item) = self.selected_drift() else {
            return Vec::new();
        };
        item.converge
            .iter()
            .map(|c| ("converge", c.as_str()))
            .chain(item.undo.iter().map(|c| ("undo", c.as_str())))
            .collect()
    }

    pub fn on_msg(&mut self, msg: InspectMsg) {
        match msg {
            InspectMsg::Loaded { generation, result } => self.loaded(generation, result),
        }
    }

    fn loaded(&mut self, generation: u64, result: Result<Loaded, LoadError>) {
        if generation != self.generation {
            return; // an older read finished after a newer one started
        }
        let previous = self.selected_row().map(|r| r.state.name.clone());
        let refreshed = self.load != Load::Loading;
        // Indices into the old rows mean nothing in the new ones.
        self.selected = None;
        match result {
            Ok(loaded) => {
                self.from = Some(loaded.from);
                self.rows = loaded.rows;
                self.load = if self.rows.is_empty() {
                    Load::Empty
                } else {
                    Load::Loaded
                };
            }
            Err(e) => {
                self.rows.clear();
                self.load = match e.kind {
                    FailKind::NotAllowed => Load::NotAllowed(e.message),
                    FailKind::Unreachable => Load::Unreachable(e.message),
                    FailKind::Invalid => Load::Error(e.message),
                };
            }
        }
        self.apply_filter();
        // Keep the selection across a refresh; the first time, select the wanted client.
        let name = previous.or_else(|| self.wanted.clone());
        if let Some(name) = name
            && let Some(i) = self.filtered.iter().copied().find(|&i| {
                self.rows
                    .get(i)
                    .is_some_and(|r| r.state.name.eq_ignore_ascii_case(&name))
            })
        {
            self.select(Some(i));
        }
        if self.rows.is_empty() {
            self.pane = Pane::List;
        }
        if !refreshed
            && self.load == Load::Loaded
            && let Some(wanted) = &self.wanted
            && !self
                .rows
                .iter()
                .any(|r| r.state.name.eq_ignore_ascii_case(wanted))
        {
            self.notice = Some(format!(
                "✗ missing: no OAuth2 client named {wanted} here; if it exists, {}",
                WHO_CAN_SEE
            ));
        }
        if refreshed {
            self.notice = Some(match (&self.load, &self.from) {
                (Load::Loaded | Load::Empty, Some(from)) => {
                    format!("Read {} client(s) again from {from}", self.rows.len())
                }
                _ => "Read again: see the message above".to_string(),
            });
        }
    }

    /// Recomputes the filtered list (cheap: one substring search per row), keeping the
    /// selection when it still matches.
    fn apply_filter(&mut self) {
        let needle = self.filter.value().trim().to_lowercase();
        self.filtered.clear();
        self.filtered.extend(
            self.rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.matches(&needle))
                .map(|(i, _)| i),
        );
        let keep = self
            .selected
            .filter(|s| self.filtered.binary_search(s).is_ok());
        match keep {
            Some(_) => self.scroll_to_selection(),
            None => self.select(self.filtered.first().copied()),
        }
    }

    /// Selects a row, working out its drift once.
    fn select(&mut self, row: Option<usize>) {
        if row != self.selected {
            self.selected = row;
            self.drift_selected = 0;
            self.command_selected = 0;
            self.detail_scroll = 0;
        }
        self.drift = match (&self.plan, self.selected_row()) {
            (Some(plan), Some(r)) => drift(&r.state, plan),
            _ => Vec::new(),
        };
        self.drift_selected = self.drift_selected.min(self.drift.len().saturating_sub(1));
        self.scroll_to_selection();
    }

    fn scroll_to_selection(&mut self) {
        let rows = self.list_rows.max(1);
        let Some(pos) = self.position() else {
            self.list_offset = 0;
            return;
        };
        if pos < self.list_offset {
            self.list_offset = pos;
        } else if pos >= self.list_offset + rows {
            self.list_offset = pos + 1 - rows;
        }
        let max = self.filtered.len().saturating_sub(rows);
        self.list_offset = self.list_offset.min(max);
    }

    /// The size changed: `list_rows` rows of the list are visible now.
    pub fn resize(&mut self, list_rows: usize) {
        self.list_rows = list_rows.max(1);
        self.scroll_to_selection();
    }

    fn move_selection(&mut self, delta: isize) {
        if self.filtered.is_empty() {
            return;
        }
        let pos = self.position().unwrap_or(0);
        let last = self.filtered.len() - 1;
        let next = pos.saturating_add_signed(delta).min(last);
        self.select(self.filtered.get(next).copied());
    }

    /// An unbound key in the list pane edits the filter.
    pub fn on_text_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.pane != Pane::List {
            return Vec::new();
        }
        if self
            .filter
            .handle_event(&Event::Key(key))
            .is_some_and(|changed| changed.value)
        {
            self.notice = None;
            self.apply_filter();
        }
        Vec::new()
    }

    /// Pasted text goes into the filter.
    pub fn on_paste(&mut self, text: &str) {
        if self.pane != Pane::List {
            return;
        }
        for c in text.chars().filter(|c| !c.is_control()) {
            self.filter.handle(InputRequest::InsertChar(c));
        }
        self.apply_filter();
    }

    pub fn on_action(&mut self, action: Action, reads: &mut Reads) -> Reply {
        self.notice = None;
        let page = isize::try_from(self.list_rows.max(1)).unwrap_or(1);
        let mut effects = Vec::new();
        match (self.pane, action) {
            (_, Action::Quit) => return Reply::Close,
            (Pane::List, Action::Cancel) => {
                if self.filter.value().is_empty() {
                    return Reply::Close;
                }
                self.filter.reset();
                self.apply_filter();
            }
            (_, Action::Cancel | Action::FocusList) => self.pane = Pane::List,
            (_, Action::Refresh) => {
                if self.source.rereadable() {
                    self.notice = Some(format!("Reading {} again…", self.source.label()));
                    effects.push(self.read(reads));
                } else {
                    self.notice = Some(
                        "Standard input cannot be read again: save the output to a file and use --from FILE to refresh."
                            .into(),
                    );
                }
            }
            (Pane::List, Action::SelectPrev) => self.move_selection(-1),
            (Pane::List, Action::SelectNext) => self.move_selection(1),
            (Pane::List, Action::PagePrev) => self.move_selection(-page),
            (Pane::List, Action::PageNext) => self.move_selection(page),
            (_, Action::FocusNext | Action::Next) => self.focus(true),
            (_, Action::FocusPrev) => self.focus(false),
            (Pane::Drift, Action::SelectPrev | Action::SelectNext) => {
                let len = self.drift.len();
                if len > 0 {
                    let down = action == Action::SelectNext;
                    self.drift_selected = moved(self.drift_selected, len, down);
                    self.command_selected = 0;
                    self.detail_scroll = 0;
                }
            }
            (Pane::Commands, Action::SelectPrev | Action::SelectNext) => {
                let down = action == Action::SelectNext;
                self.command_selected = moved(self.command_selected, self.commands().len(), down);
            }
            (_, Action::ScrollUp) => self.detail_scroll = self.detail_scroll.saturating_sub(3),
            (_, Action::ScrollDown) => {
                self.detail_scroll = self.detail_scroll.saturating_add(3).min(200);
            }
            (Pane::Drift, Action::Copy) => {
                effects.extend(self.copy_converge());
            }
            (Pane::Commands, Action::Copy) => {
                effects.extend(self.copy_command());
            }
            (_, Action::CopyAll) => effects.extend(self.copy_all()),
            _ => {}
        }
        Reply::Stay(effects)
    }

    fn focus(&mut self, forward: bool) {
        use Pane::{Commands, Drift, List};
        if self.selected.is_none() {
            self.pane = List;
            return;
        }
        self.pane = match (self.pane, forward) {
            (List, true) | (Commands, false) => Drift,
            (Drift, true) | (List, false) => Commands,
            (Commands, true) | (Drift, false) => List,
        };
    }

    fn nothing_to_copy(&mut self) -> Option<Effect> {
        self.notice = Some(match (&self.plan, self.selected_row()) {
            (None, _) => {
                "Nothing to copy: without a plan (--plan FILE) there is nothing to converge.".into()
            }
            (_, None) => "Nothing to copy: no client is selected.".into(),
            (Some(_), Some(r)) => format!("Nothing to copy: {} matches the plan.", r.state.name),
        });
        None
    }

    fn copied(&mut self, what: String, text: String) -> Option<Effect> {
        self.notice = Some(format!(
            "Copied {what} (OSC 52, if your terminal allows it)"
        ));
        Some(Effect::Copy(text))
    }

    /// The selected drift row's converge commands, one per line.
    fn copy_converge(&mut self) -> Option<Effect> {
        let Some(item) = self.selected_drift() else {
            return self.nothing_to_copy();
        };
        let text = item.converge.join("\n");
        let what = match item.converge.as_slice() {
            [one] => one.clone(),
            many => format!("{} converge commands for {}", many.len(), item.attribute),
        };
        self.copied(what, text)
    }

    /// The selected command of the commands pane.
    fn copy_command(&mut self) -> Option<Effect> {
        let Some((_, command)) = self.commands().get(self.command_selected).copied() else {
            return self.nothing_to_copy();
        };
        let command = command.to_string();
        self.copied(command.clone(), command)
    }

    /// Every converge command of the selected client, in order.
    fn copy_all(&mut self) -> Option<Effect> {
        let commands: Vec<String> = self
            .drift
            .iter()
            .flat_map(|d| d.converge.iter().cloned())
            .collect();
        if commands.is_empty() {
            return self.nothing_to_copy();
        }
        let name = self
            .selected_row()
            .map(|r| r.state.name.clone())
            .unwrap_or_default();
        self.copied(
            format!("all {} converge commands for {name}", commands.len()),
            commands.join("\n"),
        )
    }

    /// The exit code of a view that ends now, with the report's meaning (see
    /// [`crate::inspect::verdict`]); not read yet counts as unreachable.
    pub fn exit_code(&self) -> Code {
        match &self.load {
            Load::Loading | Load::NotAllowed(_) | Load::Unreachable(_) => Code::Unreachable,
            Load::Error(_) => Code::Usage,
            Load::Loaded | Load::Empty => {
                crate::inspect::verdict(self.wanted.as_deref().map(|wanted| {
                    self.rows
                        .iter()
                        .find(|r| r.state.name.eq_ignore_ascii_case(wanted))
                        .map(|r| r.drift.unwrap_or(0))
                }))
            }
        }
    }
}
