//! Wire objects: the structs declared with [`wire_object!`] and the field loop they share.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::Deserializer;

use super::fields::{Fields, Hook, SerdeFields};
use super::reader::{Entries, Reader, Rejected};

/// A wire object: reads its fields from a map, in place.
pub(crate) trait WireObject: Default {
    /// What the object is, for "expected ..." in errors.
    const EXPECTING: &'static str;

    /// The wire names of its fields.
    const FIELDS: &'static [&'static str];

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
                $([$spelling:ident])? $wire:literal => $field:ident : $ty:ty,
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
                $(
                    /// The spelling the field's value came in, when not the documented one.
                    pub(crate) $spelling: $crate::json::spelling::Spelling,
                )?
            )*
            /// Fields this crate does not model, kept as they came and written back on
            /// serialisation.
            pub extra: $crate::Extra,
        }

        impl $crate::json::WireObject for $name {
            const EXPECTING: &'static str = $expecting;
            const FIELDS: &'static [&'static str] = &[$($wire),*];

            fn fill_fields<'de, F, H>(&mut self, mut fields: F, hook: &mut H) -> Result<(), F::Error>
            where
                F: $crate::json::Fields<'de>,
                H: $crate::json::Hook<'de>,
            {
                #[allow(non_camel_case_types, clippy::enum_variant_names)]
                enum Bit { $($field,)* }
                // One bit per field in `seen`.
                const _: () = assert!([$(Bit::$field),*].len() <= 64);

                let mut seen: u64 = 0;
                let mut unknown = $crate::json::Pending::start();
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
                        if $crate::json::spelling::fill_field!(fields, self.$field $(, self.$spelling)?) {
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
                                    // Given again: the last value wins, as `JSON.parse` and
                                    // `serde_json::Value` read it.
                                    self.$field = Default::default();
                                    hook.absent($wire);
                                }
                                seen |= bit;
                                if $crate::json::spelling::fill_field!(fields, self.$field $(, self.$spelling)?) {
                                    hook.present($wire);
                                }
                            }
                        )*
                        _ => {
                            if let Some(field) = $crate::json::unknown_field(key, &mut fields, hook)? {
                                unknown.push(field);
                            }
                        }
                    }
                    more = fields.next_key()?;
                }
                unknown.finish(&mut self.extra);
                self.extra.merge_repeated();
                Ok(())
            }
        }

        impl $crate::json::rare::Empty for $name {
            fn empty() -> &'static Self {
                static EMPTY: std::sync::OnceLock<$name> = std::sync::OnceLock::new();
                EMPTY.get_or_init(Self::default)
            }
        }

        impl $crate::json::Absent for $name {
            fn is_absent(&self) -> bool {
                $( $crate::json::Absent::is_absent(&self.$field) && )* self.extra.is_empty()
            }
        }

        impl<'de> $crate::json::Fill<'de> for $name {
            #[inline(never)]
            fn fill<D: serde::Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
                $crate::json::fill_object(place, &mut $crate::json::NoHook, deserializer)
            }

            #[inline(never)]
            fn fill_direct(
                place: &mut Self,
                reader: &mut $crate::json::Reader<'de>,
            ) -> Result<bool, $crate::json::Rejected> {
                $crate::json::fill_object_direct(place, &mut $crate::json::NoHook, reader)
            }
        }

        impl<'de> $crate::json::Direct<'de> for $name {
            fn read_direct(
                reader: &mut $crate::json::Reader<'de>,
            ) -> Result<Self, $crate::json::Rejected> {
                let mut out = Self::default();
                reader.object(|fields| {
                    $crate::json::WireObject::fill_fields(&mut out, fields, &mut $crate::json::NoHook)
                })?;
                Ok(out)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let mut out = Self::default();
                deserializer.deserialize_map($crate::json::ObjectFill { place: &mut out, hook: &mut $crate::json::NoHook })?;
                Ok(out)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                $(
                    if !$crate::json::Absent::is_absent(&self.$field) {
                        $crate::json::spelling::write_field!(map, $wire, self.$field $(, self.$spelling)?);
                    }
                )*
                self.extra.write_entries(&mut map)?;
                map.end()
            }
        }
    };
}

pub(crate) use wire_object;
