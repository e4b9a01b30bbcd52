//! The unknown fields of a wire object.

use std::collections::HashMap;
use std::fmt;
use std::ops::Index;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Fields of an object that this crate does not model, kept in wire order and written back
/// on serialisation.
///
/// A small ordered map: most objects carry none or a handful, so a list beats a tree for
/// both speed and memory, and keeps the order Adobe wrote them in. Keys are unique: a body
/// that repeats one is refused when parsed, and [`Extra::insert`] replaces.
///
/// ```
/// let run = &aep_flow_run::parse_runs(br#"{"id": "r", "metrics": {}, "slaCreatedAt": 1597213531124}"#)?[0];
/// assert_eq!(run.extra["slaCreatedAt"], 1597213531124u64);
/// assert_eq!(run.extra.get("missing"), None);
/// assert_eq!(run.extra.keys().collect::<Vec<_>>(), ["slaCreatedAt"]);
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Extra {
    entries: Vec<(String, Value)>,
}

/// Above this many entries, the duplicate check sorts instead of comparing every pair.
const PAIRWISE_LIMIT: usize = 16;

impl Extra {
    /// An empty map.
    pub fn new() -> Self {
        Extra::default()
    }

    /// How many fields it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds no field.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of a field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// The value of a field, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// Whether a field is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets a field, keeping its place if present (and returning the old value), or adding it
    /// at the end.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Removes a field, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.entries.iter().position(|(name, _)| name == key)?;
        Some(self.entries.remove(index).1)
    }

    /// The fields in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// The field names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|(key, _)| key.as_str())
    }

    /// Keeps only the fields for which `keep` returns `true`, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        self.entries.retain_mut(|(key, value)| keep(key, value));
    }

    /// Moves every field of `other` to `self`: new names at the end, names `self` already has
    /// replaced in place.
    pub fn append(&mut self, other: &mut Extra) {
        self.extend(other.entries.drain(..));
    }

    /// Merges fields that came twice, keeping the first place and the last value, in one
    /// pass (so adding many fields stays linear).
    fn merge_repeated(&mut self) {
        if self.repeated_key().is_none() {
            return;
        }
        let mut first_place: HashMap<String, usize> = HashMap::with_capacity(self.len());
        let mut merged: Vec<(String, Value)> = Vec::with_capacity(self.len());
        for (key, value) in self.entries.drain(..) {
            match first_place.get(&key) {
                Some(&place) => merged[place].1 = value,
                None => {
                    first_place.insert(key.clone(), merged.len());
                    merged.push((key, value));
                }
            }
        }
        self.entries = merged;
    }

    /// Adds a field read from the wire without looking for an earlier one; the reader calls
    /// [`Extra::repeated_key`] once the object is complete, which keeps parsing linear.
    pub(crate) fn push_unchecked(&mut self, key: String, value: Value) {
        self.entries.push((key, value));
    }

    /// A key that stands more than once, if any.
    pub(crate) fn repeated_key(&self) -> Option<&str> {
        let entries = &self.entries;
        if entries.len() < 2 {
            return None;
        }
        if entries.len() <= PAIRWISE_LIMIT {
            return entries.iter().enumerate().find_map(|(i, (key, _))| {
                entries[..i]
                    .iter()
                    .any(|(earlier, _)| earlier == key)
                    .then_some(key.as_str())
            });
        }
        let mut keys: Vec<&str> = self.keys().collect();
        keys.sort_unstable();
        keys.windows(2)
            .find(|pair| pair[0] == pair[1])
            .map(|pair| pair[0])
    }
}

impl Index<&str> for Extra {
    type Output = Value;

    /// The value of a field, or `Value::Null` when absent (as `serde_json::Value` indexes).
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

/// Equal when both hold the same fields with equal values, in any order.
impl PartialEq for Extra {
    fn eq(&self, other: &Extra) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if self.len() <= PAIRWISE_LIMIT {
            return self
                .entries
                .iter()
                .all(|(key, value)| other.get(key) == Some(value));
        }
        fn sorted(extra: &Extra) -> Vec<&(String, Value)> {
            let mut entries: Vec<_> = extra.entries.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            entries
        }
        sorted(self) == sorted(other)
    }
}

impl Eq for Extra {}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, Value)> for Extra {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut extra = Extra::new();
        extra.extend(iter);
        extra
    }
}

/// Adds the fields in order; a name already present keeps its place and takes the new value.
impl Extend<(String, Value)> for Extra {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        self.entries.extend(iter);
        self.merge_repeated();
    }
}

impl IntoIterator for Extra {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Extra {
    type Item = (&'a str, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        Iter(self.entries.iter())
    }
}

/// The fields of an [`Extra`], in order.
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(key, value)| (key.as_str(), value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl From<serde_json::Map<String, Value>> for Extra {
    fn from(map: serde_json::Map<String, Value>) -> Self {
        Extra {
            entries: map.into_iter().collect(),
        }
    }
}

impl From<Extra> for serde_json::Map<String, Value> {
    fn from(extra: Extra) -> Self {
        extra.entries.into_iter().collect()
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExtraVisitor;

        impl<'de> Visitor<'de> for ExtraVisitor {
            type Value = Extra;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Extra, A::Error> {
                let mut extra = Extra::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    extra.push_unchecked(key, value);
                }
                match extra.repeated_key() {
                    Some(key) => Err(crate::wire::duplicate(key)),
                    None => Ok(extra),
                }
            }
        }

        deserializer.deserialize_map(ExtraVisitor)
    }
}
