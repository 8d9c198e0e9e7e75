#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Import + patch of a 2,000-line configuration.py: NetBox's stock template (with its values
//! filled in), a long tail of a real site's settings (plugins, custom validators, comments), a
//! Keycloak block with a pipeline, all read by the Python parser, resolved, patched for Kanidm,
//! re-parsed and verified, with the redacted diff made.
//!
//! `cargo bench --bench import_patch`; goal: ≤ 20 ms (median of 31 runs). Exits non-zero when
//! the goal is missed. Also prints the parse alone, for scale.

use nbsso::deploy::detect::detect;
use nbsso::deploy::patch::plan_patch;
use nbsso::deploy::{Deployment, Role, Source};
use nbsso::plan::{PlanDraft, validate};
use std::hint::black_box;
use std::time::{Duration, Instant};

const LINES: usize = 2_000;
const RUNS: usize = 31;
const GOAL: Duration = Duration::from_millis(20);

fn config() -> String {
    let stock = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/netbox-config/keycloak-list-pipeline/netbox/netbox/configuration.py"
    ))
    .unwrap();
    let mut text = stock;
    let mut i = 0;
    while text.lines().count() < LINES - 12 {
        text.push_str(&format!(
            "\n# Site {i}: rack naming and custom validation (see wiki page NET-{i})\n\
             CUSTOM_VALIDATORS_{i} = {{\n    'dcim.site': [{{'name': {{'regex': '^site-{i}-[a-z]+$'}}}}],  # naming rule\n}}\n\
             PLUGINS_CONFIG_{i} = {{'netbox_topology_views': {{'static_image_directory': 'netbox_topology_views/img/{i}'}}}}\n"
        ));
        i += 1;
    }
    text.push_str("\nSOCIAL_AUTH_KEYCLOAK_ID_KEY = 'preferred_username'\n");
    text
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    // Measured with the allocator set up as the binary sets it.
    nbsso::allocator::return_freed_memory_at_once();
    let text = config();
    let lines = text.lines().count();
    let plan_text = r#"source = "keycloak"
[netbox]
url = "https://netbox.example.com"
[kanidm]
origin = "https://idm.example.com"
members = ["alice"]
"#;
    let (plan, _) = validate(&PlanDraft::from_toml(plan_text).unwrap()).unwrap();
    let source = || Source {
        path: "configuration.py".into(),
        role: Role::Configuration,
        text: text.clone(),
    };
    let mut parse = Vec::new();
    let mut total = Vec::new();
    let mut changed = 0;
    for _ in 0..RUNS {
        let input = source();
        let started = Instant::now();
        let dep = Deployment::from_sources(vec![input], None).unwrap();
        parse.push(started.elapsed());
        let findings = detect(&dep);
        let outcome = plan_patch(&plan, &dep, &findings).unwrap();
        total.push(started.elapsed());
        changed = outcome.files.len();
        black_box(outcome);
    }
    let parse = median(parse);
    let total = median(total);
    println!(
        "configuration.py: {lines} lines, {} bytes; {changed} file(s) patched",
        text.len()
    );
    println!("parse alone:        {:>8.2} ms", parse.as_secs_f64() * 1e3);
    println!(
        "import + patch:     {:>8.2} ms  (goal ≤ {} ms; {:.2}× the goal)",
        total.as_secs_f64() * 1e3,
        GOAL.as_millis(),
        total.as_secs_f64() / GOAL.as_secs_f64()
    );
    if total > GOAL {
        eprintln!("import + patch missed its goal");
        std::process::exit(1);
    }
}
