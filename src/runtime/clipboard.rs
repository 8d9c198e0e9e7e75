//! Where copied values go. The real terminal gets them as OSC 52 (the terminal puts them on the
//! system clipboard, if it allows it); tests record them, to assert what was copied.

use std::io::Write;
use std::sync::Mutex;

/// A sink for copied values. Never given a secret: the screens only offer non-secret values.
pub trait Clipboard: Send + Sync {
    fn copy(&self, text: &str);
}

/// Writes the OSC 52 sequence to the terminal.
pub struct Osc52<W: Write + Send>(Mutex<W>);

impl<W: Write + Send> Osc52<W> {
    pub fn new(terminal: W) -> Self {
        Self(Mutex::new(terminal))
    }
}

impl Osc52<std::io::Stdout> {
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

impl<W: Write + Send> Clipboard for Osc52<W> {
    fn copy(&self, text: &str) {
        if let Ok(mut out) = self.0.lock() {
            // A terminal that refuses (or does not know) OSC 52 just ignores it; the status line
            // says where the value also is.
            let _ = out.write_all(osc52(text).as_bytes());
            let _ = out.flush();
        }
    }
}

/// Keeps every copied value, in order.
#[derive(Debug, Default)]
pub struct Recorded(Mutex<Vec<String>>);

impl Recorded {
    pub fn copies(&self) -> Vec<String> {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Clipboard for Recorded {
    fn copy(&self, text: &str) {
        if let Ok(mut copies) = self.0.lock() {
            copies.push(text.to_string());
        }
    }
}

/// Drops copied values (runs without a terminal).
#[derive(Debug, Default)]
pub struct Ignore;

impl Clipboard for Ignore {
    fn copy(&self, _: &str) {}
}

/// The OSC 52 sequence that asks the terminal to put `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0);
                out.push(char::from(TABLE.get(index).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(osc52("foo"), "\x1b]52;c;Zm9v\x07");
    }

    #[test]
    fn the_terminal_gets_the_osc52_sequence() {
        let clipboard = Osc52::new(Vec::new());
        clipboard.copy("kanidm system oauth2 enable-pkce netbox");
        let written = clipboard.0.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "\x1b]52;c;a2FuaWRtIHN5c3RlbSBvYXV0aDIgZW5hYmxlLXBrY2UgbmV0Ym94\x07"
        );
    }
}
