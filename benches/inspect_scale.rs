#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! "inspect" at scale: 5,000 OAuth2 clients in the `kanidm system oauth2 list -o json` shape
//! (capture 18j as the template, with varied names, redirect URLs, scope maps and flags), parsed
//! with `parse_list_json` and compared with one plan by `drift`.
//!
//! `cargo bench --bench inspect_scale`; goals: parse all ≤ 50 ms, drift for all ≤ 50 ms (median of
//! several runs). Exits non-zero when a goal is missed.

use nbsso::kanidm::{drift, parse_list_json};
use nbsso::plan::{Plan, PlanDraft, validate};
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::{Duration, Instant};

const CLIENTS: usize = 5_000;
const RUNS: usize = 11;
const GOAL: Duration = Duration::from_millis(50);

fn plan() -> Plan {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/keycloak-netbox-4.7.3.toml"
    );
    let mut draft = PlanDraft::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    draft.kanidm.origin = "https://localhost:8443".into();
    match validate(&draft) {
        Ok((plan, _)) => plan,
        Err(problems) => panic!("plan does not validate: {problems:#?}"),
    }
}

/// 5,000 clients from the template, each varied in a way drift cares about.
fn synthetic_list() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/kanidm/cli/18j-oauth2-list-json.stdout"
    );
    let list: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let template = list[0].clone();
    let scope_sets = [
        r#"{"email", "openid", "profile"}"#,
        r#"{"openid", "profile"}"#,
        r#"{"email", "groups", "openid", "profile"}"#,
        r#"{"openid"}"#,
    ];
    let clients: Vec<Value> = (0..CLIENTS)
        .map(|i| {
            let mut c = template.clone();
            let name = if i == 0 {
                "netbox".to_string()
            } else {
                format!("app{i:05}")
            };
            c["name"] = json!([name]);
            c["spn"] = json!([format!("{name}@localhost")]);
            c["displayname"] = json!([format!("App {i} \"test\"")]);
            c["uuid"] = json!([format!("00000000-0000-4000-8000-{i:012x}")]);
            let host = format!("app{i}.example.com");
            let redirect = match i % 4 {
                0 => format!("https://{host}/oauth/complete/oidc/"),
                1 => format!("http://{host}/oauth/complete/oidc/"),
                2 => format!("https://{host}/oauth/complete/oidc"),
                _ => "https://netbox.example.com/oauth/complete/oidc/".to_string(),
            };
            c["oauth2_rs_origin"] = json!([redirect, format!("https://{host}/cb{}", i % 7)]);
            c["oauth2_rs_origin_landing"] = json!([format!("https://{host}/")]);
            c["oauth2_rs_scope_map"] = json!([
                format!("netbox_users@localhost: {}", scope_sets[i % 4]),
                format!("group{}@localhost: {}", i % 13, scope_sets[(i / 4) % 4]),
            ]);
            let flag = |on: bool| json!([if on { "true" } else { "false" }]);
            c["oauth2_allow_insecure_client_disable_pkce"] = flag(i % 2 == 0);
            c["oauth2_consent_prompt_enable"] = flag(i % 3 == 0);
            c["oauth2_prefer_short_username"] = flag(i % 5 != 0);
            c["oauth2_strict_redirect_uri"] = flag(i % 11 != 0);
            if i % 17 == 0 {
                c["oauth2_jwt_legacy_crypto_enable"] = flag(true);
            }
            c
        })
        .collect();
    serde_json::to_string(&clients).unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let plan = plan();
    let text = synthetic_list();

    let mut parse_times = Vec::new();
    let mut states = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        states = black_box(parse_list_json(black_box(&text)).unwrap());
        parse_times.push(start.elapsed());
    }
    assert_eq!(states.len(), CLIENTS);

    // the share of the parse that is serde_json building its `Value` tree
    let mut value_times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        black_box(serde_json::from_str::<Value>(black_box(&text)).unwrap());
        value_times.push(start.elapsed());
    }

    let mut drift_times = Vec::new();
    let mut items = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        items = black_box(
            states
                .iter()
                .map(|s| drift(black_box(s), &plan).len())
                .sum::<usize>(),
        );
        drift_times.push(start.elapsed());
    }

    let parse = median(parse_times);
    let drifted = median(drift_times);
    let verdict = |d: Duration| if d <= GOAL { "met" } else { "MISSED" };
    println!(
        "inspect_scale: {CLIENTS} clients, {} bytes of JSON, {items} drift items, median of {RUNS} runs",
        text.len()
    );
    println!(
        "  parse_list_json: {} (goal ≤ {}: {})",
        ms(parse),
        ms(GOAL),
        verdict(parse)
    );
    println!(
        "    of which serde_json::from_str::<Value>: {}",
        ms(median(value_times))
    );
    println!(
        "  drift (all):     {} (goal ≤ {}: {})",
        ms(drifted),
        ms(GOAL),
        verdict(drifted)
    );
    if parse > GOAL || drifted > GOAL {
        std::process::exit(1);
    }
}
