//! `migrate-users.py` (the script that links NetBox users to Kanidm persons inside NetBox), its
//! checklist steps, and the one rollback section for everything a migration changes.

use super::{FileKind, GeneratedFile};
use crate::plan::Plan;
use crate::quote::markdown_code as code;
use crate::users::deploy::{Deployment, ServiceManager};
use crate::users::{LinkProviders, MAP_FILE, ScriptData, UserMap};
use std::fmt::Write as _;

const TEMPLATE: &str = include_str!("../../assets/migrate-users.py");
const DATA_SLOT: &str = "__NBSSO_DATA__";
const VERSION_SLOT: &str = "__NBSSO_VERSION__";

/// The script file's name.
pub const SCRIPT_FILE: &str = "migrate-users.py";

/// Above this size the script would not fit in one `--command` argument (Linux limits one argv
/// string to 128 KiB), so the map is read from `user-map.json` instead.
pub const MAX_EMBEDDED: usize = 100 * 1024;

/// JSON that is also safe inside a Python raw triple-quoted string: no `'` (written `\u0027`), and
/// every non-ASCII character escaped, so nothing can close the string or start a line of code.
/// It ends with `}`, never with a backslash.
pub fn embeddable_json<T: serde::Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '\'' => out.push_str("\\u0027"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out
}

/// Whether the script carries its map, or reads it from `user-map.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapPlace {
    Embedded,
    InFile,
}

/// `migrate-users.py` with `data` inside, or, when that would be too large for one argument, with
/// a note to read it from `user-map.json` (`NBSSO_USERS_MAP`).
pub fn script(data: &ScriptData) -> (String, MapPlace) {
    let render = |json: &str| {
        TEMPLATE
            .replacen(VERSION_SLOT, env!("CARGO_PKG_VERSION"), 1)
            .replacen(DATA_SLOT, json, 1)
    };
    let embedded = render(&embeddable_json(data));
    if embedded.len() <= MAX_EMBEDDED {
        return (embedded, MapPlace::Embedded);
    }
    let note = serde_json::json!({
        "in_file": true,
        "matched": data.matched,
        "old_provider": data.old_provider,
        "new_provider": data.new_provider,
        "links": data.links.len(),
    });
    (render(&embeddable_json(&note)), MapPlace::InFile)
}

/// `user-map.json` and the `migrate-users.py` that carries its map, as matching writes them.
pub fn map_files(map: &UserMap) -> Result<(Vec<GeneratedFile>, MapPlace), String> {
    let (script, place) = script(&map.script);
    let map_json = serde_json::to_string_pretty(map).map_err(|e| e.to_string())? + "\n";
    let files = vec![
        GeneratedFile {
            name: MAP_FILE,
            kind: FileKind::Text,
            contents: map_json,
            purpose: "every NetBox user's match, the lock-out guard, and the script's data",
        },
        GeneratedFile {
            name: SCRIPT_FILE,
            kind: FileKind::Text,
            contents: script,
            purpose: "links the matched users inside NetBox (export, plan, apply, cleanup, rollback)",
        },
    ];
    Ok((files, place))
}

/// Regenerating the files must not drop a map matched earlier: `map_text`, a `user-map.json` from
/// the output directory, goes into the regenerated `migrate-users.py` when it migrates the plan's
/// source. `Ok(true)` when it was kept; `Err` says why it was not.
pub fn keep_map(files: &mut [GeneratedFile], map_text: &str, plan: &Plan) -> Result<bool, String> {
    let data = ScriptData::from_map_file(map_text)
        .map_err(|e| format!("{e}; migrate-users.py is generated without it"))?;
    if LinkProviders::for_plan(plan).map(|p| p.old) != Some(data.old_provider.clone()) {
        return Err(format!(
            "it migrates {} links, but the plan's source is {}: migrate-users.py is generated without it; \
             match the users again",
            data.old_provider,
            plan.source.label()
        ));
    }
    match files.iter_mut().find(|f| f.name == SCRIPT_FILE) {
        Some(file) => {
            file.contents = script(&data).0;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Where the export's output is saved, and apply's (the rollback record comes from it).
pub const EXPORT_FILE: &str = "nbsso-export.txt";
pub const APPLY_FILE: &str = "nbsso-apply.txt";

/// One command of the user migration, and what it does in a word or two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub label: &'static str,
    pub line: String,
}

fn command(label: &'static str, line: String) -> Command {
    Command { label, line }
}

/// Exports NetBox's users (changes nothing) into [`EXPORT_FILE`].
pub fn export_command(shape: Deployment) -> String {
    format!(
        "{} > {EXPORT_FILE}",
        shape.run_script("export", false, false)
    )
}

/// After matching, in order: the map copied in (when it travels as a file), plan, apply (its
/// output kept), and `nbsso users record`.
pub fn apply_commands(shape: Deployment, place: MapPlace) -> Vec<Command> {
    let in_file = place == MapPlace::InFile;
    let mut out = Vec::new();
    if let Some(copy) = shape.copy_map().filter(|_| in_file) {
        out.push(command("Copy the map", copy));
    }
    out.push(command("Plan", shape.run_script("plan", false, in_file)));
    out.push(command(
        "Apply",
        format!(
            "{} | tee {APPLY_FILE}",
            shape.run_script("apply", false, in_file)
        ),
    ));
    out.push(command(
        "Record",
        format!("nbsso users record --result {APPLY_FILE}"),
    ));
    out
}

/// Later, once the old login is gone: the cleanup, dry run first.
pub fn cleanup_commands(shape: Deployment) -> Vec<Command> {
    vec![
        command("Cleanup (dry)", shape.run_script("cleanup", true, false)),
        command("Cleanup", shape.run_script("cleanup", false, false)),
    ]
}

/// Undoing apply: the rollback, dry run first.
pub fn rollback_commands(shape: Deployment) -> Vec<Command> {
    vec![
        command("Rollback (dry)", shape.run_script("rollback", true, false)),
        command("Rollback", shape.run_script("rollback", false, false)),
    ]
}

/// The script `nbsso generate` writes: it can export; the other actions wait for `nbsso users match`.
pub fn unmatched_script(plan: &Plan) -> Option<String> {
    let providers = LinkProviders::for_plan(plan)?;
    let data = ScriptData::unmatched(&providers, Some(plan.issuer()), Deployment::Checkout);
    Some(script(&data).0)
}

fn shell_block(out: &mut String, lines: &[String]) {
    out.push_str("```sh\n");
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("```\n");
}

/// The checklist's steps for keeping every user's account, with the commands for each install shape.
pub fn checklist_steps(plan: &Plan, shapes: &[Deployment]) -> String {
    let Some(providers) = LinkProviders::for_plan(plan) else {
        return String::new();
    };
    let mut out = String::new();
    let mut p = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    p("NetBox finds a single sign-on user by `(provider, uid)`. The old links are");
    p(&format!(
        "`('{}', <old uid>)`, Kanidm's are `('{}', <person UUID>)`: without new links each user's first Kanidm",
        providers.old, providers.new
    ));
    p(
        "login creates a new, empty account `name<16 hex>`. `migrate-users.py` adds the new link to the **same**",
    );
    p(
        "user (same id, groups, permissions, API tokens), in one transaction, keeping the old link until cleanup.",
    );
    p("");
    p(
        "- [ ] On a machine that reaches NetBox, in this directory, export the users (nothing is changed; no token and",
    );
    p("      no password hash leave NetBox) and save what Kanidm knows about its persons:");
    p("");
    for shape in shapes {
        let mut lines = vec![format!("# {}", shape.label())];
        lines.push(export_command(*shape));
        shell_block(&mut out, &lines);
    }
    let mut p = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    p("");
    p("- [ ] Match them (reads Kanidm's persons live with your `kanidm login`, or a saved");
    p(
        "      `kanidm person list --name idm_admin -o json > persons.json` with `--kanidm persons.json`):",
    );
    p("");
    p("```sh");
    p("nbsso users match --netbox nbsso-export.txt --out .");
    p("```");
    p("");
    p(&format!(
        "      It writes {} (every user: matched, ambiguous, unmatched, already linked, stray, local) and a",
        code(MAP_FILE)
    ));
    p(&format!(
        "      new {} that carries the map. Fix ambiguous and unmatched users with `--overrides users.csv`",
        code(SCRIPT_FILE)
    ));
    p(
        "      (`netbox_username,kanidm_name` per line) and match again. Stray copies are reported with their fix,",
    );
    p("      never deleted.");
    p(
        "- [ ] `plan` shows every row apply would add and refuses when nobody could administer NetBox afterwards",
    );
    p(
        "      (no active superuser with a usable local password): it prints the command that creates one.",
    );
    p(
        "- [ ] `apply` writes the links (a second apply changes nothing). Keep its output as the rollback record:",
    );
    p("      `nbsso users record --result nbsso-apply.txt` puts it into `migrate-users.py`.");
    p("");
    for shape in shapes {
        let mut lines = vec![format!("# {}", shape.label())];
        lines.extend(
            apply_commands(*shape, MapPlace::Embedded)
                .into_iter()
                .filter(|c| c.label != "Record")
                .map(|c| c.line),
        );
        shell_block(&mut out, &lines);
    }
    let mut p = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    p("");
    p(&format!(
        "- When {} is larger than 100 KB it travels as a file: copy it where NetBox runs and run the same",
        code(MAP_FILE)
    ));
    p(
        "  commands with `NBSSO_USERS_MAP` set (`nbsso users match` prints them). The commands to create a local",
    );
    p("  superuser, if plan asks for one:");
    p("");
    let lines: Vec<String> = shapes.iter().map(|s| s.create_superuser()).collect();
    shell_block(&mut out, &lines);
    out
}

/// The cleanup step, for after the switch has been verified.
pub fn cleanup_steps(plan: &Plan, shapes: &[Deployment]) -> String {
    let Some(providers) = LinkProviders::for_plan(plan) else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "- [ ] Once users log in through Kanidm and the old login is removed from the configuration, remove the old \
         `{}` links of users who have a Kanidm link: first the dry run, then for real (take a `pg_dump` first: \
         the old links cannot be brought back otherwise). Cleanup refuses while the old login is still configured.",
        providers.old
    );
    out.push('\n');
    for shape in shapes {
        let mut lines = vec![format!("# {}", shape.label())];
        lines.extend(cleanup_commands(*shape).into_iter().map(|c| c.line));
        shell_block(&mut out, &lines);
    }
    let _ = writeln!(
        out,
        "\n- [ ] Then, in {}: revoke the NetBox client's secret and delete the client.",
        providers.old_label()
    );
    out
}

/// Restarting NetBox, for each service manager.
pub fn restart_lines() -> String {
    let mut out = String::new();
    for manager in ServiceManager::ALL {
        let _ = writeln!(out, "      - {}: `{}`", manager.label(), manager.restart());
    }
    out
}

/// The one rollback section: everything a migration changed, in the order to undo it.
pub fn rollback_section(plan: &Plan, shapes: &[Deployment]) -> String {
    let k = &plan.kanidm;
    let mut out =
        String::from("## Rolling back\n\nUndo in this order; each step stands on its own.\n\n");
    out.push_str(
        "1. **NetBox's configuration.** Put `configuration.py` back: the copy nbsso keeps beside it when it changes\n   \
         it (`configuration.py.nbsso-<timestamp>.bak`), or your own backup. Then restart NetBox so the old login\n   \
         comes back:\n",
    );
    out.push_str(&restart_lines().replace("      - ", "   - "));
    if let Some(providers) = LinkProviders::for_plan(plan) {
        let _ = writeln!(
            out,
            "2. **User links.** `rollback` deletes exactly the `{}` links apply created and undoes its renames\n   \
             (from the record in `migrate-users.py` when `nbsso users record` saved one, otherwise by the mark\n   \
             apply put on each row). The old `{}` links are still there unless cleanup ran; after a cleanup,\n   \
             restore NetBox's database from the `pg_dump` taken before it. Dry run first:\n",
            providers.new, providers.old
        );
        for shape in shapes {
            let mut lines = vec![format!("# {}", shape.label())];
            lines.extend(rollback_commands(*shape).into_iter().map(|c| c.line));
            let mut block = String::new();
            shell_block(&mut block, &lines);
            for line in block.lines() {
                let _ = writeln!(out, "   {line}");
            }
        }
    }
    let n = if plan.source == crate::plan::SourceIdp::None {
        2
    } else {
        3
    };
    let _ = writeln!(
        out,
        "{n}. **Kanidm.** `bash kanidm-undo.sh` puts the client and group back as they were before `kanidm-setup.sh`\n   \
         first ran."
    );
    let _ = writeln!(
        out,
        "{}. To replace a leaked secret instead: `kanidm system oauth2 {} {} --name {}`, then run `kanidm-setup.sh` again.",
        n + 1,
        k.caps.reset_secret_command(),
        k.client,
        k.admin
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_for_a_raw_string_has_no_quote_and_no_non_ascii() {
        let value = serde_json::json!({"u": "x'''); import os #\u{2028}é😀\\\n"});
        let text = embeddable_json(&value);
        assert!(!text.contains('\''));
        assert!(text.is_ascii());
        assert!(!text.ends_with('\\'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
