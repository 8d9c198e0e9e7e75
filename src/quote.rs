//! The only way a plan value reaches a generated file: one quoting function per language.

/// A bash word that expands to exactly `value`: single quotes, with `'` written as `'\''`.
/// Inside single quotes bash interprets nothing, so `$(…)`, backticks, `\` and newlines stay literal.
pub fn shell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// A Python 3 string literal that evaluates to exactly `value`. Letters and digits of any script stay
/// readable; every other non-ASCII or non-printable character is escaped, so no line separator,
/// quote or backslash can end the literal or the line.
pub fn python(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if c.is_alphanumeric() => out.push(c),
            c => {
                let code = u32::from(c);
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code <= 0xffff {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
        }
    }
    out.push('\'');
    out
}

/// A Python list of string literals.
pub fn python_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = values.into_iter().map(python).collect();
    format!("[{}]", items.join(", "))
}

/// Text for a `#` comment line (shell, Python, Markdown code): control characters become `?`,
/// so a value can never start a new line of code.
pub fn comment(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// Markdown inline code that shows `value` literally, fenced with enough backticks.
pub fn markdown_code(value: &str) -> String {
    let safe = comment(value);
    let mut longest = 0;
    let mut run = 0;
    for c in safe.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if safe.starts_with('`') || safe.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{safe}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quotes_are_closed_and_reopened() {
        assert_eq!(shell("plain"), "'plain'");
        assert_eq!(shell("it's"), "'it'\\''s'");
        assert_eq!(shell(""), "''");
        assert_eq!(shell("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn python_escapes_what_could_end_a_literal() {
        assert_eq!(python("a'b\\c\nd"), "'a\\'b\\\\c\\nd'");
        assert_eq!(python("Über ✓"), "'Über \\u2713'");
        assert_eq!(python("\u{2028}"), "'\\u2028'");
        assert_eq!(python("😀"), "'\\U0001f600'");
        assert_eq!(python("\u{7f}"), "'\\x7f'");
    }

    #[test]
    fn comments_cannot_break_lines() {
        assert_eq!(comment("a\nb\r\u{2028}c"), "a?b??c");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
    }
}
