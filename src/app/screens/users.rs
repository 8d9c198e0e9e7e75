//! Users: NetBox's export (`NBSSO_USERS_ACTION=export`) matched with Kanidm's persons, so every
//! NetBox user keeps their own account. The table (filter, sort by state), the counts, the lock-out
//! guard, and picks made from the keyboard; a pick is an overrides line like the CSV's, and the
//! picks are written as `user-overrides.csv`, so `nbsso users match --overrides` gives the same map.

use super::form::Answers;
use super::{Turn, moved};
use crate::app::effect::{Effect, PersonsFrom};
use crate::app::step::Step;
use crate::deploy::Shape;
use crate::generate::user_migration::{self, MapPlace};
use crate::generate::{FileKind, GeneratedFile};
use crate::inspect::Live;
use crate::keymap::Action;
use crate::plan::{Field, Plan, PlanDraft};
use crate::users::{
    Deployment, KanidmPerson, LinkProviders, MapOptions, NetBoxExport, ServiceManager, UserMap,
    UserRow, build_map, parse_overrides,
};
use crossterm::event::{Event, KeyEvent};
use std::path::Path;
use std::path::PathBuf;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub mod picks;

pub use picks::SavedPicks;

/// Where the picks are written, in the overrides CSV format.
pub const OVERRIDES_FILE: &str = "user-overrides.csv";

/// The deployment shapes and service managers the commands are given for, in `d` order.
pub const SHAPES: [(Deployment, ServiceManager); 6] = [
    (Deployment::Checkout, ServiceManager::Systemd),
    (Deployment::Checkout, ServiceManager::Rcctl),
    (Deployment::Wheel, ServiceManager::Systemd),
    (Deployment::Wheel, ServiceManager::Rcctl),
    (Deployment::Docker, ServiceManager::DockerCompose),
    (Deployment::Kubernetes, ServiceManager::Kubectl),
];

/// What has focus on the Users screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsersFocus {
    /// The path of the saved export output.
    #[default]
    Export,
    /// The path of a saved `kanidm person list -o json` (empty: read live).
    Persons,
    Table,
    /// The table's filter.
    Filter,
}

/// The inputs as read: the export, the persons, and where the persons came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub export: NetBoxExport,
    pub persons: Vec<KanidmPerson>,
    pub persons_from: String,
    /// The picks an earlier run wrote, when asked for and found.
    pub saved_picks: Option<SavedPicks>,
}

/// The Users screen's state.
#[derive(Debug, Clone, Default)]
pub struct Users {
    pub export_path: Input,
    pub persons_path: Input,
    pub filter: Input,
    pub focus: UsersFocus,
    /// The table sorted by state (else in NetBox's order).
    pub by_state: bool,
    /// The selected row of the shown (filtered, sorted) table.
    pub selected: usize,
    /// The person list is open, this entry selected (0: leave unlinked).
    pub picker: Option<usize>,
    /// What is typed into the open picker: it narrows the persons (name, SPN, e-mail, display name).
    pub picker_query: Input,
    pub generation: u64,
    pub loading: bool,
    /// Why the inputs could not be read, shown in place.
    pub error: Option<String>,
    pub loaded: Option<Loaded>,
    /// The picks in the order made: NetBox username, Kanidm name (`None`: leave unlinked).
    pub picks: Vec<(String, Option<String>)>,
    /// The map of the inputs and picks, or why it could not be made.
    pub map: Option<Result<UserMap, String>>,
    /// Index into [`SHAPES`].
    pub shape: usize,
    /// The user chose the shape with `d`; a deployment read later no longer changes it.
    pub shape_chosen: bool,
    /// Done shows the user migration's commands instead of its summary.
    pub commands_shown: bool,
    /// The selected command there.
    pub commands_selected: usize,
}

impl Users {
    pub fn shape(&self) -> (Deployment, ServiceManager) {
        SHAPES.get(self.shape).copied().unwrap_or(SHAPES[0])
    }

    pub fn matched_map(&self) -> Option<&UserMap> {
        match &self.map {
            Some(Ok(map)) => Some(map),
            _ => None,
        }
    }

    /// The rows shown: filtered by the text (username, e-mail, person, state), sorted by state
    /// when asked; indexes into the map's rows.
    pub fn shown(&self) -> Vec<usize> {
        let Some(map) = self.matched_map() else {
            return Vec::new();
        };
        let needle = self.filter.value().trim().to_lowercase();
        let mut rows: Vec<usize> = map
            .users
            .iter()
            .enumerate()
            .filter(|(_, r)| needle.is_empty() || row_text(r).contains(&needle))
            .map(|(i, _)| i)
            .collect();
        if self.by_state {
            rows.sort_by_key(|&i| map.users[i].state);
        }
        rows
    }

    pub fn selected_row(&self) -> Option<&UserRow> {
        let i = *self.shown().get(self.selected)?;
        self.matched_map()?.users.get(i)
    }

    /// The persons the picker offers, by name, narrowed by what is typed into it.
    pub fn pickable(&self) -> Vec<&KanidmPerson> {
        let needle = self.picker_query.value().trim().to_lowercase();
        let fits = |p: &KanidmPerson| {
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.spn
                    .iter()
                    .chain(&p.mail)
                    .chain(&p.displayname)
                    .any(|v| v.to_lowercase().contains(&needle))
        };
        let mut persons: Vec<&KanidmPerson> = self
            .loaded
            .iter()
            .flat_map(|l| l.persons.iter())
            .filter(|p| fits(p))
            .collect();
        persons.sort_by(|a, b| a.name.cmp(&b.name));
        persons
    }

    pub fn pick_of(&self, username: &str) -> Option<&Option<String>> {
        self.picks
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(username))
            .map(|(_, p)| p)
    }

    /// The picks as an overrides CSV (what `--overrides` reads); `None` without picks.
    pub fn overrides_csv(&self) -> Option<String> {
        if self.picks.is_empty() {
            return None;
        }
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let mut rows = vec![["netbox_username".to_string(), "kanidm_name".to_string()]];
        rows.extend(
            self.picks
                .iter()
                .map(|(u, p)| [u.clone(), p.clone().unwrap_or_else(|| "-".into())]),
        );
        for row in rows {
            writer.write_record(&row).ok()?;
        }
        String::from_utf8(writer.into_inner().ok()?).ok()
    }

    /// Matches again from the inputs read, the picks and the plan.
    pub fn rebuild(&mut self, plan: Option<&Plan>) {
        self.map = match (&self.loaded, plan) {
            (Some(loaded), Some(plan)) => Some(self.build(loaded, plan)),
            _ => None,
        };
        self.selected = self.selected.min(self.shown().len().saturating_sub(1));
    }

    fn build(&self, loaded: &Loaded, plan: &Plan) -> Result<UserMap, String> {
        let providers = LinkProviders::for_plan(plan).ok_or(NOTHING_TO_MOVE)?;
        let overrides = match self.overrides_csv() {
            Some(csv) => parse_overrides(&csv).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        let options = MapOptions {
            providers,
            kanidm_issuer: Some(plan.issuer()),
            deployment: self.shape().0,
            renames: true,
        };
        build_map(&loaded.export, &loaded.persons, &overrides, &options).map_err(|e| e.to_string())
    }

    /// The files the map adds to the output: `user-map.json`, the `migrate-users.py` carrying
    /// it (in place of the one that can only export) and the picks.
    pub fn add_files(&self, files: &mut Vec<GeneratedFile>) {
        let Some(map) = self.matched_map() else {
            return;
        };
        let Ok((map_files, _)) = user_migration::map_files(map) else {
            return;
        };
        for file in map_files {
            match files.iter_mut().find(|f| f.name == file.name) {
                Some(old) => *old = file,
                None => files.push(file),
            }
        }
        if let Some(csv) = self.overrides_csv() {
            files.push(GeneratedFile {
                name: OVERRIDES_FILE,
                kind: FileKind::Text,
                contents: csv,
                purpose: "the persons picked on the Users screen (nbsso users match --overrides)",
            });
        }
    }

    /// Where the script finds the map: in itself, or in `user-map.json` copied in.
    pub fn map_place(&self) -> Option<MapPlace> {
        self.matched_map()
            .map(|m| user_migration::script(&m.script).1)
    }
}

pub const NOTHING_TO_MOVE: &str = "The plan's source is none: NetBox has no old single sign-on \
    accounts, so there is nothing to move. Press Enter to go on.";

fn row_text(r: &UserRow) -> String {
    let person = r.person.as_ref().map(|p| p.name.as_str()).unwrap_or("");
    format!("{} {} {} {}", r.username, r.email, person, r.state.label()).to_lowercase()
}

/// Whether the plan migrates anything (its source is not none).
pub fn has_source(plan: Option<&Plan>) -> bool {
    plan.is_some_and(|p| LinkProviders::for_plan(p).is_some())
}

/// The commands' shape for a deployment read on the Source screen: netbox-docker and Helm by
/// their shape, a wheel's `conf/configuration.py` (under `$NETBOX_ROOT`) apart from a checkout's
/// `netbox/netbox/configuration.py`.
pub fn shape_for(shape: Shape, base: &Path) -> usize {
    let wanted = match shape {
        Shape::NetboxDocker => Deployment::Docker,
        Shape::Helm => Deployment::Kubernetes,
        Shape::ConfigurationPy | Shape::Generated => {
            if base.file_name().is_some_and(|dir| dir == "conf") {
                Deployment::Wheel
            } else {
                Deployment::Checkout
            }
        }
    };
    SHAPES.iter().position(|(d, _)| *d == wanted).unwrap_or(0)
}

/// Entering the step: focus where the work is; the commands follow the deployment read on the
/// Source screen unless the user chose another shape here.
pub fn enter(users: &mut Users, plan: Option<&Plan>, found: Option<(Shape, &Path)>) {
    if let (false, Some((shape, base))) = (users.shape_chosen, found) {
        users.shape = shape_for(shape, base);
    }
    users.picker = None;
    users.focus = if users.loaded.is_some() || !has_source(plan) {
        UsersFocus::Table
    } else {
        UsersFocus::Export
    };
    users.rebuild(plan);
}

/// A resumed plan's `[users]` paths fill the boxes while nothing is typed or read here.
pub fn take_saved_paths(users: &mut Users, draft: &PlanDraft) {
    if users.loaded.is_some()
        || !users.export_path.value().is_empty()
        || !users.persons_path.value().is_empty()
    {
        return;
    }
    users.export_path = Input::new(Field::UsersExport.text(draft));
    users.persons_path = Input::new(Field::UsersPersons.text(draft));
}

/// The typed paths go into the plan's `[users]` table, so a saved plan reads them again; a path
/// the field's rule refuses (a control character) is kept out of it.
pub fn keep_paths(users: &Users, answers: &mut Answers) {
    let mut changed = false;
    for (field, input) in [
        (Field::UsersExport, &users.export_path),
        (Field::UsersPersons, &users.persons_path),
    ] {
        let typed = input.value().trim();
        let text = if field.accepts(typed) { typed } else { "" };
        if field.text(&answers.draft) != text {
            field.set_text(&mut answers.draft, text);
            changed = true;
        }
    }
    if changed {
        answers.revalidate();
    }
}

/// Whether a text box has the keys.
pub fn typing(users: &Users) -> bool {
    users.focus != UsersFocus::Table
}

/// An unbound key in a text box goes to it; a new filter starts at the top of the table.
pub fn on_key(users: &mut Users, key: KeyEvent) {
    if users.picker.is_some() {
        let changed = users
            .picker_query
            .handle_event(&Event::Key(key))
            .is_some_and(|c| c.value);
        if changed {
            // The first person found, or "leave unlinked" when none is.
            users.picker = Some(usize::from(!users.pickable().is_empty()));
        }
        return;
    }
    let input = match users.focus {
        UsersFocus::Export => &mut users.export_path,
        UsersFocus::Persons => &mut users.persons_path,
        UsersFocus::Filter => &mut users.filter,
        UsersFocus::Table => return,
    };
    let changed = input
        .handle_event(&Event::Key(key))
        .is_some_and(|c| c.value);
    if changed && users.focus == UsersFocus::Filter {
        users.selected = 0;
    }
}

pub fn on_paste(users: &mut Users, text: &str) {
    let line = text.lines().next().unwrap_or("").trim();
    let input = match users.focus {
        UsersFocus::Export => &mut users.export_path,
        UsersFocus::Persons => &mut users.persons_path,
        UsersFocus::Filter => &mut users.filter,
        UsersFocus::Table => return,
    };
    *input = Input::new(format!("{}{line}", input.value()));
}

/// Reads the export and the persons (a file, or live with the plan's Kanidm login).
fn load(users: &mut Users, plan: Option<&Plan>) -> Turn {
    let export = users.export_path.value().trim();
    if export.is_empty() {
        // Nothing typed and nothing read: Enter skips the optional step.
        if users.loaded.is_none() {
            return next(users, plan);
        }
        users.error = Some(
            "Type the path of the saved export output (the file the export command wrote, \
             nbsso-export.txt)"
                .into(),
        );
        return Turn::default();
    }
    let persons = users.persons_path.value().trim();
    let persons = if persons.is_empty() {
        match plan {
            Some(plan) => PersonsFrom::Live(Box::new(Live::for_plan(plan))),
            None => {
                users.error = Some(
                    "Reading Kanidm's persons live needs valid Kanidm answers; or type the path of \
                     a saved `kanidm person list -o json`"
                        .into(),
                );
                return Turn::default();
            }
        }
    } else {
        PersonsFrom::File(PathBuf::from(persons))
    };
    users.generation += 1;
    users.loading = true;
    users.error = None;
    // An earlier run's picks are offered back only while none are made here.
    let saved_picks = plan
        .filter(|_| users.picks.is_empty())
        .map(|plan| plan.output_dir.join(OVERRIDES_FILE));
    Turn::effects(vec![Effect::LoadUsers {
        generation: users.generation,
        export: PathBuf::from(export),
        persons,
        saved_picks,
    }])
}

/// The inputs were read (or not); an answer for an older read is dropped. A bad input keeps
/// what was read before. The picks an earlier run wrote come back while none are made here,
/// unless they no longer fit the inputs; either way the notice says so.
pub fn on_loaded(
    users: &mut Users,
    plan: Option<&Plan>,
    generation: u64,
    result: Result<Loaded, String>,
) -> Option<String> {
    if generation != users.generation {
        return None;
    }
    users.loading = false;
    let mut loaded = match result {
        Ok(loaded) => loaded,
        Err(e) => {
            users.error = Some(e);
            return None;
        }
    };
    users.error = None;
    let saved = loaded.saved_picks.take().filter(|_| users.picks.is_empty());
    users.loaded = Some(loaded);
    users.selected = 0;
    users.focus = UsersFocus::Table;
    match saved {
        Some(saved) => picks::restore(users, plan, saved),
        None => {
            users.rebuild(plan);
            None
        }
    }
}

pub fn on_action(users: &mut Users, plan: Option<&Plan>, action: Action) -> Turn {
    if let Some(entry) = users.picker {
        return picker_action(users, plan, entry, action);
    }
    match action {
        Action::FocusNext | Action::FocusPrev => {
            let order = [UsersFocus::Export, UsersFocus::Persons, UsersFocus::Table];
            let at = order.iter().position(|f| *f == users.focus).unwrap_or(2);
            let step = if action == Action::FocusNext { 1 } else { 2 };
            users.focus = order[(at + step) % order.len()];
        }
        Action::Confirm if users.focus == UsersFocus::Filter => users.focus = UsersFocus::Table,
        Action::Confirm | Action::Refresh => return load(users, plan),
        Action::Cancel => {
            if users.focus == UsersFocus::Filter {
                users.filter = Input::default();
            }
            users.focus = UsersFocus::Table;
        }
        Action::Filter => users.focus = UsersFocus::Filter,
        Action::SortByState => {
            users.by_state = !users.by_state;
            users.selected = 0;
        }
        Action::SelectPrev | Action::SelectNext => {
            let down = action == Action::SelectNext;
            users.selected = moved(users.selected, users.shown().len(), down);
        }
        Action::PickPerson => {
            let Some(row) = users.selected_row() else {
                return Turn::notice("Read the export first: there is no user to pick for");
            };
            let current = row.person.as_ref().map(|p| p.name.clone());
            users.picker_query = Input::default();
            let at = users
                .pickable()
                .iter()
                .position(|p| Some(&p.name) == current.as_ref())
                .map_or(0, |i| i + 1);
            users.picker = Some(at);
        }
        Action::ClearPick => {
            if let Some(name) = users.selected_row().map(|r| r.username.clone()) {
                picks::clear(users, plan, &name);
            }
        }
        Action::NextDeployment => {
            users.shape = (users.shape + 1) % SHAPES.len();
            users.shape_chosen = true;
            users.rebuild(plan);
        }
        Action::Next => return next(users, plan),
        _ => {}
    }
    Turn::default()
}

fn picker_action(users: &mut Users, plan: Option<&Plan>, entry: usize, action: Action) -> Turn {
    let len = users.pickable().len() + 1;
    match action {
        Action::SelectPrev | Action::SelectNext => {
            users.picker = Some(moved(entry, len, action == Action::SelectNext));
        }
        Action::Cancel => users.picker = None,
        Action::Confirm => {
            users.picker = None;
            let Some(username) = users.selected_row().map(|r| r.username.clone()) else {
                return Turn::default();
            };
            let person = entry
                .checked_sub(1)
                .and_then(|i| users.pickable().get(i).map(|p| p.name.clone()));
            return Turn::notice(picks::set(users, plan, &username, person));
        }
        _ => {}
    }
    Turn::default()
}

/// On to the review; the step is optional, so an unread export only earns a note.
fn next(users: &Users, plan: Option<&Plan>) -> Turn {
    let mut turn = Turn::go(Step::Review);
    if has_source(plan) && users.matched_map().is_none() {
        turn.notice = Some(
            "No user map yet: migrate-users.py can only export until the users are matched".into(),
        );
    }
    turn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_become_an_overrides_file_that_reads_back_the_same() {
        let users = Users {
            picks: vec![
                ("fmeyer".into(), Some("frank".into())),
                ("erin".into(), None),
                ("o'brien, pat".into(), Some("pat".into())),
            ],
            ..Users::default()
        };
        let csv = users.overrides_csv().unwrap();
        assert_eq!(
            csv,
            "netbox_username,kanidm_name\nfmeyer,frank\nerin,-\n\"o'brien, pat\",pat\n"
        );
        let read: Vec<(String, Option<String>)> = parse_overrides(&csv)
            .unwrap()
            .into_iter()
            .map(|o| (o.netbox_username, o.kanidm_name))
            .collect();
        assert_eq!(read, users.picks);
        assert_eq!(Users::default().overrides_csv(), None);
    }
}

#[cfg(test)]
mod shape_tests {
    use super::*;

    #[test]
    fn the_commands_follow_the_deployment_read() {
        let at = |shape, base: &str| SHAPES[shape_for(shape, Path::new(base))].0;
        assert_eq!(
            at(Shape::NetboxDocker, "/srv/netbox-docker/configuration"),
            Deployment::Docker
        );
        assert_eq!(at(Shape::Helm, "/srv/chart"), Deployment::Kubernetes);
        assert_eq!(
            at(Shape::ConfigurationPy, "/opt/netbox/conf"),
            Deployment::Wheel
        );
        assert_eq!(
            at(Shape::ConfigurationPy, "/opt/netbox/netbox/netbox"),
            Deployment::Checkout
        );
    }
}
