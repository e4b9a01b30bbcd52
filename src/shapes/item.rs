//! The one-pass classifier: every JSON object of a body is read once as an [`Item`]. The
//! fields of a bare run go into a [`FlowRun`] as they come, while the keys that mark another
//! shape (`event`, `data`, `items`, `events`, `messages`, and the envelope attributes beside
//! them) are taken aside. The shape is decided when the object ends, from which of those were
//! present; nothing is buffered or parsed twice.

use serde::Deserialize;
use serde_json::Value;

use super::bare_run::{MaybeRun, RunMarks};
use super::cloud_event::push_cloud_event;
use super::envelope::push_io_event;
use super::ids::Ids;
use super::journal_page::{push_journal_page, JournalEntry};
use super::message_list::{push_messages, Messages};
use super::path::{NotFound, Path, NOTIFICATION, NOT_A_LIST, SINGLE_SHAPE};
use super::unknown_fields::UnknownFields;
use super::Sink;
use crate::json::{duplicate, read_field, unique_keys, Absent, Fields, Fill, Hook, WireObject};
use crate::model::IdKeys;
use crate::{Extra, FlowRun, Timestamp};

/// Envelope attributes: kept aside while the shape is unknown, then moved to the
/// notification (ids, code, time) or its `envelope` map, or back into a bare run's `extra`.
const ATTRIBUTES: &[&str] = &[
    "event_id",
    "eventid",
    "recipient_client_id",
    "recipientclientid",
    "specversion",
    "type",
    "source",
    "time",
    "datacontenttype",
    "dataschema",
    "subject",
    "_links",
    "_page",
    "count",
];

/// Reads an object into an [`Item`], in place.
pub(super) fn read_item<'de, F: Fields<'de>>(item: &mut Item, fields: F) -> Result<(), F::Error> {
    let Item { run, shapes } = item;
    run.fill_fields(fields, shapes)?;
    unique_keys(&shapes.attributes)
}

/// Reads a container key into `place` (`Ok(true)`), or into the attributes when its JSON type
/// does not mark the shape (`Ok(false)`).
pub(super) fn read_container<'de, F, T, const ARRAY: bool>(
    place: &mut T,
    attributes: &mut Extra,
    key: &str,
    fields: &mut F,
) -> Result<bool, F::Error>
where
    F: Fields<'de>,
    T: Fill<'de>,
{
    if attributes.contains_key(key) {
        return Err(duplicate(key));
    }
    let open = if ARRAY { b'[' } else { b'{' };
    match fields.fill_or_value(place, open)? {
        None => Ok(true),
        Some(other) => {
            attributes.push_unchecked(key.to_owned(), other);
            Ok(false)
        }
    }
}

/// Reads a list container into its slot.
pub(super) fn read_list<'de, F, L>(
    slot: &mut Option<L>,
    attributes: &mut Extra,
    key: &str,
    fields: &mut F,
) -> Result<(), F::Error>
where
    F: Fields<'de>,
    L: Fill<'de> + Default,
{
    if slot.is_some() {
        return Err(duplicate(key));
    }
    // Filled where it stays: a list with its first element in place is large.
    let list = slot.insert(L::default());
    if !read_container::<_, _, true>(list, attributes, key, fields)? {
        *slot = None;
    }
    Ok(())
}

/// What an object held besides the fields of a bare run.
#[derive(Default)]
pub(super) struct Shapes {
    pub(super) marks: RunMarks,
    /// Whether a known run field of the object itself arrived (see [`Item::clear`]).
    pub(super) run_fields: bool,
    pub(super) attributes: Extra,
    /// The object under `event` or `data`, and which of the two it was.
    pub(super) nested: MaybeRun,
    pub(super) nested_key: Option<&'static str>,
    /// The other of the two, in the rare object that has both (boxed: it costs nothing in
    /// the common case). Which one holds the run is decided when the object ends.
    pub(super) second: Option<(&'static str, Box<MaybeRun>)>,
    pub(super) items: Option<Vec<MaybeRun>>,
    pub(super) events: Option<Vec<JournalEntry>>,
    pub(super) messages: Option<Messages>,
    pub(super) ids: Ids,
    /// The object's own unknown fields, as their text, in order: read as values only when
    /// the object turns out to need them (a run, or fields around a run), never for another
    /// event, which is kept as its text. (Read through serde, they go to the run's `extra`
    /// at once.)
    pub(super) unknown: UnknownFields,
}

impl Shapes {
    /// Whether an object stands under `key` (`event` or `data`).
    pub(super) fn has_nested(&self, key: &str) -> bool {
        self.nested_key == Some(key) || matches!(&self.second, Some((other, _)) if *other == key)
    }

    /// The object under `key` (`event` or `data`).
    pub(super) fn nested(&self, key: &str) -> Option<&MaybeRun> {
        if self.nested_key == Some(key) {
            return Some(&self.nested);
        }
        match &self.second {
            Some((other, run)) if *other == key => Some(run),
            _ => None,
        }
    }

    /// The object under `key` (`event` or `data`), in place.
    pub(super) fn nested_mut(&mut self, key: &str) -> Option<&mut MaybeRun> {
        if self.nested_key == Some(key) {
            return Some(&mut self.nested);
        }
        match &mut self.second {
            Some((other, run)) if *other == key => Some(run),
            _ => None,
        }
    }

    /// Takes the object under `key` (`event` or `data`), leaving the other in place.
    pub(super) fn take_nested(&mut self, key: &str) -> Option<MaybeRun> {
        self.nested_mut(key).map(std::mem::take)
    }

    /// Puts the object under `event` or `data` that no shape uses (all but `keep`) back among
    /// the attributes, as the value it was.
    pub(super) fn release_nested_except(&mut self, keep: &str) {
        for key in ["event", "data"] {
            if key == keep {
                continue;
            }
            if let Some(unused) = self.take_nested(key) {
                // Written by the crate's own types: it cannot fail.
                let _ = self.attributes.insert_written(key, &unused.run);
            }
        }
    }

    /// The ids, with their spellings, of an envelope whose payload stands under `key`: they
    /// become the notification's fields where the envelope is an I/O event's or a
    /// CloudEvent's; any other shape keeps them among its attributes.
    fn envelope_ids(&mut self, key: &str) -> (IdKeys, Option<String>, Option<String>) {
        if !self.has_nested(key) {
            self.ids.restore(&mut self.attributes);
            return (IdKeys::default(), None, None);
        }
        let (event_id, recipient) = self.ids.take(&mut self.attributes);
        let id_keys = IdKeys::of(
            event_id.as_ref().map(|(key, _)| *key),
            recipient.as_ref().map(|(key, _)| *key),
        );
        (
            id_keys,
            event_id.map(|(_, id)| id),
            recipient.map(|(_, id)| id),
        )
    }

    /// Puts the objects under `event` and `data` back among the attributes, as the values
    /// they were.
    pub(super) fn release_nested(&mut self) {
        self.release_nested_except("");
    }
}

impl<'de> Hook<'de> for Shapes {
    // A top-level object is an envelope far more often than a bare run: its few keys
    // (`event_id`, `event`, `messages`, ...) would each be compared with all of a run's names
    // in turn, through a copy of that code of its own (callgrind, 2,000 parses: 0.3% fewer
    // instructions and 2% to 5% fewer instruction-cache misses without it).
    const ORDERED: bool = false;

    fn present(&mut self, wire_name: &'static str) {
        self.marks.set(wire_name, true);
        self.run_fields = true;
    }

    fn absent(&mut self, wire_name: &'static str) {
        self.marks.set(wire_name, false);
    }

    fn take<F: Fields<'de>>(&mut self, key: &str, fields: &mut F) -> Result<bool, F::Error> {
        let attributes = &mut self.attributes;
        match key {
            "event" | "data" => {
                let key: &'static str = if key == "event" { "event" } else { "data" };
                match self.nested_key {
                    Some(taken) if taken == key => return Err(duplicate(key)),
                    Some(_) => {
                        if self.second.is_some() {
                            return Err(duplicate(key));
                        }
                        let mut other = Box::<MaybeRun>::default();
                        if read_container::<_, _, false>(&mut *other, attributes, key, fields)? {
                            self.second = Some((key, other));
                        }
                    }
                    None => {
                        if read_container::<_, _, false>(&mut self.nested, attributes, key, fields)?
                        {
                            self.nested_key = Some(key);
                        }
                    }
                }
            }
            "items" => read_list(&mut self.items, attributes, key, fields)?,
            "events" => read_list(&mut self.events, attributes, key, fields)?,
            "messages" => read_list(&mut self.messages, attributes, key, fields)?,
            _ if ATTRIBUTES.contains(&key) => match Ids::slot(key) {
                // A key given twice is refused whichever of the two places each went to.
                Some(slot) => match fields.value()? {
                    Value::String(id) if !attributes.contains_key(key) => {
                        self.ids.set_aside(slot, id, attributes)?;
                    }
                    _ if self.ids.slots[slot].is_some() => return Err(duplicate(key)),
                    other => attributes.push_unchecked(key.to_owned(), other),
                },
                None => attributes.push_field(read_field(key, fields)?),
            },
            _ => match fields.value_text()? {
                Some(text) => self.unknown.push(key, text),
                None => return Ok(false),
            },
        }
        Ok(true)
    }
}

/// One JSON object of a body, before its shape is known.
#[derive(Default)]
pub(super) struct Item {
    pub(super) run: FlowRun,
    pub(super) shapes: Shapes,
}

impl Item {
    /// Whether the object's own fields make it a run (see [`RunMarks::make_a_run`]).
    pub(super) fn is_run(&self) -> bool {
        self.shapes.marks.make_a_run(&self.run)
    }

    /// How many shape markers the object carries; more than one is ambiguous, and so is a
    /// run (an object with `metrics` or `activities`) that also carries one.
    pub(super) fn marker_count(&self) -> usize {
        let shapes = &self.shapes;
        let cloud_event = shapes.attributes.contains_key("specversion");
        [
            // In a CloudEvent, `event` is just another attribute.
            shapes.has_nested("event") && !cloud_event,
            cloud_event,
            shapes.items.is_some(),
            shapes.events.is_some(),
            shapes.messages.is_some(),
        ]
        .into_iter()
        .filter(|present| *present)
        .count()
    }

    /// Whether the run read from the object's own fields may own heap: a known field
    /// arrived, or an unknown one that no shape took.
    pub(super) fn run_holds(&self) -> bool {
        self.shapes.run_fields || !self.run.extra.is_empty() || !self.shapes.unknown.is_empty()
    }

    /// Reads the object's unknown fields, kept as text, into its run's `extra`, in order (a
    /// key given twice keeps its first place and its last value). `false` when one does not
    /// read as serde_json reads it (a number beyond `f64`'s range): the value route then
    /// reads the body, and serde_json says where.
    pub(super) fn settle(&mut self) -> bool {
        // Pushed, then merged once: an insert each looked for its key, which made an object
        // of 50,000 unknown fields take seconds.
        if self
            .run
            .extra
            .extend_texts(self.shapes.unknown.iter())
            .is_err()
        {
            return false;
        }
        self.shapes.unknown.clear();
        self.run.extra.merge_repeated();
        true
    }

    /// An unknown field of the object itself, read from its text when it was kept so.
    pub(super) fn unknown_field(&self, key: &str) -> Option<Value> {
        match self.shapes.unknown.last(key) {
            Some(text) => serde_json::from_str(text).ok(),
            None => self.run.extra.get(key).cloned(),
        }
    }

    /// Empties the item in place once its object has been read in full (the flags saying
    /// what its runs hold are exact only then; a read that failed half way drops it instead)
    /// and handed on. Its runs are then most often empty, and are left as they are rather
    /// than dropped, as in [`MaybeRun::clear`]. Emptying in place, rather than taking the
    /// item out and dropping it, spares copying its 4.5 KB twice.
    pub(super) fn clear(&mut self) {
        if self.run_holds() {
            self.run = FlowRun::default();
        }
        let Shapes {
            marks,
            run_fields,
            attributes,
            nested,
            nested_key,
            second,
            items,
            events,
            messages,
            ids,
            unknown,
        } = &mut self.shapes;
        *marks = RunMarks::default();
        *run_fields = false;
        *attributes = Extra::new();
        nested.clear();
        *nested_key = None;
        *second = None;
        *items = None;
        *events = None;
        *messages = None;
        ids.clear();
        unknown.clear();
    }

    /// Lets go of the item once its object has been read in full: emptied, it owns no heap,
    /// and is forgotten rather than walked through its whole drop code.
    #[inline]
    pub(super) fn discard(mut self) {
        self.clear();
        std::mem::forget(self);
    }
}

/// What an object held around its run, once its shape is known: handed to the shape that
/// builds the notification.
pub(super) struct Around<'a> {
    /// The envelope's other attributes, `null` ones left out.
    pub(super) attributes: Extra,
    /// The spellings of the ids.
    pub(super) id_keys: IdKeys,
    pub(super) event_id: Option<String>,
    pub(super) recipient_client_id: Option<String>,
    pub(super) journal_position: Option<&'a str>,
    /// Run fields the object carried beside its shape's run (rare), and whether it may hold
    /// any (see [`Item::run_holds`]).
    pub(super) stray: &'a mut FlowRun,
    pub(super) stray_holds: bool,
}

impl Item {
    /// Hands the object's notifications to `out`, by its shape, or says why it has none.
    pub(super) fn take_notifications(
        &mut self,
        out: &mut impl Sink,
        path: &Path<'_>,
        journal_position: Option<&str>,
    ) -> Result<(), NotFound> {
        let markers = self.marker_count();
        if markers > 1 || (markers == 1 && self.is_run()) {
            return Err(NotFound::at(path, SINGLE_SHAPE));
        }
        if !self.settle() {
            return Err(NotFound::at(path, NOTIFICATION));
        }
        if self.is_bare_run() {
            self.push_bare_run(out, journal_position);
            return Ok(());
        }
        let stray_holds = self.run_holds();
        let Item { run, shapes } = self;
        let cloud_event = shapes.attributes.contains_key("specversion");
        let key = if cloud_event { "data" } else { "event" };
        let (id_keys, event_id, recipient_client_id) = shapes.envelope_ids(key);
        shapes.release_nested_except(key);
        let mut attributes = std::mem::take(&mut shapes.attributes);
        let (items, events) = (shapes.items.take(), shapes.events.take());
        drop_null_attributes(&mut attributes);
        let around = Around {
            attributes,
            id_keys,
            event_id,
            recipient_client_id,
            journal_position,
            stray: run,
            stray_holds,
        };
        if cloud_event {
            push_cloud_event(shapes.nested_mut("data"), around, out, path)
        } else if let Some(event) = shapes.nested_mut("event") {
            push_io_event(event, around, out, path)
        } else if let Some(events) = events {
            push_journal_page(events, out, path)
        } else if items.is_some() {
            Err(NotFound::at(path, NOT_A_LIST))
        } else if let Some(messages) = &mut shapes.messages {
            push_messages(messages, around, out, path)
        } else {
            Err(NotFound::at(path, NOTIFICATION))
        }
    }
}

/// Drops the envelope attributes that are `null` (absent, like any other field), except
/// `specversion`, whose presence alone makes a CloudEvent.
pub(super) fn drop_null_attributes(attributes: &mut Extra) {
    attributes.remove_nulls_except("specversion");
}

/// Removes and returns the first of `keys` that holds a string; a second spelling of the
/// same field stays in the map, so nothing is lost.
pub(super) fn take_string(map: &mut Extra, keys: &[&'static str]) -> Option<String> {
    take_keyed_string(map, keys).map(|(_, text)| text)
}

/// The same, with the key it stood under.
pub(super) fn take_keyed_string(
    map: &mut Extra,
    keys: &[&'static str],
) -> Option<(&'static str, String)> {
    let key = keys
        .iter()
        .find(|key| matches!(map.get(key), Some(Value::String(_))))?;
    match map.remove(key) {
        Some(Value::String(text)) => Some((key, text)),
        _ => None,
    }
}

pub(super) fn clone_string(map: &Extra, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|key| map.get(key).and_then(Value::as_str))
        .map(str::to_owned)
}

/// Removes a time attribute when it reads as a [`Timestamp`]; leaves it otherwise.
pub(super) fn take_timestamp(map: &mut Extra, key: &str) -> Option<Timestamp> {
    let timestamp = Timestamp::deserialize(map.get(key)?).ok()?;
    map.remove(key);
    Some(timestamp)
}

/// Adds the run fields an envelope carried beside its run to the envelope map (rare: a
/// well-formed envelope has none, and then `holds`, from [`Item::run_holds`], is false).
pub(super) fn merge_fields(envelope: &mut Extra, holds: bool, stray: &FlowRun) {
    if !holds || stray.is_absent() {
        return;
    }
    let written = serde_json::to_string(stray);
    if let Ok(mut fields) = written.and_then(|text| Extra::of_object_text(&text)) {
        envelope.append(&mut fields);
    }
}
