//! The webhook module's error type.

use std::time::Duration;

/// Why a delivery, a key or a journal response was refused. Each variant names the check
/// that failed; [`WebhookError::status_code`] gives the HTTP status to answer a delivery with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header the check needs is absent (or empty).
    #[error("missing header `{name}`")]
    MissingHeader {
        /// The header's name, lower case.
        name: &'static str,
    },
    /// A header the check reads came more than once, so two readers could disagree.
    #[error("header `{name}` given more than once")]
    DuplicateHeader {
        /// The header's name, lower case.
        name: &'static str,
    },
    /// A header holds a value it cannot hold (a retry count that is no number, ...).
    #[error("invalid header `{name}`: {reason}")]
    InvalidHeader {
        /// The header's name, lower case.
        name: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A signature header is not base64.
    #[error("signature header `{header}` is not base64")]
    InvalidSignatureEncoding {
        /// The signature header's name.
        header: &'static str,
    },
    /// A key path would leave `https://static.adobeioevents.com`, or is no plain path.
    #[error("refused public key path {key_path:?}: {reason}")]
    InvalidKeyPath {
        /// The key path as given (at most 200 characters of it).
        key_path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No public key is registered for a key path a delivery names: fetch it (see
    /// [`Verifier::missing_keys`](super::Verifier::missing_keys)) and let Adobe retry.
    #[error("no public key registered for key path {key_path:?}")]
    UnknownKey {
        /// The key path.
        key_path: String,
    },
    /// The public key for a key path was fetched longer ago than the cache may keep it
    /// ([`MAX_KEY_AGE`](super::MAX_KEY_AGE)): fetch it again.
    #[error("public key for key path {key_path:?} is stale ({} s old)", age.as_secs())]
    StaleKey {
        /// The key path.
        key_path: String,
        /// How long ago the key was fetched.
        age: Duration,
    },
    /// A PEM given to [`Verifier::add_public_key_pem`](super::Verifier::add_public_key_pem)
    /// is no usable RSA public key.
    #[error("invalid public key for key path {key_path:?}: {reason}")]
    InvalidPublicKey {
        /// The key path it was given for.
        key_path: String,
        /// What is wrong.
        reason: String,
    },
    /// Neither signature verifies over the body with its key: the body was changed, or the
    /// delivery is forged.
    #[error("signature mismatch: neither signature verifies over the body")]
    SignatureMismatch,
    /// The body names no recipient client id (the whole body, or the batch element at
    /// `index`).
    #[error("no recipient client id in the body{}", at(*index))]
    MissingRecipient {
        /// The batch element without one, for a batch.
        index: Option<usize>,
    },
    /// The body's recipient client id is not ours (the whole body's, or the batch element's
    /// at `index`).
    #[error("recipient client id mismatch{}", at(*index))]
    RecipientMismatch {
        /// The batch element with another recipient, for a batch.
        index: Option<usize>,
    },
    /// The body is not JSON, so no recipient client id can be read from it.
    #[error("invalid JSON body: {message}")]
    InvalidBody {
        /// What serde_json said.
        message: String,
    },
    /// The body is larger than a delivery may be.
    #[error("body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A webhook answers `GET` (the challenge) and `POST` (deliveries) only.
    #[error("method {method} not allowed")]
    MethodNotAllowed {
        /// The method of the request (at most 32 characters of it).
        method: String,
    },
    /// A `GET` without a `challenge` query parameter.
    #[error("no `challenge` query parameter")]
    MissingChallenge,
    /// A journal response with a status other than 200 (events) and 204 (no new events).
    #[error("unexpected journal response status {status}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// A journal page (or other authentic body) that does not parse.
    #[error("unreadable body: {0}")]
    Parse(#[from] crate::Error),
}

fn at(index: Option<usize>) -> String {
    match index {
        Some(index) => format!(" at batch element {index}"),
        None => String::new(),
    }
}

impl WebhookError {
    /// The HTTP status to answer a delivery refused with this error, following Adobe's retry
    /// rules (4xx is not retried, 5xx is):
    ///
    /// - 400 for a malformed request (missing or duplicate headers, bad base64, a refused key
    ///   path, a body that is no JSON or names no recipient, a `GET` without a challenge);
    /// - 403 for a forged delivery (signature mismatch) or one meant for another client;
    /// - 405 for another method, 413 for a body above the limit;
    /// - 503 when a key is missing or stale on our side: fetch it, and Adobe's retry will
    ///   verify;
    /// - 500 for the errors that are no request's fault (an invalid public key).
    pub fn status_code(&self) -> u16 {
        match self {
            WebhookError::MissingHeader { .. }
            | WebhookError::DuplicateHeader { .. }
            | WebhookError::InvalidHeader { .. }
            | WebhookError::InvalidSignatureEncoding { .. }
            | WebhookError::InvalidKeyPath { .. }
            | WebhookError::MissingRecipient { .. }
            | WebhookError::InvalidBody { .. }
            | WebhookError::MissingChallenge
            | WebhookError::Parse(_) => 400,
            WebhookError::SignatureMismatch | WebhookError::RecipientMismatch { .. } => 403,
            WebhookError::MethodNotAllowed { .. } => 405,
            WebhookError::BodyTooLarge { .. } => 413,
            WebhookError::UnknownKey { .. } | WebhookError::StaleKey { .. } => 503,
            WebhookError::InvalidPublicKey { .. } | WebhookError::UnexpectedStatus { .. } => 500,
        }
    }
}

/// Truncates text that came from a request before it goes into an error.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
