//! The exit codes of every command and of the wizard, in one table. README's "Exit codes" table
//! and the `--help` texts are made from it (a test holds the README to it).

use std::fmt::Write as _;

/// Why nbsso ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Everything passed or was written.
    Ok,
    /// The command ran and found something to fix (failed checks, drift, a missing client).
    Findings,
    /// Bad command line, or input that is missing, unreadable or invalid.
    Usage,
    /// A server could not be reached, or refused access.
    Unreachable,
    /// The output files could not be written (nothing half-written is left behind).
    NotWritten,
    /// nbsso itself failed: the terminal or the async runtime.
    Internal,
    /// Ended by a signal; the terminal was restored first.
    Hangup,
    Interrupt,
    Terminate,
}

/// One row of the table: the code, its short name (for `--help`) and what it means (README).
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub code: Code,
    pub name: &'static str,
    pub meaning: &'static str,
}

pub const TABLE: [Entry; 9] = [
    Entry {
        code: Code::Ok,
        name: "ok",
        meaning: "ok: files written, or the dry run succeeded (warnings may have been printed); the checks passed; the client is in sync",
    },
    Entry {
        code: Code::Findings,
        name: "findings",
        meaning: "findings: a check failed, warned or was skipped; `inspect` found drift or no client; `import` read everything but warns; `users match` left users ambiguous, unmatched or stray, or the lock-out guard refuses",
    },
    Entry {
        code: Code::Usage,
        name: "usage or invalid input",
        meaning: "usage error, or a plan that is missing, unreadable, not TOML or invalid, `inspect` or `users` input that is not what the command reads, a configuration file that cannot be read or is not valid Python (nothing written); the wizard without a terminal",
    },
    Entry {
        code: Code::Unreachable,
        name: "unreachable",
        meaning: "a server could not be reached (`nbsso check`), or Kanidm could not be reached or refused the login (`nbsso inspect`, `nbsso users match`)",
    },
    Entry {
        code: Code::NotWritten,
        name: "output not written",
        meaning: "the output files could not be written",
    },
    Entry {
        code: Code::Internal,
        name: "internal failure",
        meaning: "nbsso itself failed: the terminal could not be used, or the async runtime did not start",
    },
    Entry {
        code: Code::Hangup,
        name: "SIGHUP",
        meaning: "ended by SIGHUP (the terminal is restored first)",
    },
    Entry {
        code: Code::Interrupt,
        name: "SIGINT",
        meaning: "ended by SIGINT (the terminal is restored first)",
    },
    Entry {
        code: Code::Terminate,
        name: "SIGTERM",
        meaning: "ended by SIGTERM (the terminal is restored first)",
    },
];

impl Code {
    pub const fn value(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Findings => 1,
            Self::Usage => 2,
            Self::Unreachable => 3,
            Self::NotWritten => 4,
            Self::Internal => 5,
            Self::Hangup => 128 + 1,
            Self::Interrupt => 128 + 2,
            Self::Terminate => 128 + 15,
        }
    }

    /// The code for a stop signal (SIGHUP 1, SIGINT 2, SIGTERM 15), the shell's 128 + n.
    pub fn from_signal(signal: i32) -> Self {
        match signal {
            1 => Self::Hangup,
            2 => Self::Interrupt,
            15 => Self::Terminate,
            _ => Self::Internal,
        }
    }

    fn entry(self) -> &'static Entry {
        // Every code has its row (a unit test holds the table to the enum).
        &TABLE[TABLE.iter().position(|e| e.code == self).unwrap_or(0)]
    }

    pub fn name(self) -> &'static str {
        self.entry().name
    }
}

impl From<Code> for u8 {
    fn from(code: Code) -> u8 {
        code.value()
    }
}

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> Self {
        Self::from(code.value())
    }
}

/// README's table, as markdown.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | meaning |\n|---|---|\n");
    for e in &TABLE {
        let _ = writeln!(out, "| {} | {} |", e.code.value(), e.meaning);
    }
    out
}

/// "Exit codes: 0 ok, 1 findings, …" for `--help`: each code with what it means for the command
/// (`None`: the table's name).
pub fn help_line(codes: &[(Code, Option<&str>)]) -> String {
    let parts: Vec<String> = codes
        .iter()
        .map(|(code, meaning)| format!("{} {}", code.value(), meaning.unwrap_or(code.name())))
        .collect();
    format!("Exit codes: {}.", parts.join(", "))
}

/// The whole table for `nbsso --help`, the signals folded into one entry.
pub fn summary() -> String {
    let (signals, codes): (Vec<&Entry>, Vec<&Entry>) =
        TABLE.iter().partition(|e| e.code.value() > 128);
    let mut parts: Vec<String> = codes
        .iter()
        .map(|e| format!("{} {}", e.code.value(), e.name))
        .collect();
    let numbers: Vec<String> = signals.iter().map(|e| e.code.value().to_string()).collect();
    let names: Vec<&str> = signals.iter().map(|e| e.name).collect();
    parts.push(format!(
        "{} ended by {}",
        numbers.join("/"),
        names.join("/")
    ));
    format!("Exit codes: {}.", parts.join(", "))
}

/// The codes an "Exit codes: 0 …, 1 …" sentence names, wherever it stands in `text` (README,
/// `--help`): each number at the start of a comma-separated part, `129/130/143` read as three.
pub fn codes_named(text: &str) -> Vec<u8> {
    let mut codes = Vec::new();
    for (_, rest) in text
        .match_indices("Exit codes: ")
        .map(|(i, m)| ("", &text[i + m.len()..]))
    {
        let sentence = rest.split(".\n").next().unwrap_or(rest);
        let sentence = sentence.split(". ").next().unwrap_or(sentence);
        for part in sentence.split(',') {
            let lead: String = part
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '/')
                .collect();
            codes.extend(lead.split('/').filter_map(|n| n.parse::<u8>().ok()));
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_row_and_a_distinct_value() {
        for (i, e) in TABLE.iter().enumerate() {
            assert_eq!(e.code.entry().code, e.code);
            for other in &TABLE[i + 1..] {
                assert_ne!(e.code.value(), other.code.value());
            }
        }
        assert_eq!(Code::from_signal(15).value(), 143);
        assert_eq!(Code::from_signal(1).value(), 129);
        assert_eq!(Code::from_signal(2).value(), 130);
    }

    #[test]
    fn the_summary_names_every_code() {
        assert_eq!(
            summary(),
            "Exit codes: 0 ok, 1 findings, 2 usage or invalid input, 3 unreachable, 4 output not written, \
             5 internal failure, 129/130/143 ended by SIGHUP/SIGINT/SIGTERM."
        );
    }

    /// The commands' sections of the README name only codes of the table, with its meaning.
    #[test]
    fn the_readme_names_only_codes_of_the_table() {
        let readme = include_str!("../README.md");
        let named = codes_named(readme);
        assert!(named.len() >= 8, "{named:?}");
        for code in named {
            assert!(TABLE.iter().any(|e| e.code.value() == code), "{code}");
        }
        assert_eq!(
            codes_named("Exit codes: 0 ok, 1 a, b or c, 2 d (e, f), 129/130 g. 7 is not named"),
            [0, 1, 2, 129, 130]
        );
    }

    /// README's table is this table.
    #[test]
    fn the_readme_table_is_the_table() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("\n## Exit codes\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_default();
        let table: String = section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(table, markdown_table());
    }
}
