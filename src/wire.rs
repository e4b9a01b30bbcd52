//! Private machinery shared by every wire object.
//!
//! Each object type is declared once with [`wire_object!`]: the macro writes the struct (its
//! known fields plus an `extra` map), one field loop that matches keys without allocating,
//! and a serializer that writes the object back. The field loop reads through [`Fields`],
//! which serde's `MapAccess` and the crate's own reader both provide: the public
//! `Deserialize` impls go through serde, the parse functions straight through the reader.
//!
//! No `#[serde(flatten)]`: that buffers every object into a map of values before
//! deserialising it, which costs as much as parsing into `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::reader::{Entries, Reader, Rejected};
use crate::Extra;

/// Whether a field counts as absent on the wire, so that serialisation leaves it out.
///
/// `null`, `{}` and `[]` all read as absent; writing them back as absent keeps a round trip
/// equal to the input up to those forms (the field policy of DESIGN.md).
pub(crate) trait Absent {
    fn is_absent(&self) -> bool;
}

impl<T> Absent for Option<T> {
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T> Absent for Vec<T> {
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl Absent for Extra {
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

/// Gets a say in the fields of an object as the visitor meets them.
///
/// The delivery-shape detector uses this to read one object as an envelope, a CloudEvent, a
/// list or a bare run in one pass; plain deserialisation uses [`NoHook`].
pub(crate) trait Hook<'de> {
    /// Whether the object's fields are first matched in their declared order (see
    /// [`wire_object!`]).
    const ORDERED: bool = true;

    /// A known field arrived with a value other than `null`.
    fn present(&mut self, _wire_name: &'static str) {}

    /// Offers a field the object does not know; returns `true` when the hook read its value.
    fn take<F: Fields<'de>>(&mut self, _key: &str, _fields: &mut F) -> Result<bool, F::Error> {
        Ok(false)
    }
}

/// The hook that takes nothing.
pub(crate) struct NoHook;

impl<'de> Hook<'de> for NoHook {}

/// The fields of an object being read, one at a time: the one interface through which wire
/// objects and hooks read their fields.
///
/// Two readers stand behind it: [`SerdeFields`], over any serde [`MapAccess`] (the public
/// `Deserialize` impls, and serde_json when a failed body is read again to say where), and
/// the crate's own reader ([`crate::reader::Entries`]), which fills each field straight
/// through [`Fill::fill_direct`] without serde's visitor layers. Both read the same text into
/// the same values and refuse the same texts; the tests in `delivery.rs` hold them to it.
pub(crate) trait Fields<'de> {
    type Error: de::Error;

    /// Steps to the first key: `false` for an empty object.
    fn first_key(&mut self) -> Result<bool, Self::Error>;

    /// Steps to the next key, after a value: `false` after the last field.
    fn next_key(&mut self) -> Result<bool, Self::Error>;

    /// Steps over the key at hand when it is `quoted` exactly (the name in quotes, as sent
    /// without escapes), leaving it for [`Fields::key`] otherwise.
    fn key_is(&mut self, quoted: &'static str) -> bool;

    /// Reads the key at hand.
    fn key(&mut self) -> Result<Cow<'de, str>, Self::Error>;

    /// Reads the value of the field into `place` (see [`Fill`]).
    fn fill_value<T: Fill<'de>>(&mut self, place: &mut T) -> Result<bool, Self::Error>;

    /// Reads the value of the field whole.
    fn value<T: Deserialize<'de>>(&mut self) -> Result<T, Self::Error>;

    /// Reads the value into `place` when its first byte is `open` (`{` or `[`); gives any
    /// other value back whole.
    fn fill_or_value<T: Fill<'de>>(
        &mut self,
        place: &mut T,
        open: u8,
    ) -> Result<Option<Value>, Self::Error>;
}

/// [`Fields`] read through serde.
pub(crate) struct SerdeFields<'de, A> {
    map: A,
    /// The key read by `next_key`, until `key` takes it.
    key: Option<Cow<'de, str>>,
}

impl<'de, A: MapAccess<'de>> SerdeFields<'de, A> {
    pub(crate) fn new(map: A) -> Self {
        SerdeFields { map, key: None }
    }
}

impl<'de, A: MapAccess<'de>> Fields<'de> for SerdeFields<'de, A> {
    type Error = A::Error;

    fn first_key(&mut self) -> Result<bool, A::Error> {
        self.next_key()
    }

    fn next_key(&mut self) -> Result<bool, A::Error> {
        self.key = self.map.next_key::<Key<'de>>()?.map(|Key(key)| key);
        Ok(self.key.is_some())
    }

    /// Never: the map gives keys only as values, and `key` matches them.
    fn key_is(&mut self, _quoted: &'static str) -> bool {
        false
    }

    fn key(&mut self) -> Result<Cow<'de, str>, A::Error> {
        // `next_key` said there was one; nothing else takes it.
        self.key
            .take()
            .ok_or_else(|| de::Error::custom("a key asked for past the last field"))
    }

    fn fill_value<T: Fill<'de>>(&mut self, place: &mut T) -> Result<bool, A::Error> {
        self.map.next_value_seed(FillSeed(place))
    }

    fn value<T: Deserialize<'de>>(&mut self) -> Result<T, A::Error> {
        self.map.next_value()
    }

    fn fill_or_value<T: Fill<'de>>(
        &mut self,
        place: &mut T,
        open: u8,
    ) -> Result<Option<Value>, A::Error> {
        self.map.next_value_seed(FillOrValue { place, open })
    }
}

/// Reads a value into a place when it is an object (or an array), whole otherwise (see
/// [`Fields::fill_or_value`]).
struct FillOrValue<'a, T> {
    place: &'a mut T,
    open: u8,
}

impl<'de, T: Fill<'de>> DeserializeSeed<'de> for FillOrValue<'_, T> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: Fill<'de>> Visitor<'de> for FillOrValue<'_, T> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let map = MapAccessDeserializer::new(map);
        if self.open == b'{' {
            T::fill(self.place, map).map(|_| None)
        } else {
            Value::deserialize(map).map(Some)
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let seq = SeqAccessDeserializer::new(seq);
        if self.open == b'[' {
            T::fill(self.place, seq).map(|_| None)
        } else {
            Value::deserialize(seq).map(Some)
        }
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
}

/// A map key, borrowed from the input unless it had escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Stores a field the object does not model, after offering it to the hook.
pub(crate) fn unknown_field<'de, F, H>(
    extra: &mut Extra,
    key: Cow<'de, str>,
    fields: &mut F,
    hook: &mut H,
) -> Result<(), F::Error>
where
    F: Fields<'de>,
    H: Hook<'de>,
{
    if hook.take(&key, fields)? {
        return Ok(());
    }
    let value: Value = fields.value()?;
    extra.push_unchecked(key.into_owned(), value);
    Ok(())
}

/// Refuses an object whose unknown fields repeat a key.
///
/// Duplicate keys are refused in every object the crate reads field by field (values kept
/// whole in `extra` follow serde_json, last one wins): two readers of the same body must
/// never disagree about which value counted.
pub(crate) fn unique_keys<E: de::Error>(extra: &Extra) -> Result<(), E> {
    match extra.repeated_key() {
        Some(key) => Err(duplicate(key)),
        None => Ok(()),
    }
}

/// The error for a key that came twice.
pub(crate) fn duplicate<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("duplicate field `{key}`"))
}

/// A value read into a place that already holds its default, rather than built and moved.
///
/// Wire objects are large (a run with its summaries is 1.3 KB), and returning them by
/// value through each layer of serde's visitors copied them several times per level.
pub(crate) trait Fill<'de> {
    /// Reads one value into `place`; `Ok(false)` when it was `null` (and `place` untouched).
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error>;

    /// The same, straight from the crate's reader. The default goes through serde over the
    /// reader; the types a run is made of read without it.
    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        Self::fill(place, reader)
    }
}

/// A value read whole: through serde, or straight from the crate's reader.
pub(crate) trait Direct<'de>: Deserialize<'de> {
    /// Reads a value that is not `null`, as `deserialize` does. The default goes through
    /// serde over the reader.
    fn read_direct(reader: &mut Reader<'de>) -> Result<Self, Rejected> {
        Self::deserialize(reader)
    }
}

// Strings are read inline into the code that stores them (`Option<String>`'s fill, above
// all): returned from a call, a string's three words came back through the stack and were
// copied on as two, a load that waits for the three stores before it (perf: half the time of
// that fill).
impl<'de> Direct<'de> for String {
    #[inline(always)]
    fn read_direct(reader: &mut Reader<'de>) -> Result<Self, Rejected> {
        reader.owned_string()
    }
}

impl<'de> Direct<'de> for crate::Link {
    #[inline(always)]
    fn read_direct(reader: &mut Reader<'de>) -> Result<Self, Rejected> {
        reader.owned_string().map(crate::Link::from)
    }
}

impl<'de> Direct<'de> for std::borrow::Cow<'static, str> {
    #[inline(always)]
    fn read_direct(reader: &mut Reader<'de>) -> Result<Self, Rejected> {
        reader.well_known_string()
    }
}

impl<'de, T: Direct<'de>> Direct<'de> for Box<T> {
    fn read_direct(reader: &mut Reader<'de>) -> Result<Self, Rejected> {
        T::read_direct(reader).map(Box::new)
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Direct<'de>
    for std::collections::BTreeMap<K, V>
{
}

/// The seed that fills a place.
pub(crate) struct FillSeed<'a, T>(pub(crate) &'a mut T);

impl<'de, T: Fill<'de>> DeserializeSeed<'de> for FillSeed<'_, T> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        T::fill(self.0, deserializer)
    }
}

impl<'de, T: Direct<'de>> Fill<'de> for Option<T> {
    // Not inlined into each field of each object: one copy per type serves them all, which
    // keeps the code a parse runs through small enough for the instruction cache.
    #[inline(never)]
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        *place = Option::deserialize(deserializer)?;
        Ok(place.is_some())
    }

    #[inline(never)]
    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        if reader.null()? {
            *place = None;
            return Ok(false);
        }
        *place = Some(T::read_direct(reader)?);
        Ok(true)
    }
}

/// `Fill` for types read whole: `null` leaves the default.
macro_rules! fill_by_value {
    ($($ty:ty),*) => {$(
        impl<'de> $crate::wire::Fill<'de> for $ty {
            #[inline(never)]
            fn fill<D: serde::Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
                match Option::deserialize(deserializer)? {
                    Some(value) => {
                        *place = value;
                        Ok(true)
                    }
                    None => Ok(false),
                }
            }

            #[inline(never)]
            fn fill_direct(
                place: &mut Self,
                reader: &mut $crate::reader::Reader<'de>,
            ) -> Result<bool, $crate::reader::Rejected> {
                if reader.null()? {
                    return Ok(false);
                }
                *place = $crate::wire::Direct::read_direct(reader)?;
                Ok(true)
            }
        }
    )*};
}

fill_by_value!(String, Extra, crate::ErrorCode);

// Read through serde over the reader: rare, or made of parts serde_json reads best (numbers
// beyond `u64`, nested values).
impl Direct<'_> for Extra {}
impl Direct<'_> for crate::ErrorCode {}
impl Direct<'_> for crate::Status {}

pub(crate) use fill_by_value;

impl<'de, T: Fill<'de> + Default> Fill<'de> for Vec<T> {
    #[inline(never)]
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_option(ListFill(place))
    }

    #[inline(never)]
    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        fill_list_direct(place, reader, |_| Ok(false))
    }
}

/// Fills `list` from the array the reader stands at (`Ok(false)` for `null`), straight from
/// the crate's reader. Each element is offered to `elsewhere` first, which reads it and says
/// `true` when it kept it in a place of its own (a message list's first message), or reads
/// nothing and says `false`.
#[inline(always)]
pub(crate) fn fill_list_direct<'de, T: Fill<'de> + Default>(
    list: &mut Vec<T>,
    reader: &mut Reader<'de>,
    mut elsewhere: impl FnMut(&mut Reader<'de>) -> Result<bool, Rejected>,
) -> Result<bool, Rejected> {
    if reader.null()? {
        return Ok(false);
    }
    reader.array(|mut elements| {
        let mut scratch = None;
        while let Some(reader) = elements.next()? {
            if !elsewhere(reader)? {
                fill_element(list, &mut scratch, reader)?;
            }
        }
        finish_list(list, scratch);
        Ok(())
    })?;
    Ok(true)
}

/// Reads the element the reader stands at onto the end of `list`, in its place or through
/// `scratch` (see [`fills_in_place`]); a `null` element is skipped. [`finish_list`] ends the
/// list once the last element has been read.
#[inline(always)]
fn fill_element<'de, T: Fill<'de> + Default>(
    list: &mut Vec<T>,
    scratch: &mut Option<T>,
    reader: &mut Reader<'de>,
) -> Result<(), Rejected> {
    if fills_in_place::<T>(list) {
        grow_exact(list);
        // Made in its place: `push(T::default())` made it aside and copied it.
        list.resize_with(list.len() + 1, T::default);
        let last = list.len() - 1;
        if !T::fill_direct(&mut list[last], reader)? {
            // A `null` element left the default as it was: no heap to drop.
            std::mem::forget(list.pop());
        }
    } else if T::fill_direct(scratch.get_or_insert_with(T::default), reader)? {
        push_scratch(list, scratch);
    }
    Ok(())
}

/// Fills `list` with the elements `next` reads into a scratch value (`Some(false)` for a
/// `null` element, `None` after the last). `next` puts a default value in the scratch slot
/// (`get_or_insert_with`) only when there is an element to read. Serde's sequences come this
/// way, as they say whether there is an element only by reading it; the crate's reader says so
/// first, and fills small elements in place (see [`fills_in_place`]).
///
/// Each element is filled in the scratch value, then moved once: pushing a default and
/// popping it at the end would grow the list past its length for nothing. Taking it out of
/// an `Option` leaves only the `None` mark behind, where `mem::take` wrote a whole default
/// value back (for a message, 1.5 KB) that the next element, or nothing, would use. A `null`
/// element is skipped rather than turned into an empty string or object.
///
/// The list ends as long as it is (the parsed model keeps no spare room): short lists, the
/// usual case, grow one place at a time, long ones double and are trimmed once.
fn fill_list<T: Default, E>(
    list: &mut Vec<T>,
    mut next: impl FnMut(&mut Option<T>) -> Result<Option<bool>, E>,
) -> Result<(), E> {
    let mut scratch = None;
    while let Some(present) = next(&mut scratch)? {
        if present {
            push_scratch(list, &mut scratch);
        }
    }
    finish_list(list, scratch);
    Ok(())
}

/// Whether the crate's reader fills the next element of `list` in its place in the list
/// rather than in a scratch value: when the list's block after growing stays below 1 KB.
///
/// In place, an element is written once instead of being copied twice more (scratch, then
/// list). But the list's block is then requested before the element's strings rather than
/// after, and glibc's `malloc` merges all its small free blocks first (`malloc_consolidate`)
/// when a request of 1 KB or more finds any: the strings freed by the previous parse, which
/// the element's own strings would have taken. For a message (1.5 KB) or a second activity
/// (1.8 KB), that merging costs more than the copies (callgrind: 3% more instructions on the
/// success event when every list filled in place).
fn fills_in_place<T>(list: &[T]) -> bool {
    size_of::<T>() * (list.len() + 1) < 1024
}

/// Moves a filled scratch element to the end of `list`, once the list has room for it: taken
/// only then, it goes straight to its place, with no stop on the stack on the way.
fn push_scratch<T>(list: &mut Vec<T>, scratch: &mut Option<T>) {
    grow_exact(list);
    if let Some(element) = scratch.take() {
        list.push(element);
    }
}

/// Ends a list filled through `scratch`, once its last element has been read. (On an error
/// the scratch is dropped as usual instead: it may hold an element filled half way.)
///
/// Every element has been moved out, and a `null` one leaves the scratch as it was: what is
/// left is nothing or a default value, which owns no heap. Dropping it would walk `T`'s
/// whole drop code, a copy of the code the caller runs again on the result: the parse would
/// carry two copies through the instruction cache (callgrind: 6% more misses;
/// `tests/no_leaks.rs` holds the claim to the truth).
fn finish_list<T>(list: &mut Vec<T>, scratch: Option<T>) {
    std::mem::forget(scratch);
    trim(list);
}

/// Up to this many elements, a list read from the wire grows one place at a time.
const EXACT_GROWTH_LIMIT: usize = 16;

/// Adds `value` at the end of `list`, growing a short full list by exactly one place, so that
/// it holds no spare room; a long one grows the usual way (by doubling).
///
/// The one-place growth takes a new allocation and moves the elements, rather than calling
/// `realloc`: glibc's `realloc` of a small block takes a slower path than a fresh allocation
/// (measured with callgrind, about 2.5 times an allocation and a free).
pub(crate) fn push_exact<T>(list: &mut Vec<T>, value: T) {
    grow_exact(list);
    list.push(value);
}

/// Makes room for one more element the way [`push_exact`] does.
fn grow_exact<T>(list: &mut Vec<T>) {
    if list.len() == list.capacity() && list.len() < EXACT_GROWTH_LIMIT {
        let mut grown = Vec::with_capacity(list.len() + 1);
        grown.append(list);
        *list = grown;
    }
}

/// Gives back the spare room of a list that grew by doubling.
pub(crate) fn trim<T>(list: &mut Vec<T>) {
    if list.capacity() > list.len() {
        list.shrink_to_fit();
    }
}

/// Fills a list element by element.
pub(crate) struct ListFill<'a, T>(pub(crate) &'a mut Vec<T>);

impl<'de, T: Fill<'de> + Default> Visitor<'de> for ListFill<'_, T> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        fill_list(self.0, |scratch| {
            seq.next_element_seed(FillSeed(scratch.get_or_insert_with(T::default)))
        })?;
        Ok(true)
    }
}

/// A wire object: reads its fields from a map, in place.
pub(crate) trait WireObject: Default {
    /// What the object is, for "expected ..." in errors.
    const EXPECTING: &'static str;

    /// Reads the fields of one object into `self`, giving `hook` first look at unknown ones.
    fn fill_fields<'de, F, H>(&mut self, fields: F, hook: &mut H) -> Result<(), F::Error>
    where
        F: Fields<'de>,
        H: Hook<'de>;
}

/// Fills a wire object, with `hook`, from serde (`null` leaves it alone).
pub(crate) fn fill_object<'de, T, H, D>(
    place: &mut T,
    hook: &mut H,
    deserializer: D,
) -> Result<bool, D::Error>
where
    T: WireObject,
    H: Hook<'de>,
    D: Deserializer<'de>,
{
    deserializer.deserialize_option(ObjectFill { place, hook })
}

/// Fills a wire object, with `hook`, straight from the crate's reader (`null` leaves it
/// alone).
pub(crate) fn fill_object_direct<'de, T, H>(
    place: &mut T,
    hook: &mut H,
    reader: &mut Reader<'de>,
) -> Result<bool, Rejected>
where
    T: WireObject,
    H: Hook<'de>,
{
    read_object(reader, &mut |fields| place.fill_fields(fields, hook))
}

/// The reading around an object's fields (`null`, the brackets, the depth), one copy for
/// every wire object: inlined into each, it made that code as many times the size, and a
/// parse runs a dozen of them.
#[inline(never)]
fn read_object<'de>(
    reader: &mut Reader<'de>,
    fill: &mut dyn FnMut(Entries<'_, 'de>) -> Result<(), Rejected>,
) -> Result<bool, Rejected> {
    if reader.null()? {
        return Ok(false);
    }
    reader.object(fill)?;
    Ok(true)
}

/// Fills a wire object from a map (or leaves it alone for `null`).
pub(crate) struct ObjectFill<'a, T, H> {
    pub(crate) place: &'a mut T,
    pub(crate) hook: &'a mut H,
}

impl<'de, T: WireObject, H: Hook<'de>> Visitor<'de> for ObjectFill<'_, T, H> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        self.place.fill_fields(SerdeFields::new(map), self.hook)?;
        Ok(true)
    }
}

/// Declares a wire object: the struct, its single-pass `Deserialize`, its `Serialize`.
///
/// Every field is optional or defaulted, and `null` reads as absent. A field the object does
/// not know lands in `extra` and is written back after the known ones.
///
/// Declare the fields in the order Adobe sends them: the field loop recognises fields that
/// come in declared order without reading their keys out, and matches any other by name.
macro_rules! wire_object {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident expecting $expecting:literal {
            $(
                $(#[$field_meta:meta])*
                $wire:literal => $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $ty,
            )*
            /// Fields this crate does not model, kept as they came and written back on
            /// serialisation.
            pub extra: $crate::Extra,
        }

        impl $crate::wire::WireObject for $name {
            const EXPECTING: &'static str = $expecting;

            fn fill_fields<'de, F, H>(&mut self, mut fields: F, hook: &mut H) -> Result<(), F::Error>
            where
                F: $crate::wire::Fields<'de>,
                H: $crate::wire::Hook<'de>,
            {
                #[allow(non_camel_case_types, clippy::enum_variant_names)]
                enum Bit { $($field,)* }
                // One bit per field in `seen`.
                const _: () = assert!([$(Bit::$field),*].len() <= 64);

                let mut seen: u64 = 0;
                let mut more = fields.first_key()?;
                // First one pass over the fields in their declared order, which is the order
                // Adobe sends them in for most objects: each is compared, as its quoted name,
                // with the text of the key at hand, without reading the key out and matching
                // it. A key that matches none of the fields after the last one taken (out of
                // order, escaped or unknown) is left, with the rest, to the loop below. A
                // field taken in this pass cannot have been seen before.
                $(
                    if H::ORDERED && more && fields.key_is(concat!("\"", $wire, "\"")) {
                        seen |= 1u64 << (Bit::$field as u32);
                        if fields.fill_value(&mut self.$field)? {
                            hook.present($wire);
                        }
                        more = fields.next_key()?;
                    }
                )*
                while more {
                    let key = fields.key()?;
                    match &*key {
                        $(
                            $wire => {
                                let bit = 1u64 << (Bit::$field as u32);
                                if seen & bit != 0 {
                                    return Err(serde::de::Error::duplicate_field($wire));
                                }
                                seen |= bit;
                                if fields.fill_value(&mut self.$field)? {
                                    hook.present($wire);
                                }
                            }
                        )*
                        _ => $crate::wire::unknown_field(&mut self.extra, key, &mut fields, hook)?,
                    }
                    more = fields.next_key()?;
                }
                self.extra.shrink_to_fit();
                $crate::wire::unique_keys(&self.extra)
            }
        }

        impl $crate::wire::Absent for $name {
            fn is_absent(&self) -> bool {
                $( $crate::wire::Absent::is_absent(&self.$field) && )* self.extra.is_empty()
            }
        }

        impl<'de> $crate::wire::Fill<'de> for $name {
            #[inline(never)]
            fn fill<D: serde::Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
                $crate::wire::fill_object(place, &mut $crate::wire::NoHook, deserializer)
            }

            #[inline(never)]
            fn fill_direct(
                place: &mut Self,
                reader: &mut $crate::reader::Reader<'de>,
            ) -> Result<bool, $crate::reader::Rejected> {
                $crate::wire::fill_object_direct(place, &mut $crate::wire::NoHook, reader)
            }
        }

        impl<'de> $crate::wire::Direct<'de> for $name {
            fn read_direct(
                reader: &mut $crate::reader::Reader<'de>,
            ) -> Result<Self, $crate::reader::Rejected> {
                let mut out = Self::default();
                reader.object(|fields| {
                    $crate::wire::WireObject::fill_fields(&mut out, fields, &mut $crate::wire::NoHook)
                })?;
                Ok(out)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let mut out = Self::default();
                deserializer.deserialize_map($crate::wire::ObjectFill { place: &mut out, hook: &mut $crate::wire::NoHook })?;
                Ok(out)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                $(
                    if !$crate::wire::Absent::is_absent(&self.$field) {
                        map.serialize_entry($wire, &self.$field)?;
                    }
                )*
                for (key, value) in &self.extra {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    };
}

pub(crate) use wire_object;

/// Declares an open enum of wire strings: known values as variants, anything else kept in
/// `Other`. Known values (the documented spelling and any listed alias) are recognised
/// ignoring ASCII case, and written back in their documented spelling.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident expecting $expecting:literal {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $canonical:literal $(| $alias:literal)*,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                $variant,
            )*
            /// Any other value, exactly as it came.
            Other(String),
        }

        impl $name {
            /// The wire spelling: the documented one for known values, the original otherwise.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $canonical, )*
                    Self::Other(other) => other,
                }
            }

            /// Recognises a known value without allocating.
            fn known(value: &str) -> Option<Self> {
                // The documented spelling, as Adobe sends it, first: compared whole, it
                // spares the byte-by-byte comparisons that ignore case.
                $(
                    if value == $canonical {
                        return Some(Self::$variant);
                    }
                )*
                $(
                    if value.eq_ignore_ascii_case($canonical)
                        $(|| value.eq_ignore_ascii_case($alias))*
                    {
                        return Some(Self::$variant);
                    }
                )*
                None
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::known(&value).unwrap_or(Self::Other(value))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct StrVisitor;

                impl<'de> serde::de::Visitor<'de> for StrVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        Ok($name::from(value))
                    }

                    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<$name, E> {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(StrVisitor)
            }
        }
    };
}

pub(crate) use open_enum;

/// Visitor methods for every JSON scalar, all giving `$value` (for visitors that only care
/// about objects and arrays).
macro_rules! scalars_give {
    ($value:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

pub(crate) use scalars_give;

#[cfg(test)]
mod tests {
    use crate::{RunError, StatusSummary};

    #[test]
    fn lists_and_unknown_fields_hold_no_spare_room() {
        for count in [1, 2, 3, 4, 5, 16, 17, 40] {
            let errors: Vec<String> = (0..count)
                .map(|n| format!(r#"{{"code": "E-{n}", "x{n}": {n}, "y": null}}"#))
                .collect();
            let refs: Vec<String> = (0..count).map(|n| format!(r#""a{n}""#)).collect();
            let body = format!(
                r#"{{"errors": [{}, null], "activityRefs": [{}], "z": 1}}"#,
                errors.join(", "),
                refs.join(", ")
            );
            let summary: StatusSummary = serde_json::from_str(&body).unwrap();
            assert_eq!(summary.errors.len(), count);
            assert_eq!(summary.errors.capacity(), count);
            assert_eq!(summary.activity_refs.capacity(), count);
            assert_eq!(summary.extra.len(), 1);
            let first: &RunError = &summary.errors[0];
            assert_eq!(first.extra.len(), 2);
        }
    }
}
