//! Where the inspect view reads clients from: Kanidm's REST API with the kanidm CLI's cached login,
//! a file of saved `kanidm system oauth2 get/list` output, or standard input (read once, before the
//! view opens). The only I/O of "inspect"; the runtime calls it off the event loop.

use crate::checks::http::{HttpClient, Trust};
use crate::exit::Code;
use crate::kanidm::token::select_token;
use crate::kanidm::{self, OAuthClientState};
use crate::plan::Plan;
use crate::secret::Secret;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// More than any real `list` output; anything larger is not what `kanidm` prints.
pub const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// Who can see OAuth2 clients (domain facts §3.7; captures 81–88).
pub const WHO_CAN_SEE: &str = "only members of idm_oauth2_admins (such as idm_admin) can see OAuth2 clients; \
    the `admin` account sees none and gets \"No matching entries\"";

/// Why the clients could not be read, by what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailKind {
    /// Kanidm refused the login (401/403), or no usable login is cached.
    NotAllowed,
    /// The server could not be reached (network, TLS, timeout, unexpected status).
    Unreachable,
    /// Missing settings, an unreadable file, or input that is not kanidm output.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub kind: FailKind,
    pub message: String,
}

impl LoadError {
    fn new(kind: FailKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The exit code of `nbsso inspect` for this failure.
    pub fn exit_code(&self) -> Code {
        match self.kind {
            FailKind::NotAllowed | FailKind::Unreachable => Code::Unreachable,
            FailKind::Invalid => Code::Usage,
        }
    }
}

/// How to reach Kanidm's REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// `--url`, else the plan's origin, else `KANIDM_URL` (checked when the request is made).
    pub origin: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// The cached login to use (`--name`, `KANIDM_NAME`).
    pub name: Option<String>,
    /// The kanidm CLI instance (`--instance`, `KANIDM_INSTANCE`).
    pub instance: Option<String>,
    /// The kanidm CLI's token cache; `None`: `KANIDM_TOKEN_CACHE_PATH`, else
    /// `~/.cache/kanidm_tokens`. `KANIDM_TOKEN`, when set, is used instead of any cache.
    pub token_cache: Option<PathBuf>,
    pub timeout: Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Live {
    /// The settings as `nbsso inspect` takes them: flags first, then the plan, then the kanidm
    /// CLI's environment variables.
    pub fn new(
        url: Option<String>,
        name: Option<String>,
        instance: Option<String>,
        timeout: Duration,
        plan: Option<&Plan>,
    ) -> Self {
        Self {
            origin: url
                .or_else(|| plan.map(|p| p.kanidm.origin.clone()))
                .or_else(|| env("KANIDM_URL")),
            ca_file: plan
                .and_then(|p| p.ca_file.clone())
                .or_else(|| env("KANIDM_CA_PATH").map(PathBuf::from)),
            name: name.or_else(|| env("KANIDM_NAME")),
            instance: instance.or_else(|| env("KANIDM_INSTANCE")),
            token_cache: None,
            timeout,
        }
    }

    /// The plan's Kanidm, with the plan's admin account's cached login (the wizard's view).
    pub fn for_plan(plan: &Plan) -> Self {
        let mut live = Self::new(None, None, None, Duration::from_secs(10), Some(plan));
        if live.name.is_none() {
            live.name = Some(plan.kanidm.admin.clone());
        }
        live
    }

    /// The bearer token: `KANIDM_TOKEN`, or the kanidm CLI's token cache.
    fn token(&self) -> Result<Secret, LoadError> {
        if let Some(token) = env("KANIDM_TOKEN") {
            return Ok(Secret::new(token));
        }
        let path = self
            .token_cache
            .clone()
            .or_else(|| env("KANIDM_TOKEN_CACHE_PATH").map(PathBuf::from))
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".cache/kanidm_tokens")))
            .ok_or_else(|| {
                LoadError::new(
                    FailKind::Invalid,
                    "HOME is not set: cannot find the kanidm token cache",
                )
            })?;
        let cache = std::fs::read_to_string(&path).map_err(|e| {
            LoadError::new(
                FailKind::NotAllowed,
                format!(
                    "cannot read the kanidm token cache {}: {e}; run `kanidm login --name idm_admin` first",
                    path.display()
                ),
            )
        })?;
        let instance = self.instance.clone().unwrap_or_default();
        select_token(&cache, &instance, self.name.as_deref())
            .map(|(_, token)| token)
            .map_err(|e| LoadError::new(FailKind::NotAllowed, e.to_string()))
    }

    /// `GET /v1/oauth2/<client>` (or `/v1/oauth2` for every client): the body and the URL read.
    pub async fn fetch(&self, client: Option<&str>) -> Result<(String, String), LoadError> {
        let path = match client {
            Some(c) => format!("/v1/oauth2/{c}"),
            None => "/v1/oauth2".to_string(),
        };
        self.get(&path, WHO_CAN_SEE).await
    }

    /// `GET <origin><path>` with the login token: the body and the URL read. `who_can_see` explains
    /// a 403.
    pub async fn get(&self, path: &str, who_can_see: &str) -> Result<(String, String), LoadError> {
        let origin = self.origin.clone().ok_or_else(|| {
            LoadError::new(
                FailKind::Invalid,
                "say which Kanidm to read: --plan FILE, --url https://idm.example.com (or KANIDM_URL), \
                 or give saved output with --from FILE",
            )
        })?;
        let origin = crate::plan::fields::kanidm_origin(&origin)
            .map_err(|e| LoadError::new(FailKind::Invalid, e))?;
        let trust = match &self.ca_file {
            Some(path) => Trust::CaFile(path.clone()),
            None => Trust::SystemRoots,
        };
        let token = self.token()?;
        let url = format!("{origin}{path}");
        let deadline = self.timeout.max(Duration::from_secs(1));
        let http = HttpClient::new(&trust, deadline)
            .map_err(|e| LoadError::new(FailKind::Invalid, e.to_string()))?;
        let bearer = format!("Bearer {}", token.expose());
        let answer = http
            .get(&url)
            .header("authorization", &bearer)
            .header("accept", "application/json")
            .send(deadline)
            .await
            .map_err(|e| {
                LoadError::new(FailKind::Unreachable, format!("cannot read {url}: {e}"))
            })?;
        match answer.status {
            200 => Ok((answer.text(), url)),
            401 => Err(LoadError::new(
                FailKind::NotAllowed,
                format!(
                    "Kanidm refused the login token (401): it expired or is for another server; run `kanidm login --name idm_admin` again ({url})"
                ),
            )),
            403 => Err(LoadError::new(
                FailKind::NotAllowed,
                format!("Kanidm refused access (403): {who_can_see} ({url})"),
            )),
            status => Err(LoadError::new(
                FailKind::Unreachable,
                format!("Kanidm answered HTTP {status} for {url}"),
            )),
        }
    }
}

/// Where the view reads the clients from; `Stdin` holds what was read before the view opened.
#[derive(Debug, Clone)]
pub enum Source {
    Live(Live),
    File(PathBuf),
    Stdin(Arc<str>),
}

impl Source {
    /// Whether refresh can read the source again.
    pub fn rereadable(&self) -> bool {
        !matches!(self, Self::Stdin(_))
    }

    /// How the header names the source before the first read.
    pub fn label(&self) -> String {
        match self {
            Self::Live(live) => live
                .origin
                .clone()
                .unwrap_or_else(|| "Kanidm (no URL)".into()),
            Self::File(path) => path.display().to_string(),
            Self::Stdin(_) => "standard input".into(),
        }
    }

    /// Reads and parses every client: `(clients, where they were read from)`.
    pub async fn read(&self) -> Result<(Vec<OAuthClientState>, String), LoadError> {
        let (text, from) = match self {
            Self::Live(live) => live.fetch(None).await?,
            Self::File(path) => {
                let path = path.clone();
                let label = path.display().to_string();
                let text = tokio::task::spawn_blocking(move || read_file(&path))
                    .await
                    .map_err(|e| LoadError::new(FailKind::Invalid, e.to_string()))??;
                (text, label)
            }
            Self::Stdin(text) => (text.to_string(), "standard input".into()),
        };
        let clients = parse_any(&text).map_err(|e| {
            LoadError::new(
                FailKind::Invalid,
                format!("{from} is not the output of kanidm system oauth2 get/list: {e}"),
            )
        })?;
        Ok((clients, from))
    }
}

/// Reads saved output (at most [`MAX_INPUT`] bytes of UTF-8 text).
pub fn read_file(path: &Path) -> Result<String, LoadError> {
    let label = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| LoadError::new(FailKind::Invalid, format!("cannot read {label}: {e}")))?;
    read_text(file, &label)
}

/// Reads standard input (at most [`MAX_INPUT`] bytes of UTF-8 text).
pub fn read_stdin() -> Result<String, LoadError> {
    read_text(std::io::stdin(), "-")
}

fn read_text(input: impl Read, label: &str) -> Result<String, LoadError> {
    let mut bytes = Vec::new();
    input
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::new(FailKind::Invalid, format!("cannot read {label}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(LoadError::new(
            FailKind::Invalid,
            format!(
                "{label} is larger than 16 MiB: not the output of kanidm system oauth2 get/list"
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        LoadError::new(
            FailKind::Invalid,
            format!("{label} is not text: expected the output of kanidm system oauth2 get/list"),
        )
    })
}

/// Reads the saved output, whichever of the CLI's or the API's forms it is in.
pub fn parse_any(text: &str) -> Result<Vec<OAuthClientState>, kanidm::ParseError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        kanidm::parse_list_json(text)
    } else if trimmed.starts_with('{') || trimmed.trim_end() == "null" {
        Ok(kanidm::parse_get_json(text)?.into_iter().collect())
    } else {
        kanidm::parse_list_text(text)
    }
}
