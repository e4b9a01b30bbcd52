//! What a delivery element says around its payload (ids, code, time, envelope), and writing
//! the element back as it came, envelope included.

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::{EventCode, Extra, Format, MessageInfo, Timestamp};

/// The facts of a delivery element around its payload, as the shapes read them.
#[derive(Debug, Default)]
pub(crate) struct Context {
    pub(crate) format: Format,
    pub(crate) event_id: Option<String>,
    pub(crate) event_code: EventCode,
    pub(crate) recipient_client_id: Option<String>,
    pub(crate) published_at: Option<Timestamp>,
    pub(crate) journal_position: Option<String>,
    pub(crate) envelope: Extra,
    pub(crate) message: Option<MessageInfo>,
}

/// A delivery element to write back: its payload (a run, an alert) in the envelope of its
/// format, and in a journal page's entry when it was read from one. Reading the output gives
/// back an equal value.
pub(crate) struct Element<'a, P: Clone> {
    pub(crate) format: Format,
    pub(crate) event_id: Option<&'a str>,
    pub(crate) event_code: &'a EventCode,
    pub(crate) recipient_client_id: Option<&'a str>,
    pub(crate) published_at: Option<&'a Timestamp>,
    pub(crate) journal_position: Option<&'a str>,
    pub(crate) envelope: &'a Extra,
    pub(crate) message: Option<&'a MessageInfo>,
    pub(crate) payload: Cow<'a, P>,
}

impl<P: Serialize + Clone> Serialize for Element<'_, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.journal_position {
            Some(position) => {
                let entry = JournalEntryOut {
                    position,
                    event: Unwrapped(self),
                };
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("events", &[entry])?;
                map.end()
            }
            None => Unwrapped(self).serialize(serializer),
        }
    }
}

#[derive(Serialize)]
struct JournalEntryOut<'a, E> {
    position: &'a str,
    event: E,
}

/// The element without its journal entry.
struct Unwrapped<'e, 'a, P: Clone>(&'e Element<'a, P>);

impl<P: Serialize + Clone> Serialize for Unwrapped<'_, '_, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let element = self.0;
        let payload = &*element.payload;
        match element.format {
            // A payload on its own (a journal entry's too: its position is written around it).
            Format::BareRun | Format::JournalEntry => return payload.serialize(serializer),
            Format::RunListItem => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("items", &[payload])?;
                return map.end();
            }
            Format::IoEvent | Format::CloudEvent | Format::Message => {}
        }
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in element.envelope {
            map.serialize_entry(key, value)?;
        }
        match element.format {
            Format::IoEvent => {
                write_ids(&mut map, element, &["event_id", "eventid"])?;
                map.serialize_entry("event", payload)?;
            }
            Format::CloudEvent => {
                // The CloudEvent's own `id` serves as the event id unless the envelope kept
                // one beside an I/O Events id.
                write_ids(&mut map, element, &["id", "event_id", "eventid"])?;
                // Written even when empty, which reads back as no code where an absent one
                // would take the run header's; not when the envelope kept a `type` that was
                // no string.
                if !element.envelope.contains_key("type") {
                    map.serialize_entry("type", element.event_code.as_str())?;
                }
                if let Some(time) = element.published_at {
                    map.serialize_entry("time", time)?;
                }
                map.serialize_entry("data", payload)?;
            }
            Format::Message => {
                let mut message = match element.message.map(serde_json::to_value) {
                    Some(Ok(Value::Object(fields))) => fields,
                    _ => serde_json::Map::new(),
                };
                if let Some(time) = element.published_at {
                    message.insert("timestamp".to_owned(), time_value(time));
                }
                let payload = serde_json::to_value(payload).map_err(serde::ser::Error::custom)?;
                message.insert("value".to_owned(), payload);
                map.serialize_entry("messages", &[message])?;
            }
            Format::BareRun | Format::RunListItem | Format::JournalEntry => {}
        }
        map.end()
    }
}

/// Writes the ids, each under the first of its spellings that the envelope does not hold (it
/// keeps a spelling that came beside another, or that was no string).
fn write_ids<M: SerializeMap, P: Clone>(
    map: &mut M,
    element: &Element<'_, P>,
    event_id_keys: &[&str],
) -> Result<(), M::Error> {
    let free = |keys: &[&'static str]| {
        keys.iter()
            .copied()
            .find(|key| !element.envelope.contains_key(key))
    };
    let event_id_keys: Vec<&'static str> = ["id", "event_id", "eventid"]
        .into_iter()
        .filter(|key| event_id_keys.contains(key))
        .collect();
    if let (Some(id), Some(key)) = (element.event_id, free(&event_id_keys)) {
        map.serialize_entry(key, id)?;
    }
    let recipient_keys = ["recipient_client_id", "recipientclientid"];
    if let (Some(recipient), Some(key)) = (element.recipient_client_id, free(&recipient_keys)) {
        map.serialize_entry(key, recipient)?;
    }
    Ok(())
}

fn time_value(time: &Timestamp) -> Value {
    serde_json::to_value(time).unwrap_or(Value::Null)
}
