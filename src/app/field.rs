//! The wizard's fields: where each lives in the [`PlanDraft`], how it is labelled, and which pure
//! validator from [`crate::plan::fields`] checks it as the user types.

use crate::plan::PlanDraft;
use crate::plan::fields;

/// A text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldId {
    KanidmOrigin,
    CaFile,
    Client,
    DisplayName,
    Admin,
    Group,
    Members,
    KanidmVersion,
    NetboxUrl,
    BasePath,
    NetboxVersion,
    SecretFile,
    Configuration,
    ButtonLabel,
    ButtonIcon,
    OutputDir,
}

/// A pick-one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChoiceId {
    /// Welcome: resume the saved plan, or start afresh.
    Resume,
    Source,
    Pkce,
}

/// An on/off setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ToggleId {
    ShortUsernames,
    ConsentPrompt,
    RedirectIsHttps,
}

/// Anything that can take focus on a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Focusable {
    Text(FieldId),
    Choice(ChoiceId),
    Toggle(ToggleId),
}

impl Focusable {
    /// The plan's dotted field this stands for (as [`crate::plan::Problem::field`] names it).
    pub fn key(self) -> &'static str {
        match self {
            Self::Text(f) => f.key(),
            Self::Choice(ChoiceId::Resume) => "",
            Self::Choice(ChoiceId::Source) => "source",
            Self::Choice(ChoiceId::Pkce) => "kanidm.pkce",
            Self::Toggle(ToggleId::ShortUsernames) => "kanidm.short_usernames",
            Self::Toggle(ToggleId::ConsentPrompt) => "kanidm.consent_prompt",
            Self::Toggle(ToggleId::RedirectIsHttps) => "netbox.redirect_is_https",
        }
    }

    /// Whether a problem about `field` (e.g. `kanidm.members[2]`) belongs here.
    pub fn covers(self, field: &str) -> bool {
        let key = self.key();
        !key.is_empty()
            && (field == key
                || field
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with('[')))
    }
}

impl FieldId {
    pub fn key(self) -> &'static str {
        match self {
            Self::KanidmOrigin => "kanidm.origin",
            Self::CaFile => "tls.ca_file",
            Self::Client => "kanidm.client",
            Self::DisplayName => "kanidm.display_name",
            Self::Admin => "kanidm.admin",
            Self::Group => "kanidm.group",
            Self::Members => "kanidm.members",
            Self::KanidmVersion => "kanidm.version",
            Self::NetboxUrl => "netbox.url",
            Self::BasePath => "netbox.base_path",
            Self::NetboxVersion => "netbox.version",
            Self::SecretFile => "netbox.secret_file",
            Self::Configuration => "netbox.configuration",
            Self::ButtonLabel => "login.button_label",
            Self::ButtonIcon => "login.button_icon",
            Self::OutputDir => "output.dir",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::KanidmOrigin => "Kanidm URL",
            Self::CaFile => "CA file (optional)",
            Self::Client => "OAuth2 client name",
            Self::DisplayName => "Display name",
            Self::Admin => "Admin account",
            Self::Group => "Login group",
            Self::Members => "Group members",
            Self::KanidmVersion => "Kanidm version",
            Self::NetboxUrl => "NetBox URL",
            Self::BasePath => "BASE_PATH",
            Self::NetboxVersion => "NetBox version",
            Self::SecretFile => "Secret file on NetBox",
            Self::Configuration => "configuration.py",
            Self::ButtonLabel => "Login button label",
            Self::ButtonIcon => "Login button icon",
            Self::OutputDir => "Output directory",
        }
    }

    /// One line under the field while it is valid.
    pub fn hint(self) -> &'static str {
        match self {
            Self::KanidmOrigin => "scheme and host, e.g. https://idm.example.com",
            Self::CaFile => "PEM of a private CA for Kanidm; empty: system roots",
            Self::Client => "the Kanidm OAuth2 client NetBox logs in through",
            Self::DisplayName => "shown in Kanidm's application list",
            Self::Admin => "idm_admin, or a member of idm_oauth2_admins",
            Self::Group => "only its members may log in to NetBox",
            Self::Members => "Kanidm persons, separated by commas",
            Self::KanidmVersion => {
                "the release Kanidm runs, e.g. 1.11.1: it sets the kanidm syntax"
            }
            Self::NetboxUrl => "what users type in the browser, without BASE_PATH",
            Self::BasePath => "NetBox's BASE_PATH; empty when served at /",
            Self::NetboxVersion => "the release shown in NetBox's footer, e.g. 4.7.3",
            Self::SecretFile => "kanidm-setup.sh saves the client secret here (0600)",
            Self::Configuration => "optional: NetBox's configuration.py, for reference",
            Self::ButtonLabel => "the text on NetBox's login button",
            Self::ButtonIcon => "a Material Design icon name or an image URL",
            Self::OutputDir => "where the files go, after the review",
        }
    }

    /// The field's text as stored in the draft.
    pub fn get(self, d: &PlanDraft) -> String {
        match self {
            Self::KanidmOrigin => d.kanidm.origin.clone(),
            Self::CaFile => d.tls.ca_file.clone(),
            Self::Client => d.kanidm.client.clone(),
            Self::DisplayName => d.kanidm.display_name.clone(),
            Self::Admin => d.kanidm.admin.clone(),
            Self::Group => d.kanidm.group.clone(),
            Self::Members => d.kanidm.members.join(", "),
            Self::KanidmVersion => d.kanidm.version.clone(),
            Self::NetboxUrl => d.netbox.url.clone(),
            Self::BasePath => d.netbox.base_path.clone(),
            Self::NetboxVersion => d.netbox.version.clone(),
            Self::SecretFile => d.netbox.secret_file.clone(),
            Self::Configuration => d.netbox.configuration.clone(),
            Self::ButtonLabel => d.login.button_label.clone(),
            Self::ButtonIcon => d.login.button_icon.clone(),
            Self::OutputDir => d.output.dir.clone(),
        }
    }

    /// Stores the field's text in the draft.
    pub fn set(self, d: &mut PlanDraft, text: &str) {
        let s = text.to_string();
        match self {
            Self::KanidmOrigin => d.kanidm.origin = s,
            Self::CaFile => d.tls.ca_file = s,
            Self::Client => d.kanidm.client = s,
            Self::DisplayName => d.kanidm.display_name = s,
            Self::Admin => d.kanidm.admin = s,
            Self::Group => d.kanidm.group = s,
            Self::Members => d.kanidm.members = split_list(text),
            Self::KanidmVersion => d.kanidm.version = s,
            Self::NetboxUrl => d.netbox.url = s,
            Self::BasePath => d.netbox.base_path = s,
            Self::NetboxVersion => d.netbox.version = s,
            Self::SecretFile => d.netbox.secret_file = s,
            Self::Configuration => d.netbox.configuration = s,
            Self::ButtonLabel => d.login.button_label = s,
            Self::ButtonIcon => d.login.button_icon = s,
            Self::OutputDir => d.output.dir = s,
        }
    }

    /// The field's own validator, run on every keystroke. Cross-field rules (the `admin` account,
    /// PKCE against the NetBox version) come from [`crate::plan::validate`] on top of this.
    pub fn check(self, text: &str) -> Result<(), String> {
        let optional = text.trim().is_empty();
        match self {
            Self::KanidmOrigin => fields::kanidm_origin(text).map(drop),
            Self::CaFile if optional => Ok(()),
            Self::CaFile => fields::absolute_path(text, "CA file").map(drop),
            Self::Client => fields::kanidm_name(text, "client name").map(drop),
            Self::DisplayName => fields::free_text(text, "display name", 128).map(drop),
            Self::Admin => fields::kanidm_name(text, "admin account").map(drop),
            Self::Group => fields::kanidm_name(text, "group name").map(drop),
            Self::Members => split_list(text)
                .iter()
                .try_for_each(|m| fields::kanidm_member(m).map(drop)),
            Self::NetboxUrl => fields::netbox_url(text).map(drop),
            Self::BasePath => fields::base_path(text).map(drop),
            Self::KanidmVersion | Self::NetboxVersion => text
                .trim()
                .parse::<crate::versions::Version>()
                .map(drop)
                .map_err(|e| e.to_string()),
            Self::SecretFile => fields::absolute_path(text, "secret file").map(drop),
            Self::Configuration if optional => Ok(()),
            Self::Configuration => fields::local_path(text, "configuration.py path").map(drop),
            Self::ButtonLabel => fields::free_text(text, "button label", 64).map(drop),
            Self::ButtonIcon => fields::button_icon(text).map(drop),
            Self::OutputDir => fields::local_path(text, "output directory").map(drop),
        }
    }
}

/// Splits `alice, bob carol` into names.
fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl ChoiceId {
    /// `(value stored in the draft, label, one-line explanation)`.
    pub fn options(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Self::Resume => &[
                (
                    "resume",
                    "Resume the saved plan",
                    "answers filled in from the file",
                ),
                ("fresh", "Start a new plan", "the saved file is left alone"),
            ],
            Self::Source => &[
                ("keycloak", "Keycloak", "social-core's keycloak backend"),
                (
                    "authentik",
                    "Authentik",
                    "social-core's generic oidc backend",
                ),
                ("none", "Fresh setup", "no single sign-on yet"),
            ],
            Self::Pkce => &[
                (
                    "auto",
                    "Automatic",
                    "keep enforcing PKCE when NetBox can send it",
                ),
                (
                    "enforce",
                    "Enforce",
                    "always enforce; refused if NetBox cannot",
                ),
                (
                    "disable",
                    "Disable",
                    "turn PKCE off for this client (weaker)",
                ),
            ],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Resume => "A saved plan was found",
            Self::Source => "Where does NetBox log in today?",
            Self::Pkce => "PKCE",
        }
    }
}

impl ToggleId {
    pub fn label(self) -> &'static str {
        match self {
            Self::ShortUsernames => "Short user names (alice, not alice@idm.example.com)",
            Self::ConsentPrompt => "Kanidm asks users to consent on first login",
            Self::RedirectIsHttps => "REDIRECT_IS_HTTPS (TLS proxy without X-Forwarded-Proto)",
        }
    }

    pub fn get(self, d: &PlanDraft) -> bool {
        match self {
            Self::ShortUsernames => d.kanidm.short_usernames,
            Self::ConsentPrompt => d.kanidm.consent_prompt,
            Self::RedirectIsHttps => d.netbox.redirect_is_https,
        }
    }

    pub fn flip(self, d: &mut PlanDraft) {
        match self {
            Self::ShortUsernames => d.kanidm.short_usernames = !d.kanidm.short_usernames,
            Self::ConsentPrompt => d.kanidm.consent_prompt = !d.kanidm.consent_prompt,
            Self::RedirectIsHttps => d.netbox.redirect_is_https = !d.netbox.redirect_is_https,
        }
    }
}
