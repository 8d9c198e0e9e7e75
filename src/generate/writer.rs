//! Writes generated files safely: a disposition per file, unified diffs for a dry run, backups of
//! anything overwritten, atomic replacement (temp file + rename in the same directory), and modes.

use super::redact::redact_diff;
use super::{FileKind, GeneratedFile};
use serde::Serialize;
use similar::TextDiff;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// No file there yet.
    New,
    /// Same bytes and mode already there: left alone.
    Unchanged,
    /// Different contents (or mode): the old file is backed up first.
    Overwrite,
}

impl Disposition {
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Unchanged => "unchanged",
            Self::Overwrite => "overwrite (backup kept)",
        }
    }
}

/// A file, where it goes, and what writing it would do.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub mode: String,
    pub disposition: Disposition,
    pub purpose: &'static str,
    /// Unified diff from the current file (or from nothing) to the new contents.
    #[serde(skip)]
    pub diff: String,
    #[serde(skip)]
    pub contents: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot create the output directory {path}: {source}")]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot back up {path}: {source}")]
    Backup { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path} is not a regular file; nbsso will not replace it")]
    NotAFile { path: PathBuf },
}

/// What was done to one file.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenFile {
    pub path: PathBuf,
    pub disposition: Disposition,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
}

/// Compares each generated file with what is in `dir` now. Reads only.
pub fn plan_files(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<PlannedFile>, WriteError> {
    files
        .iter()
        .map(|file| {
            let path = dir.join(file.name);
            let (old, old_mode) = match fs::symlink_metadata(&path) {
                Ok(meta) if !meta.is_file() => return Err(WriteError::NotAFile { path }),
                Ok(meta) => {
                    let text = fs::read(&path).map_err(|source| WriteError::Read {
                        path: path.clone(),
                        source,
                    })?;
                    (Some(text), Some(meta.permissions().mode() & 0o777))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => (None, None),
                Err(source) => return Err(WriteError::Read { path, source }),
            };
            let mode = file.kind.mode();
            let disposition = match (&old, old_mode) {
                (None, _) => Disposition::New,
                (Some(bytes), Some(m)) if bytes == file.contents.as_bytes() && m == mode => {
                    Disposition::Unchanged
                }
                _ => Disposition::Overwrite,
            };
            let old_text = old
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let display = path.display().to_string();
            let diff = match disposition {
                Disposition::Unchanged => String::new(),
                _ => redact_diff(
                    &TextDiff::from_lines(old_text.as_ref(), file.contents.as_str())
                        .unified_diff()
                        .context_radius(3)
                        .header(if old.is_some() { &display } else { "/dev/null" }, &display)
                        .to_string(),
                    &old_text,
                ),
            };
            Ok(PlannedFile {
                path,
                kind: file.kind,
                mode: format!("{mode:04o}"),
                disposition,
                purpose: file.purpose,
                diff,
                contents: file.contents.clone(),
            })
        })
        .collect()
}

/// Temp files are `.NAME.nbsso-tmp-XXXXXX` beside their target, locked while they are written: a
/// run killed midway leaves one unlocked, and the next write of NAME removes it, while a temp file
/// another run still holds (locked) is left alone.
const TMP_MARK: &str = ".nbsso-tmp-";

/// The owner and group a replaced file keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    uid: u32,
    gid: u32,
}

impl Owner {
    fn of(meta: &fs::Metadata) -> Self {
        Self {
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }
}

fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Removes the temp files for `name` that a killed run left in `dir` (their lock is free). Best
/// effort: a leftover that cannot be removed is harmless, the write goes on.
fn remove_leftovers(dir: &Path, name: &str) {
    let prefix = format!(".{name}{TMP_MARK}");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_ours = entry.file_name().to_string_lossy().starts_with(&prefix);
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_ours
            && is_file
            && let Ok(file) = fs::File::open(entry.path())
            && file.try_lock().is_ok()
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A complete copy of new bytes in a temp file beside `target`, flushed to disk, with its final
/// mode and owner, ready to be renamed into place. It is created with `mode` (the umask can only
/// narrow it), so a secret is never readable by others, not even between creation and chmod.
fn stage(
    target: &Path,
    contents: &mut dyn io::Read,
    mode: u32,
    owner: Option<Owner>,
) -> io::Result<tempfile::NamedTempFile> {
    let dir = dir_of(target);
    let name = file_name_of(target);
    remove_leftovers(dir, &name);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}{TMP_MARK}"))
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    tmp.as_file().lock()?;
    if let Some(owner) = owner {
        let meta = tmp.as_file().metadata()?;
        if Owner::of(&meta) != owner {
            std::os::unix::fs::fchown(tmp.as_file(), Some(owner.uid), Some(owner.gid)).map_err(
                |e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "cannot keep its owner {}:{} ({e}); run nbsso as root or as that user",
                            owner.uid, owner.gid
                        ),
                    )
                },
            )?;
        }
    }
    // Exactly `mode`: the umask may have narrowed it, and chown clears set-id bits.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    io::copy(contents, tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Flushes a directory's entries (a rename or a new name) to disk. Some filesystems cannot; the
/// rename has happened all the same.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Copies `path` byte for byte, with its mode (and `owner`), to `name.nbsso-<stamp>.bak` beside it
/// (or `…-1.bak`, `…-2.bak` when that exists). The backup appears complete or not at all: a run
/// killed while copying leaves no half backup that looks like a whole one.
fn back_up(
    path: &Path,
    meta: &fs::Metadata,
    stamp: &str,
    owner: Option<Owner>,
) -> io::Result<PathBuf> {
    let mut old = fs::File::open(path)?;
    let mut tmp = stage(path, &mut old, meta.permissions().mode() & 0o7777, owner)?;
    let name = file_name_of(path);
    for n in 0u32.. {
        let candidate = match n {
            0 => path.with_file_name(format!("{name}.nbsso-{stamp}.bak")),
            n => path.with_file_name(format!("{name}.nbsso-{stamp}-{n}.bak")),
        };
        match tmp.persist_noclobber(&candidate) {
            Ok(_) => {
                sync_dir(dir_of(path));
                return Ok(candidate);
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(e.error),
        }
    }
    Err(io::Error::other("no free backup name"))
}

/// Replaces `path` atomically: the new bytes go to a temp file in the same directory with the final
/// mode already set, are flushed to disk, and the temp file is renamed over the old one.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    replace_atomic(path, contents, mode, None)
}

fn replace_atomic(
    path: &Path,
    mut contents: &[u8],
    mode: u32,
    owner: Option<Owner>,
) -> io::Result<()> {
    let tmp = stage(path, &mut contents, mode, owner)?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir_of(path));
    Ok(())
}

/// Creates the output directory, 0755 (never wider, whatever the umask): it holds scripts that an
/// administrator runs.
fn create_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
}

/// Backs up a file about to be overwritten (see [`back_up`]).
fn backup_existing(path: &Path, stamp: &str) -> Result<PathBuf, WriteError> {
    fs::symlink_metadata(path)
        .and_then(|meta| back_up(path, &meta, stamp, None))
        .map_err(|source| WriteError::Backup {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes the planned files into place. Unchanged files are left alone; a file that will be
/// overwritten is first copied byte for byte (and with its mode) to a timestamped backup.
pub fn write_files(planned: &[PlannedFile], stamp: &str) -> Result<Vec<WrittenFile>, WriteError> {
    let mut done = Vec::new();
    for file in planned {
        if let Some(dir) = file.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_dir(dir).map_err(|source| WriteError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let backup = match file.disposition {
            Disposition::Unchanged => {
                done.push(WrittenFile {
                    path: file.path.clone(),
                    disposition: file.disposition,
                    backup: None,
                });
                continue;
            }
            Disposition::Overwrite => Some(backup_existing(&file.path, stamp)?),
            Disposition::New => None,
        };
        write_atomic(&file.path, file.contents.as_bytes(), file.kind.mode()).map_err(|source| {
            WriteError::Write {
                path: file.path.clone(),
                source,
            }
        })?;
        done.push(WrittenFile {
            path: file.path.clone(),
            disposition: file.disposition,
            backup,
        });
    }
    Ok(done)
}

/// A timestamp for backup names, e.g. `20261122-174512`.
pub fn timestamp_now() -> String {
    chrono::Local::now().format("%Y%m%d-%H%M%S").to_string()
}

/// Replaces a file that is not nbsso's own (a NetBox configuration, an env file, a plan): an
/// existing one keeps its mode, owner and group (NetBox must still be able to read it; nothing is
/// written when they cannot be kept) and is first copied to a timestamped backup beside it; a new
/// one gets `new_mode`. Returns the backup's path.
pub fn replace_with_backup(
    path: &Path,
    contents: &[u8],
    new_mode: u32,
    stamp: &str,
) -> Result<Option<PathBuf>, WriteError> {
    let (mode, backup, owner) = match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(WriteError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        Ok(meta) => {
            let owner = Some(Owner::of(&meta));
            let backup =
                back_up(path, &meta, stamp, owner).map_err(|source| WriteError::Backup {
                    path: path.to_path_buf(),
                    source,
                })?;
            (meta.permissions().mode() & 0o7777, Some(backup), owner)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => (new_mode, None, None),
        Err(source) => {
            return Err(WriteError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    replace_atomic(path, contents, mode, owner).map_err(|source| WriteError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(backup)
}
