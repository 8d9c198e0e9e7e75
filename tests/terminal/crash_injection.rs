//! Crash injection: the built nbsso is killed with SIGKILL at each system call of its writes in
//! turn (strace's `--inject=SYSCALL:signal=KILL:when=N`, the signal delivered on entering the call,
//! so the call never happens), for `nbsso generate` overwriting an existing output directory,
//! `nbsso generate --patch` on a netbox-docker configuration whose env file holds secrets (0600),
//! `nbsso import --plan-out` over an edited plan, and `nbsso users match --out` over earlier outputs. After each kill: every target file holds its
//! old bytes and mode or its complete new ones, a replaced file has a whole backup, no file derived
//! from a secret file is readable by group or others, and a second run succeeds, ends with exactly
//! the files of an uninterrupted run and leaves no temp file behind.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use testkit::tmux::nbsso_bin;

/// Every call that creates, changes, renames or removes a file, and those around them (opens,
/// locks, closes) so a kill lands between each two steps.
const TRACED: &str = "openat,creat,write,pwrite64,writev,fsync,fdatasync,rename,renameat,renameat2,\
                      link,linkat,unlink,unlinkat,fchmod,fchmodat,fchown,fchownat,mkdir,mkdirat,\
                      ftruncate,copy_file_range,sendfile,flock,close";

/// A relative path in the work directory → its bytes and mode.
type Tree = BTreeMap<String, (Vec<u8>, u32)>;

struct Scenario {
    name: &'static str,
    /// Lays out the old state in the work directory.
    setup: fn(&Path),
    /// The command's arguments, given the work directory.
    args: fn(&Path) -> Vec<String>,
    /// Files holding secrets (relative paths): they and everything made from them stay 0600.
    secrets: &'static [&'static str],
}

#[derive(Default, Debug)]
struct Figures {
    tried: usize,
    hit_a_write: usize,
    violations: Vec<String>,
}

/// strace is installed and may trace here (a container without ptrace may not).
fn strace_available() -> bool {
    Command::new("strace")
        .args(["-qq", "-e", "trace=none", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn read_tree(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, tree: &mut Tree) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, tree);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                let mode = entry.metadata().unwrap().permissions().mode() & 0o7777;
                tree.insert(rel, (std::fs::read(&path).unwrap(), mode));
            }
        }
    }
    let mut tree = Tree::new();
    walk(root, root, &mut tree);
    tree
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// A temp file of nbsso's (`.NAME.nbsso-tmp-XXXXXX`, or any other dot-file of its own that is not
/// a backup).
fn is_temp(rel: &str) -> bool {
    let name = file_name(rel);
    name.contains(".nbsso-tmp-")
        || (name.starts_with('.') && name.contains("nbsso-") && !name.ends_with(".bak"))
}

/// `NAME.nbsso-<stamp>.bak` → `NAME` (with its directory).
fn backup_of(rel: &str) -> Option<String> {
    let cut = rel.rfind(".nbsso-")?;
    (rel.ends_with(".bak") && !is_temp(rel)).then(|| rel[..cut].to_string())
}

fn run(work: &Path, scenario: &Scenario, strace: Option<(&str, &Path)>) -> Output {
    let args = (scenario.args)(work);
    let mut command = match strace {
        Some((inject, log)) => {
            let mut c = Command::new("strace");
            c.args(["-f", "-qq", "-y", "-e", &format!("trace={TRACED}"), "-o"])
                .arg(log);
            if !inject.is_empty() {
                c.arg(format!("--inject={inject}"));
            }
            c.arg(nbsso_bin());
            c
        }
        None => Command::new(nbsso_bin()),
    };
    command
        .args(&args)
        .current_dir(work)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// One traced call: the thread, the call's name, and whether it touches the work directory.
struct Call {
    pid: String,
    name: String,
    touches_work: bool,
    modifies: bool,
}

/// The calls of an strace log, in order (a call split by another thread counts once, where it
/// began).
fn calls(log: &str, work: &Path) -> Vec<Call> {
    let work = work.display().to_string();
    log.lines()
        .filter_map(|line| {
            // strace pads the thread id to five columns.
            let (pid, rest) = line.split_once(' ')?;
            let rest = rest.trim_start();
            let paren = rest.find('(')?;
            let name = &rest[..paren];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return None; // `<... resumed>`, `+++ killed`, `--- SIG…`
            }
            // The working directory decoded for AT_FDCWD says nothing about the file.
            let args = strip_fdcwd(&rest[paren..]);
            let fd_path = args
                .strip_prefix('(')
                .and_then(|a| a.split_once('<'))
                .filter(|(fd, _)| fd.chars().all(|c| c.is_ascii_digit()))
                .map(|(_, p)| p.split('>').next().unwrap_or(""));
            let touches_work = match fd_path {
                Some(path) => path.starts_with(&work),
                // Paths given as strings: absolute ones under the work directory, relative ones
                // are relative to it (nbsso runs there).
                None => args
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .any(|p| p.starts_with(&work) || (!p.starts_with('/') && !p.is_empty())),
            };
            let modifies = match name {
                "openat" | "creat" => args.contains("O_CREAT") || args.contains("O_WRONLY"),
                "close" | "flock" => false,
                _ => true,
            };
            Some(Call {
                pid: pid.to_string(),
                name: name.to_string(),
                touches_work,
                modifies,
            })
        })
        .collect()
}

fn strip_fdcwd(args: &str) -> String {
    let mut out = String::new();
    let mut rest = args;
    while let Some(at) = rest.find("AT_FDCWD<") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        rest = after.find('>').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    out
}

/// The kill points of a traced uninterrupted run: from the first call that changes the work
/// directory on, every call of the main thread that touches it, as (call name, its number among
/// that thread's calls of the name).
fn write_points(log: &str, work: &Path) -> Vec<(String, usize)> {
    let calls = calls(log, work);
    let Some(main) = calls.first().map(|c| c.pid.clone()) else {
        return Vec::new();
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut writing = false;
    let mut points = Vec::new();
    for call in calls.iter().filter(|c| c.pid == main) {
        let n = counts.entry(call.name.clone()).or_default();
        *n += 1;
        writing |= call.touches_work && call.modifies;
        if writing && call.touches_work {
            points.push((call.name.clone(), *n));
        }
    }
    points
}

/// What must hold in `now`, the work directory right after a kill.
fn check_after_kill(
    old: &Tree,
    new: &Tree,
    now: &Tree,
    secrets: &[&str],
    point: &str,
) -> Vec<String> {
    let mut bad = Vec::new();
    let targets = old
        .keys()
        .chain(new.keys())
        .filter(|rel| !is_temp(rel) && backup_of(rel).is_none());
    for rel in targets {
        let (was, will, is) = (old.get(rel), new.get(rel), now.get(rel));
        if is != was && is != will {
            bad.push(format!(
                "{point}: {rel} is neither its old nor its complete new content (mode {})",
                is.map_or("absent".to_string(), |f| format!("{:o}", f.1))
            ));
        }
        if let (Some(was), Some(is)) = (was, is)
            && is != was
            && !now
                .iter()
                .any(|(b, f)| backup_of(b).as_deref() == Some(rel) && f == was)
        {
            bad.push(format!(
                "{point}: {rel} was replaced without a whole backup"
            ));
        }
    }
    for (rel, file) in now {
        if let Some(of) = backup_of(rel)
            && old.get(&of) != Some(file)
        {
            bad.push(format!("{point}: the backup {rel} is not the old {of}"));
        }
        let name = file_name(rel);
        let from_secret = secrets.iter().any(|s| {
            let s = file_name(s);
            name == s
                || name.starts_with(&format!("{s}.nbsso-"))
                || name.starts_with(&format!(".{s}.nbsso-tmp-"))
        });
        if from_secret && file.1 & 0o077 != 0 {
            bad.push(format!(
                "{point}: {rel} (from a secret file) has mode {:o}",
                file.1
            ));
        }
    }
    bad
}

/// Ran again after the kill: it succeeds like an uninterrupted run, ends with its files, and no
/// temp file is left.
fn check_rerun(
    work: &Path,
    scenario: &Scenario,
    reference: &Output,
    new: &Tree,
    point: &str,
) -> Vec<String> {
    let mut bad = Vec::new();
    let again = run(work, scenario, None);
    if again.status.code() != reference.status.code() {
        bad.push(format!(
            "{point}: the next run ended with {:?}, not {:?}: {}",
            again.status.code(),
            reference.status.code(),
            String::from_utf8_lossy(&again.stderr)
        ));
    }
    let after = read_tree(work);
    for (rel, file) in new.iter().filter(|(r, _)| backup_of(r).is_none()) {
        if after.get(rel) != Some(file) {
            bad.push(format!(
                "{point}: after the next run {rel} differs from an uninterrupted run's"
            ));
        }
    }
    bad.extend(
        after
            .keys()
            .filter(|r| is_temp(r))
            .map(|r| format!("{point}: {r} left after the next run")),
    );
    bad
}

fn inject_all(scenario: &Scenario) -> Figures {
    let scratch = tempfile::tempdir().unwrap();
    let base = scratch.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    (scenario.setup)(&base);
    let old = read_tree(&base);

    // An uninterrupted run, traced: the files it ends with and its kill points.
    let reference_dir = scratch.path().join("reference");
    copy_tree(&base, &reference_dir);
    let log = scratch.path().join("reference.strace");
    let reference = run(&reference_dir, scenario, Some(("", &log)));
    let new = read_tree(&reference_dir);
    assert!(
        new.iter()
            .any(|(rel, f)| old.get(rel).is_some_and(|o| o != f)),
        "{}: the run replaces no file: {}",
        scenario.name,
        String::from_utf8_lossy(&reference.stderr)
    );
    let points = write_points(&std::fs::read_to_string(&log).unwrap(), &reference_dir);

    let mut figures = Figures::default();
    for (i, (name, n)) in points.iter().enumerate() {
        let point = format!("{} #{i} ({name} number {n})", scenario.name);
        let work = scratch.path().join(format!("kill-{i}"));
        copy_tree(&base, &work);
        let log = scratch.path().join(format!("kill-{i}.strace"));
        let killed = run(
            &work,
            scenario,
            Some((&format!("{name}:signal=KILL:when={n}"), &log)),
        );
        figures.tried += 1;
        let log = std::fs::read_to_string(&log).unwrap();
        if !log.contains("+++ killed by SIGKILL +++") {
            figures.violations.push(format!(
                "{point}: never killed (exit {:?})",
                killed.status.code()
            ));
            continue;
        }
        // The call the kill landed on is the killed thread's last one.
        let last = calls(&log, &work).into_iter().last();
        if last.is_some_and(|c| c.touches_work) {
            figures.hit_a_write += 1;
        }
        let now = read_tree(&work);
        figures
            .violations
            .extend(check_after_kill(&old, &new, &now, scenario.secrets, &point));
        figures
            .violations
            .extend(check_rerun(&work, scenario, &reference, &new, &point));
        let _ = std::fs::remove_dir_all(&work);
    }
    println!(
        "crash injection, {}: {} points tried, {} hit a write, {} violations",
        scenario.name,
        figures.tried,
        figures.hit_a_write,
        figures.violations.len()
    );
    figures
}

fn path_arg(work: &Path, rel: &str) -> String {
    work.join(rel).display().to_string()
}

fn example(name: &str) -> PathBuf {
    testkit::fixtures::example(name)
}

/// An output directory written by an earlier plan (members alice and bob, client `netbox`); the
/// plan now has one member and another client name, so every file changes.
fn setup_generate(work: &Path) {
    let plan = std::fs::read_to_string(example("keycloak-netbox-4.7.3.toml")).unwrap();
    std::fs::write(work.join("old-plan.toml"), &plan).unwrap();
    let out = Command::new(nbsso_bin())
        .args(["generate", "--plan", "old-plan.toml", "--out", "out"])
        .current_dir(work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let changed = plan
        .replace(r#"members = ["alice", "bob"]"#, r#"members = ["alice"]"#)
        .replace(r#"client = "netbox""#, r#"client = "netbox-prod""#);
    assert_ne!(changed, plan);
    std::fs::write(work.join("plan.toml"), changed).unwrap();
}

fn args_generate(work: &Path) -> Vec<String> {
    let plan = path_arg(work, "plan.toml");
    let out = path_arg(work, "out");
    vec![
        "generate".into(),
        "--plan".into(),
        plan,
        "--out".into(),
        out,
    ]
}

/// A netbox-docker configuration set up for Keycloak (tests/fixtures/netbox-config/docker-keycloak),
/// its env file holding the database password and the Keycloak client secret, 0600.
fn setup_patch(work: &Path) {
    setup_generate(work);
    copy_tree(
        &testkit::fixtures::path("netbox-config/docker-keycloak"),
        &work.join("netbox-docker"),
    );
    let env = work.join("netbox-docker/env/netbox.env");
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn args_patch(work: &Path) -> Vec<String> {
    let mut args = args_generate(work);
    args.extend([
        "--patch".into(),
        path_arg(work, "netbox-docker/configuration"),
        "--env-file".into(),
        path_arg(work, "netbox-docker/env/netbox.env"),
    ]);
    args
}

/// user-map.json and migrate-users.py from a run with the NetBox 4.5 Docker deployment, then the
/// export matched again for a checkout with corrections.
fn setup_users(work: &Path) {
    for name in [
        "keycloak-default.export.txt",
        "persons.cli.json",
        "overrides.csv",
    ] {
        std::fs::copy(
            testkit::fixtures::path(&format!("users/{name}")),
            work.join(name),
        )
        .unwrap();
    }
    let out = Command::new(nbsso_bin())
        .args(["users", "match", "--netbox", "keycloak-default.export.txt"])
        .args([
            "--kanidm",
            "persons.cli.json",
            "--out",
            "out",
            "--deployment",
            "docker",
        ])
        .current_dir(work)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn args_users(work: &Path) -> Vec<String> {
    [
        "users",
        "match",
        "--netbox",
        "keycloak-default.export.txt",
        "--kanidm",
        "persons.cli.json",
        "--overrides",
        "overrides.csv",
        "--deployment",
        "checkout",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([path_arg(work, "out")])
    .collect()
}

/// netbox-docker's configuration read again, over a plan an earlier import prefilled by hand.
fn setup_import(work: &Path) {
    setup_patch(work);
    std::fs::write(
        work.join("imported.toml"),
        "# prefilled earlier, then edited\nsource = \"keycloak\"\n[netbox]\nurl = \"https://netbox.example.com\"\n",
    )
    .unwrap();
}

/// Relative paths (nbsso runs in the work directory): the plan records the paths it was given.
fn args_import(_work: &Path) -> Vec<String> {
    [
        "import",
        "netbox-docker/configuration",
        "--env-file",
        "netbox-docker/env/netbox.env",
        "--plan-out",
        "imported.toml",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn killed_at_every_write_step_no_file_is_half_written_lost_or_exposed() {
    if !strace_available() {
        eprintln!("skipped: strace is not installed or may not trace here");
        return;
    }
    let scenarios = [
        Scenario {
            name: "nbsso generate over an existing output directory",
            setup: setup_generate,
            args: args_generate,
            secrets: &[],
        },
        Scenario {
            name: "nbsso generate --patch on netbox-docker",
            setup: setup_patch,
            args: args_patch,
            secrets: &["netbox-docker/env/netbox.env"],
        },
        Scenario {
            name: "nbsso import --plan-out over an edited plan",
            setup: setup_import,
            args: args_import,
            secrets: &["netbox-docker/env/netbox.env"],
        },
        Scenario {
            name: "nbsso users match --out",
            setup: setup_users,
            args: args_users,
            secrets: &[],
        },
    ];
    let figures: Vec<Figures> = scenarios.iter().map(inject_all).collect();
    let tried: usize = figures.iter().map(|f| f.tried).sum();
    let hit: usize = figures.iter().map(|f| f.hit_a_write).sum();
    let violations: Vec<&String> = figures.iter().flat_map(|f| &f.violations).collect();
    println!(
        "crash injection, in total: {tried} points tried, {hit} hit a write, {} violations",
        violations.len()
    );
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(tried >= 100, "only {tried} kill points");
    assert!(hit >= 100, "only {hit} kills landed on a write step");
}
