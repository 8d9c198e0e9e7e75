use super::*;

fn names(config: &PyConfig) -> Vec<&str> {
    config.assignments.iter().map(|a| a.name.as_str()).collect()
}

#[test]
fn finds_top_level_and_nested_if_assignments_with_conditions() {
    let src = "\
import os
from os import environ

REMOTE_AUTH_BACKEND = 'social_core.backends.open_id_connect.OpenIdConnectAuth'  # SSO
if environ.get('NETBOX_SSO', 'none').lower() == 'oidc':
    SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = environ.get('OIDC_ENDPOINT', '')
    if environ.get('OIDC_LOGOUT'):
        LOGOUT_REDIRECT_URL = environ['OIDC_LOGOUT']
    else:
        LOGOUT_REDIRECT_URL = 'home'
elif True:
    SOCIAL_AUTH_OIDC_KEY = os.getenv('OIDC_KEY', 'netbox')
";
    let c = parse(src).unwrap();
    assert_eq!(
        names(&c),
        [
            "REMOTE_AUTH_BACKEND",
            "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT",
            "LOGOUT_REDIRECT_URL",
            "LOGOUT_REDIRECT_URL",
            "SOCIAL_AUTH_OIDC_KEY"
        ]
    );
    let backend = &c.assignments[0];
    assert_eq!(
        &src[backend.stmt.clone()],
        "REMOTE_AUTH_BACKEND = 'social_core.backends.open_id_connect.OpenIdConnectAuth'"
    );
    assert_eq!((backend.line, backend.column), (4, 1));
    assert!(!backend.is_conditional());
    let endpoint = &c.assignments[1];
    assert_eq!(
        endpoint.conditions,
        ["environ.get('NETBOX_SSO', 'none').lower() == 'oidc'"]
    );
    assert_eq!(
        endpoint.value,
        Value::Env {
            var: "OIDC_ENDPOINT".into(),
            default: Some(Box::new(Value::str(""))),
            map: None
        }
    );
    assert_eq!(c.assignments[2].conditions.len(), 2);
    assert_eq!(
        c.assignments[3].conditions[1],
        "not (environ.get('OIDC_LOGOUT'))"
    );
    assert_eq!(c.assignments[3].value, Value::str("home"));
    let key = &c.assignments[4];
    assert_eq!(
        key.conditions[0],
        "not (environ.get('NETBOX_SSO', 'none').lower() == 'oidc')"
    );
    assert!(matches!(&key.value, Value::Env { var, .. } if var == "OIDC_KEY"));
}

#[test]
fn literal_forms_and_dynamic_forms() {
    let src = r#"SOCIAL_AUTH_OIDC_SCOPE = 'openid profile email roles'.split(' ')
SOCIAL_AUTH_KEYCLOAK_AUTHORIZATION_URL = 'https://kc.example.com/realms/' \
    'main/protocol/openid-connect/auth'
REMOTE_AUTH_BACKEND = json.loads(r'''["social_core.backends.keycloak.KeycloakOAuth2"]''')
SOCIAL_AUTH_PIPELINE = (
    'social_core.pipeline.social_auth.social_details',  # first
    # 'social_core.pipeline.social_auth.auth_allowed',
    'social_core.pipeline.social_auth.associate_by_email',
)
REMOTE_AUTH_DEFAULT_GROUPS = _environ_get_and_map('REMOTE_AUTH_DEFAULT_GROUPS', '', _AS_LIST)
SOCIAL_AUTH_OIDC_SECRET = _read_secret('oidc_secret', environ.get('OIDC_SECRET', ''))
from netbox.configuration.configuration import REMOTE_AUTH_ENABLED
SOCIAL_AUTH_OIDC_KEY = f"{PREFIX}-netbox"
LOGIN_REQUIRED = True; LOGOUT_REDIRECT_URL = 'home'
"#;
    let c = parse(src).unwrap();
    let get = |n: &str| c.last(n).unwrap();
    assert_eq!(
        get("SOCIAL_AUTH_OIDC_SCOPE").value.as_str_list().unwrap(),
        ["openid", "profile", "email", "roles"]
    );
    assert!(!get("SOCIAL_AUTH_OIDC_SCOPE").value.is_dynamic());
    assert_eq!(
        get("SOCIAL_AUTH_KEYCLOAK_AUTHORIZATION_URL").value.as_str(),
        Some("https://kc.example.com/realms/main/protocol/openid-connect/auth")
    );
    let backend = get("REMOTE_AUTH_BACKEND");
    assert_eq!(backend.value.form(), Form::Json);
    assert_eq!(
        backend.value.as_str_list().unwrap(),
        ["social_core.backends.keycloak.KeycloakOAuth2"]
    );
    let pipeline = get("SOCIAL_AUTH_PIPELINE");
    assert_eq!(pipeline.value.as_str_list().unwrap().len(), 2);
    assert!(src[pipeline.stmt.clone()].ends_with("associate_by_email',\n)"));
    assert_eq!(
        get("REMOTE_AUTH_DEFAULT_GROUPS").value.form(),
        Form::Environment
    );
    assert_eq!(
        get("SOCIAL_AUTH_OIDC_SECRET").value.form(),
        Form::SecretFile
    );
    assert_eq!(get("REMOTE_AUTH_ENABLED").value.form(), Form::Import);
    assert_eq!(get("SOCIAL_AUTH_OIDC_KEY").value.form(), Form::Computed);
    let login = get("LOGIN_REQUIRED");
    let logout = get("LOGOUT_REDIRECT_URL");
    assert_eq!(login.line, logout.line);
    assert_eq!(&src[logout.stmt.clone()], "LOGOUT_REDIRECT_URL = 'home'");
}

#[test]
fn variables_carry_their_source_and_environ_aliases_are_followed() {
    let src = "\
import os
_env = os.environ
_oidc_endpoint = _env.get('OIDC_ENDPOINT')
if _oidc_endpoint:
    SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = _oidc_endpoint
";
    let c = parse(src).unwrap();
    assert!(matches!(
        &c.last("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT").unwrap().value,
        Value::Env { var, .. } if var == "OIDC_ENDPOINT"
    ));
}

#[test]
fn bom_crlf_and_non_ascii_keep_exact_offsets() {
    let src = "\u{feff}# 設定ファイル\r\nREMOTE_AUTH_BACKEND = \"social_core.backends.keycloak.KeycloakOAuth2\"  # 認証\r\n";
    let c = parse(src).unwrap();
    let a = &c.assignments[0];
    assert_eq!(
        &src[a.value_span.clone().unwrap()],
        "\"social_core.backends.keycloak.KeycloakOAuth2\""
    );
    assert_eq!((a.line, a.column), (2, 1));
}

#[test]
fn secrets_are_located_and_kept_out_of_debug() {
    let src = "\
SECRET_KEY = 'canary-secret-key-0123456789abcdef0123456789abcdef'
DATABASES = {'default': {'NAME': 'netbox', 'PASSWORD': 'canary-db-pass', 'HOST': 'db'}}
SOCIAL_AUTH_KEYCLOAK_SECRET = 'canary-kc-secret'
";
    let c = parse(src).unwrap();
    assert_eq!(c.secret_spans.len(), 3);
    assert_eq!(
        &src[c.secret_spans[1].clone()],
        "'PASSWORD': 'canary-db-pass'"
    );
    let shown = format!("{:?}", c.secret_values);
    assert!(!shown.contains("canary"), "{shown}");
    assert!(
        c.secret_values
            .iter()
            .any(|s| s.expose() == "canary-db-pass")
    );
}

#[test]
fn syntax_errors_name_line_and_column() {
    let err = parse("REMOTE_AUTH_BACKEND = 'x'\nSOCIAL_AUTH_OIDC_KEY = ('netbox'\n").unwrap_err();
    // Ruff reports the unclosed bracket where the file ends.
    assert_eq!(err.line, 3, "{err}");
    assert!(err.column >= 1);
    assert!(!err.message.is_empty());
    assert!(is_valid("x = (1,\n  2)\n").is_ok());
}

#[test]
fn blocks_list_their_statements_and_classes_are_seen() {
    let src = "\
from social_core.backends.open_id_connect import OpenIdConnectAuth
class KanidmOpenIdConnect(OpenIdConnectAuth):
    name = 'kanidm'
if True:
    SOCIAL_AUTH_KANIDM_KEY = 'netbox'
";
    let c = parse(src).unwrap();
    assert_eq!(c.classes[0].name, "KanidmOpenIdConnect");
    assert_eq!(c.classes[0].bases, ["OpenIdConnectAuth"]);
    let a = c.last("SOCIAL_AUTH_KANIDM_KEY").unwrap();
    assert_eq!(c.blocks[a.block].len(), 1);
    assert_eq!(c.blocks[0].len(), 3);
}
