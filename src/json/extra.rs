//! The unknown fields of a wire object.

use std::collections::HashMap;
use std::fmt;
use std::ops::Index;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use thin_vec::ThinVec;

use super::field::Field;
use super::ordered::JsonText;

/// Fields of an object that this crate does not model, kept in wire order and written back
/// on serialisation.
///
/// A small ordered map: most objects carry none or a handful, so a list beats a tree for
/// both speed and memory, and keeps the order Adobe wrote them in. Keys are unique: a key
/// that came twice keeps its first place and its last value, and [`Extra::insert`]
/// replaces.
///
/// A field read from a body keeps the text it came as and is written back as that text,
/// keys in their order at every depth; it is read into a [`Value`] the first time the
/// program asks for it ([`Extra::get`], indexing, iterating). A value the program changes
/// (through [`Extra::get_mut`] or [`Extra::retain`]) is written back as the value.
///
/// ```
/// let run = &aep_flow_run::parse_runs(br#"{"id": "r", "metrics": {}, "slaCreatedAt": 1597213531124}"#)?[0];
/// assert_eq!(run.extra["slaCreatedAt"], 1597213531124u64);
/// assert_eq!(run.extra.get("missing"), None);
/// assert_eq!(run.extra.keys().collect::<Vec<_>>(), ["slaCreatedAt"]);
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
///
/// Written back, an unknown object keeps its keys in the order they came, at every depth:
///
/// ```
/// let body = br#"{"id": "r", "metrics": {}, "params": {"windowStart": "1", "deltaColumn": {"name": "DOB"}}}"#;
/// let run = &aep_flow_run::parse_runs(body)?[0];
/// assert_eq!(run.extra["params"]["deltaColumn"]["name"], "DOB");
/// assert_eq!(
///     serde_json::to_string(run)?,
///     r#"{"id":"r","params":{"windowStart":"1","deltaColumn":{"name":"DOB"}}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Extra {
    /// One pointer in the objects that hold it (every wire object has one, most of them
    /// empty), its length and room stored with the entries, in one block sized to fit them;
    /// `None` when empty, so that asking whether it is needs no look into the block.
    entries: Option<ThinVec<Field>>,
}

/// Above this many entries, the duplicate check sorts instead of comparing every pair.
const PAIRWISE_LIMIT: usize = 16;

/// Up to this many entries, the list grows one place at a time.
const EXACT_GROWTH_LIMIT: usize = 16;

impl Extra {
    /// An empty map.
    pub fn new() -> Self {
        Extra::default()
    }

    /// The entries, in order.
    fn entries(&self) -> &[Field] {
        self.entries.as_deref().unwrap_or_default()
    }

    /// Writes every field into `map`, each as it came (see the type's docs): how the objects
    /// that hold an `Extra` write their unknown fields beside their own.
    pub(crate) fn write_entries<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for field in self.entries() {
            map.serialize_entry(field.name(), field)?;
        }
        Ok(())
    }

    /// A field by its name.
    fn field(&self, key: &str) -> Option<&Field> {
        self.entries().iter().find(|field| field.name() == key)
    }

    /// The entries, to change them in place.
    fn entries_mut(&mut self) -> &mut [Field] {
        self.entries.as_deref_mut().unwrap_or_default()
    }

    /// The list, to add entries to or remove them from; call [`Extra::shrink_to_fit`] after, so
    /// that it keeps no spare room.
    fn list(&mut self) -> &mut ThinVec<Field> {
        self.entries.get_or_insert_with(ThinVec::new)
    }

    /// The list taken out, leaving the map empty.
    fn take_list(&mut self) -> ThinVec<Field> {
        self.entries.take().unwrap_or_default()
    }

    /// Gives back the room the list does not use, and frees it when it has become empty
    /// (parsing calls this once an object is read).
    pub(crate) fn shrink_to_fit(&mut self) {
        match &mut self.entries {
            Some(list) if list.is_empty() => self.entries = None,
            Some(list) if list.len() < list.capacity() => list.shrink_to_fit(),
            _ => {}
        }
    }

    /// Adds `field` at the end. A short list grows one place at a time, so it holds no spare
    /// room (a new block rather than `realloc`: see `list::grow_exact`); a long one doubles,
    /// and [`Extra::shrink_to_fit`] trims it.
    pub(crate) fn push_field(&mut self, field: Field) {
        let list = self.list();
        let len = list.len();
        if len == list.capacity() {
            let room = if len < EXACT_GROWTH_LIMIT {
                len + 1
            } else {
                len * 2
            };
            let mut grown = ThinVec::with_capacity(room);
            grown.extend(std::mem::take(list));
            *list = grown;
        }
        list.push(field);
    }

    /// Adds fields read from a body as their text, `(name, text)`, in one block sized to
    /// fit; refused as [`Extra::push_text`] refuses. A key given twice is merged by
    /// [`Extra::merge_repeated`], which the caller calls.
    pub(crate) fn extend_texts<'t>(
        &mut self,
        fields: impl ExactSizeIterator<Item = (&'t str, &'t str)>,
    ) -> Result<(), serde_json::Error> {
        let mut list = ThinVec::with_capacity(fields.len());
        for (name, text) in fields {
            list.push(Field::of_text(name, text)?);
        }
        self.extend_fields(list.into_iter());
        Ok(())
    }

    /// Adds fields at the end, in one block sized to fit (a key given twice is merged by
    /// [`Extra::merge_repeated`], which the caller calls).
    pub(crate) fn extend_fields(&mut self, fields: impl ExactSizeIterator<Item = Field>) {
        if fields.len() == 0 {
            return;
        }
        let mut list = ThinVec::with_capacity(self.len() + fields.len());
        list.extend(self.take_list());
        list.extend(fields);
        self.entries = Some(list);
    }

    /// How many fields it holds.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether it holds no field.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The value of a field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.field(key).map(Field::value)
    }

    /// The value of a field, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries_mut()
            .iter_mut()
            .find(|field| field.name() == key)
            .map(Field::value_mut)
    }

    /// Whether a field is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.field(key).is_some()
    }

    /// Sets a field, keeping its place if present (and returning the old value), or adding it
    /// at the end.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        match self
            .entries_mut()
            .iter_mut()
            .find(|field| field.name() == key)
        {
            Some(field) => Some(field.replace(value)),
            None => {
                self.push_unchecked(key, value);
                None
            }
        }
    }

    /// Removes a field, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self
            .entries()
            .iter()
            .position(|field| field.name() == key)?;
        let field = self.list().remove(index);
        self.shrink_to_fit();
        Some(field.into_parts().1)
    }

    /// The fields in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries().iter())
    }

    /// The field names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries().iter().map(Field::name)
    }

    /// Keeps only the fields for which `keep` returns `true`, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        self.list().retain_mut(|field| {
            let (name, value) = field.parts_mut();
            keep(name, value)
        });
        self.shrink_to_fit();
    }

    /// Removes the fields that are `null`, except `except` (without reading any text).
    pub(crate) fn remove_nulls_except(&mut self, except: &str) {
        self.list()
            .retain(|field| !field.is_null() || field.name() == except);
        self.shrink_to_fit();
    }

    /// Moves every field of `other` to `self`: new names at the end, names `self` already has
    /// replaced in place.
    pub fn append(&mut self, other: &mut Extra) {
        if !other.is_empty() {
            self.extend_fields(other.take_list().into_iter());
            self.merge_repeated();
        }
    }

    /// Merges fields that came twice, keeping the first place and the last value, in one
    /// pass (so adding many fields stays linear).
    #[inline]
    pub(crate) fn merge_repeated(&mut self) {
        // Called at the end of every object read, and nearly always empty: decided inline.
        if self.len() >= 2 {
            self.merge_repeated_among_several();
        }
    }

    fn merge_repeated_among_several(&mut self) {
        if self.repeated_key_among_several().is_none() {
            return;
        }
        let entries = self.take_list();
        let mut first_place: HashMap<String, usize> = HashMap::with_capacity(entries.len());
        let mut merged: ThinVec<Field> = ThinVec::with_capacity(entries.len());
        for field in entries {
            match first_place.get(field.name()) {
                Some(&place) => merged[place] = field,
                None => {
                    first_place.insert(field.name().to_owned(), merged.len());
                    merged.push(field);
                }
            }
        }
        self.entries = Some(merged);
        self.shrink_to_fit();
    }

    /// Inserts a field at `index` (at most the length), with no check for its key.
    pub(crate) fn insert_at(&mut self, index: usize, key: String, value: Value) {
        self.list().insert(index, Field::of_value(key, value));
        self.shrink_to_fit();
    }

    /// Adds a field at the end without looking for an earlier one (the reader calls
    /// [`Extra::repeated_key`] once the object is complete, which keeps parsing linear).
    pub(crate) fn push_unchecked(&mut self, key: String, value: Value) {
        self.push_field(Field::of_value(key, value));
    }

    /// Adds a field read from a body as its text, like [`Extra::push_unchecked`]; refused
    /// when the text holds a number out of `f64`'s range (see [`Field::of_text`]).
    pub(crate) fn push_text(&mut self, key: &str, text: &str) -> Result<(), serde_json::Error> {
        self.push_field(Field::of_text(key, text)?);
        Ok(())
    }

    /// Sets a field to what `value` writes, kept as that text (see [`Extra::insert`]).
    pub(crate) fn insert_written(
        &mut self,
        key: &str,
        value: &impl Serialize,
    ) -> Result<(), serde_json::Error> {
        let field = Field::of_text(key, &serde_json::to_string(value)?)?;
        match self
            .entries_mut()
            .iter_mut()
            .find(|place| place.name() == key)
        {
            Some(place) => *place = field,
            None => self.push_field(field),
        }
        Ok(())
    }

    /// The members of an object's text, each kept as its text, in order (a key given twice
    /// keeps its first place and its last value).
    pub(crate) fn of_object_text(text: &str) -> Result<Extra, serde_json::Error> {
        let members = super::object_members(text)?;
        let mut extra = Extra::new();
        extra.extend_texts(members.iter().map(|(key, raw)| (key.as_str(), raw.get())))?;
        extra.merge_repeated();
        Ok(extra)
    }

    /// A key that stands more than once, if any.
    #[inline]
    pub(crate) fn repeated_key(&self) -> Option<&str> {
        // Checked at the end of every object read, and nearly always empty: decided inline.
        if self.len() < 2 {
            return None;
        }
        self.repeated_key_among_several()
    }

    fn repeated_key_among_several(&self) -> Option<&str> {
        let entries = self.entries();
        if entries.len() <= PAIRWISE_LIMIT {
            return entries.iter().enumerate().find_map(|(i, field)| {
                let key = field.name();
                entries[..i]
                    .iter()
                    .any(|earlier| earlier.name() == key)
                    .then_some(key)
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
                .entries()
                .iter()
                .all(|field| other.field(field.name()) == Some(field));
        }
        fn sorted(extra: &Extra) -> Vec<(&str, &Field)> {
            let mut entries: Vec<_> = extra.entries().iter().map(|f| (f.name(), f)).collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
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
        self.list().extend(
            iter.into_iter()
                .map(|(key, value)| Field::of_value(key, value)),
        );
        self.merge_repeated();
        self.shrink_to_fit();
        self.shrink_to_fit();
    }
}

impl IntoIterator for Extra {
    type Item = (String, Value);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.entries.unwrap_or_default().into_iter())
    }
}

/// The fields of an [`Extra`], taken out in order.
#[derive(Debug)]
pub struct IntoIter(thin_vec::IntoIter<Field>);

impl Iterator for IntoIter {
    type Item = (String, Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(Field::into_parts)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<'a> IntoIterator for &'a Extra {
    type Item = (&'a str, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The fields of an [`Extra`], in order.
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, Field>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|field| (field.name(), field.value()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl From<serde_json::Map<String, Value>> for Extra {
    fn from(map: serde_json::Map<String, Value>) -> Self {
        let mut extra = Extra::new();
        extra.extend_fields(
            map.into_iter()
                .map(|(key, value)| Field::of_value(key, value)),
        );
        extra
    }
}

impl From<Extra> for serde_json::Map<String, Value> {
    fn from(extra: Extra) -> Self {
        extra.into_iter().collect()
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        self.write_entries(&mut map)?;
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
                while let Some((key, JsonText(text))) = map.next_entry::<String, JsonText>()? {
                    extra
                        .push_text(&key, &text)
                        .map_err(serde::de::Error::custom)?;
                }
                // A key given twice keeps its first place and its last value, as in every
                // object the crate reads.
                extra.merge_repeated();
                extra.shrink_to_fit();
                Ok(extra)
            }
        }

        deserializer.deserialize_map(ExtraVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// No list when empty, and no spare room in the list otherwise.
    fn sized_to_fit(extra: &Extra) -> bool {
        match &extra.entries {
            None => true,
            Some(list) => !list.is_empty() && list.len() == list.capacity(),
        }
    }

    fn object(fields: usize) -> String {
        let fields: Vec<String> = (0..fields).map(|n| format!(r#""k{n}": {n}"#)).collect();
        format!("{{{}}}", fields.join(", "))
    }

    #[test]
    fn one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Extra>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn parsed_maps_hold_no_spare_room() {
        for fields in [0, 1, 2, 3, 4, 5, 15, 16, 17, 40] {
            let extra: Extra = serde_json::from_str(&object(fields)).unwrap();
            assert_eq!(extra.len(), fields);
            assert!(sized_to_fit(&extra), "{fields} fields");
        }
    }

    #[test]
    fn small_maps_hold_no_spare_room_as_they_change() {
        let mut extra = Extra::new();
        for n in 0..PAIRWISE_LIMIT {
            extra.insert(format!("k{n}"), json!(n));
            assert!(sized_to_fit(&extra), "after inserting k{n}");
        }
        extra.insert("k0", json!("again"));
        assert!(sized_to_fit(&extra));
        assert_eq!(extra.remove("k3"), Some(json!(3)));
        assert!(sized_to_fit(&extra));
        extra.retain(|key, _| key != "k4" && key != "k5");
        assert!(sized_to_fit(&extra));
        assert_eq!(extra.len(), PAIRWISE_LIMIT - 3);
        extra.extend([("k1".to_owned(), json!(1)), ("new".to_owned(), json!(0))]);
        assert!(sized_to_fit(&extra));
        assert_eq!(extra.keys().last(), Some("new"));
        extra.retain(|_, _| false);
        assert!(extra.entries.is_none());
        extra.insert("only", json!(1));
        assert_eq!(extra.remove("only"), Some(json!(1)));
        assert!(extra.entries.is_none());
        extra.extend(std::iter::empty());
        assert!(extra.entries.is_none());
        let mut other: Extra = serde_json::from_str(&object(3)).unwrap();
        extra.append(&mut other);
        assert!(other.is_empty() && other.entries.is_none());
        assert_eq!(extra.len(), 3);
        assert!(sized_to_fit(&extra));
    }
}
