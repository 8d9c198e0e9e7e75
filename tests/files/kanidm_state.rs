//! The Kanidm client-state parsers never panic: arbitrary strings and arbitrary mutations of the
//! real captured `kanidm system oauth2 get`/`list` output (text and JSON) only ever give `Ok` or a
//! `ParseError` whose line number lies inside the input.

use nbsso::kanidm::{parse_get_json, parse_get_text, parse_list_json, parse_list_text};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::atomic::{AtomicUsize, Ordering};
use testkit::fixtures;

const TEXT_FIXTURES: [&str; 9] = [
    "kanidm/cli/03-oauth2-get-after-create.stdout",
    "kanidm/cli/05-oauth2-get-before-pkce-shortname.stdout",
    "kanidm/cli/07-oauth2-get-after-disable-pkce.stdout",
    "kanidm/cli/09-oauth2-get-after-pkce-shortname.stdout",
    "kanidm/cli/17-oauth2-get-final.stdout",
    "kanidm/cli/18-oauth2-list.stdout",
    "kanidm/cli/23-strict-get.stdout",
    "kanidm/cli/30-oauth2-get-nonexistent.stdout",
    "kanidm/cli/01-oauth2-list-empty.stdout",
];

const JSON_FIXTURES: [&str; 6] = [
    "kanidm/cli/05j-oauth2-get-before-pkce-shortname-json.stdout",
    "kanidm/cli/09j-oauth2-get-after-pkce-shortname-json.stdout",
    "kanidm/cli/17j-oauth2-get-final-json.stdout",
    "kanidm/cli/18j-oauth2-list-json.stdout",
    "kanidm/http/rest-v1-oauth2-netbox.json",
    "kanidm/http/rest-v1-oauth2-list.json",
];

fn config() -> Config {
    let base = if std::env::var_os("PROPTEST_CASES").is_some() {
        Config::default()
    } else {
        Config::with_cases(3000)
    };
    Config {
        failure_persistence: None,
        ..base
    }
}

/// One edit of the input, with positions taken modulo its length in characters.
#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    Replace { at: usize, with: char },
    Truncate { at: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    DropLine { line: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        any::<String>(),
        "[-:{}\",\\\\\n\r ]{1,8}",
        Just("---\n".to_string()),
        Just(": ".to_string()),
        Just("\nname: x\n".to_string()),
        Just("\u{0}".to_string()),
        Just("é€😀".to_string()),
        Just("oauth2_rs_scope_map: g@d: {\"a\", \"b\"}\n".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), interesting).prop_map(|(at, text)| Mutation::Insert { at, text }),
        (any::<usize>(), any::<char>()).prop_map(|(at, with)| Mutation::Replace { at, with }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        any::<usize>().prop_map(|line| Mutation::DropLine { line }),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let n = chars.len().max(1);
        match m {
            Mutation::Delete { at, len } => {
                let start = (at % n).min(chars.len());
                let end = (start + len).min(chars.len());
                chars.drain(start..end);
            }
            Mutation::Insert { at, text } => {
                let at = (at % n).min(chars.len());
                chars.splice(at..at, text.chars());
            }
            Mutation::Replace { at, with } => {
                if !chars.is_empty() {
                    chars[at % n] = *with;
                }
            }
            Mutation::Truncate { at } => chars.truncate(at % n),
            Mutation::DuplicateLine { .. }
            | Mutation::SwapLines { .. }
            | Mutation::DropLine { .. } => {
                let joined: String = chars.iter().collect();
                let mut lines: Vec<&str> = joined.split('\n').collect();
                let count = lines.len();
                match m {
                    Mutation::DuplicateLine { line } => {
                        let line = lines[line % count];
                        lines.insert(0, line);
                    }
                    Mutation::SwapLines { a, b } => lines.swap(a % count, b % count),
                    Mutation::DropLine { line } => {
                        lines.remove(line % count);
                    }
                    _ => {}
                }
                chars = lines.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

/// Every text parser on `input`: no panic, and any error's line lies within the input.
fn check_text(input: &str) {
    let lines = input.split('\n').count();
    for line in [
        parse_get_text(input).err().and_then(|e| e.line),
        parse_list_text(input).err().and_then(|e| e.line),
    ]
    .into_iter()
    .flatten()
    {
        assert!(line >= 1 && line <= lines, "line {line} of {lines}");
    }
    if let Ok(Some(state)) = parse_get_text(input) {
        // A parsed client always has its name, and a list of the same text agrees on it.
        let listed = parse_list_text(input).unwrap();
        assert_eq!(listed, vec![state]);
    }
}

fn check_json(input: &str) {
    let _ = parse_get_json(input);
    let _ = parse_list_json(input);
}

#[test]
fn text_parser_never_panics() {
    let fixtures: Vec<String> = TEXT_FIXTURES.iter().map(|f| fixtures::text(f)).collect();
    let cases = AtomicUsize::new(0);

    TestRunner::new(config())
        .run(&any::<String>(), |input| {
            cases.fetch_add(1, Ordering::Relaxed);
            check_text(&input);
            Ok(())
        })
        .unwrap();

    TestRunner::new(config())
        .run(
            &(0..fixtures.len(), prop::collection::vec(mutation(), 1..8)),
            |(index, mutations)| {
                cases.fetch_add(1, Ordering::Relaxed);
                check_text(&apply(&fixtures[index], &mutations));
                Ok(())
            },
        )
        .unwrap();

    // Line-shaped noise: plausible `attr: value` lines in random order.
    TestRunner::new(config())
        .run(
            &prop::collection::vec("(---|[a-z_]{1,12}: [ -~]{0,30}|[ -~]{0,20})", 0..30),
            |lines| {
                cases.fetch_add(1, Ordering::Relaxed);
                check_text(&lines.join("\n"));
                Ok(())
            },
        )
        .unwrap();

    let cases = cases.into_inner();
    println!("kanidm text parser: {cases} proptest cases run without a panic");
    assert!(cases > 0);
}

#[test]
fn json_parsers_never_panic() {
    let fixtures: Vec<String> = JSON_FIXTURES.iter().map(|f| fixtures::text(f)).collect();
    let cases = AtomicUsize::new(0);
    TestRunner::new(config())
        .run(&any::<String>(), |input| {
            cases.fetch_add(1, Ordering::Relaxed);
            check_json(&input);
            Ok(())
        })
        .unwrap();
    TestRunner::new(config())
        .run(
            &(0..fixtures.len(), prop::collection::vec(mutation(), 1..8)),
            |(index, mutations)| {
                cases.fetch_add(1, Ordering::Relaxed);
                check_json(&apply(&fixtures[index], &mutations));
                Ok(())
            },
        )
        .unwrap();
    let cases = cases.into_inner();
    println!("kanidm JSON parsers: {cases} proptest cases run without a panic");
    assert!(cases > 0);
}

#[test]
fn unmutated_fixtures_parse() {
    for name in TEXT_FIXTURES {
        parse_list_text(&fixtures::text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for name in JSON_FIXTURES {
        let text = fixtures::text(name);
        if text.trim_start().starts_with('[') {
            assert_eq!(parse_list_json(&text).unwrap().len(), 1, "{name}");
        } else {
            assert!(parse_get_json(&text).unwrap().is_some(), "{name}");
        }
    }
}

#[test]
fn binary_and_huge_inputs() {
    let binary: String = (0u8..=255).map(char::from).collect();
    check_text(&binary);
    check_json(&binary);
    let many_lines = "---\n".to_string() + &"class: x\n".repeat(200_000) + "name: n\n";
    let state = parse_get_text(&many_lines).unwrap().unwrap();
    assert_eq!(state.classes.len(), 200_000);
    let long_line = format!("---\nname: {}\n", "n".repeat(5_000_000));
    assert!(parse_get_text(&long_line).unwrap().is_some());
}
