//! What a plan can take from a read deployment: the configuration module of a single file, and
//! the old scopes Kanidm can map. `nbsso import --plan-out` and the wizard's Source screen both
//! prefill from here.

use super::detect::Findings;
use super::{Deployment, Role, Shape};
use crate::plan::{DEFAULT_SCOPES, fields};

/// Scopes only the old identity provider knows; carried over they would break Kanidm's scope map.
const IDP_ONLY_SCOPES: [&str; 6] = [
    "roles",
    "offline_access",
    "web-origins",
    "microprofile-jwt",
    "acr",
    "goauthentik.io/api",
];

/// The plan values a deployment suggests, and why an old scope was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefill {
    /// `netbox.configuration`: the configuration module of a single-file deployment.
    pub configuration: Option<String>,
    /// `kanidm.extra_scopes`: the old scopes beyond the default ones that Kanidm can map.
    pub extra_scopes: Vec<String>,
    /// One line per old scope not carried over.
    pub notes: Vec<String>,
}

pub fn prefill(dep: &Deployment, f: &Findings) -> Prefill {
    let mut out = Prefill::default();
    if f.shape == Shape::ConfigurationPy
        && let Some(file) = dep
            .files
            .iter()
            .rev()
            .find(|x| x.role == Role::Configuration)
    {
        out.configuration = Some(file.path.display().to_string());
    }
    for scope in f.scopes.iter().flatten() {
        if DEFAULT_SCOPES.contains(&scope.as_str()) {
            continue;
        }
        if IDP_ONLY_SCOPES.contains(&scope.as_str()) || fields::scope(scope).is_err() {
            out.notes.push(format!(
                "the old scope {scope:?} is not carried over: Kanidm has no such scope unless you map one"
            ));
        } else {
            out.extra_scopes.push(scope.clone());
        }
    }
    out
}
