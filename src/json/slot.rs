//! The value of an unknown field: kept as the text it came as, read into a `Value` when asked.

use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::Value;

/// One unknown field's value.
///
/// A field read from a body keeps its text: written back, it gives the same keys in the
/// order they came at every depth, without serde_json's `preserve_order` (which would make
/// every `Value` in the user's build an ordered map). The text is read into a `Value`
/// only when the program asks for one, which most never do.
#[derive(Clone, Default)]
pub(crate) struct Slot {
    /// The text the value came as; `None` for a value the program set.
    text: Option<Box<str>>,
    /// The value, read from `text` when first asked for (always set when `text` is `None`).
    value: OnceLock<Value>,
    /// Whether the value was lent out to be changed: the text then stands for it only
    /// while it still reads as the same value.
    lent: bool,
}

impl Slot {
    /// A value set by the program.
    pub(crate) fn of_value(value: Value) -> Slot {
        Slot {
            text: None,
            value: OnceLock::from(value),
            lent: false,
        }
    }

    /// The value of a field read from a body, as its text (one JSON value, already checked
    /// for syntax and depth by the reader that gives it). A number that serde_json cannot
    /// hold as a `Value` (beyond `f64`'s range) is refused here, so that asking for the value
    /// later cannot fail: the text is then read at once.
    pub(crate) fn of_text(text: &str) -> Result<Slot, serde_json::Error> {
        let slot = Slot {
            text: Some(text.into()),
            value: OnceLock::new(),
            lent: false,
        };
        if may_overflow(text) {
            let value = serde_json::from_str(text)?;
            let _ = slot.value.set(value);
        }
        Ok(slot)
    }

    /// The value.
    pub(crate) fn value(&self) -> &Value {
        self.value.get_or_init(|| match &self.text {
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

    /// The value, taken out.
    pub(crate) fn into_value(mut self) -> Value {
        self.value();
        self.value.take().unwrap_or_default()
    }

    /// Whether the value is `null`, without reading the text into a value.
    pub(crate) fn is_null(&self) -> bool {
        match (&self.text, self.lent) {
            (Some(text), false) => &**text == "null",
            _ => self.value().is_null(),
        }
    }

    /// The text that stands for the value when written back, if any.
    fn text(&self) -> Option<&str> {
        let text = self.text.as_deref()?;
        if self.lent && serde_json::from_str::<Value>(text).ok().as_ref() != Some(self.value()) {
            return None;
        }
        Some(text)
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

impl PartialEq for Slot {
    fn eq(&self, other: &Slot) -> bool {
        match (self.text(), other.text()) {
            (Some(mine), Some(theirs)) if mine == theirs => true,
            _ => self.value() == other.value(),
        }
    }
}

impl Serialize for Slot {
    /// The text read again and handed to `serializer` as it goes (keys in their order, in
    /// the serializer's own layout), or the value.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.text() {
            Some(text) => serde_transcode::transcode(
                &mut serde_json::Deserializer::from_str(text),
                serializer,
            ),
            None => self.value().serialize(serializer),
        }
    }
}

/// Whether a value's text may hold a number beyond `f64`'s range: one with an exponent, or
/// with more digits than `f64::MAX` has. Strings are stepped over (ids such as
/// `"96e7..."` are no numbers).
fn may_overflow(text: &str) -> bool {
    let (mut digits, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
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
        let slot = Slot::of_text(r#"{"b": 1, "a": [2, {"z": 0, "y": 1}]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&slot).unwrap(),
            r#"{"b":1,"a":[2,{"z":0,"y":1}]}"#
        );
        assert_eq!(slot.value()["a"][1]["y"], 1);
    }

    #[test]
    fn a_changed_value_writes_back_as_changed() {
        let mut slot = Slot::of_text(r#"{"b": 1, "a": 2}"#).unwrap();
        let _ = slot.value_mut();
        assert_eq!(serde_json::to_string(&slot).unwrap(), r#"{"b":1,"a":2}"#);
        slot.value_mut()["a"] = Value::from(3);
        assert_eq!(serde_json::to_string(&slot).unwrap(), r#"{"a":3,"b":1}"#);
    }

    #[test]
    fn numbers_beyond_f64_are_refused_when_kept() {
        for text in ["1e400", "[1E+999]", &"9".repeat(400)] {
            assert!(Slot::of_text(text).is_err(), "{text}");
        }
        assert!(!may_overflow(
            r#"{"id": "96e7-1e400", "n": [1, 2.5], "a\"1e9": "\\"}"#
        ));
        assert!(may_overflow(r#"{"id": "x\\", "n": 2.5E3}"#));
        for (text, written) in [
            ("1e10", "10000000000.0"),
            (r#""1e400""#, r#""1e400""#),
            ("12345678901234567890", "12345678901234567890"),
            ("-0.5e-400", "-0.0"),
        ] {
            let slot = Slot::of_text(text).unwrap();
            assert_eq!(serde_json::to_string(&slot).unwrap(), written, "{text}");
            assert_eq!(
                serde_json::to_string(slot.value()).unwrap(),
                written,
                "{text}"
            );
        }
    }

    #[test]
    fn null_is_seen_without_reading() {
        assert!(Slot::of_text("null").unwrap().is_null());
        assert!(!Slot::of_text("0").unwrap().is_null());
        assert!(Slot::of_value(Value::Null).is_null());
    }
}
