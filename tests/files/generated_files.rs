//! Every generated file of the three example plans, as reviewed snapshots, plus the version-dependent
//! properties a reviewer must not miss.

use nbsso::generate::{self, GeneratedFile};
use nbsso::plan::{PlanDraft, validate};
use std::path::Path;

fn example(name: &str) -> Vec<GeneratedFile> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let draft = PlanDraft::from_toml(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (plan, _warnings) = validate(&draft).unwrap_or_else(|p| panic!("{name}: {p:#?}"));
    generate::generate(&plan)
}

fn file<'a>(files: &'a [GeneratedFile], name: &str) -> &'a str {
    &files.iter().find(|f| f.name == name).unwrap().contents
}

fn snapshot_all(plan: &str) {
    for f in example(&format!("{plan}.toml")) {
        insta::assert_snapshot!(format!("{plan}__{}", f.name), f.contents);
    }
}

#[test]
fn keycloak_on_netbox_4_7_3_with_private_ca() {
    snapshot_all("keycloak-netbox-4.7.3");
}

#[test]
fn authentik_on_netbox_4_5_2() {
    snapshot_all("authentik-netbox-4.5.2");
}

#[test]
fn fresh_on_netbox_4_0() {
    snapshot_all("fresh-netbox-4.0");
}

#[test]
fn netbox_4_7_3_keeps_pkce_enforced_and_trusts_the_ca() {
    let files = example("keycloak-netbox-4.7.3.toml");
    let py = file(&files, "netbox-sso.py");
    assert!(py.contains("SOCIAL_AUTH_OIDC_USE_PKCE = True"));
    assert!(py.contains(
        "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = 'https://idm.example.com/oauth2/openid/netbox'\n"
    ));
    assert!(py.contains("SOCIAL_AUTH_OIDC_JWT_ALGORITHMS = ['ES256', 'RS256']"));
    assert!(py.contains("SOCIAL_AUTH_VERIFY_SSL = '/etc/ssl/certs/kanidm-ca.pem'"));
    assert!(py.contains("SOCIAL_AUTH_BACKEND_ATTRS = {'oidc': ('Kanidm', 'login')}"));
    for obsolete in [
        "PROTECTED_USER_FIELDS",
        "REQUESTS_EXTRA_ARGUMENTS",
        "verify_iat",
        "JWT_DECODE_OPTIONS",
        "REMOTE_AUTH_ENABLED",
        "/logout",
    ] {
        assert!(!py.contains(obsolete), "{obsolete} must not be generated");
    }
    let setup = file(&files, "kanidm-setup.sh");
    assert!(setup.contains("oauth2 enable-pkce"));
    assert!(!setup.contains("warning-insecure-client-disable-pkce"));
    assert!(setup.contains("REDIRECT_URL='https://netbox.example.com/oauth/complete/oidc/'"));
    assert!(setup.contains("export KANIDM_CA_PATH='/etc/ssl/certs/kanidm-ca.pem'"));
}

#[test]
fn netbox_4_5_2_disables_pkce_in_kanidm_with_a_warning() {
    let files = example("authentik-netbox-4.5.2.toml");
    let py = file(&files, "netbox-sso.py");
    assert!(
        !py.contains("USE_PKCE"),
        "social-core 4.8.3 has no OIDC PKCE setting"
    );
    assert!(py.contains("SOCIAL_AUTH_OIDC_SCOPE = ['roles']"));
    assert!(py.contains("SOCIAL_AUTH_REDIRECT_IS_HTTPS = True"));
    let setup = file(&files, "kanidm-setup.sh");
    assert!(
        setup.contains("# WARNING: NetBox 4.5.2 (social-auth-core 4.8.3) sends no PKCE challenge")
    );
    assert!(setup.contains("oauth2 warning-insecure-client-disable-pkce \"$CLIENT\""));
    assert!(setup.contains("REDIRECT_URL='https://tools.example.org/netbox/oauth/complete/oidc/'"));
    assert!(setup.contains("SCOPES=('openid' 'profile' 'email' 'roles')"));
    assert!(setup.contains("oauth2 disable-consent-prompt"));
}

#[test]
fn netbox_4_0_8_cannot_rename_the_button_and_kanidm_1_8_has_no_consent_toggle() {
    let files = example("fresh-netbox-4.0.toml");
    let py = file(&files, "netbox-sso.py");
    assert!(!py.contains("SOCIAL_AUTH_BACKEND_ATTRS"));
    assert!(
        !py.contains("LOGOUT_REDIRECT_URL"),
        "no old IdP to log out of"
    );
    assert!(
        !py.contains("SOCIAL_AUTH_VERIFY_SSL"),
        "system roots: requests' default"
    );
    let setup = file(&files, "kanidm-setup.sh");
    assert!(!setup.contains("consent-prompt"));
    assert!(setup.contains("oauth2 prefer-spn-username"));
    let checklist = file(&files, "CHECKLIST.md");
    assert!(checklist.contains("the button reads `OpenID Connect`"));
}

#[test]
fn kanidm_1_3_makes_redirects_strict_and_1_5_resets_with_the_old_name() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fresh-netbox-4.0.toml");
    let mut draft = PlanDraft::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    draft.kanidm.version = "1.3.3".into();
    let (plan, _) = validate(&draft).unwrap();
    assert!(
        generate::setup_script(&plan).contains("oauth2 enable-strict-redirect-url \"$CLIENT\"")
    );
    assert!(generate::checklist(&plan).contains("kanidm system oauth2 reset-secrets netbox"));
    draft.kanidm.version = "1.11.1".into();
    let (plan, _) = validate(&draft).unwrap();
    assert!(!generate::setup_script(&plan).contains("enable-strict-redirect-url"));
    assert!(generate::checklist(&plan).contains("kanidm system oauth2 reset-basic-secret netbox"));
}

#[test]
fn social_core_4_3_gets_the_groups_workaround_and_nothing_newer_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fresh-netbox-4.0.toml");
    let mut draft = PlanDraft::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    draft.netbox.version = "3.3.0".into();
    let (plan, _) = validate(&draft).unwrap();
    assert!(
        generate::netbox_settings(&plan).contains("SOCIAL_AUTH_PROTECTED_USER_FIELDS = ['groups']")
    );
    draft.netbox.version = "3.4.7".into();
    let (plan, _) = validate(&draft).unwrap();
    assert!(!generate::netbox_settings(&plan).contains("PROTECTED_USER_FIELDS"));
}

#[test]
fn every_generated_file_parses() {
    for plan in [
        "keycloak-netbox-4.7.3",
        "authentik-netbox-4.5.2",
        "fresh-netbox-4.0",
    ] {
        let dir = tempfile::tempdir().unwrap();
        for f in example(&format!("{plan}.toml")) {
            std::fs::write(dir.path().join(f.name), &f.contents).unwrap();
        }
        for script in ["kanidm-setup.sh", "kanidm-undo.sh"] {
            let status = std::process::Command::new("bash")
                .arg("-n")
                .arg(dir.path().join(script))
                .status()
                .unwrap();
            assert!(status.success(), "{plan}/{script} does not parse");
        }
        let status = std::process::Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
            .arg(dir.path().join("netbox-sso.py"))
            .status()
            .unwrap();
        assert!(status.success(), "{plan}/netbox-sso.py does not parse");
    }
}
