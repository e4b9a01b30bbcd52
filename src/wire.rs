//! Private machinery shared by every wire object.
//!
//! Each object type is declared once with [`wire_object!`]: the macro writes the struct (its
//! known fields plus an `extra` map), a single-pass visitor that matches keys without
//! allocating, and a serializer that writes the object back. No `#[serde(flatten)]`: that
//! buffers every object into a map of values before deserialising it, which costs as much as
//! parsing into `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

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
    /// A known field arrived with a value other than `null`.
    fn present(&mut self, _wire_name: &'static str) {}

    /// Offers a field the object does not know; returns `true` when the hook read its value.
    fn take<A: MapAccess<'de>>(&mut self, _key: &str, _map: &mut A) -> Result<bool, A::Error> {
        Ok(false)
    }
}

/// The hook that takes nothing.
pub(crate) struct NoHook;

impl<'de> Hook<'de> for NoHook {}

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
pub(crate) fn unknown_field<'de, A, H>(
    extra: &mut Extra,
    key: Cow<'de, str>,
    map: &mut A,
    hook: &mut H,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    H: Hook<'de>,
{
    if hook.take(&key, map)? {
        return Ok(());
    }
    let value: Value = map.next_value()?;
    insert_unique(extra, key.into_owned(), value)
}

/// Inserts into a map of unknown fields, refusing a key that came twice.
///
/// Duplicate keys are refused everywhere: two readers of the same body must never disagree
/// about which value counted.
pub(crate) fn insert_unique<E: de::Error>(
    map: &mut Extra,
    key: String,
    value: Value,
) -> Result<(), E> {
    match map.entry(key) {
        serde_json::map::Entry::Vacant(slot) => {
            slot.insert(value);
            Ok(())
        }
        serde_json::map::Entry::Occupied(slot) => {
            Err(E::custom(format_args!("duplicate field `{}`", slot.key())))
        }
    }
}

/// Declares a wire object: the struct, its single-pass `Deserialize`, its `Serialize`.
///
/// Every field is optional or defaulted, and `null` reads as absent. A field the object does
/// not know lands in `extra` and is written back after the known ones.
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
        #[derive(Debug, Clone, Default, PartialEq)]
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

        impl $name {
            /// Reads the fields of one object, giving `hook` first look at unknown ones.
            #[allow(dead_code)]
            pub(crate) fn visit_fields<'de, A, H>(mut map: A, hook: &mut H) -> Result<Self, A::Error>
            where
                A: serde::de::MapAccess<'de>,
                H: $crate::wire::Hook<'de>,
            {
                #[allow(non_camel_case_types, clippy::enum_variant_names)]
                enum Bit { $($field,)* }

                let mut out = Self::default();
                let mut seen: u64 = 0;
                while let Some($crate::wire::Key(key)) = map.next_key()? {
                    match &*key {
                        $(
                            $wire => {
                                let bit = 1u64 << (Bit::$field as u32);
                                if seen & bit != 0 {
                                    return Err(serde::de::Error::duplicate_field($wire));
                                }
                                seen |= bit;
                                if let Some(value) = map.next_value::<Option<$ty>>()? {
                                    hook.present($wire);
                                    out.$field = value;
                                }
                            }
                        )*
                        _ => $crate::wire::unknown_field(&mut out.extra, key, &mut map, hook)?,
                    }
                }
                Ok(out)
            }
        }

        impl $crate::wire::Absent for $name {
            fn is_absent(&self) -> bool {
                $( $crate::wire::Absent::is_absent(&self.$field) && )* self.extra.is_empty()
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;

                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$name, A::Error> {
                        $name::visit_fields(map, &mut $crate::wire::NoHook)
                    }
                }

                deserializer.deserialize_map(ObjectVisitor)
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
                Ok(Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned())))
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
