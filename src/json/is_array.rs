//! Telling whether a JSON value is an array, skipping it: enough to recognise a journal page
//! without reading its events.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Whether a value is an array, skipping its content.
pub(crate) struct IsArray(pub(crate) bool);

impl<'de> Deserialize<'de> for IsArray {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShapeVisitor;

        impl<'de> Visitor<'de> for ShapeVisitor {
            type Value = IsArray;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<IsArray, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| IsArray(true))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<IsArray, A::Error> {
                IgnoredAny.visit_map(map).map(|_| IsArray(false))
            }

            super::scalars_give!(IsArray(false));
        }

        deserializer.deserialize_any(ShapeVisitor)
    }
}
