//! The crate's error type.

use serde::Deserialize;
use serde_json::error::Category;

/// Why a body could not be read. Every variant says where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not JSON: empty, truncated, not UTF-8, nested too deep, trailing bytes...
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the fault (0 when not known).
        line: usize,
        /// 1-based column of the fault (0 when not known).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A known field holds a value it cannot hold (a string where an object belongs, a count
    /// that is no integer, a key given twice, ...).
    #[error("invalid value at `{path}` (line {line}, column {column}): {message}")]
    InvalidField {
        /// The JSON path of the field, such as `event.metrics.sizeSummary.inputBytes`.
        path: String,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Valid JSON that carries no flow run where one was expected.
    #[error("expected {expected}{}, found {found}", at(path))]
    Unrecognized {
        /// The JSON path of the object that was inspected (empty for the whole body).
        path: String,
        /// What was expected there.
        expected: &'static str,
        /// What was seen, such as "an object with keys id, status, name, message, …".
        found: String,
    },
    /// [`parse_notification`](crate::parse_notification) found no notification, or several.
    #[error("expected exactly one notification, found {count}")]
    NotSingle {
        /// How many notifications the body holds.
        count: usize,
    },
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

/// Deserialises a whole body; on a data error, reads it again to learn the field's path.
///
/// The fast path carries no path bookkeeping: the second read happens only on failure.
pub(crate) fn from_body<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|error| match error.classify() {
        Category::Data => {
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(located) => Error::InvalidField {
                    path: located.path().to_string(),
                    line: located.inner().line(),
                    column: located.inner().column(),
                    message: message_of(located.inner()),
                },
                // Unreachable for a deterministic parse; keep the first error rather than panic.
                Ok(_) => Error::InvalidField {
                    path: String::new(),
                    line: error.line(),
                    column: error.column(),
                    message: message_of(&error),
                },
            }
        }
        _ if body.iter().all(u8::is_ascii_whitespace) => Error::Syntax {
            line: error.line(),
            column: error.column(),
            message: "empty body".to_owned(),
        },
        _ => Error::Syntax {
            line: error.line(),
            column: error.column(),
            message: message_of(&error),
        },
    })
}

/// serde_json's message without its " at line L column C" suffix, which the variants carry
/// as fields.
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}
