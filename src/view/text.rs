//! Text cut to a width in terminal columns, as every screen needs it: wide characters (CJK,
//! emoji) count two columns, so a cut never draws past its column.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cuts `text` to `width` terminal columns, ending in … when something was cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `text` cut or padded to exactly `width` terminal columns.
pub fn pad(text: &str, width: usize) -> String {
    let text = fit(text, width);
    let fill = width.saturating_sub(text.width());
    format!("{text}{}", " ".repeat(fill))
}

/// Word-wraps text at `width` columns; a word longer than a line is cut into pieces (commands must
/// be read whole, never cut off).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    let words = text.split_whitespace().flat_map(|word| {
        // Pieces of at most `width` columns (wide characters count two).
        let mut pieces = vec![String::new()];
        for c in word.chars() {
            let last = pieces.last().map_or(0, |p| p.width());
            if last + c.width().unwrap_or(0) > width {
                pieces.push(String::new());
            }
            if let Some(piece) = pieces.last_mut() {
                piece.push(c);
            }
        }
        pieces
    });
    for word in words {
        let used = line.width();
        if used > 0 && used + 1 + word.width() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_columns_not_characters() {
        assert_eq!(fit("netbox", 6), "netbox");
        assert_eq!(fit("netbox-dr", 6), "netbo…");
        // Seven characters, fourteen columns: in 8 columns, three fit beside the ellipsis.
        assert_eq!(fit("ネットボックス", 8), "ネット…");
        assert_eq!(fit("ネットボックス", 8).width(), 7);
        assert_eq!(fit("ネットボックス", 14), "ネットボックス");
        assert_eq!(fit("abc", 0), "…");
    }

    #[test]
    fn pad_fills_to_the_column() {
        assert_eq!(pad("ネット", 8), "ネット  ");
        assert_eq!(pad("ネットボックス", 8).width(), 8);
    }
}
