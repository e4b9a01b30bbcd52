//! Record, byte and file counts.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::{parse_integer, Direct, Reader, Rejected, WireInt};

/// A count from a run's metrics (records, bytes, files), keeping the value as it came.
///
/// Adobe writes `-1` for "unknown", and sometimes sends numbers as strings (`"2048"`).
/// [`Count::get`] gives `None` for any negative value, so an unknown count can never be
/// summed by accident; serialisation writes back exactly what was read.
///
/// ```
/// use aep_flow_run::Count;
///
/// let known: Count = serde_json::from_str("2048").unwrap();
/// let text: Count = serde_json::from_str("\"2048\"").unwrap();
/// let unknown: Count = serde_json::from_str("-1").unwrap();
/// assert_eq!(known.get(), Some(2048));
/// assert_eq!(text.get(), Some(2048));
/// assert_eq!(unknown.get(), None);
/// assert!(unknown.is_unknown());
/// assert_eq!(serde_json::to_string(&text).unwrap(), "\"2048\"");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Count(WireInt);

impl Count {
    /// Adobe's "unknown" count, `-1`.
    pub const UNKNOWN: Count = Count(WireInt::Int(-1));

    /// A known count.
    pub fn new(value: u64) -> Self {
        Count(i64::try_from(value).map_or(WireInt::UInt(value), WireInt::Int))
    }

    /// The count, or `None` when Adobe reported it as unknown (`-1`, or any negative value).
    pub fn get(&self) -> Option<u64> {
        self.0.value().and_then(|n| u64::try_from(n).ok())
    }

    /// Whether the count is Adobe's "unknown" (negative).
    pub fn is_unknown(&self) -> bool {
        self.get().is_none()
    }
}

impl From<u64> for Count {
    fn from(value: u64) -> Self {
        Count::new(value)
    }
}

impl fmt::Debug for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug_as("Count", f)
    }
}

/// The wire value, as it came (`2048`, `-1`, `2048` for `"2048"`).
impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Count {
    /// The strings a count accepts in place of a number.
    fn accepts_text(text: &str) -> bool {
        parse_integer(text).is_some()
    }

    const EXPECTING: &'static str = "an integer count, or a string of digits";
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WireInt::deserialize(deserializer, Count::accepts_text, Count::EXPECTING).map(Count)
    }
}

impl Direct<'_> for Count {
    #[inline(always)]
    fn read_direct(reader: &mut Reader<'_>) -> Result<Self, Rejected> {
        WireInt::read_direct(reader, Count::accepts_text, Count::EXPECTING).map(Count)
    }
}
