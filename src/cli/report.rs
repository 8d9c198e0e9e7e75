//! `nbsso report`: gathers the plan, the live checks, the Kanidm client's drift and the environment,
//! then prints the redacted report (Markdown or JSON). The only I/O of the report.

use super::ReportArgs;
use super::explain::run_checks;
use crate::deploy::{
    self,
    detect::{self, Provider},
};
use crate::exit::Code;
use crate::generate::SECRET_ENV;
use crate::inspect::source::{Live, parse_any};
use crate::kanidm;
use crate::plan::{self, Plan, PlanDraft};
use crate::pyconf::Value;
use crate::report::{
    self, Anonymiser, CheckInput, ClientInput, Gathered, ImportedSso, Importer, PlanInput,
    REDACTED, Scrubber, SettingValue,
};
use crate::secret::Secret;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Reads NetBox configurations for `--import` with `nbsso import`'s reader.
const IMPORTER: Option<Importer> = Some(read_deployment);

/// What `nbsso import` found in one deployment, as the report shows it.
struct ImportedDeployment {
    path: PathBuf,
    old_sso: Option<String>,
    settings: Vec<(String, SettingValue)>,
    notes: Vec<String>,
}

impl ImportedSso for ImportedDeployment {
    fn path(&self) -> &Path {
        &self.path
    }
    fn old_sso(&self) -> Option<String> {
        self.old_sso.clone()
    }
    fn settings(&self) -> Vec<(String, SettingValue)> {
        self.settings.clone()
    }
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

fn read_deployment(path: &Path) -> Result<Box<dyn ImportedSso>, String> {
    let dep = deploy::load(&[path.to_path_buf()], None).map_err(|e| e.to_string())?;
    let found = detect::detect(&dep);
    let settings = found
        .settings
        .iter()
        .map(|s| {
            let value = match (&s.written, s.secret) {
                (Value::Secret { value }, _) => SettingValue::Secret(value.clone()),
                (_, true) => SettingValue::Secret(Secret::new(String::new())),
                (_, false) => SettingValue::Text(s.shown()),
            };
            (format!("{} ({})", s.name, s.origin), value)
        })
        .collect();
    let old_sso = match found.provider {
        Provider::None => None,
        provider => Some(format!(
            "{}{} ({} deployment)",
            provider.source().label(),
            found
                .backends
                .as_ref()
                .map(|b| format!(": {}", b.join(", ")))
                .unwrap_or_default(),
            found.shape.label()
        )),
    };
    Ok(Box::new(ImportedDeployment {
        path: path.to_path_buf(),
        old_sso,
        settings,
        notes: found.warnings.iter().map(|w| w.message.clone()).collect(),
    }))
}

/// Secret files and token caches larger than this are not what nbsso or the kanidm CLI write.
const MAX_SECRET_READ: u64 = 1024 * 1024;

/// Environment variables that decide how NetBox, the kanidm CLI or nbsso reach the servers.
const ENV_SHOWN: [&str; 9] = [
    "KANIDM_URL",
    "KANIDM_CA_PATH",
    "KANIDM_NAME",
    "KANIDM_INSTANCE",
    "KANIDM_TOKEN_CACHE_PATH",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "HTTPS_PROXY",
    "NO_PROXY",
];
/// Environment variables whose values are secrets: said to be set, never shown.
const ENV_SECRET: [&str; 3] = ["KANIDM_TOKEN", "KANIDM_PASSWORD", SECRET_ENV];

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_READ).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Every token in the kanidm CLI's token cache, to be kept out of the report.
fn cached_tokens() -> Vec<Secret> {
    let path = env("KANIDM_TOKEN_CACHE_PATH")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".cache/kanidm_tokens")));
    let Some(text) = path.as_deref().and_then(read_small) else {
        return Vec::new();
    };
    let mut secrets = Vec::new();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        collect_strings(&value, &mut secrets);
    }
    secrets
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<Secret>) {
    match value {
        serde_json::Value::String(s) => out.push(Secret::new(s.clone())),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The parser's message without the offending line (it may hold a secret), quoted values hidden.
fn toml_problem(text: &str, error: &toml::de::Error) -> String {
    let line = error
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let mut message = String::new();
    let mut quoted = false;
    for c in error.message().chars() {
        if c == '"' {
            if quoted {
                message.push_str(REDACTED);
            }
            quoted = !quoted;
            message.push(c);
        } else if !quoted {
            message.push(c);
        }
    }
    match line {
        Some(line) => format!("line {line}: {}", message.trim()),
        None => message.trim().to_string(),
    }
}

fn read_plan(path: &Path) -> PlanInput {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return PlanInput::Unreadable(format!("cannot read {}: {e}", path.display())),
    };
    match PlanDraft::from_toml(&text) {
        Err(e) => PlanInput::NotToml(toml_problem(&text, &e)),
        Ok(draft) => PlanInput::Parsed {
            validated: plan::validate(&draft).map(|(p, w)| (Box::new(p), w)),
            draft: Box::new(draft),
        },
    }
}

/// Existence, permissions and size of the client secret file: never its content.
fn secret_file_state(path: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "missing (kanidm-setup.sh writes it)".into()
        }
        Err(e) => format!("cannot be inspected: {e}"),
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            let open = if mode & 0o077 != 0 {
                ": readable by other users, run chmod 0600"
            } else {
                ""
            };
            format!("present, mode {mode:04o}, {} bytes{open}", meta.len())
        }
    }
}

fn read_client(runtime: &tokio::runtime::Runtime, plan: &Plan, timeout: Duration) -> ClientInput {
    let mut live = Live::for_plan(plan);
    live.timeout = timeout;
    let client = plan.kanidm.client.clone();
    match runtime.block_on(live.fetch(Some(&client))) {
        Err(e) => ClientInput::NotRead(format!("not read: {}", e.message)),
        Ok((text, source)) => match parse_any(&text) {
            Err(e) => ClientInput::NotRead(format!("not read: {source} answered {e}")),
            Ok(clients) => match clients.iter().find(|c| c.name == client) {
                None => ClientInput::Missing { client, source },
                Some(state) => ClientInput::Read {
                    drift: kanidm::drift(state, plan),
                    client,
                    source,
                },
            },
        },
    }
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
}

pub fn run(args: &ReportArgs, runtime: &tokio::runtime::Runtime) -> Code {
    let timeout = Duration::from_secs(args.timeout.max(1));
    let plan_input = match &args.plan {
        Some(path) => read_plan(path),
        None => PlanInput::NotGiven,
    };
    let mut secrets: Vec<Secret> = ENV_SECRET
        .iter()
        .filter_map(|name| env(name))
        .map(Secret::new)
        .collect();
    secrets.extend(cached_tokens());
    let plan = plan_input.plan().cloned();
    // The secret file the plan names, valid or not: looked at, and its content kept out.
    let secret_path = match &plan_input {
        PlanInput::Parsed { draft, .. } if !draft.netbox.secret_file.trim().is_empty() => {
            Some(PathBuf::from(draft.netbox.secret_file.trim()))
        }
        _ => None,
    };
    let secret_file = secret_path.map(|path| {
        if let Some(content) = read_small(&path) {
            secrets.push(Secret::new(content));
        }
        (path.display().to_string(), secret_file_state(&path))
    });
    let (checks, client) = match (&plan, args.offline) {
        (_, true) => (
            CheckInput::NotRun("not run (--offline)".into()),
            ClientInput::NotRead("not read (--offline)".into()),
        ),
        (None, false) => {
            let why = match &plan_input {
                PlanInput::NotGiven => "no plan given (--plan FILE)",
                _ => "the plan is not valid (see Plan below)",
            };
            (
                CheckInput::NotRun(format!("not run: {why}")),
                ClientInput::NotRead(format!("not read: {why}")),
            )
        }
        (Some(plan), false) => {
            let checks = CheckInput::Ran(run_checks(runtime, plan.clone(), None, timeout));
            (checks, read_client(runtime, plan, timeout))
        }
    };
    let mut environment: Vec<(String, Option<String>)> = ENV_SHOWN
        .iter()
        .map(|name| (name.to_string(), env(name)))
        .collect();
    environment.extend(ENV_SECRET.iter().map(|name| {
        let shown = env(name).map(|_| format!("set ({REDACTED})"));
        (name.to_string(), shown)
    }));
    let gathered = Gathered {
        plan_path: args.plan.as_ref().map(|p| p.display().to_string()),
        plan: plan_input,
        checks,
        client,
        imports: args
            .import
            .iter()
            .map(|path| report::import(path, IMPORTER))
            .collect(),
        environment,
        secret_file,
    };
    let scrubber = Scrubber::new(secrets);
    let anonymiser = args.anonymise.then(|| {
        Anonymiser::new(
            plan.as_ref()
                .and_then(|p| host_of(&p.netbox.url))
                .as_deref(),
            plan.as_ref()
                .and_then(|p| host_of(&p.kanidm.origin))
                .as_deref(),
        )
    });
    let finished = match report::finish(&report::build(&gathered), &scrubber, anonymiser) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("nbsso: cannot build the report: {e}");
            return Code::Usage;
        }
    };
    if args.json {
        outln!("{}", scrubber.scrub(&report::to_json(&finished)));
    } else {
        out!("{}", report::to_markdown(&finished, &scrubber));
    }
    match gathered.plan {
        PlanInput::Unreadable(_) => Code::Usage,
        _ => Code::Ok,
    }
}
