//! Catching up from the I/O Events journal (feature `fetch`): pages of events, followed by
//! their `rel="next"` links, positions checkpointed once the application has them, events
//! deduplicated through the webhook's store.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use url::Url;

use super::checkpoint::{Checkpoint, CheckpointError, MemoryCheckpoint};
use super::client::{Fetched, HttpsClient, SendError};
use super::clock::{Clock, SystemClock};
use super::deadline::within;
use super::journal::{next_link, read_outline, PageInfo};
use super::journal_url::{JournalStart, JournalUrl, JournalUrlError};
use super::receiver::{event_key, sha256_hex};
use super::token::{TokenError, TokenProvider};
use super::{Claim, DedupStore, MemoryStore, StoreError, StoreFuture, WebhookError};
use crate::Event;

/// The shortest time a handled event is remembered: Adobe retries a webhook for 24 hours.
const MIN_KEEP: Duration = Duration::from_secs(25 * 60 * 60);
/// The longest, and the consumer's default: the journal's retention.
const MAX_KEEP: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How a [`JournalConsumer`] pages, waits and remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalSettings {
    /// `limit`: the most events per page (default: the journal's default).
    pub limit: Option<u32>,
    /// How long an event claimed from a page stays in flight in the [`DedupStore`] before
    /// another reader may claim it (default 5 minutes): longer than handling a page takes.
    pub lease: Duration,
    /// How long a handled event is remembered as done (default 7 days, the journal's
    /// retention; brought within 25 hours to 7 days).
    pub keep: Duration,
    /// The longest a store call may take (default 3 s).
    pub store_timeout: Duration,
    /// The wait after a `204` or `429` that carries no `Retry-After` (default 10 s, what
    /// Adobe sends).
    pub default_wait: Duration,
    /// The longest `Retry-After` honoured (default 5 minutes); a longer one is cut to it.
    pub max_wait: Duration,
    /// The first wait after a `5xx` or a failed connection (default 1 s), doubled on each
    /// failure up to [`max_backoff`](Self::max_backoff).
    pub first_backoff: Duration,
    /// The longest wait between failed attempts (default 60 s).
    pub max_backoff: Duration,
    /// How many attempts in a row may fail (`5xx`, no connection) before
    /// [`JournalConsumer::poll`] gives up with [`JournalError::Unavailable`] (default 6).
    pub max_attempts: u32,
    /// The wait before reading a page again when one of its events is being handled
    /// elsewhere (claimed by the webhook, say; default 5 s).
    pub in_flight_wait: Duration,
    /// The largest page read (default 4 MiB; Adobe caps a page at 1.5 MB); a larger one is
    /// [`JournalError::Malformed`] (lower [`limit`](Self::limit) to read it).
    pub max_page_bytes: usize,
}

impl Default for JournalSettings {
    fn default() -> Self {
        JournalSettings {
            limit: None,
            lease: Duration::from_secs(300),
            keep: MAX_KEEP,
            store_timeout: Duration::from_secs(3),
            default_wait: Duration::from_secs(10),
            max_wait: Duration::from_secs(300),
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_attempts: 6,
            in_flight_wait: Duration::from_secs(5),
            max_page_bytes: 4 * 1024 * 1024,
        }
    }
}

/// The ways to start again after a position expired ([`JournalError::Expired`]), as
/// [`JournalConsumer::reset`] takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JournalReset {
    /// From the oldest event still held ([`JournalStart::Oldest`]): nothing still held is
    /// missed; events already handled are recognised by the deduplication store.
    Oldest,
    /// From the end ([`JournalStart::Latest`]): every event still held is skipped.
    Latest,
    /// From a point in time ([`JournalStart::Seek`]).
    Seek,
}

/// The three ways out of an expired position.
pub const RESET_CHOICES: [JournalReset; 3] = [
    JournalReset::Oldest,
    JournalReset::Latest,
    JournalReset::Seek,
];

/// Why the journal could not be read. Each variant says what and where; none advances the
/// position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// `410 Gone`: the position is older than the journal's 7 days. Start again with
    /// [`JournalConsumer::reset`], choosing one of `choices`.
    #[error("journal position {} has expired: {url} answered 410 Gone ({message}); reset to the oldest event, to the latest, or by seek", position.as_deref().unwrap_or("(none)"))]
    Expired {
        /// The request URL.
        url: String,
        /// The position read from (`None` when the request had none).
        position: Option<String>,
        /// What the journal said (the start of the body).
        message: String,
        /// The ways to start again.
        choices: [JournalReset; 3],
    },
    /// A `200` whose body is no journal page (not JSON, no `events` array, a value of the
    /// wrong type in an event, no position to continue from, larger than
    /// [`JournalSettings::max_page_bytes`]): nothing of it is handed over and the position
    /// stays where it was.
    #[error("malformed journal page at {url} (after position {}): {reason}", position.as_deref().unwrap_or("(none)"))]
    Malformed {
        /// The request URL.
        url: String,
        /// The position the page was read after.
        position: Option<String>,
        /// What is wrong, with the path in the body when it is known.
        reason: String,
    },
    /// A `Link: rel="next"` to another scheme, host or port (or with credentials): not
    /// followed, since the next request would carry the bearer token there.
    #[error("journal response from {url} links to another origin: {link}")]
    ForeignLink {
        /// The request URL.
        url: String,
        /// The resolved link (at most 200 characters).
        link: String,
    },
    /// A status the consumer does not retry (`400`, `401` twice, `403`, `404`, ...).
    #[error("journal request {url} answered {status}: {message}")]
    Status {
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        message: String,
    },
    /// `5xx` answers or failed connections, `attempts` times in a row.
    #[error("journal unavailable at {url} after {attempts} attempts: {reason}")]
    Unavailable {
        /// The request URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// An event of the page stayed claimed elsewhere for longer than a lease.
    #[error("event {key:?} of the page at {url} is still being handled elsewhere")]
    EventInFlight {
        /// The request URL.
        url: String,
        /// The event's deduplication key.
        key: String,
    },
    /// [`JournalConsumer::acknowledge`] or [`abandon`](JournalConsumer::abandon) of a page
    /// that is not the one last polled (or was already acknowledged).
    #[error("this page is not the one last polled, or it was acknowledged already")]
    NotPending,
    /// No access token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The checkpoint store failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The deduplication store failed or did not answer in time.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The journal URL or start is invalid.
    #[error(transparent)]
    Url(#[from] JournalUrlError),
}

/// One event of a page, with its deduplication key.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalEvent {
    /// The event; its journal position in [`Event::journal_position`].
    pub event: Event,
    /// The key it was claimed by in the [`DedupStore`]: its event id (the same key the
    /// webhook [`Receiver`](super::Receiver) uses, so that an event handled from either path
    /// is not handled from the other), or its journal position when it has no id.
    pub key: String,
    /// Handled already (from the webhook, an earlier page, or earlier on this page): leave
    /// it.
    pub duplicate: bool,
}

/// A page of the journal, as [`JournalConsumer::poll`] gives it: handle its new events, then
/// [`acknowledge`](JournalConsumer::acknowledge) it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalBatch {
    /// Every event of the page, in page order, duplicates flagged.
    pub events: Vec<JournalEvent>,
    /// The page's `_page` object.
    pub page: PageInfo,
    /// The URL the page was read from.
    pub url: Url,
    /// The position acknowledging the page saves.
    pub position: Option<String>,
    sequence: u64,
}

impl JournalBatch {
    /// The events not handled before, each once.
    pub fn new_events(&self) -> impl Iterator<Item = &Event> {
        self.events
            .iter()
            .filter(|event| !event.duplicate)
            .map(|event| &event.event)
    }
}

/// What one [`JournalConsumer::poll`] found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Polled {
    /// A page of events.
    Page(JournalBatch),
    /// `204 No Content`: no newer event yet. The next poll waits `retry_after` first.
    End {
        /// How long the journal asked to wait.
        retry_after: Duration,
    },
}

/// The page polled last and not yet acknowledged.
#[derive(Debug)]
struct Pending {
    sequence: u64,
    /// Keys this page claimed.
    claimed: Vec<String>,
    next: Url,
    position: Option<String>,
}

/// Reads an I/O Events journal from a start, page after page, and loses nothing.
///
/// - Each [`poll`](Self::poll) reads one page and hands over its events; the next page is
///   read from the `Link: <...>; rel="next"` of the response, resolved against the request
///   URL and refused ([`JournalError::ForeignLink`]) when it leaves its scheme, host and port.
/// - `204 No Content` is [`Polled::End`]; the next poll first waits its `Retry-After`. A
///   `429` is waited out the same way, `5xx` and failed connections are retried with a
///   doubling backoff (all through the [`Clock`], so tests wait for nothing); `410 Gone` is
///   [`JournalError::Expired`], with the ways to [`reset`](Self::reset); a page that does not
///   read is [`JournalError::Malformed`] with the position, never skipped.
/// - The position moves only when the application [`acknowledge`](Self::acknowledge)s a
///   page: then it is saved in the [`Checkpoint`], and a consumer built later with the same
///   checkpoint resumes after it. A page polled again before it is acknowledged is read
///   again from the journal.
/// - Every event is claimed in the [`DedupStore`] by its event id, as the webhook
///   [`Receiver`](super::Receiver) claims it: share the store, and an event handled from a
///   delivery is flagged [`duplicate`](JournalEvent::duplicate) here, and the other way round
///   (acknowledging marks the page's events done for [`JournalSettings::keep`], 7 days by
///   default; set the receiver's [`keep`](super::ReceiverSettings::keep) to 7 days as well,
///   so that a backfill reaching back further than its default 25 hours still recognises
///   what the webhook handled). An event repeated on a page, or on a later one, is flagged
///   too. An event the webhook is handling at that moment (claimed, not yet done) makes the
///   consumer read the page again after [`JournalSettings::in_flight_wait`].
///
/// Calls carry `Authorization: Bearer` (from the [`TokenProvider`]; a `401` renews the token
/// once), `x-api-key` (the client id) and `x-ims-org-id` when set. Needs a tokio runtime.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use aep_flow_run::webhook::{
///     ImsCredentials, ImsTokenProvider, JournalConsumer, JournalStart, MemoryCheckpoint, Polled,
/// };
///
/// let credentials = ImsCredentials::new("client-id", "client-secret", "adobeio_api");
/// let journal = url::Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r")?;
/// let mut consumer = JournalConsumer::new(journal, "client-id", ImsTokenProvider::new(credentials))?
///     .with_org_id("ORG@AdobeOrg")
///     .with_start(JournalStart::Seek("-PT2H".to_owned()))
///     .with_checkpoint(Arc::new(MemoryCheckpoint::default()));
/// loop {
///     match consumer.poll().await? {
///         Polled::Page(page) => {
///             for event in page.new_events() {
///                 println!("{:?} {:?}", event.kind(), event.event_id());
///             }
///             consumer.acknowledge(&page).await?;
///         }
///         Polled::End { .. } => break, // caught up
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct JournalConsumer {
    journal: Url,
    name: String,
    start: JournalStart,
    api_key: String,
    org_id: Option<String>,
    tokens: Arc<dyn TokenProvider>,
    checkpoint: Arc<dyn Checkpoint>,
    store: Arc<dyn DedupStore>,
    clock: Arc<dyn Clock>,
    client: HttpsClient,
    settings: JournalSettings,
    /// Where the next poll goes (`None` until the checkpoint is read).
    next: Option<Url>,
    /// The position of the last page acknowledged (or loaded).
    position: Option<String>,
    /// No request before this time (`Retry-After` of a `204`).
    not_before: Option<SystemTime>,
    pending: Option<Pending>,
    sequence: u64,
    /// The event that made the last page read wait (in flight elsewhere).
    in_flight_key: Option<String>,
}

impl std::fmt::Debug for JournalConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalConsumer")
            .field("journal", &self.journal.as_str())
            .field("name", &self.name)
            .field("start", &self.start)
            .field("org_id", &self.org_id)
            .field("settings", &self.settings)
            .field("next", &self.next.as_ref().map(Url::as_str))
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl JournalConsumer {
    /// A consumer of the journal at `journal` (the registration's journal URL, `https`; any
    /// `since`, `seek`, `latest` or `limit` in it is dropped), calling with `api_key` (the
    /// credential's client id) and the tokens of `tokens`. It starts from the oldest event
    /// unless [`with_start`](Self::with_start) says otherwise or the checkpoint holds a
    /// position; positions are kept in a [`MemoryCheckpoint`] and events deduplicated in a
    /// [`MemoryStore`] unless others are given.
    pub fn new(
        journal: Url,
        api_key: impl Into<String>,
        tokens: impl TokenProvider + 'static,
    ) -> Result<Self, JournalError> {
        JournalUrl::from_url(journal.clone()).and_then(|url| url.build())?;
        let mut name = journal.clone();
        name.set_query(None);
        Ok(JournalConsumer {
            journal,
            name: name.to_string(),
            start: JournalStart::Oldest,
            api_key: api_key.into(),
            org_id: None,
            tokens: Arc::new(tokens),
            checkpoint: Arc::new(MemoryCheckpoint::default()),
            store: Arc::new(MemoryStore::new(100_000)),
            clock: Arc::new(SystemClock),
            client: HttpsClient::new(),
            settings: JournalSettings::default(),
            next: None,
            position: None,
            not_before: None,
            pending: None,
            sequence: 0,
            in_flight_key: None,
        })
    }

    /// Where to start when the checkpoint holds no position.
    pub fn with_start(mut self, start: JournalStart) -> Self {
        self.start = start;
        self
    }

    /// Sends `x-ims-org-id: org_id` (`...@AdobeOrg`).
    pub fn with_org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// Keeps positions in `checkpoint`.
    pub fn with_checkpoint(mut self, checkpoint: Arc<dyn Checkpoint>) -> Self {
        self.checkpoint = checkpoint;
        self
    }

    /// The name positions are saved under (default: the journal URL without its query).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Deduplicates through `store`: give it the webhook receiver's store.
    pub fn with_dedup(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.store = store;
        self
    }

    /// Waits and tells time through `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls through `client` (other roots, a fixed address).
    pub fn with_client(mut self, client: HttpsClient) -> Self {
        self.client = client;
        self
    }

    /// Replaces the settings (`keep` brought within 25 hours to 7 days).
    pub fn with_settings(mut self, mut settings: JournalSettings) -> Self {
        settings.keep = settings.keep.clamp(MIN_KEEP, MAX_KEEP);
        self.settings = settings;
        self
    }

    /// The position of the last page acknowledged (or loaded from the checkpoint).
    pub fn position(&self) -> Option<&str> {
        self.position.as_deref()
    }

    /// Starts again from `start` (after [`JournalError::Expired`]): the next poll reads
    /// from there. The checkpoint keeps the expired position until a page read from the
    /// new start is acknowledged.
    pub async fn reset(&mut self, start: JournalStart) -> Result<(), JournalError> {
        self.release_pending().await;
        let url = self.url_from(&start)?;
        self.start = start;
        self.next = Some(url);
        self.position = None;
        self.not_before = None;
        Ok(())
    }

    fn url_from(&self, start: &JournalStart) -> Result<Url, JournalError> {
        let mut url = JournalUrl::from_url(self.journal.clone())?.start(start);
        if let Some(limit) = self.settings.limit {
            url = url.limit(limit);
        }
        Ok(url.build()?)
    }

    async fn next_url(&mut self) -> Result<Url, JournalError> {
        if let Some(next) = &self.next {
            return Ok(next.clone());
        }
        let url = match self.checkpoint.load(&self.name).await? {
            Some(position) if !position.is_empty() => {
                let url = self.url_from(&JournalStart::Since(position.clone()))?;
                self.position = Some(position);
                url
            }
            _ => self.url_from(&self.start)?,
        };
        self.next = Some(url.clone());
        Ok(url)
    }

    async fn bounded<T>(&self, call: StoreFuture<'_, T>) -> Result<T, JournalError> {
        let timeout = self.settings.store_timeout;
        match within(timeout, call).await {
            Some(result) => Ok(result?),
            None => Err(StoreError::Timeout { timeout }.into()),
        }
    }

    /// Gives up the claims of a page polled and not acknowledged.
    async fn release_pending(&mut self) {
        if let Some(pending) = self.pending.take() {
            for key in &pending.claimed {
                let _ = self.bounded(self.store.release(key)).await;
            }
        }
    }

    /// Reads the next page, or learns that there is none yet; see [`JournalConsumer`]. A page
    /// polled before and not acknowledged is read again (its claims released first).
    ///
    /// It waits as the journal asks: a `429` is retried after its `Retry-After` for as long
    /// as the journal answers so; `5xx` answers and failed connections
    /// [`max_attempts`](JournalSettings::max_attempts) times in a row end it. A poll dropped
    /// before it returns moves nothing; claims it made run out with their lease.
    pub async fn poll(&mut self) -> Result<Polled, JournalError> {
        self.release_pending().await;
        let url = self.next_url().await?;
        if let Some(not_before) = self.not_before {
            if let Ok(wait) = not_before.duration_since(self.clock.now()) {
                self.clock.sleep(wait).await;
            }
            // Cleared once waited out: a poll dropped while it waits leaves the wait owed.
            self.not_before = None;
        }
        let mut failures = 0u32;
        let mut renewed_token = false;
        let mut waited_in_flight = Duration::ZERO;
        loop {
            let response = self.get(&url).await?;
            let response = match response {
                Ok(response) => response,
                // A page too large to read is no gap to step over.
                Err(error @ SendError::TooLarge { .. }) => {
                    return Err(JournalError::Malformed {
                        url: url.to_string(),
                        position: since_of(&url),
                        reason: error.to_string(),
                    })
                }
                Err(error) => {
                    failures += 1;
                    self.back_off(&url, failures, error.to_string(), None)
                        .await?;
                    continue;
                }
            };
            match response.status {
                200 => match self.read_page(&url, &response).await? {
                    Some(polled) => return Ok(polled),
                    None => {
                        // An event is being handled elsewhere: read the page again later.
                        waited_in_flight += self.settings.in_flight_wait;
                        if waited_in_flight > self.settings.lease {
                            return Err(JournalError::EventInFlight {
                                url: url.to_string(),
                                key: self.in_flight_key.take().unwrap_or_default(),
                            });
                        }
                        self.clock.sleep(self.settings.in_flight_wait).await;
                    }
                },
                204 => return self.read_end(&url, &response).await,
                429 => {
                    let wait = self.retry_after(&response);
                    self.clock.sleep(wait).await;
                }
                401 if !renewed_token => {
                    renewed_token = true;
                    self.tokens.invalidate();
                }
                410 => {
                    return Err(JournalError::Expired {
                        url: url.to_string(),
                        position: since_of(&url),
                        message: body_text(&response.body),
                        choices: RESET_CHOICES,
                    })
                }
                status @ 500..=599 => {
                    failures += 1;
                    let reason = format!("status {status}: {}", body_text(&response.body));
                    let hinted = response
                        .headers
                        .contains_key(http::header::RETRY_AFTER)
                        .then(|| self.retry_after(&response));
                    self.back_off(&url, failures, reason, hinted).await?;
                }
                status => {
                    return Err(JournalError::Status {
                        url: url.to_string(),
                        status,
                        message: body_text(&response.body),
                    })
                }
            }
        }
    }

    /// Polls until a page comes, waiting out each end of the journal: for a consumer that
    /// follows the journal for good.
    pub async fn next_page(&mut self) -> Result<JournalBatch, JournalError> {
        loop {
            if let Polled::Page(page) = self.poll().await? {
                return Ok(page);
            }
        }
    }

    async fn get(&self, url: &Url) -> Result<Result<Fetched, SendError>, JournalError> {
        let token = self.tokens.token().await?;
        let mut headers = vec![
            (
                http::header::AUTHORIZATION,
                format!("Bearer {}", token.secret()),
            ),
            (
                http::HeaderName::from_static("x-api-key"),
                self.api_key.clone(),
            ),
            (http::header::ACCEPT, "application/json".to_owned()),
        ];
        if let Some(org_id) = &self.org_id {
            headers.push((
                http::HeaderName::from_static("x-ims-org-id"),
                org_id.clone(),
            ));
        }
        Ok(self
            .client
            .send(
                http::Method::GET,
                url,
                &headers,
                None,
                self.settings.max_page_bytes,
            )
            .await)
    }

    async fn back_off(
        &self,
        url: &Url,
        failures: u32,
        reason: String,
        hinted: Option<Duration>,
    ) -> Result<(), JournalError> {
        if failures >= self.settings.max_attempts.max(1) {
            return Err(JournalError::Unavailable {
                url: url.to_string(),
                attempts: failures,
                reason,
            });
        }
        let doubled = self
            .settings
            .first_backoff
            .saturating_mul(1u32 << (failures - 1).min(16));
        let wait = doubled
            .min(self.settings.max_backoff)
            .max(hinted.unwrap_or(Duration::ZERO));
        self.clock.sleep(wait).await;
        Ok(())
    }

    /// The wait a response's `Retry-After` asks for (seconds or an HTTP date), within
    /// [`JournalSettings::max_wait`]; the default wait when it has none.
    fn retry_after(&self, response: &Fetched) -> Duration {
        let value = response
            .headers
            .get(http::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim);
        let wait = value.and_then(|value| match value.parse::<u64>() {
            Ok(seconds) => Some(Duration::from_secs(seconds)),
            Err(_) => chrono::DateTime::parse_from_rfc2822(value)
                .ok()
                .map(|date| {
                    let at = SystemTime::from(date.with_timezone(&chrono::Utc));
                    at.duration_since(self.clock.now())
                        .unwrap_or(Duration::ZERO)
                }),
        });
        wait.unwrap_or(self.settings.default_wait)
            .min(self.settings.max_wait)
    }

    fn link(&self, url: &Url, response: &Fetched) -> Result<Option<Url>, JournalError> {
        // Several `Link` headers are one list.
        let joined = response
            .headers
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ");
        if joined.is_empty() {
            return Ok(None);
        }
        next_link(&joined, url).map_err(|error| match error {
            WebhookError::ForeignLink { link } => JournalError::ForeignLink {
                url: url.to_string(),
                link,
            },
            other => JournalError::Malformed {
                url: url.to_string(),
                position: since_of(url),
                reason: other.to_string(),
            },
        })
    }

    async fn read_end(&mut self, url: &Url, response: &Fetched) -> Result<Polled, JournalError> {
        let next = self.link(url, response)?.unwrap_or_else(|| url.clone());
        let retry_after = self.retry_after(response);
        // A 204 hands nothing over: its position (after `latest`, the end of the journal) is
        // saved, so that a restart does not jump to a newer end.
        if let Some(position) = since_of(&next) {
            if self.position.as_deref() != Some(&position) {
                self.checkpoint.save(&self.name, &position).await?;
                self.position = Some(position);
            }
        }
        self.next = Some(next);
        self.not_before = Some(self.clock.now() + retry_after);
        Ok(Polled::End { retry_after })
    }

    /// Reads a 200: `None` when an event of it is being handled elsewhere.
    async fn read_page(
        &mut self,
        url: &Url,
        response: &Fetched,
    ) -> Result<Option<Polled>, JournalError> {
        let malformed = |reason: String| JournalError::Malformed {
            url: url.to_string(),
            position: since_of(url),
            reason,
        };
        let events =
            crate::parse_events(&response.body).map_err(|error| malformed(format!("{error}")))?;
        let page = read_outline(&response.body).map_err(|error| malformed(error.to_string()))?;
        let link = self.link(url, response)?;
        let position = link
            .as_ref()
            .and_then(since_of)
            .or_else(|| page.last.clone())
            .or_else(|| {
                events
                    .iter()
                    .rev()
                    .find_map(|event| event.journal_position().map(str::to_owned))
            });
        let next = match (link, &position) {
            (Some(link), _) => link,
            (None, Some(position)) => self.url_from(&JournalStart::Since(position.clone()))?,
            (None, None) if events.is_empty() => url.clone(),
            (None, None) => {
                return Err(malformed(
                    "no `rel=\"next\"` link and no position to continue from".to_owned(),
                ))
            }
        };
        let mut claimed: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut batch_events = Vec::with_capacity(events.len());
        for (index, event) in events.into_iter().enumerate() {
            let key = journal_key(&event, index);
            let duplicate = if !seen.insert(key.clone()) {
                true
            } else {
                let claim = self
                    .bounded(self.store.claim(&key, self.settings.lease))
                    .await;
                match claim {
                    Ok(Claim::Claimed) => {
                        claimed.push(key.clone());
                        false
                    }
                    Ok(Claim::Done) => true,
                    Ok(Claim::InFlight) | Err(_) => {
                        for key in &claimed {
                            let _ = self.bounded(self.store.release(key)).await;
                        }
                        claim?;
                        self.in_flight_key = Some(key);
                        return Ok(None);
                    }
                }
            };
            batch_events.push(JournalEvent {
                event,
                key,
                duplicate,
            });
        }
        self.sequence += 1;
        self.pending = Some(Pending {
            sequence: self.sequence,
            claimed,
            next,
            position: position.clone(),
        });
        Ok(Some(Polled::Page(JournalBatch {
            events: batch_events,
            page,
            url: url.clone(),
            position,
            sequence: self.sequence,
        })))
    }

    /// Records that the application handled `page`: its new events are marked done in the
    /// deduplication store, its position saved in the checkpoint, and the next poll reads
    /// the page after it. On an error nothing moves; acknowledge again, or poll to read the
    /// page again.
    pub async fn acknowledge(&mut self, page: &JournalBatch) -> Result<(), JournalError> {
        let Some(pending) = self
            .pending
            .as_ref()
            .filter(|p| p.sequence == page.sequence)
        else {
            return Err(JournalError::NotPending);
        };
        for key in &pending.claimed {
            self.bounded(self.store.mark_done(key, self.settings.keep))
                .await?;
        }
        if let Some(position) = &pending.position {
            if self.position.as_deref() != Some(position) {
                self.checkpoint.save(&self.name, position).await?;
            }
        }
        let pending = self.pending.take().expect("checked above");
        self.position = pending.position.or(self.position.take());
        self.next = Some(pending.next);
        Ok(())
    }

    /// Gives `page` back (its handling failed): its claims are released, and the next poll
    /// reads it again.
    pub async fn abandon(&mut self, page: &JournalBatch) -> Result<(), JournalError> {
        if self
            .pending
            .as_ref()
            .is_none_or(|pending| pending.sequence != page.sequence)
        {
            return Err(JournalError::NotPending);
        }
        self.release_pending().await;
        Ok(())
    }
}

/// The `since` of a journal URL.
fn since_of(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(name, _)| name == "since")
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty())
}

/// The start of a response body, for an error.
fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "empty body".to_owned()
    } else {
        super::error::clip(text, 200)
    }
}

/// The deduplication key of a journal event: the webhook's key for its event id, else its
/// position, else a digest of the event as written back.
fn journal_key(event: &Event, index: usize) -> String {
    if let Some(id) = event.event_id().filter(|id| !id.is_empty()) {
        return event_key(Some(id), b"", index, &mut None);
    }
    if let Some(position) = event.journal_position().filter(|p| !p.is_empty()) {
        return if position.len() <= 100 {
            format!("journal-position:{position}")
        } else {
            format!(
                "journal-position-sha256:{}",
                sha256_hex(position.as_bytes())
            )
        };
    }
    let written = serde_json::to_vec(event).unwrap_or_default();
    format!("journal-event-sha256:{}", sha256_hex(&written))
}
