//! The field table: every field of a plan described once. Its typed key ([`Field`]), its dotted
//! path in the TOML plan, its label and hint, the wizard screen that asks for it, its default,
//! whether it is secret, how it reads and writes a [`PlanDraft`] and the rule that checks it.
//! The validation ([`super::validate`]), the wizard's forms, the routing of problems to fields and
//! the review all read this table; adding a field is one entry here (and the draft's member).

mod table;

use super::PlanDraft;
use crate::versions::Version;
use table::TABLE;
pub use table::{PKCE_CHOICES, SOURCES, STAGES};

/// A field of the plan, in the order of the plan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Source,
    NetboxUrl,
    BasePath,
    NetboxVersion,
    SecretFile,
    Configuration,
    RedirectIsHttps,
    KanidmOrigin,
    KanidmVersion,
    Client,
    DisplayName,
    Admin,
    Group,
    Members,
    ExtraScopes,
    Pkce,
    ShortUsernames,
    ConsentPrompt,
    CaFile,
    ButtonLabel,
    ButtonIcon,
    OutputDir,
    DeploymentPaths,
    DeploymentEnvFile,
    DeploymentStage,
    DeploymentBackendName,
    UsersExport,
    UsersPersons,
}

/// A table of the plan file (`[netbox]`, …), or its top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Top,
    NetBox,
    Kanidm,
    Tls,
    Login,
    Output,
    Deployment,
    Users,
}

impl Section {
    /// The table's name in the plan file; empty for the top level.
    pub fn name(self) -> &'static str {
        match self {
            Self::Top => "",
            Self::NetBox => "netbox",
            Self::Kanidm => "kanidm",
            Self::Tls => "tls",
            Self::Login => "login",
            Self::Output => "output",
            Self::Deployment => "deployment",
            Self::Users => "users",
        }
    }

    /// Whether the field feeds the checks of the Kanidm server (its URL, client and CA).
    pub fn is_kanidm_side(self) -> bool {
        matches!(self, Self::Kanidm | Self::Tls)
    }

    pub fn is_netbox_side(self) -> bool {
        self == Self::NetBox
    }
}

/// The wizard screen that asks for a field, in the order the wizard shows them. The wizard maps
/// each group to its screen; the plan knows nothing of screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Source,
    Kanidm,
    NetBox,
    Options,
}

/// One option of a pick-one field: the value stored in the plan, its label and a one-line explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub explanation: &'static str,
}

/// A text field's value before the user changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initial {
    Empty,
    Text(&'static str),
    /// A release number kept as version knowledge (the newest NetBox nbsso knows).
    Release(Version),
}

impl Initial {
    fn text(self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(text) => text.to_string(),
            Self::Release(version) => version.to_string(),
        }
    }
}

/// A pure check of one value: the value normalised, or a message saying what is wrong and why.
pub type Rule = fn(&str) -> Result<String, String>;

/// What kind of value a field holds, how it is read from and written to the draft, its default
/// and its rule.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Free text. `optional`: empty is valid and means "not set".
    Text {
        get: fn(&PlanDraft) -> &str,
        set: fn(&mut PlanDraft, String),
        default: Initial,
        optional: bool,
        rule: Rule,
    },
    /// A list, typed as words separated by commas or spaces; each item is checked by `item`.
    List {
        get: fn(&PlanDraft) -> &[String],
        set: fn(&mut PlanDraft, Vec<String>),
        item: Rule,
    },
    /// One of `choices`, stored as its value; empty means `default`. `what` names the field in
    /// "unknown …" messages.
    Choice {
        get: fn(&PlanDraft) -> &str,
        set: fn(&mut PlanDraft, String),
        default: &'static str,
        choices: &'static [Choice],
        what: &'static str,
    },
    /// On or off.
    Flag {
        get: fn(&PlanDraft) -> bool,
        set: fn(&mut PlanDraft, bool),
        default: bool,
    },
}

/// Everything about one field.
#[derive(Clone, Copy)]
pub struct Spec {
    pub field: Field,
    pub section: Section,
    /// Dotted path in the plan file, e.g. `kanidm.origin`.
    pub path: &'static str,
    /// How the wizard names it: beside a text field, above a choice, after a toggle.
    pub label: &'static str,
    /// One line under the field while it has nothing else to say.
    pub hint: &'static str,
    /// The form screen that asks for it, and its place in the screen's Tab order (from 1); `None`
    /// for fields only a plan file sets, or that the Users step keeps (its inputs' paths).
    pub asked: Option<(Group, u8)>,
    /// Never shown on screen or in a report (a field holding a secret value).
    pub secret: bool,
    pub kind: Kind,
}

/// Splits `alice, bob carol` into names.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Field {
    /// Every field, in the order of the plan file.
    pub fn all() -> impl Iterator<Item = Field> {
        TABLE.iter().map(|s| s.field)
    }

    /// The fields a wizard screen asks for, in its Tab order.
    pub fn asked_on(group: Group) -> Vec<Field> {
        let mut fields: Vec<(u8, Field)> = TABLE
            .iter()
            .filter_map(|s| match s.asked {
                Some((g, place)) if g == group => Some((place, s.field)),
                _ => None,
            })
            .collect();
        fields.sort_unstable();
        fields.into_iter().map(|(_, f)| f).collect()
    }

    pub fn spec(self) -> &'static Spec {
        // The table is in the enum's order (a unit test holds it there).
        &TABLE[self as usize]
    }

    pub fn path(self) -> &'static str {
        self.spec().path
    }

    pub fn label(self) -> &'static str {
        self.spec().label
    }

    pub fn hint(self) -> &'static str {
        self.spec().hint
    }

    pub fn group(self) -> Option<Group> {
        self.spec().asked.map(|(group, _)| group)
    }

    /// Whether the form edits it as text (a text field or a list).
    pub fn is_text(self) -> bool {
        matches!(self.spec().kind, Kind::Text { .. } | Kind::List { .. })
    }

    /// Whether the field's own rule takes `text` (empty counts for an optional text field).
    pub fn accepts(self, text: &str) -> bool {
        match self.spec().kind {
            Kind::Text { optional, rule, .. } => {
                (optional && text.trim().is_empty()) || rule(text).is_ok()
            }
            Kind::List { item, .. } => split_list(text).iter().all(|i| item(i).is_ok()),
            Kind::Choice { choices, .. } => choices.iter().any(|c| c.value == text.trim()),
            Kind::Flag { .. } => true,
        }
    }

    /// Whether it is an on/off setting.
    pub fn is_flag(self) -> bool {
        matches!(self.spec().kind, Kind::Flag { .. })
    }

    /// The field's value as text, as the form shows it (a list joined with commas).
    pub fn text(self, draft: &PlanDraft) -> String {
        match self.spec().kind {
            Kind::Text { get, .. } | Kind::Choice { get, .. } => get(draft).to_string(),
            Kind::List { get, .. } => get(draft).join(", "),
            Kind::Flag { get, .. } => get(draft).to_string(),
        }
    }

    /// Stores text typed into the form (a list is split at commas and spaces).
    pub fn set_text(self, draft: &mut PlanDraft, text: &str) {
        match self.spec().kind {
            Kind::Text { set, .. } | Kind::Choice { set, .. } => set(draft, text.to_string()),
            Kind::List { set, .. } => set(draft, split_list(text)),
            Kind::Flag { .. } => {}
        }
    }

    /// The on/off value of a flag; `false` for other fields.
    pub fn flag(self, draft: &PlanDraft) -> bool {
        match self.spec().kind {
            Kind::Flag { get, .. } => get(draft),
            _ => false,
        }
    }

    /// Turns a flag over; other fields are left alone.
    pub fn flip(self, draft: &mut PlanDraft) {
        if let Kind::Flag { get, set, .. } = self.spec().kind {
            let on = get(draft);
            set(draft, !on);
        }
    }

    /// The options of a pick-one field; empty for others.
    pub fn choices(self) -> &'static [Choice] {
        match self.spec().kind {
            Kind::Choice { choices, .. } => choices,
            _ => &[],
        }
    }

    /// The option a pick-one field holds: its value, or the default for empty or unknown text.
    pub fn choice_index(self, draft: &PlanDraft) -> usize {
        let Kind::Choice {
            get,
            default,
            choices,
            ..
        } = self.spec().kind
        else {
            return 0;
        };
        let position = |value: &str| choices.iter().position(|c| c.value == value);
        position(get(draft).trim())
            .or_else(|| position(default))
            .unwrap_or(0)
    }

    /// Picks the option at `index` of a pick-one field.
    pub fn choose(self, draft: &mut PlanDraft, index: usize) {
        if let Kind::Choice { set, choices, .. } = self.spec().kind
            && let Some(choice) = choices.get(index)
        {
            set(draft, choice.value.to_string());
        }
    }

    /// Puts the field back to its default.
    pub fn reset(self, draft: &mut PlanDraft) {
        match self.spec().kind {
            Kind::Text { set, default, .. } => set(draft, default.text()),
            Kind::List { set, .. } => set(draft, Vec::new()),
            Kind::Choice { set, default, .. } => set(draft, default.to_string()),
            Kind::Flag { set, default, .. } => set(draft, default),
        }
    }

    /// The field's value for the review: its text as stored; a secret field's never.
    pub fn shown(self, draft: &PlanDraft) -> String {
        if self.spec().secret {
            "(not shown)".to_string()
        } else {
            self.text(draft)
        }
    }
}

/// The keys a table of the plan file may hold, in the order of the plan file: for the top level,
/// its own keys and the names of the tables.
pub fn known_keys(section: Section) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for spec in &TABLE {
        let key = if section == Section::Top {
            match spec.section {
                Section::Top => spec.path,
                other => other.name(),
            }
        } else if spec.section == section {
            spec.path
                .strip_prefix(section.name())
                .and_then(|rest| rest.strip_prefix('.'))
                .unwrap_or(spec.path)
        } else {
            continue;
        };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::NETBOX_NEWEST_KNOWN;

    #[test]
    fn the_table_is_in_the_enums_order_and_paths_match_their_sections() {
        for (i, spec) in TABLE.iter().enumerate() {
            assert_eq!(spec.field as usize, i, "{:?}", spec.field);
            let expected = match spec.section {
                Section::Top => spec.path.to_string(),
                s => format!(
                    "{}.{}",
                    s.name(),
                    spec.path.rsplit('.').next().unwrap_or("")
                ),
            };
            assert_eq!(spec.path, expected);
        }
    }

    #[test]
    fn every_screen_has_its_fields_in_a_gapless_tab_order() {
        for group in [Group::Source, Group::Kanidm, Group::NetBox, Group::Options] {
            let mut places: Vec<u8> = TABLE
                .iter()
                .filter_map(|s| s.asked.filter(|(g, _)| *g == group).map(|(_, p)| p))
                .collect();
            places.sort_unstable();
            let expected: Vec<u8> = (1..=u8::try_from(places.len()).unwrap()).collect();
            assert_eq!(places, expected, "{group:?}");
        }
        assert_eq!(
            Field::asked_on(Group::Kanidm),
            [
                Field::KanidmOrigin,
                Field::CaFile,
                Field::Client,
                Field::DisplayName,
                Field::Admin,
                Field::Group,
                Field::Members,
                Field::KanidmVersion
            ]
        );
    }

    /// The draft's serialised keys and the table's paths are the same set: no member of the
    /// draft without its entry, and no entry without its member.
    #[test]
    fn every_key_of_the_plan_file_has_an_entry() {
        let mut draft = PlanDraft::default();
        draft.netbox.configuration = "/etc/netbox/configuration.py".into();
        draft.tls.ca_file = "/etc/ssl/ca.pem".into();
        draft.deployment.paths = vec!["/opt/netbox/netbox/netbox/configuration.py".into()];
        draft.deployment.env_file = "env/netbox.env".into();
        draft.users.export = "nbsso-export.txt".into();
        draft.users.persons = "persons.json".into();
        let value: toml::Value = toml::from_str(&toml::to_string(&draft).unwrap()).unwrap();
        let mut keys = Vec::new();
        for (name, item) in value.as_table().unwrap() {
            match item.as_table() {
                Some(table) => keys.extend(table.keys().map(|k| format!("{name}.{k}"))),
                None => keys.push(name.clone()),
            }
        }
        let mut paths: Vec<String> = Field::all().map(|f| f.path().to_string()).collect();
        keys.sort();
        paths.sort();
        assert_eq!(keys, paths);
    }

    #[test]
    fn defaults_come_from_the_table() {
        let draft = PlanDraft::default();
        assert_eq!(draft.source, "none");
        assert_eq!(draft.netbox.version, NETBOX_NEWEST_KNOWN.to_string());
        assert_eq!(draft.kanidm.version, "1.11.1");
        assert_eq!(draft.kanidm.pkce, "auto");
        assert!(draft.kanidm.short_usernames && draft.kanidm.consent_prompt);
        assert!(!draft.netbox.redirect_is_https);
        assert_eq!(draft.output.dir, "nbsso-out");
        // A table missing from the file takes the same defaults as the whole plan.
        let partial = PlanDraft::from_toml("[netbox]\nurl = \"https://n.example.com\"\n").unwrap();
        assert_eq!(partial.netbox.version, draft.netbox.version);
        assert_eq!(partial.kanidm, draft.kanidm);
    }

    #[test]
    fn lists_are_typed_with_commas_or_spaces() {
        let mut draft = PlanDraft::default();
        Field::Members.set_text(&mut draft, "alice, bob  carol,");
        assert_eq!(draft.kanidm.members, ["alice", "bob", "carol"]);
        assert_eq!(Field::Members.text(&draft), "alice, bob, carol");
    }

    #[test]
    fn a_choice_reads_its_default_for_unknown_text() {
        let mut draft = PlanDraft::default();
        assert_eq!(Field::Source.choice_index(&draft), 4);
        draft.source = "okta".into();
        assert_eq!(Field::Source.choice_index(&draft), 4);
        draft.kanidm.pkce = "sometimes".into();
        assert_eq!(Field::Pkce.choice_index(&draft), 0);
        Field::Pkce.choose(&mut draft, 1);
        assert_eq!(draft.kanidm.pkce, "enforce");
        assert_eq!(Field::Pkce.choice_index(&draft), 1);
    }

    /// README's "The plan" table lists every key, in the order of the plan file, and no other.
    #[test]
    fn the_readme_lists_every_key_of_the_plan() {
        let readme = include_str!("../../../README.md");
        let table = readme
            .split("\n## The plan\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README has a section \"The plan\"");
        let keys: Vec<&str> = table
            .lines()
            .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
            .collect();
        let paths: Vec<&str> = Field::all().map(Field::path).collect();
        assert_eq!(keys, paths);
    }

    #[test]
    fn accepts_uses_the_fields_own_rule() {
        assert!(Field::UsersExport.accepts("nbsso-export.txt"));
        assert!(Field::UsersExport.accepts(""), "optional");
        assert!(!Field::UsersExport.accepts("export\u{7}.txt"));
        assert!(!Field::KanidmOrigin.accepts(""), "required");
        assert!(Field::Pkce.accepts("enforce") && !Field::Pkce.accepts("sometimes"));
    }

    #[test]
    fn known_keys_follow_the_plan_file() {
        assert_eq!(
            known_keys(Section::Top),
            [
                "source",
                "netbox",
                "kanidm",
                "tls",
                "login",
                "output",
                "deployment",
                "users"
            ]
        );
        assert_eq!(
            known_keys(Section::NetBox),
            [
                "url",
                "base_path",
                "version",
                "secret_file",
                "configuration",
                "redirect_is_https"
            ]
        );
        assert_eq!(known_keys(Section::Tls), ["ca_file"]);
    }
}
