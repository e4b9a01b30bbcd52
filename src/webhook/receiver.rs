//! A webhook endpoint's logic, without a server: request in, answer out.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::keys::{KeyFetchSettings, KeyFetcher, KeySource};
use super::{
    challenge_response, validation_request, Answer, DeliveryHeaders, Received, SharedVerifier,
    Verifier, WebhookError,
};
use crate::store::claims::{bounded, claim_new, new_keys, ClaimRefused};
use crate::store::{DedupStore, EventKey, Incoming, MemoryStore};
use crate::text::clip;
use crate::Event;

/// The largest delivery body Adobe sends: a batch holds at most 2 MB (counted here as
/// 2 MiB, the generous reading).
pub const MAX_DELIVERY_BYTES: usize = 2 * 1024 * 1024;

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
/// method, raw query string, headers and raw body; it gives the [`Answer`] to send, with what
/// was [`Received`]. It is `Send + Sync` and handles requests through `&self`,
/// concurrently: no lock is held across verification, parsing or store calls (the verifier
/// is swapped whole when a key is added).
///
/// - `GET ?challenge=V`: `200`, body `V` (registration);
/// - `POST {"validationUrl": ...}`: `200`; the caller confirms the registration by fetching
///   the URL (after checking its host);
/// - `POST` delivery: refused unless [`Verifier::verify`] accepts it; each event gets a
///   deduplication key from signed data only ([`EventKey`]: its event id in the body, or a
///   digest of the body), and every event of the delivery is claimed in the [`DedupStore`]
///   in one call. New events are handed over as [`Incoming`] with `duplicate: false`
///   ([`Answer::new_events`]): handle them, then call [`complete`](Self::complete) (or
///   [`abandon`](Self::abandon) when handling failed, and answer 503) before sending the
///   answer. Duplicates are acknowledged (`200`).
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
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
/// #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
/// use aep_flow_run::webhook::{Receiver, Received, Verifier};
///
/// let receiver = Receiver::new(Verifier::new("my-client-id"));
/// let body = br#"{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1"}"#;
/// let answer = block_on(receiver.handle("POST", "", [], body));
/// assert_eq!(answer.status, 200);
/// let Received::Validation(request) = answer.received else { panic!() };
/// assert_eq!(request.url().unwrap().host_str(), Some("csm.adobe.io"));
/// ```
#[derive(Debug)]
pub struct Receiver<S = MemoryStore> {
    verifier: SharedVerifier,
    store: S,
    settings: ReceiverSettings,
    keys: Option<KeyFetcher>,
}

/// An authentic delivery, verified and parsed: its events still to be claimed.
struct Verified {
    headers: DeliveryHeaders,
    events: Vec<Incoming>,
}

impl Receiver<MemoryStore> {
    /// A receiver with an in-memory store of the default size (100 000 events); see
    /// [`with_store`](Self::with_store) for a store replicas share.
    pub fn new(verifier: Verifier) -> Self {
        Receiver {
            verifier: SharedVerifier::new(verifier),
            store: MemoryStore::default(),
            settings: ReceiverSettings::default(),
            keys: None,
        }
    }
}

impl<S> Receiver<S> {
    /// Records events in `store` instead (one that replicas share, or that survives a
    /// restart).
    pub fn with_store<T>(self, store: T) -> Receiver<T> {
        Receiver {
            verifier: self.verifier,
            store,
            settings: self.settings,
            keys: self.keys,
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
        self.keys = Some(KeyFetcher::new(std::sync::Arc::new(source), settings));
        self
    }

    /// The verifier as it is now (a snapshot: keys added later are not in it).
    pub fn verifier(&self) -> std::sync::Arc<Verifier> {
        self.verifier.get()
    }

    /// Changes the verifier (adds a key, say): `change` runs on a copy, which then replaces
    /// it; deliveries being verified meanwhile keep the one they started with.
    pub fn update_verifier<R>(&self, change: impl FnOnce(&mut Verifier) -> R) -> R {
        self.verifier.update(change)
    }

    /// Registers a public key; see [`Verifier::add_public_key_pem`].
    pub fn add_public_key_pem(&self, key_path: &str, pem: &str) -> Result<(), WebhookError> {
        self.update_verifier(|verifier| verifier.add_public_key_pem(key_path, pem))
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The answer to a request refused with `error`: its
    /// [status](WebhookError::status_code), `{"error": "<the check that failed>"}`, and this
    /// receiver's `Retry-After` with a 503. For a server that refuses a request before the
    /// receiver sees it (a body above the limit, say: [`WebhookError::BodyTooLarge`]).
    pub fn refuse(&self, error: WebhookError) -> Answer {
        Answer::refusal(error, self.settings.retry_after_secs)
    }

    /// The pure part of handling one request: challenge, validation, size, signature,
    /// recipient and shape checks, parsing, event age, and deduplication keys. `Err` holds
    /// the answer when the request needs no store.
    fn check_at(
        &self,
        method: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Box<Answer>> {
        if method.eq_ignore_ascii_case("GET") {
            return Err(Box::new(match challenge_response(query) {
                Some(challenge) => Answer::challenge(challenge),
                None => self.refuse(WebhookError::MissingChallenge),
            }));
        }
        if !method.eq_ignore_ascii_case("POST") {
            return Err(Box::new(self.refuse(WebhookError::MethodNotAllowed {
                method: clip(method, 32),
            })));
        }
        if body.len() > self.settings.max_body_bytes {
            return Err(Box::new(self.refuse(WebhookError::BodyTooLarge {
                limit: self.settings.max_body_bytes,
            })));
        }
        if let Some(request) = validation_request(body) {
            return Err(Box::new(Answer::json(
                200,
                json!({ "status": "validation request received" }),
                Received::Validation(request),
            )));
        }
        let verifier = self.verifier();
        verifier
            .verify_at(body, headers.iter().copied(), now)
            .map_err(|error| Box::new(self.refuse(error)))?;
        let headers = DeliveryHeaders::from_pairs(headers.iter().copied()).unwrap_or_default();
        let events = match crate::parse_events(body) {
            Ok(events) => events,
            Err(error) => {
                return Err(Box::new(Answer::json(
                    200,
                    json!({ "received": 0, "unreadable": error.to_string() }),
                    Received::Unreadable { headers, error },
                )))
            }
        };
        self.check_events(&verifier, &events, now)
            .map_err(|error| Box::new(self.refuse(error)))?;
        Ok(Verified {
            headers,
            events: Incoming::from_events(events, body),
        })
    }

    /// How many events, and how old.
    fn check_events(
        &self,
        verifier: &Verifier,
        events: &[Event],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        // A message list carries several events in one element: count what was parsed too.
        if events.len() > verifier.max_events() {
            return Err(WebhookError::TooManyEvents {
                limit: verifier.max_events(),
            });
        }
        if let Some(max_age) = self.settings.max_event_age {
            for (index, event) in events.iter().enumerate() {
                if let Some(age) = event_age(event, now) {
                    if age > max_age {
                        return Err(WebhookError::EventTooOld { index, age });
                    }
                }
            }
        }
        Ok(())
    }
}

impl<S: DedupStore> Receiver<S> {
    /// Handles one request: its method, raw query string (without `?`, or with), headers as
    /// name-value pairs and raw body. Waits only on the store, each call bounded by
    /// [`ReceiverSettings::store_timeout`], and on key fetches when a key source is set
    /// ([`with_key_source`](Self::with_key_source)), each bounded by its own timeout.
    pub async fn handle<'a, I>(&self, method: &str, query: &str, headers: I, body: &[u8]) -> Answer
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
    ) -> Answer
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        let mut fetch_error = None;
        if let Some(fetcher) = &self.keys {
            let verifier = self.verifier();
            let refresh_after = fetcher.refresh_after(&verifier);
            let urls = verifier.keys_due(headers.iter().copied(), now, refresh_after);
            if !urls.is_empty() {
                fetch_error = fetcher.fetch_all(urls, &self.verifier).await.err();
            }
        }
        match self.check_at(method, query, &headers, body, now) {
            Ok(verified) => self.claim(verified).await,
            // A key that could not be fetched says more than "unknown key".
            Err(answer) => match (fetch_error, &answer.received) {
                (
                    Some(error),
                    Received::Refused(
                        WebhookError::UnknownKey { .. } | WebhookError::StaleKey { .. },
                    ),
                ) => self.refuse(error),
                _ => *answer,
            },
        }
    }

    /// Claims the events of a verified delivery in the store, in one call.
    async fn claim(&self, verified: Verified) -> Answer {
        let Verified {
            headers,
            mut events,
        } = verified;
        let claimed = claim_new(
            &self.store,
            &mut events,
            self.settings.lease,
            self.settings.store_timeout,
        )
        .await;
        let new = match claimed {
            Ok(claimed) => claimed.len(),
            Err(ClaimRefused::InFlight(key)) => {
                return self.refuse(WebhookError::EventInFlight {
                    event_id: key.to_string(),
                })
            }
            Err(ClaimRefused::Store(error)) => return self.refuse(WebhookError::Store(error)),
        };
        Answer::json(
            200,
            json!({
                "received": events.len(),
                "new": new,
                "duplicates": events.len() - new,
            }),
            Received::Delivery { headers, events },
        )
    }

    /// Records the new events of a delivery as handled (duplicates are skipped), each for
    /// [`ReceiverSettings::keep`], in one store call. On an error, answer 503
    /// ([`refuse`](Self::refuse)): the events not recorded will be delivered again.
    pub async fn complete(&self, events: &[Incoming]) -> Result<(), WebhookError> {
        let keys = new_keys(events);
        if keys.is_empty() {
            return Ok(());
        }
        let call = self.store.complete(&keys, self.settings.keep);
        Ok(bounded(self.settings.store_timeout, call).await?)
    }

    /// Gives up the claims on the new events of a delivery whose handling failed, in one
    /// store call, so that Adobe's retry (answer 503) hands them over again; a claim not
    /// abandoned still ends with its lease.
    pub async fn abandon(&self, events: &[Incoming]) -> Result<(), WebhookError> {
        let keys: Vec<EventKey> = new_keys(events);
        if keys.is_empty() {
            return Ok(());
        }
        Ok(bounded(self.settings.store_timeout, self.store.abandon(&keys)).await?)
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
    ///         for incoming in &events {
    ///             println!("{:?}", incoming.event.event_code());
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
        F: FnOnce(Vec<Incoming>) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let mut answer = self
            .handle(
                request.method().as_str(),
                request.uri().query().unwrap_or(""),
                super::header_pairs(request.headers()),
                request.body().as_ref(),
            )
            .await;
        let new: Vec<Incoming> = answer.new_events().cloned().collect();
        if !new.is_empty() {
            let outcome = if handle_events(new.clone()).await {
                self.complete(&new).await
            } else {
                let _ = self.abandon(&new).await;
                Err(WebhookError::HandlingFailed)
            };
            if let Err(error) = outcome {
                answer = self.refuse(error);
            }
        }
        (answer.to_http(), answer.received)
    }
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

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn the_receiver_is_send_and_sync() {
        assert_send_sync::<Receiver>();
        assert_send_sync::<Receiver<Box<dyn DedupStore>>>();
    }
}
