//! The safe writer in a temp dir: backups byte-identical to the old files, modes, atomic replacement,
//! and a dry run (planning) that changes nothing.

use nbsso::generate::writer::{Disposition, plan_files, write_atomic, write_files};
use nbsso::generate::{FileKind, GeneratedFile};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn files() -> Vec<GeneratedFile> {
    vec![
        GeneratedFile {
            name: "notes.md",
            kind: FileKind::Text,
            contents: "new notes\n".into(),
            purpose: "",
        },
        GeneratedFile {
            name: "run.sh",
            kind: FileKind::Script,
            contents: "#!/bin/sh\necho new\n".into(),
            purpose: "",
        },
        GeneratedFile {
            name: "client-secret",
            kind: FileKind::Secret,
            contents: "s3cret\n".into(),
            purpose: "",
        },
    ]
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file in the directory with its bytes and mode.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                (fs::read(e.path()).unwrap(), mode(&e.path())),
            )
        })
        .collect()
}

#[test]
fn new_files_get_their_modes_and_secrets_are_0600() {
    let dir = tempfile::tempdir().unwrap();
    let planned = plan_files(dir.path(), &files()).unwrap();
    assert!(planned.iter().all(|f| f.disposition == Disposition::New));
    write_files(&planned, "20260101-000000").unwrap();
    assert_eq!(mode(&dir.path().join("notes.md")), 0o644);
    assert_eq!(mode(&dir.path().join("run.sh")), 0o755);
    assert_eq!(mode(&dir.path().join("client-secret")), 0o600);
    assert_eq!(
        fs::read_to_string(dir.path().join("client-secret")).unwrap(),
        "s3cret\n"
    );
    let leftovers: Vec<_> = snapshot(dir.path())
        .into_keys()
        .filter(|n| n.contains(".nbsso-tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temp files left behind: {leftovers:?}"
    );
}

#[test]
fn overwrites_keep_byte_identical_backups_with_the_old_mode() {
    let dir = tempfile::tempdir().unwrap();
    let old_notes = b"old notes \xff\xfe not even utf-8\n".to_vec();
    fs::write(dir.path().join("notes.md"), &old_notes).unwrap();
    fs::write(dir.path().join("client-secret"), "old-secret\n").unwrap();
    fs::set_permissions(
        dir.path().join("client-secret"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    fs::write(dir.path().join("run.sh"), "#!/bin/sh\necho new\n").unwrap();
    fs::set_permissions(dir.path().join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();

    let planned = plan_files(dir.path(), &files()).unwrap();
    let by_name: BTreeMap<_, _> = planned
        .iter()
        .map(|f| {
            (
                f.path.file_name().unwrap().to_str().unwrap().to_string(),
                f.disposition,
            )
        })
        .collect();
    assert_eq!(by_name["notes.md"], Disposition::Overwrite);
    assert_eq!(by_name["run.sh"], Disposition::Unchanged);
    assert_eq!(by_name["client-secret"], Disposition::Overwrite);

    let written = write_files(&planned, "20261122-101500").unwrap();
    let notes_backup = dir.path().join("notes.md.nbsso-20261122-101500.bak");
    assert_eq!(fs::read(&notes_backup).unwrap(), old_notes);
    let secret_backup = dir.path().join("client-secret.nbsso-20261122-101500.bak");
    assert_eq!(fs::read_to_string(&secret_backup).unwrap(), "old-secret\n");
    assert_eq!(
        mode(&secret_backup),
        0o600,
        "a secret's backup must stay private"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.md")).unwrap(),
        "new notes\n"
    );
    assert!(
        written
            .iter()
            .find(|w| w.path.ends_with("run.sh"))
            .unwrap()
            .backup
            .is_none()
    );

    // A second write in the same second does not clobber the first backup.
    fs::write(dir.path().join("notes.md"), "edited again\n").unwrap();
    let planned = plan_files(dir.path(), &files()).unwrap();
    write_files(&planned, "20261122-101500").unwrap();
    assert_eq!(fs::read(&notes_backup).unwrap(), old_notes);
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.md.nbsso-20261122-101500-1.bak")).unwrap(),
        "edited again\n"
    );
}

#[test]
fn a_changed_mode_alone_is_an_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("client-secret"), "s3cret\n").unwrap();
    fs::set_permissions(
        dir.path().join("client-secret"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let planned = plan_files(dir.path(), &files()).unwrap();
    let secret = planned
        .iter()
        .find(|f| f.path.ends_with("client-secret"))
        .unwrap();
    assert_eq!(secret.disposition, Disposition::Overwrite);
    write_files(&planned, "x").unwrap();
    assert_eq!(mode(&dir.path().join("client-secret")), 0o600);
}

#[test]
fn planning_is_a_dry_run_that_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.md"), "old\n").unwrap();
    let before = snapshot(dir.path());
    let planned = plan_files(dir.path(), &files()).unwrap();
    assert_eq!(snapshot(dir.path()), before);
    let notes = planned
        .iter()
        .find(|f| f.path.ends_with("notes.md"))
        .unwrap();
    assert!(notes.diff.contains("-old\n+new notes\n"), "{}", notes.diff);
    let missing = tempfile::tempdir().unwrap().path().join("not-yet");
    let planned = plan_files(&missing, &files()).unwrap();
    assert!(planned.iter().all(|f| f.disposition == Disposition::New));
    assert!(!missing.exists());
}

#[test]
fn refuses_to_replace_a_directory_or_symlink() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("notes.md")).unwrap();
    let err = plan_files(dir.path(), &files()).unwrap_err();
    assert!(err.to_string().contains("is not a regular file"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("run.sh")).unwrap();
    assert!(plan_files(dir.path(), &files()).is_err());
}

#[test]
fn atomic_write_replaces_without_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    fs::write(&path, "old").unwrap();
    write_atomic(&path, b"new", 0o600).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    assert_eq!(mode(&path), 0o600);
    // Writing into a directory that does not exist fails cleanly and leaves nothing.
    let err = write_atomic(&dir.path().join("missing/f"), b"x", 0o644);
    assert!(err.is_err());
    assert_eq!(snapshot(dir.path()).len(), 1);
}
