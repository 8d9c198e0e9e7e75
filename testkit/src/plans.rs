//! Example plans and check runs shared by the integration tests.

use nbsso::checks::{self, CheckId, Finding, Options};
use nbsso::plan::PlanDraft;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// One of the plans in `examples/`, as a draft a test can edit.
pub fn example_draft(name: &str) -> PlanDraft {
    let path = crate::fixtures::example(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    PlanDraft::from_toml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An example plan pointed at a test IdP (`origin`, trusted through `ca_pem`), with the client
/// secret in `dir/kanidm-oidc-secret` as kanidm-setup.sh writes it.
pub fn example_draft_for_idp(
    name: &str,
    origin: String,
    ca_pem: &Path,
    dir: &Path,
    secret: &str,
) -> PlanDraft {
    let mut draft = example_draft(name);
    draft.kanidm.origin = origin;
    draft.tls.ca_file = ca_pem.display().to_string();
    let secret_file = dir.join("kanidm-oidc-secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    draft.netbox.secret_file = secret_file.display().to_string();
    draft
}

/// Runs the selected checks to the end on a fresh runtime.
pub fn run_checks(
    plan: nbsso::plan::Plan,
    ids: &[CheckId],
    timeout: Duration,
) -> Vec<(CheckId, Finding)> {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let options = Options {
        only: Some(ids.iter().copied().collect::<BTreeSet<_>>()),
        timeout,
        ..Options::default()
    };
    rt.block_on(checks::run_to_end(Arc::new(plan), options))
}

/// The finding of `id`, which must have been reported.
pub fn finding(results: &[(CheckId, Finding)], id: CheckId) -> &Finding {
    &results
        .iter()
        .find(|(i, _)| *i == id)
        .unwrap_or_else(|| panic!("{id:?} missing: {results:#?}"))
        .1
}
