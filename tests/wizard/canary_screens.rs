//! A canary secret in everything the wizard reads (the saved plan it offers to resume, with the
//! client secret file it names; the kanidm token cache its inspect view logs in with; Kanidm's
//! client, as if it returned the basic secret instead of "hidden"; an old netbox-sso.py with the
//! secret pasted in) while every screen is drawn at 80×24 and 120×40 on a `TestBackend`: Welcome
//! with the resume offer, each step, each check's details after the real checks ran against the
//! test servers, the inspect view on each client, the review of each file, the write confirmation,
//! Done, help and quit. The canary is on no screen, and the files written hold none of it.

use crossterm::event::KeyCode;
use nbsso::app::model::ResumeOffer;
use nbsso::app::screens::inspect::Load;
use nbsso::app::{Config, Effect, Model, Msg, Step, update};
use nbsso::checks::{CheckEvent, Options};
use nbsso::generate::writer;
use nbsso::inspect::Source;
use nbsso::plan::PlanDraft;
use nbsso::runtime::effects::Executor;
use nbsso::theme::Theme;
use std::path::Path;
use std::time::Duration;
use testkit::fixtures;
use testkit::idp::{CannedResponse, TestIdp};
use testkit::netbox::TestNetbox;
use testkit::wizard::{press, render};
use tokio::sync::mpsc::unbounded_channel;

fn canary(what: &str) -> String {
    format!("nbsso-canary-{}-{what}", std::process::id())
}

/// Every screen drawn so far, with what was on it.
struct Screens {
    prefix: String,
    drawn: usize,
    leaks: Vec<String>,
}

impl Screens {
    fn draw(&mut self, m: &mut Model, what: &str) {
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = render(m, w, h);
            self.drawn += 1;
            if screen.contains(&self.prefix) {
                self.leaks.push(format!("{what} at {w}x{h}:\n{screen}"));
            }
        }
    }
}

/// Performs `effects` with the runtime's executor and feeds what comes back into `update` until
/// `done` holds; the inspect view's live read logs in with `cache`.
fn perform(m: &mut Model, effects: Vec<Effect>, cache: &Path, done: impl Fn(&Model) -> bool) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _entered = rt.enter();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let (check_tx, mut check_rx) = unbounded_channel::<CheckEvent>();
    let options = Options {
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let mut executor = Executor::new(tx, check_tx, options);
    let run = |executor: &mut Executor, mut effect: Effect| {
        if let Effect::LoadClients {
            source: Source::Live(live),
            ..
        } = &mut effect
        {
            live.token_cache = Some(cache.to_path_buf());
            live.name = Some("idm_admin".into());
        }
        executor.run(effect);
    };
    for effect in effects {
        run(&mut executor, effect);
    }
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), async {
            while !done(m) {
                let msg = tokio::select! {
                    Some(msg) = rx.recv() => msg,
                    Some(event) = check_rx.recv() => Msg::Check(event),
                };
                for effect in update(m, msg) {
                    run(&mut executor, effect);
                }
            }
        })
        .await
        .expect("the effects settle within 60 s");
    });
    executor.shutdown();
}

/// NetBox in front of a Kanidm whose REST API lists its clients to the canary token only, with
/// the basic secret in place of "hidden".
fn servers(token: &str) -> (TestIdp, TestNetbox) {
    let list = fixtures::text("kanidm/http/rest-v1-oauth2-list.json").replace(
        r#""oauth2_rs_basic_secret":["hidden"]"#,
        &format!(r#""oauth2_rs_basic_secret":["{}"]"#, canary("basic-secret")),
    );
    let bearer = format!("Bearer {token}");
    testkit::pair::kanidm_and_netbox(&canary("client-secret"), |idp| {
        idp.intercept(move |req| {
            if !req.path.starts_with("/v1/oauth2") {
                return None;
            }
            Some(if req.header("authorization") == Some(bearer.as_str()) {
                CannedResponse::new(200)
                    .header("content-type", "application/json")
                    .body(list.clone())
            } else {
                CannedResponse::new(401).body("\"notauthenticated\"")
            })
        })
    })
}

#[test]
fn a_canary_in_every_input_of_the_wizard_is_on_no_screen() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let token = canary("token-cache");
    let (idp, netbox) = servers(&token);
    let cache = dir.join("kanidm_tokens");
    let tokens = serde_json::json!({"instances": {"": {"tokens": {"idm_admin@localhost": token}}}});
    std::fs::write(&cache, tokens.to_string()).unwrap();
    // The saved plan the wizard offers to resume names the client secret file.
    let mut draft = testkit::plans::example_draft_for_idp(
        "keycloak-netbox-4.7.3.toml",
        idp.origin(),
        idp.ca_pem_path(),
        dir,
        &canary("secret-file"),
    );
    draft.netbox.url = netbox.origin();
    let plan_path = dir.join("nbsso-plan.toml");
    let plan_text = format!("# client secret: {}\n{}", canary("plan"), draft.to_toml());
    std::fs::write(&plan_path, &plan_text).unwrap();
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(
        out.join("netbox-sso.py"),
        format!(
            "# written by hand\nSOCIAL_AUTH_KEYCLOAK_SECRET = '{}'\n",
            canary("old-output")
        ),
    )
    .unwrap();

    let mut screens = Screens {
        prefix: canary(""),
        drawn: 0,
        leaks: Vec::new(),
    };
    let mut m = Model::new(Config {
        theme: Theme::colour(),
        resume: Some(ResumeOffer {
            path: plan_path.clone(),
            draft: PlanDraft::from_toml(&plan_text).unwrap(),
        }),
        ..Config::default()
    });
    screens.draw(&mut m, "Welcome with the saved plan");
    press(&mut m, KeyCode::F(1));
    screens.draw(&mut m, "help on Welcome");
    press(&mut m, KeyCode::Esc);
    // The saved plan resumed, each step drawn on the way.
    let mut effects = press(&mut m, KeyCode::Enter);
    for step in ["Source", "Kanidm", "NetBox", "Options"] {
        screens.draw(&mut m, step);
        press(&mut m, KeyCode::F(1));
        screens.draw(&mut m, &format!("help on {step}"));
        press(&mut m, KeyCode::Esc);
        effects.extend(press(&mut m, KeyCode::Enter));
    }
    assert_eq!(m.step, Step::Checks, "{:?}", m.answers.problems);
    // The real checks against the test servers, then each check's details.
    perform(&mut m, effects, &cache, |m| {
        m.board.plan.is_some() && !m.board.running()
    });
    for i in 0..7 {
        screens.draw(&mut m, &format!("Checks, row {i}"));
        press(&mut m, KeyCode::Down);
    }
    // The inspect view, read live with the cached login, on each client.
    let effects = press(&mut m, KeyCode::Char('i'));
    perform(&mut m, effects, &cache, |m| {
        m.inspect.as_ref().is_some_and(|i| i.load != Load::Loading)
    });
    assert_eq!(
        m.inspect.as_ref().unwrap().load,
        Load::Loaded,
        "read with the cached login"
    );
    for i in 0..4 {
        screens.draw(&mut m, &format!("inspect, client {i}"));
        press(&mut m, KeyCode::Down);
    }
    press(&mut m, KeyCode::Esc);
    assert!(m.inspect.is_none());
    // Review of the files against the output directory holding the old netbox-sso.py.
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Users);
    screens.draw(&mut m, "users");
    press(&mut m, KeyCode::Enter); // nothing to read: on to the Review
    assert_eq!(m.step, Step::Review);
    let plan = m.answers.plan.clone().unwrap();
    let planned = writer::plan_files(&out, &nbsso::generate::generate(&plan)).unwrap();
    let generation = m.review.generation;
    update(&mut m, Msg::Planned(generation, Ok(planned.clone())));
    for i in 0..planned.len() {
        screens.draw(&mut m, &format!("Review, file {i}"));
        press(&mut m, KeyCode::Char('d'));
        screens.draw(&mut m, &format!("Review, file {i} scrolled"));
        press(&mut m, KeyCode::Down);
    }
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Write);
    screens.draw(&mut m, "Write");
    let written = writer::write_files(&planned, &writer::timestamp_now()).unwrap();
    update(&mut m, Msg::Written(Ok(written)));
    assert_eq!(m.step, Step::Done);
    screens.draw(&mut m, "Done");
    press(&mut m, KeyCode::Esc);
    screens.draw(&mut m, "quit");

    // The new files hold none of it; the old one is kept byte for byte in its backup.
    for entry in std::fs::read_dir(&out).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if text.contains(&screens.prefix) {
            assert!(
                name.starts_with("netbox-sso.py.nbsso-"),
                "{name} holds a canary"
            );
        }
    }
    println!("{} screens drawn", screens.drawn);
    assert!(screens.leaks.is_empty(), "{}", screens.leaks.join("\n\n"));
}
