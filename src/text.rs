//! Text that came from a request or a server, made safe to keep in an error or a log line.

use std::fmt;

/// The first `max_chars` characters of `text`: what came from outside is bounded before it
/// goes into an error.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// The longest text from outside written into a log line, in characters.
const MAX_LOGGED_CHARS: usize = 200;

/// `text` for a log line or an error's text: at most 200 characters, and every control
/// character (C0, DEL, C1) and bidirectional override written as an escape (`\n`, `\u{1b}`),
/// so that a request cannot forge log lines or drive a terminal. (Backslashes are kept as
/// they are, so that text escaped once reads the same when it is escaped again.)
pub(crate) fn escaped(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// See [`escaped`].
#[derive(Clone, Copy)]
pub(crate) struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(MAX_LOGGED_CHARS) {
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if needs_escape(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        if chars.next().is_some() {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// An error and its sources, `: `-separated and [`escaped`], for a log line: the sources
/// (a Redis reply, an I/O error) are what an operator needs, and they stay out of answers.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    escaped(&text).to_string()
}

/// Control characters, and the Unicode marks that reorder what a terminal shows.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_text_is_bounded() {
        let forged = "abc\r\n2026-01-01 INFO delivery of e-1\u{1b}[2J\u{202e}";
        let once = escaped(forged).to_string();
        assert_eq!(
            once,
            "abc\\r\\n2026-01-01 INFO delivery of e-1\\u{1b}[2J\\u{202e}"
        );
        assert_eq!(escaped(&once).to_string(), once);
        assert_eq!(escaped("ok id-1").to_string(), "ok id-1");
        let long = "x".repeat(500);
        assert_eq!(
            escaped(&long).to_string(),
            format!("{}...", "x".repeat(200))
        );
        assert_eq!(format!("{:?}", escaped("a\u{7f}")), "\"a\\u{7f}\"");
    }
}
