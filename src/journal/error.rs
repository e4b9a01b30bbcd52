//! The journal room's error.

use crate::store::StoreError;
use crate::text::escaped;

/// A position for an error's text: escaped, as it came from the journal.
fn shown(position: &Option<String>) -> String {
    position.as_deref().map_or_else(
        || "(none)".to_owned(),
        |position| escaped(position).to_string(),
    )
}

/// Why the journal could not be read, or a journal URL built. Each variant says what and
/// where; none advances the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// `410 Gone`: the position is older than the journal's 7 days. Start again with
    /// [`JournalConsumer::reset`](super::JournalConsumer::reset) from
    /// [`JournalStart::Oldest`](super::JournalStart::Oldest) (nothing still held is missed;
    /// what was handled is recognised by the store), [`JournalStart::Latest`](super::JournalStart::Latest)
    /// (everything still held is skipped) or a [`JournalStart::Seek`](super::JournalStart::Seek).
    #[error("journal position {} has expired: {url} answered 410 Gone ({}); reset to the oldest event, to the latest, or by seek", shown(position), escaped(message))]
    Expired {
        /// The request URL.
        url: String,
        /// The position read from (`None` when the request had none).
        position: Option<String>,
        /// What the journal said (the start of the body).
        message: String,
    },
    /// A `200` whose body is no journal page (not JSON, no `events` array, a value of the
    /// wrong type in an event, no position to continue from, larger than
    /// [`JournalSettings::max_page_bytes`](super::JournalSettings::max_page_bytes)): nothing
    /// of it is handed over and the position stays where it was.
    #[error(
        "malformed journal page at {url} (after position {}): {}",
        shown(position),
        escaped(reason)
    )]
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
    /// A status the consumer does not retry (`400`, `401` twice, `403`, `404`, ...), or any
    /// status but `200` and `204` given to [`read_journal_response`](super::read_journal_response).
    #[error("journal request {url} answered {status}: {}", escaped(message))]
    Status {
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        message: String,
    },
    /// `5xx` answers or failed connections, `attempts` times in a row.
    #[error(
        "journal unavailable at {url} after {attempts} attempts: {}",
        escaped(reason)
    )]
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
    /// [`complete`](super::JournalConsumer::complete) or
    /// [`abandon`](super::JournalConsumer::abandon) of a page that is not the one last
    /// polled (or was already completed).
    #[error("this page is not the one last polled, or it was completed already")]
    NotPending,
    /// No access token: the token endpoint could not be reached, refused the credential, or
    /// answered no usable token. The text holds no secret (neither the client secret nor a
    /// token), whatever the endpoint echoed.
    #[error("access token unavailable from {endpoint}: {}{}", status.map(|s| format!("status {s}: ")).unwrap_or_default(), escaped(reason))]
    Token {
        /// The token endpoint (without its query), or the provider's name.
        endpoint: String,
        /// The HTTP status it answered, when it answered another than 200 (401: wrong client
        /// id or secret; 400: a scope the credential does not have, ...).
        status: Option<u16>,
        /// What failed: the transport error, IMS's `error` and `error_description`, or what
        /// is wrong with the token response.
        reason: String,
    },
    /// The store (deduplication or checkpoint) failed or did not answer in time.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A journal URL that does not parse, is not `https`, carries credentials or a fragment.
    #[error("invalid journal URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given (at most 200 characters of it).
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two starts were given: `seek` with `since`, or `latest` with either (Adobe refuses
    /// `seek` with `since`; `latest` means the end whatever else is said).
    #[error("`{first}` cannot be combined with `{second}`")]
    Conflict {
        /// The parameter given first.
        first: &'static str,
        /// The one that conflicts with it.
        second: &'static str,
    },
    /// A `seek` that is no ISO 8601 duration (`-PT2H`, `P1D`, `-P5DT2H30M`).
    #[error("invalid seek duration {0:?}: expected an ISO 8601 duration such as -PT2H")]
    InvalidSeek(String),
    /// A `since` position that is empty.
    #[error("empty since position")]
    EmptyPosition,
    /// `limit=0`.
    #[error("limit must be at least 1")]
    ZeroLimit,
}
