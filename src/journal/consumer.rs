//! Catching up from the I/O Events journal (feature `fetch`): pages of events, followed by
//! their `rel="next"` links, positions checkpointed once the application has them, events
//! deduplicated through the webhook's store.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use url::Url;

use super::client::{Fetched, HttpsClient, SendError};
use super::clock::{Clock, SystemClock};
use super::link::{next_link, since_of};
use super::page::{body_text, check_position, malformed};
use super::settings::{MAX_READER_LEASE, MIN_INTERVAL, MIN_READER_LEASE};
use super::token::TokenProvider;
use super::{JournalError, JournalPage, JournalSettings, JournalStart, JournalUrl, Polled};
use crate::deadline::{time_after, Budget};
use crate::store::claims::{bounded, claim_new, ClaimRefused};
use crate::store::{
    keep_within, lease_within, Checkpoint, DedupStore, EventKey, Lease, MemoryStore,
};
use crate::text::{chain, escaped};

/// The page polled last and not yet completed.
#[derive(Debug)]
struct Pending {
    sequence: u64,
    /// Keys this page claimed.
    claimed: Vec<EventKey>,
    next: Url,
    position: Option<String>,
}

/// What a `200` held.
enum Read {
    /// A page, its events claimed.
    Page(Box<JournalPage>),
    /// An event of the page is being handled elsewhere.
    InFlight(EventKey),
    /// No event, and nowhere to go from it: as good as a `204`.
    Empty,
}

/// Reads an I/O Events journal from a start, page after page, and loses nothing.
///
/// - Each [`poll`](Self::poll) reads one page and hands over its events; the next page is
///   read from the `Link: <...>; rel="next"` of the response, resolved against the request
///   URL and refused ([`JournalError::ForeignLink`]) when it leaves its scheme, host and port.
/// - `204 No Content` is [`Polled::CaughtUp`]; the next poll first waits its `Retry-After`;
///   so is a page with no event and nowhere to go from it (no `next` link, no position). A
///   `429` is waited out the same way, at most [`JournalSettings::max_throttled`] times in a
///   row; `5xx` and failed connections are retried with a doubling backoff (all through the
///   [`Clock`], so tests wait for nothing). Two requests are never sent less than a second
///   apart, whatever `Retry-After` says. `410 Gone` is [`JournalError::Expired`], then
///   [`reset`](Self::reset) to start again; a page that does not read (not a page, larger
///   than [`JournalSettings::max_page_bytes`], a position longer than 1 KB) is
///   [`JournalError::Malformed`] with the position, never skipped.
/// - The position moves only when the application [`complete`](Self::complete)s a page:
///   then it is saved in the [`Checkpoint`], and a consumer built later with the same
///   checkpoint resumes after it ([`load`](Self::load) reads it before the first poll). A
///   page polled again before it is completed is read again from the journal. (One
///   exception, so that a restart does not skip events: the end position a first `204`
///   names after a `latest` or `seek` start is saved when the checkpoint holds none yet.)
/// - Replicas may each run a consumer of the same journal on a shared checkpoint
///   ([`RedisStore`](crate::store::RedisStore)): one at a time holds the checkpoint's
///   [reading lease](crate::store::Checkpoint#the-reading-lease) and reads; the others'
///   polls answer [`Polled::ReadElsewhere`] until it stops ([`stop`](Self::stop)) or its
///   lease runs out ([`JournalSettings::reader_lease`]), and the one that takes over resumes
///   from the saved position. A position is saved only under the lease.
/// - Every event of a page is claimed in the [`DedupStore`] by its [`EventKey`] (scoped by
///   the client id, the registration's), in one call, as the webhook
///   [`Receiver`](crate::webhook::Receiver) claims it: share the store, and an event handled
///   from a delivery is flagged [`duplicate`](crate::store::Incoming::duplicate) here, and
///   the other way round (both remember handled events for 7 days by default,
///   [`DEFAULT_KEEP`](crate::store::DEFAULT_KEEP), the journal's retention). An event
///   repeated on a page, or on a later one, is flagged too. An event the webhook is handling
///   at that moment (claimed, not yet done) makes the consumer read the page again after
///   [`JournalSettings::in_flight_wait`].
///
/// Calls carry `Authorization: Bearer` (from the [`TokenProvider`]; a `401` renews the token
/// once), `x-api-key` (the client id) and `x-ims-org-id` when set. Waits, retries and
/// failures are logged through `tracing`. Needs a tokio runtime.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use aep_flow_run::journal::{
///     ImsCredentials, ImsTokenProvider, JournalConsumer, JournalStart, Polled,
/// };
/// use aep_flow_run::store::FileCheckpoint;
///
/// let credentials = ImsCredentials::new("client-id", "client-secret", "adobeio_api");
/// let journal = aep_flow_run::url::Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r")?;
/// let mut consumer = JournalConsumer::new(journal, "client-id", ImsTokenProvider::new(credentials))?
///     .with_org_id("ORG@AdobeOrg")
///     .with_start(JournalStart::Seek("-PT2H".to_owned()))
///     .with_checkpoint(Arc::new(FileCheckpoint::new("journal-position.json")));
/// loop {
///     match consumer.poll().await? {
///         Polled::Page(page) => {
///             for event in page.new_events() {
///                 println!("{:?} {:?}", event.kind(), event.event_id());
///             }
///             consumer.complete(&page).await?;
///         }
///         Polled::CaughtUp { .. } => break,
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
    /// The position of the last page completed (or loaded).
    position: Option<String>,
    /// No request before this time (`Retry-After` of a `204`).
    not_before: Option<SystemTime>,
    /// When the last request was sent (by the clock).
    last_request: Option<SystemTime>,
    pending: Option<Pending>,
    sequence: u64,
    /// This consumer's id as a lease holder: random.
    holder: String,
    /// Whether the lease was held at the last look.
    held: bool,
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
            .field("holder", &self.holder)
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl JournalConsumer {
    /// A consumer of the journal at `journal` (the registration's journal URL, `https`; any
    /// `since`, `seek`, `latest` or `limit` in it is dropped), calling with `api_key` (the
    /// credential's client id, the recipient client id of the registration's events, which
    /// also scopes their keys in the store) and the tokens of `tokens`. It starts from the oldest event
    /// unless [`with_start`](Self::with_start) says otherwise or the checkpoint holds a
    /// position; positions and handled events are kept in a [`MemoryStore`] unless others
    /// are given.
    pub fn new(
        journal: Url,
        api_key: impl Into<String>,
        tokens: impl TokenProvider + 'static,
    ) -> Result<Self, JournalError> {
        JournalUrl::from_url(journal.clone()).and_then(|url| url.build())?;
        let mut name = journal.clone();
        name.set_query(None);
        let memory = Arc::new(MemoryStore::new(100_000));
        Ok(JournalConsumer {
            journal,
            name: name.to_string(),
            start: JournalStart::Oldest,
            api_key: api_key.into(),
            org_id: None,
            tokens: Arc::new(tokens),
            checkpoint: memory.clone(),
            store: memory,
            clock: Arc::new(SystemClock),
            client: HttpsClient::new(),
            settings: JournalSettings::default(),
            next: None,
            position: None,
            not_before: None,
            last_request: None,
            pending: None,
            sequence: 0,
            holder: holder_id(),
            held: false,
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
    pub fn with_store(mut self, store: Arc<dyn DedupStore>) -> Self {
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

    /// Replaces the settings (`keep` brought within 25 hours to 7 days, `lease` and
    /// `reader_lease` within 1 s to 24 h): no setting makes a poll panic.
    pub fn with_settings(mut self, mut settings: JournalSettings) -> Self {
        settings.keep = keep_within(settings.keep);
        settings.lease = lease_within(settings.lease);
        settings.reader_lease = settings
            .reader_lease
            .clamp(MIN_READER_LEASE, MAX_READER_LEASE);
        self.settings = settings;
        self
    }

    /// The position of the last page completed, or the checkpoint's once it was read
    /// ([`load`](Self::load), or the first poll); `None` when there is none yet.
    pub fn position(&self) -> Option<&str> {
        self.position.as_deref()
    }

    /// Reads the position saved in the checkpoint, where the next poll resumes, and gives
    /// it: `None` when none was saved (the next poll starts from
    /// [`with_start`](Self::with_start)'s start). The first poll reads it when this was not
    /// called. A page polled and not completed is given back first.
    ///
    /// ```no_run
    /// # async fn run(mut consumer: aep_flow_run::journal::JournalConsumer) -> Result<(), aep_flow_run::journal::JournalError> {
    /// match consumer.load().await? {
    ///     Some(position) => println!("resuming after {position}"),
    ///     None => println!("starting from the start chosen"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn load(&mut self) -> Result<Option<&str>, JournalError> {
        self.abandon_pending().await;
        self.next = None;
        self.position = None;
        self.next_url().await?;
        Ok(self.position())
    }

    /// Stops reading for now: gives back the page polled and not completed, and ends this
    /// consumer's [reading lease](crate::store::Checkpoint#the-reading-lease), so that
    /// another replica's consumer takes over at once instead of after the lease. A later
    /// poll takes the lease again when it is free.
    pub async fn stop(&mut self) -> Result<(), JournalError> {
        self.abandon_pending().await;
        if std::mem::take(&mut self.held) {
            let end = self.checkpoint.end_lease(&self.name, &self.holder);
            bounded(self.settings.store_timeout, end).await?;
            tracing::debug!(journal = %self.name, "journal lease given up");
        }
        Ok(())
    }

    /// Takes or renews the reading lease: `Some` answer to give when another consumer
    /// holds it. A consumer that takes it after another held it resumes from the checkpoint.
    async fn take_lease(&mut self) -> Result<Option<Polled>, JournalError> {
        let lease = self
            .checkpoint
            .lease(&self.name, &self.holder, self.settings.reader_lease);
        match bounded(self.settings.store_timeout, lease).await? {
            Lease::Elsewhere { remaining } => Ok(Some(self.read_elsewhere(remaining))),
            _ => {
                if !self.held {
                    self.held = true;
                    tracing::debug!(journal = %self.name, "journal lease taken: reading");
                }
                Ok(None)
            }
        }
    }

    /// Another consumer reads: wait `remaining` (at least 1 s, at most a lease) before the
    /// next poll, and resume from the checkpoint if this one takes over.
    fn read_elsewhere(&mut self, remaining: Duration) -> Polled {
        if std::mem::take(&mut self.held) {
            tracing::warn!(journal = %self.name, "journal lease lost: another consumer reads");
        }
        // What the other consumer saves is where reading goes on.
        self.next = None;
        self.position = None;
        let wait = remaining.clamp(MIN_READER_LEASE, self.settings.reader_lease);
        self.not_before = Some(time_after(self.clock.now(), wait));
        Polled::ReadElsewhere { retry_after: wait }
    }

    /// Saves `position` under the lease: `false` when the lease was lost meanwhile.
    async fn save_position(&mut self, position: &str) -> Result<bool, JournalError> {
        let save = self.checkpoint.save_leased(
            &self.name,
            &self.holder,
            position,
            self.settings.reader_lease,
        );
        let saved = bounded(self.settings.store_timeout, save).await?;
        if !saved && std::mem::take(&mut self.held) {
            tracing::warn!(journal = %self.name, position, "journal lease lost: position not saved");
            self.next = None;
            self.position = None;
        }
        Ok(saved)
    }

    /// Starts again from `start` (after [`JournalError::Expired`]): the next poll reads
    /// from there. The checkpoint keeps the expired position until a page read from the
    /// new start is completed.
    pub async fn reset(&mut self, start: JournalStart) -> Result<(), JournalError> {
        self.abandon_pending().await;
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
        url.build()
    }

    async fn next_url(&mut self) -> Result<Url, JournalError> {
        if let Some(next) = &self.next {
            return Ok(next.clone());
        }
        let saved = bounded(
            self.settings.store_timeout,
            self.checkpoint.load(&self.name),
        )
        .await?;
        let url = match saved {
            Some(position) if !position.is_empty() => {
                // One saved before positions were bounded would be sent back for ever.
                check_position(Some(&position))
                    .map_err(|reason| malformed(&self.journal, reason))?;
                let url = self.url_from(&JournalStart::Since(position.clone()))?;
                self.position = Some(position);
                url
            }
            _ => self.url_from(&self.start)?,
        };
        self.next = Some(url.clone());
        Ok(url)
    }

    /// Gives up the claims of a page polled and not completed.
    async fn abandon_pending(&mut self) {
        if let Some(pending) = self.pending.take() {
            let call = self.store.abandon(&pending.claimed);
            if let Err(error) = bounded(self.settings.store_timeout, call).await {
                tracing::warn!(
                    error = %chain(&error),
                    "abandoning a page's claims failed; they end with their lease"
                );
            }
        }
    }

    /// Reads the next page, or learns that there is none yet; see [`JournalConsumer`]. A page
    /// polled before and not completed is read again (its claims abandoned first).
    ///
    /// It waits as the journal asks, never less than a second between requests: a `429` is
    /// retried after its `Retry-After`, [`max_throttled`](JournalSettings::max_throttled)
    /// times in a row at most; `5xx` answers and failed connections
    /// [`max_attempts`](JournalSettings::max_attempts) times in a row end it. A poll dropped
    /// before it returns moves nothing; claims it made run out with their lease.
    ///
    /// When another consumer holds the journal's reading lease, it reads nothing and answers
    /// [`Polled::ReadElsewhere`].
    pub async fn poll(&mut self) -> Result<Polled, JournalError> {
        self.abandon_pending().await;
        self.wait_owed().await;
        if let Some(elsewhere) = self.take_lease().await? {
            return Ok(elsewhere);
        }
        let url = self.next_url().await?;
        let mut waited_in_flight = Duration::ZERO;
        loop {
            let response = self.fetch(&url).await?;
            if response.status == 204 {
                let next = self.link(&url, &response)?.unwrap_or_else(|| url.clone());
                let retry_after = self.retry_after(&response);
                return self.caught_up(&url, next, retry_after).await;
            }
            match self.claim_page(&url, &response).await? {
                Read::Page(page) => return Ok(Polled::Page(*page)),
                Read::Empty => {
                    // Nothing, and nowhere to go: wait as after a 204, never loop at once.
                    let wait = self.settings.default_wait.max(MIN_INTERVAL);
                    return self.caught_up(&url, url.clone(), wait).await;
                }
                Read::InFlight(in_flight) => {
                    // An event is being handled elsewhere: read the page again later.
                    waited_in_flight =
                        waited_in_flight.saturating_add(self.settings.in_flight_wait);
                    if waited_in_flight > self.settings.lease {
                        return Err(JournalError::EventInFlight {
                            url: url.to_string(),
                            key: in_flight.to_string(),
                        });
                    }
                    tracing::debug!(
                        key = %in_flight,
                        wait_ms = self.settings.in_flight_wait.as_millis() as u64,
                        "journal event being handled elsewhere; reading the page again"
                    );
                    self.clock.sleep(self.settings.in_flight_wait).await;
                }
            }
        }
    }

    /// Polls until a page comes, waiting out each time the journal is caught up or read by
    /// another consumer: for a consumer that follows the journal for good.
    pub async fn next_page(&mut self) -> Result<JournalPage, JournalError> {
        loop {
            if let Polled::Page(page) = self.poll().await? {
                return Ok(page);
            }
        }
    }

    /// Waits out a `Retry-After` owed by the last `204`.
    async fn wait_owed(&mut self) {
        if let Some(not_before) = self.not_before {
            if let Ok(wait) = not_before.duration_since(self.clock.now()) {
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "journal caught up; waiting"
                );
                self.clock.sleep(wait).await;
            }
            // Cleared once waited out: a poll dropped while it waits leaves the wait owed.
            self.not_before = None;
        }
    }

    /// Waits until a second has passed since the last request: no answer of the journal
    /// (`Retry-After: 0`, an empty page that links to itself) makes the consumer loop.
    async fn pace(&mut self) {
        if let Some(last) = self.last_request {
            let since = self
                .clock
                .now()
                .duration_since(last)
                .unwrap_or(Duration::ZERO);
            if since < MIN_INTERVAL {
                self.clock.sleep(MIN_INTERVAL - since).await;
            }
        }
        self.last_request = Some(self.clock.now());
    }

    /// Sends the request until the journal answers `200` or `204`, waiting and retrying as
    /// it asks.
    async fn fetch(&mut self, url: &Url) -> Result<Fetched, JournalError> {
        let mut failures = 0u32;
        let mut throttled = 0u32;
        let mut renewed_token = false;
        loop {
            self.pace().await;
            let (reason, hinted) = match self.get(url).await? {
                // A page too large to read is no gap to step over.
                Err(error @ SendError::TooLarge { .. }) => {
                    tracing::warn!(url = %url, error = %error, "journal page too large");
                    return Err(malformed(url, error.to_string()));
                }
                Err(error) => (error.to_string(), None),
                Ok(response) => match response.status {
                    200 | 204 => return Ok(response),
                    429 => {
                        throttled += 1;
                        self.wait_throttled(url, &response, throttled).await?;
                        continue;
                    }
                    401 if !renewed_token => {
                        renewed_token = true;
                        self.tokens.invalidate();
                        continue;
                    }
                    410 => {
                        return Err(JournalError::Expired {
                            url: url.to_string(),
                            position: since_of(url),
                            message: body_text(&response.body),
                        })
                    }
                    status @ 500..=599 => (
                        format!("status {status}: {}", body_text(&response.body)),
                        response
                            .headers
                            .contains_key(http::header::RETRY_AFTER)
                            .then(|| self.retry_after(&response)),
                    ),
                    status => {
                        return Err(JournalError::Status {
                            url: url.to_string(),
                            status,
                            message: body_text(&response.body),
                        })
                    }
                },
            };
            failures += 1;
            throttled = 0;
            self.back_off(url, failures, reason, hinted).await?;
        }
    }

    /// Waits out the `throttled`-th `429` in a row, or gives up past
    /// [`JournalSettings::max_throttled`].
    async fn wait_throttled(
        &self,
        url: &Url,
        response: &Fetched,
        throttled: u32,
    ) -> Result<(), JournalError> {
        if throttled > self.settings.max_throttled {
            return Err(JournalError::Unavailable {
                url: url.to_string(),
                attempts: throttled,
                reason: "status 429: too many requests, every time".to_owned(),
            });
        }
        let wait = self.retry_after(response);
        tracing::info!(
            wait_ms = wait.as_millis() as u64,
            throttled,
            "journal answered 429; waiting"
        );
        self.clock.sleep(wait).await;
        Ok(())
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
        tracing::warn!(
            url = %url,
            failures,
            reason = %escaped(&reason),
            wait_ms = wait.as_millis() as u64,
            "journal request failed; retrying"
        );
        self.clock.sleep(wait).await;
        Ok(())
    }

    /// The wait a response's `Retry-After` asks for (seconds or an HTTP date), within 1 s
    /// and [`JournalSettings::max_wait`]; the default wait when it has none.
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
            .max(MIN_INTERVAL)
    }

    /// The `rel="next"` link of a response; several `Link` headers are one list.
    fn link(&self, url: &Url, response: &Fetched) -> Result<Option<Url>, JournalError> {
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
        next_link(&joined, url)
    }

    /// Nothing newer yet: poll `next` after `retry_after`.
    async fn caught_up(
        &mut self,
        url: &Url,
        next: Url,
        retry_after: Duration,
    ) -> Result<Polled, JournalError> {
        let position = since_of(&next);
        check_position(position.as_deref()).map_err(|reason| malformed(url, reason))?;
        // A 204 hands nothing over, so it moves no position saved. Only the first one after
        // a `latest` or `seek` start, while none is saved, has its end position saved: a
        // restart would otherwise start again from a newer end and skip what came between.
        if let (Some(position), None) = (position, &self.position) {
            if !self.save_position(&position).await? {
                return Ok(self.read_elsewhere(self.settings.reader_lease));
            }
            self.position = Some(position);
        }
        tracing::debug!(
            retry_after_ms = retry_after.as_millis() as u64,
            "journal caught up"
        );
        self.next = Some(next.clone());
        self.not_before = Some(time_after(self.clock.now(), retry_after));
        Ok(Polled::CaughtUp {
            next: Some(next),
            retry_after: Some(retry_after),
        })
    }

    /// Reads a 200 and claims its events.
    async fn claim_page(&mut self, url: &Url, response: &Fetched) -> Result<Read, JournalError> {
        let next = self.link(url, response)?;
        let mut page = JournalPage::read(&self.api_key, &response.body, next, url)?;
        let next = match (&page.next, &page.position) {
            (Some(link), _) => link.clone(),
            (None, Some(position)) => self.url_from(&JournalStart::Since(position.clone()))?,
            (None, None) if page.events.is_empty() => return Ok(Read::Empty),
            (None, None) => {
                return Err(malformed(
                    url,
                    "no `rel=\"next\"` link and no position to continue from".to_owned(),
                ))
            }
        };
        let claimed = match claim_new(
            &*self.store,
            &mut page.events,
            self.settings.lease,
            self.settings.store_timeout,
            Budget::new(Duration::MAX),
        )
        .await
        {
            Ok(claimed) => claimed,
            Err(ClaimRefused::InFlight(key)) => return Ok(Read::InFlight(key)),
            Err(ClaimRefused::Store(error)) => {
                tracing::warn!(error = %chain(&error), "claiming a journal page failed");
                return Err(error.into());
            }
        };
        self.sequence += 1;
        page.sequence = self.sequence;
        self.pending = Some(Pending {
            sequence: self.sequence,
            claimed,
            next,
            position: page.position.clone(),
        });
        Ok(Read::Page(Box::new(page)))
    }

    /// Records that the application handled `page`: its new events are marked done in the
    /// store, its position saved in the checkpoint, and the next poll reads the page after
    /// it. On an error nothing moves; complete it again, or poll to read the page again.
    ///
    /// If this consumer's reading lease ran out meanwhile and another consumer took it, the
    /// events are still recorded as done but the position is not saved (the other consumer
    /// saves its own), and the next poll answers [`Polled::ReadElsewhere`].
    pub async fn complete(&mut self, page: &JournalPage) -> Result<(), JournalError> {
        let Some(pending) = self
            .pending
            .as_ref()
            .filter(|p| p.sequence == page.sequence)
        else {
            return Err(JournalError::NotPending);
        };
        let done = self.store.complete(&pending.claimed, self.settings.keep);
        bounded(self.settings.store_timeout, done).await?;
        let position = pending
            .position
            .clone()
            .filter(|position| self.position.as_deref() != Some(position));
        let saved = match position {
            Some(position) => self.save_position(&position).await?,
            None => true,
        };
        let Some(pending) = self.pending.take() else {
            return Err(JournalError::NotPending);
        };
        if saved {
            self.position = pending.position.or(self.position.take());
            self.next = Some(pending.next);
        }
        Ok(())
    }

    /// Gives `page` back (its handling failed): its claims are abandoned, and the next poll
    /// reads it again.
    pub async fn abandon(&mut self, page: &JournalPage) -> Result<(), JournalError> {
        if self
            .pending
            .as_ref()
            .is_none_or(|pending| pending.sequence != page.sequence)
        {
            return Err(JournalError::NotPending);
        }
        self.abandon_pending().await;
        Ok(())
    }
}

/// A lease holder id: random, so that no two consumers share one.
fn holder_id() -> String {
    let mut seed = [0u8; 8];
    // Without randomness (never seen on a supported system), the time and the process id
    // still tell consumers apart.
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed).is_err() {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        seed = ((nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)).to_be_bytes();
    }
    let hex: String = seed.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("consumer-{hex}")
}
