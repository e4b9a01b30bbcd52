//! A webhook endpoint's logic, without a server: request in, response out.

use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::deadline::within;
use super::key_source::{KeyFetchSettings, KeyFetcher, KeySource};
use super::{
    challenge_response, validation_request, Claim, DedupStore, DeliveryHeaders, MemoryStore,
    StoreError, ValidationRequest, Verifier, WebhookError,
};
use crate::Event;

/// The largest delivery body Adobe sends: a batch holds at most 2 MB (counted here as
/// 2 MiB, the generous reading).
pub const MAX_DELIVERY_BYTES: usize = 2 * 1024 * 1024;

/// The longest event id used as a deduplication key as it is; a longer one is replaced by
/// its SHA-256 digest, so that no body can make the store keep large keys.
pub const MAX_EVENT_ID_LEN: usize = 128;

/// The shortest time a handled event is remembered: Adobe retries for 24 hours.
const MIN_KEEP: Duration = Duration::from_secs(25 * 60 * 60);
/// The longest: the journal's retention, for backfills.
const MAX_KEEP: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What the receiver waits for and how long it keeps things; see [`Receiver`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverSettings {
    /// The largest body accepted ([`MAX_DELIVERY_BYTES`]).
    pub max_body_bytes: usize,
    /// How long a claimed event stays in flight before another delivery may claim it
    /// (default 60 s): longer than handling an event takes.
    pub lease: Duration,
    /// How long a handled event is remembered as done (default and least 25 h, Adobe's 24 h
    /// of retries and a margin; at most 7 days, the journal's retention, for backfills).
    pub keep: Duration,
    /// The longest a store call may take before the delivery is answered 503 (default 3 s,
    /// well inside Adobe's 10 s).
    pub store_timeout: Duration,
    /// The `Retry-After` of a 503, in seconds (default 60).
    pub retry_after_secs: u32,
    /// Events whose time is older than this are refused as replays (default: no limit).
    /// Set it above 24 hours: Adobe retries an event for 24 hours with its original time.
    pub max_event_age: Option<Duration>,
}

impl Default for ReceiverSettings {
    fn default() -> Self {
        ReceiverSettings {
            max_body_bytes: MAX_DELIVERY_BYTES,
            lease: Duration::from_secs(60),
            keep: MIN_KEEP,
            store_timeout: Duration::from_secs(3),
            retry_after_secs: 60,
            max_event_age: None,
        }
    }
}

/// An Adobe I/O Events webhook endpoint, free of any HTTP framework: give it the request's
/// method, raw query string, headers and raw body; it answers with the [`Response`] to send
/// and tells what was [`Received`]. It is `Send + Sync` and handles requests through `&self`,
/// concurrently: no lock is held across verification, parsing or store calls (the verifier
/// is swapped whole when a key is added).
///
/// - `GET ?challenge=V`: `200`, body `V` (registration);
/// - `POST {"validationUrl": ...}`: `200`; the caller confirms the registration by fetching
///   the URL (after checking its host);
/// - `POST` delivery: refused unless [`Verifier::verify`] accepts it; each event gets a
///   deduplication key from signed data only (its event id in the body, or a digest of the
///   body), and is claimed in the [`DedupStore`]. New events are handed over as
///   [`Delivered`] with `duplicate: false`: handle them, then call
///   [`complete`](Self::complete) (or [`abandon`](Self::abandon) when handling failed, and
///   answer 503) before sending the response. Duplicates are acknowledged (`200`).
/// - an event in flight elsewhere, a store error or a store call slower than the timeout:
///   `503` with `Retry-After`, so that Adobe retries; never a 2xx (Adobe would not resend)
///   nor a 4xx (Adobe would drop the event).
///
/// **At least once, honestly**: an event is handed over once per claim. If the process dies
/// after handling an event and before [`complete`](Self::complete) records it, the claim
/// runs out after the lease and Adobe's retry hands it over again; handling must be
/// idempotent for that window. Duplicates are recognised for [`ReceiverSettings::keep`]
/// (25 h by default) and within the store's capacity: a replay of a signed body after that
/// is new again, unless [`ReceiverSettings::max_event_age`] refuses it by its time.
///
/// [`check`](Self::check) is the pure part (verify and parse, no store, no runtime).
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
/// #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
/// use aep_flow_run::webhook::{Receiver, Received, Verifier};
///
/// let receiver = Receiver::new(Verifier::new("my-client-id"));
/// let body = br#"{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1"}"#;
/// let reception = block_on(receiver.handle("POST", "", [], body));
/// assert_eq!(reception.response.status, 200);
/// let Received::Validation(request) = reception.received else { panic!() };
/// assert_eq!(request.url().unwrap().host_str(), Some("csm.adobe.io"));
/// ```
#[derive(Debug)]
pub struct Receiver<S = MemoryStore> {
    verifier: VerifierSlot,
    store: S,
    settings: ReceiverSettings,
    keys: Option<KeyFetcher>,
}

/// The verifier, replaced whole when it changes: a reader clones the `Arc` and lets go of
/// the lock at once.
#[derive(Debug)]
pub(crate) struct VerifierSlot(RwLock<Arc<Verifier>>);

impl VerifierSlot {
    pub(crate) fn get(&self) -> Arc<Verifier> {
        // A panic while holding the lock leaves the old verifier in place: keep serving.
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Runs `change` on a copy, which then replaces the verifier.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut Verifier) -> R) -> R {
        let mut slot = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut verifier = Verifier::clone(&slot);
        let result = change(&mut verifier);
        *slot = Arc::new(verifier);
        result
    }
}

/// The answer to send to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` of the body.
    pub content_type: &'static str,
    /// The `Retry-After` header to send, in seconds (with a 503).
    pub retry_after: Option<u32>,
    /// The body.
    pub body: String,
}

impl Response {
    fn json(status: u16, body: serde_json::Value) -> Self {
        Response {
            status,
            content_type: "application/json",
            retry_after: None,
            body: body.to_string(),
        }
    }

    /// The answer to a request refused with `error`: its [status](WebhookError::status_code),
    /// `{"error": "<what failed>"}`, and `Retry-After: 60` with a 503.
    pub fn from_error(error: &WebhookError) -> Self {
        let mut response =
            Response::json(error.status_code(), json!({ "error": error.to_string() }));
        if response.status == 503 {
            response.retry_after = Some(ReceiverSettings::default().retry_after_secs);
        }
        response
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
    /// An authentic delivery.
    Delivery {
        /// The delivery's metadata headers (default when they were malformed: they are not
        /// signed and decide nothing).
        headers: DeliveryHeaders,
        /// Each event of the body, in order, marked when it is a duplicate.
        events: Vec<Delivered>,
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
    /// A refused request; the response carries the matching status.
    Rejected(WebhookError),
}

/// One event of a delivery.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivered {
    /// Its deduplication key: the event id from the body (its SHA-256 digest when longer
    /// than [`MAX_EVENT_ID_LEN`]), or for an event without one, `body-sha256:<digest of the
    /// body>#<position>`. Never from an unsigned header.
    pub key: String,
    /// The event: a flow run, an alert, or any other event, verbatim.
    pub event: Event,
    /// Whether it was handled before (or comes twice in this delivery): handle it only when
    /// `false`, and then [`complete`](Receiver::complete) it.
    pub duplicate: bool,
}

/// The outcome of the pure part of handling ([`Receiver::check`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Checked {
    /// The request is answered without the store (a challenge, a validation request, a
    /// refusal, an unreadable authentic body).
    Answered(Reception),
    /// An authentic delivery, verified and parsed: its events still to be deduplicated.
    Verified {
        /// The delivery's metadata headers.
        headers: DeliveryHeaders,
        /// Each event, with `duplicate` set only for a repeat within this delivery.
        events: Vec<Delivered>,
    },
}

impl Receiver<MemoryStore> {
    /// A receiver with an in-memory store of the default size (100 000 ids).
    pub fn new(verifier: Verifier) -> Self {
        Receiver::with_store(verifier, MemoryStore::default())
    }
}

impl<S> Receiver<S> {
    /// A receiver that records events in `store` (shared by replicas, say).
    pub fn with_store(verifier: Verifier, store: S) -> Self {
        Receiver {
            verifier: VerifierSlot(RwLock::new(Arc::new(verifier))),
            store,
            settings: ReceiverSettings::default(),
            keys: None,
        }
    }

    /// Replaces the settings ([`ReceiverSettings::keep`] is brought within 25 hours to 7
    /// days).
    pub fn with_settings(mut self, settings: ReceiverSettings) -> Self {
        self.settings = settings;
        self.settings.keep = self.settings.keep.clamp(MIN_KEEP, MAX_KEEP);
        self
    }

    /// The settings.
    pub fn settings(&self) -> &ReceiverSettings {
        &self.settings
    }

    /// Fetches the keys deliveries need through `source` (your HTTP client): before a
    /// delivery is verified, the keys it names that the verifier lacks or holds stale are
    /// fetched from `https://static.adobeioevents.com`, each key path once however many
    /// deliveries wait for it. A fetch that fails or takes longer than
    /// [`KeyFetchSettings::timeout`] makes the delivery 503 (unless its other pair
    /// verifies); a failed key path is not fetched again for a while, a held key whose
    /// refresh failed is used meanwhile, and key paths never fetched before are
    /// rate-limited ([`KeyFetchSettings`]).
    pub fn with_key_source(
        mut self,
        source: impl KeySource + 'static,
        settings: KeyFetchSettings,
    ) -> Self {
        self.keys = Some(KeyFetcher::new(Arc::new(source), settings));
        self
    }

    /// The verifier as it is now (a snapshot: keys added later are not in it).
    pub fn verifier(&self) -> Arc<Verifier> {
        self.verifier.get()
    }

    /// Changes the verifier (adds a key, say): `change` runs on a copy, which then replaces
    /// it; deliveries being verified meanwhile keep the one they started with.
    pub fn update_verifier<R>(&self, change: impl FnOnce(&mut Verifier) -> R) -> R {
        self.verifier.update(change)
    }

    /// The answer to a request refused with `error` ([`Reception::rejected`]), with this
    /// receiver's `Retry-After` when it is a 503.
    pub fn refuse(&self, error: WebhookError) -> Reception {
        let mut reception = Reception::rejected(error);
        if reception.response.status == 503 {
            reception.response.retry_after = Some(self.settings.retry_after_secs);
        }
        reception
    }

    /// Registers a public key fetched now; see [`Verifier::add_public_key_pem`].
    pub fn add_public_key_pem(&self, key_path: &str, pem: &str) -> Result<(), WebhookError> {
        self.update_verifier(|verifier| verifier.add_public_key_pem(key_path, pem))
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The pure part of handling one request: challenge, validation, size, signature,
    /// recipient and shape checks, parsing, event age, and deduplication keys. Needs no
    /// runtime and no store.
    pub fn check<'a, I>(&self, method: &str, query: &str, headers: I, body: &[u8]) -> Checked
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.check_at(method, query, headers, body, SystemTime::now())
    }

    /// [`check`](Self::check) at the time `now` (key age, event age).
    pub fn check_at<'a, I>(
        &self,
        method: &str,
        query: &str,
        headers: I,
        body: &[u8],
        now: SystemTime,
    ) -> Checked
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let answered = |reception| Checked::Answered(reception);
        let rejected = |error| Checked::Answered(self.refuse(error));
        if method.eq_ignore_ascii_case("GET") {
            return answered(match challenge_response(query) {
                Some(challenge) => Reception {
                    response: Response {
                        status: 200,
                        content_type: "text/plain; charset=utf-8",
                        retry_after: None,
                        body: challenge.clone(),
                    },
                    received: Received::Challenge(challenge),
                },
                None => Reception::rejected(WebhookError::MissingChallenge),
            });
        }
        if !method.eq_ignore_ascii_case("POST") {
            return rejected(WebhookError::MethodNotAllowed {
                method: super::error::clip(method, 32),
            });
        }
        if body.len() > self.settings.max_body_bytes {
            return rejected(WebhookError::BodyTooLarge {
                limit: self.settings.max_body_bytes,
            });
        }
        if let Some(request) = validation_request(body) {
            return answered(Reception {
                response: Response::json(200, json!({ "status": "validation request received" })),
                received: Received::Validation(request),
            });
        }
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        let verifier = self.verifier();
        if let Err(error) = verifier.verify_at(body, headers.iter().copied(), now) {
            return rejected(error);
        }
        let metadata = DeliveryHeaders::from_pairs(headers.iter().copied()).unwrap_or_default();
        let mut events = match delivered_events(body) {
            Ok(events) => events,
            Err(error) => {
                return answered(Reception {
                    response: Response::json(
                        200,
                        json!({ "received": 0, "unreadable": error.to_string() }),
                    ),
                    received: Received::Unreadable {
                        headers: metadata,
                        error,
                    },
                })
            }
        };
        // A message list carries several events in one element: count what was parsed too.
        if events.len() > verifier.max_events() {
            return rejected(WebhookError::TooManyEvents {
                limit: verifier.max_events(),
            });
        }
        if let Some(max_age) = self.settings.max_event_age {
            for (index, delivered) in events.iter().enumerate() {
                if let Some(age) = event_age(&delivered.event, now) {
                    if age > max_age {
                        return rejected(WebhookError::EventTooOld { index, age });
                    }
                }
            }
        }
        for index in 1..events.len() {
            let (earlier, rest) = events.split_at_mut(index);
            rest[0].duplicate = earlier.iter().any(|e| e.key == rest[0].key);
        }
        Checked::Verified {
            headers: metadata,
            events,
        }
    }
}

impl<S: DedupStore> Receiver<S> {
    /// Handles one request: its method, raw query string (without `?`, or with), headers as
    /// name-value pairs and raw body. Waits only on the store, each call bounded by
    /// [`ReceiverSettings::store_timeout`], and on key fetches when a key source is set
    /// ([`with_key_source`](Self::with_key_source)), each bounded by its own timeout.
    pub async fn handle<'a, I>(
        &self,
        method: &str,
        query: &str,
        headers: I,
        body: &[u8],
    ) -> Reception
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.handle_at(method, query, headers, body, SystemTime::now())
            .await
    }

    /// [`handle`](Self::handle) at the time `now` (key age, event age).
    pub async fn handle_at<'a, I>(
        &self,
        method: &str,
        query: &str,
        headers: I,
        body: &[u8],
        now: SystemTime,
    ) -> Reception
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        let mut fetch_error = None;
        if let Some(fetcher) = &self.keys {
            let urls = self.verifier().missing_keys(headers.iter().copied(), now);
            if !urls.is_empty() {
                fetch_error = fetcher.fetch_all(urls, &self.verifier).await.err();
            }
        }
        match self.check_at(method, query, headers.iter().copied(), body, now) {
            // A key that could not be fetched says more than "unknown key".
            Checked::Answered(reception) => match (fetch_error, &reception.received) {
                (
                    Some(error),
                    Received::Rejected(
                        WebhookError::UnknownKey { .. } | WebhookError::StaleKey { .. },
                    ),
                ) => self.refuse(error),
                _ => reception,
            },
            Checked::Verified { headers, events } => self.claim(headers, events).await,
        }
    }

    /// Claims the events of a verified delivery ([`Checked::Verified`]) in the store: the
    /// second half of [`handle`](Self::handle).
    pub async fn claim(&self, headers: DeliveryHeaders, mut events: Vec<Delivered>) -> Reception {
        let mut claimed: Vec<usize> = Vec::new();
        for index in 0..events.len() {
            if events[index].duplicate {
                continue;
            }
            let outcome = self
                .bounded(self.store.claim(&events[index].key, self.settings.lease))
                .await;
            let error = match outcome {
                Ok(Claim::Claimed) => {
                    claimed.push(index);
                    continue;
                }
                Ok(Claim::Done) => {
                    events[index].duplicate = true;
                    continue;
                }
                Ok(Claim::InFlight) => WebhookError::EventInFlight {
                    event_id: events[index].key.clone(),
                },
                Err(error) => error,
            };
            // Give back what this delivery claimed: Adobe's retry will claim it again.
            for &index in &claimed {
                let _ = self.bounded(self.store.release(&events[index].key)).await;
            }
            return self.refuse(error);
        }
        let new = claimed.len();
        Reception {
            response: Response::json(
                200,
                json!({
                    "received": events.len(),
                    "new": new,
                    "duplicates": events.len() - new,
                }),
            ),
            received: Received::Delivery { headers, events },
        }
    }

    /// Records the new events of a delivery as handled (duplicates are skipped), each for
    /// [`ReceiverSettings::keep`]. On an error, answer 503 ([`Response::from_error`]): the
    /// events not recorded will be delivered again.
    pub async fn complete(&self, events: &[Delivered]) -> Result<(), WebhookError> {
        for delivered in events.iter().filter(|d| !d.duplicate) {
            self.bounded(self.store.mark_done(&delivered.key, self.settings.keep))
                .await?;
        }
        Ok(())
    }

    /// Gives up the claims on the new events of a delivery whose handling failed, so that
    /// Adobe's retry (answer 503) hands them over again. Every release is tried; the first
    /// error is returned (a claim not released still ends with its lease).
    pub async fn abandon(&self, events: &[Delivered]) -> Result<(), WebhookError> {
        let mut first_error = None;
        for delivered in events.iter().filter(|d| !d.duplicate) {
            if let Err(error) = self.bounded(self.store.release(&delivered.key)).await {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn bounded<T>(&self, call: super::StoreFuture<'_, T>) -> Result<T, WebhookError> {
        let timeout = self.settings.store_timeout;
        match within(timeout, call).await {
            Some(result) => result.map_err(WebhookError::Store),
            None => Err(WebhookError::Store(StoreError::Timeout { timeout })),
        }
    }
}

#[cfg(feature = "http")]
impl<S: DedupStore> Receiver<S> {
    /// The whole exchange for a server built on the `http` crate (axum, hyper, actix through
    /// its `http` types): the request with its body bytes in, the response to send out.
    ///
    /// `handle_events` is called with the new events of an authentic delivery (duplicates
    /// left out; not called when there is none) and says whether it handled them: then they
    /// are recorded as done and the answer is `200`; if not, their claims are released and
    /// the answer is `503` with `Retry-After`, so that Adobe delivers them again. What was
    /// received is given too (a validation request's URL to confirm, say).
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
    /// #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
    /// # block_on(async {
    /// use aep_flow_run::webhook::{Receiver, Verifier};
    ///
    /// let receiver = Receiver::new(Verifier::new("my-client-id"));
    /// let request = http::Request::get("/webhook?challenge=abc").body(Vec::new()).unwrap();
    /// let (response, _) = receiver
    ///     .handle_http(&request, |events| async move {
    ///         for delivered in &events {
    ///             println!("{:?}", delivered.event.event_code());
    ///         }
    ///         true
    ///     })
    ///     .await;
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.body(), "abc");
    /// # });
    /// ```
    pub async fn handle_http<B, F, Fut>(
        &self,
        request: &http::Request<B>,
        handle_events: F,
    ) -> (http::Response<String>, Received)
    where
        B: AsRef<[u8]>,
        F: FnOnce(Vec<Delivered>) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let mut reception = self
            .handle(
                request.method().as_str(),
                request.uri().query().unwrap_or(""),
                super::header_pairs(request.headers()),
                request.body().as_ref(),
            )
            .await;
        if let Received::Delivery { events, .. } = &reception.received {
            let new: Vec<Delivered> = events.iter().filter(|d| !d.duplicate).cloned().collect();
            let outcome = if new.is_empty() {
                Ok(())
            } else if handle_events(new).await {
                self.complete(events).await
            } else {
                let _ = self.abandon(events).await;
                Err(WebhookError::HandlingFailed)
            };
            if let Err(error) = outcome {
                reception = self.refuse(error);
            }
        }
        (reception.response.to_http(), reception.received)
    }
}

#[cfg(feature = "http")]
impl Response {
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

/// The events of a verified body, each with its deduplication key: the one place that
/// knows how a body becomes what is delivered.
fn delivered_events(body: &[u8]) -> Result<Vec<Delivered>, crate::Error> {
    let events = crate::parse_events(body)?;
    let mut body_digest = None;
    Ok(events
        .into_iter()
        .enumerate()
        .map(|(index, event)| Delivered {
            key: event_key(event.event_id(), body, index, &mut body_digest),
            event,
            duplicate: false,
        })
        .collect())
}

/// The deduplication key of the event at `index` of a signed body: its id when it has one
/// of at most [`MAX_EVENT_ID_LEN`] bytes, the digest of a longer id, or the digest of the
/// body (computed once into `body_digest`) and the position.
pub(super) fn event_key(
    id: Option<&str>,
    body: &[u8],
    index: usize,
    body_digest: &mut Option<String>,
) -> String {
    match id {
        Some(id) if !id.is_empty() && id.len() <= MAX_EVENT_ID_LEN => id.to_owned(),
        Some(id) if !id.is_empty() => format!("id-sha256:{}", sha256_hex(id.as_bytes())),
        _ => {
            let digest = body_digest.get_or_insert_with(|| sha256_hex(body));
            format!("body-sha256:{digest}#{index}")
        }
    }
}

pub(super) fn sha256_hex(data: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut hex = String::with_capacity(64);
    for byte in digest.as_ref() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// How old an event is by the time its body carries (a flow run's CloudEvent `time` or
/// message `timestamp`, else its run's `updatedAt`; an alert's, else its `createdAt`);
/// `None` when it carries none.
fn event_age(event: &Event, now: SystemTime) -> Option<Duration> {
    let time = match event {
        Event::FlowRun(notification) => notification
            .published_at
            .as_ref()
            .or(notification.run.updated_at.as_ref()),
        Event::Alert(alert) => alert.published_at.as_ref().or(alert.created_at.as_ref()),
        _ => None,
    }?;
    let millis = time.to_millis()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).ok()?);
    Some(now.duration_since(at).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_signed_data_and_are_bounded() {
        let mut digest = None;
        assert_eq!(event_key(Some("e1"), b"{}", 0, &mut digest), "e1");
        assert_eq!(digest, None);
        let long = "x".repeat(60_000);
        let key = event_key(Some(&long), b"{}", 0, &mut digest);
        assert_eq!(key.len(), "id-sha256:".len() + 64);
        assert_eq!(key, event_key(Some(&long), b"other", 3, &mut None));
        let first = event_key(None, b"{}", 0, &mut digest);
        assert_eq!(
            first,
            "body-sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a#0"
        );
        assert_eq!(
            event_key(Some(""), b"{}", 1, &mut digest),
            first.replace("#0", "#1")
        );
    }

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn the_receiver_is_send_and_sync() {
        assert_send_sync::<Receiver>();
        assert_send_sync::<Receiver<Box<dyn DedupStore>>>();
    }
}
