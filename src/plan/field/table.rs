//! The entries of the field table, in the order of the plan file. A new field of the plan is a new
//! entry here (and its member in the draft).

use super::{Choice, Field, Group, Initial, Kind, Section, Spec};
use crate::plan::fields;
use crate::versions::{NETBOX_NEWEST_KNOWN, Version};

pub const SOURCES: &[Choice] = &[
    Choice {
        value: "keycloak",
        label: "Keycloak",
        explanation: "social-core's keycloak backend",
    },
    Choice {
        value: "authentik",
        label: "Authentik",
        explanation: "social-core's generic oidc backend",
    },
    Choice {
        value: "none",
        label: "Fresh setup",
        explanation: "no single sign-on yet",
    },
];

pub const PKCE_CHOICES: &[Choice] = &[
    Choice {
        value: "auto",
        label: "Automatic",
        explanation: "keep enforcing PKCE when NetBox can send it",
    },
    Choice {
        value: "enforce",
        label: "Enforce",
        explanation: "always enforce; refused if NetBox cannot",
    },
    Choice {
        value: "disable",
        label: "Disable",
        explanation: "turn PKCE off for this client (weaker)",
    },
];

fn release(text: &str) -> Result<String, String> {
    text.parse::<Version>()
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())
}

/// A path rule that keeps the text as typed: the plan stores what the user wrote.
fn absolute(text: &str, what: &str) -> Result<String, String> {
    fields::absolute_path(text, what).map(|_| text.to_string())
}

fn local(text: &str, what: &str) -> Result<String, String> {
    fields::local_path(text, what).map(|_| text.to_string())
}

/// The table, in the order of the plan file.
pub(super) static TABLE: [Spec; 22] = [
    Spec {
        field: Field::Source,
        section: Section::Top,
        path: "source",
        label: "Where does NetBox log in today?",
        hint: "",
        asked: Some((Group::Source, 1)),
        secret: false,
        kind: Kind::Choice {
            get: |d| &d.source,
            set: |d, v| d.source = v,
            default: "none",
            choices: SOURCES,
            what: "identity provider",
        },
    },
    Spec {
        field: Field::NetboxUrl,
        section: Section::NetBox,
        path: "netbox.url",
        label: "NetBox URL",
        hint: "what users type in the browser, without BASE_PATH",
        asked: Some((Group::NetBox, 1)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.netbox.url,
            set: |d, v| d.netbox.url = v,
            default: Initial::Empty,
            optional: false,
            rule: fields::netbox_url,
        },
    },
    Spec {
        field: Field::BasePath,
        section: Section::NetBox,
        path: "netbox.base_path",
        label: "BASE_PATH",
        hint: "NetBox's BASE_PATH; empty when served at /",
        asked: Some((Group::NetBox, 2)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.netbox.base_path,
            set: |d, v| d.netbox.base_path = v,
            default: Initial::Empty,
            optional: false,
            rule: fields::base_path,
        },
    },
    Spec {
        field: Field::NetboxVersion,
        section: Section::NetBox,
        path: "netbox.version",
        label: "NetBox version",
        hint: "the release shown in NetBox's footer, e.g. 4.7.3",
        asked: Some((Group::NetBox, 3)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.netbox.version,
            set: |d, v| d.netbox.version = v,
            default: Initial::Release(NETBOX_NEWEST_KNOWN),
            optional: false,
            rule: release,
        },
    },
    Spec {
        field: Field::SecretFile,
        section: Section::NetBox,
        path: "netbox.secret_file",
        label: "Secret file on NetBox",
        hint: "kanidm-setup.sh saves the client secret here (0600)",
        asked: Some((Group::NetBox, 4)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.netbox.secret_file,
            set: |d, v| d.netbox.secret_file = v,
            default: Initial::Text("/etc/netbox/kanidm-oidc-secret"),
            optional: false,
            rule: |t| absolute(t, "secret file"),
        },
    },
    Spec {
        field: Field::Configuration,
        section: Section::NetBox,
        path: "netbox.configuration",
        label: "configuration.py",
        hint: "optional: NetBox's configuration.py, for reference",
        asked: Some((Group::NetBox, 5)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.netbox.configuration,
            set: |d, v| d.netbox.configuration = v,
            default: Initial::Empty,
            optional: true,
            rule: |t| local(t, "configuration.py path"),
        },
    },
    Spec {
        field: Field::RedirectIsHttps,
        section: Section::NetBox,
        path: "netbox.redirect_is_https",
        label: "REDIRECT_IS_HTTPS (TLS proxy without X-Forwarded-Proto)",
        hint: "",
        asked: Some((Group::Options, 4)),
        secret: false,
        kind: Kind::Flag {
            get: |d| d.netbox.redirect_is_https,
            set: |d, v| d.netbox.redirect_is_https = v,
            default: false,
        },
    },
    Spec {
        field: Field::KanidmOrigin,
        section: Section::Kanidm,
        path: "kanidm.origin",
        label: "Kanidm URL",
        hint: "scheme and host, e.g. https://idm.example.com",
        asked: Some((Group::Kanidm, 1)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.kanidm.origin,
            set: |d, v| d.kanidm.origin = v,
            default: Initial::Empty,
            optional: false,
            rule: fields::kanidm_origin,
        },
    },
    Spec {
        field: Field::KanidmVersion,
        section: Section::Kanidm,
        path: "kanidm.version",
        label: "Kanidm version",
        hint: "the release Kanidm runs, e.g. 1.11.1: it sets the kanidm syntax",
        asked: Some((Group::Kanidm, 8)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.kanidm.version,
            set: |d, v| d.kanidm.version = v,
            default: Initial::Text("1.11.1"),
            optional: false,
            rule: release,
        },
    },
    Spec {
        field: Field::Client,
        section: Section::Kanidm,
        path: "kanidm.client",
        label: "OAuth2 client name",
        hint: "the Kanidm OAuth2 client NetBox logs in through",
        asked: Some((Group::Kanidm, 3)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.kanidm.client,
            set: |d, v| d.kanidm.client = v,
            default: Initial::Text("netbox"),
            optional: false,
            rule: |t| fields::kanidm_name(t, "client name"),
        },
    },
    Spec {
        field: Field::DisplayName,
        section: Section::Kanidm,
        path: "kanidm.display_name",
        label: "Display name",
        hint: "shown in Kanidm's application list",
        asked: Some((Group::Kanidm, 4)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.kanidm.display_name,
            set: |d, v| d.kanidm.display_name = v,
            default: Initial::Text("NetBox"),
            optional: false,
            rule: |t| fields::free_text(t, "display name", 128),
        },
    },
    Spec {
        field: Field::Admin,
        section: Section::Kanidm,
        path: "kanidm.admin",
        label: "Admin account",
        hint: "idm_admin, or a member of idm_oauth2_admins",
        asked: Some((Group::Kanidm, 5)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.kanidm.admin,
            set: |d, v| d.kanidm.admin = v,
            default: Initial::Text("idm_admin"),
            optional: false,
            rule: |t| fields::kanidm_name(t, "admin account"),
        },
    },
    Spec {
        field: Field::Group,
        section: Section::Kanidm,
        path: "kanidm.group",
        label: "Login group",
        hint: "only its members may log in to NetBox",
        asked: Some((Group::Kanidm, 6)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.kanidm.group,
            set: |d, v| d.kanidm.group = v,
            default: Initial::Text("netbox_users"),
            optional: false,
            rule: |t| fields::kanidm_name(t, "group name"),
        },
    },
    Spec {
        field: Field::Members,
        section: Section::Kanidm,
        path: "kanidm.members",
        label: "Group members",
        hint: "Kanidm persons, separated by commas",
        asked: Some((Group::Kanidm, 7)),
        secret: false,
        kind: Kind::List {
            get: |d| &d.kanidm.members,
            set: |d, v| d.kanidm.members = v,
            item: fields::kanidm_member,
        },
    },
    Spec {
        field: Field::ExtraScopes,
        section: Section::Kanidm,
        path: "kanidm.extra_scopes",
        label: "Extra scopes",
        hint: "scopes beyond openid profile email, each a single word",
        asked: None,
        secret: false,
        kind: Kind::List {
            get: |d| &d.kanidm.extra_scopes,
            set: |d, v| d.kanidm.extra_scopes = v,
            item: fields::scope,
        },
    },
    Spec {
        field: Field::Pkce,
        section: Section::Kanidm,
        path: "kanidm.pkce",
        label: "PKCE",
        hint: "",
        asked: Some((Group::Options, 1)),
        secret: false,
        kind: Kind::Choice {
            get: |d| &d.kanidm.pkce,
            set: |d, v| d.kanidm.pkce = v,
            default: "auto",
            choices: PKCE_CHOICES,
            what: "PKCE strategy",
        },
    },
    Spec {
        field: Field::ShortUsernames,
        section: Section::Kanidm,
        path: "kanidm.short_usernames",
        label: "Short user names (alice, not alice@idm.example.com)",
        hint: "",
        asked: Some((Group::Options, 2)),
        secret: false,
        kind: Kind::Flag {
            get: |d| d.kanidm.short_usernames,
            set: |d, v| d.kanidm.short_usernames = v,
            default: true,
        },
    },
    Spec {
        field: Field::ConsentPrompt,
        section: Section::Kanidm,
        path: "kanidm.consent_prompt",
        label: "Kanidm asks users to consent on first login",
        hint: "",
        asked: Some((Group::Options, 3)),
        secret: false,
        kind: Kind::Flag {
            get: |d| d.kanidm.consent_prompt,
            set: |d, v| d.kanidm.consent_prompt = v,
            default: true,
        },
    },
    Spec {
        field: Field::CaFile,
        section: Section::Tls,
        path: "tls.ca_file",
        label: "CA file (optional)",
        hint: "PEM of a private CA for Kanidm; empty: system roots",
        asked: Some((Group::Kanidm, 2)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.tls.ca_file,
            set: |d, v| d.tls.ca_file = v,
            default: Initial::Empty,
            optional: true,
            rule: |t| absolute(t, "CA file"),
        },
    },
    Spec {
        field: Field::ButtonLabel,
        section: Section::Login,
        path: "login.button_label",
        label: "Login button label",
        hint: "the text on NetBox's login button",
        asked: Some((Group::Options, 5)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.login.button_label,
            set: |d, v| d.login.button_label = v,
            default: Initial::Text("Kanidm"),
            optional: false,
            rule: |t| fields::free_text(t, "button label", 64),
        },
    },
    Spec {
        field: Field::ButtonIcon,
        section: Section::Login,
        path: "login.button_icon",
        label: "Login button icon",
        hint: "a Material Design icon name or an image URL",
        asked: Some((Group::Options, 6)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.login.button_icon,
            set: |d, v| d.login.button_icon = v,
            default: Initial::Text("login"),
            optional: false,
            rule: |t| fields::button_icon(t).map(Option::unwrap_or_default),
        },
    },
    Spec {
        field: Field::OutputDir,
        section: Section::Output,
        path: "output.dir",
        label: "Output directory",
        hint: "where the files go, after the review",
        asked: Some((Group::Options, 7)),
        secret: false,
        kind: Kind::Text {
            get: |d| &d.output.dir,
            set: |d, v| d.output.dir = v,
            default: Initial::Text("nbsso-out"),
            optional: false,
            rule: |t| local(t, "output directory"),
        },
    },
];
