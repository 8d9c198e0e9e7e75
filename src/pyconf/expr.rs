//! What an expression means: a literal, an environment read, a secret file, JSON, a call.

use super::Value;
use super::walk::Walker;
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

impl Walker<'_> {
    pub(super) fn computed(&self, expr: &Expr) -> Value {
        Value::Computed {
            text: self.text(expr.range()).to_string(),
        }
    }

    pub(super) fn value(&self, expr: &Expr) -> Value {
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
                let env_read = (method == "get" && self.is_environ(&attr.value))
                    || (method == "getenv" && self.dotted(&attr.value) == "os");
                if env_read {
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
    pub(super) fn dotted(&self, expr: &Expr) -> String {
        match expr {
            Expr::Name(n) => match self.bindings.get(n.id.as_str()) {
                Some(Value::Computed { text })
                    if text
                        .chars()
                        .all(|c| c == '.' || c == '_' || c.is_alphanumeric()) =>
                {
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
