//! A webhook endpoint's logic, without a server: request in, response out.

use std::time::SystemTime;

use serde_json::json;

use super::{
    challenge_response, validation_request, Deduplicator, DeliveryHeaders, EventIdStore,
    ValidationRequest, Verifier, WebhookError,
};
use crate::Notification;

/// The largest delivery body Adobe sends: a batch holds at most 2 MB (counted here as
/// 2 MiB, the generous reading).
pub const MAX_DELIVERY_BYTES: usize = 2 * 1024 * 1024;

/// An Adobe I/O Events webhook endpoint, free of any HTTP framework: give it the request's
/// method, raw query string, headers and raw body; it answers with the [`Response`] to send
/// and tells what was [`Received`].
///
/// - `GET ?challenge=V`: `200`, body `V` (registration);
/// - `POST {"validationUrl": ...}`: `200`; the caller confirms the registration by fetching
///   the URL (after checking its host);
/// - `POST` delivery: refused unless [`Verifier::verify`] accepts it; parsed with
///   [`crate::parse_notifications`] (single or batch); each notification checked against the
///   [`EventIdStore`] by event id; `200` with a small JSON summary. Duplicates are
///   acknowledged (`200`) and marked, never handled twice by a caller that skips them;
/// - an authentic delivery that holds no flow run (another event type on the same
///   registration) is acknowledged too, so Adobe does not retry it for 24 hours, and handed
///   to the caller as [`Received::Unreadable`].
///
/// Status codes follow Adobe's retry rules: see [`WebhookError::status_code`] (4xx for
/// forged, malformed or misdirected deliveries, which Adobe does not retry; 503 when a key
/// must be fetched first; 413 above [`MAX_DELIVERY_BYTES`]).
///
/// ```
/// use aep_flow_run::webhook::{Receiver, Received, Verifier};
///
/// let mut receiver = Receiver::new(Verifier::new("my-client-id"));
/// let body = br#"{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1"}"#;
/// let reception = receiver.handle("POST", "", [], body);
/// assert_eq!(reception.response.status, 200);
/// let Received::Validation(request) = reception.received else { panic!() };
/// assert_eq!(request.url().unwrap().host_str(), Some("csm.adobe.io"));
/// ```
#[derive(Debug, Clone)]
pub struct Receiver<S = Deduplicator> {
    verifier: Verifier,
    seen: S,
    max_body_bytes: usize,
}

/// The answer to send to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Response {
    fn json(status: u16, body: serde_json::Value) -> Self {
        Response {
            status,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    /// The answer to a request refused with `error`: its [status](WebhookError::status_code)
    /// and `{"error": "<what failed>"}`.
    pub fn from_error(error: &WebhookError) -> Self {
        Response::json(error.status_code(), json!({ "error": error.to_string() }))
    }
}

/// What a request brought, with the answer to send.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reception {
    /// The answer to send.
    pub response: Response,
    /// What was received.
    pub received: Received,
}

impl Reception {
    /// A request refused with `error` (for example a body the server refused to read because
    /// it was above the limit: [`WebhookError::BodyTooLarge`]).
    pub fn rejected(error: WebhookError) -> Self {
        Reception {
            response: Response::from_error(&error),
            received: Received::Rejected(error),
        }
    }
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
    /// An authentic delivery of flow-run notifications.
    Delivery {
        /// The delivery's metadata headers (default when they were malformed: they are not
        /// signed and do not decide anything).
        headers: DeliveryHeaders,
        /// Each notification of the body, in order, marked when it is a duplicate.
        notifications: Vec<Delivered>,
    },
    /// An authentic delivery that holds no flow-run notification (another event type, or a
    /// shape this crate does not read): acknowledged so that Adobe does not retry it.
    Unreadable {
        /// The delivery's metadata headers.
        headers: DeliveryHeaders,
        /// Why it could not be read.
        error: crate::Error,
    },
    /// A refused request; the response carries the matching status.
    Rejected(WebhookError),
}

/// One notification of a delivery.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivered {
    /// The notification.
    pub notification: Notification,
    /// Whether its event id was received before (within the store's window): handle it only
    /// when `false`.
    pub duplicate: bool,
}

impl Receiver<Deduplicator> {
    /// A receiver with an in-memory [`Deduplicator`] of the default size.
    pub fn new(verifier: Verifier) -> Self {
        Receiver::with_store(verifier, Deduplicator::default())
    }
}

impl<S: EventIdStore> Receiver<S> {
    /// A receiver that records event ids in `store` (shared by replicas, say).
    pub fn with_store(verifier: Verifier, store: S) -> Self {
        Receiver {
            verifier,
            seen: store,
            max_body_bytes: MAX_DELIVERY_BYTES,
        }
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The verifier, to add keys as they are fetched.
    pub fn verifier_mut(&mut self) -> &mut Verifier {
        &mut self.verifier
    }

    /// The event id store.
    pub fn store(&self) -> &S {
        &self.seen
    }

    /// The event id store, to [remove](EventIdStore::remove) an id whose handling failed.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.seen
    }

    /// The largest body accepted ([`MAX_DELIVERY_BYTES`] unless changed). A server should
    /// refuse to read more than this (and answer with
    /// [`Reception::rejected`]`(`[`WebhookError::BodyTooLarge`]`)`).
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Sets the largest body accepted.
    pub fn set_max_body_bytes(&mut self, max_body_bytes: usize) {
        self.max_body_bytes = max_body_bytes;
    }

    /// Handles one request: its method, raw query string (without `?`, or with), headers as
    /// name-value pairs and raw body.
    pub fn handle<'a, I>(&mut self, method: &str, query: &str, headers: I, body: &[u8]) -> Reception
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.handle_at(method, query, headers, body, SystemTime::now())
    }

    /// [`handle`](Self::handle) at the time `now` (key age, deduplication window).
    pub fn handle_at<'a, I>(
        &mut self,
        method: &str,
        query: &str,
        headers: I,
        body: &[u8],
        now: SystemTime,
    ) -> Reception
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        if method.eq_ignore_ascii_case("GET") {
            return match challenge_response(query) {
                Some(challenge) => Reception {
                    response: Response {
                        status: 200,
                        content_type: "text/plain; charset=utf-8",
                        body: challenge.clone(),
                    },
                    received: Received::Challenge(challenge),
                },
                None => Reception::rejected(WebhookError::MissingChallenge),
            };
        }
        if !method.eq_ignore_ascii_case("POST") {
            return Reception::rejected(WebhookError::MethodNotAllowed {
                method: super::error::clip(method, 32),
            });
        }
        if body.len() > self.max_body_bytes {
            return Reception::rejected(WebhookError::BodyTooLarge {
                limit: self.max_body_bytes,
            });
        }
        if let Some(request) = validation_request(body) {
            return Reception {
                response: Response::json(200, json!({ "status": "validation request received" })),
                received: Received::Validation(request),
            };
        }
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        if let Err(error) = self.verifier.verify_at(body, headers.iter().copied(), now) {
            return Reception::rejected(error);
        }
        let metadata = DeliveryHeaders::from_pairs(headers.iter().copied()).unwrap_or_default();
        let notifications = match crate::parse_notifications(body) {
            Ok(notifications) => notifications,
            Err(error) => {
                return Reception {
                    response: Response::json(
                        200,
                        json!({ "received": 0, "unreadable": error.to_string() }),
                    ),
                    received: Received::Unreadable {
                        headers: metadata,
                        error,
                    },
                }
            }
        };
        let single = notifications.len() == 1;
        let mut duplicates = 0;
        let delivered: Vec<Delivered> = notifications
            .into_iter()
            .map(|notification| {
                let id = notification.event_id.as_deref().or(if single {
                    metadata.event_id.as_deref()
                } else {
                    None
                });
                let duplicate = id.is_some_and(|id| !self.seen.insert(id, now));
                duplicates += usize::from(duplicate);
                Delivered {
                    notification,
                    duplicate,
                }
            })
            .collect();
        Reception {
            response: Response::json(
                200,
                json!({
                    "received": delivered.len(),
                    "new": delivered.len() - duplicates,
                    "duplicates": duplicates,
                }),
            ),
            received: Received::Delivery {
                headers: metadata,
                notifications: delivered,
            },
        }
    }
}
