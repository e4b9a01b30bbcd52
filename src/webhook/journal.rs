//! Paging the Adobe I/O Events journal.
//!
//! The journal keeps 7 days of events. A client sends `GET` to the journal URL; the answer is
//! `200` with a page (`{"events": [{"position", "event"}], "_page": {"last", "count"}}`) and
//! a `Link: <...>; rel="next"` header to read the following page, or `204 No Content` when
//! there is no newer event yet: the end of the journal for now. Its `Link` header still
//! points to where to poll next (honour `Retry-After` before polling again).

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use super::WebhookError;
use crate::json::Key;
use crate::Notification;

/// A journal page: its events, as notifications, and its `_page` information.
///
/// ```
/// use aep_flow_run::webhook::JournalPage;
///
/// let body = br#"{"events": [{"position": "v2:p1", "event": {"event_id": "e1",
///     "event": {"id": "run-1", "metrics": {}}}}], "_page": {"last": "v2:p1", "count": 1}}"#;
/// let page = JournalPage::parse(body)?;
/// assert_eq!(page.events[0].journal_position.as_deref(), Some("v2:p1"));
/// assert_eq!(page.page.count, Some(1));
/// assert_eq!(page.last_position(), Some("v2:p1"));
/// # Ok::<(), aep_flow_run::webhook::WebhookError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalPage {
    /// The events, in journal order; each carries its position in
    /// [`Notification::journal_position`].
    pub events: Vec<Notification>,
    /// The `_page` object.
    pub page: PageInfo,
}

/// A journal page's `_page` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageInfo {
    /// `last`: the position of the page's last event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// `count`: how many events the page holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl JournalPage {
    /// Parses a journal page (the body of a `200` journal response). A body that is no
    /// journal page (no `events` array at top level) is an error.
    ///
    /// Events are read by [`crate::parse_notifications`]; `_page` by a second, skimming read
    /// of the body that skips everything else.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let outline = read_outline(body);
        let events = crate::parse_notifications(body)?;
        Ok(JournalPage {
            events,
            page: outline?,
        })
    }

    /// The position to resume from: `_page.last`, or the last event's position.
    pub fn last_position(&self) -> Option<&str> {
        self.page.last.as_deref().or_else(|| {
            self.events
                .iter()
                .rev()
                .find_map(|event| event.journal_position.as_deref())
        })
    }
}

/// What a journal response says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum JournalResponse {
    /// `200`: a page of events, and the URL of the next page (from the `Link` header).
    Page {
        /// The page.
        page: JournalPage,
        /// The `rel="next"` link, resolved against the request URL.
        next: Option<Url>,
    },
    /// `204 No Content`: the end of the journal for now, no newer event yet. Poll `next`
    /// again later (after `Retry-After`, when the response carries one).
    End {
        /// The `rel="next"` link, resolved against the request URL.
        next: Option<Url>,
    },
}

/// Reads a journal response from its status, `Link` header value and body.
///
/// `200` is a page, `204` the end of the journal for now; any other status is
/// [`WebhookError::UnexpectedStatus`]. A `next` link to another origin than the request's is
/// [`WebhookError::ForeignLink`] (see [`next_link`]).
///
/// ```
/// use aep_flow_run::webhook::{read_journal_response, JournalResponse};
/// use url::Url;
///
/// let request = Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r")?;
/// let link = r#"</events/organizations/o/integrations/i/r?since=v2:p9>; rel="next""#;
/// match read_journal_response(204, Some(link), &request, b"")? {
///     JournalResponse::End { next } => assert_eq!(next.unwrap().query(), Some("since=v2:p9")),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_journal_response(
    status: u16,
    link_header_value: Option<&str>,
    request_url: &Url,
    body: &[u8],
) -> Result<JournalResponse, WebhookError> {
    let next = match link_header_value {
        Some(link) => next_link(link, request_url)?,
        None => None,
    };
    match status {
        200 => Ok(JournalResponse::Page {
            page: JournalPage::parse(body)?,
            next,
        }),
        204 => Ok(JournalResponse::End { next }),
        status => Err(WebhookError::UnexpectedStatus { status }),
    }
}

/// The `rel="next"` target of a `Link` header value (RFC 8288), resolved against the URL the
/// request went to: `Ok(None)` when there is no `next` link (or the header does not parse).
///
/// The link must stay where the request went: same scheme, host and port, and no user name
/// or password. A journal client sends its bearer token with the next request, so a link to
/// anywhere else (`<http://evil.example/x>`, `<https://169.254.169.254/latest>`, another
/// port, `https://user:pw@...`) is refused with [`WebhookError::ForeignLink`] instead of
/// being followed.
///
/// Several links may be given, separated by commas; `rel` may be quoted or not and hold
/// several space-separated relation types, compared ignoring ASCII case.
///
/// ```
/// use aep_flow_run::webhook::{next_link, WebhookError};
/// use url::Url;
///
/// let request = Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r?limit=5")?;
/// let link = r#"</events/organizations/o/integrations/i/r?since=p2&limit=5>; rel="next", <https://x.adobe.io/count>; rel=count"#;
/// assert_eq!(
///     next_link(link, &request).unwrap().unwrap().as_str(),
///     "https://events-va6.adobe.io/events/organizations/o/integrations/i/r?since=p2&limit=5"
/// );
/// assert_eq!(next_link(r#"<a>; rel="prev""#, &request), Ok(None));
/// assert!(matches!(
///     next_link("<https://evil.example/x>; rel=next", &request),
///     Err(WebhookError::ForeignLink { .. })
/// ));
/// # Ok::<(), url::ParseError>(())
/// ```
pub fn next_link(link_header_value: &str, request_url: &Url) -> Result<Option<Url>, WebhookError> {
    let Some((target, _)) = parse_links(link_header_value)
        .into_iter()
        .find(|(_, rels)| {
            rels.split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
        })
    else {
        return Ok(None);
    };
    let Ok(url) = request_url.join(target) else {
        return Ok(None);
    };
    let same_origin = url.scheme() == request_url.scheme()
        && url.host() == request_url.host()
        && url.port_or_known_default() == request_url.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    if same_origin {
        Ok(Some(url))
    } else {
        Err(WebhookError::ForeignLink {
            link: super::error::clip(url.as_str(), 200),
        })
    }
}

/// The links of a `Link` header value, as (target, rel) pairs; parsing stops at the first
/// malformed link.
fn parse_links(value: &str) -> Vec<(&str, String)> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return links;
        }
        let Some(after_open) = rest.strip_prefix('<') else {
            return links;
        };
        let Some(close) = after_open.find('>') else {
            return links;
        };
        let target = &after_open[..close];
        rest = &after_open[close + 1..];
        let mut rel = String::new();
        // Parameters: `; name[=value]`, value a token or a quoted string.
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
            let Some(after_semicolon) = rest.strip_prefix(';') else {
                break;
            };
            rest = after_semicolon.trim_start_matches(|c: char| c.is_ascii_whitespace());
            let name_end = rest
                .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_ascii_whitespace())
                .unwrap_or(rest.len());
            let name = &rest[..name_end];
            rest = rest[name_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
            let mut param = String::new();
            if let Some(after_equals) = rest.strip_prefix('=') {
                rest = after_equals.trim_start_matches(|c: char| c.is_ascii_whitespace());
                if let Some(quoted) = rest.strip_prefix('"') {
                    let mut chars = quoted.char_indices();
                    let mut end = None;
                    while let Some((index, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, escaped)) = chars.next() {
                                    param.push(escaped);
                                }
                            }
                            '"' => {
                                end = Some(index);
                                break;
                            }
                            c => param.push(c),
                        }
                    }
                    let Some(end) = end else {
                        return links;
                    };
                    rest = &quoted[end + 1..];
                } else {
                    let end = rest
                        .find(|c: char| c == ';' || c == ',' || c.is_ascii_whitespace())
                        .unwrap_or(rest.len());
                    param.push_str(&rest[..end]);
                    rest = &rest[end..];
                }
            }
            if name.eq_ignore_ascii_case("rel") && rel.is_empty() {
                rel = param;
            }
        }
        links.push((target, rel));
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if !rest.is_empty() && !rest.starts_with(',') {
            return links;
        }
    }
}

/// The `_page` object of a journal page, by a skimming read of the body; a body that is no
/// JSON or has no top-level `events` array is [`WebhookError::InvalidBody`].
pub(crate) fn read_outline(body: &[u8]) -> Result<PageInfo, WebhookError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let outline = deserializer
        .deserialize_any(OutlineVisitor)
        .and_then(|outline| deserializer.end().map(|()| outline))
        .map_err(|error| WebhookError::InvalidBody {
            message: error.to_string(),
        })?;
    if !outline.has_events {
        return Err(WebhookError::InvalidBody {
            message: "not a journal page: no `events` array".to_owned(),
        });
    }
    Ok(outline.page.unwrap_or_default())
}

/// What the skimming read of a journal page learns: whether it has `events`, and `_page`.
struct Outline {
    has_events: bool,
    page: Option<PageInfo>,
}

struct OutlineVisitor;

impl<'de> Visitor<'de> for OutlineVisitor {
    type Value = Outline;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a journal page object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outline, A::Error> {
        let mut outline = Outline {
            has_events: false,
            page: None,
        };
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "_page" if outline.page.is_none() => outline.page = map.next_value()?,
                "events" => {
                    outline.has_events = map.next_value::<EventsShape>()?.0;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(outline)
    }
}

/// Whether a value is an array, skipping its content.
pub(crate) struct EventsShape(pub(crate) bool);

impl<'de> Deserialize<'de> for EventsShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShapeVisitor;

        impl<'de> Visitor<'de> for ShapeVisitor {
            type Value = EventsShape;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<EventsShape, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| EventsShape(true))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EventsShape, A::Error> {
                IgnoredAny.visit_map(map).map(|_| EventsShape(false))
            }

            crate::json::scalars_give!(EventsShape(false));
        }

        deserializer.deserialize_any(ShapeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_forms() {
        let base = Url::parse("https://journal.example/events/r?limit=2").unwrap();
        let next = |value: &str| {
            next_link(value, &base)
                .ok()
                .flatten()
                .map(|url| url.to_string())
        };
        assert_eq!(
            next("<?since=a>; rel=next").as_deref(),
            Some("https://journal.example/events/r?since=a")
        );
        assert_eq!(
            next(
                r#"<https://a.example/x>; rel="prev", <../y;z>; title="a, \"b\""; REL="last NEXT""#
            )
            .as_deref(),
            Some("https://journal.example/y;z")
        );
        assert_eq!(next(r#"<javascript:alert(1)>; rel="next""#), None);
        assert_eq!(next(r#"<https://a.example/x; rel="next""#), None);
        assert_eq!(next(""), None);
        assert_eq!(next("garbage"), None);
        assert_eq!(next(r#"<x>; rel="next"#), None);
    }

    #[test]
    fn pages_and_statuses() {
        let base = Url::parse("https://journal.example/events/r").unwrap();
        assert!(matches!(
            read_journal_response(500, None, &base, b""),
            Err(WebhookError::UnexpectedStatus { status: 500 })
        ));
        assert!(matches!(
            read_journal_response(200, None, &base, br#"{"items": []}"#),
            Err(WebhookError::InvalidBody { .. } | WebhookError::Parse(_))
        ));
        let empty = JournalPage::parse(br#"{"events": [], "_page": {"count": 0}}"#).unwrap();
        assert!(empty.events.is_empty());
        assert_eq!(empty.last_position(), None);
    }
}
