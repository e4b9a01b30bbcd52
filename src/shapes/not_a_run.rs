//! On the one-pass route of `parse_events`, an element that holds no run: another event,
//! kept as the text it came in without building a value, or an alert, read from its own
//! text. Only what the value route would read the same way is taken here; anything else
//! (a journal page or a message list that holds no run, a run list, an object of two shapes)
//! stops the pass, and the body goes the value route.

use serde_json::Value;

use super::bare_run::MaybeRun;
use super::item::Item;
use super::path::{NotFound, Path, SINGLE_SHAPE};
use crate::{AlertStatus, Event, EventCode, Extra, Format, OtherEvent};

/// What an element read in one pass turned out to hold.
pub(super) enum Holds {
    /// Runs: its notifications are taken as for `parse_notifications`.
    Runs,
    /// An alert, which is read from the element's text.
    Alert,
    /// Another event.
    Other,
}

impl Item {
    /// What the element holds, or why the value route must read it.
    pub(super) fn holds(&self, path: &Path<'_>) -> Result<Holds, NotFound> {
        let shapes = &self.shapes;
        let markers = self.marker_count();
        let cloud_event = shapes.attributes.contains_key("specversion");
        let payload: Option<&MaybeRun> = match markers {
            0 if self.is_run() => return Ok(Holds::Runs),
            0 => None,
            1 if self.is_run() => return Err(NotFound::at(path, SINGLE_SHAPE)),
            1 if cloud_event || shapes.has_nested("event") => {
                let key = if cloud_event { "data" } else { "event" };
                match shapes.nested(key) {
                    Some(payload) if payload.is_run => return Ok(Holds::Runs),
                    payload => payload,
                }
            }
            // A journal page or a message list: runs, or the value route says what else.
            1 if shapes.items.is_none() => return Ok(Holds::Runs),
            _ => return Err(NotFound::at(path, SINGLE_SHAPE)),
        };
        let alert = match payload {
            Some(payload) => looks_like_alert(|key| payload.run.extra.get(key).cloned()),
            None if cloud_event => false,
            None => looks_like_alert(|key| self.unknown_field(key)),
        };
        Ok(if alert { Holds::Alert } else { Holds::Other })
    }

    /// The element as another event, kept as `text`.
    pub(super) fn other_event(&mut self, text: &str) -> Option<Event> {
        let element: Box<str> = text.into();
        let shapes = &mut self.shapes;
        let cloud_event = shapes.attributes.contains_key("specversion");
        let (format, payload) = if cloud_event {
            (Format::CloudEvent, shapes.nested("data"))
        } else if shapes.has_nested("event") {
            (Format::IoEvent, shapes.nested("event"))
        } else {
            (Format::BareRun, None)
        };
        let payload_code = payload.and_then(|payload| payload.run.header_event_code());
        let type_code = match shapes.attributes.get("type").and_then(|code| code.as_str()) {
            Some(code) if cloud_event => Some(EventCode::from(code)),
            _ => None,
        };
        let event_code = match type_code {
            Some(code) if code != EventCode::Missing => Some(code.as_str().to_owned()),
            _ => payload_code
                .or(self.run.header_event_code())
                .map(str::to_owned),
        };
        let (event_id, recipient_client_id) = shapes.ids.take(&mut shapes.attributes);
        let event_id = match event_id {
            Some((_, id)) => Some(id),
            None if cloud_event => self.run.id.clone(),
            None => None,
        };
        Some(Event::Other(OtherEvent {
            event_id,
            event_code,
            recipient_client_id: recipient_client_id.map(|(_, id)| id),
            format,
            journal_position: None,
            journal_entry: Extra::new(),
            element,
        }))
    }
}

/// Whether an object read as a run is an alert by Adobe's alert shape: a `name` and a
/// `status` of `FIRING` or `INACTIVE` (neither of them a run field, both among its unknown
/// fields).
fn looks_like_alert(field: impl Fn(&str) -> Option<Value>) -> bool {
    let known_status = match field("status") {
        Some(Value::String(status)) => !matches!(AlertStatus::from(status), AlertStatus::Other(_)),
        _ => false,
    };
    known_status && field("name").is_some_and(|name| name.is_string())
}
