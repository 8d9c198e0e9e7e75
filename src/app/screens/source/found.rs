//! What a read of NetBox's configuration found, as the Source screen shows it: built once from
//! the deployment and its findings (the runtime calls [`Found::new`] off the loop), with file
//! names shortened to the directory the deployment sits in. It holds no file contents and no
//! secret: every value comes through [`Resolved::shown`], which redacts them.

use crate::deploy::detect::{Findings, Provider, Resolved};
use crate::deploy::prefill::{self, Prefill};
use crate::deploy::{Deployment, Shape, common_dir};
use std::path::{Path, PathBuf};

/// One file of the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// The path under [`Found::base`].
    pub name: String,
    pub role: &'static str,
    /// Why nbsso will not change it, if it will not.
    pub not_patchable: Option<String>,
}

/// One setting of the old login: its name, its value (`<redacted>` for secrets) and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSetting {
    pub name: String,
    pub value: String,
    pub source: String,
}

/// The summary of one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub shape: Shape,
    pub provider: Provider,
    /// The directory the file names are relative to.
    pub base: PathBuf,
    /// Where the provider was told from: file:line, with the env variable.
    pub told_from: Vec<String>,
    pub files: Vec<FoundFile>,
    /// Scopes, user name and id keys, button, logout URL and pipeline, each in one line.
    pub summary: Vec<(&'static str, String)>,
    /// The old login's `SOCIAL_AUTH_*` settings, as NetBox resolves them.
    pub settings: Vec<FoundSetting>,
    /// What to look at: dead settings, associate_by_email, custom pipeline steps, guesses.
    pub warnings: Vec<String>,
    /// The generic OIDC backend's endpoint, for the question "which provider is this?".
    pub endpoint: Option<String>,
    /// The endpoint already is a Kanidm issuer.
    pub already_kanidm: bool,
    /// What the plan can take from it (never over what the user typed).
    pub prefill: Prefill,
}

/// Settings shown in the summary instead of the list.
const SUMMARISED: [&str; 2] = ["SOCIAL_AUTH_PIPELINE", "SOCIAL_AUTH_BACKEND_ATTRS"];

impl Found {
    pub fn new(dep: &Deployment, findings: &Findings) -> Self {
        let base = common_dir(dep.files.iter().map(|f| f.path.as_path()));
        let short = |text: String| shorten(&base, text);
        let told_from = told_from(findings).into_iter().map(&short).collect();
        let files = dep
            .files
            .iter()
            .map(|f| FoundFile {
                name: short(f.path.display().to_string()),
                role: f.role.label(),
                not_patchable: f.not_patchable(),
            })
            .collect();
        let settings = findings
            .settings
            .iter()
            .filter(|s| {
                s.name.starts_with("SOCIAL_AUTH_") && !SUMMARISED.contains(&s.name.as_str())
            })
            .map(|s| FoundSetting {
                name: s.name.clone(),
                value: s.shown(),
                source: short(source(s)),
            })
            .collect();
        let warnings = findings
            .warnings
            .iter()
            .map(|w| match &w.source {
                Some(source) => short(format!("{} ({source})", w.message)),
                None => w.message.clone(),
            })
            .collect();
        let endpoint = [
            "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT",
            "SOCIAL_AUTH_OIDC_ENDPOINT",
        ]
        .iter()
        .find_map(|name| findings.get(name))
        .filter(|r| !r.secret)
        .and_then(|r| r.value.as_ref())
        .and_then(|v| v.as_str().map(str::to_string));
        Self {
            shape: findings.shape,
            provider: findings.provider,
            told_from,
            files,
            summary: summary(findings),
            settings,
            warnings,
            endpoint,
            already_kanidm: findings.already_kanidm,
            prefill: prefill::prefill(dep, findings),
            base,
        }
    }
}

/// `configuration.py:171`, or `env/netbox.env:3 (REMOTE_AUTH_BACKEND), read by …:290`.
fn source(r: &Resolved) -> String {
    match &r.env {
        Some(env) => format!(
            "{env}, read by {}:{}",
            r.origin.file.display(),
            r.origin.line
        ),
        None => r.origin.to_string(),
    }
}

/// The settings the provider was told from: the backend, and the endpoint of a generic OIDC one.
fn told_from(findings: &Findings) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = findings.get("REMOTE_AUTH_BACKEND") {
        out.push(format!("REMOTE_AUTH_BACKEND at {}", source(r)));
    }
    if !matches!(findings.provider, Provider::Keycloak | Provider::None) {
        for name in [
            "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT",
            "SOCIAL_AUTH_OIDC_ENDPOINT",
        ] {
            if let Some(r) = findings.get(name) {
                out.push(format!("{name} at {}", source(r)));
                break;
            }
        }
    }
    out
}

fn summary(f: &Findings) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(backends) = &f.backends {
        out.push(("Backends", backends.join(", ")));
    }
    let plain = [
        ("Scopes", f.scopes.as_ref().map(|s| s.join(" "))),
        ("USERNAME_KEY", f.username_key.clone()),
        ("ID_KEY", f.id_key.clone()),
        ("Button", f.button_label.clone()),
        ("Logout", f.logout_url.clone()),
    ];
    out.extend(plain.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    if let Some(p) = &f.pipeline {
        let mut text = format!("{} steps", p.steps.len());
        if !p.custom.is_empty() {
            text.push_str(&format!("; custom: {}", p.custom.join(", ")));
        }
        if p.associate_by_email {
            text.push_str("; associate_by_email");
        }
        out.push(("Pipeline", text));
    }
    out
}

/// Every mention of a path under `base` written relative to it.
fn shorten(base: &Path, text: String) -> String {
    let prefix = base.display().to_string();
    if prefix.is_empty() {
        return text;
    }
    text.replace(&format!("{prefix}/"), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_relative_to_the_deepest_common_directory() {
        let paths = [
            Path::new("/srv/nb/configuration/configuration.py"),
            Path::new("/srv/nb/configuration/extra.py"),
            Path::new("/srv/nb/env/netbox.env"),
        ];
        let base = common_dir(paths.iter().copied());
        assert_eq!(base, Path::new("/srv/nb"));
        assert_eq!(
            shorten(
                &base,
                "/srv/nb/env/netbox.env:3 (X), read by /srv/nb/configuration/extra.py:9".into()
            ),
            "env/netbox.env:3 (X), read by configuration/extra.py:9"
        );
        let lone = common_dir([Path::new("configuration.py")].into_iter());
        assert_eq!(
            shorten(&lone, "configuration.py:4".into()),
            "configuration.py:4"
        );
    }
}
