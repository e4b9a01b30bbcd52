//! What a request is answered, and what it brought.

use serde_json::json;

use super::{DeliveryHeaders, ValidationRequest, WebhookError};
use crate::store::Incoming;

/// The answer to one request: the HTTP response to send (status, content type,
/// `Retry-After`, body), and what the request [`Received`] brought.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` of the body.
    pub content_type: &'static str,
    /// The `Retry-After` header to send, in seconds (with a 503).
    pub retry_after: Option<u32>,
    /// The body.
    pub body: String,
    /// What the request brought.
    pub received: Received,
}

/// What a request brought.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Received {
    /// A registration challenge, answered with this value.
    Challenge(String),
    /// An asynchronous-validation request: confirm the registration by fetching its URL
    /// (after checking its host is Adobe's).
    Validation(ValidationRequest),
    /// An authentic delivery.
    Delivery {
        /// The delivery's metadata headers (default when they were malformed: they are not
        /// signed and decide nothing).
        headers: DeliveryHeaders,
        /// Each event of the body, in order, flagged when it is a duplicate.
        events: Vec<Incoming>,
    },
    /// An authentic delivery that [`crate::parse_events`] cannot read (a value of the wrong
    /// type in a field of a recognised run or alert): acknowledged so that Adobe does not
    /// retry it for 24 hours, and handed over with the error to look into.
    Unreadable {
        /// The delivery's metadata headers.
        headers: DeliveryHeaders,
        /// Why it could not be read.
        error: crate::Error,
    },
    /// A refused request; the answer carries the matching status.
    Refused(WebhookError),
}

impl Answer {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: serde_json::Value, received: Received) -> Self {
        Answer {
            status,
            content_type: "application/json",
            retry_after: None,
            body: body.to_string(),
            received,
        }
    }

    /// `200` with the challenge's value.
    pub(crate) fn challenge(value: String) -> Self {
        Answer {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            retry_after: None,
            body: value.clone(),
            received: Received::Challenge(value),
        }
    }

    /// A refusal: `{"error": "<the check that failed>"}` ([`WebhookError::check`]: nothing
    /// of the request, the key source or the store) with its status, and `retry_after` with
    /// a 503.
    pub(crate) fn refusal(error: WebhookError, retry_after: u32) -> Self {
        let status = error.status_code();
        let mut answer = Answer::json(
            status,
            json!({ "error": error.check() }),
            Received::Refused(error),
        );
        if status == 503 {
            answer.retry_after = Some(retry_after);
        }
        answer
    }

    /// The events of a delivery not handled before (none for any other request).
    pub fn new_events(&self) -> impl Iterator<Item = &Incoming> {
        let events = match &self.received {
            Received::Delivery { events, .. } => events.as_slice(),
            _ => &[],
        };
        events.iter().filter(|incoming| !incoming.duplicate)
    }
}

#[cfg(feature = "http")]
impl Answer {
    /// As an `http::Response`: status, `Content-Type`, `Retry-After` when set, and
    /// `X-Content-Type-Options: nosniff`.
    pub fn to_http(&self) -> http::Response<String> {
        let mut response = http::Response::new(self.body.clone());
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(self.content_type),
        );
        headers.insert(
            http::header::X_CONTENT_TYPE_OPTIONS,
            http::HeaderValue::from_static("nosniff"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        response
    }
}
