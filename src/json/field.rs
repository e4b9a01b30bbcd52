//! One unknown field: its name, and its value kept as the text it came as, read into a
//! `Value` when asked.

use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::ordered::Ordered;

/// One unknown field: its name, and its value.
///
/// A field read from a body keeps its value's text: written back, it gives the same keys in
/// the order they came at every depth, without serde_json's `preserve_order` (which would make
/// every `Value` in the user's build an ordered map). The text is read into a `Value` only
/// when the program asks for one, which most never do. Name and text share one block.
#[derive(Clone)]
pub(crate) struct Field {
    /// The name, then the value's text when the value came as text (a JSON value's text is
    /// never empty).
    text: Box<str>,
    name_len: usize,
    /// The value, read from the text when first asked for (always set when there is no
    /// text).
    value: OnceLock<Value>,
    /// Whether the value was lent out to be changed: the text then stands for it only
    /// while it still reads as the same value.
    lent: bool,
}

impl Field {
    /// A field the program set.
    pub(crate) fn of_value(name: String, value: Value) -> Field {
        Field {
            name_len: name.len(),
            text: name.into_boxed_str(),
            value: OnceLock::from(value),
            lent: false,
        }
    }

    /// A field read from a body, with its value's text (one JSON value, already checked for
    /// syntax and depth by the reader that gives it). A number that serde_json cannot hold as
    /// a `Value` (beyond `f64`'s range) is refused here, so that asking for the value later
    /// cannot fail: the text is then read at once.
    pub(crate) fn of_text(name: &str, text: &str) -> Result<Field, serde_json::Error> {
        let mut joined = String::with_capacity(name.len() + text.len());
        joined.push_str(name);
        joined.push_str(text);
        let field = Field {
            text: joined.into_boxed_str(),
            name_len: name.len(),
            value: OnceLock::new(),
            lent: false,
        };
        if must_read_now(text) {
            let value = serde_json::from_str(text)?;
            let _ = field.value.set(value);
        }
        Ok(field)
    }

    /// The field's name.
    pub(crate) fn name(&self) -> &str {
        self.text.get(..self.name_len).unwrap_or_default()
    }

    /// The value's text as it came, if it came as text.
    fn value_text(&self) -> Option<&str> {
        self.text
            .get(self.name_len..)
            .filter(|text| !text.is_empty())
    }

    /// The value.
    pub(crate) fn value(&self) -> &Value {
        self.value.get_or_init(|| match self.value_text() {
            // Checked when kept (`of_text`): only a number out of range fails, and it was
            // read then.
            Some(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            None => Value::Null,
        })
    }

    /// The value, to change it.
    pub(crate) fn value_mut(&mut self) -> &mut Value {
        self.value();
        self.lent = true;
        self.value.get_mut().expect("set by `value` just above")
    }

    /// The name, and the value to change it.
    pub(crate) fn parts_mut(&mut self) -> (&str, &mut Value) {
        self.value_mut();
        let name = self.text.get(..self.name_len).unwrap_or_default();
        (
            name,
            self.value.get_mut().expect("set by `value_mut` just above"),
        )
    }

    /// Gives the field a new value, returning the old one.
    pub(crate) fn replace(&mut self, value: Value) -> Value {
        let old = std::mem::replace(&mut self.value, OnceLock::from(value));
        let old = old.into_inner().or_else(|| {
            self.value_text()
                .map(|text| serde_json::from_str(text).unwrap_or(Value::Null))
        });
        self.text = self.name().into();
        self.lent = false;
        old.unwrap_or_default()
    }

    /// The name and the value, taken out.
    pub(crate) fn into_parts(self) -> (String, Value) {
        self.value();
        let name = self.name().to_owned();
        (name, self.value.into_inner().unwrap_or_default())
    }

    /// Whether the value is `null`, without reading the text into a value.
    pub(crate) fn is_null(&self) -> bool {
        match (self.value_text(), self.lent) {
            (Some(text), false) => text == "null",
            _ => self.value().is_null(),
        }
    }

    /// The text that stands for the value when written back, if any.
    fn written_text(&self) -> Option<&str> {
        let text = self.value_text()?;
        if self.lent {
            // Compared as written: `-0.0 == 0.0` for `Value`, not on the wire.
            let came = serde_json::from_str::<Value>(text).and_then(|v| serde_json::to_string(&v));
            if came.ok() != serde_json::to_string(self.value()).ok() {
                return None;
            }
        }
        Some(text)
    }
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

/// Equal values (the names are the map's to compare).
impl PartialEq for Field {
    fn eq(&self, other: &Field) -> bool {
        match (self.written_text(), other.written_text()) {
            (Some(mine), Some(theirs)) if mine == theirs => true,
            _ => self.value() == other.value(),
        }
    }
}

/// The value: its text read again (keys in their order, a repeated one merged) and handed
/// to `serializer`, in the serializer's own layout; or the value set.
impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.written_text() {
            Some(text) => serde_json::from_str::<Ordered>(text)
                .map_err(serde::ser::Error::custom)?
                .serialize(serializer),
            None => self.value().serialize(serializer),
        }
    }
}

/// Whether a value's text must be read when kept, for it may not read as a `Value`: a
/// number beyond `f64`'s range (one with an exponent, or more digits than `f64::MAX` has),
/// or a `\u` escape (a lone surrogate, `"\ud800"`, passes the reader's skip as it passes
/// serde_json's, but no string holds it). One pass over the text, strings stepped over but
/// for their escapes (ids such as `"96e7..."` are no numbers).
fn must_read_now(text: &str) -> bool {
    let (mut digits, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                b'u' if escaped => return true,
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 300 {
                    return true;
                }
            }
            b'e' | b'E' if digits > 0 => return true,
            b'.' if digits > 0 => {}
            b'"' => (digits, in_string) = (0, true),
            _ => digits = 0,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_writes_back_as_it_came() {
        let field = Field::of_text("k", r#"{"b": 1, "a": [2, {"z": 0, "y": 1}]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&field).unwrap(),
            r#"{"b":1,"a":[2,{"z":0,"y":1}]}"#
        );
        assert_eq!(field.value()["a"][1]["y"], 1);
        assert_eq!(field.name(), "k");
    }

    #[test]
    fn a_replaced_value_gives_back_the_one_read() {
        let mut field = Field::of_text("k", "[1]").unwrap();
        assert_eq!(field.replace(Value::from(2)), serde_json::json!([1]));
        assert_eq!(
            (
                field.name(),
                serde_json::to_string(&field).unwrap().as_str()
            ),
            ("k", "2")
        );
        assert_eq!(field.into_parts(), ("k".to_owned(), Value::from(2)));
    }

    #[test]
    fn a_changed_value_writes_back_as_changed() {
        let mut field = Field::of_text("k", r#"{"b": 1, "a": 2}"#).unwrap();
        let _ = field.value_mut();
        assert_eq!(serde_json::to_string(&field).unwrap(), r#"{"b":1,"a":2}"#);
        field.value_mut()["a"] = Value::from(3);
        assert_eq!(serde_json::to_string(&field).unwrap(), r#"{"a":3,"b":1}"#);
    }

    #[test]
    fn numbers_beyond_f64_are_refused_when_kept() {
        for text in ["1e400", "[1E+999]", &"9".repeat(400)] {
            assert!(Field::of_text("k", text).is_err(), "{text}");
        }
        assert!(!must_read_now(
            r#"{"id": "96e7-1e400", "n": [1, 2.5], "a\"1e9": "\\"}"#
        ));
        assert!(must_read_now(r#"{"id": "x\\", "n": 2.5E3}"#));
        assert!(must_read_now(r#"["\ud800"]"#));
        assert!(!must_read_now(r#"["\\ud800", "\n"]"#));
        for (text, written) in [
            ("1e10", "10000000000.0"),
            (r#""1e400""#, r#""1e400""#),
            ("12345678901234567890", "12345678901234567890"),
            ("-0.5e-400", "-0.0"),
        ] {
            let field = Field::of_text("k", text).unwrap();
            assert_eq!(serde_json::to_string(&field).unwrap(), written, "{text}");
            assert_eq!(
                serde_json::to_string(field.value()).unwrap(),
                written,
                "{text}"
            );
        }
    }

    #[test]
    fn null_is_seen_without_reading() {
        assert!(Field::of_text("k", "null").unwrap().is_null());
        assert!(!Field::of_text("k", "0").unwrap().is_null());
        assert!(Field::of_value("k".into(), Value::Null).is_null());
    }
}
