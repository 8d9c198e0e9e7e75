//! The Helm values diff: `remoteAuth.backends`, `logoutRedirectUrl` and the settings under
//! `extraConfig[].values`, edited line by line where saphyr found them; the client secret goes
//! into a Kubernetes Secret the chart loads, never into values.

use super::detect::{Findings, Winner};
use super::helm::{HelmValues, yaml_string};
use super::patch::{FilePatch, Instruction, PatchError, PatchOutcome};
use super::splice::{Edit, apply, line_ending, with_line_ending};
use super::{Deployment, diff};
use crate::generate::netbox_settings::Item;
use crate::plan::Plan;
use crate::pyconf::Value;

fn yaml_value(value: &Value, indent: usize) -> String {
    match value {
        Value::Str { value } => format!(" {}\n", yaml_string(value)),
        Value::Bool { value } => format!(" {value}\n"),
        Value::Int { value } => format!(" {value}\n"),
        Value::List { items, .. } if items.iter().all(|i| i.as_str().is_some()) => {
            let mut out = String::from("\n");
            for i in items {
                out.push_str(&format!(
                    "{}- {}\n",
                    " ".repeat(indent + 2),
                    yaml_string(i.as_str().unwrap_or_default())
                ));
            }
            out
        }
        other => format!(" {}\n", other.to_json()),
    }
}

fn entry(key: &str, value: &Value, indent: usize) -> String {
    format!("{}{key}:{}", " ".repeat(indent), yaml_value(value, indent))
}

pub(super) fn plan(
    plan: &Plan,
    dep: &Deployment,
    findings: &Findings,
    items: &[Item],
    mut out: PatchOutcome,
) -> Result<PatchOutcome, PatchError> {
    let Some((index, file, helm)) =
        dep.files
            .iter()
            .enumerate()
            .find_map(|(i, f)| match &f.content {
                super::Content::Helm(h) => Some((i, f, h)),
                _ => None,
            })
    else {
        return Ok(out);
    };
    let mut edits = Vec::new();
    let mut inserted = String::new();
    let mut manual = Vec::new();
    let names: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Setting(s) => Some(s.name.as_str()),
            _ => None,
        })
        .collect();
    for item in items {
        let Item::Setting(s) = item else { continue };
        let Some(value) = &s.value else {
            out.instructions.push(secret_instruction(plan, &s.name));
            continue;
        };
        let found = findings.get(&s.name).and_then(|r| match r.winner {
            Winner::Helm { file, setting } if file == index => helm.settings.get(setting),
            _ => None,
        });
        match found {
            Some(h)
                if !h.yaml_path.starts_with("stringData") && !h.yaml_path.starts_with("data.") =>
            {
                let key = h.yaml_path.rsplit('.').next().unwrap_or(&s.name);
                let new = entry(key, value, h.indent);
                if h.value.as_str_list() != value.as_str_list()
                    || !matches!(value, Value::Str { .. } | Value::List { .. })
                {
                    edits.push(Edit {
                        range: h.lines.clone(),
                        text: new,
                    });
                }
            }
            Some(h) => manual.push(format!(
                "{} (in {}, line {}): {}",
                s.name, h.yaml_path, h.line, s.expr
            )),
            None if s.name == "LOGOUT_REDIRECT_URL" => {} // the chart's default is 'home'
            None if s.name == "REMOTE_AUTH_BACKEND" => {
                if has_top_level_key(&file.text, "remoteAuth") {
                    manual.push(format!("remoteAuth.backends: {}", value.to_json()));
                } else {
                    inserted.push_str(&format!("remoteAuth:\n{}", entry("backends", value, 2)));
                }
            }
            None => match helm.values_block {
                Some((_, _, indent)) => {
                    edits_insert(&mut edits, helm, &entry(&s.name, value, indent));
                }
                None => manual.push(format!("{}: {}", s.name, value.to_json())),
            },
        }
    }
    // Stale settings of the old login in the values.
    for h in &helm.settings {
        if h.yaml_path.starts_with("extraConfig[")
            && !names.contains(&h.name.as_str())
            && stale(plan, &h.name)
        {
            edits.push(Edit {
                range: h.lines.clone(),
                text: String::new(),
            });
        }
    }
    if !manual.is_empty() {
        out.instructions.push(Instruction {
            title: format!("Settings to set by hand in {}", file.path.display()),
            text: format!(
                "nbsso could not place these in the values (they sit in a Secret/ConfigMap manifest, or there is no extraConfig values entry):\n  {}",
                manual.join("\n  ")
            ),
        });
    }
    let eol = line_ending(&file.text);
    if !inserted.is_empty() {
        let mut text = String::new();
        if !file.text.ends_with('\n') {
            text.push_str(eol);
        }
        text.push_str(&with_line_ending(&inserted, eol));
        edits.push(Edit {
            range: file.text.len()..file.text.len(),
            text,
        });
    }
    let edits: Vec<Edit> = edits
        .into_iter()
        .map(|e| Edit {
            text: with_line_ending(&e.text, eol),
            ..e
        })
        .collect();
    let new = apply(&file.text, &edits);
    if new != file.text {
        let after = HelmValues::parse(&new).map_err(|e| {
            PatchError::Verify(format!(
                "{}:{}:{}: the patched values would not be valid YAML: {}",
                file.path.display(),
                e.line,
                e.column,
                e.message
            ))
        })?;
        let (old_spans, mut values) = file.secrets();
        values.extend(after.secret_values.clone());
        let hide_old = diff::secret_lines(&file.text, &old_spans, &values);
        let hide_new = diff::secret_lines(&new, &after.secret_spans, &values);
        let label = file.path.display().to_string();
        out.files.push(FilePatch {
            path: file.path.clone(),
            role: file.role,
            old: Some(file.text.clone()),
            diff: diff::unified(&label, &label, &file.text, &new, &hide_old, &hide_new),
            new,
        });
    }
    out.notes.push("Helm: the chart builds configuration.py from these values; apply them with `helm upgrade … -f <values>`".into());
    Ok(out)
}

fn edits_insert(edits: &mut Vec<Edit>, helm: &HelmValues, text: &str) {
    if let Some((_, end, _)) = helm.values_block {
        edits.push(Edit {
            range: end..end,
            text: text.to_string(),
        });
    }
}

fn has_top_level_key(text: &str, key: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

fn stale(plan: &Plan, name: &str) -> bool {
    plan.deployment.stage == crate::plan::Stage::Kanidm
        && match plan.source {
            crate::plan::SourceIdp::Keycloak => name.starts_with("SOCIAL_AUTH_KEYCLOAK_"),
            crate::plan::SourceIdp::None => false,
            _ => name.starts_with("SOCIAL_AUTH_OIDC_"),
        }
}

fn secret_instruction(plan: &Plan, name: &str) -> Instruction {
    let k = &plan.kanidm;
    Instruction {
        title: format!("{name}: a Kubernetes Secret, not a value"),
        text: format!(
            "Values files are not secret. After kanidm-setup.sh, put the client secret into a Secret the chart loads:\n\
             \n  kubectl create secret generic netbox-kanidm \\\n    --from-literal=kanidm.yaml=\"{name}: $(kanidm system oauth2 show-basic-secret {} --name {})\"\n\
             \nand list it under extraConfig in the values:\n\
             \n  extraConfig:\n    - secret:\n        secretName: netbox-kanidm\n",
            k.client, k.admin
        ),
    }
}
