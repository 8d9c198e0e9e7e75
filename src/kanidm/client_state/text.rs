//! `kanidm system oauth2 get`/`list` text output: `---` blocks of `attribute: value` lines.

use super::model::{
    AttrMap, OAuthClientState, ParseError, check_size, excerpt, from_attrs, is_attribute_name,
};
use std::borrow::Cow;

/// What `get` prints for a client that does not exist (or that the caller may not see).
pub const NO_MATCHING_ENTRIES: &str = "No matching entries";

/// One client: the line of its `---`, and its `(line number, attribute, value)` lines.
type Block<'a> = (usize, Vec<(usize, &'a str, String)>);

/// Splits text output into `---` blocks.
fn text_blocks(input: &str) -> Result<Vec<Block<'_>>, ParseError> {
    let mut blocks: Vec<Block> = Vec::new();
    for (index, raw) in input.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_end() == "---" {
            blocks.push((number, Vec::new()));
            continue;
        }
        let Some((_, block)) = blocks.last_mut() else {
            return Err(ParseError::at(
                Some(number),
                format!(
                    "expected `---` (the start of a client) or `{NO_MATCHING_ENTRIES}`, found {}",
                    excerpt(line)
                ),
            ));
        };
        let (attribute, value) = match line.split_once(": ") {
            Some(pair) => pair,
            None => match line.strip_suffix(':') {
                Some(attribute) => (attribute, ""),
                None => {
                    return Err(ParseError::at(
                        Some(number),
                        format!("expected `attribute: value`, found {}", excerpt(line)),
                    ));
                }
            },
        };
        if !is_attribute_name(attribute) {
            return Err(ParseError::at(
                Some(number),
                format!(
                    "{} is not a Kanidm attribute name (lower-case letters, digits and `_`)",
                    excerpt(attribute)
                ),
            ));
        }
        block.push((number, attribute, value.to_string()));
    }
    Ok(blocks)
}

fn group_block(block: Vec<(usize, &str, String)>) -> AttrMap<'_> {
    let mut attrs = AttrMap::new();
    for (line, attribute, value) in block {
        attrs
            .entry(Cow::Borrowed(attribute))
            .or_default()
            .push((value, Some(line)));
    }
    attrs
}

fn is_no_matching_entries(input: &str) -> bool {
    input.trim() == NO_MATCHING_ENTRIES
}

/// `kanidm system oauth2 get <name>` text output. `Ok(None)` for `No matching entries`.
pub fn parse_get_text(input: &str) -> Result<Option<OAuthClientState>, ParseError> {
    check_size(input)?;
    if is_no_matching_entries(input) {
        return Ok(None);
    }
    let mut blocks = text_blocks(input)?;
    match blocks.len() {
        0 => Err(ParseError::at(
            None,
            format!(
                "the output is empty: expected `---` and the client's attributes, or `{NO_MATCHING_ENTRIES}`"
            ),
        )),
        1 => {
            let (start, block) = blocks.pop().unwrap_or_default();
            from_attrs(group_block(block), Some(start)).map(Some)
        }
        n => Err(ParseError::at(
            None,
            format!("expected one client, found {n} `---` blocks (is this `list` output?)"),
        )),
    }
}

/// `kanidm system oauth2 list` text output: every client, in order. Empty output or
/// `No matching entries` is an empty list.
pub fn parse_list_text(input: &str) -> Result<Vec<OAuthClientState>, ParseError> {
    check_size(input)?;
    if is_no_matching_entries(input) {
        return Ok(Vec::new());
    }
    text_blocks(input)?
        .into_iter()
        .map(|(start, block)| from_attrs(group_block(block), Some(start)))
        .collect()
}
