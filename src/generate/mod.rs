//! Generators: pure functions from a [`Plan`] to the contents of every output file.

mod checklist;
mod kanidm_script;
pub mod netbox_settings;
mod redact;
pub mod user_migration;
pub mod writer;

pub use checklist::checklist;
pub use kanidm_script::{setup_script, undo_script};
pub use netbox_settings::{SECRET_ENV, netbox_settings};

use crate::plan::Plan;
use serde::Serialize;

/// How a file must be protected on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// Plain text, 0644.
    Text,
    /// A script to run, 0755.
    Script,
    /// Holds a secret, 0600.
    Secret,
}

impl FileKind {
    pub fn mode(self) -> u32 {
        match self {
            Self::Text => 0o644,
            Self::Script => 0o755,
            Self::Secret => 0o600,
        }
    }
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub name: &'static str,
    pub kind: FileKind,
    pub contents: String,
    pub purpose: &'static str,
}

/// Every file the plan produces, in the order a user needs them.
pub fn generate(plan: &Plan) -> Vec<GeneratedFile> {
    let mut files = vec![
        GeneratedFile {
            name: "CHECKLIST.md",
            kind: FileKind::Text,
            contents: checklist(plan),
            purpose: "the steps in order, how to verify, and what changes for users",
        },
        GeneratedFile {
            name: "kanidm-setup.sh",
            kind: FileKind::Script,
            contents: setup_script(plan),
            purpose: "creates the OAuth2 client, group and scope map in Kanidm; saves the secret 0600",
        },
        GeneratedFile {
            name: "kanidm-undo.sh",
            kind: FileKind::Script,
            contents: undo_script(plan),
            purpose: "reverses what kanidm-setup.sh changed",
        },
        GeneratedFile {
            name: "netbox-sso.py",
            kind: FileKind::Text,
            contents: netbox_settings(plan),
            purpose: "the settings block for NetBox's configuration.py",
        },
    ];
    if let Some(contents) = user_migration::unmatched_script(plan) {
        files.push(GeneratedFile {
            name: user_migration::SCRIPT_FILE,
            kind: FileKind::Text,
            contents,
            purpose: "links NetBox users to their Kanidm persons, run inside NetBox (export first)",
        });
    }
    files
}
