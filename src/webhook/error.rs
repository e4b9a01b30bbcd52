//! The webhook room's error: which check a request failed, and the status Adobe must see.

use std::time::Duration;

use crate::store::StoreError;
use crate::text::escaped;
use crate::SharedError;

/// Why a request or a key was refused. Each variant names the check that failed;
/// [`WebhookError::status_code`] gives the HTTP status to answer a delivery with, and
/// [`WebhookError::check`] the words to answer it with (the failed check only: no text from
/// the request, the key source or the store). The underlying error (a store's, a key
/// source's) is kept as the [`source`](std::error::Error::source), for logs; text from the
/// request in this error's own text has its control characters escaped.
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
    /// A key a delivery needs could not be fetched (the key source failed or was slow, the
    /// key path failed recently, or too many new key paths were asked for): 503, and
    /// Adobe's retry may find it.
    #[error("public key for key path {key_path:?} unavailable: {reason}")]
    KeyUnavailable {
        /// The key path.
        key_path: String,
        /// Why, in short (`the key source failed`, `too many new key paths this minute`, ...).
        reason: &'static str,
        /// The key source's error, when it failed.
        #[source]
        source: Option<SharedError>,
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
    /// An organisation is configured and the body (the whole body, or the batch element at
    /// `index`) names neither a recipient client id nor any organisation (`imsOrgId`), so
    /// nothing says it is ours (Adobe's alerts and message lists always name one).
    #[error("neither a recipient client id nor an organisation in the body{}", at(*index))]
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
    /// The body names no recipient client id, and an `imsOrgId` in it is not the
    /// organisation configured (the whole body's, or the batch element's at `index`).
    #[error("organisation mismatch{}", at(*index))]
    OrganizationMismatch {
        /// The batch element with another organisation, for a batch.
        index: Option<usize>,
    },
    /// The body (or the batch element at `index`) names no recipient client id, and no
    /// organisation is configured to tell whether it is ours: set one
    /// ([`Verifier::with_organization`](super::Verifier::with_organization)), or accept any
    /// ([`Verifier::with_any_organization`](super::Verifier::with_any_organization)).
    /// Answered 503, so that Adobe retries it for 24 hours: it may be ours, and a 4xx would
    /// make Adobe drop it before the setting can be fixed.
    #[error("no organisation configured to check a body that names no recipient{}", at(*index))]
    OrganizationNotSet {
        /// The batch element without a recipient, for a batch.
        index: Option<usize>,
    },
    /// The body (or the batch element at `index`) is a journal page (an `events` array):
    /// Adobe never delivers one to a webhook, and the events nested in it would escape the
    /// recipient check.
    #[error("a journal page is no webhook delivery{}", at(*index))]
    JournalPage {
        /// The batch element that is a journal page, for a batch.
        index: Option<usize>,
    },
    /// A batch holds more elements than a delivery may (Adobe sends at most 20).
    #[error("a delivery holds at most {limit} events")]
    TooManyEvents {
        /// The limit.
        limit: usize,
    },
    /// The message lists of a delivery hold more messages than its size could hold genuine
    /// ones ([`MAX_DELIVERY_MESSAGES`](super::MAX_DELIVERY_MESSAGES)); counted as the body
    /// is read, before it is parsed.
    #[error("a delivery's message lists hold at most {limit} messages")]
    TooManyMessages {
        /// The limit.
        limit: usize,
    },
    /// An event's time (its CloudEvent `time`, message `timestamp` or run `updatedAt`) is
    /// older than the receiver accepts: a replay.
    #[error("event {index} is {} s old, older than accepted", age.as_secs())]
    EventTooOld {
        /// The event's position in the delivery.
        index: usize,
        /// How old it is.
        age: Duration,
    },
    /// An event of the delivery is being handled elsewhere (claimed and not yet done or
    /// released): Adobe should retry later.
    #[error("event {event_id:?} is being handled; retry later")]
    EventInFlight {
        /// The event's deduplication key.
        event_id: String,
    },
    /// The application could not handle the events of a delivery: their claims were
    /// released, and Adobe should deliver them again.
    #[error("the events could not be handled; retry later")]
    HandlingFailed,
    /// The deduplication store failed or did not answer in time (its error is the source).
    #[error("deduplication store unavailable")]
    Store(#[from] StoreError),
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
    /// The body could not be read off the connection (a malformed chunked encoding, a
    /// connection that broke): for a server that reads the body before the receiver sees it.
    #[error("the request body could not be read")]
    BodyUnreadable,
    /// A webhook answers `GET` (the challenge) and `POST` (deliveries) only.
    #[error("method {} not allowed", escaped(method))]
    MethodNotAllowed {
        /// The method of the request (at most 32 characters of it).
        method: String,
    },
    /// A `GET` without a `challenge` query parameter.
    #[error("no `challenge` query parameter")]
    MissingChallenge,
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
    ///   path, a body that is no JSON or could not be read, a journal page, a `GET` without a
    ///   challenge);
    /// - 403 for a forged delivery (signature mismatch), one meant for another client or
    ///   organisation, or an event older than accepted (a replay);
    /// - 405 for another method, 413 for a body, batch or message lists above the limit;
    /// - 503 (retryable) when a key is missing or stale on our side (fetch it, and Adobe's
    ///   retry will verify), when an event is being handled elsewhere, when the
    ///   deduplication store fails or is too slow, and when no organisation is configured to
    ///   tell whether a body naming no recipient is ours: never a 2xx for an event the
    ///   application did not get, never a 4xx that would make Adobe drop it;
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
            | WebhookError::BodyUnreadable
            | WebhookError::MissingChallenge
            | WebhookError::JournalPage { .. } => 400,
            WebhookError::SignatureMismatch
            | WebhookError::RecipientMismatch { .. }
            | WebhookError::OrganizationMismatch { .. }
            | WebhookError::EventTooOld { .. } => 403,
            WebhookError::MethodNotAllowed { .. } => 405,
            WebhookError::BodyTooLarge { .. }
            | WebhookError::TooManyEvents { .. }
            | WebhookError::TooManyMessages { .. } => 413,
            WebhookError::UnknownKey { .. }
            | WebhookError::StaleKey { .. }
            | WebhookError::KeyUnavailable { .. }
            | WebhookError::EventInFlight { .. }
            | WebhookError::HandlingFailed
            | WebhookError::OrganizationNotSet { .. }
            | WebhookError::Store(_) => 503,
            WebhookError::InvalidPublicKey { .. } => 500,
        }
    }

    /// The check that failed, in words fit for the HTTP client: what a refusal's body says.
    /// Unlike the error's own text, it holds nothing from the request (key paths, event ids,
    /// a method), the key source (why a fetch failed) or the store (a backend's error, a
    /// file path): those go to the logs.
    ///
    /// ```
    /// use aep_flow_run::store::StoreError;
    /// use aep_flow_run::webhook::WebhookError;
    ///
    /// let error = WebhookError::Store(StoreError::other("Redis: NOAUTH Authentication required"));
    /// assert_eq!(error.check(), "deduplication store unavailable");
    /// ```
    pub fn check(&self) -> std::borrow::Cow<'static, str> {
        use std::borrow::Cow;
        let fixed: &'static str = match self {
            // These say nothing from outside: their own text is the check.
            WebhookError::MissingHeader { .. }
            | WebhookError::DuplicateHeader { .. }
            | WebhookError::InvalidHeader { .. }
            | WebhookError::InvalidSignatureEncoding { .. }
            | WebhookError::SignatureMismatch
            | WebhookError::MissingRecipient { .. }
            | WebhookError::RecipientMismatch { .. }
            | WebhookError::OrganizationMismatch { .. }
            | WebhookError::OrganizationNotSet { .. }
            | WebhookError::JournalPage { .. }
            | WebhookError::TooManyEvents { .. }
            | WebhookError::TooManyMessages { .. }
            | WebhookError::EventTooOld { .. }
            | WebhookError::HandlingFailed
            | WebhookError::BodyTooLarge { .. }
            | WebhookError::BodyUnreadable
            | WebhookError::MissingChallenge => return Cow::Owned(self.to_string()),
            // These hold a key path, a method, an event id, why a fetch failed or what a
            // store or a parser said: a fixed text instead.
            WebhookError::InvalidKeyPath { .. } => "refused public key path",
            WebhookError::UnknownKey { .. }
            | WebhookError::StaleKey { .. }
            | WebhookError::KeyUnavailable { .. } => "public key unavailable; retry later",
            WebhookError::InvalidPublicKey { .. } => "invalid public key",
            WebhookError::EventInFlight { .. } => "an event is being handled; retry later",
            WebhookError::Store(_) => "deduplication store unavailable",
            WebhookError::InvalidBody { .. } => "invalid JSON body",
            WebhookError::MethodNotAllowed { .. } => "method not allowed",
        };
        Cow::Borrowed(fixed)
    }
}
