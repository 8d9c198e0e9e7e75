//! The real NetBox 4.7.3 (from PyPI) with its own PostgreSQL and Redis, on 127.0.0.1 inside a temp
//! directory, for the end-to-end tests (`tests/netbox_e2e/`).
//!
//! `tests/netbox/setup.sh` (run by `tests/run`) builds the slow parts once and exports where they are:
//! `NBSSO_NETBOX_VENV` (netbox==4.7.3 in a Python 3.12 venv), `NBSSO_NETBOX_DUMP` (a pg_dump of a fully
//! migrated empty database), `NBSSO_PG_BIN` (initdb, pg_ctl, pg_restore, psql) and `NBSSO_REDIS_SERVER`.
//! [`RealNetBox::start`] then takes a few seconds: a fresh PostgreSQL cluster (as the `postgres` user when
//! running as root, because PostgreSQL refuses root), the dump restored, Redis, `netbox setup --target`.
//! [`RealNetBox::configure`] writes `conf/configuration.py` as a user does: NetBox's stock template, then
//! the settings that make this instance run here (database, Redis, secret key, hosts, DEBUG), then the SSO
//! settings under test. [`RealNetBox::serve`] (re)starts `netbox runserver --noreload --insecure` and waits
//! until the login page answers. Dropping the handle stops NetBox and Redis by pid and PostgreSQL with
//! `pg_ctl stop`, also when a test panics, and removes the directory. A detached watcher does the same
//! when the test process dies without unwinding (SIGKILL, Ctrl-C), so no server outlives the run.
//!
//! [`LoginDriver`] makes the HTTP requests a browser makes to log in through the SSO button and records
//! every hop.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The prepared parts, from the environment `tests/netbox/setup.sh` prints.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub venv: PathBuf,
    pub dump: PathBuf,
    pub pg_bin: PathBuf,
    pub redis_server: PathBuf,
}

pub const ENV_VARS: [&str; 4] = [
    "NBSSO_NETBOX_VENV",
    "NBSSO_NETBOX_DUMP",
    "NBSSO_PG_BIN",
    "NBSSO_REDIS_SERVER",
];

impl Prepared {
    /// `Ok(None)` when none of the variables is set (a bare `cargo test`); an error when they are set
    /// but point at something missing.
    pub fn from_env() -> Result<Option<Prepared>, String> {
        let vars: Vec<Option<String>> = ENV_VARS
            .iter()
            .map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .collect();
        if vars.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut missing = Vec::new();
        let mut get = |i: usize| -> PathBuf {
            match &vars[i] {
                Some(v) => PathBuf::from(v),
                None => {
                    missing.push(ENV_VARS[i]);
                    PathBuf::new()
                }
            }
        };
        let prepared = Prepared {
            venv: get(0),
            dump: get(1),
            pg_bin: get(2),
            redis_server: get(3),
        };
        if !missing.is_empty() {
            return Err(format!("{} not set", missing.join(", ")));
        }
        let needed = [
            prepared.venv.join("bin/netbox"),
            prepared.dump.clone(),
            prepared.pg_bin.join("initdb"),
            prepared.pg_bin.join("pg_ctl"),
            prepared.pg_bin.join("pg_restore"),
            prepared.pg_bin.join("psql"),
            prepared.redis_server.clone(),
        ];
        for path in needed {
            if !path.exists() {
                return Err(format!(
                    "{} does not exist (run tests/run, which builds it)",
                    path.display()
                ));
            }
        }
        Ok(Some(prepared))
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Seconds with one decimal, for the timing lines.
fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

pub struct RealNetBox {
    prepared: Prepared,
    dir: tempfile::TempDir,
    as_postgres: bool,
    pg_port: u16,
    redis_port: u16,
    port: u16,
    secret_key: String,
    pg_started: bool,
    redis_pid: Option<u32>,
    server: Option<Child>,
    /// The configuration.py NetBox runs with now.
    serving: Option<String>,
    /// (step, duration), in order.
    pub timings: Vec<(String, Duration)>,
}

impl RealNetBox {
    /// PostgreSQL with the migrated database restored, Redis, and NETBOX_ROOT from `netbox setup`.
    pub fn start(prepared: Prepared) -> RealNetBox {
        let dir = tempfile::Builder::new()
            .prefix("nbsso-netbox-")
            .tempdir()
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        let as_postgres = is_root();
        let mut nb = RealNetBox {
            prepared,
            dir,
            as_postgres,
            pg_port: free_port(),
            redis_port: free_port(),
            port: free_port(),
            secret_key: String::new(),
            pg_started: false,
            redis_pid: None,
            server: None,
            serving: None,
            timings: Vec::new(),
        };
        nb.watch_for_abrupt_exit();
        nb.start_postgres();
        nb.start_redis();
        let t = Instant::now();
        run(
            nb.netbox_cmd().arg("setup").arg("--target").arg(nb.root()),
            "netbox setup --target",
        );
        nb.secret_key = String::from_utf8_lossy(
            &run(nb.netbox_cmd().arg("secret-key"), "netbox secret-key").stdout,
        )
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
        nb.timings.push(("netbox setup".into(), t.elapsed()));
        nb
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Drop does not run when this process is killed outright. A shell in its own process group waits
    /// for us to go, then stops whatever is still running from the pid files and removes the directory.
    /// After a normal Drop the directory is gone and it does nothing.
    fn watch_for_abrupt_exit(&self) {
        const WATCHER: &str = r#"
parent=$1 dir=$2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[ -d "$dir" ] || exit 0
for f in "$dir/netbox.pid" "$dir/redis/redis.pid"; do
  [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
done
if [ -f "$dir/pg-data/postmaster.pid" ]; then
  pg=$(head -n 1 "$dir/pg-data/postmaster.pid")
  kill -INT "$pg" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pg" 2>/dev/null || break; sleep 1; done
fi
rm -rf "$dir"
"#;
        let spawned = Command::new("sh")
            .arg("-c")
            .arg(WATCHER)
            .arg("nbsso-netbox-watcher")
            .arg(std::process::id().to_string())
            .arg(self.dir.path())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Err(e) = spawned {
            eprintln!("warning: no watcher for {}: {e}", self.dir.path().display());
        }
    }

    /// NETBOX_ROOT.
    pub fn root(&self) -> PathBuf {
        self.path("root")
    }

    pub fn configuration_path(&self) -> PathBuf {
        self.root().join("conf/configuration.py")
    }

    pub fn server_log_path(&self) -> PathBuf {
        self.path("netbox-server.log")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`, where NetBox listens.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pg_socket(&self) -> PathBuf {
        self.path("pg-socket")
    }

    /// A command run as the cluster's owner (`postgres` when we are root).
    fn pg_cmd(&self, program: &str) -> Command {
        let bin = self.prepared.pg_bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        }
    }

    fn start_postgres(&mut self) {
        let t = Instant::now();
        let data = self.path("pg-data");
        let socket = self.pg_socket();
        for d in [&data, &socket] {
            fs::create_dir_all(d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        }
        if self.as_postgres {
            // The postgres user must reach its directories inside our 0700 tempdir.
            run(
                Command::new("chmod").arg("0755").arg(self.dir.path()),
                "chmod",
            );
            run(
                Command::new("chown")
                    .arg("postgres:")
                    .arg(&data)
                    .arg(&socket),
                "chown postgres",
            );
        }
        run(
            self.pg_cmd("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
                .arg("--locale=C.UTF-8"),
            "initdb",
        );
        run(
            self.pg_cmd("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(socket.join("postgres.log"))
                .arg("-w")
                .arg("-o")
                .arg(format!(
                    "-c listen_addresses=127.0.0.1 -c port={} -k {} -c fsync=off",
                    self.pg_port,
                    socket.display()
                ))
                .arg("start")
                .stdout(Stdio::null()),
            "pg_ctl start",
        );
        self.pg_started = true;
        self.timings
            .push(("PostgreSQL initdb + start".into(), t.elapsed()));
        let t = Instant::now();
        self.psql("postgres", "CREATE USER netbox WITH PASSWORD 'netbox'");
        self.restore_dump();
        self.timings
            .push(("restore migrated database".into(), t.elapsed()));
    }

    fn start_redis(&mut self) {
        let redis_dir = self.path("redis");
        fs::create_dir_all(&redis_dir).unwrap_or_else(|e| panic!("redis dir: {e}"));
        let pidfile = redis_dir.join("redis.pid");
        run(
            Command::new(&self.prepared.redis_server)
                .args(["--bind", "127.0.0.1", "--port"])
                .arg(self.redis_port.to_string())
                .arg("--dir")
                .arg(&redis_dir)
                .args(["--daemonize", "yes", "--save", "", "--appendonly", "no"])
                .arg("--pidfile")
                .arg(&pidfile)
                .arg("--logfile")
                .arg(redis_dir.join("redis.log")),
            "redis-server",
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(pid) = fs::read_to_string(&pidfile)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
            {
                self.redis_pid = Some(pid);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server wrote no pid file at {}", pidfile.display());
    }

    /// Runs SQL as the superuser on `database`; tab-separated rows, no header.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let out = run(
            Command::new(self.prepared.pg_bin.join("psql"))
                .arg("-h")
                .arg(self.pg_socket())
                .arg("-p")
                .arg(self.pg_port.to_string())
                .args(["-U", "postgres", "-d", database])
                .args([
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-X",
                    "-q",
                    "-A",
                    "-t",
                    "-F",
                    "\t",
                    "-c",
                ])
                .arg(sql),
            "psql",
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `(username, provider, uid)` of every social link.
    pub fn social_links(&self) -> Vec<(String, String, String)> {
        self.psql(
            "netbox",
            "SELECT u.username, s.provider, s.uid FROM social_auth_usersocialauth s \
             JOIN users_user u ON u.id = s.user_id ORDER BY s.id",
        )
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((
                f.next()?.to_string(),
                f.next()?.to_string(),
                f.next()?.to_string(),
            ))
        })
        .collect()
    }

    /// Usernames in NetBox's user table.
    pub fn usernames(&self) -> Vec<String> {
        self.psql("netbox", "SELECT username FROM users_user ORDER BY id")
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Puts the freshly migrated database back (the cached dump), for cases that need their own
    /// users. NetBox is stopped first: it holds connections.
    pub fn reset_database(&mut self) {
        let t = Instant::now();
        self.stop_server();
        self.psql("postgres", "DROP DATABASE netbox WITH (FORCE)");
        self.restore_dump();
        self.timings.push(("database reset".into(), t.elapsed()));
    }

    /// A new database `netbox` with the cached dump of a migrated NetBox restored into it.
    fn restore_dump(&self) {
        self.psql("postgres", "CREATE DATABASE netbox OWNER netbox");
        run(
            Command::new(self.prepared.pg_bin.join("pg_restore"))
                .arg("-h")
                .arg(self.pg_socket())
                .arg("-p")
                .arg(self.pg_port.to_string())
                .args([
                    "-U",
                    "netbox",
                    "-d",
                    "netbox",
                    "--no-owner",
                    "--exit-on-error",
                ])
                .arg(&self.prepared.dump),
            "pg_restore of the migrated NetBox database",
        );
    }

    /// A shell command run as a user would type it on the NetBox host: `netbox` on PATH (the wheel's
    /// command), NETBOX_ROOT set, in `dir`.
    pub fn host_shell(&self, dir: &Path, command: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(command)
            .current_dir(dir)
            .env("NETBOX_ROOT", self.root())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.prepared.venv.join("bin").display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env_remove("NETBOX_CONFIGURATION")
            .env_remove("DJANGO_SETTINGS_MODULE");
        c
    }

    /// Python run inside NetBox with `netbox nbshell --command`.
    pub fn nbshell(&mut self, code: &str) -> Output {
        let t = Instant::now();
        let out = self
            .netbox_cmd()
            .arg("nbshell")
            .arg("--command")
            .arg(code)
            .output()
            .unwrap_or_else(|e| panic!("netbox nbshell: {e}"));
        self.timings.push(("nbshell".into(), t.elapsed()));
        out
    }

    /// Every row of a table, ordered by id, as text (for row-by-row comparisons).
    pub fn rows(&self, table: &str) -> Vec<String> {
        self.psql(
            "netbox",
            &format!("SELECT t::text FROM {table} t ORDER BY t.id"),
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    fn netbox_cmd(&self) -> Command {
        let mut c = Command::new(self.prepared.venv.join("bin/netbox"));
        c.env("NETBOX_ROOT", self.root())
            .env_remove("NETBOX_CONFIGURATION")
            .env_remove("DJANGO_SETTINGS_MODULE")
            .current_dir(self.dir.path());
        c
    }

    /// What this instance needs to run here, appended after the stock template (later assignments win).
    fn local_settings(&self, debug: bool) -> String {
        format!(
            "\n# --- this test instance: loopback PostgreSQL and Redis in a temp directory ---\n\
             ALLOWED_HOSTS = ['*']\n\
             DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql', 'NAME': 'netbox', \
             'USER': 'netbox', 'PASSWORD': 'netbox', 'HOST': '127.0.0.1', 'PORT': '{pg}', 'CONN_MAX_AGE': 0}}}}\n\
             REDIS = {{'tasks': {{'HOST': '127.0.0.1', 'PORT': {redis}, 'DATABASE': 0, 'SSL': False}},\n\
             \x20         'caching': {{'HOST': '127.0.0.1', 'PORT': {redis}, 'DATABASE': 1, 'SSL': False}}}}\n\
             SECRET_KEY = '{key}'\n\
             DEBUG = {debug}\n",
            pg = self.pg_port,
            redis = self.redis_port,
            key = self.secret_key.replace('\\', "\\\\").replace('\'', "\\'"),
            debug = if debug { "True" } else { "False" },
        )
    }

    /// The configuration.py text for `sso_settings` (the generated `netbox-sso.py`, maybe edited).
    pub fn configuration_text(&self, sso_settings: &str, debug: bool) -> String {
        let stock = self.stock_template();
        format!(
            "{stock}{}\n# --- netbox-sso.py from nbsso ---\n{sso_settings}",
            self.local_settings(debug)
        )
    }

    /// The template `netbox setup` wrote, kept aside the first time.
    fn stock_template(&self) -> String {
        let kept = self.path("configuration.stock.py");
        if let Ok(text) = fs::read_to_string(&kept) {
            return text;
        }
        let text = fs::read_to_string(self.configuration_path())
            .unwrap_or_else(|e| panic!("stock configuration.py: {e}"));
        fs::write(&kept, &text).unwrap_or_else(|e| panic!("keep stock template: {e}"));
        text
    }

    /// Writes configuration.py (stock template + local settings + `sso_settings`).
    pub fn configure(&mut self, sso_settings: &str, debug: bool) -> String {
        let _ = self.stock_template();
        let text = self.configuration_text(sso_settings, debug);
        fs::write(self.configuration_path(), &text)
            .unwrap_or_else(|e| panic!("write configuration.py: {e}"));
        text
    }

    /// `netbox check` on the current configuration.py.
    pub fn check(&mut self, ca_bundle: Option<&Path>) -> Output {
        let t = Instant::now();
        let mut cmd = self.netbox_cmd();
        cmd.arg("check");
        if let Some(ca) = ca_bundle {
            cmd.env("REQUESTS_CA_BUNDLE", ca);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("netbox check: {e}"));
        self.timings.push(("netbox check".into(), t.elapsed()));
        out
    }

    /// Writes configuration.py and (re)starts the server unless it already runs with this text.
    /// `ca_bundle` becomes `REQUESTS_CA_BUNDLE` (one way to trust a private Kanidm CA; the generated
    /// `SOCIAL_AUTH_VERIFY_SSL` is the other).
    pub fn serve(&mut self, sso_settings: &str, debug: bool, ca_bundle: Option<&Path>) {
        let text = self.configuration_text(sso_settings, debug);
        self.serve_configuration(text, debug, ca_bundle);
    }

    /// Writes `text` as configuration.py verbatim (a file nbsso patched) and (re)starts the server
    /// unless it already runs with this text.
    pub fn serve_configuration(&mut self, text: String, debug: bool, ca_bundle: Option<&Path>) {
        if self.serving.as_deref() == Some(text.as_str()) && self.server.is_some() {
            return;
        }
        self.stop_server();
        let _ = self.stock_template();
        fs::write(self.configuration_path(), &text)
            .unwrap_or_else(|e| panic!("write configuration.py: {e}"));
        let t = Instant::now();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.server_log_path())
            .unwrap_or_else(|e| panic!("server log: {e}"));
        let err = log
            .try_clone()
            .unwrap_or_else(|e| panic!("server log: {e}"));
        let mut cmd = self.netbox_cmd();
        if let Some(ca) = ca_bundle {
            cmd.env("REQUESTS_CA_BUNDLE", ca);
        }
        let child = cmd
            .arg("runserver")
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["--noreload", "--insecure"])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("netbox runserver: {e}"));
        // For the watcher (see watch_for_abrupt_exit).
        let _ = fs::write(self.path("netbox.pid"), child.id().to_string());
        self.server = Some(child);
        self.wait_ready();
        self.serving = Some(text);
        self.timings.push((
            format!("server start (DEBUG {})", if debug { "on" } else { "off" }),
            t.elapsed(),
        ));
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/login/", self.url());
        while Instant::now() < deadline {
            if let Some(child) = self.server.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "netbox runserver exited ({status}):\n{}",
                    self.server_log_tail(4000)
                );
            }
            if let Ok(status) = probe_status(&url)
                && status == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "NetBox did not answer {url} within 120 s:\n{}",
            self.server_log_tail(4000)
        );
    }

    pub fn stop_server(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = fs::remove_file(self.path("netbox.pid"));
        }
        self.serving = None;
    }

    /// The server log's length now, to read what a request adds ([`Self::server_log_since`]).
    pub fn server_log_mark(&self) -> u64 {
        fs::metadata(self.server_log_path())
            .map(|m| m.len())
            .unwrap_or(0)
    }

    pub fn server_log_since(&self, mark: u64) -> String {
        let Ok(mut f) = fs::File::open(self.server_log_path()) else {
            return String::new();
        };
        let mut text = String::new();
        let _ = f.seek(SeekFrom::Start(mark));
        let _ = f.read_to_string(&mut text);
        text
    }

    fn server_log_tail(&self, chars: usize) -> String {
        let text = self.server_log_since(0);
        let start = text.len().saturating_sub(chars);
        text.get(start..).unwrap_or(&text).to_string()
    }

    /// Timings as lines, for the test's report.
    pub fn timing_report(&self) -> String {
        self.timings
            .iter()
            .map(|(step, d)| format!("  {step}: {}\n", secs(*d)))
            .collect()
    }
}

impl Drop for RealNetBox {
    fn drop(&mut self) {
        self.stop_server();
        if let Some(pid) = self.redis_pid.take() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        if self.pg_started {
            self.pg_started = false;
            let _ = self
                .pg_cmd("pg_ctl")
                .arg("-D")
                .arg(self.path("pg-data"))
                .args(["-m", "fast", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// One request of a login, as a browser would see it.
#[derive(Debug, Clone)]
pub struct Hop {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
    /// What the page showed: a toast or alert text, a 500's title, Kanidm's error code.
    pub shown: Option<String>,
}

impl std::fmt::Display for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} → {}", self.method, self.url, self.status)?;
        if let Some(l) = &self.location {
            write!(f, " Location: {l}")?;
        }
        if let Some(s) = &self.shown {
            write!(f, " [{s}]")?;
        }
        Ok(())
    }
}

/// How a login ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginEnd {
    /// An authenticated NetBox page answered; the username it shows.
    LoggedIn(String),
    /// The login page's script would show its inline alert: the begin request did not give a URL.
    BeginFailed(String),
    /// Back on NetBox's login page with this toast.
    Toast(String),
    /// A NetBox error page (status and title).
    ServerError(u16, String),
    /// Stopped on Kanidm's page (its error code).
    StoppedAtKanidm(String),
    Other(String),
}

/// The outcome of one login attempt, with every hop.
#[derive(Debug, Clone)]
pub struct Login {
    pub hops: Vec<Hop>,
    pub end: LoginEnd,
    /// The redirect_uri NetBox put into the authorize URL.
    pub redirect_uri: Option<String>,
    /// The label of the SSO button on the login page.
    pub button: Option<String>,
}

impl std::fmt::Display for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for hop in &self.hops {
            writeln!(f, "    {hop}")?;
        }
        write!(f, "    ⇒ {:?}", self.end)
    }
}

/// The text NetBox's login page script shows when `POST /oauth/begin/…` fails (4.7.1+).
pub const BEGIN_ALERT: &str = "Unable to begin single sign-on. Please try again.";

/// Drives a login like a browser: cookies, manual redirects, the login page's script for 4.7.1+
/// (`POST /oauth/begin/oidc/` asking for JSON, then a navigation to the URL it returns).
pub struct LoginDriver {
    netbox: String,
    /// `https://netbox.example.com` when requests go through a (simulated) proxy: URLs on this origin
    /// are sent to `netbox` with `X-Forwarded-Host`/`X-Forwarded-Proto`, as NetBox's contrib/nginx.conf does.
    public: Option<url::Url>,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    cookies: BTreeMap<(String, String), String>,
}

impl LoginDriver {
    /// `netbox`: where NetBox listens; `ca_pem`: the IdP's CA.
    pub fn new(netbox: &str, ca_pem: &str) -> LoginDriver {
        let cert = reqwest::Certificate::from_pem(ca_pem.as_bytes())
            .unwrap_or_else(|e| panic!("CA PEM: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        let client = {
            let _inside = runtime.enter();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .tls_built_in_root_certs(false)
                .add_root_certificate(cert)
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_else(|e| panic!("HTTP client: {e}"))
        };
        LoginDriver {
            netbox: netbox.trim_end_matches('/').to_string(),
            public: None,
            client,
            runtime,
            cookies: BTreeMap::new(),
        }
    }

    /// Reach NetBox as `public` (e.g. `https://netbox.example.com`) through a proxy that sets
    /// `X-Forwarded-Host` and `X-Forwarded-Proto`.
    pub fn behind_proxy(mut self, public: &str) -> LoginDriver {
        self.public = Some(url::Url::parse(public).unwrap_or_else(|e| panic!("{public}: {e}")));
        self
    }

    /// The origin the browser uses for NetBox.
    fn netbox_origin(&self) -> String {
        match &self.public {
            Some(p) => p.origin().ascii_serialization(),
            None => self.netbox.clone(),
        }
    }

    fn request(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        form: Option<&[(&str, &str)]>,
    ) -> (u16, Option<String>, reqwest::header::HeaderMap, String) {
        let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let host_key = parsed.host_str().unwrap_or_default().to_string();
        let mut target = url.to_string();
        let mut extra: Vec<(&str, String)> = Vec::new();
        if let Some(public) = &self.public
            && parsed.origin() == public.origin()
        {
            let path = &url[parsed.origin().ascii_serialization().len()..];
            target = format!("{}{}", self.netbox, path);
            let host = match parsed.port() {
                Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
                None => parsed.host_str().unwrap_or_default().to_string(),
            };
            extra.push(("x-forwarded-host", host));
            extra.push(("x-forwarded-proto", parsed.scheme().to_string()));
        }
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .filter(|((h, _), _)| *h == host_key)
            .map(|((_, k), v)| format!("{k}={v}"))
            .collect();
        let m = reqwest::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("method {method}: {e}"));
        let mut req = self.client.request(m, &target);
        if !cookie.is_empty() {
            req = req.header("cookie", cookie.join("; "));
        }
        for (k, v) in headers.iter().chain(extra.iter()) {
            req = req.header(*k, v.as_str());
        }
        if let Some(form) = form {
            req = req.form(form);
        }
        // send() starts the timeout timer, so it must run inside the runtime.
        let resp = self
            .runtime
            .block_on(async { req.send().await })
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        for value in headers.get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                let key = (host_key.clone(), k.trim().to_string());
                if v.is_empty() || value.to_ascii_lowercase().contains("max-age=0") {
                    self.cookies.remove(&key);
                } else {
                    self.cookies.insert(key, v.trim().to_string());
                }
            }
        }
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| {
                parsed
                    .join(l)
                    .map(|u| u.to_string())
                    .unwrap_or(l.to_string())
            });
        let body = self
            .runtime
            .block_on(async { resp.text().await })
            .unwrap_or_else(|e| panic!("{method} {url} body: {e}"));
        (status, location, headers, body)
    }

    /// GET `start`, then follow redirects with GET (at most 10 hops).
    fn follow(&mut self, start: String, hops: &mut Vec<Hop>) -> (String, u16, String) {
        let mut url = start;
        for _ in 0..10 {
            let (status, location, _, body) = self.request("GET", &url, &[], None);
            let shown = shown(&url, status, &body);
            hops.push(Hop {
                method: "GET".into(),
                url: url.clone(),
                status,
                location: location.clone(),
                shown,
            });
            match location {
                Some(next) if (300..400).contains(&status) => url = next,
                _ => return (url, status, body),
            }
        }
        panic!("too many redirects: {hops:#?}");
    }

    /// The whole login: login page, the button (as the page's script does), Kanidm, the callback, then
    /// the profile page.
    pub fn login(&mut self) -> Login {
        self.login_via(nbsso::plan::deployment::OIDC_BACKEND)
    }

    /// The buttons of the login page: `(backend, label)`.
    pub fn buttons(&mut self) -> Vec<(String, String)> {
        let mut hops = Vec::new();
        let (_, _, page) = self.follow(format!("{}/login/", self.netbox_origin()), &mut hops);
        nbsso::checks::netbox::parse_login_page(&page)
            .buttons
            .into_iter()
            .map(|b| (b.backend, b.label))
            .collect()
    }

    /// Presses the button of `backend` as the login page's script does and returns the IdP's
    /// authorize URL NetBox answers with (the login is not followed further).
    pub fn begin(&mut self, backend: &str) -> Result<String, Login> {
        let mut hops = Vec::new();
        self.begin_login(backend, &mut hops)
            .map(|(_, authorize)| authorize)
    }

    /// The login through the button of `backend`.
    pub fn login_via(&mut self, backend: &str) -> Login {
        let origin = self.netbox_origin();
        let mut hops = Vec::new();
        let (button, authorize) = match self.begin_login(backend, &mut hops) {
            Ok(found) => found,
            Err(login) => return login,
        };
        self.finish_login(&origin, button, authorize, hops)
    }

    /// The login page, the button of `backend` and its begin request: the button and the
    /// authorize URL, or the login as it ended there.
    fn begin_login(
        &mut self,
        backend: &str,
        hops: &mut Vec<Hop>,
    ) -> Result<(nbsso::checks::netbox::SsoButton, String), Login> {
        let origin = self.netbox_origin();
        self.begin_login_inner(&origin, backend, hops)
            .map_err(|(end, button)| Login {
                hops: hops.clone(),
                end,
                redirect_uri: None,
                button,
            })
    }

    fn begin_login_inner(
        &mut self,
        origin: &str,
        backend: &str,
        hops: &mut Vec<Hop>,
    ) -> Result<(nbsso::checks::netbox::SsoButton, String), (LoginEnd, Option<String>)> {
        let login_url = format!("{origin}/login/");
        let (_, status, page) = self.follow(login_url.clone(), hops);
        if status != 200 {
            return Err((
                LoginEnd::Other(format!("login page answered {status}")),
                None,
            ));
        }
        let parsed = nbsso::checks::netbox::parse_login_page(&page);
        let Some(button) = parsed.backend(backend).cloned() else {
            return Err((
                LoginEnd::Other(format!(
                    "the login page has no button for the backend {backend}"
                )),
                None,
            ));
        };
        // The page's script (sso.ts) posts the form's own fields, asking for JSON.
        let fields = form_fields(&page, &button.target);
        let begin = format!("{origin}{}", button.target);
        let (status, location, _, body) = self.request(
            "POST",
            &begin,
            &[
                ("accept", "application/json".to_string()),
                ("referer", login_url.clone()),
                ("origin", origin.to_string()),
            ],
            Some(
                &fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            ),
        );
        let authorize = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(str::to_string));
        hops.push(Hop {
            method: "POST".into(),
            url: begin.clone(),
            status,
            location: location.clone(),
            shown: match &authorize {
                Some(u) => Some(format!("JSON url {u}")),
                None => shown(&begin, status, &body),
            },
        });
        match authorize.filter(|_| status == 200) {
            Some(authorize) => Ok((button, authorize)),
            // The page's script shows its inline alert for anything but a JSON answer with a URL.
            None => Err((
                LoginEnd::BeginFailed(format!("{BEGIN_ALERT} (HTTP {status})")),
                Some(button.label),
            )),
        }
    }

    /// From the authorize URL on: the IdP, the callback, the profile page.
    fn finish_login(
        &mut self,
        origin: &str,
        button: nbsso::checks::netbox::SsoButton,
        authorize: String,
        mut hops: Vec<Hop>,
    ) -> Login {
        let redirect_uri = url::Url::parse(&authorize).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .map(|(_, v)| v.into_owned())
        });
        let (last, status, body) = self.follow(authorize.clone(), &mut hops);
        let idp_origin = url::Url::parse(&authorize).map(|u| u.origin()).ok();
        let last_origin = url::Url::parse(&last).map(|u| u.origin()).ok();
        let end = if idp_origin.is_some() && idp_origin == last_origin {
            // The browser stays on Kanidm's page.
            LoginEnd::StoppedAtKanidm(
                kanidm_error(&body).unwrap_or_else(|| format!("HTTP {status}")),
            )
        } else if status >= 500 {
            LoginEnd::ServerError(status, error_title(&body))
        } else if last.ends_with("/login/") || last.contains("/login/?") {
            match toast(&body) {
                Some(t) => LoginEnd::Toast(t),
                None => LoginEnd::Other("back on the login page without a message".into()),
            }
        } else {
            let (_, status, profile) = self.follow(format!("{origin}/user/profile/"), &mut hops);
            match (status, profile_username(&profile)) {
                (200, Some(user)) => LoginEnd::LoggedIn(user),
                _ => LoginEnd::Other(format!("profile page answered {status}")),
            }
        };
        Login {
            hops,
            end,
            redirect_uri,
            button: Some(button.label),
        }
    }
}

/// The `name`/`value` pairs of the inputs in the form whose action is `action`.
fn form_fields(page: &str, action: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let start = tag.find(&key)? + key.len();
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&amp;", "&"))
    };
    let Some(start) = page.find(&format!("action=\"{action}\"")) else {
        return Vec::new();
    };
    let form = &page[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    form.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default()))
        })
        .collect()
}

/// What a page shows a user, briefly.
fn shown(url: &str, status: u16, body: &str) -> Option<String> {
    if status >= 500 {
        return Some(error_title(body));
    }
    if let Some(e) = kanidm_error(body) {
        return Some(e);
    }
    if url.contains("/login/") {
        return toast(body);
    }
    None
}

/// NetBox's toasts (Django messages) on a page.
pub fn toast(body: &str) -> Option<String> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("toast-body") {
        let after = &rest[i..];
        let Some(open) = after.find('>') else { break };
        let Some(close) = after.find("</div>") else {
            break;
        };
        if open < close {
            let text = strip_tags(&after[open + 1..close]);
            if !text.is_empty() {
                found.push(text);
            }
        }
        rest = &after[close..];
    }
    (!found.is_empty()).then(|| found.join(" | "))
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Kanidm's error page: "Error Code: …".
fn kanidm_error(body: &str) -> Option<String> {
    let i = body.find("Error Code:")?;
    let text = strip_tags(&body[i..body.len().min(i + 200)]);
    Some(text.split(" ").take(3).collect::<Vec<_>>().join(" "))
}

/// The `<title>` of an error page (Django's DEBUG page puts the exception there), and for NetBox's own
/// 500 page the exception it prints.
pub fn error_title(body: &str) -> String {
    let title = match (body.find("<title>"), body.find("</title>")) {
        (Some(a), Some(b)) if a < b => strip_tags(&body[a + 7..b]),
        _ => body.lines().next().unwrap_or_default().trim().to_string(),
    };
    let marker = "<pre class=\"block\">";
    match body.find(marker) {
        Some(i) => {
            let pre = &body[i + marker.len()..];
            let end = pre.find("Python version").unwrap_or(pre.len().min(400));
            format!("{title}: {}", strip_tags(&pre[..end]))
        }
        None => title,
    }
}

/// The username on NetBox's profile page.
fn profile_username(body: &str) -> Option<String> {
    // The profile page's table: <th scope="row">Username</th><td>alice</td>
    let i = body.find(">Username<")?;
    let after = &body[i..];
    let td = after.find("<td")?;
    let open = after[td..].find('>')? + td;
    let close = after[open..].find("</td>")? + open;
    Some(strip_tags(&after[open + 1..close]))
}

/// The status of `GET url` on plain http, with a raw socket (the readiness probe).
fn probe_status(url: &str) -> Result<u16, String> {
    use std::io::Write as _;
    let u = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = u.host_str().unwrap_or("127.0.0.1").to_string();
    let port = u.port_or_known_default().unwrap_or(80);
    let mut s = std::net::TcpStream::connect((host.as_str(), port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n",
        u.path()
    )
    .map_err(|e| e.to_string())?;
    let mut head = [0u8; 32];
    let n = s.read(&mut head).map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head[..n]).into_owned();
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or(line)
}
