//! A JSON value that keeps its objects' keys in the order they came, read from any
//! deserializer: how a kept text is written back, and how a value from another deserializer
//! becomes text, without serde_json's `preserve_order`.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
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
    /// The JSON text of whatever `deserializer` gives, keys in its order.
    pub(crate) fn text_of<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        let value = Ordered::deserialize(deserializer)?;
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
        deserializer.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
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
        Ordered::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(element) = seq.next_element()? {
            elements.push(element);
        }
        Ok(Ordered::Array(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some((key, value)) = map.next_entry::<String, Ordered>()? {
            members.push((key, value));
        }
        Ok(Ordered::Object(merge_repeated(members)))
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
}
