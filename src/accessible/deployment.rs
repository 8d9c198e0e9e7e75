//! The accessible mode's part of a migration, said in lines: NetBox's configuration read after
//! the Source questions (the Source screen's own read, prefill and choice of the old login), its
//! patch listed in the review, and written after the files with the backups and what to run next.
//! The read, the patch and the write are the ones the terminal wizard and `nbsso generate --patch`
//! use, so the same answers patch the same bytes.

use crate::app::Effect;
use crate::app::screens::form::Answers;
use crate::app::screens::source::{self, Read, SourceScreen, panel};
use crate::deploy::apply::{Applied, PatchedFile, PreparedPatch};
use crate::plan::SourceIdp;
use crate::runtime::effects::read_deployment;

/// What reading the configuration after the Source questions gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// No configuration named, or the same one as last time: nothing new to say.
    Unchanged,
    /// Read: what was found and what it changed in the answers.
    Found(Vec<String>),
    /// Not read: why, and what to do; the question of its path is asked again.
    Failed(Vec<String>),
}

/// Reads the configuration the Source answers name, when they name one other than last time (or
/// the last read failed: the file may be fixed since). Fills what the user left empty and
/// chooses the old login the files name unless the user chose another, as the Source screen does.
pub fn read(screen: &mut SourceScreen, answers: &mut Answers) -> Reading {
    if matches!(screen.read, Read::Failed(_)) {
        let generation = screen.generation;
        *screen = SourceScreen::default();
        screen.generation = generation;
    }
    let Some((generation, paths, env_file)) = source::answers_changed(screen, answers)
        .into_iter()
        .find_map(|effect| match effect {
            Effect::ReadDeployment {
                generation,
                paths,
                env_file,
            } => Some((generation, paths, env_file)),
            _ => None,
        })
    else {
        return Reading::Unchanged;
    };
    let before = answers.draft.source.clone();
    let result = read_deployment(&paths, env_file.as_deref());
    source::on_read(screen, answers, generation, result);
    answers.revalidate();
    if let Read::Failed(e) = &screen.read {
        return Reading::Failed(vec![
            format!("NetBox's configuration could not be read: {e}"),
            "Nothing was changed. Fix the path or the file, or type - to empty the path and write only the files.".into(),
        ]);
    }
    let mut lines: Vec<String> = panel::lines(screen, answers)
        .into_iter()
        .map(|(text, _)| spoken(&text))
        .collect();
    if answers.draft.source != before
        && let Some(idp) = SourceIdp::parse(&answers.draft.source)
    {
        lines.push(format!(
            "The old login is now {}, as the files say (type < to go back and choose another).",
            idp.label()
        ));
    }
    Reading::Found(lines)
}

/// A line of the Source panel in words: marks dropped (the text says what they mean), warnings
/// named as such.
fn spoken(line: &str) -> String {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    if let Some(rest) = body.strip_prefix("! ") {
        format!("{indent}Warning: {rest}")
    } else if let Some(rest) = body.strip_prefix("✓ ").or_else(|| body.strip_prefix("✗ ")) {
        format!("{indent}{rest}")
    } else {
        line.to_string()
    }
}

/// The review's lines for the patch: each file it changes, what to change by hand, and why.
pub fn review_lines(patch: &PreparedPatch) -> Vec<String> {
    let outcome = &patch.outcome;
    let mut out = vec![format!(
        "NetBox's configuration ({}, old login {}): {}",
        patch.shape.label(),
        patch.provider.source().label(),
        match (outcome.files.len(), outcome.instructions.len()) {
            (0, 0) => "nothing to change, it already has these settings".to_string(),
            (0, _) => "nbsso changes no file of it; change these by hand".to_string(),
            (n, _) => format!("nbsso patches {n} of its files after writing the files above"),
        }
    )];
    for f in &outcome.files {
        let what = if f.old.is_some() {
            "patch (the old file is kept as a backup beside it)"
        } else {
            "create"
        };
        out.push(format!("{}: {what}", f.path.display()));
    }
    for i in &outcome.instructions {
        out.push(format!("By hand, {}: {}", i.title, i.text));
    }
    for note in &outcome.notes {
        out.push(format!("Why: {note}"));
    }
    out
}

/// How many files the patch replaces (each backed up first).
pub fn replaced(patch: &PreparedPatch) -> usize {
    patch
        .outcome
        .files
        .iter()
        .filter(|f| f.old.is_some())
        .count()
}

/// The patch's diffs, secrets as `<redacted>` lines.
pub fn diff_text(patch: &PreparedPatch) -> String {
    patch
        .outcome
        .files
        .iter()
        .map(|f| format!("\n{}\n{}", f.path.display(), f.diff))
        .collect()
}

/// What writing the patch did, and what to run where NetBox runs.
pub fn written_lines(patch: &PreparedPatch, applied: &Applied) -> Vec<String> {
    let mut out = Vec::new();
    if !applied.files.is_empty() {
        out.push("NetBox's configuration is patched:".to_string());
    }
    out.extend(file_lines(&applied.files));
    if let Some(check) = &applied.netbox_check {
        out.push(format!("NetBox's own check: {check}"));
    }
    if !patch.next.is_empty() {
        out.push("Next, where NetBox runs:".to_string());
        out.extend(
            patch
                .next
                .iter()
                .enumerate()
                .map(|(i, step)| format!("{}. {step}", i + 1)),
        );
    }
    out
}

/// Each written file of the patch, with its backup.
pub fn file_lines(files: &[PatchedFile]) -> Vec<String> {
    files
        .iter()
        .map(|f| match &f.backup {
            Some(backup) => format!(
                "{}: patched, the old one kept as {}",
                f.path.display(),
                backup.display()
            ),
            None => format!("{}: created", f.path.display()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::spoken;

    #[test]
    fn marks_become_words() {
        assert_eq!(
            spoken("✓ Found netbox-docker, old login Keycloak: 3 files"),
            "Found netbox-docker, old login Keycloak: 3 files"
        );
        assert_eq!(
            spoken("  ✗ a.py (extra file; not patched: generated)"),
            "  a.py (extra file; not patched: generated)"
        );
        assert_eq!(
            spoken("! the old scope \"roles\" is not carried over"),
            "Warning: the old scope \"roles\" is not carried over"
        );
        assert_eq!(spoken("  in /srv/nb"), "  in /srv/nb");
    }
}
