//! The walk over Ruff's syntax tree: module level and every `if`/`try`/`with` suite inside it.

use super::{
    Assignment, ClassDef, IfStmt, PyConfig, SyntaxError, Value, is_secret_name, is_tracked,
};
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

pub(super) fn span(range: TextRange) -> Range<usize> {
    range.start().to_usize()..range.end().to_usize()
}

pub(super) struct Walker<'s> {
    pub(super) source: &'s str,
    pub(super) config: PyConfig,
    /// Every module-level name bound so far, with its value: `x = environ.get(...)` then `A = x`.
    pub(super) bindings: HashMap<String, Value>,
}

impl<'s> Walker<'s> {
    pub(super) fn text(&self, range: TextRange) -> &'s str {
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
                    self.record(
                        name,
                        stmt,
                        Some(&assign.value),
                        value.clone(),
                        sole,
                        conditions,
                        block,
                    );
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
                    self.record(
                        n.id.as_str(),
                        stmt,
                        Some(&assign.value),
                        value,
                        true,
                        conditions,
                        block,
                    );
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
                        self.record(
                            bound,
                            stmt,
                            None,
                            value,
                            import.names.len() == 1,
                            conditions,
                            block,
                        );
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
                    .map(|a| {
                        a.args
                            .iter()
                            .map(|b| self.text(b.range()).to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                let line = super::line_col(self.source, span(stmt.range()).start).0;
                self.config.classes.push(ClassDef {
                    name: class.name.as_str().to_string(),
                    bases,
                    line,
                });
            }
            Stmt::FunctionDef(function) if conditions.is_empty() => {
                self.config
                    .functions
                    .push(function.name.as_str().to_string());
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
                serde_json::Value::Array(items) => {
                    // Every item is visited, so every secret is collected.
                    let mut any = false;
                    for v in items {
                        any |= secrets(v, found);
                    }
                    any
                }
                _ => false,
            }
        }
        let Expr::Call(call) = expr else { return false };
        let is_json_loads = matches!(call.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "loads")
            && self.dotted(&call.func) == "json.loads";
        if !is_json_loads {
            return false;
        }
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
            Expr::Dict(d) => d
                .items
                .iter()
                .for_each(|i| self.collect_secret_literals(&i.value)),
            Expr::Call(c) => {
                // The first argument of an environment or secret-file read names the variable or
                // file; only a default can hold a secret. nbsso's own reader holds a path.
                let name = self.dotted(&c.func);
                let reads = name.ends_with(".get")
                    || name.ends_with("getenv")
                    || name == "_read_secret"
                    || name == "_environ_get_and_map";
                if name == super::NBSSO_SECRET_READER {
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
}
