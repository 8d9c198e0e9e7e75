//! Reading a deployment from disk: what each path is, and netbox-docker's load order.

use super::{Deployment, FileError, Role, Source};
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not UTF-8 text (byte {offset}); NetBox reads configuration as UTF-8")]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("{0}")]
    Parse(FileError),
    #[error("{path}: no configuration.py or other *.py file in this directory")]
    EmptyDirectory { path: PathBuf },
    #[error(
        "no configuration given: name a configuration.py, a configuration directory or a Helm values file"
    )]
    Nothing,
}

fn read(path: &Path) -> Result<String, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

fn is_env_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.ends_with(".env") || name == ".env" || name == "env"
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// netbox-docker's loader: `configuration.py` first, then every other regular `*.py` file not
/// starting with `__`, sorted by name (Python's `str` order is the byte order of UTF-8 here).
fn docker_directory(dir: &Path, sources: &mut Vec<Source>) -> Result<(), LoadError> {
    let main = dir.join("configuration.py");
    if main.is_file() {
        sources.push(Source {
            text: read(&main)?,
            path: main,
            role: Role::DockerMain,
        });
    }
    let entries = fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut extras: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        if name.starts_with("__")
            || !name.ends_with(".py")
            || name == "configuration.py"
            || !path.is_file()
        {
            continue;
        }
        extras.push((name, path));
    }
    extras.sort();
    for (_, path) in extras {
        sources.push(Source {
            text: read(&path)?,
            path,
            role: Role::DockerExtra,
        });
    }
    if sources
        .iter()
        .all(|s| !matches!(s.role, Role::DockerMain | Role::DockerExtra))
    {
        return Err(LoadError::EmptyDirectory {
            path: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Reads every path given (a `configuration.py`, a configuration directory, a Helm values file,
/// an env file) and the env file. For a netbox-docker directory without `--env-file`, the
/// compose layout's `../env/netbox.env` is used when it exists.
pub fn load(paths: &[PathBuf], env_file: Option<&Path>) -> Result<Deployment, LoadError> {
    if paths.is_empty() {
        return Err(LoadError::Nothing);
    }
    let mut sources = Vec::new();
    let mut config_dir = None;
    let mut env_path = env_file.map(Path::to_path_buf);
    for path in paths {
        if path.is_dir() {
            docker_directory(path, &mut sources)?;
            if env_path.is_none() {
                let compose_env = path.join("..").join("env").join("netbox.env");
                if compose_env.is_file() {
                    env_path = Some(normalise(&compose_env));
                }
            }
            config_dir = Some(path.clone());
        } else if is_yaml(path) {
            sources.push(Source {
                text: read(path)?,
                path: path.clone(),
                role: Role::HelmValues,
            });
        } else if is_env_file(path) {
            env_path = Some(path.clone());
        } else {
            sources.push(Source {
                text: read(path)?,
                path: path.clone(),
                role: Role::Configuration,
            });
        }
    }
    if let Some(env) = env_path {
        sources.push(Source {
            text: read(&env)?,
            path: env,
            role: Role::EnvFile,
        });
    }
    Deployment::from_sources(sources, config_dir).map_err(LoadError::Parse)
}

/// `a/configuration/../env/netbox.env` → `a/env/netbox.env`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
