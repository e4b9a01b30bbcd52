//! A part of a wire object that most payloads leave out, held behind a pointer only when it
//! came.

use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fields::{Absent, Fill};
use super::reader::{Reader, Rejected};

/// A summary or detail that most runs do not carry (a run's `latencySummary`, an activity's
/// `fileSummary`, ...): it costs one pointer in the object that holds it, and a heap block only
/// when it came with something in it.
///
/// It reads as the value it holds, or as an empty one when it holds none, so fields are
/// reached through it as through the value itself; writing through it makes room for one.
///
/// ```
/// let run = &aep_flow_run::parse_runs(br#"{"id": "r", "metrics": {"sizeSummary": {"inputBytes": 7}}}"#)?[0];
/// assert_eq!(run.input_bytes(), Some(7));
/// assert_eq!(run.metrics.size_summary.input_bytes.as_ref().and_then(|c| c.get()), Some(7));
/// assert_eq!(run.metrics.latency_summary.min_ms, None); // not sent: reads as empty
/// assert!(run.metrics.latency_summary.given().is_none());
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
#[derive(Clone)]
pub struct Rare<T>(Option<Box<T>>);

/// The types a [`Rare`] holds: wire objects, whose empty value is shared.
pub trait Empty: Default + 'static {
    /// The empty value, read through a [`Rare`] that holds none.
    fn empty() -> &'static Self;
}

impl<T> Rare<T> {
    /// The value, when one came (an empty object reads as none).
    pub fn given(&self) -> Option<&T> {
        self.0.as_deref()
    }
}

impl<T> Default for Rare<T> {
    fn default() -> Self {
        Rare(None)
    }
}

impl<T> From<T> for Rare<T> {
    fn from(value: T) -> Self {
        Rare(Some(Box::new(value)))
    }
}

impl<T: Empty> Deref for Rare<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self.0.as_deref() {
            Some(value) => value,
            None => T::empty(),
        }
    }
}

impl<T: Empty> DerefMut for Rare<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T: Empty + fmt::Debug> fmt::Debug for Rare<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// Equal when the values read equal: none and an empty value are one.
impl<T: Empty + PartialEq> PartialEq for Rare<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Empty + Eq> Eq for Rare<T> {}

impl<T: Empty + Serialize> Serialize for Rare<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Rare<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Rare::from)
    }
}

impl<T: Absent> Absent for Rare<T> {
    fn is_absent(&self) -> bool {
        self.0.as_deref().is_none_or(Absent::is_absent)
    }
}

impl<'de, T: Fill<'de> + Absent + Default> Fill<'de> for Rare<T> {
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        fill_boxed(&mut place.0, |inner| T::fill(inner, deserializer))
    }

    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        fill_boxed(&mut place.0, |inner| T::fill_direct(inner, reader))
    }
}

/// Fills the value in place, or on the stack and then boxed when it holds something.
fn fill_boxed<T: Absent + Default, E>(
    place: &mut Option<Box<T>>,
    fill: impl FnOnce(&mut T) -> Result<bool, E>,
) -> Result<bool, E> {
    if let Some(inner) = place {
        return fill(inner);
    }
    let mut inner = T::default();
    let present = fill(&mut inner)?;
    if !inner.is_absent() {
        *place = Some(Box::new(inner));
    }
    Ok(present)
}
