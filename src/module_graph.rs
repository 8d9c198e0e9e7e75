//! The modules of `src/` depend on each other without a cycle. Each file's references to other
//! modules (`crate::…`, `super::…`, `self::…` and a parent's use of its child modules) are read
//! from the source, and the graph is checked twice: with each top-level module as one node, and
//! with the submodules of `app` and `view` as nodes of their own (their children folded in:
//! `app::screens::form` is `app::screens`). Test modules (`#[cfg(test)]`) and re-exports
//! (`pub use`) are not dependencies.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules whose submodules are nodes of their own.
const SPLIT: [&str; 2] = ["app", "view"];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// One source file: its module path (`["app", "screens", "form"]`) and its text.
struct File {
    module: Vec<String>,
    /// `mod.rs`, `lib.rs`: its module's children are declared here.
    is_parent: bool,
    text: String,
}

/// The text without comments, string and char literals (their contents become spaces, so a URL
/// in a string is not read as a path).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = at(i);
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (at(i + 1) == '#' || at(i + 1) == '"') && !ident_char(prev(&out)) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if at(j) == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && at(i) != '"' {
                if at(i) == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (at(i + 2) == '\'' || (at(i + 1) == '\\' && at(i + 3) == '\'')) {
            // A char literal ('x', '\n'); a lifetime ('a) has no closing quote there.
            i += if at(i + 1) == '\\' { 4 } else { 3 };
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev(out: &str) -> char {
    out.chars().last().unwrap_or(' ')
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The text without `#[cfg(test)]` items (a test module may use anything).
fn without_tests(code: &str) -> String {
    let mut out = code.to_string();
    while let Some(start) = out.find("#[cfg(test)]") {
        let Some(open) = out[start..].find('{').map(|o| start + o) else {
            break;
        };
        let mut depth = 0;
        let mut end = out.len();
        for (k, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.replace_range(start..end, "");
    }
    out
}

/// The text without re-exports (`pub use …;`, `pub(crate) use …;`): a module re-exporting its
/// child's items is a namespace, not a dependency.
fn without_reexports(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(start) = ["pub use ", "pub(crate) use "]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find(';')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    out.push_str(rest);
    out
}

/// The paths a use tree names, each as its segments: `{a, b::{c, d}}` gives `a`, `b::c`, `b::d`.
fn tree_paths(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let mut parts = Vec::new();
        let (mut depth, mut from) = (0, 0);
        for (k, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&inner[from..k]);
                    from = k + 1;
                }
                _ => {}
            }
        }
        parts.push(&inner[from..]);
        return parts.into_iter().flat_map(tree_paths).collect();
    }
    match tree.split_once("::") {
        Some((head, rest)) => tree_paths(rest)
            .into_iter()
            .map(|mut p| {
                p.insert(0, head.trim().to_string());
                p
            })
            .collect(),
        None => {
            let name = tree.split_whitespace().next().unwrap_or("");
            if name.is_empty() || name == "*" || name == "self" {
                vec![Vec::new()]
            } else {
                vec![vec![name.to_string()]]
            }
        }
    }
}

/// Every path that starts with `crate`, `super` or `self`, or with a child module of a parent
/// file, as written (`super::super::x` included).
fn references(code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let text: String = bytes.iter().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(ident_char(bytes[i - 1]) || bytes[i - 1] == ':');
        if !starts_word || !ident_char(bytes[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && ident_char(bytes[j]) {
            j += 1;
        }
        let word: String = bytes[i..j].iter().collect();
        let rooted =
            matches!(word.as_str(), "crate" | "super" | "self") || children.contains(&word);
        if !rooted || !text[char_index(&text, j)..].starts_with("::") {
            i = j;
            continue;
        }
        // The path runs over `::` and identifiers, and may end in a use tree `{…}`.
        let mut k = j;
        loop {
            let rest = &text[char_index(&text, k)..];
            if let Some(after) = rest.strip_prefix("::") {
                k += 2;
                if after.starts_with('{') {
                    let mut depth = 0;
                    let start = k;
                    while k < bytes.len() {
                        match bytes[k] {
                            '{' => depth += 1,
                            '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    k += 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                        k += 1;
                    }
                    let head: String = bytes[i..start - 2].iter().collect();
                    let tree: String = bytes[start..k].iter().collect();
                    for tail in tree_paths(&tree) {
                        let mut path: Vec<String> = head.split("::").map(str::to_string).collect();
                        path.extend(tail);
                        found.push(path);
                    }
                    break;
                }
                while k < bytes.len() && ident_char(bytes[k]) {
                    k += 1;
                }
            } else {
                let path: String = bytes[i..k].iter().collect();
                found.push(path.split("::").map(str::to_string).collect());
                break;
            }
        }
        i = k.max(j);
    }
    found
}

fn char_index(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

/// The absolute module path a written path points into, from the module it is written in.
fn absolute(from: &[String], path: &[String], is_parent: bool) -> Vec<String> {
    let mut base: Vec<String> = from.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        // A child module, named from its parent's file.
        _ if is_parent => {}
        _ => return Vec::new(),
    }
    base.extend(rest.iter().cloned());
    base
}

/// What a parent module re-exports: `(module, name)` to the module the item comes from.
type Reexports = BTreeMap<(Vec<String>, String), Vec<String>>;

fn reexports(files: &[File]) -> Reexports {
    let mut found = Reexports::new();
    for file in files.iter().filter(|f| f.is_parent) {
        let code = without_tests(&code_only(&file.text));
        for statement in code.split(';') {
            let Some(tree) = ["pub use ", "pub(crate) use "]
                .iter()
                .find_map(|p| statement.trim().strip_prefix(p))
            else {
                continue;
            };
            for path in tree_paths(tree) {
                let Some((name, module)) = path.split_last() else {
                    continue;
                };
                let target = absolute(&file.module, module, true);
                found.insert((file.module.clone(), name.clone()), target);
            }
        }
    }
    found
}

/// The graph node a module path belongs to; an item a parent re-exports belongs to the module it
/// comes from.
fn node(
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
    reexported: &Reexports,
) -> Option<String> {
    let top = path.first()?;
    if !modules.contains(&vec![top.clone()]) {
        return None; // an item of the crate root (lib.rs)
    }
    if SPLIT.contains(&top.as_str())
        && let Some(second) = path.get(1)
    {
        if modules.contains(&vec![top.clone(), second.clone()]) {
            return Some(format!("{top}::{second}"));
        }
        if let Some(source) = reexported.get(&(vec![top.clone()], second.clone()))
            && source.len() > 1
        {
            return node(source, modules, reexported);
        }
    }
    Some(top.clone())
}

fn graph(files: &[File]) -> Graph {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let reexported = reexports(files);
    let mut graph = Graph::new();
    for file in files {
        let Some(own) = node(&file.module, &modules, &reexported) else {
            continue;
        };
        let children: BTreeSet<String> = if file.is_parent {
            modules
                .iter()
                .filter(|m| m.len() == file.module.len() + 1 && m.starts_with(&file.module))
                .filter_map(|m| m.last().cloned())
                .collect()
        } else {
            BTreeSet::new()
        };
        let code = without_reexports(&without_tests(&code_only(&file.text)));
        let targets = graph.entry(own.clone()).or_default();
        for path in references(&code, &children) {
            let target = absolute(&file.module, &path, file.is_parent);
            if let Some(to) = node(&target, &modules, &reexported)
                && to != own
            {
                targets.insert(to);
            }
        }
    }
    graph
}

/// The graph of the top-level modules alone: `app` depends on `view` when any part of it does.
fn top_level(graph: &Graph) -> Graph {
    let top = |n: &str| n.split("::").next().unwrap_or(n).to_string();
    let mut collapsed = Graph::new();
    for (from, targets) in graph {
        let entry = collapsed.entry(top(from)).or_default();
        entry.extend(targets.iter().map(|t| top(t)).filter(|t| *t != top(from)));
    }
    collapsed
}

/// A cycle of the graph, as its nodes in order, if there is one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, stack) {
                return Some(found);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

/// Every `.rs` file under `src/` but the binary's `main.rs`.
fn sources(root: &Path) -> Vec<File> {
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(root, &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(root).ok()?.with_extension("");
            let mut module: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let is_parent = matches!(module.last().map(String::as_str), Some("mod" | "lib"));
            if module == ["main"] {
                return None;
            }
            if is_parent {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).ok()?;
            Some(File {
                module,
                is_parent,
                text,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(module: &str, is_parent: bool, text: &str) -> File {
        File {
            module: module.split("::").map(str::to_string).collect(),
            is_parent,
            text: text.to_string(),
        }
    }

    #[test]
    fn the_modules_of_src_have_no_cycle() {
        let graph = graph(&sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")));
        assert!(graph.contains_key("app::screens") && graph.contains_key("view::inspect"));
        assert!(graph["view"].contains("app::model") || graph["view"].contains("app::step"));
        for graph in [top_level(&graph), graph] {
            if let Some(found) = cycle(&graph) {
                panic!("import cycle: {}\n{graph:#?}", found.join(" -> "));
            }
        }
    }

    /// Two siblings that call each other, as `app::nav` and `app::update` once did.
    #[test]
    fn a_cycle_between_siblings_is_found() {
        let files = [
            file(
                "app",
                true,
                "pub mod nav;\npub mod update;\npub use update::update;",
            ),
            file("app::nav", false, "use super::update::draft_changed;"),
            file("app::update", false, "fn f() { super::nav::next(m); }"),
        ];
        let found = cycle(&graph(&files)).unwrap();
        assert_eq!(found.first(), found.last());
        assert!(found.contains(&"app::nav".to_string()), "{found:?}");
    }

    /// `view` reading `app`, and `app` reaching back into `view` (in a use tree and in code).
    #[test]
    fn a_cycle_through_a_use_tree_and_a_call_is_found() {
        let files = [
            file("app", true, "pub mod model;"),
            file(
                "app::model",
                false,
                "fn f() { crate::view::inspect::list_rows(size) }",
            ),
            file(
                "view",
                true,
                "mod inspect;\nuse crate::app::{model::Model, self};",
            ),
            file(
                "view::inspect",
                false,
                "pub fn list_rows(m: &crate::app::model::Model) {}",
            ),
        ];
        let graph = graph(&files);
        assert!(graph["view"].contains("app::model"), "{graph:?}");
        assert!(cycle(&graph).is_some(), "{graph:?}");
    }

    /// A screen borrowing a helper of the view: no cycle between submodules, but `app` and `view`
    /// would depend on each other.
    #[test]
    fn a_cycle_between_top_level_modules_is_found() {
        let files = [
            file("app", true, "pub mod screens;\npub mod model;"),
            file("app::screens", false, "use crate::view::text::fit;"),
            file("app::model", false, ""),
            file("view", true, "mod text;\nuse crate::app::model::Model;"),
            file("view::text", false, "pub fn fit() {}"),
        ];
        let graph = graph(&files);
        assert!(cycle(&graph).is_none(), "{graph:?}");
        let found = cycle(&top_level(&graph)).unwrap();
        assert!(found.contains(&"view".to_string()), "{found:?}");
    }

    #[test]
    fn comments_strings_tests_and_reexports_are_not_dependencies() {
        let files = [
            file(
                "app",
                true,
                "pub mod model;\npub use model::Model; // crate::view::x\n",
            ),
            file(
                "app::model",
                false,
                "const URL: &str = \"crate::view::x\";\n/// [`crate::view`]\n\
                 #[cfg(test)]\nmod tests { use crate::view::render; }",
            ),
            file(
                "view",
                true,
                "use crate::app::Model;\nfn f(c: char) -> bool { c == '{' }",
            ),
        ];
        let graph = graph(&files);
        assert!(graph["app::model"].is_empty(), "{graph:?}");
        assert!(graph["view"].contains("app::model"), "{graph:?}");
        assert!(cycle(&graph).is_none());
    }
}
