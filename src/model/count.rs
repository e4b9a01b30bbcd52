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

    /// The value as it came on the wire (`-1`, `"2048"` as `2048`), for display.
    pub fn wire(&self) -> WireCount<'_> {
        WireCount(self)
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

/// The count as a number, or `unknown` for Adobe's `-1`: a number printed is always a count
/// that can be added up. [`Count::wire`] shows the value as it came.
///
/// ```
/// use aep_flow_run::Count;
///
/// assert_eq!(Count::new(2048).to_string(), "2048");
/// assert_eq!(Count::UNKNOWN.to_string(), "unknown");
/// assert_eq!(Count::UNKNOWN.wire().to_string(), "-1");
/// ```
impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            Some(value) => value.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

/// A count's value as it came on the wire, for display: from [`Count::wire`].
#[derive(Debug, Clone, Copy)]
pub struct WireCount<'a>(&'a Count);

impl fmt::Display for WireCount<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0 .0.fmt(f)
    }
}

/// An unknown count (`-1`): what a count is before anything is known.
impl Default for Count {
    fn default() -> Self {
        Count::UNKNOWN
    }
}

/// The total of many counts: the sum of the known ones, and how many were unknown (`-1`) or
/// absent, so that a sum never silently leaves part of a run out.
///
/// ```
/// use aep_flow_run::{Count, CountTotal};
///
/// let counts = [Some(Count::new(300)), Some(Count::UNKNOWN), None, Some(Count::new(50))];
/// let total: CountTotal = counts.iter().map(Option::as_ref).collect();
/// assert_eq!(total.known, 350);
/// assert_eq!((total.unknown, total.absent), (1, 1));
/// assert!(!total.is_complete());
/// assert_eq!(total.to_string(), "350 (+1 unknown, 1 absent)");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CountTotal {
    /// The sum of the known counts (saturating at `u64::MAX`).
    pub known: u64,
    /// How many counts were Adobe's "unknown" (`-1`).
    pub unknown: usize,
    /// How many counts were absent.
    pub absent: usize,
}

impl CountTotal {
    /// Adds one count, present or not.
    pub fn add(&mut self, count: Option<&Count>) {
        match count.map(Count::get) {
            Some(Some(value)) => self.known = self.known.saturating_add(value),
            Some(None) => self.unknown += 1,
            None => self.absent += 1,
        }
    }

    /// Whether every count was there and known: only then is [`CountTotal::known`] the total.
    pub fn is_complete(&self) -> bool {
        self.unknown == 0 && self.absent == 0
    }
}

impl<'a> FromIterator<Option<&'a Count>> for CountTotal {
    fn from_iter<I: IntoIterator<Item = Option<&'a Count>>>(counts: I) -> Self {
        let mut total = CountTotal::default();
        counts.into_iter().for_each(|count| total.add(count));
        total
    }
}

impl<'a> FromIterator<&'a Count> for CountTotal {
    fn from_iter<I: IntoIterator<Item = &'a Count>>(counts: I) -> Self {
        counts.into_iter().map(Some).collect()
    }
}

impl fmt::Display for CountTotal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.known)?;
        match (self.unknown, self.absent) {
            (0, 0) => Ok(()),
            (unknown, 0) => write!(f, " (+{unknown} unknown)"),
            (0, absent) => write!(f, " ({absent} absent)"),
            (unknown, absent) => write!(f, " (+{unknown} unknown, {absent} absent)"),
        }
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
