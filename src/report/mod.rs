//! `nbsso report`: what someone needs to help with a failing setup, safe to paste into a forum post
//! or an issue. [`model::build`] arranges what was gathered; [`finish`] passes every string through
//! the [`redact::Scrubber`] (and the [`redact::Anonymiser`] with `--anonymise`); both output forms
//! are rendered from that finished data, and the Markdown is scrubbed once more, line by line.

pub mod import;
mod markdown;
mod model;
pub mod redact;

pub use import::{ImportOutcome, ImportedSso, Importer, SettingValue, import, is_secret_name};
pub use model::{
    CheckInput, CheckRow, ClientInput, Gathered, PlanInput, Report, VersionRow, build,
};
pub use redact::{Anonymiser, REDACTED, Scrubber};

use serde_json::Value;

fn each_string(value: &mut Value, f: &mut impl FnMut(&mut String)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter_mut().for_each(|v| each_string(v, f)),
        Value::Object(map) => map.values_mut().for_each(|v| each_string(v, f)),
        _ => {}
    }
}

/// Takes every secret out of the report and, with `anonymise` (the NetBox and Kanidm hosts to name
/// first), every host name and address. The mapping is learned from the whole report before it is
/// applied, so each host has one stand-in everywhere.
pub fn finish(
    report: &Report,
    scrubber: &Scrubber,
    anonymise: Option<Anonymiser>,
) -> Result<Report, String> {
    let mut value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    each_string(&mut value, &mut |s| *s = scrubber.scrub(s));
    if let Some(mut anonymiser) = anonymise {
        each_string(&mut value, &mut |s| anonymiser.learn(s));
        anonymiser.settle();
        each_string(&mut value, &mut |s| *s = anonymiser.apply(s));
        if let Some(flag) = value.get_mut("anonymised") {
            *flag = Value::Bool(true);
        }
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// The finished report as Markdown, scrubbed once more line by line.
pub fn to_markdown(report: &Report, scrubber: &Scrubber) -> String {
    markdown::render(report)
        .lines()
        .map(|line| scrubber.scrub(line))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The finished report as JSON.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}
