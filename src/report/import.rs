//! What `nbsso report --import PATH` shows about the single sign-on a NetBox configuration has today.
//!
//! Reading NetBox's configuration (configuration.py, env files, Helm values) and detecting the old
//! single sign-on belong to `nbsso import`; the report only needs what it found, through
//! [`ImportedSso`]. Until a reader is plugged in ([`Importer`]), the report lists each path as not
//! read and says why, and never opens the file.

use crate::secret::Secret;
use std::path::{Path, PathBuf};

/// One setting found in the configuration, as the report may show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// A value that may be shown (host names are still subject to `--anonymise`).
    Text(String),
    /// A secret (client secret, SECRET_KEY, a password): shown as `<redacted>`.
    Secret(Secret),
}

/// What reading one configuration found.
pub trait ImportedSso {
    /// The file that was read.
    fn path(&self) -> &Path;
    /// The single sign-on configured there, in words (`Keycloak (social_core.backends.keycloak.KeycloakOAuth2)`),
    /// or `None` when there is none.
    fn old_sso(&self) -> Option<String>;
    /// The settings that matter for single sign-on, in the file's order.
    fn settings(&self) -> Vec<(String, SettingValue)>;
    /// What the reader could not make sense of.
    fn notes(&self) -> Vec<String>;
}

/// Reads one configuration; the error is a sentence for the report.
pub type Importer = fn(&Path) -> Result<Box<dyn ImportedSso>, String>;

/// Names whose values are secrets whatever the reader says: NetBox's `SECRET_KEY`, every
/// `*_SECRET`, passwords, tokens and private keys. Client ids (`SOCIAL_AUTH_*_KEY`) and public keys
/// are not secrets.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("PUBLIC_KEY") {
        return false;
    }
    [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "PEPPER",
        "PRIVATE",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| upper.contains(word))
        || (upper.ends_with("_KEY") && !upper.starts_with("SOCIAL_AUTH_"))
        || upper == "KEY"
}

/// The report's view of one `--import` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub path: PathBuf,
    pub old_sso: Option<String>,
    /// `(name, value)`, secrets already `<redacted>`.
    pub settings: Vec<(String, String)>,
    pub notes: Vec<String>,
}

/// Reads `path` with `importer`, or says why it was not read.
pub fn import(path: &Path, importer: Option<Importer>) -> ImportOutcome {
    let not_read = |note: String| ImportOutcome {
        path: path.to_path_buf(),
        old_sso: None,
        settings: Vec::new(),
        notes: vec![note],
    };
    let Some(importer) = importer else {
        return not_read(
            "not read: detecting the old single sign-on in a NetBox configuration comes with `nbsso import`, which this build lacks".into(),
        );
    };
    match importer(path) {
        Ok(found) => ImportOutcome {
            path: found.path().to_path_buf(),
            old_sso: found.old_sso(),
            settings: found
                .settings()
                .into_iter()
                .map(|(name, value)| {
                    let shown = match value {
                        SettingValue::Text(text) if !is_secret_name(&name) => text,
                        _ => "<redacted>".to_string(),
                    };
                    (name, shown)
                })
                .collect(),
            notes: found.notes(),
        },
        Err(e) => not_read(format!("not read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader of a Keycloak-era configuration.py would hand over.
    struct KeycloakConfig;

    impl ImportedSso for KeycloakConfig {
        fn path(&self) -> &Path {
            Path::new("/opt/netbox/netbox/netbox/configuration.py")
        }
        fn old_sso(&self) -> Option<String> {
            Some("Keycloak (social_core.backends.keycloak.KeycloakOAuth2)".into())
        }
        fn settings(&self) -> Vec<(String, SettingValue)> {
            vec![
                (
                    "SOCIAL_AUTH_KEYCLOAK_KEY".into(),
                    SettingValue::Text("netbox".into()),
                ),
                (
                    "SOCIAL_AUTH_KEYCLOAK_SECRET".into(),
                    SettingValue::Secret(Secret::new("kc-secret-1")),
                ),
                // A reader that missed a secret: the name still hides it.
                (
                    "SECRET_KEY".into(),
                    SettingValue::Text("django-secret-2".into()),
                ),
                (
                    "SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY".into(),
                    SettingValue::Text("MIIBIjAN".into()),
                ),
            ]
        }
        fn notes(&self) -> Vec<String> {
            vec!["SOCIAL_AUTH_KEYCLOAK_SECRET comes from os.environ".into()]
        }
    }

    fn read_keycloak(_: &Path) -> Result<Box<dyn ImportedSso>, String> {
        Ok(Box::new(KeycloakConfig))
    }

    #[test]
    fn imported_secrets_are_redacted_by_value_and_by_name() {
        let found = import(Path::new("configuration.py"), Some(read_keycloak));
        assert_eq!(
            found.old_sso.as_deref(),
            Some("Keycloak (social_core.backends.keycloak.KeycloakOAuth2)")
        );
        assert_eq!(
            found.settings,
            [
                ("SOCIAL_AUTH_KEYCLOAK_KEY".to_string(), "netbox".to_string()),
                ("SOCIAL_AUTH_KEYCLOAK_SECRET".into(), "<redacted>".into()),
                ("SECRET_KEY".into(), "<redacted>".into()),
                ("SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY".into(), "MIIBIjAN".into()),
            ]
        );
        let missing = import(Path::new("configuration.py"), None);
        assert!(missing.settings.is_empty());
        assert!(missing.notes[0].contains("comes with `nbsso import`"));
        let failed = import(
            Path::new("x.py"),
            Some(|_| Err("not Python: line 3".into())),
        );
        assert_eq!(failed.notes, ["not read: not Python: line 3"]);
    }
}
