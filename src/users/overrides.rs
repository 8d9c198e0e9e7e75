//! The admin's corrections to matching: a CSV of `netbox_username,kanidm_name`, one user a line.
//! An empty Kanidm name (or `-`) means "do not link this user". A header line, blank lines and `#`
//! comments are allowed.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    /// The CSV line, for messages.
    pub line: usize,
    pub netbox_username: String,
    /// `None`: leave this user unlinked.
    pub kanidm_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("overrides line {line}: {message}")]
pub struct OverrideError {
    pub line: usize,
    pub message: String,
}

pub fn parse_overrides(text: &str) -> Result<Vec<Override>, OverrideError> {
    let mut out: Vec<Override> = Vec::new();
    // Line by line, so messages name the line a user sees in an editor.
    for (index, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(raw.as_bytes());
        let record = match reader.records().next() {
            Some(Ok(record)) => record,
            Some(Err(e)) => {
                return Err(OverrideError {
                    line,
                    message: e.to_string(),
                });
            }
            None => continue,
        };
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if out.is_empty() && fields.first() == Some(&"netbox_username") {
            continue;
        }
        if fields.len() > 2 {
            return Err(OverrideError {
                line,
                message: format!(
                    "{} fields; expected netbox_username,kanidm_name",
                    fields.len()
                ),
            });
        }
        let netbox_username = fields[0].to_string();
        if netbox_username.is_empty() {
            return Err(OverrideError {
                line,
                message: "the NetBox username is empty".into(),
            });
        }
        let kanidm_name = fields
            .get(1)
            .filter(|n| !n.is_empty() && **n != "-")
            .map(|n| n.to_string());
        if let Some(earlier) = out
            .iter()
            .find(|o| o.netbox_username.eq_ignore_ascii_case(&netbox_username))
        {
            return Err(OverrideError {
                line,
                message: format!(
                    "{netbox_username} is already overridden on line {}",
                    earlier.line
                ),
            });
        }
        out.push(Override {
            line,
            netbox_username,
            kanidm_name,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_hand_written_csv() {
        let text = "\u{feff}netbox_username,kanidm_name\r\n# Bob changed his name\r\nbob, robert\r\n\r\n\"svc,old\",-\r\nmallory,\r\n";
        let o = parse_overrides(text).unwrap();
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].netbox_username, "bob");
        assert_eq!(o[0].kanidm_name.as_deref(), Some("robert"));
        assert_eq!(o[0].line, 3);
        assert_eq!(o[1].netbox_username, "svc,old");
        assert_eq!(o[1].kanidm_name, None);
        assert_eq!(o[2].kanidm_name, None);
    }

    #[test]
    fn names_the_bad_line() {
        let e = parse_overrides("alice,alice\nbob,robert,extra\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "overrides line 2: 3 fields; expected netbox_username,kanidm_name"
        );
        let e = parse_overrides("alice,alice\nALICE,alice2\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "overrides line 2: ALICE is already overridden on line 1"
        );
        assert_eq!(parse_overrides(",alice\n").unwrap_err().line, 1);
    }
}
