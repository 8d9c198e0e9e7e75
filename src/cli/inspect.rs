//! `nbsso inspect`: what a Kanidm OAuth2 client really is, and its drift from the plan, from the saved
//! output of `kanidm system oauth2 get`/`list` (text or `-o json`) or the REST API's JSON. Read-only.

use super::generate::print_plan_problems;
use super::{InspectArgs, load_plan, print_json};
use crate::exit::Code;
use crate::inspect::source::{self, Live, Source, WHO_CAN_SEE, parse_any};
use crate::inspect::{attributes, verdict};
use crate::kanidm::{self, DriftItem, OAuthClientState};
use crate::plan::Plan;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Serialize)]
struct InspectReport<'a> {
    version: u32,
    command: &'static str,
    source: &'a str,
    exit_code: u8,
    /// Every client the input holds, by name.
    clients: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'a OAuthClientState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<&'a [DriftItem]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Reads the client (or every client) from Kanidm's REST API with the kanidm CLI's cached login.
/// Errors carry the exit code: usage for missing settings, unreachable for a server that cannot
/// be reached or refuses.
fn fetch_live(
    args: &InspectArgs,
    plan: Option<&Plan>,
    runtime: &tokio::runtime::Runtime,
) -> Result<(String, String), (Code, String)> {
    let client = args
        .client
        .clone()
        .or_else(|| plan.map(|p| p.kanidm.client.clone()));
    runtime
        .block_on(live_settings(args, plan).fetch(client.as_deref()))
        .map_err(|e| (e.exit_code(), e.message))
}

fn live_settings(args: &InspectArgs, plan: Option<&Plan>) -> Live {
    Live::new(
        args.url.clone(),
        args.name.clone(),
        args.instance.clone(),
        Duration::from_secs(args.timeout.max(1)),
        plan,
    )
}

fn read_source(from: &str) -> Result<String, String> {
    let result = if from == "-" {
        source::read_stdin()
    } else {
        source::read_file(std::path::Path::new(from))
    };
    result.map_err(|e| e.message)
}

/// The interactive view: when both ends are a terminal (or the input is piped in with `--from -`
/// and the output is a terminal), unless `--json` or `--plain` asks for a report.
fn wants_view(args: &InspectArgs) -> bool {
    use std::io::IsTerminal;
    !args.json
        && !args.plain
        && std::io::stdout().is_terminal()
        && (std::io::stdin().is_terminal() || args.from.as_deref() == Some("-"))
}

fn run_view(args: &InspectArgs, plan: Option<Plan>, runtime: &tokio::runtime::Runtime) -> Code {
    let source = match args.from.as_deref() {
        Some("-") => match source::read_stdin() {
            Ok(text) => Source::Stdin(text.into()),
            Err(e) => {
                eprintln!("nbsso: {}", e.message);
                return Code::Usage;
            }
        },
        Some(path) => Source::File(path.into()),
        None => Source::Live(live_settings(args, plan.as_ref())),
    };
    if let Source::Live(Live { origin: None, .. }) = source {
        eprintln!(
            "nbsso: say which Kanidm to read: --plan FILE, --url https://idm.example.com (or KANIDM_URL), \
             or give saved output with --from FILE"
        );
        return Code::Usage;
    }
    let label = args.plan.as_ref().map(|p| p.display().to_string());
    crate::runtime::run_inspect(
        runtime,
        source,
        plan.map(Arc::new),
        label,
        args.client.clone(),
    )
}

pub fn run(args: &InspectArgs, runtime: &tokio::runtime::Runtime) -> Code {
    let plan: Option<Plan> = match &args.plan {
        Some(path) => match load_plan(path) {
            Ok((plan, _)) => Some(plan),
            Err(problems) => {
                print_plan_problems(path, &problems, "nothing was inspected");
                return Code::Usage;
            }
        },
        None => None,
    };
    if wants_view(args) {
        return run_view(args, plan, runtime);
    }
    let (text, from) = match args.from.as_deref() {
        Some(from) => match read_source(from) {
            Ok(t) => (t, from.to_string()),
            Err(e) => {
                eprintln!("nbsso: {e}");
                return Code::Usage;
            }
        },
        None => match fetch_live(args, plan.as_ref(), runtime) {
            Ok(fetched) => fetched,
            Err((code, message)) => {
                eprintln!("nbsso: {message}");
                return code;
            }
        },
    };
    let from = from.as_str();
    let clients = match parse_any(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nbsso: {from} is not the output of kanidm system oauth2 get/list: {e}");
            return Code::Usage;
        }
    };
    let wanted = args
        .client
        .clone()
        .or_else(|| plan.as_ref().map(|p| p.kanidm.client.clone()))
        .or_else(|| (clients.len() == 1).then(|| clients[0].name.clone()));
    let names: Vec<&str> = clients.iter().map(|c| c.name.as_str()).collect();
    let mut report = InspectReport {
        version: 1,
        command: "inspect",
        source: from,
        exit_code: Code::Ok.value(),
        clients: names.clone(),
        client: None,
        drift: None,
        error: None,
    };

    let Some(wanted) = wanted else {
        // A list without a client to look at: show the names.
        if args.json {
            print_json(&report);
        } else if names.is_empty() {
            outln!("No OAuth2 client in {from}. If one exists, {WHO_CAN_SEE}.");
        } else {
            outln!(
                "{} OAuth2 client(s) in {from}: {}",
                names.len(),
                names.join(", ")
            );
            outln!("Name one to inspect it: nbsso inspect <client> --from {from} [--plan FILE]");
        }
        return verdict(None);
    };
    let Some(client) = clients
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(&wanted))
    else {
        let message =
            format!("no OAuth2 client named {wanted} in {from}; if it exists, {WHO_CAN_SEE}");
        let code = verdict(Some(None));
        report.exit_code = code.value();
        report.error = Some(message.clone());
        if args.json {
            print_json(&report);
        } else {
            outln!("✗ missing  {message}");
            if let Some(plan) = &plan {
                outln!(
                    "           fix: run kanidm-setup.sh for the plan (it creates {})",
                    plan.kanidm.client
                );
            }
        }
        return code;
    };
    let drift = plan.as_ref().map(|p| kanidm::drift(client, p));
    report.client = Some(client);
    report.drift = drift.as_deref();
    let code = verdict(Some(Some(drift.as_ref().map_or(0, Vec::len))));
    report.exit_code = code.value();
    if args.json {
        print_json(&report);
    } else {
        out!("{}", render_client(client));
        if let Some(items) = &drift {
            out!("{}", render_drift(items));
        }
    }
    code
}

/// A client's attributes, grouped as the interactive view shows them, under its name.
pub fn render_client(c: &OAuthClientState) -> String {
    let mut out = format!("OAuth2 client {}", c.name);
    if let Some(d) = &c.display_name {
        out.push_str(&format!(" ({d})"));
    }
    out.push('\n');
    out.push_str(&attributes::text(c));
    out
}

/// Drift rows with glyph and word, each with the commands that converge it and undo that.
pub fn render_drift(items: &[DriftItem]) -> String {
    if items.is_empty() {
        return "✓ in sync  the client matches the plan\n".into();
    }
    let mut out = String::new();
    for item in items {
        out.push_str(&format!(
            "✗ drift    {}: plan {}, Kanidm {}\n",
            item.attribute, item.expected, item.actual
        ));
        out.push_str(&format!("           why: {}\n", item.why));
        for cmd in &item.converge {
            out.push_str(&format!("           converge: {cmd}\n"));
        }
        for cmd in &item.undo {
            out.push_str(&format!("           undo:     {cmd}\n"));
        }
    }
    out.push_str(&format!(
        "{} attribute(s) differ from the plan\n",
        items.len()
    ));
    out
}
