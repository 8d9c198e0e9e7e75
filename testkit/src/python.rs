//! The real social-auth-core, run from Python venvs, as a login harness.
//!
//! Venvs live in `$NBSSO_VENV_DIR` or `<repository>/target/nbsso-venvs/sc-<version>` and are made
//! by `tests/python/setup_venvs.sh` (idempotent, flock-protected) the first time a test needs
//! them. Building one needs `python3` and PyPI; if that fails the test fails with the
//! script's output — it never skips.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// NetBox 4.7.3's pin.
pub const SC_NETBOX_4_7: &str = "5.2.0";
/// NetBox 4.4.9–4.5.2's pin (no OIDC PKCE).
pub const SC_NETBOX_4_5: &str = "4.8.3";

const HARNESS_TIMEOUT: Duration = Duration::from_secs(180);

pub fn venv_root() -> PathBuf {
    match std::env::var_os("NBSSO_VENV_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => crate::repo_root().join("target").join("nbsso-venvs"),
    }
}

pub fn harness_script() -> PathBuf {
    crate::repo_root().join("tests/python/socialcore_login.py")
}

/// The venv's python for social-auth-core `version`, building the venv on first use.
pub fn venv_python(version: &str) -> PathBuf {
    static READY: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let root = venv_root();
    let venv = root.join(format!("sc-{version}"));
    let python = venv.join("bin/python");
    let ready = |v: &Path| v.join(".nbsso-ready").is_file() && v.join("bin/python").exists();

    let mut done = READY
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if done.contains(version) || ready(&venv) {
        done.insert(version.to_string());
        return python;
    }
    let script = crate::repo_root().join("tests/python/setup_venvs.sh");
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(&script)
        .arg(&root)
        .arg(version)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && ready(&venv),
        "could not build the social-auth-core {version} venv in {} ({}): this test needs \
         python3 and PyPI.\n--- setup_venvs.sh output ---\n{log}",
        venv.display(),
        output.status
    );
    eprintln!(
        "[testkit::python] built {} in {:.1?}\n{log}",
        venv.display(),
        started.elapsed()
    );
    done.insert(version.to_string());
    python
}

/// What `socialcore_login.py login` reported.
#[derive(Clone, Debug)]
pub struct LoginOutcome {
    pub ok: bool,
    /// config | begin | authorize | callback | done
    pub stage: String,
    pub uid: Option<String>,
    /// `details["username"]`: the `preferred_username` social-core took from the IdP.
    pub username: Option<String>,
    /// The NetBox-side username the pipeline created.
    pub user: Option<String>,
    pub details: Value,
    pub authorize_status: Option<u16>,
    pub error_type: Option<String>,
    /// `str(exception)` exactly.
    pub error: Option<String>,
    /// The whole JSON object (authorize_url, id_token_claims, …).
    pub raw: Value,
}

impl LoginOutcome {
    fn from_json(raw: Value) -> Self {
        let s = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_string);
        LoginOutcome {
            ok: raw.get("ok").and_then(Value::as_bool).unwrap_or(false),
            stage: s("stage").unwrap_or_default(),
            uid: s("uid"),
            username: s("username"),
            user: s("user"),
            details: raw.get("details").cloned().unwrap_or(Value::Null),
            authorize_status: raw
                .get("authorize_status")
                .and_then(Value::as_u64)
                .and_then(|n| u16::try_from(n).ok()),
            error_type: s("error_type"),
            error: s("error"),
            raw,
        }
    }
}

/// Run one login through social-core `version` with the NetBox settings file `settings`.
/// `browser_ca` is what the simulated browser trusts (the IdP's CA).
pub fn socialcore_login(
    version: &str,
    settings: &Path,
    redirect_uri: &str,
    browser_ca: &Path,
) -> LoginOutcome {
    socialcore_login_env(version, settings, redirect_uri, browser_ca, &[])
}

/// As [`socialcore_login`], with extra environment variables (e.g. `REQUESTS_CA_BUNDLE`).
pub fn socialcore_login_env(
    version: &str,
    settings: &Path,
    redirect_uri: &str,
    browser_ca: &Path,
    env: &[(&str, &str)],
) -> LoginOutcome {
    let args = [
        "login".as_ref(),
        settings.as_os_str(),
        "--redirect-uri".as_ref(),
        redirect_uri.as_ref(),
        "--browser-ca".as_ref(),
        browser_ca.as_os_str(),
    ];
    LoginOutcome::from_json(run_harness(version, &args, env))
}

/// `dump`: the settings file's upper-case names, JSON-converted.
pub fn socialcore_dump(version: &str, settings: &Path) -> Value {
    run_harness(version, &["dump".as_ref(), settings.as_os_str()], &[])
}

/// `dump --repr`: every value as its Python repr.
pub fn socialcore_dump_repr(version: &str, settings: &Path) -> Value {
    let args = ["dump".as_ref(), settings.as_os_str(), "--repr".as_ref()];
    run_harness(version, &args, &[])
}

fn run_harness(version: &str, args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Value {
    let python = venv_python(version);
    let mut cmd = Command::new(&python);
    cmd.arg(harness_script()).args(args);
    // A clean network environment: no proxies, no ambient CA bundle unless asked for.
    for var in [
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (status, stdout, stderr) = run_with_timeout(cmd, HARNESS_TIMEOUT);
    let line = stdout.lines().rev().find(|l| l.starts_with('{'));
    match (status, line) {
        (Some(0), Some(line)) => serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("harness printed bad JSON ({e}): {line}\n{stderr}")),
        _ => panic!(
            "socialcore_login.py {:?} failed (exit {status:?})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            args
        ),
    }
}

fn run_with_timeout(mut cmd: Command, timeout: Duration) -> (Option<i32>, String, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let reader = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = reader(child.stdout.take().map(|p| Box::new(p) as _));
    let err = reader(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for harness") {
            break status.code();
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    (status, stdout, stderr)
}
