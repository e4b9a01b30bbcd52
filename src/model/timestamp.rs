//! Points in time, as Adobe writes them.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::{parse_integer, Direct, Reader, Rejected, WireInt};

/// A point in time from a payload, keeping the value as it came.
///
/// Adobe documents epoch milliseconds, but its own examples also carry 10-digit epoch
/// seconds (`1590512053`), placeholders such as `0`, and RFC 3339 strings (in alerts).
/// [`Timestamp::to_utc`] reads them all; serialisation writes back the original value.
///
/// ```
/// use aep_flow_run::Timestamp;
///
/// let millis: Timestamp = serde_json::from_str("1597213529158").unwrap();
/// let seconds: Timestamp = serde_json::from_str("1590512053").unwrap();
/// let text: Timestamp = serde_json::from_str("\"2023-09-01T00:46:54.661Z\"").unwrap();
/// let zero: Timestamp = serde_json::from_str("0").unwrap();
/// assert_eq!(millis.to_utc().unwrap().to_rfc3339(), "2020-08-12T06:25:29.158+00:00");
/// assert_eq!(seconds.to_utc().unwrap().to_rfc3339(), "2020-05-26T16:54:13+00:00");
/// assert_eq!(text.to_utc().unwrap().timestamp_millis(), 1693529214661);
/// assert_eq!(zero.to_utc(), None);
/// assert_eq!(serde_json::to_string(&seconds).unwrap(), "1590512053");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(WireInt);

/// Epoch values below this many are read as seconds, others as milliseconds.
const SECONDS_BELOW: i128 = 100_000_000_000;
/// 2001-01-01T00:00:00Z: anything earlier is a placeholder or a misread unit.
const EARLIEST_MILLIS: i64 = 978_307_200_000;
/// 2100-01-01T00:00:00Z: anything later is a misread unit.
const LATEST_MILLIS: i64 = 4_102_444_800_000;

impl Timestamp {
    /// A timestamp in epoch milliseconds, the unit Adobe documents.
    pub fn from_millis(millis: i64) -> Self {
        Timestamp(WireInt::Int(millis))
    }

    /// The instant, or `None` when the value is no plausible time.
    ///
    /// Numbers (and strings of digits) below 10^11 are epoch seconds, larger ones epoch
    /// milliseconds; the result must fall between 2001 and 2100, so `0`, negative values and
    /// misread units (Adobe's example `updatedAtUTC: 87473822`) give `None`. Other strings are
    /// read as RFC 3339, within the same window.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        if let Some(value) = self.0.value() {
            let millis = if value < SECONDS_BELOW {
                value.checked_mul(1000)?
            } else {
                value
            };
            let millis = i64::try_from(millis).ok()?;
            if !(EARLIEST_MILLIS..LATEST_MILLIS).contains(&millis) {
                return None;
            }
            return DateTime::from_timestamp_millis(millis);
        }
        let WireInt::Text(text) = &self.0 else {
            return None;
        };
        let time = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
        (EARLIEST_MILLIS..LATEST_MILLIS)
            .contains(&time.timestamp_millis())
            .then_some(time)
    }

    /// The instant in epoch milliseconds, when [`to_utc`](Self::to_utc) gives one.
    pub fn to_millis(&self) -> Option<i64> {
        self.to_utc().map(|time| time.timestamp_millis())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Epoch milliseconds, the unit Adobe documents.
    fn from(time: DateTime<Utc>) -> Self {
        Timestamp::from_millis(time.timestamp_millis())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug_as("Timestamp", f)
    }
}

/// The wire value, as it came.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Timestamp {
    /// The strings a timestamp accepts in place of a number.
    fn accepts_text(text: &str) -> bool {
        parse_integer(text).is_some() || DateTime::parse_from_rfc3339(text).is_ok()
    }

    const EXPECTING: &'static str =
        "an epoch time (number or string of digits) or an RFC 3339 date-time";
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WireInt::deserialize(deserializer, Timestamp::accepts_text, Timestamp::EXPECTING)
            .map(Timestamp)
    }
}

impl Direct<'_> for Timestamp {
    #[inline(always)]
    fn read_direct(reader: &mut Reader<'_>) -> Result<Self, Rejected> {
        WireInt::read_direct(reader, Timestamp::accepts_text, Timestamp::EXPECTING).map(Timestamp)
    }
}
