//! The store room's error.

use std::time::Duration;

use crate::{BoxError, SharedError};

/// A store failed or did not answer in time. A receiver answers the delivery 503 so that
/// Adobe retries it; a journal consumer moves nothing.
///
/// Its text says what failed; the store's own error (a Redis reply, an I/O error) is kept as
/// its [`source`](std::error::Error::source), for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store did not answer within the time allowed.
    #[error("store did not answer within {} ms", timeout.as_millis())]
    Timeout {
        /// The time allowed.
        timeout: Duration,
    },
    /// The store answered with an error (unreachable, refused, unreadable data, ...).
    #[error("store unavailable: {what}")]
    Unavailable {
        /// What failed, in the store's words (`Redis: connection refused`, ...).
        what: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<SharedError>,
    },
}

impl StoreError {
    /// A store failure saying `what`, caused by `source`.
    pub fn unavailable(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StoreError::Unavailable {
            what: what.into(),
            source: Some(SharedError::from(source.into())),
        }
    }

    /// A store failure saying `what`, with no underlying error.
    pub fn other(what: impl Into<String>) -> Self {
        StoreError::Unavailable {
            what: what.into(),
            source: None,
        }
    }
}
