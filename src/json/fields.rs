//! The field-filling traits and the two readers behind them.
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

use super::extra::Extra;
use super::field::Field;
use super::ordered::JsonText;
use super::pending::Pending;
use super::reader::{Reader, Rejected};

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

    /// A known field arrived a second time: what its first value said no longer holds.
    fn absent(&mut self, _wire_name: &'static str) {}

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
/// the crate's own reader ([`crate::json::Entries`]), which fills each field straight
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

    /// Steps over the value and gives its text, when the reader can (the crate's reader);
    /// `None`, with the value left unread, otherwise.
    fn value_text(&mut self) -> Result<Option<&'de str>, Self::Error> {
        Ok(None)
    }
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

/// Reads a field the object does not model, after offering it to the hook (`None` when
/// the hook took it).
pub(crate) fn unknown_field<'de, F, H>(
    key: Cow<'de, str>,
    fields: &mut F,
    hook: &mut H,
) -> Result<Option<Field>, F::Error>
where
    F: Fields<'de>,
    H: Hook<'de>,
{
    if hook.take(&key, fields)? {
        return Ok(None);
    }
    read_field(&key, fields).map(Some)
}

/// Reads a field's value: as its text when the reader gives it (see [`Field`]), as a value
/// otherwise.
pub(crate) fn read_field<'de, F: Fields<'de>>(
    key: &str,
    fields: &mut F,
) -> Result<Field, F::Error> {
    match fields.value_text()? {
        Some(text) => Field::of_text(key, text).map_err(de::Error::custom),
        // Through serde: written as text as it is read, keys in order at every depth.
        None => {
            let JsonText(text) = fields.value()?;
            Field::of_text(key, &text).map_err(de::Error::custom)
        }
    }
}

/// Refuses an object whose envelope attributes repeat a key: the one-pass reader leaves such
/// a body to the value route, where the last value wins (see `shapes/events.rs`).
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
        impl<'de> $crate::json::Fill<'de> for $ty {
            #[inline(never)]
            fn fill<D: serde::Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
                match <Option<$ty> as serde::Deserialize>::deserialize(deserializer)? {
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
                reader: &mut $crate::json::Reader<'de>,
            ) -> Result<bool, $crate::json::Rejected> {
                if reader.null()? {
                    return Ok(false);
                }
                *place = $crate::json::Direct::read_direct(reader)?;
                Ok(true)
            }
        }
    )*};
}

fill_by_value!(String, Extra);

/// Each field kept as its text (see [`Field`]).
impl<'de> Direct<'de> for Extra {
    fn read_direct(reader: &mut Reader<'de>) -> Result<Self, Rejected> {
        let mut extra = Extra::new();
        let mut unknown = Pending::start();
        reader.object(|mut fields| {
            let mut more = fields.first_key()?;
            while more {
                let key = fields.key()?;
                unknown.push(read_field(&key, &mut fields)?);
                more = Fields::next_key(&mut fields)?;
            }
            Ok(())
        })?;
        unknown.finish(&mut extra);
        extra.merge_repeated();
        Ok(extra)
    }
}

// Read through serde over the reader: made of parts serde_json reads best (nested values).
impl Direct<'_> for Value {}

pub(crate) use fill_by_value;

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
