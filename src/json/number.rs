//! The wire form shared by counts and timestamps: an
//! integer, or a string Adobe sent in its place, kept exactly as it came.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

use super::reader::{Reader, Rejected};

/// An integer as it stood on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum WireInt {
    /// A JSON number that fits `i64`.
    Int(i64),
    /// A JSON number above `i64::MAX`.
    UInt(u64),
    /// A JSON string; the owning type decides which strings it accepts. Boxed twice so the
    /// enum stays 16 bytes: runs hold dozens of counts, and strings among them are rare.
    #[allow(clippy::box_collection)]
    Text(Box<String>),
}

impl WireInt {
    /// The integer value, reading a string of ASCII digits (with an optional `-`) as a number.
    pub(crate) fn value(&self) -> Option<i128> {
        match self {
            WireInt::Int(n) => Some(i128::from(*n)),
            WireInt::UInt(n) => Some(i128::from(*n)),
            WireInt::Text(text) => parse_integer(text),
        }
    }

    pub(crate) fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WireInt::Int(n) => serializer.serialize_i64(*n),
            WireInt::UInt(n) => serializer.serialize_u64(*n),
            WireInt::Text(text) => serializer.serialize_str(text),
        }
    }

    /// Reads a number or a string; `accepts_text` says which strings the owning type takes
    /// and `expecting` names the type in errors.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
        accepts_text: fn(&str) -> bool,
        expecting: &'static str,
    ) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WireIntVisitor {
            accepts_text,
            expecting,
        })
    }
}

impl WireInt {
    /// [`WireInt::deserialize`] straight from the crate's reader. Numbers, the usual case,
    /// skip serde's dispatch on the kind of value, and most of them the general number
    /// reading too. Always inlined into its two callers (counts and timestamps).
    #[inline(always)]
    pub(crate) fn read_direct(
        reader: &mut Reader<'_>,
        accepts_text: fn(&str) -> bool,
        expecting: &'static str,
    ) -> Result<Self, Rejected> {
        if let Some(value) = reader.short_integer() {
            // Below 10^15: an `i64`, as `visit_u64` would make it.
            return Ok(WireInt::Int(value as i64));
        }
        let visitor = WireIntVisitor {
            accepts_text,
            expecting,
        };
        if reader.at_number() {
            reader.visit_number(visitor)
        } else {
            reader.deserialize_any(visitor)
        }
    }

    /// `Name(2048)` for a number, `Name("2048")` for a string: the `Debug` of the types that
    /// wrap a wire integer.
    pub(crate) fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireInt::Text(text) => write!(f, "{name}({text:?})"),
            other => write!(f, "{name}({other})"),
        }
    }
}

impl fmt::Display for WireInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireInt::Int(n) => n.fmt(f),
            WireInt::UInt(n) => n.fmt(f),
            WireInt::Text(text) => f.write_str(text),
        }
    }
}

/// Parses `-?[0-9]+`, nothing else (no sign `+`, no spaces, no fraction).
pub(crate) fn parse_integer(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 38 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

struct WireIntVisitor {
    accepts_text: fn(&str) -> bool,
    expecting: &'static str,
}

impl<'de> Visitor<'de> for WireIntVisitor {
    type Value = WireInt;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireInt, E> {
        Ok(WireInt::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireInt, E> {
        Ok(i64::try_from(v).map_or(WireInt::UInt(v), WireInt::Int))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<WireInt, E> {
        if (self.accepts_text)(v) {
            Ok(WireInt::Text(Box::new(v.to_owned())))
        } else {
            Err(E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
}
