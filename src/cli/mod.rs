//! The command line: `nbsso generate`, `check`, `inspect`, `explain` and `report`.

mod check;
mod explain;
mod generate;
mod inspect;
mod report;

pub use generate::load_plan;

use clap::{Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "nbsso",
    version,
    about = "Moves NetBox single sign-on to Kanidm, safely",
    long_about = "Moves a NetBox instance's single sign-on to the Kanidm identity server.\n\n\
        nbsso reads a migration plan (TOML), checks it against what your NetBox and Kanidm versions can do \
        and against the live servers, and writes the kanidm commands, the NetBox settings and a checklist. \
        It changes nothing on any server.",
    after_help = "Examples:\n  \
        nbsso generate --plan examples/keycloak-netbox-4.7.3.toml --dry-run\n  \
        nbsso generate --plan plan.toml --out ./nbsso-out\n  \
        nbsso check --plan plan.toml\n  \
        nbsso check --plan plan.toml --only discovery,clock --json\n  \
        nbsso explain 'Token error: Incorrect id_token: nbf'\n  \
        nbsso report --plan plan.toml > report.md\n\n\
        Exit codes: 0 ok, 1 findings, 2 usage or invalid plan, 3 unreachable, 4 output not written."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the kanidm script, the NetBox settings and the checklist for a plan
    #[command(after_help = "Files written to the output directory:\n  \
        CHECKLIST.md      the steps in order, with commands and checks\n  \
        kanidm-setup.sh   creates the Kanidm OAuth2 client, group and scope map (safe to rerun)\n  \
        kanidm-undo.sh    reverses what kanidm-setup.sh changed\n  \
        netbox-sso.py     the settings block for NetBox's configuration.py\n\n\
        Existing files that differ are backed up as NAME.nbsso-<timestamp>.bak before being replaced.")]
    Generate(GenerateArgs),
    /// Check the live Kanidm and NetBox servers against a plan (changes nothing)
    #[command(
        after_help = "Checks (for --only): kanidm-tls, discovery, jwks, clock, netbox-login, redirect, authorise.\n\
        Exit codes: 0 all passed, 1 a check failed or warned, 2 usage or invalid plan, 3 a server could not be reached."
    )]
    Check(CheckArgs),
    /// Show Kanidm OAuth2 clients, live or from saved `kanidm system oauth2 get/list` output, and their drift from a plan
    #[command(
        after_help = "Without --from the client is read from Kanidm's REST API (GET /v1/oauth2/<client>) with the token of\n\
        `kanidm login` (~/.cache/kanidm_tokens, KANIDM_TOKEN_CACHE_PATH) or KANIDM_TOKEN.\n\n\
        Saved output works too (text or JSON), with --from FILE or --from - for stdin:\n  \
        kanidm system oauth2 get netbox --name idm_admin > client.txt\n  \
        kanidm system oauth2 list --name idm_admin -o json > clients.json\n\n\
        On a terminal a read-only view opens: every client (GET /v1/oauth2), filtered as you type,\n\
        the selected client's drift and the commands that converge it (c copies one; F1 lists keys).\n\
        --plain or --json print the report; so does any run whose output is not a terminal.\n\
        The view exits with the codes below, for the client it selected first.\n\n\
        Exit codes: 0 in sync (or no plan given), 1 drift or client missing, 2 usage or unreadable input,\n\
        3 Kanidm unreachable or refusing the login."
    )]
    Inspect(InspectArgs),
    /// Explain an error message (a line, a traceback or log lines): its causes and the fix
    #[command(after_help = "Examples:\n  \
        nbsso explain 'Token error: The specified alg value is not allowed'\n  \
        journalctl -u kanidmd --since -10min | nbsso explain -\n  \
        nbsso explain --plan plan.toml - < netbox-traceback.txt   (runs the checks that tell the causes apart)\n\n\
        Exit codes: 0 explained, 1 no known message in the text, 2 usage or invalid plan.")]
    Explain(ExplainArgs),
    /// Print a report to share when asking for help: versions, checks, drift, the plan; secrets redacted
    #[command(
        after_help = "Secrets and tokens (the client secret file, the kanidm token cache, KANIDM_TOKEN,\n\
        KANIDM_PASSWORD, NETBOX_OIDC_SECRET, credentials in URLs) are replaced by <redacted>. Host names are\n\
        kept unless --anonymise replaces them, consistently, with stand-ins.\n\n\
        Exit codes: 0 the report was printed, 2 usage error or the plan file could not be read."
    )]
    Report(ReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The migration plan (TOML); see examples/ for one per scenario
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Output directory (default: the plan's output.dir)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Show what would be written, with diffs, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The migration plan (TOML)
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Run only these checks (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',', num_args = 1..)]
    pub only: Vec<String>,
    /// Seconds each HTTP check may take
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Show each check's details (what was fetched and compared)
    #[arg(long, short)]
    pub verbose: bool,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The client to show (default: the plan's client, or the only client in the input)
    pub client: Option<String>,
    /// Compare with this plan and print the commands that converge (and undo)
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Saved output of `kanidm system oauth2 get` or `list` (text or -o json), or - for stdin;
    /// without it the client is read from Kanidm's REST API with the kanidm CLI's cached login
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<String>,
    /// Kanidm's URL (default: the plan's kanidm.origin, then KANIDM_URL)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The cached kanidm login to use (default: KANIDM_NAME, or the only one cached)
    #[arg(long, short = 'D', value_name = "ACCOUNT")]
    pub name: Option<String>,
    /// The kanidm CLI instance whose login to use (default: KANIDM_INSTANCE)
    #[arg(long, short = 'I', value_name = "NAME")]
    pub instance: Option<String>,
    /// Seconds the REST request may take
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
    /// Print the text report even on a terminal (where the interactive view opens by default)
    #[arg(long, conflicts_with = "json")]
    pub plain: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The message; several words are joined with spaces; - (or nothing) reads standard input
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,
    /// Run the checks that confirm each cause against this plan's servers, and name the plan's values in fixes
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Seconds each check may take
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Show one catalogue entry by its id (as a failed check links to it)
    #[arg(long, value_name = "ID", conflicts_with = "list")]
    pub entry: Option<String>,
    /// List every entry and the messages it matches
    #[arg(long)]
    pub list: bool,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The migration plan: shown redacted; its servers are checked and its Kanidm client compared
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// A NetBox configuration whose current single sign-on to describe (repeatable)
    #[arg(long = "import", value_name = "PATH")]
    pub import: Vec<PathBuf>,
    /// Replace host names and addresses with stand-ins, the same one for a host everywhere
    #[arg(long, alias = "anonymize")]
    pub anonymise: bool,
    /// Contact no server: no checks, no Kanidm read
    #[arg(long)]
    pub offline: bool,
    /// Seconds each check and the Kanidm read may take
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Print JSON instead of Markdown
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Some(Command::Generate(args)) => generate::run(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Report(args)) => report::run(&args),
        None => crate::runtime::run_wizard(),
    }
}

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("nbsso: cannot print the JSON report: {e}"),
    }
}
