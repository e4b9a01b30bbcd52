//! A page of the I/O Events journal: its events, read by [`parse_events`](crate::parse_events)
//! like any other body, and where to go next.
//!
//! The journal keeps 7 days of events. A client sends `GET` to the journal URL; the answer is
//! `200` with a page (`{"events": [{"position", "event"}], "_page": {"last", "count"}}`) and
//! a `Link: <...>; rel="next"` header to read the following page, or `204 No Content` when
//! there is no newer event yet: the journal is caught up for now. Its `Link` header still
//! points to where to poll next (honour `Retry-After` before polling again).

use std::fmt;
use std::time::Duration;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use url::Url;

use super::link::{next_link, since_of};
use super::JournalError;
use crate::json::Key;
use crate::store::Incoming;
use crate::text::clip;
use crate::Event;

/// The longest journal position followed or saved, in bytes (Adobe's are under 100).
pub(crate) const MAX_POSITION_BYTES: usize = 1024;

/// The most events a page of `bytes` may hold before it is read: one per 128 bytes (an
/// entry Adobe sends, with its position and event ids, is several times that), and at least
/// 64. Each event read costs far more than its bytes, so a page of tiny events is refused by
/// a count of its entries, before any is parsed.
fn max_events(bytes: usize) -> usize {
    (bytes / 128).max(64)
}

/// A page of the journal: its events with their keys, and where reading goes on.
///
/// Handle its [`new_events`](Self::new_events), then complete it
/// ([`JournalConsumer::complete`](super::JournalConsumer::complete)): the position it
/// reached is saved only then.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalPage {
    /// Every event of the page, in journal order, each with its key and journal position
    /// ([`Event::journal_position`]); duplicates flagged once the page is claimed.
    pub events: Vec<Incoming>,
    /// `_page.count`: how many events the page holds, as the journal says.
    pub count: Option<u64>,
    /// `_page.last`: the position of the page's last event, as the journal says.
    pub last: Option<String>,
    /// The `rel="next"` link, resolved against the request URL.
    pub next: Option<Url>,
    /// The position reading resumes after once the page is completed: the `since` of the
    /// next link, else `_page.last`, else the last event's position.
    pub position: Option<String>,
    /// The URL the page was read from.
    pub url: Url,
    pub(super) sequence: u64,
}

impl JournalPage {
    /// Reads a page from a `200`'s body and its `next` link, keying its events for the
    /// registration of `client_id`.
    pub(super) fn read(
        client_id: &str,
        body: &[u8],
        next: Option<Url>,
        request_url: &Url,
    ) -> Result<Self, JournalError> {
        let malformed = |reason: String| malformed(request_url, reason);
        let outline = read_outline(body);
        if let Ok(Outline { entries, .. }) = outline {
            if entries > max_events(body.len()) {
                return Err(malformed(format!(
                    "{entries} events in {} bytes, more than genuine ones could be (at most {})",
                    body.len(),
                    max_events(body.len())
                )));
            }
        }
        // The parser's error first: it says where a body that is no JSON fails.
        let events = crate::parse_events(body).map_err(|error| malformed(error.to_string()))?;
        let outline = outline.map_err(malformed)?;
        let position = next
            .as_ref()
            .and_then(since_of)
            .or_else(|| outline.page.last.clone())
            .or_else(|| {
                events
                    .iter()
                    .rev()
                    .find_map(|event| event.journal_position().map(str::to_owned))
            });
        check_position(position.as_deref()).map_err(malformed)?;
        Ok(JournalPage {
            events: Incoming::from_events(client_id, events, body),
            count: outline.page.count,
            last: outline.page.last,
            next,
            position,
            url: request_url.clone(),
            sequence: 0,
        })
    }

    /// The events not handled before, each once.
    pub fn new_events(&self) -> impl Iterator<Item = &Event> {
        self.events
            .iter()
            .filter(|incoming| !incoming.duplicate)
            .map(|incoming| &incoming.event)
    }
}

/// What a read of the journal gave: a page, or nothing newer yet.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Polled {
    /// `200`: a page of events.
    Page(JournalPage),
    /// `204 No Content`: the journal is caught up, no newer event yet.
    CaughtUp {
        /// Where to poll next: the `rel="next"` link, resolved against the request URL.
        next: Option<Url>,
        /// How long to wait before polling again (`Retry-After`), when known.
        retry_after: Option<Duration>,
    },
    /// Another consumer reads this journal (it holds the checkpoint's
    /// [reading lease](crate::store::Checkpoint#the-reading-lease)): nothing was read. The
    /// next poll first waits `retry_after`, then reads if the lease is free by then.
    ReadElsewhere {
        /// How long the other consumer's lease runs yet (at least 1 s).
        retry_after: Duration,
    },
}

/// Reads a journal response from its status, `Link` header value and body, for a client that
/// polls the journal itself (the [`JournalConsumer`](super::JournalConsumer) does all of it
/// with the `fetch` feature). `client_id` is the registration's client id (the recipient
/// client id the webhook's [`Verifier`](crate::webhook::Verifier) is given): it scopes the
/// events' [`EventKey`](crate::store::EventKey)s, so that they match the webhook's.
///
/// `200` is a page (its events read by [`parse_events`](crate::parse_events): flow runs,
/// alerts and any other event), `204` caught up; any other status is
/// [`JournalError::Status`]. A `next` link to another origin than the request's is
/// [`JournalError::ForeignLink`] (see [`next_link`]); a position longer than 1 KB is
/// [`JournalError::Malformed`].
///
/// ```
/// use aep_flow_run::journal::{read_journal_response, Polled};
/// use aep_flow_run::url::Url;
///
/// let request = Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r")?;
/// let link = r#"</events/organizations/o/integrations/i/r?since=v2:p9>; rel="next""#;
/// let body = br#"{"events": [{"position": "v2:p9", "event": {"event_id": "e1",
///     "event": {"id": "run-1", "metrics": {}}}}], "_page": {"last": "v2:p9", "count": 1}}"#;
/// let Polled::Page(page) = read_journal_response(200, Some(link), &request, body, "client-id")? else {
///     panic!("a page")
/// };
/// assert_eq!(page.events[0].event.journal_position(), Some("v2:p9"));
/// assert_eq!(page.position.as_deref(), Some("v2:p9"));
/// assert_eq!(page.events[0].key, "client-id/id:e1");
/// match read_journal_response(204, Some(link), &request, b"", "client-id")? {
///     Polled::CaughtUp { next, .. } => assert_eq!(next.unwrap().query(), Some("since=v2:p9")),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_journal_response(
    status: u16,
    link_header_value: Option<&str>,
    request_url: &Url,
    body: &[u8],
    client_id: &str,
) -> Result<Polled, JournalError> {
    let next = match link_header_value {
        Some(link) => next_link(link, request_url)?,
        None => None,
    };
    match status {
        200 => Ok(Polled::Page(JournalPage::read(
            client_id,
            body,
            next,
            request_url,
        )?)),
        204 => Ok(Polled::CaughtUp {
            next,
            retry_after: None,
        }),
        status => Err(JournalError::Status {
            url: clip(request_url.as_str(), 200),
            status,
            message: body_text(body),
        }),
    }
}

/// A page read from `request_url` that cannot be read, saying why.
pub(crate) fn malformed(request_url: &Url, reason: String) -> JournalError {
    JournalError::Malformed {
        url: clip(request_url.as_str(), 200),
        position: since_of(request_url),
        reason,
    }
}

/// A position to follow or save must be at most [`MAX_POSITION_BYTES`]: a journal that
/// answers a longer one would have it saved and sent back forever.
pub(crate) fn check_position(position: Option<&str>) -> Result<(), String> {
    match position {
        Some(position) if position.len() > MAX_POSITION_BYTES => Err(format!(
            "a position of {} bytes (at most {MAX_POSITION_BYTES})",
            position.len()
        )),
        _ => Ok(()),
    }
}

/// The start of a response body, for an error.
pub(crate) fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "empty body".to_owned()
    } else {
        clip(text, 200)
    }
}

/// A journal page's `_page` object.
#[derive(Debug, Default, Deserialize)]
struct PageObject {
    #[serde(default)]
    last: Option<String>,
    #[serde(default)]
    count: Option<u64>,
}

/// A journal page's outline, by a skimming read of the body; a body that is no JSON or has
/// no top-level `events` array is an error saying so.
fn read_outline(body: &[u8]) -> Result<Outline, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let outline = deserializer
        .deserialize_any(OutlineVisitor)
        .and_then(|outline| deserializer.end().map(|()| outline))
        .map_err(|error| error.to_string())?;
    let entries = outline
        .entries
        .ok_or("not a journal page: no `events` array")?;
    Ok(Outline {
        entries,
        page: outline.page.unwrap_or_default(),
    })
}

/// What the skimming read of a journal page learns: how many entries its `events` array
/// holds, and its `_page`.
struct Outline {
    entries: usize,
    page: PageObject,
}

/// The outline as read: `events` may be missing or no array, `_page` missing.
struct Skimmed {
    entries: Option<usize>,
    page: Option<PageObject>,
}

/// How many elements a value holds when it is an array (`None` for any other value),
/// skipping them.
struct ArrayLen(Option<usize>);

impl<'de> Deserialize<'de> for ArrayLen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ArrayLenVisitor)
    }
}

struct ArrayLenVisitor;

impl<'de> Visitor<'de> for ArrayLenVisitor {
    type Value = ArrayLen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ArrayLen, A::Error> {
        let mut len = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            len += 1;
        }
        Ok(ArrayLen(Some(len)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ArrayLen, A::Error> {
        IgnoredAny.visit_map(map).map(|_| ArrayLen(None))
    }

    crate::json::scalars_give!(ArrayLen(None));
}

struct OutlineVisitor;

impl<'de> Visitor<'de> for OutlineVisitor {
    type Value = Skimmed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a journal page object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skimmed, A::Error> {
        let mut outline = Skimmed {
            entries: None,
            page: None,
        };
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "_page" if outline.page.is_none() => outline.page = map.next_value()?,
                "events" => outline.entries = map.next_value::<ArrayLen>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(outline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_statuses() {
        let base = Url::parse("https://journal.example/events/r").unwrap();
        assert!(matches!(
            read_journal_response(500, None, &base, b"", "c"),
            Err(JournalError::Status { status: 500, .. })
        ));
        assert!(matches!(
            read_journal_response(200, None, &base, br#"{"items": []}"#, "c"),
            Err(JournalError::Malformed { .. })
        ));
        let Ok(Polled::Page(empty)) = read_journal_response(
            200,
            None,
            &base,
            br#"{"events": [], "_page": {"count": 0}}"#,
            "c",
        ) else {
            panic!("an empty page")
        };
        assert!(empty.events.is_empty());
        assert_eq!((empty.count, empty.position), (Some(0), None));
    }
}

#[cfg(test)]
mod positions {
    use super::*;

    #[test]
    fn a_page_of_more_events_than_its_bytes_could_hold_is_malformed_before_it_is_read() {
        let base = Url::parse("https://journal.example/events/r").unwrap();
        let page = |n: usize| {
            let entry = r#"{"position":"p","event":{}}"#;
            format!(r#"{{"events": [{}]}}"#, vec![entry; n].join(","))
        };
        // A small page of small entries reads.
        assert!(read_journal_response(200, None, &base, page(64).as_bytes(), "c").is_ok());
        let hostile = page(40_000);
        assert!(matches!(
            read_journal_response(200, None, &base, hostile.as_bytes(), "c"),
            Err(JournalError::Malformed { reason, .. }) if reason.starts_with("40000 events in")
        ));
        // Adobe's documented page reads.
        let documented = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/events/journal-sdk-sample-response.json"),
        )
        .unwrap();
        assert!(read_journal_response(200, None, &base, &documented, "c").is_ok());
    }

    #[test]
    fn a_position_longer_than_a_kilobyte_is_malformed_not_followed() {
        let base = Url::parse("https://journal.example/events/r").unwrap();
        let page = |last: &str| {
            format!(
                r#"{{"events": [{{"position": "p1", "event": {{"event_id": "e"}}}}], "_page": {{"last": "{last}"}}}}"#
            )
        };
        let fine = "p".repeat(MAX_POSITION_BYTES);
        assert!(read_journal_response(200, None, &base, page(&fine).as_bytes(), "c").is_ok());
        let long = "p".repeat(MAX_POSITION_BYTES + 1);
        assert!(matches!(
            read_journal_response(200, None, &base, page(&long).as_bytes(), "c"),
            Err(JournalError::Malformed { reason, .. }) if reason.contains("1025 bytes")
        ));
        let link = format!("</events/r?since={long}>; rel=\"next\"");
        assert!(matches!(
            read_journal_response(200, Some(&link), &base, page("p1").as_bytes(), "c"),
            Err(JournalError::Malformed { .. })
        ));
    }
}
