#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! "inspect" at scale: 5,000 OAuth2 clients in the `kanidm system oauth2 list -o json` shape
//! (capture 18j as the template, with varied names, redirect URLs, scope maps and flags), parsed
//! with `parse_list_json` and compared with one plan by `drift`; then the inspect view holding all
//! of them: a filter keystroke through `update` to a frame drawn on a 160×50 `TestBackend`.
//!
//! `cargo bench --bench inspect_scale`; goals: parse all ≤ 50 ms, drift for all ≤ 50 ms (median of
//! several runs), filter keystroke → rendered frame ≤ 5 ms (median over every keystroke of a typing
//! script). Exits non-zero when a goal is missed.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nbsso::app::screens::inspect::{Inspect, InspectMsg};
use nbsso::app::{Config, Model, Msg, update};
use nbsso::inspect::{Loaded, Source, prepare};
use nbsso::kanidm::{OAuthClientState, drift, parse_list_json};
use nbsso::plan::{Plan, PlanDraft, validate};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 5_000;
const RUNS: usize = 11;
const GOAL: Duration = Duration::from_millis(50);
const KEYSTROKE_GOAL: Duration = Duration::from_millis(5);
const SIZE: (u16, u16) = (160, 50);
/// Typed one character at a time, then erased with Backspace: matches that narrow from 5,000 to
/// one, matches by redirect host, by display name, and a filter that matches nothing.
const TYPED: [&str; 5] = ["app01234", "example.com", "App 4", "netbox", "zzz"];

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

fn ratio(d: Duration, goal: Duration) -> String {
    format!("{:.2}× the goal", d.as_secs_f64() / goal.as_secs_f64())
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Every keystroke of the typing script, each timed from `update` to the drawn frame.
fn filter_keystrokes(states: &[OAuthClientState], plan: &Arc<Plan>) -> (Vec<Duration>, Duration) {
    let inspect = Inspect::new(
        Source::File("clients.json".into()),
        Some(plan.clone()),
        Some("plan.toml".into()),
        None,
        false,
    );
    let (mut model, _) = Model::inspect_only(
        Config {
            size: SIZE,
            ..Config::default()
        },
        inspect,
    );
    let generation = model.inspect.as_ref().unwrap().generation;
    let start = Instant::now();
    let rows = prepare(states.to_vec(), Some(plan));
    let prepared = start.elapsed();
    update(
        &mut model,
        Msg::Inspect(InspectMsg::Loaded {
            generation,
            result: Ok(Loaded {
                rows,
                from: "clients.json".into(),
            }),
        }),
    );
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    terminal.draw(|f| nbsso::view::render(&model, f)).unwrap();
    let mut samples = Vec::new();
    for _ in 0..4 {
        for word in TYPED {
            let keys = word
                .chars()
                .map(KeyCode::Char)
                .chain(word.chars().map(|_| KeyCode::Backspace));
            for code in keys {
                let start = Instant::now();
                black_box(update(&mut model, key(code)));
                terminal.draw(|f| nbsso::view::render(&model, f)).unwrap();
                samples.push(start.elapsed());
            }
        }
    }
    let inspect = model.inspect.as_ref().unwrap();
    assert_eq!(inspect.filtered.len(), CLIENTS, "the filter is empty again");
    (samples, prepared)
}

fn main() {
    // Measured with the allocator as `nbsso inspect` has it: mimalloc's defaults (only the wizard
    // returns freed memory at once). The first run, on memory the process never touched, is
    // reported beside the median: a first read pays for it.
    let plan = plan();
    let text = synthetic_list();

    // Interleaved with serde_json's own untyped parse of the same text, so that the ratio between
    // the two holds even when the machine is busy.
    let mut parse_times = Vec::new();
    let mut value_times = Vec::new();
    let mut states = Vec::new();
    for _ in 0..RUNS {
        // The previous run's clients are freed first, outside the timing.
        drop(std::mem::take(&mut states));
        let start = Instant::now();
        let parsed = black_box(parse_list_json(black_box(&text)).unwrap());
        parse_times.push(start.elapsed());
        states = parsed;
        let start = Instant::now();
        let value = black_box(serde_json::from_str::<Value>(black_box(&text)).unwrap());
        value_times.push(start.elapsed());
        drop(value);
    }
    assert_eq!(states.len(), CLIENTS);

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

    let plan = Arc::new(plan);
    let (keystrokes, prepared) = filter_keystrokes(&states, &plan);
    let strokes = keystrokes.len();
    let mut sorted = keystrokes.clone();
    sorted.sort();
    let p95 = sorted[sorted.len() * 95 / 100];
    let worst = sorted[sorted.len() - 1];
    let keystroke = median(keystrokes);

    let first_parse = parse_times[0];
    let parse = median(parse_times);
    let drifted = median(drift_times);
    let verdict = |d: Duration| if d <= GOAL { "met" } else { "MISSED" };
    println!(
        "inspect_scale: {CLIENTS} clients, {} bytes of JSON, {items} drift items, median of {RUNS} runs",
        text.len()
    );
    println!(
        "  parse_list_json: {} (goal ≤ {}: {}, {})",
        ms(parse),
        ms(GOAL),
        verdict(parse),
        ratio(parse, GOAL)
    );
    println!(
        "    the first run, on fresh memory: {} ({})",
        ms(first_parse),
        ratio(first_parse, GOAL)
    );
    let value = median(value_times);
    println!(
        "    for scale, serde_json::from_str::<Value> on the same text: {} (parse_list_json takes {:.2}× that)",
        ms(value),
        parse.as_secs_f64() / value.as_secs_f64()
    );
    println!(
        "  drift (all):     {} (goal ≤ {}: {}, {})",
        ms(drifted),
        ms(GOAL),
        verdict(drifted),
        ratio(drifted, GOAL)
    );
    println!(
        "  filter keystroke → frame ({}×{}, {strokes} keystrokes): median {} (goal ≤ {}: {}, {}); p95 {}, worst {}",
        SIZE.0,
        SIZE.1,
        ms(keystroke),
        ms(KEYSTROKE_GOAL),
        if keystroke <= KEYSTROKE_GOAL {
            "met"
        } else {
            "MISSED"
        },
        ratio(keystroke, KEYSTROKE_GOAL),
        ms(p95),
        ms(worst)
    );
    println!(
        "    (once per read, off the event loop: the view's rows with every client's drift {})",
        ms(prepared)
    );
    if parse > GOAL || drifted > GOAL || keystroke > KEYSTROKE_GOAL {
        std::process::exit(1);
    }
}
