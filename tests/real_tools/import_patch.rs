//! Reading NetBox configurations as deployed and patching them for Kanidm, on realistic inputs
//! (tests/fixtures/netbox-config/): detection per shape, byte-exact patches checked outside every
//! hunk, re-parsed by nbsso and by the real Python, generated and invalid files left alone, old
//! secrets never shown, and the real social-auth-core loading a staged configuration.

use nbsso::deploy::detect::{Provider, detect};
use nbsso::deploy::patch::{PatchError, PatchOutcome, plan_patch};
use nbsso::deploy::{self, Deployment, Shape, diff};
use nbsso::plan::{Plan, PlanDraft, validate};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::fixtures::copy_dir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netbox-config")
}

fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

fn plan_toml(source: &str, stage: &str, backend: &str) -> String {
    format!(
        r#"source = "{source}"
[netbox]
url = "https://netbox.example.com"
version = "4.7.3"
[kanidm]
origin = "https://idm.example.com"
members = ["alice"]
[tls]
ca_file = "/etc/ssl/certs/kanidm-ca.pem"
[deployment]
stage = "{stage}"
backend_name = "{backend}"
"#
    )
}

fn plan(source: &str, stage: &str, backend: &str) -> Plan {
    let draft = PlanDraft::from_toml(&plan_toml(source, stage, backend)).unwrap();
    validate(&draft).unwrap_or_else(|p| panic!("{p:#?}")).0
}

fn load(paths: &[&str], env: Option<&str>) -> Deployment {
    let paths: Vec<PathBuf> = paths.iter().map(|p| fixture(p)).collect();
    let env = env.map(fixture);
    deploy::load(&paths, env.as_deref()).unwrap_or_else(|e| panic!("{e}"))
}

/// A fixture copied into a temp directory, so a test can patch it for real.
fn copy_fixture(rel: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture(rel), tmp.path());
    tmp
}

fn nbsso(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nbsso"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `nbsso generate --plan <dir>/plan.toml --out <dir>/out --patch FILE`, with a plan for `source`.
fn generate_patch(dir: &Path, source: &str, file: &Path) -> (i32, String, String) {
    let plan_path = dir.join("plan.toml");
    std::fs::write(&plan_path, plan_toml(source, "kanidm", "oidc")).unwrap();
    nbsso(&[
        "generate",
        "--plan",
        plan_path.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--patch",
        file.to_str().unwrap(),
    ])
}

/// Every line outside the diff's hunks is the same, in the same order, byte for byte.
fn assert_only_hunks_differ(old: &str, new: &str) {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let hunks = diff::hunks(old, new);
    let (mut o, mut n) = (0, 0);
    for h in &hunks {
        assert_eq!(
            h.old.start - o,
            h.new.start - n,
            "unchanged stretch lengths differ"
        );
        assert_eq!(old_lines[o..h.old.start], new_lines[n..h.new.start]);
        o = h.old.end;
        n = h.new.end;
    }
    assert_eq!(old_lines[o..], new_lines[n..]);
    // And the bytes: the files agree up to the first hunk and after the last, exactly.
    if let (Some(first), Some(last)) = (hunks.first(), hunks.last()) {
        let prefix: usize = old_lines[..first.old.start].iter().map(|l| l.len()).sum();
        assert_eq!(old.as_bytes()[..prefix], new.as_bytes()[..prefix]);
        let old_suffix: usize = old_lines[last.old.end..].iter().map(|l| l.len()).sum();
        let new_suffix: usize = new_lines[last.new.end..].iter().map(|l| l.len()).sum();
        assert_eq!(old_suffix, new_suffix);
        assert_eq!(
            old.as_bytes()[old.len() - old_suffix..],
            new.as_bytes()[new.len() - new_suffix..]
        );
    }
}

/// CPython's own parser accepts the text.
fn assert_python_parses(text: &str, what: &str) {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), text).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import ast,sys; ast.parse(open(sys.argv[1], encoding='utf-8-sig').read())",
        ])
        .arg(tmp.path())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{what}: python3 rejects the patched file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn patch(plan: &Plan, dep: &Deployment) -> PatchOutcome {
    let findings = detect(dep);
    plan_patch(plan, dep, &findings).unwrap_or_else(|e| panic!("{e}"))
}

/// Every patched file: only the hunks differ, CPython parses it, no canary in its diff.
fn check_outcome(outcome: &PatchOutcome) {
    for f in &outcome.files {
        if let Some(old) = &f.old {
            assert_only_hunks_differ(old, &f.new);
        }
        if f.path.extension().is_some_and(|e| e == "py") {
            assert_python_parses(&f.new, &f.path.display().to_string());
        }
        assert!(!f.diff.contains("canary"), "{}", f.diff);
        // NetBox runs the file top to bottom: the secret's reader is defined before it is called.
        if let Some(call) = f.new.find("= _nbsso_client_secret(") {
            let def = f.new.find("def _nbsso_client_secret(");
            assert!(
                def.is_some_and(|d| d < call),
                "{}:\n{}",
                f.path.display(),
                f.new
            );
        }
    }
}

#[test]
fn detection_is_right_for_every_shape() {
    struct Case {
        paths: &'static [&'static str],
        env: Option<&'static str>,
        shape: Shape,
        provider: Provider,
        check: fn(&nbsso::deploy::detect::Findings),
    }
    let cases = [
        Case {
            paths: &["stock-wheel/conf/configuration.py"],
            env: None,
            shape: Shape::ConfigurationPy,
            provider: Provider::None,
            check: |f| {
                assert_eq!(
                    f.backends.as_deref().unwrap(),
                    ["netbox.authentication.RemoteUserBackend"]
                );
                assert_eq!(f.logout_url.as_deref(), Some("home"));
            },
        },
        Case {
            paths: &["keycloak-list-pipeline/netbox/netbox/configuration.py"],
            env: None,
            shape: Shape::ConfigurationPy,
            provider: Provider::Keycloak,
            check: |f| {
                let p = f.pipeline.as_ref().unwrap();
                assert!(p.associate_by_email);
                assert_eq!(p.custom, ["netbox.sso_pipeline.sync_keycloak_roles"]);
                assert_eq!(f.scopes.as_deref().unwrap(), ["roles"]);
                assert_eq!(f.button_label.as_deref(), Some("Corp SSO"));
                assert!(f.logout_url.as_deref().unwrap().ends_with("/logout"));
                let secret = f.get("SOCIAL_AUTH_KEYCLOAK_SECRET").unwrap();
                assert_eq!(secret.shown(), "<redacted>");
                assert!(
                    secret.origin.to_string().ends_with("configuration.py:271"),
                    "{}",
                    secret.origin
                );
            },
        },
        Case {
            paths: &["keycloak-id-key/netbox/netbox/configuration.py"],
            env: None,
            shape: Shape::ConfigurationPy,
            provider: Provider::Keycloak,
            check: |f| {
                assert_eq!(f.id_key.as_deref(), Some("email"));
                let key = f.get("SOCIAL_AUTH_KEYCLOAK_KEY").unwrap();
                assert!(key.dynamic());
                assert!(
                    f.get("SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY")
                        .unwrap()
                        .value
                        .as_ref()
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .ends_with("AAQAB")
                );
            },
        },
        Case {
            paths: &["authentik-if-block/conf/configuration.py"],
            env: None,
            shape: Shape::ConfigurationPy,
            provider: Provider::Authentik,
            check: |f| {
                assert_eq!(f.username_key.as_deref(), Some("sub"));
                assert_eq!(
                    f.scopes.as_deref().unwrap(),
                    ["openid", "profile", "email", "roles"]
                );
                assert_eq!(f.pipeline.as_ref().unwrap().custom.len(), 3);
                let backend = f.get("REMOTE_AUTH_BACKEND").unwrap();
                assert_eq!(
                    backend.conditions,
                    ["environ.get('NETBOX_SSO_ENABLED', 'false').lower() == 'true'"]
                );
                assert!(
                    backend.overridden[0]
                        .to_string()
                        .ends_with("configuration.py:203"),
                    "{:?}",
                    backend.overridden
                );
                assert!(f.logout_url.as_deref().unwrap().ends_with("/end-session/"));
            },
        },
        Case {
            paths: &["keycloak-oidc-nested-if/netbox/netbox/configuration.py"],
            env: Some("keycloak-oidc-nested-if/netbox.env"),
            shape: Shape::ConfigurationPy,
            provider: Provider::KeycloakOidc,
            check: |f| {
                let endpoint = f.get("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT").unwrap();
                assert_eq!(
                    endpoint.env.as_ref().unwrap().env_var.as_deref(),
                    Some("OIDC_ENDPOINT")
                );
                assert_eq!(f.button_label.as_deref(), Some("Keycloak"));
                let issuer = f.get("SOCIAL_AUTH_OIDC_ID_TOKEN_ISSUER").unwrap();
                assert_eq!(issuer.conditions.len(), 3);
                assert_eq!(
                    f.get("SOCIAL_AUTH_OIDC_SECRET").unwrap().shown(),
                    "<redacted>"
                );
            },
        },
        Case {
            paths: &["docker-keycloak/configuration"],
            env: None,
            shape: Shape::NetboxDocker,
            provider: Provider::Keycloak,
            check: |f| {
                let backend = f.get("REMOTE_AUTH_BACKEND").unwrap();
                assert!(
                    backend
                        .env
                        .as_ref()
                        .unwrap()
                        .to_string()
                        .ends_with("netbox.env:11 (REMOTE_AUTH_BACKEND)"),
                    "{:?}",
                    backend.env
                );
                let key = f.get("SOCIAL_AUTH_KEYCLOAK_KEY").unwrap();
                assert!(
                    key.origin.file.ends_with("sso.py"),
                    "the later extra file wins"
                );
                assert!(key.overridden[0].file.ends_with("extra.py"));
                assert_eq!(f.button_label.as_deref(), Some("NetOps login"));
            },
        },
        Case {
            paths: &["docker-authentik/configuration"],
            env: None,
            shape: Shape::NetboxDocker,
            provider: Provider::Authentik,
            check: |f| {
                let endpoint = f.get("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT").unwrap();
                assert_eq!(
                    endpoint.value.as_ref().unwrap().as_str(),
                    Some("https://authentik.company/application/o/netbox/")
                );
            },
        },
        Case {
            paths: &["tuple-pipeline/netbox/netbox/configuration.py"],
            env: None,
            shape: Shape::ConfigurationPy,
            provider: Provider::Keycloak,
            check: |f| {
                assert_eq!(
                    f.backends.as_ref().unwrap().len(),
                    2,
                    "the commented-out backend is not one"
                );
                let p = f.pipeline.as_ref().unwrap();
                assert_eq!(p.steps.len(), 8);
                assert!(p.custom.is_empty());
            },
        },
        Case {
            paths: &["helm-authentik/values.yaml"],
            env: None,
            shape: Shape::Helm,
            provider: Provider::Authentik,
            check: |f| {
                assert_eq!(f.username_key.as_deref(), Some("sub"));
                assert_eq!(f.get("REMOTE_AUTH_BACKEND").unwrap().origin.line, 19);
            },
        },
        Case {
            paths: &["ansible-rendered/configuration.py"],
            env: None,
            shape: Shape::Generated,
            provider: Provider::Keycloak,
            check: |f| {
                assert_eq!(
                    f.get("REMOTE_AUTH_BACKEND").unwrap().form(),
                    nbsso::pyconf::Form::Json
                );
            },
        },
        Case {
            paths: &["bom-crlf-cjk/configuration.py"],
            env: None,
            shape: Shape::ConfigurationPy,
            provider: Provider::Keycloak,
            check: |f| assert_eq!(f.button_label.as_deref(), Some("社内 SSO")),
        },
        Case {
            paths: &["dead-auth-backends/netbox/netbox/configuration.py"],
            env: None,
            shape: Shape::ConfigurationPy,
            provider: Provider::Oidc,
            check: |f| {
                assert!(
                    f.warnings
                        .iter()
                        .any(|w| w.message.contains("AUTHENTICATION_BACKENDS is ignored"))
                );
                assert_eq!(
                    f.get("SOCIAL_AUTH_OIDC_KEY").unwrap().origin.line,
                    f.get("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT").unwrap().origin.line
                );
            },
        },
        Case {
            paths: &["nixos/configuration.py"],
            env: None,
            shape: Shape::Generated,
            provider: Provider::Authentik,
            check: |_| {},
        },
        Case {
            paths: &["jinja-template/configuration.py.j2"],
            env: None,
            shape: Shape::Generated,
            provider: Provider::None,
            check: |_| {},
        },
    ];
    for case in &cases {
        let dep = load(case.paths, case.env);
        let f = detect(&dep);
        assert_eq!(
            (f.shape, f.provider),
            (case.shape, case.provider),
            "{:?}",
            case.paths
        );
        (case.check)(&f);
        assert!(
            !format!("{:?}", f.settings).contains("canary"),
            "{:?}",
            case.paths
        );
    }
}

#[test]
fn direct_cut_over_patches_byte_exactly_and_reparses_to_the_plan() {
    let cases: [(&[&str], Option<&str>, &str); 10] = [
        (
            &["dead-auth-backends/netbox/netbox/configuration.py"],
            None,
            "oidc",
        ),
        (&["stock-wheel/conf/configuration.py"], None, "none"),
        (
            &["keycloak-list-pipeline/netbox/netbox/configuration.py"],
            None,
            "keycloak",
        ),
        (
            &["keycloak-id-key/netbox/netbox/configuration.py"],
            None,
            "keycloak",
        ),
        (
            &["authentik-if-block/conf/configuration.py"],
            None,
            "authentik",
        ),
        (
            &["keycloak-oidc-nested-if/netbox/netbox/configuration.py"],
            Some("keycloak-oidc-nested-if/netbox.env"),
            "keycloak-oidc",
        ),
        (&["docker-keycloak/configuration"], None, "keycloak"),
        (&["docker-authentik/configuration"], None, "authentik"),
        (
            &["tuple-pipeline/netbox/netbox/configuration.py"],
            None,
            "keycloak",
        ),
        (&["bom-crlf-cjk/configuration.py"], None, "keycloak"),
    ];
    for (paths, env, source) in cases {
        let dep = load(paths, env);
        let plan = plan(source, "kanidm", "oidc");
        let outcome = patch(&plan, &dep);
        assert!(!outcome.files.is_empty(), "{paths:?}");
        check_outcome(&outcome);
        // No Keycloak or old OIDC setting survives in a file nbsso changed.
        for f in &outcome.files {
            assert!(
                !f.new.contains("SOCIAL_AUTH_KEYCLOAK_"),
                "{}:\n{}",
                f.path.display(),
                f.new
            );
            assert!(!f.new.contains("/end-session/"), "{}", f.path.display());
        }
    }
}

#[test]
fn the_patched_files_on_disk_read_back_as_exactly_what_the_plan_asks() {
    let tmp = copy_fixture("keycloak-list-pipeline");
    let config = tmp.path().join("netbox/netbox/configuration.py");
    let before = std::fs::read_to_string(&config).unwrap();
    let (code, stdout, stderr) = generate_patch(tmp.path(), "keycloak", &config);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let after = std::fs::read_to_string(&config).unwrap();
    assert_ne!(before, after);
    let backups: Vec<_> = std::fs::read_dir(config.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".nbsso-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap(), before);
    // Read back with nbsso: the Kanidm settings, and nothing of Keycloak.
    let dep = deploy::load(std::slice::from_ref(&config), None).unwrap();
    let f = detect(&dep);
    assert_eq!(
        f.backends.as_deref().unwrap(),
        ["social_core.backends.open_id_connect.OpenIdConnectAuth"]
    );
    assert!(f.already_kanidm);
    let value = |n: &str| f.get(n).unwrap().value.clone().unwrap();
    assert_eq!(
        value("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT").as_str(),
        Some("https://idm.example.com/oauth2/openid/netbox")
    );
    assert_eq!(value("SOCIAL_AUTH_OIDC_KEY").as_str(), Some("netbox"));
    assert_eq!(
        value("SOCIAL_AUTH_OIDC_JWT_ALGORITHMS")
            .as_str_list()
            .unwrap(),
        ["ES256", "RS256"]
    );
    assert_eq!(value("LOGOUT_REDIRECT_URL").as_str(), Some("home"));
    assert!(
        f.settings
            .iter()
            .all(|s| !s.name.starts_with("SOCIAL_AUTH_KEYCLOAK_"))
    );
    // The in-place splice kept the trailing comment of the backend line.
    assert!(after.contains("REMOTE_AUTH_BACKEND = 'social_core.backends.open_id_connect.OpenIdConnectAuth'  # SSO via Keycloak (ticket OPS-1412)"));
    // The pipeline, its comments and the custom step are untouched.
    assert!(after.contains(
        "    'social_core.pipeline.social_auth.associate_by_email',  # link pre-SSO accounts\n"
    ));
    // A second run changes nothing.
    let (code, stdout, _) = generate_patch(tmp.path(), "keycloak", &config);
    assert_eq!(code, 0);
    assert!(stdout.contains("no file changes"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), after);
}

#[test]
fn netbox_docker_changes_the_env_file_and_adds_a_file_that_sorts_last() {
    let dep = load(&["docker-keycloak/configuration"], None);
    let outcome = patch(&plan("keycloak", "kanidm", "oidc"), &dep);
    check_outcome(&outcome);
    let by_name = |n: &str| {
        outcome
            .files
            .iter()
            .find(|f| f.path.ends_with(n))
            .unwrap_or_else(|| {
                panic!(
                    "{n} not patched: {:?}",
                    outcome.files.iter().map(|f| &f.path).collect::<Vec<_>>()
                )
            })
    };
    let env = by_name("env/netbox.env");
    assert!(env.new.contains(
        "\nREMOTE_AUTH_BACKEND=social_core.backends.open_id_connect.OpenIdConnectAuth\n"
    ));
    assert!(
        env.diff
            .contains("-REMOTE_AUTH_BACKEND=social_core.backends.keycloak.KeycloakOAuth2")
    );
    let zz = by_name("zz_nbsso_kanidm.py");
    assert!(zz.old.is_none());
    assert!(zz.new.contains(
        "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = 'https://idm.example.com/oauth2/openid/netbox'"
    ));
    assert!(
        !zz.new.contains("REMOTE_AUTH_BACKEND ="),
        "the backend lives in the env file"
    );
    let sso = by_name("configuration/sso.py");
    assert!(!sso.new.contains("SOCIAL_AUTH_KEYCLOAK"));
    assert!(sso.new.contains("from os import environ"));
    assert!(by_name("configuration/extra.py").new.contains("ADMINS = ["));
    assert!(
        outcome
            .files
            .iter()
            .all(|f| !f.path.ends_with("configuration/configuration.py"))
    );
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.contains("REMOTE_AUTH_BACKEND: set in")
                && n.contains("does not turn an environment read into a literal")),
        "{:#?}",
        outcome.notes
    );
}

#[test]
fn authentik_in_docker_keeps_environment_reads_and_changes_their_values() {
    let dep = load(&["docker-authentik/configuration"], None);
    let outcome = patch(&plan("authentik", "kanidm", "oidc"), &dep);
    check_outcome(&outcome);
    let env = outcome
        .files
        .iter()
        .find(|f| f.path.ends_with("netbox.env"))
        .unwrap();
    assert!(
        env.new
            .contains("AUTHENTIK_OIDC_ENDPOINT=https://idm.example.com/oauth2/openid/netbox\n")
    );
    assert!(env.new.contains("AUTHENTIK_CLIENT_ID=netbox\n"));
    assert!(env.new.contains("AUTHENTIK_LOGOUT_URL=home\n"));
    let extra = outcome
        .files
        .iter()
        .find(|f| f.path.ends_with("authentik.py"))
        .unwrap();
    assert!(
        extra
            .new
            .contains("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = environ.get('AUTHENTIK_OIDC_ENDPOINT')")
    );
    assert!(
        !extra.new.contains("SOCIAL_AUTH_OIDC_SCOPE"),
        "Authentik's roles scope goes"
    );
}

#[test]
fn staged_cut_over_from_keycloak_keeps_both_logins_with_their_own_buttons() {
    let dep = load(
        &["keycloak-list-pipeline/netbox/netbox/configuration.py"],
        None,
    );
    let outcome = patch(&plan("keycloak", "both", "oidc"), &dep);
    check_outcome(&outcome);
    let new = &outcome.files[0].new;
    assert!(
        new.contains("SOCIAL_AUTH_KEYCLOAK_SECRET = 'canary-kc1-client-secret-7Hq2Lx'"),
        "old login kept"
    );
    assert!(new.contains("REMOTE_AUTH_BACKEND = ['social_core.backends.keycloak.KeycloakOAuth2', 'social_core.backends.open_id_connect.OpenIdConnectAuth']"), "{new}");
    assert!(new.contains(
        "SOCIAL_AUTH_BACKEND_ATTRS = {'keycloak': ('Corp SSO', 'key'), 'oidc': ('Kanidm', 'login')}"
    ));
    assert!(
        new.contains("SOCIAL_AUTH_OIDC_VERIFY_SSL = '/etc/ssl/certs/kanidm-ca.pem'"),
        "the CA is Kanidm's only"
    );
}

#[test]
fn staged_cut_over_from_authentik_gives_kanidm_its_own_backend_name() {
    let dep = load(&["authentik-if-block/conf/configuration.py"], None);
    let plan = plan("authentik", "both", "kanidm");
    assert_eq!(
        plan.redirect_url(),
        "https://netbox.example.com/oauth/complete/kanidm/"
    );
    let outcome = patch(&plan, &dep);
    check_outcome(&outcome);
    let new = &outcome.files[0].new;
    assert!(new.contains("class KanidmOpenIdConnect(_NbssoOpenIdConnectAuth):"));
    assert!(new.contains(
        "SOCIAL_AUTH_KANIDM_OIDC_ENDPOINT = 'https://idm.example.com/oauth2/openid/netbox'"
    ));
    assert!(new.contains("'nbsso_kanidm.KanidmOpenIdConnect'"));
    assert!(
        new.contains("SOCIAL_AUTH_OIDC_USERNAME_KEY = 'sub'"),
        "the old login keeps its settings"
    );
    // `oidc` for both is refused: the two logins would share one name and one set of settings.
    let refused = validate(&PlanDraft::from_toml(&plan_toml("authentik", "both", "oidc")).unwrap())
        .unwrap_err();
    assert!(
        refused.iter().any(|p| p.field == "deployment.backend_name"),
        "{refused:#?}"
    );
    // Helm has no place for a Python module: only the direct cut-over.
    let helm = load(&["helm-authentik/values.yaml"], None);
    let err = plan_patch(&plan, &helm, &detect(&helm)).unwrap_err();
    assert!(matches!(err, PatchError::Refused(_)));
    assert!(
        err.to_string().contains("only the direct cut-over"),
        "{err}"
    );
}

#[test]
fn helm_values_get_a_values_diff_and_the_secret_an_instruction() {
    let dep = load(&["helm-authentik/values.yaml"], None);
    let outcome = patch(&plan("authentik", "kanidm", "oidc"), &dep);
    check_outcome(&outcome);
    let values = &outcome.files[0];
    assert!(values.new.contains("      SOCIAL_AUTH_OIDC_OIDC_ENDPOINT: \"https://idm.example.com/oauth2/openid/netbox\"\n"), "{}", values.new);
    assert!(!values.new.contains("SOCIAL_AUTH_OIDC_USERNAME_KEY"));
    assert!(
        values
            .new
            .contains("  - secret:\n      secretName: netbox-authentik\n")
    );
    assert!(values.new.contains("logoutRedirectUrl: \"home\"\n"));
    assert!(outcome.instructions.iter().any(|i| {
        i.text
            .contains("kubectl create secret generic netbox-kanidm")
    }));
    nbsso::deploy::helm::HelmValues::parse(&values.new).unwrap();
}

#[test]
fn generated_and_invalid_files_get_a_clear_message_and_stay_byte_identical() {
    for (rel, expect) in [
        ("ansible-rendered", "netbox_config:"),
        ("nixos", "services.netbox.settings"),
        ("jinja-template", "the rendered file must end up with"),
    ] {
        let tmp = copy_fixture(rel);
        let file = std::fs::read_dir(tmp.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let before = std::fs::read(&file).unwrap();
        let (code, stdout, stderr) = generate_patch(tmp.path(), "keycloak", &file);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains(expect), "{rel}: {stdout}");
        assert!(stdout.contains("generated by"), "{stdout}");
        assert_eq!(std::fs::read(&file).unwrap(), before, "{rel}");
    }
    let tmp = copy_fixture("invalid");
    let file = tmp.path().join("configuration.py");
    let before = std::fs::read(&file).unwrap();
    let (code, _, stderr) = nbsso(&["import", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    let location = format!("{}:202:1:", file.display());
    assert!(stderr.contains(&location), "{stderr}");
    assert!(stderr.contains("not valid Python"), "{stderr}");
    let (code, _, stderr) = generate_patch(tmp.path(), "keycloak", &file);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nothing was written"));
    assert!(!tmp.path().join("out").exists());
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn bom_crlf_and_cjk_survive_the_patch() {
    let dep = load(&["bom-crlf-cjk/configuration.py"], None);
    let outcome = patch(&plan("keycloak", "kanidm", "oidc"), &dep);
    check_outcome(&outcome);
    let new = &outcome.files[0].new;
    assert!(
        new.starts_with("\u{feff}# -*- coding: utf-8 -*-\r\n# NetBox 設定ファイル（本番環境）\r\n")
    );
    assert!(
        !new.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    assert!(new.contains("REMOTE_AUTH_BACKEND = 'social_core.backends.open_id_connect.OpenIdConnectAuth'  # シングルサインオン\r\n"));
    assert!(
        new.contains("# Keycloak 連携（情報システム部）\r\n"),
        "comments stay"
    );
}

#[test]
fn import_reports_json_and_exit_codes() {
    let (code, stdout, _) = nbsso(&[
        "import",
        "--json",
        fixture("docker-keycloak/configuration").to_str().unwrap(),
    ]);
    assert_eq!(
        code, 1,
        "warnings (REMOTE_AUTH_ENABLED, dynamic values) make it 1"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["shape"], "netbox-docker");
    assert_eq!(json["provider"], "keycloak");
    assert_eq!(json["files"].as_array().unwrap().len(), 4);
    assert_eq!(json["files"][0]["role"], "docker-main");
    assert_eq!(json["files"][0]["patchable"], true);
    let settings = json["settings"].as_array().unwrap();
    let secret = settings
        .iter()
        .find(|s| s["name"] == "SOCIAL_AUTH_KEYCLOAK_SECRET")
        .unwrap();
    assert_eq!(secret["value"], "<redacted>");
    assert_eq!(secret["dynamic"], true);
    assert!(secret["source"].as_str().unwrap().ends_with("sso.py:5"));
    let (code, stdout, _) = nbsso(&[
        "import",
        "--json",
        fixture("stock-wheel/conf/configuration.py")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["provider"], "none");
    let (code, stdout, _) = nbsso(&[
        "import",
        "--json",
        fixture("ansible-rendered/configuration.py")
            .to_str()
            .unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((code, json["shape"].as_str()), (0, Some("generated")));
    assert_eq!(json["files"][0]["patchable"], false);
    let (code, stdout, _) = nbsso(&[
        "import",
        "--json",
        fixture("invalid/configuration.py").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("configuration.py:202:1:")
    );
}

#[test]
fn plan_out_is_prefilled_from_what_was_found() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan.toml");
    let (code, stdout, stderr) = nbsso(&[
        "import",
        fixture("authentik-if-block/conf/configuration.py")
            .to_str()
            .unwrap(),
        "--plan-out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("the old scope \"roles\" is not carried over"),
        "{stdout}"
    );
    let draft = PlanDraft::from_toml(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(draft.source, "authentik");
    assert!(draft.deployment.paths[0].ends_with("authentik-if-block/conf/configuration.py"));
    assert!(
        draft
            .netbox
            .configuration
            .ends_with("conf/configuration.py")
    );
    assert!(draft.kanidm.extra_scopes.is_empty());
    assert!(draft.unknown.is_empty());
}

/// Every output of every subcommand, on every shape: no old secret in any of them.
#[test]
fn canary_secrets_never_appear_in_any_output() {
    let cases: [(&str, &str, Option<&str>, &str); 12] = [
        ("stock-wheel", "conf/configuration.py", None, "none"),
        (
            "keycloak-list-pipeline",
            "netbox/netbox/configuration.py",
            None,
            "keycloak",
        ),
        (
            "keycloak-id-key",
            "netbox/netbox/configuration.py",
            None,
            "keycloak",
        ),
        (
            "authentik-if-block",
            "conf/configuration.py",
            None,
            "authentik",
        ),
        (
            "keycloak-oidc-nested-if",
            "netbox/netbox/configuration.py",
            Some("netbox.env"),
            "keycloak-oidc",
        ),
        ("docker-keycloak", "configuration", None, "keycloak"),
        ("docker-authentik", "configuration", None, "authentik"),
        (
            "tuple-pipeline",
            "netbox/netbox/configuration.py",
            None,
            "keycloak",
        ),
        ("helm-authentik", "values.yaml", None, "authentik"),
        ("ansible-rendered", "configuration.py", None, "keycloak"),
        ("bom-crlf-cjk", "configuration.py", None, "keycloak"),
        (
            "dead-auth-backends",
            "netbox/netbox/configuration.py",
            None,
            "oidc",
        ),
    ];
    for (dir, rel, env, source) in cases {
        let tmp = copy_fixture(dir);
        let path = tmp.path().join(rel);
        let path = path.to_str().unwrap();
        let env_path = env.map(|e| tmp.path().join(e).display().to_string());
        let plan_path = tmp.path().join("plan.toml");
        let out = tmp.path().join("out");
        std::fs::write(&plan_path, plan_toml(source, "kanidm", "oidc")).unwrap();
        let mut runs: Vec<Vec<String>> = vec![
            vec!["import".into(), path.into()],
            vec![
                "import".into(),
                "--json".into(),
                path.into(),
                "--plan-out".into(),
                tmp.path().join("p2.toml").display().to_string(),
            ],
        ];
        for extra in [
            vec!["--dry-run"],
            vec!["--dry-run", "--json"],
            vec!["--json"],
            vec![],
        ] {
            let mut args: Vec<String> = vec![
                "generate".into(),
                "--plan".into(),
                plan_path.display().to_string(),
                "--out".into(),
                out.display().to_string(),
            ];
            args.extend(extra.iter().map(|s| s.to_string()));
            args.push("--patch".into());
            args.push(path.into());
            if let Some(e) = &env_path {
                args.push("--env-file".into());
                args.push(e.clone());
            }
            runs.push(args);
        }
        for args in runs {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, stdout, stderr) = nbsso(&refs);
            assert!(code <= 1, "{args:?}: {code}\n{stdout}\n{stderr}");
            assert!(
                !stdout.contains("canary") && !stderr.contains("canary"),
                "{dir} {args:?}:\n{stdout}\n{stderr}"
            );
        }
        // Plans and generated files written along the way hold no old secret either.
        for written in walk(tmp.path()) {
            let name = written.to_string_lossy().to_string();
            if name.ends_with(".toml") || name.contains("/out/") {
                let text = std::fs::read_to_string(&written).unwrap_or_default();
                assert!(!text.contains("canary"), "{name}");
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// The real social-auth-core 5.2.0 (NetBox 4.7.3's pin) imports the staged configuration: the
/// subclass is found by the dotted path REMOTE_AUTH_BACKEND names, under its own backend name,
/// and reads its settings from SOCIAL_AUTH_KANIDM_*.
#[test]
fn real_social_core_loads_the_kanidm_subclass_by_its_dotted_path() {
    let root = std::env::var_os("NBSSO_VENV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nbsso-venvs"));
    let status = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/setup_venvs.sh"))
        .arg(&root)
        .arg("5.2.0")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let python = root.join("sc-5.2.0/bin/python");
    let dep = load(&["authentik-if-block/conf/configuration.py"], None);
    let outcome = patch(&plan("authentik", "both", "kanidm"), &dep);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("netbox_local_configuration.py"),
        &outcome.files[0].new,
    )
    .unwrap();
    let script = r#"
import importlib, os, sys
os.environ['NETBOX_SSO_ENABLED'] = 'true'
os.environ['NETBOX_OIDC_SECRET'] = 'from-the-environment'
sys.path.insert(0, sys.argv[1])
conf = importlib.import_module('netbox_local_configuration')
from social_core.utils import module_member
from social_core.strategy import BaseStrategy
from social_core.backends.open_id_connect import OpenIdConnectAuth

class Strategy(BaseStrategy):
    """social-core's own setting lookup (SOCIAL_AUTH_<NAME>_X, then SOCIAL_AUTH_X) over the module."""
    def get_setting(self, name):
        return getattr(conf, name)
    def request_data(self, merge=True):
        return {}
    def build_absolute_uri(self, path=None):
        return 'https://netbox.example.com' + (path or '')

backends = [module_member(p) for p in conf.REMOTE_AUTH_BACKEND]
assert [b.name for b in backends] == ['oidc', 'kanidm'], [b.name for b in backends]
old, kanidm = (b(strategy=Strategy(None), redirect_uri='/oauth/complete/%s/' % b.name) for b in backends)
assert issubclass(backends[1], OpenIdConnectAuth)
# social_django stores <__module__>.<class> in the session; Django accepts only listed backends.
assert all('%s.%s' % (b.__module__, b.__name__) in conf.REMOTE_AUTH_BACKEND for b in backends), [b.__module__ for b in backends]
assert kanidm.setting('OIDC_ENDPOINT') == 'https://idm.example.com/oauth2/openid/netbox'
assert kanidm.setting('KEY') == 'netbox'
assert kanidm.setting('SECRET') == 'from-the-environment'
assert kanidm.setting('JWT_ALGORITHMS') == ['ES256', 'RS256']
assert kanidm.setting('USE_PKCE') is True
assert kanidm.setting('USERNAME_KEY') is None, 'the old login\'s USERNAME_KEY=sub must not reach Kanidm'
assert kanidm.setting('VERIFY_SSL') == '/etc/ssl/certs/kanidm-ca.pem'
assert old.setting('VERIFY_SSL') is None, 'the old IdP keeps the system roots'
assert old.setting('USERNAME_KEY') == 'sub' and old.setting('KEY') == 'N8wB2kq1zXcV7mP3'
assert conf.SOCIAL_AUTH_BACKEND_ATTRS == {'oidc': ('Authentik', None), 'kanidm': ('Kanidm', 'login')}
print('ok')
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn generated_config(fillers: &[String]) -> String {
    let statements = [
        "REMOTE_AUTH_BACKEND = 'social_core.backends.keycloak.KeycloakOAuth2'",
        "SOCIAL_AUTH_KEYCLOAK_KEY = 'netbox'",
        "TIME_ZONE = 'UTC'",
        "SOCIAL_AUTH_KEYCLOAK_SECRET = 'prop-secret'",
        "LOGIN_REQUIRED = True",
    ];
    let mut text = String::new();
    for (i, stmt) in statements.iter().enumerate() {
        text.push_str(&fillers[i]);
        text.push_str(stmt);
        text.push('\n');
    }
    text.push_str(&fillers[statements.len()]);
    text
}

/// A deployment of one configuration.py with `text`.
fn single_file(text: String) -> Deployment {
    Deployment::from_sources(
        vec![deploy::Source {
            path: "configuration.py".into(),
            role: deploy::Role::Configuration,
            text,
        }],
        None,
    )
    .unwrap()
}

fn filler() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[ \t]{0,3}#[ -~]{0,30}\n".prop_map(|s| s),
        "[ \t]{0,4}\n".prop_map(|s| s),
        Just("# 設定 — ünïcödé\n".to_string()),
    ];
    prop::collection::vec(line, 0..4).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Comments and blank lines around the assignments are kept byte for byte, in order.
    #[test]
    fn comments_and_whitespace_around_assignments_survive(fillers in prop::collection::vec(filler(), 6)) {
        let text = generated_config(&fillers);
        let dep = single_file(text.clone());
        let outcome = patch(&plan("keycloak", "kanidm", "oidc"), &dep);
        let new = &outcome.files[0].new;
        let mut at = 0;
        for f in &fillers {
            let found = new[at..].find(f.as_str());
            prop_assert!(found.is_some(), "{f:?} lost in\n{new}");
            at += found.unwrap_or(0) + f.len();
        }
        assert_only_hunks_differ(&text, new);
    }

    /// Patching the patched file changes nothing.
    #[test]
    fn patching_twice_equals_patching_once(fillers in prop::collection::vec(filler(), 6), stage in prop_oneof![Just("kanidm"), Just("both")]) {
        let text = generated_config(&fillers);
        let plan = plan("keycloak", stage, "oidc");
        let once = patch(&plan, &single_file(text)).files[0].new.clone();
        let twice = patch(&plan, &single_file(once.clone()));
        prop_assert!(twice.files.is_empty(), "second patch changed:\n{}", twice.files.first().map(|f| f.diff.clone()).unwrap_or_default());
    }
}
