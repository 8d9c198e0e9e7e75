//! Plans as users write them: every problem reported at once with its field and fix, and the
//! `nbsso generate` command's output, JSON report and exit codes.

use nbsso::plan::{PlanDraft, Severity, validate};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nbsso(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

const BROKEN_PLAN: &str = r#"
source = "keyclaok"

[netbox]
url = "netbox.example.com"
base_path = "net box"
version = "4.5.2"
secret_file = "kanidm-secret"

[kanidm]
origin = "https://idm.example.com/oauth2/openid/netbox/"
client = "NetBox"
display_name = "NetBox"
admin = "admin"
group = "netbox users"
members = ["alice", "Bob"]
extra_scopes = ["openid email"]
pkce = "enforce"
consent_prompt = false
version = "1.8.0"
clinet = "typo"
"#;

#[test]
fn an_invalid_plan_reports_every_problem_at_once() {
    let draft = PlanDraft::from_toml(BROKEN_PLAN).unwrap();
    let problems = validate(&draft).unwrap_err();
    let errors: Vec<(&str, &str)> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| (p.field.as_str(), p.message.as_str()))
        .collect();
    let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields,
        [
            "kanidm.clinet",
            "source",
            "netbox.url",
            "netbox.base_path",
            "netbox.secret_file",
            "kanidm.origin",
            "kanidm.client",
            "kanidm.admin",
            "kanidm.group",
            "kanidm.members[1]",
            "kanidm.extra_scopes[0]",
            "kanidm.pkce",
            "kanidm.consent_prompt",
        ]
    );
    let message = |field: &str| errors.iter().find(|(f, _)| *f == field).unwrap().1;
    assert!(message("netbox.url").contains("https://netbox.example.com"));
    assert!(message("kanidm.origin").contains("issuer"));
    assert!(message("kanidm.client").contains("lower case"));
    assert!(message("kanidm.admin").contains("403"));
    assert!(message("kanidm.pkce").contains("No PKCE code challenge"));
    assert!(message("kanidm.consent_prompt").contains("1.9.0"));
    let typo = problems
        .iter()
        .find(|p| p.field == "kanidm.clinet")
        .unwrap();
    assert_eq!(typo.fix.as_deref(), Some("did you mean `client`?"));
}

#[test]
fn example_plans_are_valid_and_round_trip_through_toml() {
    for name in [
        "keycloak-netbox-4.7.3.toml",
        "authentik-netbox-4.5.2.toml",
        "fresh-netbox-4.0.toml",
    ] {
        let draft = PlanDraft::from_toml(&std::fs::read_to_string(example(name)).unwrap()).unwrap();
        let (plan, _) = validate(&draft).unwrap_or_else(|p| panic!("{name}: {p:#?}"));
        let again = PlanDraft::from_toml(&draft.to_toml()).unwrap();
        assert_eq!(again, draft, "{name} changes when saved");
        assert_eq!(validate(&again).unwrap().0, plan);
    }
}

#[test]
fn generate_with_an_invalid_plan_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.toml"), BROKEN_PLAN).unwrap();
    let out = nbsso(
        &["generate", "--plan", "plan.toml", "--out", "out"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("error: kanidm.origin: this looks like the issuer URL"),
        "{stderr}"
    );
    assert!(stderr.contains("  fix: did you mean `client`?"), "{stderr}");
    assert!(
        stderr.contains("has 13 error(s); nothing was written"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn broken_toml_is_one_located_problem_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.toml"),
        "source = \"keycloak\"\n[kanidm]\nshort_usernames = \"yes\"\n",
    )
    .unwrap();
    let out = nbsso(&["generate", "--plan", "plan.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("plan.toml:3: the plan is not valid TOML"),
        "{stderr}"
    );
    let missing = nbsso(&["generate", "--plan", "nope.toml"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the plan"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(nbsso(&["generate"], dir.path()).status.code(), Some(2));
    assert_eq!(nbsso(&["frobnicate"], dir.path()).status.code(), Some(2));
    let help = nbsso(&["--help"], dir.path());
    assert_eq!(help.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("Exit codes: 0 ok, 1 findings, 2 usage")
    );
}

#[test]
fn dry_run_shows_dispositions_and_diffs_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plan = example("keycloak-netbox-4.7.3.toml");
    let out = nbsso(
        &[
            "generate",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            "out",
            "--dry-run",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("Dry run: nothing is written. In out:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  netbox-sso.py            new         0644"),
        "{stdout}"
    );
    assert!(stdout.contains("+++ out/netbox-sso.py"), "{stdout}");
    assert!(
        stdout.contains("+SOCIAL_AUTH_OIDC_USE_PKCE = True"),
        "{stdout}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "a dry run must not even create the directory"
    );
}

#[test]
fn write_then_rerun_reports_unchanged_then_overwrite_with_backup() {
    let dir = tempfile::tempdir().unwrap();
    let plan = example("keycloak-netbox-4.7.3.toml");
    let plan = plan.to_str().unwrap();
    let first = nbsso(&["generate", "--plan", plan, "--out", "out"], dir.path());
    assert_eq!(first.status.code(), Some(0));
    let second = nbsso(
        &["generate", "--plan", plan, "--out", "out", "--json"],
        dir.path(),
    );
    let report: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["exit_code"], 0);
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["disposition"] == "unchanged")
    );

    std::fs::write(dir.path().join("out/netbox-sso.py"), "# edited by hand\n").unwrap();
    let dry = nbsso(
        &[
            "generate",
            "--plan",
            plan,
            "--out",
            "out",
            "--dry-run",
            "--json",
        ],
        dir.path(),
    );
    let report: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let py = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "out/netbox-sso.py")
        .unwrap();
    assert_eq!(py["disposition"], "overwrite");
    assert!(py["diff"].as_str().unwrap().contains("-# edited by hand"));

    let third = nbsso(&["generate", "--plan", plan, "--out", "out"], dir.path());
    let stdout = String::from_utf8(third.stdout).unwrap();
    assert!(stdout.contains("netbox-sso.py            overwrite (backup kept) 0644 (old file kept as netbox-sso.py.nbsso-"), "{stdout}");
    let backups: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out").join(&backups[0])).unwrap(),
        "# edited by hand\n"
    );
}

#[test]
fn json_report_of_an_invalid_plan_lists_the_problems() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.toml"), BROKEN_PLAN).unwrap();
    let out = nbsso(&["generate", "--plan", "plan.toml", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["exit_code"], 2);
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["field"] == "kanidm.origin" && p["severity"] == "error")
    );
}

/// `nbsso generate --json | head -1`: a reader that closes the pipe early gets no panic.
#[test]
fn json_into_a_closed_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let plan = testkit::fixtures::example("keycloak-netbox-4.7.3.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .args([
            "generate",
            "--plan",
            plan.to_str().unwrap(),
            "--dry-run",
            "--json",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before nbsso writes
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// The text reports too: a reader gone before nbsso writes (`nbsso … | head -0`) ends the output
/// quietly, with the command's own exit code, for every command that prints to stdout.
#[test]
fn text_into_a_closed_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let plan = testkit::fixtures::example("keycloak-netbox-4.7.3.toml");
    let plan = plan.to_str().unwrap();
    for args in [
        vec!["generate", "--plan", plan, "--dry-run"],
        vec!["explain", "--list"],
        vec!["explain", "invalid_grant"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nbsso"))
            .args(&args)
            .current_dir(dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            matches!(out.status.code(), Some(0..=4)),
            "{args:?}: {:?} {stderr}",
            out.status
        );
    }
}

/// The README's answer file for the accessible mode, run as printed (its servers moved to closed
/// ports on 127.0.0.1, so the checks fail at once and touch no network): it must drive the mode to
/// the end, as a newcomer copying it expects.
#[test]
fn the_readmes_answer_file_drives_the_accessible_mode_to_the_end() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("### The accessible mode")
        .nth(1)
        .expect("README has the accessible mode's section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a sh block in the section");
    let script: String = block
        .lines()
        .take_while(|line| !line.starts_with("nbsso --accessible"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("https://idm.example.com", "https://127.0.0.1:9")
        .replace("https://netbox.example.com", "https://127.0.0.2:9");
    assert!(
        block.contains("nbsso --accessible < answers.txt"),
        "{block}"
    );
    let dir = tempfile::tempdir().unwrap();
    let made = Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(made.success(), "{script}");
    let answers = std::fs::File::open(dir.path().join("answers.txt")).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .arg("--accessible")
        .stdin(answers)
        .current_dir(dir.path())
        .env_remove("KANIDM_URL")
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{transcript}");
    assert!(!transcript.contains("Not valid"), "{transcript}");
    assert!(
        transcript.contains("Plan saved to nbsso-out/nbsso-plan.toml"),
        "{transcript}"
    );
    let plan = std::fs::read_to_string(dir.path().join("nbsso-out/nbsso-plan.toml")).unwrap();
    for expected in ["source = \"keycloak\"", "\"alice\"", "\"bob\""] {
        assert!(plan.contains(expected), "{expected} in {plan}");
    }
    assert!(dir.path().join("nbsso-out/kanidm-setup.sh").is_file());
}
