//! The command line: the wizard (no command), `generate`, `check`, `inspect`, `import`, `users`,
//! `explain` and `report`. Each returns a code of the exit-code table ([`crate::exit`]).

/// `print!` for what a command reports on stdout, through [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` for what a command reports on stdout, through [`write_stdout`].
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod check;
mod explain;
mod generate;
mod import;
mod inspect;
mod patch;
mod report;
mod users;

pub use generate::load_plan;

use crate::exit::{self, Code};
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
    after_help = after_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Run the wizard as plain questions, one line at a time (screen readers, serial consoles,
    /// answer files on standard input); also chosen when TERM=dumb or the output is not a terminal
    #[arg(long)]
    pub accessible: bool,
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
    #[command(after_help = check_help())]
    Check(CheckArgs),
    /// Show Kanidm OAuth2 clients, live or from saved `kanidm system oauth2 get/list` output, and their drift from a plan
    #[command(after_help = inspect_help())]
    Inspect(InspectArgs),
    /// Read a NetBox deployment's configuration and say what single sign-on it sets up, and where
    #[command(after_help = import::AFTER_HELP)]
    Import(import::ImportArgs),
    /// Keep every NetBox user's own account: match users to Kanidm persons, write migrate-users.py
    #[command(subcommand)]
    Users(UsersCommand),
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

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Match NetBox users (migrate-users.py's export) to Kanidm persons; write user-map.json and migrate-users.py
    #[command(
        after_help = "The export comes from migrate-users.py run inside NetBox (see CHECKLIST.md):\n  \
        NBSSO_USERS_ACTION=export netbox nbshell --command \"$(cat migrate-users.py)\" > nbsso-export.txt\n\n\
        Kanidm's persons are read live (GET /v1/person, with the login of `kanidm login`, as inspect does),\n\
        or from saved output: kanidm person list --name idm_admin -o json > persons.json\n\n\
        Exit codes: 0 every user resolved, 1 ambiguous, unmatched or stray users, or the lock-out guard refuses,\n\
        2 usage or unreadable input, 3 Kanidm unreachable or refusing the login, 4 files not written."
    )]
    Match(UsersMatchArgs),
    /// Keep apply's result as the rollback record in user-map.json and migrate-users.py
    Record(UsersRecordArgs),
}

#[derive(Debug, clap::Args)]
pub struct UsersMatchArgs {
    /// Output of migrate-users.py with NBSSO_USERS_ACTION=export (pasted or redirected; - for
    /// stdin); default: the plan's users.export
    #[arg(long, value_name = "EXPORT_OUTPUT")]
    pub netbox: Option<String>,
    /// Saved `kanidm person list -o json` (or the REST API's JSON; - for stdin); default: the
    /// plan's users.persons, else read live
    #[arg(long, value_name = "FILE|-")]
    pub kanidm: Option<String>,
    /// Corrections, one `netbox_username,kanidm_name` a line (an empty name: do not link)
    #[arg(long, value_name = "FILE")]
    pub overrides: Option<PathBuf>,
    /// The migration plan: its source decides the old provider, its Kanidm the live read and issuer
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Where to write user-map.json and migrate-users.py
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// How NetBox is installed, for the commands printed: checkout, wheel, docker, kubernetes
    #[arg(long, value_name = "SHAPE", default_value = "checkout")]
    pub deployment: crate::users::Deployment,
    /// The provider name of the new links, when Kanidm's login runs under its own backend name
    #[arg(long, value_name = "NAME")]
    pub new_provider: Option<String>,
    /// Do not rename accounts named after a Kanidm SPN to the short name
    #[arg(long)]
    pub keep_spn_names: bool,
    /// Kanidm's URL for the live read (default: the plan's kanidm.origin, then KANIDM_URL)
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
    /// Show what would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct UsersRecordArgs {
    /// The saved output of migrate-users.py with NBSSO_USERS_ACTION=apply
    #[arg(long, value_name = "FILE|-")]
    pub result: String,
    /// The directory with user-map.json (migrate-users.py is rewritten there)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
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
    #[command(flatten)]
    pub patch: generate::PatchArgs,
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

const EXAMPLES: &str = "Examples:\n  \
    nbsso generate --plan examples/keycloak-netbox-4.7.3.toml --dry-run\n  \
    nbsso generate --plan plan.toml --out ./nbsso-out\n  \
    nbsso check --plan plan.toml\n  \
    nbsso check --plan plan.toml --only discovery,clock --json\n  \
    nbsso explain 'Token error: Incorrect id_token: nbf'\n  \
    nbsso report --plan plan.toml > report.md";

fn after_help() -> String {
    format!("{EXAMPLES}\n\n{}", exit::summary())
}

fn check_help() -> String {
    let codes = exit::help_line(&[
        (Code::Ok, Some("all passed")),
        (Code::Findings, Some("a check failed or warned")),
        (Code::Usage, Some("usage or invalid plan")),
        (Code::Unreachable, Some("a server could not be reached")),
    ]);
    format!(
        "Checks (for --only): kanidm-tls, discovery, jwks, clock, netbox-login, redirect, authorise.\n{codes}"
    )
}

const INSPECT_HELP: &str = "Without --from the client is read from Kanidm's REST API (GET /v1/oauth2/<client>) with the token of\n\
        `kanidm login` (~/.cache/kanidm_tokens, KANIDM_TOKEN_CACHE_PATH) or KANIDM_TOKEN.\n\n\
        Saved output works too (text or JSON), with --from FILE or --from - for stdin:\n  \
        kanidm system oauth2 get netbox --name idm_admin > client.txt\n  \
        kanidm system oauth2 list --name idm_admin -o json > clients.json\n\n\
        On a terminal a read-only view opens: every client (GET /v1/oauth2), filtered as you type,\n\
        the selected client's drift and the commands that converge it (c copies one; F1 lists keys).\n\
        --plain or --json print the report; so does any run whose output is not a terminal.\n\
        The view exits with the codes below, for the client it selected first.";

fn inspect_help() -> String {
    let codes = exit::help_line(&[
        (Code::Ok, Some("in sync (or no plan given)")),
        (Code::Findings, Some("drift or client missing")),
        (Code::Usage, Some("usage or unreadable input")),
        (
            Code::Unreachable,
            Some("Kanidm unreachable or refusing the login"),
        ),
    ]);
    format!("{INSPECT_HELP}\n\n{codes}")
}

pub fn run(cli: Cli) -> Code {
    match cli.command {
        Some(Command::Generate(args)) => generate::run(&args),
        Some(Command::Check(args)) => with_runtime(|rt| check::run(&args, rt)),
        Some(Command::Inspect(args)) => with_runtime(|rt| inspect::run(&args, rt)),
        Some(Command::Import(args)) => import::run(&args),
        Some(Command::Users(UsersCommand::Match(args))) => {
            with_runtime(|rt| users::run_match(&args, rt))
        }
        Some(Command::Users(UsersCommand::Record(args))) => users::run_record(&args),
        Some(Command::Explain(args)) => with_runtime(|rt| explain::run(&args, rt)),
        Some(Command::Report(args)) => with_runtime(|rt| report::run(&args, rt)),
        None => {
            crate::allocator::return_freed_memory_at_once();
            with_runtime(|rt| wizard(rt, cli.accessible))
        }
    }
}

/// `nbsso` without a command: the terminal wizard, or its questions line by line when asked for
/// or when the terminal cannot show it.
fn wizard(runtime: &tokio::runtime::Runtime, accessible: bool) -> Code {
    use std::io::IsTerminal;
    let term = std::env::var("TERM").ok();
    let (stdin, stdout) = (
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    );
    if !crate::accessible::wanted(accessible, term.as_deref(), stdin, stdout) {
        return crate::runtime::run_wizard(runtime);
    }
    let (resume, problem) = crate::runtime::find_resume();
    if let Some(problem) = problem {
        outln!("{problem}");
    }
    crate::accessible::run_stdio(runtime, resume.map(|r| (r.path, r.draft)))
}

/// Runs a command on the process's one async runtime; stragglers of the blocking pool (a network
/// read past its use) are not waited for at the end.
fn with_runtime(command: impl FnOnce(&tokio::runtime::Runtime) -> Code) -> Code {
    let runtime = match crate::runtime::async_runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("nbsso: cannot start the async runtime: {e}");
            return Code::Internal;
        }
    };
    let code = command(&runtime);
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => outln!("{text}"),
        Err(e) => eprintln!("nbsso: cannot print the JSON report: {e}"),
    }
}

/// Writes a command's output to stdout. A reader that stops early (`nbsso … | head`) is not an
/// error worth a panic, which is what `print!` makes of it: the rest of the output is dropped.
/// Any other failure (a full disk behind a redirect) is said once on stderr.
pub(crate) fn write_stdout(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    static SAID: AtomicBool = AtomicBool::new(false);
    match std::io::stdout().lock().write_fmt(text) {
        Err(e)
            if e.kind() != std::io::ErrorKind::BrokenPipe
                && !SAID.swap(true, Ordering::Relaxed) =>
        {
            eprintln!("nbsso: cannot write to standard output: {e}");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn words(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// `nbsso --help` prints the whole table; every command's help names only codes of it.
    #[test]
    fn help_comes_from_the_exit_code_table() {
        let mut cli = Cli::command();
        let top = words(&cli.render_long_help().to_string());
        assert!(top.contains(&exit::summary()), "{top}");
        for command in ["generate", "check", "inspect"] {
            let Some(sub) = cli.find_subcommand_mut(command) else {
                panic!("no {command} command");
            };
            let help = words(&sub.render_long_help().to_string());
            for code in exit::codes_named(&help) {
                assert!(
                    exit::TABLE.iter().any(|e| e.code.value() == code),
                    "{command}: {code}"
                );
            }
        }
        let check = cli
            .find_subcommand_mut("check")
            .map(|c| words(&c.render_long_help().to_string()));
        assert!(
            check.is_some_and(|h| h.contains(
                "Exit codes: 0 all passed, 1 a check failed or warned, 2 usage or invalid plan, 3 a server could not be reached."
            ))
        );
    }
}
