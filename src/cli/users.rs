//! `nbsso users match`: who becomes whom, from NetBox's export and Kanidm's persons; writes
//! `user-map.json` and the `migrate-users.py` that carries it. `nbsso users record`: keeps apply's
//! result as the rollback record inside the script.

use super::generate::print_plan_problems;
use super::{UsersMatchArgs, UsersRecordArgs, load_plan, print_json};
use crate::exit::Code;
use crate::generate::user_migration::{self, MapPlace, SCRIPT_FILE};
use crate::generate::{FileKind, GeneratedFile, writer};
use crate::inspect::source::Live;
use crate::users::export::result_of;
use crate::users::map::{CreatedRow, MapOptions, RenameEntry};
use crate::users::{
    Deployment, LinkProviders, MAP_FILE, NetBoxExport, PERSONS_PATH, RollbackRecord, ScriptData,
    State, UserMap, WHO_CAN_SEE_PERSONS, build_map, parse_overrides, parse_persons,
};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::users::MAX_INPUT;

fn read_input(from: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    let result = if from == "-" {
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(from).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| format!("cannot read {from}: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!("{from} is larger than 256 MiB"));
    }
    String::from_utf8(bytes).map_err(|_| format!("{from} is not UTF-8 text"))
}

#[derive(Debug, Serialize)]
struct FileReport {
    path: PathBuf,
    disposition: writer::Disposition,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct MatchReport<'a> {
    version: u32,
    command: &'static str,
    exit_code: u8,
    kanidm_source: &'a str,
    map: &'a UserMap,
    /// `embedded`, or `file` when the map is read from user-map.json.
    map_place: &'static str,
    dry_run: bool,
    files: Vec<FileReport>,
    next: Vec<String>,
}

fn fail(json: bool, code: Code, message: &str) -> Code {
    if json {
        print_json(&serde_json::json!({
            "version": 1, "command": "users match", "exit_code": code.value(), "error": message,
        }));
    } else {
        eprintln!("nbsso: {message}");
    }
    code
}

/// The commands to run next, in order, for the deployment.
fn next_steps(deployment: Deployment, place: MapPlace) -> Vec<String> {
    user_migration::apply_commands(deployment, place)
        .into_iter()
        .map(|c| c.line)
        .collect()
}

pub fn run_match(args: &UsersMatchArgs, runtime: &tokio::runtime::Runtime) -> Code {
    let plan = match &args.plan {
        Some(path) => match load_plan(path) {
            Ok((plan, _)) => Some(plan),
            Err(problems) => {
                print_plan_problems(path, &problems, "no user was matched");
                return Code::Usage;
            }
        },
        None => None,
    };
    let deployment = args.deployment;
    // What the command line does not say, the plan's [users] table (the wizard's Users step) may.
    let saved = |path: Option<&std::path::PathBuf>| path.map(|p| p.display().to_string());
    let saved_inputs = plan.as_ref().map(|p| &p.users);
    let Some(export_from) = args
        .netbox
        .clone()
        .or_else(|| saved_inputs.and_then(|u| saved(u.export.as_ref())))
    else {
        return fail(
            args.json,
            Code::Usage,
            "say where NetBox's export is: --netbox nbsso-export.txt (the output of \
             NBSSO_USERS_ACTION=export), or a --plan whose users.export names it",
        );
    };
    let export = match read_input(&export_from).map(|t| NetBoxExport::parse(&t)) {
        Ok(Ok(export)) => export,
        Ok(Err(e)) => return fail(args.json, Code::Usage, &format!("{export_from}: {e}")),
        Err(e) => return fail(args.json, Code::Usage, &e),
    };
    let persons_from = args
        .kanidm
        .clone()
        .or_else(|| saved_inputs.and_then(|u| saved(u.persons.as_ref())));
    let (persons_text, kanidm_source) = match &persons_from {
        Some(from) => match read_input(from) {
            Ok(text) => (text, from.clone()),
            Err(e) => return fail(args.json, Code::Usage, &e),
        },
        None => {
            let live = Live::new(
                args.url.clone(),
                args.name.clone(),
                args.instance.clone(),
                Duration::from_secs(args.timeout.max(1)),
                plan.as_ref(),
            );
            if live.origin.is_none() {
                return fail(
                    args.json,
                    Code::Usage,
                    "say where Kanidm's persons come from: --kanidm persons.json (from `kanidm person list \
                     --name idm_admin -o json`), or --plan/--url (or KANIDM_URL) to read them live",
                );
            }
            match runtime.block_on(live.get(PERSONS_PATH, WHO_CAN_SEE_PERSONS)) {
                Ok(fetched) => fetched,
                Err(e) => return fail(args.json, e.exit_code(), &e.message),
            }
        }
    };
    let persons = match parse_persons(&persons_text) {
        Ok(p) => p,
        Err(e) => return fail(args.json, Code::Usage, &format!("{kanidm_source}: {e}")),
    };
    let overrides = match &args.overrides {
        Some(path) => match read_input(&path.display().to_string())
            .and_then(|t| parse_overrides(&t).map_err(|e| format!("{}: {e}", path.display())))
        {
            Ok(o) => o,
            Err(e) => return fail(args.json, Code::Usage, &e),
        },
        None => Vec::new(),
    };
    let providers = match &plan {
        Some(plan) => match LinkProviders::for_plan(plan) {
            Some(p) => p,
            None => {
                return fail(
                    args.json,
                    Code::Usage,
                    "the plan's source is none: there are no old single sign-on accounts to migrate",
                );
            }
        },
        None => LinkProviders::new(export.old_provider(), "oidc"),
    };
    let providers = LinkProviders {
        new: args.new_provider.clone().unwrap_or(providers.new),
        ..providers
    };
    let options = MapOptions {
        providers,
        kanidm_issuer: plan.as_ref().map(|p| p.issuer()),
        deployment,
        renames: !args.keep_spn_names,
    };
    let map = match build_map(&export, &persons, &overrides, &options) {
        Ok(map) => map,
        Err(e) => return fail(args.json, Code::Usage, &e.to_string()),
    };
    let (files, place) = match user_migration::map_files(&map) {
        Ok(files) => files,
        Err(e) => return fail(args.json, Code::NotWritten, &e),
    };
    let findings = map
        .users
        .iter()
        .any(|u| matches!(u.state, State::Ambiguous | State::Unmatched | State::Stray))
        || !map.guard.ok;
    let code = if findings { Code::Findings } else { Code::Ok };
    let written = match write(&args.out, &files, args.dry_run) {
        Ok(w) => w,
        Err(e) => return fail(args.json, Code::NotWritten, &e),
    };
    let next = next_steps(deployment, place);
    if args.json {
        print_json(&MatchReport {
            version: 1,
            command: "users match",
            exit_code: code.value(),
            kanidm_source: &kanidm_source,
            map: &map,
            map_place: if place == MapPlace::Embedded {
                "embedded"
            } else {
                "file"
            },
            dry_run: args.dry_run,
            files: written,
            next,
        });
    } else {
        print_text(&map, &kanidm_source, &written, &next, args.dry_run);
    }
    code
}

fn write(out: &Path, files: &[GeneratedFile], dry_run: bool) -> Result<Vec<FileReport>, String> {
    let planned = writer::plan_files(out, files).map_err(|e| e.to_string())?;
    if dry_run {
        return Ok(planned
            .iter()
            .map(|f| FileReport {
                path: f.path.clone(),
                disposition: f.disposition,
                backup: None,
            })
            .collect());
    }
    let written =
        writer::write_files(&planned, &writer::timestamp_now()).map_err(|e| e.to_string())?;
    Ok(written
        .into_iter()
        .map(|w| FileReport {
            path: w.path,
            disposition: w.disposition,
            backup: w.backup,
        })
        .collect())
}

fn print_text(map: &UserMap, source: &str, files: &[FileReport], next: &[String], dry_run: bool) {
    for line in crate::users::text::summary(map, source) {
        outln!("{line}");
    }
    outln!();
    for line in crate::users::text::rows(&map.users) {
        outln!("{line}");
    }
    outln!();
    let verb = if dry_run { "Would write" } else { "Wrote" };
    for f in files {
        let backup = f
            .backup
            .as_ref()
            .map(|b| format!(" (old file kept as {})", b.display()))
            .unwrap_or_default();
        outln!(
            "{verb} {} ({}){backup}",
            f.path.display(),
            f.disposition.label()
        );
    }
    outln!("Next, where NetBox runs, in this directory:");
    for step in next {
        outln!("  {step}");
    }
}

/// Keeps apply's result as the rollback record: inside `user-map.json` and the regenerated script.
pub fn run_record(args: &UsersRecordArgs) -> Code {
    let result = match read_input(&args.result).map(|t| result_of(&t, "apply")) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => return fail(false, Code::Usage, &format!("{}: {e}", args.result)),
        Err(e) => return fail(false, Code::Usage, &e),
    };
    let parse = || -> Result<RollbackRecord, String> {
        let run = result.get("run").and_then(|r| r.as_str()).ok_or(
            "apply changed nothing (or this was a dry run): there is nothing to roll back",
        )?;
        let created: Vec<CreatedRow> =
            serde_json::from_value(result.get("created").cloned().unwrap_or_default())
                .map_err(|e| e.to_string())?;
        let renamed: Vec<RenameEntry> =
            serde_json::from_value(result.get("renamed").cloned().unwrap_or_default())
                .map_err(|e| e.to_string())?;
        Ok(RollbackRecord {
            run: run.to_string(),
            created,
            renamed,
        })
    };
    let record = match parse() {
        Ok(r) => r,
        Err(e) => return fail(false, Code::Usage, &format!("{}: {e}", args.result)),
    };
    let map_path = args.out.join(MAP_FILE);
    let map_text = match read_input(&map_path.display().to_string()) {
        Ok(t) => t,
        Err(e) => {
            return fail(
                false,
                Code::Usage,
                &format!("{e} (run nbsso users match first)"),
            );
        }
    };
    let (mut map, mut data) = match (
        serde_json::from_str::<serde_json::Value>(&map_text),
        ScriptData::from_map_file(&map_text),
    ) {
        (Ok(map), Ok(data)) => (map, data),
        (Err(e), _) => return fail(false, Code::Usage, &format!("{}: {e}", map_path.display())),
        (_, Err(e)) => return fail(false, Code::Usage, &format!("{}: {e}", map_path.display())),
    };
    data.rollback = Some(record.clone());
    map["script"] = serde_json::to_value(&data).unwrap_or_default();
    let (script, _) = user_migration::script(&data);
    let files = [
        GeneratedFile {
            name: MAP_FILE,
            kind: FileKind::Text,
            contents: serde_json::to_string_pretty(&map).unwrap_or_default() + "\n",
            purpose: "the user map, with apply's rollback record",
        },
        GeneratedFile {
            name: SCRIPT_FILE,
            kind: FileKind::Text,
            contents: script,
            purpose: "the script, whose rollback now deletes exactly what that apply created",
        },
    ];
    match write(&args.out, &files, false) {
        Ok(written) => {
            outln!(
                "Rollback record of run {}: {} link(s) created, {} rename(s).",
                record.run,
                record.created.len(),
                record.renamed.len()
            );
            for f in written {
                outln!("Wrote {} ({})", f.path.display(), f.disposition.label());
            }
            Code::Ok
        }
        Err(e) => fail(false, Code::NotWritten, &e),
    }
}

/// For `nbsso generate`: a `user-map.json` already in the output directory keeps its map in the
/// regenerated `migrate-users.py` (otherwise regenerating would drop the matched links).
pub fn keep_matched_map(files: &mut [GeneratedFile], out_dir: &Path, plan: &crate::plan::Plan) {
    let path = out_dir.join(MAP_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    if let Err(e) = user_migration::keep_map(files, &text, plan) {
        eprintln!("warning: {}: {e}", path.display());
    }
}
