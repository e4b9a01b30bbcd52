//! A JSON value that keeps its objects' keys in the order they came, read from any
//! deserializer: how a kept text is written back, and how a value from another deserializer
//! becomes text, without serde_json's `preserve_order`.

use std::collections::HashMap;
use std::fmt;

use serde::de::value::{I128Deserializer, U128Deserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Number;

/// A JSON value, objects as lists of members in order. A key given twice keeps its first
/// place and its last value, the rule of every object the crate reads (and what `get` on the
/// `Value` of the same text gives).
pub(crate) enum Ordered {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// The JSON text of whatever `deserializer` gives, keys in its order (a repeated key
    /// merged).
    pub(crate) fn text_of<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        let value = Ordered::deserialize(deserializer)?;
        serde_json::to_string(&value).map_err(de::Error::custom)
    }

    /// The same, a repeated key kept as it came: the text of an element, which is kept as it
    /// came (another event is written back byte for byte).
    pub(crate) fn text_as_given<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<String, D::Error> {
        let value = OrderedSeed { merge: false }.deserialize(deserializer)?;
        serde_json::to_string(&value).map_err(de::Error::custom)
    }
}

/// A value of any deserializer, as JSON text with its keys in order (see [`Ordered`]).
pub(crate) struct JsonText(pub(crate) String);

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ordered::text_of(deserializer).map(JsonText)
    }
}

/// Keeps the first place and the last value of each key.
fn merge_repeated(members: Vec<(String, Ordered)>) -> Vec<(String, Ordered)> {
    let repeated = if members.len() <= 16 {
        (1..members.len()).any(|i| members[..i].iter().any(|(key, _)| *key == members[i].0))
    } else {
        let mut keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|pair| pair[0] == pair[1])
    };
    if !repeated {
        return members;
    }
    let mut first_place: HashMap<String, usize> = HashMap::with_capacity(members.len());
    let mut merged: Vec<(String, Ordered)> = Vec::with_capacity(members.len());
    for (key, value) in members {
        match first_place.get(&key) {
            Some(&place) => merged[place].1 = value,
            None => {
                first_place.insert(key.clone(), merged.len());
                merged.push((key, value));
            }
        }
    }
    merged
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        OrderedSeed { merge: true }.deserialize(deserializer)
    }
}

/// Reads an [`Ordered`], merging repeated keys or not, at every depth.
#[derive(Clone, Copy)]
struct OrderedSeed {
    merge: bool,
}

impl<'de> DeserializeSeed<'de> for OrderedSeed {
    type Value = Ordered;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Ordered, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OrderedSeed {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Ordered, E> {
        Number::deserialize(I128Deserializer::new(v)).map(Ordered::Number)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Ordered, E> {
        Number::deserialize(U128Deserializer::new(v)).map(Ordered::Number)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ordered, E> {
        // As `Value` reads it: a number JSON cannot write is null.
        Ok(Number::from_f64(v).map_or(Ordered::Null, Ordered::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Ordered, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(element) = seq.next_element_seed(self)? {
            elements.push(element);
        }
        Ok(Ordered::Array(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value_seed(self)?));
        }
        Ok(Ordered::Object(match self.merge {
            true => merge_repeated(members),
            false => members,
        }))
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Null => serializer.serialize_unit(),
            Ordered::Bool(v) => serializer.serialize_bool(*v),
            Ordered::Number(v) => v.serialize(serializer),
            Ordered::String(v) => serializer.serialize_str(v),
            Ordered::Array(v) => v.serialize(serializer),
            Ordered::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> String {
        Ordered::text_of(&mut serde_json::Deserializer::from_str(text)).unwrap()
    }

    #[test]
    fn keys_keep_their_order_and_a_repeated_key_its_first_place_and_last_value() {
        assert_eq!(
            rewritten(r#"{"b": 1, "a": [{"z": 0, "y": -0.0}], "b": 3}"#),
            r#"{"b":3,"a":[{"z":0,"y":-0.0}]}"#
        );
        let many: Vec<String> = (0..20).map(|n| format!(r#""k{}": {n}"#, n % 19)).collect();
        let text = rewritten(&format!("{{{}}}", many.join(",")));
        assert!(text.starts_with(r#"{"k0":19,"k1":1,"#), "{text}");
    }

    #[test]
    fn as_given_a_repeated_key_stays() {
        let text = r#"{"a": {"x": 1, "x": 2}, "a": 3}"#;
        let given = Ordered::text_as_given(&mut serde_json::Deserializer::from_str(text));
        assert_eq!(given.unwrap(), r#"{"a":{"x":1,"x":2},"a":3}"#);
    }

    #[test]
    fn wide_integers_are_numbers() {
        use serde::de::value::{Error, MapDeserializer};
        let map = MapDeserializer::<_, Error>::new(vec![("a", u128::from(u64::MAX))].into_iter());
        assert_eq!(
            Ordered::text_of(map).unwrap(),
            format!(r#"{{"a":{}}}"#, u64::MAX)
        );
        let map = MapDeserializer::<_, Error>::new(vec![("a", -5i128)].into_iter());
        assert_eq!(Ordered::text_of(map).unwrap(), r#"{"a":-5}"#);
    }
}
