//! Shape 6, the journal page: `{"events": [{"position": P, "event": shape 1, 3 or 4}],
//! "_page": {...}}`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::batch::ElementSeed;
use super::events::{alert_of_text, other_of_text};
use super::item::{read_item, Item};
use super::not_a_run::Holds;
use super::path::{NotFound, Path, Step, NOTIFICATION};
use super::Sink;
use crate::json::{duplicate, fill_by_value, Direct, Fields, Key, Reader, Rejected};
use crate::{Event, Extra, Notification};

/// Hands on the events of every entry of a journal page: to a sink of notifications, only
/// runs, or says which entry has none.
pub(super) fn push_journal_page<S: Sink>(
    events: Vec<JournalEntry>,
    out: &mut S,
    path: &Path<'_>,
) -> Result<(), NotFound> {
    let events_path = path.child(Step::Key("events"));
    for (index, entry) in events.into_iter().enumerate() {
        let read = match entry.refusal {
            Some(refusal) if !S::TAKES_EVENTS => Err(refusal),
            _ => entry.events,
        };
        match read {
            Ok(events) => events.into_iter().for_each(|event| out.push_event(event)),
            Err(missing) => {
                let entry_path = events_path.child(Step::Index(index));
                return Err(missing.under(&entry_path));
            }
        }
    }
    Ok(())
}

/// A journal position as text; `null` is no position.
pub(super) fn position_text(position: Value) -> Option<String> {
    match position {
        Value::Null => None,
        Value::String(text) => Some(text),
        other => Some(other.to_string()),
    }
}

/// An entry of a journal page's `events`, classified as soon as it is read (so a page of
/// many entries never holds their unclassified objects), with paths relative to the entry.
pub(super) struct JournalEntry {
    /// Its events, or why the value route must read it.
    events: Result<Vec<Event>, NotFound>,
    /// Why it holds no notification, when it holds something else than runs.
    refusal: Option<NotFound>,
}

impl Default for JournalEntry {
    fn default() -> Self {
        JournalEntry {
            events: Ok(Vec::new()),
            refusal: None,
        }
    }
}

/// An entry's members as they are read.
#[derive(Default)]
struct EntryParts<'t> {
    position: Option<Value>,
    event: Item,
    /// Whether `event` came, and whether it was an object.
    event_seen: Option<bool>,
    /// The text of `event`, when the reader gives it.
    event_text: Option<&'t str>,
    siblings: Extra,
}

impl EntryParts<'_> {
    /// Takes one member that is not `event`.
    fn take<'de, E: de::Error>(
        &mut self,
        key: Cow<'de, str>,
        value: impl FnOnce() -> Result<Value, E>,
    ) -> Result<(), E> {
        match &*key {
            "position" if self.position.is_none() => self.position = Some(value()?),
            "position" | "event" => return Err(duplicate(&key)),
            _ => self.siblings.push_unchecked(key.into_owned(), value()?),
        }
        Ok(())
    }

    /// The same, given as its text (by the crate's reader): a sibling keeps its text.
    fn take_text<E: de::Error>(&mut self, key: Cow<'_, str>, text: &str) -> Result<(), E> {
        match &*key {
            "position" | "event" => {
                self.take(key, || serde_json::from_str(text).map_err(E::custom))
            }
            _ => self.siblings.push_text(&key, text).map_err(E::custom),
        }
    }

    /// Classifies the entry once it is read in full.
    fn finish(mut self) -> JournalEntry {
        self.siblings.merge_repeated();
        let position = self.position.take().and_then(position_text);
        let event_path = Path::Root.child(Step::Key("event"));
        let no_notification = || NotFound::at(&event_path, NOTIFICATION);
        let entry = match (self.event_seen, self.event_text) {
            (Some(true), text) => classify(&mut self.event, &event_path, position.as_deref(), text),
            (Some(false), Some(text)) => JournalEntry {
                events: other_of_text(text)
                    .ok_or_else(no_notification)
                    .map(|e| vec![e]),
                refusal: Some(no_notification()),
            },
            _ => JournalEntry {
                events: Err(no_notification()),
                refusal: Some(no_notification()),
            },
        };
        self.event.discard();
        entry.placed(position, self.siblings)
    }
}

/// The events of an entry's `event` object, read as `item`.
fn classify(
    item: &mut Item,
    path: &Path<'_>,
    position: Option<&str>,
    text: Option<&str>,
) -> JournalEntry {
    let holds = match item.holds(path) {
        Ok(holds) => holds,
        Err(missing) => {
            return JournalEntry {
                events: Err(missing.clone()),
                refusal: Some(missing),
            }
        }
    };
    // One event for another event or an alert; runs as many as the object carries.
    let mut events = Vec::with_capacity(1);
    let read = match (holds, text) {
        (Holds::Runs, _) => {
            let read = item.take_notifications(&mut events, path, position);
            return JournalEntry {
                refusal: read.as_ref().err().cloned(),
                events: read.map(|()| events),
            };
        }
        (Holds::Other, Some(text)) => item.other_event(text).map(|other| events.push(other)),
        (Holds::Alert, Some(text)) => alert_of_text(text, item.marker_count() == 0, &mut events),
        (_, None) => None,
    };
    // What `parse_notifications` says of it (its unknown fields, which say nothing of that,
    // are not read).
    item.shapes.unknown.clear();
    let refusal = item
        .take_notifications(&mut Vec::<Notification>::new(), path, position)
        .err()
        .unwrap_or_else(|| NotFound::at(path, NOTIFICATION));
    JournalEntry {
        events: read.map(|()| events).ok_or_else(|| refusal.clone()),
        refusal: Some(refusal),
    }
}

impl JournalEntry {
    /// The same, with its events placed in their entry: the position, and the entry's other
    /// members (for runs, `take_notifications` placed the position already).
    fn placed(mut self, position: Option<String>, siblings: Extra) -> Self {
        if let Ok(events) = &mut self.events {
            for event in events {
                match event {
                    Event::FlowRun(notification) => {
                        notification.journal_entry.clone_from(&siblings)
                    }
                    Event::Alert(alert) => {
                        alert.journal_position.clone_from(&position);
                        alert.journal_entry.clone_from(&siblings);
                    }
                    Event::Other(other) => {
                        other.journal_position.clone_from(&position);
                        other.journal_entry.clone_from(&siblings);
                    }
                }
            }
        }
        self
    }
}

impl<'de> Deserialize<'de> for JournalEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;

        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = JournalEntry;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a journal entry object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JournalEntry, A::Error> {
                let mut parts = EntryParts::default();
                while let Some(Key(key)) = map.next_key()? {
                    if key == "event" && parts.event_seen.is_none() {
                        parts.event_seen =
                            Some(map.next_value_seed(ElementSeed(&mut parts.event))?);
                    } else {
                        parts.take(key, || map.next_value())?;
                    }
                }
                Ok(parts.finish())
            }
        }

        deserializer.deserialize_map(EntryVisitor)
    }
}

fill_by_value!(JournalEntry);

/// Read straight from the crate's reader, an entry keeps the text of its `event`: another
/// event is kept as it, and an alert read from it.
impl<'de> Direct<'de> for JournalEntry {
    fn read_direct(reader: &mut Reader<'de>) -> Result<Self, Rejected> {
        let mut parts = EntryParts::default();
        reader.object(|mut entries| {
            let mut more = entries.first_key()?;
            while more {
                let key = entries.key()?;
                if key == "event" && parts.event_seen.is_none() {
                    let reader = entries.value_reader()?;
                    let start = reader.value_start();
                    let is_object = if reader.peek() == Some(b'{') {
                        reader.object(|fields| read_item(&mut parts.event, fields))?;
                        true
                    } else {
                        ElementSeed(&mut parts.event).deserialize(&mut *reader)?
                    };
                    parts.event_seen = Some(is_object);
                    parts.event_text = Some(reader.text_from(start));
                } else {
                    let text = entries.value_text()?.unwrap_or("null");
                    parts.take_text(key, text)?;
                }
                more = Fields::next_key(&mut entries)?;
            }
            Ok(())
        })?;
        Ok(parts.finish())
    }
}
