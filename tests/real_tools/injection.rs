//! Hostile values through every free-text field: the generated bash and Python must carry them as
//! data, never as code. Proven by parsing (bash -n, ast.parse), by running the setup script against a
//! recording `kanidm`, and by evaluating the settings with Python.

use nbsso::generate;
use nbsso::plan::{PlanDraft, validate};
use nbsso::quote;
use std::path::Path;
use std::process::Command;

const HOSTILE: &[&str] = &[
    "'",
    "\"",
    "''",
    "'''",
    "\"\"\"",
    "$(id)",
    "$(touch /tmp/nbsso-pwned)",
    "`id`",
    "`touch /tmp/nbsso-pwned`",
    "${HOME}",
    "$HOME",
    "$((6*7))",
    "$'\\x41'",
    "\\",
    "\\\\",
    "\\'",
    "\\\"",
    "a\\nb",
    "\\x41\\u0041",
    "\n",
    "a\nb",
    "\r\n",
    "\t",
    "x\u{0}y",
    "\u{7f}",
    "\u{1b}[31mred",
    "-rf",
    "--help",
    "--name=admin",
    "-",
    "--",
    "-o json",
    "!!",
    "!$",
    "# not a comment",
    ";",
    "; rm -rf /",
    "&& id",
    "| id",
    "> /tmp/nbsso-x",
    "< /etc/passwd",
    "*",
    "?",
    "[a-z]*",
    "~",
    "~root",
    "{a,b}",
    "%s%s%n",
    "%(x)s",
    "{0}",
    "{__import__('os')}",
    "f'{1}'",
    "'''; import os; os.system('id'); '''",
    "\"\"\"; import os #",
    "'); import os; ('",
    "Ünïcødé Läbel",
    "日本語のラベル",
    "emoji 😀 label",
    "\u{202e}evil",
    "line\u{2028}sep",
    "para\u{2029}sep",
    "\u{feff}bom",
    "zero\u{200b}width",
    "ﬁ ligature Ω",
    "a'b\"c`d$e\\f",
    " leading",
    "trailing ",
    "None",
    "True",
    "__import__('os').system('id')",
    "</script><script>",
    "\\u0027",
];

fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn at_least_fifty_hostile_values() {
    assert!(HOSTILE.len() >= 50, "{}", HOSTILE.len());
}

/// The quoting functions alone, with every value (even those validation refuses).
#[test]
fn quoting_round_trips_through_bash_and_python() {
    let values: Vec<&str> = HOSTILE
        .iter()
        .copied()
        .filter(|v| !v.contains('\0'))
        .collect();
    let mut script = String::new();
    for v in &values {
        script.push_str(&format!("printf '%s\\0' {}\n", quote::shell(v)));
    }
    let out = run_ok(Command::new("bash").args(["-c", &script]));
    let from_bash: Vec<String> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8(s.to_vec()).unwrap())
        .collect();
    // Empty values do not occur in the list, so splitting on NUL is exact.
    assert_eq!(from_bash, values);

    let py = format!(
        "import json, sys\nvalues = [\n{}\n]\nsys.stdout.write(json.dumps(values))\n",
        values
            .iter()
            .map(|v| format!("    {},", quote::python(v)))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out = run_ok(Command::new("python3").args(["-c", &py]));
    let from_python: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_python, values);
}

/// A `kanidm` that records its argv (NUL-separated, one record per call) and answers like a server
/// where nothing exists yet.
const RECORDING_KANIDM: &str = r#"#!/usr/bin/env bash
{ printf '%s\0' "KANIDM_CA_PATH=${KANIDM_CA_PATH:-}" "$@"; printf '\n'; } >>"$NBSSO_TEST_LOG"
case " $* " in
  *" oauth2 get "*) echo "No matching entries" ;;
  *" group get "*) echo "No matching group '$6'" ;;
  *" show-basic-secret "*) echo "fake-secret-0123456789abcdefghijklmnopqrstuvwxyz" ;;
  *) echo "Success" ;;
esac
"#;

fn example_draft() -> PlanDraft {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/keycloak-netbox-4.7.3.toml");
    PlanDraft::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn hostile_values_in_every_free_text_field_stay_data() {
    let work = tempfile::tempdir().unwrap();
    let fake = work.path().join("kanidm");
    std::fs::write(&fake, RECORDING_KANIDM).unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut accepted = 0;
    let mut refused = 0;

    for (i, value) in HOSTILE.iter().enumerate() {
        let case = work.path().join(format!("case{i}"));
        std::fs::create_dir_all(&case).unwrap();
        // Paths keep the value inside the case directory.
        let path_part = value.replace('/', "_");
        let mut draft = example_draft();
        draft.kanidm.display_name = value.to_string();
        draft.login.button_label = value.to_string();
        draft.netbox.secret_file = format!("{}/secret {path_part}", case.display());
        draft.tls.ca_file = format!("/ca/{path_part}.pem");
        let plan = match validate(&draft) {
            Ok((plan, _)) => plan,
            Err(problems) => {
                // Refused values are refused with a message on the fields that hold them, never elsewhere.
                for p in &problems {
                    assert!(
                        [
                            "kanidm.display_name",
                            "login.button_label",
                            "netbox.secret_file",
                            "tls.ca_file"
                        ]
                        .contains(&p.field.as_str()),
                        "{value:?}: unexpected problem {p}"
                    );
                }
                refused += 1;
                continue;
            }
        };
        accepted += 1;
        let files = generate::generate(&plan);
        for f in &files {
            std::fs::write(case.join(f.name), &f.contents).unwrap();
        }
        for script in ["kanidm-setup.sh", "kanidm-undo.sh"] {
            run_ok(Command::new("bash").arg("-n").arg(case.join(script)));
        }
        run_ok(
            Command::new("python3")
                .args([
                    "-c",
                    "import ast, sys; ast.parse(open(sys.argv[1], encoding='utf-8').read())",
                ])
                .arg(case.join("netbox-sso.py")),
        );

        // Run the setup script: every argv the CLI receives must carry the values exactly.
        let log = case.join("argv.log");
        let out = run_ok(
            Command::new("bash")
                .arg(case.join("kanidm-setup.sh"))
                .env("NBSSO_KANIDM", &fake)
                .env("NBSSO_TEST_LOG", &log)
                .env("NBSSO_STATE_DIR", case.join("state"))
                .env_remove("NBSSO_SECRET_FILE"),
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("fake-secret-0123"),
            "secret printed"
        );
        let calls: Vec<Vec<String>> = std::fs::read(&log)
            .unwrap()
            .split(|b| *b == b'\n')
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.split(|b| *b == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8(s.to_vec()).unwrap())
                    .collect()
            })
            .collect();
        let create = calls
            .iter()
            .find(|c| c.get(3).map(String::as_str) == Some("create"))
            .unwrap_or_else(|| panic!("{value:?}: no create in {calls:?}"));
        assert_eq!(
            create[1..],
            [
                "system",
                "oauth2",
                "create",
                "--name",
                "idm_admin",
                "--",
                "netbox",
                value,
                "https://netbox.example.com/"
            ],
            "{value:?}"
        );
        let ca_env = format!("KANIDM_CA_PATH={}", draft.tls.ca_file);
        assert!(
            calls.iter().all(|c| c[0] == ca_env),
            "{value:?}: CA path changed on the way"
        );
        assert!(
            !Path::new("/tmp/nbsso-pwned").exists(),
            "{value:?} ran code"
        );

        // The secret landed exactly at the hostile path, 0600; Python reads it back from there.
        let secret_path = Path::new(&draft.netbox.secret_file);
        let meta = std::fs::metadata(secret_path).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o600
        );
        let dump = run_ok(
            Command::new("python3")
                .args([
                    "-c",
                    "import json, sys\nns = {}\nexec(compile(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1], 'exec'), ns)\nprint(json.dumps({k: v for k, v in ns.items() if k.isupper()}))",
                ])
                .arg(case.join("netbox-sso.py"))
                .env_remove("NETBOX_OIDC_SECRET"),
        );
        let settings: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
        assert_eq!(settings["SOCIAL_AUTH_BACKEND_ATTRS"]["oidc"][0], *value);
        assert_eq!(
            settings["SOCIAL_AUTH_VERIFY_SSL"],
            draft.tls.ca_file.as_str()
        );
        assert_eq!(
            settings["SOCIAL_AUTH_OIDC_SECRET"],
            "fake-secret-0123456789abcdefghijklmnopqrstuvwxyz"
        );
    }
    println!(
        "hostile values: {} accepted and proven, {} refused by validation",
        accepted, refused
    );
    assert!(
        accepted >= 50,
        "only {accepted} values went through generation"
    );
}
