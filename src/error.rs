//! The crate's error type.

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
    #[error("invalid value{}{}: {message}", at(path), place(*line, *column))]
    InvalidField {
        /// The JSON path of the field, such as `event.metrics.sizeSummary.inputBytes`.
        path: String,
        /// 1-based line of the fault (0 when not known: a body read again as a value to take
        /// the last of a repeated key, or a mixed body through `parse_events`).
        line: usize,
        /// 1-based column of the fault (0 when not known).
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

fn place(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" (line {line}, column {column})")
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}
