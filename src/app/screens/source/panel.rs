//! The Source screen's panel, as text: what the read of NetBox's configuration found (or why it
//! could not read it), and what the answers make of it. Each line has a tone the view turns into
//! a style; a line's leading spaces indent its wrapped rest. The view draws these lines and the
//! screen scrolls them, both wrapping them the same way ([`rows`]).

use super::{Found, Read, SourceScreen, backend_offer};
use crate::app::screens::form::Answers;
use crate::deploy::detect::Provider;
use crate::plan::SourceIdp;
use unicode_width::UnicodeWidthChar;

/// How a line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Dim,
    Ok,
    Warn,
    Fail,
}

/// The panel's lines.
pub fn lines(screen: &SourceScreen, answers: &Answers) -> Vec<(String, Tone)> {
    let mut lines = Vec::new();
    if let Some(offer) = backend_offer(answers) {
        lines.push((format!("! {offer}"), Tone::Warn));
    }
    if let Read::Found(found) = &screen.read {
        let said = found.provider.source();
        let chosen = SourceIdp::parse(&answers.draft.source);
        if chosen != Some(said) {
            lines.push((
                format!(
                    "! The files say {}, the choice above says {}: nbsso follows the choice above.",
                    said.label(),
                    chosen.map_or("nothing", SourceIdp::label)
                ),
                Tone::Warn,
            ));
        }
    }
    if matches!(screen.read, Read::Nothing) && !answers.draft.deployment.paths.is_empty() {
        lines.push((
            "NetBox's configuration is read once the path (and env file) above are valid.".into(),
            Tone::Warn,
        ));
    } else {
        lines.extend(read_lines(&screen.read));
    }
    lines
}

/// Rows the lines take in a pane `width` columns wide, wrapped at words as the view wraps them
/// (`view::text::wrap_words`: a word longer than a line is cut into pieces).
pub fn rows(lines: &[(String, Tone)], width: usize) -> usize {
    lines
        .iter()
        .map(|(text, _)| {
            let indent = text.len() - text.trim_start().len();
            wrapped_rows(text, width.saturating_sub(indent))
        })
        .sum()
}

fn wrapped_rows(text: &str, width: usize) -> usize {
    let width = width.max(8);
    let mut rows = 0;
    let mut used = 0;
    for word in text.split_whitespace() {
        // The pieces of a word longer than a line.
        let mut pieces = vec![0usize];
        for c in word.chars() {
            let w = c.width().unwrap_or(0);
            if pieces.last().copied().unwrap_or(0) + w > width {
                pieces.push(0);
            }
            if let Some(last) = pieces.last_mut() {
                *last += w;
            }
        }
        for piece in pieces {
            if used > 0 && used + 1 + piece > width {
                rows += 1;
                used = 0;
            }
            used += if used > 0 { piece + 1 } else { piece };
        }
    }
    rows + usize::from(used > 0)
}

/// What the read says.
fn read_lines(read: &Read) -> Vec<(String, Tone)> {
    match read {
        Read::Nothing => vec![
            (
                "No configuration given: nbsso writes netbox-sso.py to add by hand.".into(),
                Tone::Dim,
            ),
            (
                "Give configuration.py, a netbox-docker configuration directory or Helm values, and nbsso reads it, shows what it found and patches it after the review.".into(),
                Tone::Dim,
            ),
        ],
        Read::Reading => vec![("Reading NetBox's configuration…".into(), Tone::Dim)],
        Read::Failed(e) => vec![
            (format!("✗ {e}"), Tone::Fail),
            (
                "Nothing was changed. Fix the path or the file, or empty the path to write only the files."
                    .into(),
                Tone::Dim,
            ),
        ],
        Read::Found(found) => found_lines(found),
    }
}

fn found_lines(found: &Found) -> Vec<(String, Tone)> {
    let mut out = Vec::new();
    let patchable = found
        .files
        .iter()
        .filter(|f| f.not_patchable.is_none())
        .count();
    let warnings = match found.warnings.len() + found.prefill.notes.len() {
        0 => String::new(),
        1 => ", 1 warning".into(),
        n => format!(", {n} warnings"),
    };
    let files = match found.files.len() {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    };
    out.push((
        format!(
            "✓ Found {}, old login {}: {files} ({patchable} patchable){warnings}",
            found.shape.label(),
            found.provider.source().label(),
        ),
        Tone::Ok,
    ));
    let base = found.base.display().to_string();
    if !base.is_empty() {
        out.push((format!("  in {base}"), Tone::Dim));
    }
    for from in &found.told_from {
        out.push((format!("  from {from}"), Tone::Dim));
    }
    if found.already_kanidm {
        out.push(("  It already logs in with Kanidm.".into(), Tone::Warn));
    } else if found.provider == Provider::Oidc {
        out.push((
            "  The files do not say which provider this is: choose Authentik, Keycloak OIDC or Other OIDC above."
                .into(),
            Tone::Warn,
        ));
    }
    for f in &found.files {
        let line = match &f.not_patchable {
            None => (
                format!("  ✓ {} ({}; nbsso may patch it)", f.name, f.role),
                Tone::Plain,
            ),
            Some(why) => (
                format!("  ✗ {} ({}; not patched: {why})", f.name, f.role),
                Tone::Warn,
            ),
        };
        out.push(line);
    }
    for (name, value) in &found.summary {
        out.push((format!("  {name}: {value}"), Tone::Plain));
    }
    for s in &found.settings {
        out.push((
            format!("  {} = {}  ({})", s.name, s.value, s.source),
            Tone::Plain,
        ));
    }
    let p = &found.prefill;
    let mut filled = Vec::new();
    if let Some(c) = &p.configuration {
        filled.push(format!("configuration.py {c}"));
    }
    if !p.extra_scopes.is_empty() {
        filled.push(format!("extra scopes {}", p.extra_scopes.join(" ")));
    }
    if !filled.is_empty() {
        out.push((
            format!("Taken into the plan where empty: {}", filled.join("; ")),
            Tone::Dim,
        ));
    }
    for n in &p.notes {
        out.push((format!("! {n}"), Tone::Warn));
    }
    for w in &found.warnings {
        out.push((format!("! {w}"), Tone::Warn));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_count_the_lines_as_the_view_wraps_them() {
        let lines: Vec<(String, Tone)> = [
            "short",
            "  SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY = \"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0\" (configuration.py:272)",
            "! the old scope \"roles\" is not carried over: Kanidm has no such scope unless you map one",
            "  配置 文件 的 注释 在 这里 很 长 很 长 很 长 很 长 很 长",
            "",
        ]
        .into_iter()
        .map(|t| (t.to_string(), Tone::Plain))
        .collect();
        for width in [8usize, 20, 37, 76, 116] {
            let expected: usize = lines
                .iter()
                .map(|(text, _)| {
                    let indent = text.len() - text.trim_start().len();
                    crate::view::text::wrap_words(text, width.saturating_sub(indent)).len()
                })
                .sum();
            assert_eq!(rows(&lines, width), expected, "width {width}");
        }
    }
}
