//! Shared by the inspect view's tests: a small list of clients in the `kanidm system oauth2 list
//! -o json` shape (capture 18j as the template), the example plan, a loaded view, rendering.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nbsso::app::screens::inspect::{Inspect, InspectMsg};
use nbsso::app::{Config, Effect, Model, Msg, update};
use nbsso::inspect::source::parse_any;
use nbsso::inspect::{LoadError, Loaded, Source, prepare};
use nbsso::plan::{Plan, PlanDraft, validate};
use nbsso::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::sync::Arc;

pub const PLAN: &str = "examples/keycloak-netbox-4.7.3.toml";

pub fn plan() -> Arc<Plan> {
    let path = crate::repo_root().join(PLAN);
    let draft = PlanDraft::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    Arc::new(validate(&draft).unwrap().0)
}

fn template() -> Value {
    crate::fixtures::json("kanidm/cli/18j-oauth2-list-json.stdout")[0].clone()
}

/// Five clients: `netbox` as captured (PKCE off and no consent prompt: 2 drift), `netbox-dr`
/// exactly as the plan wants (in sync), and three other applications.
pub fn clients_json() -> String {
    let base = template();
    let flag = |on: bool| json!([if on { "true" } else { "false" }]);
    let other = |name: &str, display: Option<&str>, host: &str, redirect: &str, uuid: u32| {
        let mut c = base.clone();
        c["name"] = json!([name]);
        c["spn"] = json!([format!("{name}@localhost")]);
        match display {
            Some(d) => c["displayname"] = json!([d]),
            None => {
                if let Some(map) = c.as_object_mut() {
                    map.remove("displayname");
                }
            }
        }
        c["uuid"] = json!([format!("00000000-0000-4000-8000-{uuid:012x}")]);
        c["oauth2_rs_origin"] = json!([format!("https://{host}{redirect}")]);
        c["oauth2_rs_origin_landing"] = json!([format!("https://{host}/")]);
        c["oauth2_rs_scope_map"] = json!([format!(
            "{name}_users@localhost: {{\"openid\", \"profile\"}}"
        )]);
        c["oauth2_allow_insecure_client_disable_pkce"] = flag(false);
        c["oauth2_consent_prompt_enable"] = flag(true);
        c
    };
    let mut dr = base.clone();
    dr["name"] = json!(["netbox-dr"]);
    dr["spn"] = json!(["netbox-dr@localhost"]);
    dr["uuid"] = json!(["00000000-0000-4000-8000-000000000002"]);
    dr["oauth2_allow_insecure_client_disable_pkce"] = flag(false);
    dr["oauth2_consent_prompt_enable"] = flag(true);
    let clients = vec![
        other(
            "gitea",
            Some("Gitea"),
            "git.example.com",
            "/user/oauth2/kanidm/callback",
            1,
        ),
        other(
            "grafana",
            Some("Grafana"),
            "grafana.example.com",
            "/login/generic_oauth",
            3,
        ),
        base.clone(),
        dr,
        other("wiki", None, "wiki.example.org", "/oauth/callback", 4),
    ];
    serde_json::to_string(&clients).unwrap()
}

/// The loaded message for a read of `text`.
pub fn loaded(generation: u64, text: &str, plan: Option<&Plan>) -> Msg {
    let clients = parse_any(text).unwrap();
    Msg::Inspect(InspectMsg::Loaded {
        generation,
        result: Ok(Loaded {
            rows: prepare(clients, plan),
            from: "clients.json".into(),
        }),
    })
}

pub fn failed(generation: u64, error: LoadError) -> Msg {
    Msg::Inspect(InspectMsg::Loaded {
        generation,
        result: Err(error),
    })
}

/// `nbsso inspect --from clients.json --plan …` before the read finished, and its read effect.
pub fn opened(source: Source, plan: Option<Arc<Plan>>) -> (Model, Effect) {
    let label = plan.as_ref().map(|_| PLAN.to_string());
    let inspect = Inspect::new(source, plan, label, None, false);
    let (model, mut read) = Model::inspect_only(
        Config {
            theme: Theme::colour(),
            ..Config::default()
        },
        inspect,
    );
    (model, read.remove(0))
}

pub fn generation(model: &Model) -> u64 {
    model.inspect.as_ref().unwrap().generation
}

/// The view with the five clients read and compared with the example plan.
pub fn loaded_model() -> Model {
    let plan = plan();
    let (mut model, _) = opened(Source::File("clients.json".into()), Some(plan.clone()));
    let g = generation(&model);
    update(&mut model, loaded(g, &clients_json(), Some(&plan)));
    model
}

pub fn inspect(model: &Model) -> &Inspect {
    model.inspect.as_ref().unwrap()
}

pub fn key(model: &mut Model, code: KeyCode) -> Vec<Effect> {
    update(model, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn type_text(model: &mut Model, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| key(model, KeyCode::Char(c)))
        .collect()
}

/// Renders at `w`×`h` (as the runtime does: the size first, then the frame).
pub fn render(model: &mut Model, w: u16, h: u16) -> String {
    update(model, Msg::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| nbsso::view::render(model, f)).unwrap();
    terminal.backend().to_string()
}
