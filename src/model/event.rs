//! Every event a delivery holds: flow runs, alerts, and anything else, kept verbatim.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use super::element::JournalEntryOut;
use crate::{Alert, Extra, FlowRun, Format, Notification};

/// One event of a delivery, whatever it reports: what [`parse_events`](crate::parse_events)
/// gives for each element of a body, in order.
///
/// A registration can subscribe to more than flow-run events, so a webhook batch or a journal
/// page can mix runs with alerts, audit events and other products' events; none is dropped.
///
/// ```
/// use aep_flow_run::{parse_events, Event};
///
/// let body = br#"[
///   {"event_id": "a", "event": {"id": "run-1", "metrics": {"statusSummary": {"status": "success"}}}},
///   {"event_id": "b", "event": {"id": "al-1", "status": "FIRING", "name": "flow_run_delay"}},
///   {"specversion": "1.0", "type": "com.adobe.other", "id": "c", "data": {"key": "k"}}
/// ]"#;
/// let events = parse_events(body)?;
/// let kinds: Vec<_> = events.iter().map(|e| (e.event_id(), e.kind().as_str())).collect();
/// assert_eq!(kinds, [(Some("a"), "flow_run"), (Some("b"), "alert"), (Some("c"), "other")]);
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
///
/// Serialising an event writes back the wire element it was read from, envelope included, so
/// `parse_events` reads stored output back to an equal value.
// Flow runs, the common case, are held inline: boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A flow run: what [`parse_notifications`](crate::parse_notifications) gives for it.
    FlowRun(Notification),
    /// An observability alert about a flow that is not a run.
    Alert(Alert),
    /// Any other event, kept verbatim with its envelope.
    Other(OtherEvent),
}

/// Which of the three an [`Event`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// [`Event::FlowRun`].
    FlowRun,
    /// [`Event::Alert`].
    Alert,
    /// [`Event::Other`].
    Other,
}

impl EventKind {
    /// `flow_run`, `alert` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::FlowRun => "flow_run",
            EventKind::Alert => "alert",
            EventKind::Other => "other",
        }
    }

    /// A phrase for messages: "a flow run", "an alert", "another event".
    pub(crate) fn description(self) -> &'static str {
        match self {
            EventKind::FlowRun => "a flow run",
            EventKind::Alert => "an alert",
            EventKind::Other => "another event",
        }
    }
}

impl Event {
    /// The I/O Events event id (`event_id`, `eventid`, or the CloudEvent `id`): what Adobe
    /// also sends in `x-adobe-event-id`, and the key to deduplicate deliveries by.
    pub fn event_id(&self) -> Option<&str> {
        match self {
            Event::FlowRun(notification) => notification.event_id.as_deref(),
            Event::Alert(alert) => alert.event_id.as_deref(),
            Event::Other(other) => other.event_id.as_deref(),
        }
    }

    /// Which of the three it is.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::FlowRun(_) => EventKind::FlowRun,
            Event::Alert(_) => EventKind::Alert,
            Event::Other(_) => EventKind::Other,
        }
    }

    /// The event code as it came (`header._adobeio.eventCode`, a CloudEvent's `type`, a
    /// message's `_eventNotificationMeta.type`), when there is one.
    pub fn event_code(&self) -> Option<&str> {
        let code = match self {
            Event::FlowRun(notification) => notification.event_code.as_str(),
            Event::Alert(alert) => alert.event_code.as_str(),
            Event::Other(other) => return other.event_code.as_deref(),
        };
        (!code.is_empty()).then_some(code)
    }

    /// The recipient client id the element names, when it names one.
    pub fn recipient_client_id(&self) -> Option<&str> {
        match self {
            Event::FlowRun(notification) => notification.recipient_client_id.as_deref(),
            Event::Alert(alert) => alert.recipient_client_id.as_deref(),
            Event::Other(other) => other.recipient_client_id.as_deref(),
        }
    }

    /// The journal position, when read from a journal page.
    pub fn journal_position(&self) -> Option<&str> {
        match self {
            Event::FlowRun(notification) => notification.journal_position.as_deref(),
            Event::Alert(alert) => alert.journal_position.as_deref(),
            Event::Other(other) => other.journal_position.as_deref(),
        }
    }

    /// The flow run, when it is one.
    pub fn as_flow_run(&self) -> Option<&Notification> {
        match self {
            Event::FlowRun(notification) => Some(notification),
            _ => None,
        }
    }

    /// The run itself (ids, metrics, activities), when the event is a flow run: the
    /// shortcut past its notification (`event.run()` rather than `notification.run`).
    ///
    /// ```
    /// let events = aep_flow_run::parse_events(
    ///     br#"{"event_id": "e-1", "event": {"id": "run-1", "metrics": {}}}"#,
    /// )?;
    /// assert_eq!(events[0].run().and_then(|run| run.id.as_deref()), Some("run-1"));
    /// # Ok::<(), aep_flow_run::Error>(())
    /// ```
    pub fn run(&self) -> Option<&FlowRun> {
        self.as_flow_run().map(|notification| &notification.run)
    }

    /// The alert, when it is one.
    pub fn as_alert(&self) -> Option<&Alert> {
        match self {
            Event::Alert(alert) => Some(alert),
            _ => None,
        }
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Event::FlowRun(notification) => notification.serialize(serializer),
            Event::Alert(alert) => alert.serialize(serializer),
            Event::Other(other) => other.serialize(serializer),
        }
    }
}

/// An event that is neither a flow run nor an alert (audit events, other products' events,
/// Flow Service flows, Segmentation Service jobs, Destination SDK configurations), kept
/// verbatim with its envelope: its text as it came, parsed only when asked.
///
/// ```
/// use aep_flow_run::{parse_events, Event};
///
/// let body = std::fs::read("fixtures/events/audit-dataset-delete.json")?;
/// let Event::Other(audit) = &parse_events(&body)?[0] else { panic!("another event") };
/// assert_eq!(audit.event_code.as_deref(), Some("audit_events_info"));
/// assert_eq!(audit.element()["payload"]["action"], "Delete");
/// assert!(audit.element_text().starts_with("{"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OtherEvent {
    /// `eventid` or `event_id` of the envelope, else a CloudEvent's `id`.
    pub event_id: Option<String>,
    /// The event code (`header._adobeio.eventCode`, a message's `_eventNotificationMeta.type`)
    /// or the CloudEvent `type`, as it came.
    pub event_code: Option<String>,
    /// The recipient client id of the envelope, when it names one.
    pub recipient_client_id: Option<String>,
    /// The wire shape of the element.
    pub format: Format,
    /// Its position in the I/O Events journal, when read from a journal page.
    pub journal_position: Option<String>,
    /// The journal entry's members beside `position` and `event`, as they came.
    pub journal_entry: Extra,
    /// The element exactly as it came, envelope included (a journal entry's `event`): JSON
    /// text, as the reader checked it (it is checked again only when written).
    pub(crate) element: Box<str>,
}

impl OtherEvent {
    /// The element as a JSON value, parsed from its text on each call.
    pub fn element(&self) -> Value {
        // The text was read as JSON once already: it parses again.
        serde_json::from_str(&self.element).unwrap_or(Value::Null)
    }

    /// The element's text exactly as it came (whitespace and key order included).
    pub fn element_text(&self) -> &str {
        &self.element
    }
}

/// Equal when every fact and the element's text are equal, whitespace between tokens aside.
impl PartialEq for OtherEvent {
    fn eq(&self, other: &OtherEvent) -> bool {
        self.event_id == other.event_id
            && self.event_code == other.event_code
            && self.recipient_client_id == other.recipient_client_id
            && self.format == other.format
            && self.journal_position == other.journal_position
            && self.journal_entry == other.journal_entry
            && tokens(&self.element).eq(tokens(&other.element))
    }
}

/// The characters of JSON text without the whitespace between its tokens.
fn tokens(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut in_string = false;
    let mut escaped = false;
    text.chars().filter(move |&c| {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            return true;
        }
        in_string = c == '"';
        !c.is_ascii_whitespace()
    })
}

impl Eq for OtherEvent {}

impl Serialize for OtherEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let element: &RawValue =
            serde_json::from_str(&self.element).map_err(serde::ser::Error::custom)?;
        let position = self.journal_position.as_deref();
        match JournalEntryOut::around(position, element, &self.journal_entry) {
            Some(entry) => entry.write_page(serializer),
            None if self.format == Format::JournalEntry => single("events", [element], serializer),
            None if self.format == Format::RunListItem => single("items", [element], serializer),
            // A body is an object or an array: an element that is neither (a batch may hold
            // anything) is written as a batch of one.
            None if !self.element.trim_start().starts_with('{') => [element].serialize(serializer),
            None => element.serialize(serializer),
        }
    }
}

/// `{key: value}`.
fn single<S: Serializer, V: Serialize>(
    key: &str,
    value: V,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, &value)?;
    map.end()
}
