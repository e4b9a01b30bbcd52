//! Reading a whole body: the fast read with the crate's reader, and on failure the second,
//! slow read that says where and what.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::error::Category;

use super::reader::{Reader, Rejected};
use crate::Error;

/// Deserialises a whole body; when that fails, reads it again with serde_json to say where
/// and what.
///
/// The body is checked for UTF-8 once, up front, then read by `read` with the crate's own
/// [`Reader`], which keeps no error detail and no path: the second read, through serde_json
/// and `serde_path_to_error`, happens only on failure. `Slow` is that second reader: the same
/// reading as `read`, every object accepted, so it stops at the same fault (a syntax error,
/// or a field of the wrong type, now with its path).
///
/// When `read` stops itself (it found valid JSON that is no notification), `stopped` gives
/// that error instead.
pub(crate) fn from_body<'de, T, Slow>(
    body: &'de [u8],
    read: impl FnOnce(&mut Reader<'de>) -> Result<T, Rejected>,
    stopped: impl FnOnce() -> Option<Error>,
) -> Result<T, Error>
where
    Slow: Deserialize<'de>,
{
    // simdutf8 checks the body several words at a time; std's check, run only on a body that
    // failed, says where.
    let text = match simdutf8::basic::from_utf8(body) {
        Ok(text) => text,
        Err(_) => {
            let error = std::str::from_utf8(body).err();
            return Err(not_utf8(
                body,
                error.map_or(body.len(), |error| error.valid_up_to()),
            ));
        }
    };
    let mut reader = Reader::new(text);
    if let Ok(value) = read(&mut reader).and_then(|value| reader.end().map(|()| value)) {
        return Ok(value);
    }
    if let Some(stopped) = stopped() {
        // The read stopped at the first object that is no notification; a syntax error
        // further on still comes first, as it would have without stopping.
        return Err(match serde_json::from_str::<IgnoredAny>(text) {
            Err(syntax) if syntax.classify() != Category::Data => syntax_error(body, &syntax),
            _ => stopped,
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    Err(
        match serde_path_to_error::deserialize::<_, Slow>(&mut deserializer) {
            Err(located) if located.inner().classify() == Category::Data => {
                Error::InvalidField {
                    path: match located.path().to_string() {
                        // serde_path_to_error writes the root as "."; the crate writes "".
                        root if root == "." => String::new(),
                        path => path,
                    },
                    line: located.inner().line(),
                    column: located.inner().column(),
                    message: message_of(located.inner()),
                }
            }
            Err(located) => syntax_error(body, located.inner()),
            Ok(_) => match deserializer.end() {
                Err(trailing) => syntax_error(body, &trailing),
                // The reader accepts exactly what serde_json accepts (its tests compare the
                // two on every stored body); should they ever disagree, say so, never panic.
                Ok(()) => Error::Syntax {
                    line: 0,
                    column: 0,
                    message: "the crate's reader refused JSON that serde_json accepts; \
                              please report this body as a bug"
                        .to_owned(),
                },
            },
        },
    )
}

fn syntax_error(body: &[u8], error: &serde_json::Error) -> Error {
    Error::Syntax {
        line: error.line(),
        column: error.column(),
        message: if body.iter().all(u8::is_ascii_whitespace) {
            "empty body".to_owned()
        } else {
            message_of(error)
        },
    }
}

/// The error for a body that is not UTF-8 (JSON exchanged between systems must be).
fn not_utf8(body: &[u8], valid_up_to: usize) -> Error {
    let before = &body[..valid_up_to];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    Error::Syntax {
        line,
        column: valid_up_to - line_start + 1,
        message: "invalid UTF-8".to_owned(),
    }
}

/// serde_json's message without its " at line L column C" suffix, which the variants carry
/// as fields.
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}
