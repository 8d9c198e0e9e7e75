//! What `migrate-users.py` prints inside NetBox: one line `NBSSO-RESULT {json}` among whatever else the
//! shell, `docker compose` or `kubectl` adds. nbsso reads only that line, from pasted or redirected
//! output, so nothing has to be copied out of a container.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The prefix of the one line nbsso reads.
pub const SENTINEL: &str = "NBSSO-RESULT ";

/// The result format this nbsso writes and reads.
pub const RESULT_VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error(
        "no line starting with NBSSO-RESULT: paste or redirect the whole output of migrate-users.py \
         (for example `... nbshell --command \"$(cat migrate-users.py)\" > export.txt`)"
    )]
    NoResult,
    #[error(
        "the NBSSO-RESULT line on line {line} is not valid JSON ({message}): was the output cut?"
    )]
    Invalid { line: usize, message: String },
    #[error(
        "this is the result of `{found}`, not of `{wanted}`: run migrate-users.py with NBSSO_USERS_ACTION={wanted}"
    )]
    WrongAction { wanted: String, found: String },
    #[error("migrate-users.py stopped inside NetBox: {0}")]
    Failed(String),
    #[error(
        "the result was written by a newer migrate-users.py (format {0}); use the nbsso that generated it"
    )]
    NewerFormat(u64),
    #[error("the export does not have the expected shape: {0}")]
    Shape(String),
}

/// The last `NBSSO-RESULT` line's JSON. Carriage returns (a TTY through `docker compose exec`) and
/// leading text on the line (a prompt, a timestamp) are ignored.
pub fn find_result(text: &str) -> Result<Value, ExportError> {
    let (number, json) = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let at = line.find(SENTINEL)?;
            Some((i + 1, line[at + SENTINEL.len()..].trim()))
        })
        .last()
        .ok_or(ExportError::NoResult)?;
    let value: Value = serde_json::from_str(json).map_err(|e| ExportError::Invalid {
        line: number,
        message: e.to_string(),
    })?;
    let version = value.get("nbsso").and_then(Value::as_u64).unwrap_or(0);
    if version > RESULT_VERSION {
        return Err(ExportError::NewerFormat(version));
    }
    Ok(value)
}

/// The result of `action`, or why it is not there.
pub fn result_of(text: &str, action: &str) -> Result<Value, ExportError> {
    let value = find_result(text)?;
    let found = value
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if found != action {
        return Err(ExportError::WrongAction {
            wanted: action.into(),
            found,
        });
    }
    if value.get("ok").and_then(Value::as_bool) != Some(true) {
        let why = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        return Err(ExportError::Failed(why.to_string()));
    }
    Ok(value)
}

/// Claims decoded (without verification) from a link's stored ID or access token at its last login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One row of `social_auth_usersocialauth`, without its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialLink {
    pub id: i64,
    pub provider: String,
    pub uid: String,
    #[serde(default)]
    pub claims: Claims,
}

/// One NetBox user, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetBoxUser {
    pub id: i64,
    pub username: String,
    #[serde(default)]
    pub email: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub superuser: bool,
    /// A local password login works (`has_usable_password()` on a non-empty hash).
    #[serde(default)]
    pub usable_password: bool,
    #[serde(default)]
    pub last_login: Option<String>,
    #[serde(default)]
    pub links: Vec<SocialLink>,
}

fn yes() -> bool {
    true
}

/// What `NBSSO_USERS_ACTION=export` reports about a NetBox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetBoxExport {
    #[serde(default)]
    pub netbox_version: String,
    /// The social-core backends configured now, by name (`keycloak`, `oidc`, …).
    #[serde(default)]
    pub backends: Vec<String>,
    /// `SOCIAL_AUTH_OIDC_OIDC_ENDPOINT` at export time (the old provider's, before the switch).
    #[serde(default)]
    pub oidc_endpoint: Option<String>,
    /// `social_core.pipeline.social_auth.associate_by_email` is in `SOCIAL_AUTH_PIPELINE`.
    #[serde(default)]
    pub associate_by_email: bool,
    pub users: Vec<NetBoxUser>,
}

impl NetBoxExport {
    /// Reads an export from the script's output.
    pub fn parse(text: &str) -> Result<Self, ExportError> {
        let value = result_of(text, "export")?;
        serde_json::from_value(value).map_err(|e| ExportError::Shape(e.to_string()))
    }

    /// The old provider this NetBox's links show: `keycloak` when any link is Keycloak's, else `oidc`.
    pub fn old_provider(&self) -> &'static str {
        let keycloak = self
            .users
            .iter()
            .flat_map(|u| &u.links)
            .any(|l| l.provider == "keycloak");
        if keycloak { "keycloak" } else { "oidc" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"NBSSO-RESULT {"nbsso":1,"action":"export","ok":true,"netbox_version":"4.7.3","backends":["keycloak"],"users":[{"id":3,"username":"alice","email":"alice@example.com","active":true,"superuser":false,"usable_password":false,"last_login":null,"links":[{"id":1,"provider":"keycloak","uid":"alice","claims":{"sub":"5f0c","preferred_username":"alice"}}]}]}"#;

    #[test]
    fn reads_the_line_among_other_output() {
        let text =
            format!("⚠️ API_TOKEN_PEPPERS is not defined\r\nnbsso: 1 user, 1 link\r\n{LINE}\r\n");
        let export = NetBoxExport::parse(&text).unwrap();
        assert_eq!(export.netbox_version, "4.7.3");
        assert_eq!(export.users[0].links[0].claims.sub.as_deref(), Some("5f0c"));
        assert_eq!(export.old_provider(), "keycloak");
        // A prompt before the sentinel, as when copied from a terminal.
        let prompted = format!("netbox@host:~$ {LINE}");
        assert!(NetBoxExport::parse(&prompted).is_ok());
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(
            NetBoxExport::parse("Traceback ...\n"),
            Err(ExportError::NoResult)
        );
        let cut = &LINE[..LINE.len() - 20];
        assert!(matches!(
            NetBoxExport::parse(cut),
            Err(ExportError::Invalid { line: 1, .. })
        ));
        let plan = r#"NBSSO-RESULT {"nbsso":1,"action":"plan","ok":true}"#;
        assert_eq!(
            NetBoxExport::parse(plan).unwrap_err().to_string(),
            "this is the result of `plan`, not of `export`: run migrate-users.py with NBSSO_USERS_ACTION=export"
        );
        let failed = r#"NBSSO-RESULT {"nbsso":1,"action":"export","ok":false,"error":"NetBox 3.6.9 is older than 3.7"}"#;
        assert_eq!(
            NetBoxExport::parse(failed).unwrap_err(),
            ExportError::Failed("NetBox 3.6.9 is older than 3.7".into())
        );
        let newer = r#"NBSSO-RESULT {"nbsso":2,"action":"export","ok":true,"users":[]}"#;
        assert_eq!(
            NetBoxExport::parse(newer).unwrap_err(),
            ExportError::NewerFormat(2)
        );
        let shape = r#"NBSSO-RESULT {"nbsso":1,"action":"export","ok":true,"users":[{"id":"x"}]}"#;
        assert!(matches!(
            NetBoxExport::parse(shape),
            Err(ExportError::Shape(_))
        ));
    }
}
