//! Telling the delivery shapes apart in one pass over the body.
//!
//! Every JSON object of a body is read once as an [`Item`]: the fields of a bare run go into a
//! [`FlowRun`] as they come, while the keys that mark another shape (`event`, `data`,
//! `items`, `events`, `messages`, and the envelope attributes beside them) are taken aside.
//! The shape is decided when the object ends, from which of those were present; nothing is
//! buffered or parsed twice.

use std::cell::Cell;
use std::fmt;
use std::mem::ManuallyDrop;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::from_body;
use crate::reader::{Reader, Rejected};
use crate::wire::{
    duplicate, fill_by_value, fill_list_direct, fill_object, fill_object_direct, scalars_give,
    unique_keys, Absent, Direct, Fields, Fill, Hook, Key, SerdeFields, WireObject,
};
use crate::{Error, EventCode, Extra, FlowRun, Format, MessageInfo, Notification, Timestamp};

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

/// Where notifications go: a list, or [`Single`] for `parse_notification`.
pub(crate) trait Sink {
    fn push(&mut self, notification: Notification);
}

impl Sink for Vec<Notification> {
    fn push(&mut self, notification: Notification) {
        Vec::push(self, notification);
    }
}

/// Keeps the first notification and counts them all, so that reading a single one needs no
/// list.
#[derive(Default)]
pub(crate) struct Single {
    pub(crate) first: Option<Notification>,
    pub(crate) count: usize,
}

impl Sink for Single {
    // Out of line, the notification comes by reference to where the caller built it, and is
    // copied once, into `first`; inlined, LLVM copied it to a second place first, for the
    // drop of the branch not taken.
    #[inline(never)]
    fn push(&mut self, notification: Notification) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(notification);
        }
    }
}

/// Parses any delivery body into its notifications.
pub(crate) fn notifications<S: Sink>(body: &[u8], out: &mut S) -> Result<(), Error> {
    notifications_by(Route::Direct, body, out)
}

fn notifications_by<S: Sink>(route: Route, body: &[u8], out: &mut S) -> Result<(), Error> {
    read(route, body, |element, path| match element {
        Some(item) => item.take_notifications(out, path, None),
        None => Err(NotFound::at(path, NOTIFICATION)),
    })
}

/// Parses a Flow Service run list, a single run, or an array of runs.
pub(crate) fn runs(body: &[u8]) -> Result<Vec<FlowRun>, Error> {
    runs_by(Route::Direct, body)
}

fn runs_by(route: Route, body: &[u8]) -> Result<Vec<FlowRun>, Error> {
    let mut runs = Vec::new();
    read(route, body, |element, path| match element {
        // A top-level object may be a run list; an array element must be a run.
        Some(item) if matches!(path, Path::Root) => {
            runs.extend(item.take_runs(path)?);
            Ok(())
        }
        Some(item) if item.is_bare_run() => {
            runs.push(item.take_bare_run());
            Ok(())
        }
        Some(_) => Err(NotFound::at(path, RUN)),
        None if matches!(path, Path::Root) => Err(NotFound::at(path, RUN_OR_LIST)),
        None => Err(NotFound::at(path, RUN)),
    })?;
    Ok(runs)
}

/// Reads a body and hands each top-level object (the body itself, or each element of a
/// batch) to `handle` as soon as it is read, with its path; `None` stands for a value that is
/// no object. Elements are handled one at a time in one scratch [`Item`], so a batch of many
/// small objects never holds more than one unclassified object, and a body that fails
/// stops at the first element that is no notification.
fn read<F>(route: Route, body: &[u8], mut handle: F) -> Result<(), Error>
where
    F: FnMut(Option<&mut Item>, &Path<'_>) -> Result<(), NotFound>,
{
    let stopped = Cell::new(None);
    // Emptied after a body read in full, the item owns no heap and is not dropped (see
    // `Item::discard`). Held in `ManuallyDrop` from the start rather than moved into
    // `discard` at the end: that move copied all of it (2.9 KB then, 4.5 KB now).
    let mut item = ManuallyDrop::new(Item::default());
    let seed = BodySeed {
        item: &mut item,
        handle: &mut handle,
        stopped: &stopped,
    };
    let fast = |reader: &mut Reader<'_>| match route {
        Route::Direct => seed.read_direct(reader),
        #[cfg(test)]
        Route::Serde => seed.deserialize(reader),
    };
    let read = from_body::<_, SlowBody>(body, fast, || {
        stopped
            .take()
            .map(|missing: NotFound| missing.into_error(body))
    });
    if read.is_ok() {
        item.clear();
    } else {
        drop(ManuallyDrop::into_inner(item));
    }
    read
}

/// How the fast path reads a body with the crate's reader.
#[derive(Clone, Copy)]
enum Route {
    /// Straight into the types (`Fill::fill_direct`): what the parse functions use.
    Direct,
    /// Through serde's visitors over the same reader: the reference the tests hold the
    /// direct route to.
    #[cfg(test)]
    Serde,
}

const NOTIFICATION: &str = "a flow-run notification";
const SINGLE_SHAPE: &str =
    "a flow-run notification of one shape (envelope, CloudEvent, journal page or message list)";
const NOT_A_LIST: &str =
    "a flow-run notification (a Flow Service run list is read with parse_runs)";
const RUN: &str = "a flow run";
const CLOUD_EVENT: &str = "a CloudEvent with a flow run in `data`";
const RUN_OR_LIST: &str =
    "a flow run or a Flow Service run list (deliveries are read with parse_notifications)";

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// A JSON path, kept on the stack while a body is classified and written out only for an
/// error.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Child(&'a Path<'a>, Step),
}

impl<'a> Path<'a> {
    fn child(&'a self, step: Step) -> Path<'a> {
        Path::Child(self, step)
    }

    fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut at = self;
        while let Path::Child(parent, step) = at {
            steps.push(*step);
            at = parent;
        }
        steps.reverse();
        steps
    }
}

/// Valid JSON without a flow run where one was expected; [`NotFound::into_error`] reads the
/// body again to say what was there instead.
struct NotFound {
    path: Vec<Step>,
    expected: &'static str,
}

impl NotFound {
    fn at(path: &Path<'_>, expected: &'static str) -> Self {
        NotFound {
            path: path.steps(),
            expected,
        }
    }

    /// The same finding, for an object that stands at `parent` + its own path.
    fn under(mut self, parent: &Path<'_>) -> Self {
        let mut path = parent.steps();
        path.append(&mut self.path);
        self.path = path;
        self
    }

    fn into_error(self, body: &[u8]) -> Error {
        let found = describe(body, &self.path);
        let mut path = String::new();
        for step in &self.path {
            match step {
                Step::Key(key) if path.is_empty() => path.push_str(key),
                Step::Key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Step::Index(index) => path.push_str(&format!("[{index}]")),
            }
        }
        Error::Unrecognized {
            path,
            expected: self.expected,
            found,
        }
    }
}

/// Reads an object into an [`Item`], in place.
fn read_item<'de, F: Fields<'de>>(item: &mut Item, fields: F) -> Result<(), F::Error> {
    let Item { run, shapes } = item;
    run.fill_fields(fields, shapes)?;
    unique_keys(&shapes.attributes)
}

/// Reads a whole body, handing each top-level object to `handle` (see [`read`]).
struct BodySeed<'a, F> {
    /// The scratch object, borrowed: the seed is passed by value through serde's layers, and
    /// an object 4.5 KB large would be copied at each.
    item: &'a mut Item,
    handle: &'a mut F,
    /// Set when `handle` refused an object; the read then stops with a placeholder error.
    stopped: &'a Cell<Option<NotFound>>,
}

impl<F> BodySeed<'_, F>
where
    F: FnMut(Option<&mut Item>, &Path<'_>) -> Result<(), NotFound>,
{
    /// Reads a body straight from the crate's reader: the fast path of [`from_body`], the
    /// same reading as the serde one (which the slow path uses). Objects and batches are read
    /// directly; any other body goes through the same visitor as before.
    fn read_direct<'de>(mut self, reader: &mut Reader<'de>) -> Result<(), Rejected> {
        match reader.peek() {
            Some(b'{') => {
                reader.object(|fields| read_item(self.item, fields))?;
                self.handle(true, &Path::Root)
            }
            Some(b'[') => reader.array(|mut elements| {
                self.each_element(|item| {
                    let Some(reader) = elements.next()? else {
                        return Ok(None);
                    };
                    if reader.peek() == Some(b'{') {
                        reader.object(|fields| read_item(item, fields))?;
                        Ok(Some(true))
                    } else {
                        ElementSeed(item).deserialize(reader).map(Some)
                    }
                })
            }),
            _ => self.deserialize(reader),
        }
    }

    /// Reads the elements of a batch one at a time into the scratch item, with `next`
    /// (which says whether the element was an object, or `None` after the last), handing
    /// each to the handler.
    fn each_element<E: de::Error>(
        &mut self,
        mut next: impl FnMut(&mut Item) -> Result<Option<bool>, E>,
    ) -> Result<(), E> {
        let mut index = 0;
        let mut used = false;
        loop {
            if used {
                // The handler took what it needed; the rest must not leak into the next.
                self.item.clear();
            }
            let Some(is_object) = next(self.item)? else {
                return Ok(());
            };
            self.handle(is_object, &Path::Root.child(Step::Index(index)))?;
            used = is_object;
            index += 1;
        }
    }

    /// Hands the scratch item (when the value read was an object) to the handler.
    fn handle<E: de::Error>(&mut self, is_object: bool, path: &Path<'_>) -> Result<(), E> {
        let element = if is_object {
            Some(&mut *self.item)
        } else {
            None
        };
        (self.handle)(element, path).map_err(|missing| {
            self.stopped.set(Some(missing));
            E::custom("no flow-run notification")
        })
    }
}

impl<'de, F> DeserializeSeed<'de> for BodySeed<'_, F>
where
    F: FnMut(Option<&mut Item>, &Path<'_>) -> Result<(), NotFound>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F> Visitor<'de> for BodySeed<'_, F>
where
    F: FnMut(Option<&mut Item>, &Path<'_>) -> Result<(), NotFound>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        read_item(self.item, SerdeFields::new(map))?;
        self.handle(true, &Path::Root)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.each_element(|item| seq.next_element_seed(ElementSeed(item)))
    }

    fn visit_bool<E: de::Error>(mut self, _: bool) -> Result<(), E> {
        self.handle(false, &Path::Root)
    }

    fn visit_i64<E: de::Error>(mut self, _: i64) -> Result<(), E> {
        self.handle(false, &Path::Root)
    }

    fn visit_u64<E: de::Error>(mut self, _: u64) -> Result<(), E> {
        self.handle(false, &Path::Root)
    }

    fn visit_f64<E: de::Error>(mut self, _: f64) -> Result<(), E> {
        self.handle(false, &Path::Root)
    }

    fn visit_str<E: de::Error>(mut self, _: &str) -> Result<(), E> {
        self.handle(false, &Path::Root)
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.handle(false, &Path::Root)
    }
}

/// The slow path's reader (see [`from_body`]): the same reading, every object accepted, so
/// that it stops at the same data error as the fast path, now with its path.
struct SlowBody;

impl<'de> Deserialize<'de> for SlowBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stopped = Cell::new(None);
        let mut accept = |_: Option<&mut Item>, _: &Path<'_>| Ok(());
        BodySeed {
            item: &mut Item::default(),
            handle: &mut accept,
            stopped: &stopped,
        }
        .deserialize(deserializer)
        .map(|()| SlowBody)
    }
}

/// Reads one value into `item` when it is an object (`true`); skips anything else (`false`).
struct ElementSeed<'a>(&'a mut Item);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        read_item(self.0, SerdeFields::new(map)).map(|()| true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| false)
    }

    scalars_give!(false);
}

/// A run candidate: an object read as a run, and whether it had what makes a run (a
/// `metrics` object or an `activities` array).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MaybeRun {
    run: FlowRun,
    is_run: bool,
    /// Whether `run` may own heap: set before an object is read into it, cleared when the
    /// run is taken out (see [`MaybeRun::take_run`] and [`MaybeRun::clear`]).
    holds: bool,
}

impl MaybeRun {
    /// Says that the object at `path` was no run, unless it was one.
    fn check(&self, path: &Path<'_>, expected: &'static str) -> Result<(), NotFound> {
        if self.is_run {
            Ok(())
        } else {
            Err(NotFound::at(path, expected))
        }
    }

    /// Takes the run out in place, once [`MaybeRun::check`] has passed. Inlined into the
    /// notification being built around it, the run is moved once, straight into place; a
    /// run returned from here on the way would be copied (1.3 KB) once more.
    #[inline]
    fn take_run(&mut self) -> FlowRun {
        self.holds = false;
        std::mem::take(&mut self.run)
    }

    fn into_run(self, path: &Path<'_>, expected: &'static str) -> Result<FlowRun, NotFound> {
        self.check(path, expected)?;
        Ok(self.run)
    }

    /// Empties the candidate in place. A run never read into, or already taken out, is the
    /// default and owns no heap, and is left as it is: dropping it would still walk all of
    /// `FlowRun`'s drop code (a copy of what the caller runs again on each notification, so a
    /// second one competing for the instruction cache).
    fn clear(&mut self) {
        if self.holds {
            self.run = FlowRun::default();
            self.holds = false;
        }
        self.is_run = false;
    }
}

/// Whether a field makes its object a run: a `metrics` object or an `activities` array (the
/// typed fields refuse any other JSON type).
fn marks_a_run(wire_name: &str) -> bool {
    wire_name == "metrics" || wire_name == "activities"
}

/// Notes whether a run's marker fields arrived.
#[derive(Default)]
struct RunMarkers {
    seen: bool,
}

impl<'de> Hook<'de> for RunMarkers {
    fn present(&mut self, wire_name: &'static str) {
        self.seen |= marks_a_run(wire_name);
    }
}

impl MaybeRun {
    /// Fills the run with `fill`, which is given the hook that notes its marker fields.
    fn fill_with<E>(
        &mut self,
        fill: impl FnOnce(&mut FlowRun, &mut RunMarkers) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let mut markers = RunMarkers::default();
        self.holds = true;
        let present = fill(&mut self.run, &mut markers)?;
        self.is_run = markers.seen;
        Ok(present)
    }
}

impl<'de> Fill<'de> for MaybeRun {
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        place.fill_with(|run, markers| fill_object(run, markers, deserializer))
    }

    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        place.fill_with(|run, markers| fill_object_direct(run, markers, reader))
    }
}

impl Absent for MaybeRun {
    fn is_absent(&self) -> bool {
        self.run.is_absent()
    }
}

impl Serialize for MaybeRun {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.run.serialize(serializer)
    }
}

/// Reads a container key into `place` (`Ok(true)`), or into the attributes when its JSON type
/// does not mark the shape (`Ok(false)`).
fn read_container<'de, F, T, const ARRAY: bool>(
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
fn read_list<'de, F, L>(
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
struct Shapes {
    is_run: bool,
    /// Whether a known run field of the object itself arrived (see [`Item::clear`]).
    run_fields: bool,
    attributes: Extra,
    /// The object under `event` or `data`, and which of the two it was.
    nested: MaybeRun,
    nested_key: Option<&'static str>,
    /// The other of the two, in the rare object that has both (boxed: it costs nothing in
    /// the common case). Which one holds the run is decided when the object ends.
    second: Option<(&'static str, Box<MaybeRun>)>,
    items: Option<Vec<MaybeRun>>,
    events: Option<Vec<JournalEntry>>,
    messages: Option<Messages>,
    ids: Ids,
}

impl Shapes {
    /// Whether an object stands under `key` (`event` or `data`).
    fn has_nested(&self, key: &str) -> bool {
        self.nested_key == Some(key) || matches!(&self.second, Some((other, _)) if *other == key)
    }

    /// The object under `key` (`event` or `data`), in place.
    fn nested_mut(&mut self, key: &str) -> Option<&mut MaybeRun> {
        if self.nested_key == Some(key) {
            return Some(&mut self.nested);
        }
        match &mut self.second {
            Some((other, run)) if *other == key => Some(run),
            _ => None,
        }
    }

    /// Takes the object under `key` (`event` or `data`), leaving the other in place.
    fn take_nested(&mut self, key: &str) -> Option<MaybeRun> {
        self.nested_mut(key).map(std::mem::take)
    }

    /// Puts the object under `event` or `data` that no shape uses (all but `keep`) back among
    /// the attributes, as the value it was.
    fn release_nested_except(&mut self, keep: &str) {
        for key in ["event", "data"] {
            if key == keep {
                continue;
            }
            if let Some(unused) = self.take_nested(key) {
                if let Ok(value) = serde_json::to_value(&unused.run) {
                    self.attributes.insert(key, value);
                }
            }
        }
    }

    /// Puts the objects under `event` and `data` back among the attributes, as the values
    /// they were.
    fn release_nested(&mut self) {
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
        self.is_run |= marks_a_run(wire_name);
        self.run_fields = true;
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
                None => attributes.push_unchecked(key.to_owned(), fields.value()?),
            },
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The spellings of the I/O Events ids among the envelope attributes, in the order
/// [`take_string`] prefers them.
const ID_KEYS: [&str; 4] = [
    "event_id",
    "eventid",
    "recipient_client_id",
    "recipientclientid",
];

/// The id attributes of an object (see [`ID_KEYS`]) that are strings, each with its place
/// among the attributes. They are set aside as they are read, because an I/O event, the
/// usual envelope, takes them out again for its id fields: in the attribute map, each cost
/// three allocations (the map, its list, the key) only to be taken out of it.
#[derive(Default)]
struct Ids {
    slots: [Option<(usize, String)>; 4],
}

impl Ids {
    /// Which of [`ID_KEYS`] `key` is.
    fn slot(key: &str) -> Option<usize> {
        ID_KEYS.iter().position(|id_key| *id_key == key)
    }

    /// Sets an id aside, unless its key came before.
    fn set_aside<E: de::Error>(
        &mut self,
        slot: usize,
        id: String,
        attributes: &Extra,
    ) -> Result<(), E> {
        if self.slots[slot].is_some() {
            return Err(duplicate(ID_KEYS[slot]));
        }
        let place = attributes.len() + self.slots.iter().flatten().count();
        self.slots[slot] = Some((place, id));
        Ok(())
    }

    /// Whether any id is set aside.
    fn any(&self) -> bool {
        self.slots.iter().any(Option::is_some)
    }

    /// Puts the ids back among `attributes`, each where it stood.
    #[inline]
    fn restore(&mut self, attributes: &mut Extra) {
        if self.any() {
            self.restore_held(attributes);
        }
    }

    fn restore_held(&mut self, attributes: &mut Extra) {
        // In the order of their places: each then goes where it stood among those before it.
        while let Some(slot) = (0..ID_KEYS.len())
            .filter(|slot| self.slots[*slot].is_some())
            .min_by_key(|slot| self.slots[*slot].as_ref().map(|(place, _)| *place))
        {
            if let Some((place, id)) = self.slots[slot].take() {
                attributes.insert_at(place, ID_KEYS[slot].to_owned(), Value::String(id));
            }
        }
    }

    /// The event id and the recipient client id, as [`take_string`] would take them from the
    /// attributes; a second spelling of either goes back among them.
    fn take(&mut self, attributes: &mut Extra) -> (Option<String>, Option<String>) {
        let [event_id, eventid, recipient, recipientclientid] = &self.slots;
        if event_id.is_some() && eventid.is_some()
            || recipient.is_some() && recipientclientid.is_some()
        {
            // Both spellings of one id (rare): decided in the map, as for any attribute.
            self.restore(attributes);
            return (
                take_string(attributes, &ID_KEYS[..2]),
                take_string(attributes, &ID_KEYS[2..]),
            );
        }
        // At most one spelling of each: all that is held is taken.
        let mut take = |first: usize, second: usize| {
            let held = self.slots[first]
                .take()
                .or_else(|| self.slots[second].take());
            held.map(|(_, id)| id)
        };
        (take(0, 1), take(2, 3))
    }

    /// Lets go of any id still held.
    fn clear(&mut self) {
        if self.any() {
            *self = Ids::default();
        }
    }
}

/// One JSON object of a body, before its shape is known.
#[derive(Default)]
struct Item {
    run: FlowRun,
    shapes: Shapes,
}

impl Item {
    /// How many shape markers the object carries; more than one is ambiguous, and so is a
    /// run (an object with `metrics` or `activities`) that also carries one.
    fn marker_count(&self) -> usize {
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

    fn is_bare_run(&self) -> bool {
        self.shapes.is_run && self.marker_count() == 0
    }

    /// The object as a run of its own: envelope attributes, and a `data` object outside a
    /// CloudEvent, are just more fields.
    fn take_bare_run(&mut self) -> FlowRun {
        self.shapes.ids.restore(&mut self.shapes.attributes);
        self.shapes.release_nested();
        self.run.extra.append(&mut self.shapes.attributes);
        self.shapes.run_fields = false;
        std::mem::take(&mut self.run)
    }

    /// Whether the run read from the object's own fields may own heap: a known field
    /// arrived, or an unknown one that no shape took.
    fn run_holds(&self) -> bool {
        self.shapes.run_fields || !self.run.extra.is_empty()
    }

    /// Empties the item in place once its object has been read in full (the flags saying
    /// what its runs hold are exact only then; a read that failed half way drops it instead)
    /// and handed on. Its runs are then most often empty, and are left as they are rather
    /// than dropped, as in [`MaybeRun::clear`]. Emptying in place, rather than taking the
    /// item out and dropping it, spares copying its 4.5 KB twice.
    fn clear(&mut self) {
        if self.run_holds() {
            self.run = FlowRun::default();
        }
        let Shapes {
            is_run,
            run_fields,
            attributes,
            nested,
            nested_key,
            second,
            items,
            events,
            messages,
            ids,
        } = &mut self.shapes;
        *is_run = false;
        *run_fields = false;
        *attributes = Extra::new();
        nested.clear();
        *nested_key = None;
        *second = None;
        *items = None;
        *events = None;
        *messages = None;
        ids.clear();
    }

    /// Lets go of the item once its object has been read in full: emptied, it owns no heap,
    /// and is forgotten rather than walked through its whole drop code.
    #[inline]
    fn discard(mut self) {
        self.clear();
        std::mem::forget(self);
    }

    fn take_runs(&mut self, path: &Path<'_>) -> Result<Vec<FlowRun>, NotFound> {
        if self.is_bare_run() {
            return Ok(vec![self.take_bare_run()]);
        }
        let single_shape = self.marker_count() == 1;
        match self.shapes.items.take() {
            Some(items) if single_shape && !self.shapes.is_run => {
                let items_path = path.child(Step::Key("items"));
                items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| item.into_run(&items_path.child(Step::Index(index)), RUN))
                    .collect()
            }
            _ => Err(NotFound::at(path, RUN_OR_LIST)),
        }
    }

    fn take_notifications(
        &mut self,
        out: &mut impl Sink,
        path: &Path<'_>,
        journal_position: Option<&str>,
    ) -> Result<(), NotFound> {
        let markers = self.marker_count();
        if markers > 1 || (markers == 1 && self.shapes.is_run) {
            return Err(NotFound::at(path, SINGLE_SHAPE));
        }
        if self.is_bare_run() {
            let run = self.take_bare_run();
            let mut notification = Notification::from_run(run);
            notification.event_id = clone_string(&notification.run.extra, &["event_id", "eventid"]);
            notification.recipient_client_id = clone_string(
                &notification.run.extra,
                &["recipient_client_id", "recipientclientid"],
            );
            notification.journal_position = journal_position.map(str::to_owned);
            out.push(notification);
            return Ok(());
        }
        let run_holds = self.run_holds();
        let Item { run, shapes } = self;
        let cloud_event = shapes.attributes.contains_key("specversion");
        let key = if cloud_event { "data" } else { "event" };
        // The ids become the notification's fields where the envelope is an I/O event's or a
        // CloudEvent's; any other shape keeps them among its attributes.
        let (event_id, recipient_client_id) = if shapes.has_nested(key) {
            shapes.ids.take(&mut shapes.attributes)
        } else {
            shapes.ids.restore(&mut shapes.attributes);
            (None, None)
        };
        shapes.release_nested_except(key);
        let mut attributes = std::mem::take(&mut shapes.attributes);
        let (items, events) = (shapes.items.take(), shapes.events.take());
        // An envelope attribute that is null is absent, like any other field.
        attributes.retain(|_, value| !value.is_null());
        // Built around the run in one go, which is then moved only into `out`: every step
        // between would copy the notification's 1.7 KB once more. (A closure, which LLVM
        // keeps out of line, returned it through one such step.)
        macro_rules! notification {
            (
                format: $format:expr,
                event_code: $event_code:expr,
                envelope: $envelope:expr,
                published_at: $published_at:expr,
                message: $message:expr,
                run: $run:expr $(,)?
            ) => {
                // The run and the message first: made before the calls that the other
                // fields need, LLVM moves them straight into place.
                Notification {
                    run: $run.take_run(),
                    message: $message,
                    event_id: None,
                    event_code: $event_code,
                    recipient_client_id: None,
                    format: $format,
                    published_at: $published_at,
                    journal_position: journal_position.map(str::to_owned),
                    envelope: $envelope,
                }
            };
        }
        if cloud_event {
            let data = shapes
                .nested_mut("data")
                .ok_or_else(|| NotFound::at(path, CLOUD_EVENT))?;
            data.check(&path.child(Step::Key("data")), RUN)?;
            let cloud_event_id = run.id.take();
            merge_fields(&mut attributes, run_holds, run);
            let code = match take_string(&mut attributes, &["type"]) {
                Some(code) => EventCode::from(code),
                None => EventCode::of_run(&data.run),
            };
            let published_at = take_timestamp(&mut attributes, "time");
            let mut cloud_event = notification!(
                format: Format::CloudEvent,
                event_code: code,
                envelope: attributes,
                published_at: published_at,
                message: None,
                run: data,
            );
            cloud_event.event_id = event_id;
            cloud_event.recipient_client_id = recipient_client_id;
            match (&cloud_event.event_id, cloud_event_id) {
                (None, id) => cloud_event.event_id = id,
                (Some(_), Some(id)) => {
                    cloud_event.envelope.insert("id", Value::String(id));
                }
                (Some(_), None) => {}
            }
            out.push(cloud_event);
        } else if let Some(event) = shapes.nested_mut("event") {
            event.check(&path.child(Step::Key("event")), RUN)?;
            merge_fields(&mut attributes, run_holds, run);
            let code = EventCode::of_run(&event.run);
            let mut io_event = notification!(
                format: Format::IoEvent,
                event_code: code,
                envelope: attributes,
                published_at: None,
                message: None,
                run: event,
            );
            io_event.event_id = event_id;
            io_event.recipient_client_id = recipient_client_id;
            out.push(io_event);
        } else if let Some(events) = events {
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
        } else if items.is_some() {
            return Err(NotFound::at(path, NOT_A_LIST));
        } else if let Some(messages) = &mut shapes.messages {
            let messages_path = path.child(Step::Key("messages"));
            merge_fields(&mut attributes, run_holds, run);
            // Each message is taken apart where it lies in the list: moved out whole, it was
            // copied twice more (1.5 KB each time) on its way.
            let mut index = 0;
            while let Some(message) = messages.get_mut(index) {
                let message_path = messages_path.child(Step::Index(index));
                let value = &mut message.value;
                value.check(&message_path.child(Step::Key("value")), RUN)?;
                let code = match message
                    .info
                    .event_notification_meta
                    .as_ref()
                    .and_then(|meta| meta.event_type.as_deref())
                {
                    Some(code) => EventCode::from(code),
                    None => EventCode::of_run(&value.run),
                };
                // The list object's own fields belong to each of its messages.
                let envelope = attributes.clone();
                let published_at = message.timestamp.take();
                let info = Some(std::mem::take(&mut message.info));
                out.push(notification!(
                    format: Format::Message,
                    event_code: code,
                    envelope: envelope,
                    published_at: published_at,
                    message: info,
                    run: value,
                ));
                index += 1;
            }
            messages.spent = true;
        } else {
            return Err(NotFound::at(path, NOTIFICATION));
        }
        Ok(())
    }
}

/// Removes and returns the first of `keys` that holds a string; a second spelling of the
/// same field stays in the map, so nothing is lost.
fn take_string(map: &mut Extra, keys: &[&str]) -> Option<String> {
    let key = keys
        .iter()
        .find(|key| matches!(map.get(key), Some(Value::String(_))))?;
    match map.remove(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

fn clone_string(map: &Extra, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|key| map.get(key).and_then(Value::as_str))
        .map(str::to_owned)
}

/// Removes a time attribute when it reads as a [`Timestamp`]; leaves it otherwise.
fn take_timestamp(map: &mut Extra, key: &str) -> Option<Timestamp> {
    let timestamp = Timestamp::deserialize(map.get(key)?).ok()?;
    map.remove(key);
    Some(timestamp)
}

/// Adds the run fields an envelope carried beside its run to the envelope map (rare: a
/// well-formed envelope has none, and then `holds`, from [`Item::run_holds`], is false).
fn merge_fields(envelope: &mut Extra, holds: bool, stray: &FlowRun) {
    if !holds || stray.is_absent() {
        return;
    }
    if let Ok(Value::Object(fields)) = serde_json::to_value(stray) {
        // The run's keys and the envelope's are disjoint: no merging needed.
        for (key, value) in fields {
            envelope.push_unchecked(key, value);
        }
    }
}

/// A journal position as text; `null` is no position.
fn position_text(position: &Value) -> Option<String> {
    match position {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// An entry of a journal page's `events`, classified as soon as it is read (so a page of
/// many entries never holds their unclassified objects): its notifications, or why it has
/// none, with a path relative to the entry.
struct JournalEntry {
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
                while let Some(Key(key)) = map.next_key()? {
                    match &*key {
                        "position" if position.is_none() => position = Some(map.next_value()?),
                        "event" if event_seen.is_none() => {
                            event_seen = Some(map.next_value_seed(ElementSeed(&mut event))?);
                        }
                        "position" | "event" => return Err(duplicate(&key)),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let position = position.as_ref().and_then(position_text);
                let event_path = Path::Root.child(Step::Key("event"));
                let mut notifications = Vec::new();
                let read = match event_seen {
                    Some(true) => event
                        .take_notifications(&mut notifications, &event_path, position.as_deref())
                        .map(|()| notifications),
                    _ => Err(NotFound::at(&event_path, NOTIFICATION)),
                };
                event.discard();
                Ok(JournalEntry { read })
            }
        }

        deserializer.deserialize_map(EntryVisitor)
    }
}

fill_by_value!(JournalEntry);

impl Direct<'_> for JournalEntry {}

/// The messages of a message list, taken apart in place once the list is known to be one
/// (see [`Item::take_notifications`]).
///
/// The first stands in place, the others in a list: nearly every list holds one message, and
/// a list of even one takes a block of 1.5 KB, a size for which glibc's `malloc` first merges
/// all the small blocks the last parse freed (`malloc_consolidate`).
#[derive(Default)]
pub(crate) struct Messages {
    first: Option<ManuallyDrop<Message>>,
    /// The others, dropped as usual (taken apart, they own no heap, but their drop code still
    /// runs: rare enough).
    rest: Vec<Message>,
    /// Whether every message has been taken apart: the first then owns no heap, and is let go
    /// of without walking its drop code.
    spent: bool,
}

impl Messages {
    /// The message at `index`. (Iterating by index: a chain of the first and the rest made
    /// LLVM copy each message's run, 1.3 KB, once more on its way into its notification.)
    fn get_mut(&mut self, index: usize) -> Option<&mut Message> {
        // Read through serde, every message is in the list and none in `first`.
        let Messages { first, rest, .. } = self;
        let in_rest = match (first, index) {
            (Some(first), 0) => return Some(first),
            (Some(_), index) => index - 1,
            (None, index) => index,
        };
        rest.get_mut(in_rest)
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        if let (Some(first), false) = (&mut self.first, self.spent) {
            drop(ManuallyDrop::into_inner(std::mem::take(first)));
        }
    }
}

impl<'de> Fill<'de> for Messages {
    // Through serde (a body that failed, read again to say where), every message goes to
    // the list.
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        Fill::fill(&mut place.rest, deserializer)
    }

    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        let Messages { first, rest, .. } = place;
        fill_list_direct(rest, reader, |reader| {
            if first.is_some() {
                return Ok(false);
            }
            let message = first.insert(ManuallyDrop::default());
            if !Message::fill_direct(message, reader)? {
                // A `null` element: the default left as it was owns no heap.
                *first = None;
            }
            Ok(true)
        })
    }
}

/// One message of a message list: its own fields, its time and its run.
#[derive(Default)]
pub(crate) struct Message {
    info: MessageInfo,
    timestamp: Option<Timestamp>,
    value: MaybeRun,
}

/// Takes a message's `timestamp` and `value` while its other fields fill a [`MessageInfo`].
struct MessageParts<'a> {
    timestamp: &'a mut Option<Timestamp>,
    value: &'a mut MaybeRun,
    seen: [bool; 2],
}

impl<'de> Hook<'de> for MessageParts<'_> {
    fn take<F: Fields<'de>>(&mut self, key: &str, fields: &mut F) -> Result<bool, F::Error> {
        let slot = match key {
            "timestamp" => 0,
            "value" => 1,
            _ => return Ok(false),
        };
        if std::mem::replace(&mut self.seen[slot], true) {
            return Err(duplicate(key));
        }
        if slot == 0 {
            fields.fill_value(&mut *self.timestamp)?;
        } else {
            fields.fill_value(&mut *self.value)?;
        }
        Ok(true)
    }
}

impl Message {
    /// The message's info to fill, and the hook that takes its time and run.
    fn parts(&mut self) -> (&mut MessageInfo, MessageParts<'_>) {
        let Message {
            info,
            timestamp,
            value,
        } = self;
        let parts = MessageParts {
            timestamp,
            value,
            seen: [false; 2],
        };
        (info, parts)
    }
}

impl<'de> Fill<'de> for Message {
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        let (info, mut parts) = place.parts();
        fill_object(info, &mut parts, deserializer)
    }

    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        let (info, mut parts) = place.parts();
        fill_object_direct(info, &mut parts, reader)
    }
}

/// Says what stands at `path` in `body`: "an object with keys id, status, …", "a string".
fn describe(body: &[u8], path: &[Step]) -> String {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Describe { path }
        .deserialize(&mut deserializer)
        .ok()
        .flatten()
        .unwrap_or_else(|| "nothing".to_owned())
}

/// Walks to `path` and describes the value there, skipping everything else.
struct Describe<'p> {
    path: &'p [Step],
}

/// Keys named in a description before it ends with "…".
const KEYS_SHOWN: usize = 8;
/// Characters of a key shown in a description.
const KEY_CHARS_SHOWN: usize = 64;

/// A key as an error message shows it: control characters escaped (an error message must not
/// carry a forged log line), and cut short if long.
fn shown_key(key: &str) -> String {
    let mut shown: String = key
        .chars()
        .take(KEY_CHARS_SHOWN)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if key.chars().nth(KEY_CHARS_SHOWN).is_some() {
        shown.push('…');
    }
    shown
}

impl<'de> DeserializeSeed<'de> for Describe<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Describe<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut keys = Vec::new();
        let mut count = 0usize;
        while let Some(Key(key)) = map.next_key()? {
            match self.path {
                [Step::Key(wanted), rest @ ..] if found.is_none() && key == *wanted => {
                    found = map.next_value_seed(Describe { path: rest })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    count += 1;
                    if self.path.is_empty() && keys.len() < KEYS_SHOWN {
                        keys.push(shown_key(&key));
                    }
                }
            }
        }
        if !self.path.is_empty() {
            return Ok(found);
        }
        Ok(Some(match count {
            0 => "an empty object".to_owned(),
            1 => format!("an object with key {}", keys.join("")),
            _ => {
                let more = if count > KEYS_SHOWN { ", …" } else { "" };
                format!("an object with keys {}{more}", keys.join(", "))
            }
        }))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut index = 0;
        loop {
            let element = match self.path {
                [Step::Index(wanted), rest @ ..] if index == *wanted => seq
                    .next_element_seed(Describe { path: rest })?
                    .map(|inner| {
                        found = inner;
                    }),
                _ => seq.next_element::<IgnoredAny>()?.map(|_| ()),
            };
            if element.is_none() {
                break;
            }
            index += 1;
        }
        if !self.path.is_empty() {
            return Ok(found);
        }
        Ok(Some(match index {
            0 => "an empty array".to_owned(),
            1 => "an array of 1 element".to_owned(),
            count => format!("an array of {count} elements"),
        }))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| format!("the boolean {v}")))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a number".to_owned()))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a number".to_owned()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a number".to_owned()))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a string".to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "null".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::{notifications_by, runs_by, Route};
    use crate::reader::tests::stored_bodies;
    use crate::Notification;

    /// The direct route reads every stored body exactly as serde's visitors over the same
    /// reader do: the same notifications and runs, field for field, or the same error.
    #[test]
    fn the_direct_route_reads_every_stored_body_as_serde_does() {
        let mut read = 0;
        for (file, body) in stored_bodies() {
            let mut direct: Vec<Notification> = Vec::new();
            let mut serde: Vec<Notification> = Vec::new();
            let direct_result = notifications_by(Route::Direct, &body, &mut direct);
            let serde_result = notifications_by(Route::Serde, &body, &mut serde);
            assert_eq!(direct_result, serde_result, "{}", file.display());
            assert_eq!(direct, serde, "{}", file.display());
            assert_eq!(
                runs_by(Route::Direct, &body),
                runs_by(Route::Serde, &body),
                "{}",
                file.display()
            );
            read += usize::from(direct_result.is_ok());
        }
        // Hundreds of fuzz inputs are notifications the mutations left readable (379 when
        // this was written); the rest hold the two routes to the same error.
        assert!(read > 300, "only {read} bodies gave notifications");
    }
}
