//! Shape 6, the journal page: `{"events": [{"position": P, "event": shape 1, 3 or 4}],
//! "_page": {...}}`.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::batch::ElementSeed;
use super::item::Item;
use super::path::{NotFound, Path, Step, NOTIFICATION};
use super::Sink;
use crate::json::{duplicate, fill_by_value, Direct, Key};
use crate::{Extra, Notification};

/// Hands on the notifications of every entry of a journal page, or says which entry has none.
pub(super) fn push_journal_page(
    events: Vec<JournalEntry>,
    out: &mut impl Sink,
    path: &Path<'_>,
) -> Result<(), NotFound> {
    let events_path = path.child(Step::Key("events"));
    for (index, entry) in events.into_iter().enumerate() {
        match entry.read {
            Ok(notifications) => notifications.into_iter().for_each(|n| out.push(n)),
            Err(missing) => {
                let entry_path = events_path.child(Step::Index(index));
                return Err(missing.under(&entry_path));
            }
        }
    }
    Ok(())
}

/// A journal position as text; `null` is no position.
pub(super) fn position_text(position: &Value) -> Option<String> {
    match position {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// An entry of a journal page's `events`, classified as soon as it is read (so a page of
/// many entries never holds their unclassified objects): its notifications, or why it has
/// none, with a path relative to the entry.
pub(super) struct JournalEntry {
    read: Result<Vec<Notification>, NotFound>,
}

impl Default for JournalEntry {
    fn default() -> Self {
        JournalEntry {
            read: Ok(Vec::new()),
        }
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
                let mut position: Option<Value> = None;
                let mut event = Item::default();
                let mut event_seen = None;
                let mut siblings = Extra::new();
                while let Some(Key(key)) = map.next_key()? {
                    match &*key {
                        "position" if position.is_none() => position = Some(map.next_value()?),
                        "event" if event_seen.is_none() => {
                            event_seen = Some(map.next_value_seed(ElementSeed(&mut event))?);
                        }
                        "position" | "event" => return Err(duplicate(&key)),
                        _ => siblings.push_unchecked(key.into_owned(), map.next_value()?),
                    }
                }
                siblings.merge_repeated();
                let position = position.as_ref().and_then(position_text);
                let event_path = Path::Root.child(Step::Key("event"));
                let mut notifications = Vec::new();
                let read = match event_seen {
                    Some(true) => event
                        .take_notifications(&mut notifications, &event_path, position.as_deref())
                        .map(|()| with_siblings(notifications, siblings)),
                    _ => Err(NotFound::at(&event_path, NOTIFICATION)),
                };
                event.discard();
                Ok(JournalEntry { read })
            }
        }

        deserializer.deserialize_map(EntryVisitor)
    }
}

/// The notifications of an entry, each with the entry's members beside `position` and
/// `event` (nearly always none).
fn with_siblings(mut notifications: Vec<Notification>, siblings: Extra) -> Vec<Notification> {
    if !siblings.is_empty() {
        for notification in &mut notifications {
            notification.journal_entry.clone_from(&siblings);
        }
    }
    notifications
}

fill_by_value!(JournalEntry);

impl Direct<'_> for JournalEntry {}
