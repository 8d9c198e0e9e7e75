//! Writes generated files safely: a disposition per file, unified diffs for a dry run, backups of
//! anything overwritten, atomic replacement (temp file + rename in the same directory), and modes.

use super::{FileKind, GeneratedFile};
use serde::Serialize;
use similar::TextDiff;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
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
    #[error("cannot back up {path} to {backup}: {source}")]
    Backup {
        path: PathBuf,
        backup: PathBuf,
        source: io::Error,
    },
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
                _ => TextDiff::from_lines(old_text.as_ref(), file.contents.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header(if old.is_some() { &display } else { "/dev/null" }, &display)
                    .to_string(),
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

/// A backup name beside the file that does not exist yet: `name.nbsso-<timestamp>.bak`.
fn backup_path(path: &Path, stamp: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut candidate = path.with_file_name(format!("{name}.nbsso-{stamp}.bak"));
    let mut n = 1;
    while candidate.exists() {
        candidate = path.with_file_name(format!("{name}.nbsso-{stamp}-{n}.bak"));
        n += 1;
    }
    candidate
}

/// Replaces `path` atomically: the new bytes go to a temp file in the same directory with the final
/// mode already set, are flushed to disk, and the temp file is renamed over the old one.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".nbsso-")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    // The umask may have narrowed the mode at creation: set it exactly.
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes the planned files into place. Unchanged files are left alone; a file that will be
/// overwritten is first copied byte for byte (and with its mode) to a timestamped backup.
pub fn write_files(planned: &[PlannedFile], stamp: &str) -> Result<Vec<WrittenFile>, WriteError> {
    let mut done = Vec::new();
    for file in planned {
        if let Some(dir) = file.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir {
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
            Disposition::Overwrite => {
                let backup = backup_path(&file.path, stamp);
                fs::copy(&file.path, &backup).map_err(|source| WriteError::Backup {
                    path: file.path.clone(),
                    backup: backup.clone(),
                    source,
                })?;
                Some(backup)
            }
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
/// existing one keeps its mode and is first copied to a timestamped backup beside it; a new one
/// gets `new_mode`. Returns the backup's path.
pub fn replace_with_backup(
    path: &Path,
    contents: &[u8],
    new_mode: u32,
    stamp: &str,
) -> Result<Option<PathBuf>, WriteError> {
    let (mode, backup) = match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(WriteError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        Ok(meta) => {
            let backup = backup_path(path, stamp);
            fs::copy(path, &backup).map_err(|source| WriteError::Backup {
                path: path.to_path_buf(),
                backup: backup.clone(),
                source,
            })?;
            (meta.permissions().mode() & 0o7777, Some(backup))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => (new_mode, None),
        Err(source) => {
            return Err(WriteError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    write_atomic(path, contents, mode).map_err(|source| WriteError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(backup)
}
