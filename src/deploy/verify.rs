//! The last step of a patch: the patched files read back must parse and resolve to the plan.

use super::patch::{PatchError, PatchOutcome};
use super::{Deployment, Source, diff};
use crate::generate::netbox_settings::Item;
use crate::plan::Plan;
use crate::pyconf::Value;

/// Re-reads the patched files: every one must parse, and the settings must resolve to what the
/// plan asks for. Then the diffs are made, with the secrets of both versions hidden.
pub(super) fn verify(
    plan: &Plan,
    dep: &Deployment,
    items: &[Item],
    sources: Vec<Source>,
    out: &mut PatchOutcome,
) -> Result<(), PatchError> {
    // The sources keep the load order; a new netbox-docker file sorts after every other one.
    // Parsing them again is the syntax check: nothing is written unless every one parses.
    let after = Deployment::from_sources(sources, dep.config_dir.clone()).map_err(|e| {
        PatchError::Invalid {
            path: e.path,
            error: crate::pyconf::SyntaxError {
                line: e.line,
                column: e.column,
                message: e
                    .message
                    .trim_start_matches("not valid Python: ")
                    .to_string(),
            },
        }
    })?;
    let found = super::detect::detect(&after);
    for item in items {
        let Item::Setting(s) = item else { continue };
        let Some(r) = found.get(&s.name) else {
            return Err(PatchError::Verify(format!(
                "after the patch {} is not set",
                s.name
            )));
        };
        let ok = match &s.value {
            Some(expected) => r.value.as_ref().is_some_and(|v| same(v, expected)),
            None => r.written.describe() == s.expr,
        };
        // A condition may remain around an environment read whose value nbsso changed.
        if !ok {
            return Err(PatchError::Verify(format!(
                "after the patch {} would be {} (from {}), not what the plan asks for",
                s.name,
                r.shown(),
                r.origin
            )));
        }
    }
    let _ = plan;
    for patch in &mut out.files {
        let (old_spans, old_values) = dep
            .files
            .iter()
            .find(|f| f.path == patch.path)
            .map(|f| f.secrets())
            .unwrap_or_default();
        let (new_spans, new_values) = after
            .files
            .iter()
            .find(|f| f.path == patch.path)
            .map(|f| f.secrets())
            .unwrap_or_default();
        let mut values = old_values;
        values.extend(new_values);
        let old = patch.old.clone().unwrap_or_default();
        let hide_old = diff::secret_lines(&old, &old_spans, &values);
        let hide_new = diff::secret_lines(&patch.new, &new_spans, &values);
        let label = patch.path.display().to_string();
        let old_label = if patch.old.is_some() {
            label.clone()
        } else {
            "/dev/null".into()
        };
        patch.diff = diff::unified(&old_label, &label, &old, &patch.new, &hide_old, &hide_new);
    }
    Ok(())
}

/// Values compare by content: a str equals a one-element list (NetBox wraps a str), tuples equal lists.
pub(super) fn same(found: &Value, expected: &Value) -> bool {
    match (found.as_str_list(), expected.as_str_list()) {
        (Some(a), Some(b)) if !matches!(expected, Value::Dict { .. }) => a == b,
        _ => normalise(found) == normalise(expected),
    }
}

fn normalise(v: &Value) -> Value {
    match v {
        Value::List { items, .. } => Value::List {
            items: items.iter().map(normalise).collect(),
            tuple: false,
        },
        Value::Dict { items } => Value::Dict {
            items: items
                .iter()
                .map(|(k, v)| (normalise(k), normalise(v)))
                .collect(),
        },
        Value::Json { value } => normalise(value),
        other => other.clone(),
    }
}
