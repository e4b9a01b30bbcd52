//! A webhook endpoint's logic, without a server: request in, answer out.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::keys::{KeyFetchSettings, KeyFetcher, KeySource};
use super::{
    challenge_response, validation_request, Answer, DeliveryHeaders, Received, SharedVerifier,
    Verifier, WebhookError,
};
use crate::deadline::Budget;
use crate::store::claims::{bounded, claim_new, new_keys, ClaimRefused};
use crate::store::DEFAULT_KEEP;
use crate::store::{keep_within, lease_within, DedupStore, EventKey, Incoming, MemoryStore};
use crate::text::{chain, clip, escaped};
use crate::Event;

/// The largest delivery body Adobe sends: a batch holds at most 2 MB (counted here as
/// 2 MiB, the generous reading).
pub const MAX_DELIVERY_BYTES: usize = 2 * 1024 * 1024;

/// The least [`ReceiverSettings::max_event_age`]: Adobe retries an event for 24 hours with
/// its original time, so a limit below that would refuse genuine retries.
const MIN_EVENT_AGE: Duration = Duration::from_secs(25 * 60 * 60);

/// What the receiver waits for and how long it keeps things; see [`Receiver`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverSettings {
    /// The largest body accepted ([`MAX_DELIVERY_BYTES`]).
    pub max_body_bytes: usize,
    /// How long a claimed event stays in flight before another delivery may claim it
    /// (default 60 s): longer than handling an event takes. Brought within 1 s to 24 h.
    pub lease: Duration,
    /// How long a handled event is remembered as done (default 7 days,
    /// [`DEFAULT_KEEP`](crate::store::DEFAULT_KEEP): the journal's retention, as the journal
    /// consumer keeps them; brought within 25 hours, Adobe's 24 h of retries and a margin,
    /// to 7 days).
    pub keep: Duration,
    /// The longest one store call may take (default 3 s).
    pub store_timeout: Duration,
    /// The longest [`Receiver::handle`] may wait in all, for keys and the store together
    /// (default 8 s, inside Adobe's 10 s): a delivery is answered in time however many calls
    /// it makes. Each call is bounded by its own timeout and by what is left. (What the
    /// application then does with the events, and [`Receiver::complete`], come after.)
    pub budget: Duration,
    /// The `Retry-After` of a 503, in seconds (default 60).
    pub retry_after_secs: u32,
    /// Events published longer ago than this are refused as replays (default 7 days, the
    /// [`keep`](Self::keep): a replay older than what the store remembers would be new
    /// again; `None` for no limit). The event's own publication time decides (a
    /// CloudEvent's `time`, a message's `timestamp`), never a run's or an alert's times,
    /// and an event that carries none is not refused. Brought to at least 25 hours: Adobe
    /// retries an event for 24 hours with its original time, and a genuine retry is never
    /// refused.
    pub max_event_age: Option<Duration>,
}

impl Default for ReceiverSettings {
    fn default() -> Self {
        ReceiverSettings {
            max_body_bytes: MAX_DELIVERY_BYTES,
            lease: Duration::from_secs(60),
            keep: DEFAULT_KEEP,
            store_timeout: Duration::from_secs(3),
            budget: Duration::from_secs(8),
            retry_after_secs: 60,
            max_event_age: Some(DEFAULT_KEEP),
        }
    }
}

impl ReceiverSettings {
    /// The settings brought within their bounds.
    fn bounded(mut self) -> Self {
        self.lease = lease_within(self.lease);
        self.keep = keep_within(self.keep);
        self.max_event_age = self.max_event_age.map(|age| age.max(MIN_EVENT_AGE));
        self
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
/// Checks run cheapest first, and nothing is fetched or parsed for a request that fails
/// one: the method, the size, the validation request (a bounded look), then the signature
/// headers; a key is fetched only for a pair whose signature could verify once it is here;
/// the body is read for its recipient only once a signature verified, and parsed last.
/// Every wait (key fetches, store calls) is bounded by [`ReceiverSettings::budget`] in all.
/// Refusals are logged through `tracing` (the check at `debug` or `info`; store failures,
/// and a body the organisation setting cannot place, at `warn`); text from the request in
/// a log line has its control characters escaped.
///
/// **At least once, honestly**: an event is handed over once per claim. If the process dies
/// after handling an event and before [`complete`](Self::complete) records it, the claim
/// runs out after the lease and Adobe's retry hands it over again; handling must be
/// idempotent for that window. Duplicates are recognised for [`ReceiverSettings::keep`]
/// (7 days by default, as the journal consumer) and within the store's capacity; a replay
/// of a signed body older than that is refused by its time
/// ([`ReceiverSettings::max_event_age`]) when its events carry one.
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

/// A request answered before anything is claimed.
type Early = Box<Answer>;

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

    /// Replaces the settings, brought within their bounds (see each of
    /// [`ReceiverSettings`]): no setting makes a delivery panic.
    pub fn with_settings(mut self, settings: ReceiverSettings) -> Self {
        self.settings = settings.bounded();
        self
    }

    /// The settings.
    pub fn settings(&self) -> &ReceiverSettings {
        &self.settings
    }

    /// Fetches the keys deliveries need through `source` (your HTTP client): when neither
    /// signature of a request verifies with the keys held, the keys it names that the
    /// verifier lacks or holds stale are fetched from `https://static.adobeioevents.com`,
    /// each key path once however many deliveries wait for it, and only for a request that
    /// passed every other check (method, size, the four signature headers, a signature of
    /// an RSA key's length). A fetch that fails or takes longer than
    /// [`KeyFetchSettings::timeout`] makes the delivery 503; a failed key path is not
    /// fetched again for a while, and a held key whose refresh failed is used meanwhile
    /// ([`KeyFetchSettings`]). A stranger's request costs at most one fetch of a path never
    /// fetched before, and cannot stop a genuine new key from being fetched.
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
        log_refusal(&error);
        Answer::refusal(error, self.settings.retry_after_secs)
    }

    /// The checks that need neither keys nor the store: the challenge, the method, the size,
    /// the validation request (a bounded look at the body). `Some` answers the request.
    fn answer_early(&self, method: &str, query: &str, body: &[u8]) -> Option<Answer> {
        if method.eq_ignore_ascii_case("GET") {
            return Some(match challenge_response(query) {
                Some(challenge) => {
                    tracing::debug!(challenge = %escaped(&challenge), "registration challenge");
                    Answer::challenge(challenge)
                }
                None => self.refuse(WebhookError::MissingChallenge),
            });
        }
        if !method.eq_ignore_ascii_case("POST") {
            let method = clip(method, 32);
            return Some(self.refuse(WebhookError::MethodNotAllowed { method }));
        }
        if body.len() > self.settings.max_body_bytes {
            let limit = self.settings.max_body_bytes;
            return Some(self.refuse(WebhookError::BodyTooLarge { limit }));
        }
        let request = validation_request(body)?;
        tracing::info!(
            url = %escaped(&request.validation_url),
            "asynchronous validation request"
        );
        Some(Answer::json(
            200,
            json!({ "status": "validation request received" }),
            Received::Validation(request),
        ))
    }

    /// The parse of an authentic body, and its events' age and keys.
    fn read_delivery(
        &self,
        verifier: &Verifier,
        headers: &[(&str, &str)],
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Early> {
        let headers = DeliveryHeaders::from_pairs(headers.iter().copied()).unwrap_or_default();
        let events = match crate::parse_events(body) {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(error = %chain(&error), "authentic delivery unreadable; acknowledged");
                return Err(Box::new(Answer::json(
                    200,
                    json!({ "received": 0, "unreadable": error.to_string() }),
                    Received::Unreadable { headers, error },
                )));
            }
        };
        self.check_age(&events, now)
            .map_err(|error| Box::new(self.refuse(error)))?;
        let client_id = verifier.recipient_client_id();
        Ok(Verified {
            headers,
            events: Incoming::from_events(client_id, events, body),
        })
    }

    /// Refuses a replay: an event published longer ago than [`ReceiverSettings::max_event_age`].
    fn check_age(&self, events: &[Event], now: SystemTime) -> Result<(), WebhookError> {
        let Some(max_age) = self.settings.max_event_age else {
            return Ok(());
        };
        for (index, event) in events.iter().enumerate() {
            if let Some(age) = event_age(event, now) {
                if age > max_age {
                    return Err(WebhookError::EventTooOld { index, age });
                }
            }
        }
        Ok(())
    }
}

impl<S: DedupStore> Receiver<S> {
    /// Handles one request: its method, raw query string (without `?`, or with), headers as
    /// name-value pairs and raw body. Waits only on key fetches (when a key source is set:
    /// [`with_key_source`](Self::with_key_source)) and on the store, each call bounded by
    /// its own timeout, and all of them together by [`ReceiverSettings::budget`].
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
        let budget = Budget::new(self.settings.budget);
        if let Some(answer) = self.answer_early(method, query, body) {
            return answer;
        }
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        let verifier = match self.verify(&headers, body, now, budget).await {
            Ok(verifier) => verifier,
            Err(error) => return self.refuse(error),
        };
        match self.read_delivery(&verifier, &headers, body, now) {
            Ok(verified) => self.claim(verified, budget).await,
            Err(answer) => *answer,
        }
    }

    /// Verifies the request with the keys held and, when it names a key the verifier lacks,
    /// holds stale, or holds longer than the key source asks to be asked again (a key file
    /// replaced, say), fetches it (a key source being set) and verifies again; gives the
    /// verifier that accepted it. A request refused before its signature is checked (a
    /// missing header, a signature of no RSA length, a refused key path) fetches nothing.
    async fn verify(
        &self,
        headers: &[(&str, &str)],
        body: &[u8],
        now: SystemTime,
        budget: Budget,
    ) -> Result<std::sync::Arc<Verifier>, WebhookError> {
        let verifier = self.verifier();
        let verdict = verifier.verify_at(body, headers.iter().copied(), now);
        let Some(fetcher) = self.keys.as_ref() else {
            return verdict.map(|()| verifier);
        };
        let checked_with_keys = matches!(
            verdict,
            Ok(())
                | Err(WebhookError::UnknownKey { .. }
                    | WebhookError::StaleKey { .. }
                    | WebhookError::SignatureMismatch)
        );
        let refresh_after = fetcher.refresh_after(&verifier);
        let mut urls = verifier.keys_due(headers.iter().copied(), now, refresh_after);
        if verdict.is_ok() {
            // Verified with a key held: only a held key the source asks to be read again is
            // fetched (a key file replaced), never the other pair's new path.
            urls.retain(|url| verifier.has_key(url.path()));
        }
        if urls.is_empty() || !checked_with_keys {
            return verdict.map(|()| verifier);
        }
        let fetched = fetcher.fetch_all(urls, &self.verifier, budget).await;
        let verifier = self.verifier();
        match (
            verifier.verify_at(body, headers.iter().copied(), now),
            fetched,
        ) {
            // A key that could not be fetched says more than "unknown key".
            (
                Err(WebhookError::UnknownKey { .. } | WebhookError::StaleKey { .. }),
                Err(fetch_error),
            ) => Err(fetch_error),
            (verdict, _) => verdict.map(|()| verifier),
        }
    }

    /// Claims the events of a verified delivery in the store, in one call.
    async fn claim(&self, verified: Verified, budget: Budget) -> Answer {
        let Verified {
            headers,
            mut events,
        } = verified;
        let claimed = claim_new(
            &self.store,
            &mut events,
            self.settings.lease,
            self.settings.store_timeout,
            budget,
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
        tracing::debug!(
            events = events.len(),
            new,
            event_id = %escaped(headers.event_id.as_deref().unwrap_or("")),
            "delivery received"
        );
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
        bounded(self.settings.store_timeout, call)
            .await
            .map_err(|error| {
                tracing::warn!(error = %chain(&error), keys = keys.len(), "completing events failed");
                WebhookError::Store(error)
            })
    }

    /// Gives up the claims on the new events of a delivery whose handling failed, in one
    /// store call, so that Adobe's retry (answer 503) hands them over again; a claim not
    /// abandoned still ends with its lease.
    pub async fn abandon(&self, events: &[Incoming]) -> Result<(), WebhookError> {
        let keys: Vec<EventKey> = new_keys(events);
        if keys.is_empty() {
            return Ok(());
        }
        let call = self.store.abandon(&keys);
        bounded(self.settings.store_timeout, call)
            .await
            .map_err(|error| {
                tracing::warn!(
                    error = %chain(&error),
                    keys = keys.len(),
                    "abandoning events failed; their claims end with the lease"
                );
                WebhookError::Store(error)
            })
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
                // A failed abandon is logged; the claims end with their lease.
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

/// How long ago an event was published, by the time its envelope carries (a CloudEvent's
/// `time`, a message's `timestamp`); `None` when it carries none. A run's or an alert's own
/// times say nothing of when it was sent: an alert that fired a week ago may be resolved,
/// and sent, today.
fn event_age(event: &Event, now: SystemTime) -> Option<Duration> {
    let time = match event {
        Event::FlowRun(notification) => notification.published_at.as_ref(),
        Event::Alert(alert) => alert.published_at.as_ref(),
        _ => None,
    }?;
    let millis = u64::try_from(time.to_millis()?).ok()?;
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(millis))?;
    Some(now.duration_since(at).unwrap_or(Duration::ZERO))
}

/// A refusal in the logs: a forged or foreign delivery at `info`, what the operator must
/// fix (a failing store, an organisation to set) at `warn`, the rest (strangers' requests)
/// at `debug`. The error's text escapes what came from the request.
fn log_refusal(error: &WebhookError) {
    let status = error.status_code();
    let text = chain(error);
    match error {
        WebhookError::Store(_) | WebhookError::HandlingFailed => {
            tracing::warn!(status, error = %text, "delivery refused")
        }
        WebhookError::OrganizationNotSet { .. } => tracing::warn!(
            status,
            error = %text,
            "delivery refused: set the organisation (Verifier::with_organization) to accept \
             alerts and message lists, or accept any (Verifier::with_any_organization)"
        ),
        WebhookError::SignatureMismatch
        | WebhookError::RecipientMismatch { .. }
        | WebhookError::OrganizationMismatch { .. }
        | WebhookError::EventTooOld { .. } => {
            tracing::info!(status, error = %text, "delivery refused")
        }
        _ => tracing::debug!(status, error = %text, "request refused"),
    }
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
