//! The walk over Ruff's syntax tree: module level and every `if`/`try`/`with` suite inside it.

use super::{Assignment, ClassDef, IfStmt, PyConfig, SyntaxError, Value, is_secret_name, is_tracked};
use crate::secret::Secret;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use std::collections::HashMap;
use std::ops::Range;

pub(super) fn parse(source: &str) -> Result<PyConfig, SyntaxError> {
    let parsed = ruff_python_parser::parse_module(source).map_err(|e| error(source, &e))?;
    let mut walker = Walker {
        source,
        config: PyConfig::default(),
        bindings: HashMap::new(),
    };
    walker.suite(parsed.suite(), &[]);
    Ok(walker.config)
}

pub(super) fn check(source: &str) -> Result<(), SyntaxError> {
    ruff_python_parser::parse_module(source)
        .map(|_| ())
        .map_err(|e| error(source, &e))
}

fn error(source: &str, e: &ruff_python_parser::ParseError) -> SyntaxError {
    let (line, column) = super::line_col(source, span(e.location).start);
    SyntaxError {
        line,
        column,
        message: e.error.to_string(),
    }
}

fn span(range: TextRange) -> Range<usize> {
    range.start().to_usize()..range.end().to_usize()
}

struct Walker<'s> {
    source: &'s str,
    config: PyConfig,
    /// Every module-level name bound so far, with its value: `x = environ.get(...)` then `A = x`.
    bindings: HashMap<String, Value>,
}

impl<'s> Walker<'s> {
    fn text(&self, range: TextRange) -> &'s str {
        self.source.get(span(range)).unwrap_or_default()
    }

    fn suite(&mut self, body: &[Stmt], conditions: &[String]) {
        let block = self.config.blocks.len();
        self.config
            .blocks
            .push(body.iter().map(|s| span(s.range())).collect());
        for stmt in body {
            self.statement(stmt, conditions, block);
        }
    }

    fn statement(&mut self, stmt: &Stmt, conditions: &[String], block: usize) {
        match stmt {
            Stmt::Assign(assign) => {
                let names: Vec<&str> = assign
                    .targets
                    .iter()
                    .filter_map(|t| match t {
                        Expr::Name(n) => Some(n.id.as_str()),
                        _ => None,
                    })
                    .collect();
                let sole = assign.targets.len() == 1 && names.len() == 1;
                let value = self.value(&assign.value);
                for name in names {
                    self.record(name, stmt, Some(&assign.value), value.clone(), sole, conditions, block);
                }
                self.secrets_in(&assign.targets, &assign.value, stmt);
            }
            Stmt::AnnAssign(assign) => {
                if let (Expr::Name(n), Some(v)) = (assign.target.as_ref(), &assign.value) {
                    let value = self.value(v);
                    self.record(n.id.as_str(), stmt, Some(v), value, true, conditions, block);
                    self.secrets_in(std::slice::from_ref(&assign.target), v, stmt);
                }
            }
            Stmt::AugAssign(assign) => {
                if let Expr::Name(n) = assign.target.as_ref() {
                    let value = Value::Computed {
                        text: self.text(stmt.range()).to_string(),
                    };
                    self.record(n.id.as_str(), stmt, Some(&assign.value), value, true, conditions, block);
                }
            }
            Stmt::If(if_stmt) => self.if_chain(if_stmt, conditions, block),
            Stmt::Try(try_stmt) => {
                let mut inner = conditions.to_vec();
                inner.push("try".into());
                self.suite(&try_stmt.body, &inner);
                for handler in &try_stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = handler;
                    let mut inner = conditions.to_vec();
                    inner.push("except".into());
                    self.suite(&h.body, &inner);
                }
                self.suite(&try_stmt.orelse, conditions);
                self.suite(&try_stmt.finalbody, conditions);
            }
            Stmt::With(with) => self.suite(&with.body, conditions),
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    let module = alias.name.as_str().to_string();
                    self.bindings
                        .insert(bound.to_string(), Value::Computed { text: module });
                }
            }
            Stmt::ImportFrom(import) => {
                let module = format!(
                    "{}{}",
                    ".".repeat(import.level as usize),
                    import.module.as_ref().map_or("", |m| m.as_str())
                );
                for alias in &import.names {
                    if alias.name.as_str() == "*" {
                        let line = super::line_col(self.source, span(stmt.range()).start).0;
                        self.config.star_imports.push((module.clone(), line));
                        continue;
                    }
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    let dotted = format!("{module}.{}", alias.name.as_str());
                    if is_tracked(bound) {
                        let value = Value::Imported {
                            module: module.clone(),
                        };
                        self.record(bound, stmt, None, value, import.names.len() == 1, conditions, block);
                    } else {
                        self.bindings
                            .insert(bound.to_string(), Value::Computed { text: dotted });
                    }
                }
            }
            Stmt::ClassDef(class) if conditions.is_empty() => {
                let bases = class
                    .arguments
                    .as_ref()
                    .map(|a| a.args.iter().map(|b| self.text(b.range()).to_string()).collect())
                    .unwrap_or_default();
                let line = super::line_col(self.source, span(stmt.range()).start).0;
                self.config.classes.push(ClassDef {
                    name: class.name.as_str().to_string(),
                    bases,
                    line,
                });
            }
            Stmt::FunctionDef(function) if conditions.is_empty() => {
                self.config.functions.push(function.name.as_str().to_string());
            }
            _ => {}
        }
    }

    /// `if a: … elif b: … else: …`: each branch's statements carry the tests that lead to them.
    fn if_chain(&mut self, if_stmt: &ast::StmtIf, conditions: &[String], block: usize) {
        let first_block = self.config.blocks.len();
        let index = self.config.ifs.len();
        self.config.ifs.push(IfStmt {
            stmt: span(if_stmt.range()),
            blocks: Vec::new(),
            parent: block,
        });
        let mut taken = conditions.to_vec();
        let first = self.text(if_stmt.test.range()).to_string();
        let mut inner = taken.clone();
        inner.push(first.clone());
        self.suite(&if_stmt.body, &inner);
        taken.push(format!("not ({first})"));
        for clause in &if_stmt.elif_else_clauses {
            let mut inner = taken.clone();
            if let Some(test) = &clause.test {
                let text = self.text(test.range()).to_string();
                inner.push(text.clone());
                self.suite(&clause.body, &inner);
                taken.push(format!("not ({text})"));
            } else {
                self.suite(&clause.body, &inner);
            }
        }
        // The branches' own suites (nested `if`s add theirs after them).
        let mut own = vec![first_block];
        let mut next = first_block;
        for _ in &if_stmt.elif_else_clauses {
            next = self.next_sibling_block(next);
            own.push(next);
        }
        if let Some(entry) = self.config.ifs.get_mut(index) {
            entry.blocks = own;
        }
    }

    /// The first suite after `block` and everything nested inside it.
    fn next_sibling_block(&self, block: usize) -> usize {
        let end = self
            .config
            .blocks
            .get(block)
            .and_then(|b| b.last())
            .map_or(0, |r| r.end);
        (block + 1..self.config.blocks.len())
            .find(|&b| {
                self.config
                    .blocks
                    .get(b)
                    .and_then(|s| s.first())
                    .is_some_and(|r| r.start >= end)
            })
            .unwrap_or(self.config.blocks.len())
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        name: &str,
        stmt: &Stmt,
        value_expr: Option<&Expr>,
        value: Value,
        sole_target: bool,
        conditions: &[String],
        block: usize,
    ) {
        self.bindings.insert(name.to_string(), value.clone());
        if !is_tracked(name) {
            return;
        }
        let value = if is_secret_name(name) {
            value.redacted()
        } else {
            value
        };
        let stmt_span = span(stmt.range());
        let (line, column) = super::line_col(self.source, stmt_span.start);
        self.config.assignments.push(Assignment {
            name: name.to_string(),
            stmt: stmt_span,
            value_span: value_expr.map(|v| span(v.range())),
            line,
            column,
            conditions: conditions.to_vec(),
            block,
            sole_target,
            value,
        });
    }

    /// Remembers where secrets sit: a whole assignment of a secret name, or the entries of a dict
    /// (DATABASES, REDIS) whose keys name secrets.
    fn secrets_in(&mut self, targets: &[Expr], value: &Expr, stmt: &Stmt) {
        let secret_target = targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if is_secret_name(n.id.as_str())));
        if secret_target {
            // Only a statement that holds a secret literal is hidden (not `environ.get('X')`).
            let before = self.config.secret_values.len();
            self.collect_secret_literals(value);
            if self.config.secret_values.len() > before {
                self.config.secret_spans.push(span(stmt.range()));
            }
        } else if self.json_holds_secret(value) {
            self.config.secret_spans.push(span(stmt.range()));
        } else {
            self.secret_dict_entries(value);
        }
    }

    fn secret_dict_entries(&mut self, expr: &Expr) {
        if let Expr::Dict(dict) = expr {
            for item in &dict.items {
                match &item.key {
                    Some(Expr::StringLiteral(key)) if is_secret_name(key.value.to_str()) => {
                        let range = TextRange::new(key.range().start(), item.value.range().end());
                        self.config.secret_spans.push(span(range));
                        self.collect_secret_literals(&item.value);
                    }
                    _ => self.secret_dict_entries(&item.value),
                }
            }
        }
    }

    /// `json.loads(r'''{"PASSWORD": ...}''')` as Ansible renders DATABASE and REDIS.
    fn json_holds_secret(&mut self, expr: &Expr) -> bool {
        fn secrets(json: &serde_json::Value, found: &mut Vec<String>) -> bool {
            match json {
                serde_json::Value::Object(map) => {
                    let mut any = false;
                    for (k, v) in map {
                        if is_secret_name(k) {
                            if let Some(s) = v.as_str().filter(|s| !s.is_empty()) {
                                found.push(s.to_string());
                            }
                            any = true;
                        }
                        any |= secrets(v, found);
                    }
                    any
                }
                serde_json::Value::Array(items) => items.iter().fold(false, |a, v| secrets(v, found) || a),
                _ => false,
            }
        }
        let Value::Json { .. } = self.value(expr) else {
            return false;
        };
        let Expr::Call(call) = expr else { return false };
        let Some(Expr::StringLiteral(text)) = call.arguments.args.first() else {
            return false;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(text.value.to_str()) else {
            return false;
        };
        let mut found = Vec::new();
        let any = secrets(&json, &mut found);
        self.config
            .secret_values
            .extend(found.into_iter().map(Secret::new));
        any
    }

    fn collect_secret_literals(&mut self, expr: &Expr) {
        match expr {
            Expr::StringLiteral(s) => {
                let text = s.value.to_str();
                if !text.is_empty() {
                    self.config.secret_values.push(Secret::new(text));
                }
            }
            Expr::List(l) => l.elts.iter().for_each(|e| self.collect_secret_literals(e)),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.collect_secret_literals(e)),
            Expr::Dict(d) => d.items.iter().for_each(|i| self.collect_secret_literals(&i.value)),
            Expr::Call(c) => {
                // The first argument of an environment or secret-file read names the variable or
                // file; only a default can hold a secret. nbsso's own reader holds a path.
                let name = self.dotted(&c.func);
                let reads = name.ends_with(".get")
                    || name.ends_with("getenv")
                    || name == "_read_secret"
                    || name == "_environ_get_and_map";
                if name == crate::generate::netbox_settings::SECRET_HELPER {
                    return;
                }
                let skip = usize::from(reads);
                c.arguments
                    .args
                    .iter()
                    .skip(skip)
                    .for_each(|e| self.collect_secret_literals(e));
                c.arguments
                    .keywords
                    .iter()
                    .for_each(|k| self.collect_secret_literals(&k.value));
            }
            _ => {}
        }
    }

    fn computed(&self, expr: &Expr) -> Value {
        Value::Computed {
            text: self.text(expr.range()).to_string(),
        }
    }

    fn value(&self, expr: &Expr) -> Value {
        match expr {
            Expr::StringLiteral(s) => Value::str(s.value.to_str()),
            Expr::NumberLiteral(n) => match &n.value {
                ast::Number::Int(i) => i
                    .as_i64()
                    .map_or_else(|| self.computed(expr), |value| Value::Int { value }),
                _ => self.computed(expr),
            },
            Expr::BooleanLiteral(b) => Value::Bool { value: b.value },
            Expr::NoneLiteral(_) => Value::None,
            Expr::List(l) => Value::List {
                items: l.elts.iter().map(|e| self.value(e)).collect(),
                tuple: false,
            },
            Expr::Tuple(t) => Value::List {
                items: t.elts.iter().map(|e| self.value(e)).collect(),
                tuple: true,
            },
            Expr::Dict(d) => {
                let mut items = Vec::new();
                for item in &d.items {
                    match &item.key {
                        Some(key) => items.push((self.value(key), self.value(&item.value))),
                        None => return self.computed(expr),
                    }
                }
                Value::Dict { items }
            }
            Expr::Name(n) => self
                .bindings
                .get(n.id.as_str())
                .cloned()
                .unwrap_or_else(|| self.computed(expr)),
            Expr::Subscript(sub) if self.is_environ(&sub.value) => match sub.slice.as_ref() {
                Expr::StringLiteral(var) => Value::Env {
                    var: var.value.to_str().to_string(),
                    default: None,
                    map: None,
                },
                _ => self.computed(expr),
            },
            Expr::Call(call) => self.call(call, expr),
            _ => self.computed(expr),
        }
    }

    fn call(&self, call: &ast::ExprCall, expr: &Expr) -> Value {
        let args = &call.arguments.args;
        let string_arg = |i: usize| match args.get(i) {
            Some(Expr::StringLiteral(s)) => Some(s.value.to_str().to_string()),
            _ => None,
        };
        let default = |i: usize| {
            args.get(i)
                .or_else(|| {
                    call.arguments
                        .keywords
                        .iter()
                        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "default"))
                        .map(|k| &k.value)
                })
                .map(|e| Box::new(self.value(e)))
        };
        match call.func.as_ref() {
            Expr::Attribute(attr) => {
                let method = attr.attr.as_str();
                if method == "get" && self.is_environ(&attr.value) {
                    if let Some(var) = string_arg(0) {
                        return Value::Env {
                            var,
                            default: default(1),
                            map: None,
                        };
                    }
                } else if method == "getenv" && self.dotted(&attr.value) == "os" {
                    if let Some(var) = string_arg(0) {
                        return Value::Env {
                            var,
                            default: default(1),
                            map: None,
                        };
                    }
                } else if method == "split" && args.len() <= 1 {
                    let sep = match args.first() {
                        None => Some(None),
                        Some(Expr::StringLiteral(s)) => Some(Some(s.value.to_str().to_string())),
                        Some(Expr::NoneLiteral(_)) => Some(None),
                        Some(_) => None,
                    };
                    if let Some(sep) = sep {
                        return Value::Split {
                            base: Box::new(self.value(&attr.value)),
                            sep,
                        };
                    }
                } else if method == "loads"
                    && self.dotted(&attr.value) == "json"
                    && let Some(text) = string_arg(0)
                    && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
                {
                    return Value::Json {
                        value: Box::new(from_json(json)),
                    };
                }
            }
            Expr::Name(function) => match function.id.as_str() {
                "getenv" => {
                    if let Some(var) = string_arg(0) {
                        return Value::Env {
                            var,
                            default: default(1),
                            map: None,
                        };
                    }
                }
                "_environ_get_and_map" => {
                    if let Some(var) = string_arg(0) {
                        let map = args.get(2).map(|m| self.text(m.range()).to_string());
                        return Value::Env {
                            var,
                            default: default(1),
                            map,
                        };
                    }
                }
                "_read_secret" => {
                    if let Some(name) = string_arg(0) {
                        return Value::SecretFile {
                            name,
                            default: default(1),
                        };
                    }
                }
                _ => {}
            },
            _ => {}
        }
        self.computed(expr)
    }

    /// `os.environ`, `environ` (from `from os import environ`), or a name bound to either.
    fn is_environ(&self, expr: &Expr) -> bool {
        let dotted = self.dotted(expr);
        if dotted == "os.environ" || dotted == "environ" {
            return true;
        }
        match expr {
            Expr::Name(n) => matches!(
                self.bindings.get(n.id.as_str()),
                Some(Value::Computed { text }) if text == "os.environ" || text == "environ"
            ),
            _ => false,
        }
    }

    /// `a.b.c` for names and attributes; a name bound by `import x as y` gives `x`.
    fn dotted(&self, expr: &Expr) -> String {
        match expr {
            Expr::Name(n) => match self.bindings.get(n.id.as_str()) {
                Some(Value::Computed { text }) if text.chars().all(|c| c == '.' || c == '_' || c.is_alphanumeric()) => {
                    text.clone()
                }
                _ => n.id.as_str().to_string(),
            },
            Expr::Attribute(a) => format!("{}.{}", self.dotted(&a.value), a.attr.as_str()),
            _ => String::new(),
        }
    }
}

fn from_json(json: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::None,
        J::Bool(value) => Value::Bool { value },
        J::Number(n) => n.as_i64().map_or_else(
            || Value::Computed {
                text: n.to_string(),
            },
            |value| Value::Int { value },
        ),
        J::String(s) => Value::str(s),
        J::Array(items) => Value::List {
            items: items.into_iter().map(from_json).collect(),
            tuple: false,
        },
        J::Object(map) => Value::Dict {
            items: map
                .into_iter()
                .map(|(k, v)| (Value::str(k), from_json(v)))
                .collect(),
        },
    }
}
