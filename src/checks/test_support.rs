//! Plans and captured responses for the evaluation unit tests.

use super::http::Captured;
use crate::plan::{Plan, PlanDraft, validate};
use std::time::{Duration, SystemTime};

/// A plan shaped like the fixtures' server (`https://localhost:8443`), for a NetBox version and client.
pub fn plan_for(netbox_version: &str, client: &str) -> Plan {
    let mut draft = PlanDraft {
        source: "keycloak".into(),
        ..PlanDraft::default()
    };
    draft.netbox.url = "https://netbox.example.com".into();
    draft.netbox.version = netbox_version.into();
    draft.kanidm.origin = "https://localhost:8443".into();
    draft.kanidm.client = client.into();
    draft.kanidm.members = vec!["foobar".into()];
    match validate(&draft) {
        Ok((plan, _)) => plan,
        Err(problems) => panic!("test plan invalid: {problems:#?}"),
    }
}

pub fn captured(status: u16, body: &[u8]) -> Captured {
    Captured {
        url: reqwest::Url::parse("https://localhost:8443/x").unwrap(),
        status,
        headers: reqwest::header::HeaderMap::new(),
        body: body.to_vec(),
        sent_at: SystemTime::UNIX_EPOCH,
        headers_at: SystemTime::UNIX_EPOCH,
        rtt: Duration::ZERO,
    }
}
