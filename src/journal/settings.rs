//! How a journal consumer pages, waits and remembers.

use std::time::Duration;

use crate::store::DEFAULT_KEEP;

/// The largest page read by default: Adobe caps a response at 1.5 MB (counted as 1.5 MiB,
/// the generous reading, so that no page Adobe sends is refused).
pub const MAX_PAGE_BYTES: usize = 1536 * 1024;

/// The least time between two requests of a consumer, whatever a `Retry-After` says.
pub(super) const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The shortest and longest reading lease.
pub(super) const MIN_READER_LEASE: Duration = Duration::from_secs(1);
pub(super) const MAX_READER_LEASE: Duration = Duration::from_secs(24 * 60 * 60);

/// How a [`JournalConsumer`](super::JournalConsumer) pages, waits and remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalSettings {
    /// `limit`: the most events per page (default: the journal's default).
    pub limit: Option<u32>,
    /// How long an event claimed from a page stays in flight in the store before
    /// another reader may claim it (default 5 minutes): longer than handling a page takes.
    /// Brought within 1 s to 24 h.
    pub lease: Duration,
    /// How long a handled event is remembered as done (default 7 days,
    /// [`DEFAULT_KEEP`](crate::store::DEFAULT_KEEP): the journal's retention, as the webhook
    /// receiver keeps them; brought within 25 hours to 7 days).
    pub keep: Duration,
    /// The longest a store call may take (default 3 s).
    pub store_timeout: Duration,
    /// The wait after a `204` or `429` that carries no `Retry-After` (default 10 s, what
    /// Adobe sends).
    pub default_wait: Duration,
    /// The longest `Retry-After` honoured (default 5 minutes); a longer one is cut to it.
    /// Every wait is at least 1 s: the consumer never sends two requests less than a second
    /// apart, whatever the journal says.
    pub max_wait: Duration,
    /// The first wait after a `5xx` or a failed connection (default 1 s), doubled on each
    /// failure up to [`max_backoff`](Self::max_backoff).
    pub first_backoff: Duration,
    /// The longest wait between failed attempts (default 60 s).
    pub max_backoff: Duration,
    /// How many attempts in a row may fail (`5xx`, no connection) before
    /// [`JournalConsumer::poll`](super::JournalConsumer::poll) gives up with
    /// [`JournalError::Unavailable`](super::JournalError::Unavailable) (default 6).
    pub max_attempts: u32,
    /// How many `429 Too Many Requests` in a row are waited out before
    /// [`JournalConsumer::poll`](super::JournalConsumer::poll) gives up with
    /// [`JournalError::Unavailable`](super::JournalError::Unavailable) (default 20: with
    /// Adobe's 10 s, over three minutes of being told to wait).
    pub max_throttled: u32,
    /// The wait before reading a page again when one of its events is being handled
    /// elsewhere (claimed by the webhook, say; default 5 s).
    pub in_flight_wait: Duration,
    /// The largest page read ([`MAX_PAGE_BYTES`]: Adobe caps a page at 1.5 MB); a larger one
    /// is [`JournalError::Malformed`](super::JournalError::Malformed) (lower
    /// [`limit`](Self::limit) to read it), and is never read whole into memory.
    pub max_page_bytes: usize,
    /// How long the [reading lease](crate::store::Checkpoint#the-reading-lease) on the
    /// journal is taken for (default 60 s), renewed at each poll and each save: longer than
    /// handling a page and the wait after a `204` take. A replica that stops without
    /// [`JournalConsumer::stop`](super::JournalConsumer::stop) is taken over at most this
    /// long after. Brought within 1 s to 24 hours.
    pub reader_lease: Duration,
}

impl Default for JournalSettings {
    fn default() -> Self {
        JournalSettings {
            limit: None,
            lease: Duration::from_secs(300),
            keep: DEFAULT_KEEP,
            store_timeout: Duration::from_secs(3),
            default_wait: Duration::from_secs(10),
            max_wait: Duration::from_secs(300),
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_attempts: 6,
            max_throttled: 20,
            in_flight_wait: Duration::from_secs(5),
            max_page_bytes: MAX_PAGE_BYTES,
            reader_lease: Duration::from_secs(60),
        }
    }
}
