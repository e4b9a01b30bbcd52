//! What a delivery element says around its payload (ids, code, time, envelope), and writing
//! the element back as it came, envelope included.

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::{EventCode, Extra, Format, MessageInfo, Timestamp};

/// The spellings of the I/O Events ids, and the CloudEvent `id`, in the order an element's
/// ids are looked for.
const ID_KEYS: [&str; 5] = [
    "event_id",
    "eventid",
    "id",
    "recipient_client_id",
    "recipientclientid",
];

/// Which spelling each id of an element came under (`eventid` or `event_id`, ...), so that
/// it is written back under the same one. Two bytes: an index into the spellings, plus one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct IdKeys {
    event_id: u8,
    recipient: u8,
}

impl IdKeys {
    /// The spellings of an event id and a recipient client id read under `event_id` and
    /// `recipient` (keys that are no id spelling are not kept).
    pub(crate) fn of(event_id: Option<&str>, recipient: Option<&str>) -> Self {
        let place = |key: Option<&str>| {
            key.and_then(|key| ID_KEYS.iter().position(|known| *known == key))
                .map_or(0, |index| index as u8 + 1)
        };
        IdKeys {
            event_id: place(event_id),
            recipient: place(recipient),
        }
    }

    /// The same, with the event id read under `key`.
    pub(crate) fn with_event_id_key(self, key: Option<&str>) -> Self {
        IdKeys {
            event_id: IdKeys::of(key, None).event_id,
            ..self
        }
    }

    fn key(place: u8) -> Option<&'static str> {
        ID_KEYS.get(usize::from(place).checked_sub(1)?).copied()
    }
}

/// The facts of a delivery element around its payload, as the shapes read them.
#[derive(Debug, Default)]
pub(crate) struct Context {
    pub(crate) format: Format,
    pub(crate) id_keys: IdKeys,
    pub(crate) journal_entry: Extra,
    pub(crate) event_id: Option<String>,
    pub(crate) event_code: EventCode,
    pub(crate) recipient_client_id: Option<String>,
    pub(crate) published_at: Option<Timestamp>,
    pub(crate) journal_position: Option<String>,
    pub(crate) envelope: Extra,
    pub(crate) message: Option<Box<MessageInfo>>,
}

/// A delivery element to write back: its payload (a run, an alert) in the envelope of its
/// format, and in a journal page's entry when it was read from one. Reading the output gives
/// back an equal value.
pub(crate) struct Element<'a, P: Clone> {
    pub(crate) format: Format,
    pub(crate) id_keys: IdKeys,
    /// The journal entry's members beside `position` and `event`.
    pub(crate) journal_entry: &'a Extra,
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
        match JournalEntryOut::around(self.journal_position, Unwrapped(self), self.journal_entry) {
            Some(entry) => entry.write_page(serializer),
            None => Unwrapped(self).serialize(serializer),
        }
    }
}

/// A journal entry around an element: its position, the element, and the entry's other
/// members.
#[derive(Serialize)]
pub(crate) struct JournalEntryOut<'a, E> {
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<&'a str>,
    event: E,
    #[serde(flatten)]
    siblings: &'a Extra,
}

impl<'a, E: Serialize> JournalEntryOut<'a, E> {
    /// The entry an element read from a journal page is written in, when it was read from
    /// one (it has a position, or members beside its `event`).
    pub(crate) fn around(position: Option<&'a str>, event: E, siblings: &'a Extra) -> Option<Self> {
        (position.is_some() || !siblings.is_empty()).then_some(JournalEntryOut {
            position,
            event,
            siblings,
        })
    }

    /// Writes `{"events": [entry]}`.
    pub(crate) fn write_page<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("events", &[self])?;
        map.end()
    }
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
        element.envelope.write_entries(&mut map)?;
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
                let message = MessageOut {
                    info: element.message,
                    timestamp: element.published_at,
                    value: payload,
                };
                map.serialize_entry("messages", &[message])?;
            }
            Format::BareRun | Format::RunListItem | Format::JournalEntry => {}
        }
        map.end()
    }
}

/// A message of a message list: its own fields, its time and its payload, written in one
/// go (a map built first would sort the fields the model does not know).
#[derive(Serialize)]
struct MessageOut<'a, P> {
    #[serde(flatten)]
    info: Option<&'a MessageInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a Timestamp>,
    value: &'a P,
}

/// Writes the ids, each under the spelling it came under, else under the first of its
/// spellings that the envelope does not hold (it keeps a spelling that came beside another,
/// or that was no string).
fn write_ids<M: SerializeMap, P: Clone>(
    map: &mut M,
    element: &Element<'_, P>,
    event_id_keys: &[&str],
) -> Result<(), M::Error> {
    let free = |spelled: Option<&'static str>, keys: &[&'static str]| {
        spelled
            .into_iter()
            .chain(keys.iter().copied())
            .find(|key| !element.envelope.contains_key(key))
    };
    let event_id_keys: Vec<&'static str> = ["id", "event_id", "eventid"]
        .into_iter()
        .filter(|key| event_id_keys.contains(key))
        .collect();
    let spelled = IdKeys::key(element.id_keys.event_id).filter(|key| event_id_keys.contains(key));
    if let (Some(id), Some(key)) = (element.event_id, free(spelled, &event_id_keys)) {
        map.serialize_entry(key, id)?;
    }
    let recipient_keys = ["recipient_client_id", "recipientclientid"];
    let spelled = IdKeys::key(element.id_keys.recipient);
    if let (Some(recipient), Some(key)) =
        (element.recipient_client_id, free(spelled, &recipient_keys))
    {
        map.serialize_entry(key, recipient)?;
    }
    Ok(())
}
