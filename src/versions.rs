//! Version knowledge as data: NetBox → social-auth-core, and what each version of NetBox,
//! social-auth-core and the Kanidm CLI can do. A new release is a new row, not a new branch.
//! Sources: NetBox's `requirements.txt` at every tag v3.1.0–v4.6.8 and the 4.7.x wheels' metadata;
//! social-auth-core's `open_id_connect.py` per release (PKCE from 4.8.7, JWT_LEEWAY from 4.7.0);
//! NetBox `templates/login.html` and `urls.py` per release; kanidm_tools `src/opt/kanidm.rs` per tag.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A dotted release number such as `4.7.3` or `1.11` (a missing patch reads as 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

/// Written as `"4.7.3"` in JSON reports.
impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a release number; write it as MAJOR.MINOR.PATCH, for example 4.7.3")]
pub struct VersionParseError(pub String);

impl FromStr for Version {
    type Err = VersionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim().trim_start_matches(['v', 'V']);
        let err = || VersionParseError(text.to_string());
        let mut parts = trimmed.split('.');
        let mut next = |required: bool| -> Result<u32, VersionParseError> {
            match parts.next() {
                Some(p)
                    if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 6 =>
                {
                    p.parse().map_err(|_| err())
                }
                None if !required => Ok(0),
                _ => Err(err()),
            }
        };
        let major = next(true)?;
        let minor = next(true)?;
        let patch = next(false)?;
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(Self::new(major, minor, patch))
    }
}

const fn v(major: u32, minor: u32, patch: u32) -> Version {
    Version::new(major, minor, patch)
}

/// One row of NetBox's `requirements.txt` history: from this NetBox release on, this social-core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NetBoxRelease {
    pub netbox_from: Version,
    pub social_core: Version,
    pub social_app_django: Version,
}

/// NetBox release → pinned social-auth-core (NetBox's requirements.txt per tag). Sorted by `netbox_from`.
pub const NETBOX_RELEASES: &[NetBoxRelease] = &[
    row(v(3, 1, 0), v(4, 1, 0), v(5, 0, 0)),
    row(v(3, 1, 7), v(4, 2, 0), v(5, 0, 0)),
    row(v(3, 2, 5), v(4, 3, 0), v(5, 0, 0)),
    row(v(3, 4, 7), v(4, 4, 0), v(5, 0, 0)),
    row(v(3, 4, 8), v(4, 4, 1), v(5, 0, 0)),
    row(v(3, 4, 9), v(4, 4, 2), v(5, 0, 0)),
    row(v(3, 6, 5), v(4, 5, 0), v(5, 4, 0)),
    row(v(3, 7, 7), v(4, 5, 4), v(5, 4, 1)),
    row(v(4, 2, 4), v(4, 5, 6), v(5, 4, 3)),
    row(v(4, 2, 9), v(4, 6, 1), v(5, 4, 3)),
    row(v(4, 3, 4), v(4, 7, 0), v(5, 5, 1)),
    row(v(4, 4, 3), v(4, 8, 1), v(5, 6, 0)),
    row(v(4, 4, 9), v(4, 8, 3), v(5, 7, 0)),
    row(v(4, 5, 3), v(4, 8, 5), v(5, 7, 0)),
    row(v(4, 5, 9), v(4, 8, 7), v(5, 8, 0)),
    row(v(4, 7, 0), v(5, 1, 0), v(6, 0, 1)),
    row(v(4, 7, 2), v(5, 1, 1), v(6, 0, 1)),
    row(v(4, 7, 3), v(5, 2, 0), v(6, 1, 0)),
];

const fn row(
    netbox_from: Version,
    social_core: Version,
    social_app_django: Version,
) -> NetBoxRelease {
    NetBoxRelease {
        netbox_from,
        social_core,
        social_app_django,
    }
}

/// The oldest NetBox nbsso knows the pins of.
pub const NETBOX_OLDEST: Version = v(3, 1, 0);
/// The newest NetBox release nbsso was checked against.
pub const NETBOX_NEWEST_KNOWN: Version = v(4, 7, 3);
/// The oldest Kanidm with `add-redirect-url` (the redirect URL is no longer the origin, C7).
pub const KANIDM_OLDEST: Version = v(1, 3, 0);
/// The newest Kanidm release nbsso was checked against.
pub const KANIDM_NEWEST_KNOWN: Version = v(1, 11, 2);

/// Where NetBox's login page sends the SSO button (C4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStyle {
    /// `<a href="/oauth/login/oidc/">` (NetBox ≤ 4.6).
    GetLink,
    /// `<form method="post" action="/oauth/login/oidc/">` (NetBox 4.7.0).
    PostLogin,
    /// `<form method="post" action="/oauth/begin/oidc/">` (NetBox 4.7.1 and later).
    PostBegin,
}

impl LoginStyle {
    pub fn path(self) -> &'static str {
        match self {
            Self::GetLink | Self::PostLogin => "oauth/login/oidc/",
            Self::PostBegin => "oauth/begin/oidc/",
        }
    }
}

/// What a NetBox release (and the social-core it pins) can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NetBoxCapabilities {
    pub netbox: Version,
    pub social_core: Version,
    /// `SOCIAL_AUTH_OIDC_USE_PKCE` exists (social-core ≥ 4.8.7, NetBox ≥ 4.5.9; C1).
    pub oidc_pkce: bool,
    /// `SOCIAL_AUTH_OIDC_JWT_LEEWAY` exists (social-core ≥ 4.7.0); before that PyJWT's leeway is 0.
    pub jwt_leeway: bool,
    /// `SOCIAL_AUTH_BACKEND_ATTRS` renames the button (NetBox ≥ 4.0.9; C9).
    pub backend_attrs: bool,
    /// `REMOTE_AUTH_BACKEND` may be a list (NetBox ≥ 3.4.8).
    pub backend_list: bool,
    /// social-core 4.3.0 puts `groups` into user details and breaks Django (C14).
    pub needs_protected_groups: bool,
    pub login_style: LoginStyle,
    /// The pinned social-core is newer than the table knows (NetBox newer than nbsso).
    pub beyond_known: bool,
}

impl NetBoxCapabilities {
    /// `None` for a NetBox older than [`NETBOX_OLDEST`].
    pub fn of(netbox: Version) -> Option<Self> {
        let release = NETBOX_RELEASES
            .iter()
            .rev()
            .find(|r| r.netbox_from <= netbox)?;
        let sc = release.social_core;
        let login_style = if netbox >= v(4, 7, 1) {
            LoginStyle::PostBegin
        } else if netbox >= v(4, 7, 0) {
            LoginStyle::PostLogin
        } else {
            LoginStyle::GetLink
        };
        Some(Self {
            netbox,
            social_core: sc,
            oidc_pkce: sc >= v(4, 8, 7),
            jwt_leeway: sc >= v(4, 7, 0),
            backend_attrs: netbox >= v(4, 0, 9),
            backend_list: netbox >= v(3, 4, 8),
            needs_protected_groups: sc.major == 4 && sc.minor == 3,
            login_style,
            beyond_known: netbox > NETBOX_NEWEST_KNOWN,
        })
    }
}

/// Which `kanidm` CLI syntax a Kanidm release has (C5–C8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KanidmCapabilities {
    pub version: Version,
    /// `create` sets `oauth2_strict_redirect_uri` itself (1.4.0+); 1.3 needs `enable-strict-redirect-url`.
    pub strict_redirect_by_default: bool,
    /// `reset-basic-secret` (1.6.0+); before it was `reset-secrets`.
    pub reset_basic_secret: bool,
    /// Connection flags such as `--name` are global (1.8.0+); before they follow the subcommand.
    pub global_flags: bool,
    /// `disable-consent-prompt` / `enable-consent-prompt` (1.9.0+).
    pub consent_prompt_toggle: bool,
    pub beyond_known: bool,
}

impl KanidmCapabilities {
    /// `None` for a Kanidm older than [`KANIDM_OLDEST`].
    pub fn of(version: Version) -> Option<Self> {
        if version < KANIDM_OLDEST {
            return None;
        }
        Some(Self {
            version,
            strict_redirect_by_default: version >= v(1, 4, 0),
            reset_basic_secret: version >= v(1, 6, 0),
            global_flags: version >= v(1, 8, 0),
            consent_prompt_toggle: version >= v(1, 9, 0),
            beyond_known: version > KANIDM_NEWEST_KNOWN,
        })
    }

    /// What the generated `kanidm` commands would get wrong if written for `self` but run with a
    /// release that has `other`'s syntax, in words; empty when both take the same commands.
    pub fn syntax_differences(&self, other: &KanidmCapabilities) -> Vec<&'static str> {
        let mut differ = Vec::new();
        if self.strict_redirect_by_default != other.strict_redirect_by_default {
            differ.push("whether create makes redirect URLs strict (1.4.0)");
        }
        if self.reset_basic_secret != other.reset_basic_secret {
            differ.push("reset-basic-secret versus reset-secrets (1.6.0)");
        }
        if self.global_flags != other.global_flags {
            differ.push("where --name goes (1.8.0)");
        }
        if self.consent_prompt_toggle != other.consent_prompt_toggle {
            differ.push("the consent prompt switch (1.9.0)");
        }
        differ
    }

    pub fn reset_secret_command(&self) -> &'static str {
        if self.reset_basic_secret {
            "reset-basic-secret"
        } else {
            "reset-secrets"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(text: &str) -> NetBoxCapabilities {
        NetBoxCapabilities::of(text.parse().unwrap()).unwrap()
    }

    #[test]
    fn serialises_as_text() {
        assert_eq!(serde_json::to_string(&v(4, 7, 3)).unwrap(), "\"4.7.3\"");
    }

    #[test]
    fn parses_release_numbers() {
        assert_eq!("4.7.3".parse::<Version>().unwrap(), v(4, 7, 3));
        assert_eq!("v1.11".parse::<Version>().unwrap(), v(1, 11, 0));
        for bad in ["", "4", "4.x", "4.7.3.1", "4..3", "-1.2.3", "4.7.3-beta"] {
            assert!(bad.parse::<Version>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn netbox_pins_follow_the_requirements_history() {
        assert_eq!(nb("4.7.3").social_core, v(5, 2, 0));
        assert_eq!(nb("4.5.2").social_core, v(4, 8, 3));
        assert_eq!(nb("4.5.9").social_core, v(4, 8, 7));
        assert_eq!(nb("4.0.8").social_core, v(4, 5, 4));
        assert_eq!(nb("3.4.0").social_core, v(4, 3, 0));
        assert!(NetBoxCapabilities::of(v(3, 0, 12)).is_none());
    }

    #[test]
    fn pkce_starts_with_netbox_4_5_9() {
        assert!(!nb("4.5.8").oidc_pkce);
        assert!(nb("4.5.9").oidc_pkce);
        assert!(nb("4.7.3").oidc_pkce);
    }

    #[test]
    fn feature_boundaries() {
        assert!(!nb("4.0.8").backend_attrs);
        assert!(nb("4.0.9").backend_attrs);
        assert!(!nb("3.4.7").backend_list);
        assert!(nb("3.4.8").backend_list);
        assert!(!nb("4.3.3").jwt_leeway);
        assert!(nb("4.3.4").jwt_leeway);
        assert!(nb("3.3.0").needs_protected_groups);
        assert!(!nb("3.4.7").needs_protected_groups);
        assert_eq!(nb("4.6.8").login_style, LoginStyle::GetLink);
        assert_eq!(nb("4.7.0").login_style, LoginStyle::PostLogin);
        assert_eq!(nb("4.7.1").login_style, LoginStyle::PostBegin);
        assert!(nb("4.8.0").beyond_known);
    }

    #[test]
    fn syntax_differences_name_each_release_boundary_crossed() {
        let k = |t: &str| KanidmCapabilities::of(t.parse().unwrap()).unwrap();
        assert!(k("1.11.1").syntax_differences(&k("1.11.2")).is_empty());
        assert!(k("1.11.1").syntax_differences(&k("1.9.0")).is_empty());
        assert_eq!(
            k("1.11.1").syntax_differences(&k("1.7.3")),
            [
                "where --name goes (1.8.0)",
                "the consent prompt switch (1.9.0)"
            ]
        );
        assert_eq!(k("1.3.0").syntax_differences(&k("1.11.1")).len(), 4);
    }

    #[test]
    fn kanidm_cli_syntax_by_version() {
        let k = |t: &str| KanidmCapabilities::of(t.parse().unwrap());
        assert!(k("1.2.3").is_none());
        assert!(!k("1.3.0").unwrap().strict_redirect_by_default);
        assert!(k("1.4.0").unwrap().strict_redirect_by_default);
        assert_eq!(k("1.5.0").unwrap().reset_secret_command(), "reset-secrets");
        assert_eq!(
            k("1.6.0").unwrap().reset_secret_command(),
            "reset-basic-secret"
        );
        assert!(!k("1.7.2").unwrap().global_flags);
        assert!(k("1.8.0").unwrap().global_flags);
        assert!(!k("1.8.5").unwrap().consent_prompt_toggle);
        assert!(k("1.9.0").unwrap().consent_prompt_toggle);
    }
}
