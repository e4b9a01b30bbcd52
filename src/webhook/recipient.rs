//! Reading the recipient client ids of a body, and nothing else.
//!
//! Verification must not pay for a full parse (nor depend on one): this reader visits the
//! raw bytes once, looks at the `recipient_client_id` and `recipientclientid` keys of the
//! top-level object (or of each element of a batch array), and skips every other value with
//! `IgnoredAny`. Keys are decoded like the main parser decodes them, so both read the same
//! fields.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use subtle::ConstantTimeEq;

use super::WebhookError;
use crate::json::Key;

const RECIPIENT_KEYS: [&str; 2] = ["recipient_client_id", "recipientclientid"];

/// Checks that the body names a recipient client id, and only `expected`: at top level for
/// an object, in every element for an array (a batch).
pub(crate) fn check_recipients(body: &[u8], expected: &str) -> Result<(), WebhookError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let verdict = deserializer
        .deserialize_any(BodyVisitor { expected })
        .and_then(|verdict| deserializer.end().map(|()| verdict))
        .map_err(|error| WebhookError::InvalidBody {
            message: error.to_string(),
        })?;
    match verdict {
        Verdict::Ours => Ok(()),
        Verdict::Missing(index) => Err(WebhookError::MissingRecipient { index }),
        Verdict::Other(index) => Err(WebhookError::RecipientMismatch { index }),
    }
}

/// What a body (or its first failing element) says about the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ours,
    Missing(Option<usize>),
    Other(Option<usize>),
}

/// What one object says: whether it named a recipient, and whether every one named was ours.
#[derive(Debug, Clone, Copy)]
struct ObjectVerdict {
    named: bool,
    all_ours: bool,
}

impl ObjectVerdict {
    fn at(self, index: Option<usize>) -> Verdict {
        match self {
            ObjectVerdict {
                all_ours: false, ..
            } => Verdict::Other(index),
            ObjectVerdict { named: false, .. } => Verdict::Missing(index),
            _ => Verdict::Ours,
        }
    }
}

fn read_object<'de, A: MapAccess<'de>>(
    mut map: A,
    expected: &str,
) -> Result<ObjectVerdict, A::Error> {
    let mut verdict = ObjectVerdict {
        named: false,
        all_ours: true,
    };
    while let Some(Key(key)) = map.next_key()? {
        if RECIPIENT_KEYS.contains(&&*key) {
            match map.next_value_seed(RecipientValue { expected })? {
                None => {}
                Some(ours) => {
                    verdict.named = true;
                    verdict.all_ours &= ours;
                }
            }
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(verdict)
}

/// Compares in constant time (for equal lengths): the comparison leaks nothing about how
/// much of an id matched.
fn same(found: &str, expected: &str) -> bool {
    bool::from(found.as_bytes().ct_eq(expected.as_bytes()))
}

struct BodyVisitor<'a> {
    expected: &'a str,
}

impl<'de> Visitor<'de> for BodyVisitor<'_> {
    type Value = Verdict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Verdict, A::Error> {
        read_object(map, self.expected).map(|verdict| verdict.at(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Verdict, A::Error> {
        let mut first_failure = None;
        let mut index = 0;
        while let Some(element) = seq.next_element_seed(ElementSeed {
            expected: self.expected,
        })? {
            let verdict = element.at(Some(index));
            if first_failure.is_none() && verdict != Verdict::Ours {
                first_failure = Some(verdict);
            }
            index += 1;
        }
        Ok(match first_failure {
            Some(failure) => failure,
            None if index == 0 => Verdict::Missing(None),
            None => Verdict::Ours,
        })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Verdict, E> {
        Ok(Verdict::Missing(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Verdict, E> {
        Ok(Verdict::Missing(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Verdict, E> {
        Ok(Verdict::Missing(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Verdict, E> {
        Ok(Verdict::Missing(None))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Verdict, E> {
        Ok(Verdict::Missing(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Verdict, E> {
        Ok(Verdict::Missing(None))
    }
}

/// One batch element: an object is read for its recipient, anything else names none.
struct ElementSeed<'a> {
    expected: &'a str,
}

const NAMES_NONE: ObjectVerdict = ObjectVerdict {
    named: false,
    all_ours: true,
};

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = ObjectVerdict;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ObjectVerdict, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = ObjectVerdict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ObjectVerdict, A::Error> {
        read_object(map, self.expected)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ObjectVerdict, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| NAMES_NONE)
    }

    crate::json::scalars_give!(NAMES_NONE);
}

/// A recipient field's value: `None` for `null`, else whether it is our id (a value that is
/// no string is not ours).
struct RecipientValue<'a> {
    expected: &'a str,
}

impl<'de> DeserializeSeed<'de> for RecipientValue<'_> {
    type Value = Option<bool>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<bool>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecipientValue<'_> {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a client id string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<bool>, E> {
        Ok(Some(same(v, self.expected)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<bool>, E> {
        Ok(Some(false))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<bool>, E> {
        Ok(Some(false))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<bool>, E> {
        Ok(Some(false))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<bool>, E> {
        Ok(Some(false))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<bool>, A::Error> {
        IgnoredAny.visit_map(map).map(|_| Some(false))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<bool>, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Some(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str) -> Result<(), WebhookError> {
        check_recipients(body.as_bytes(), "me")
    }

    #[test]
    fn single_and_batch() {
        assert_eq!(
            check(r#"{"recipient_client_id": "me", "event": {"recipient_client_id": "x"}}"#),
            Ok(())
        );
        assert_eq!(check(r#"{"recipientclientid": "me"}"#), Ok(()));
        assert_eq!(check(r#"{"recipient\u005fclient_id": "me"}"#), Ok(()));
        assert_eq!(
            check(r#"[{"recipient_client_id": "me"}, {"recipientclientid": "me"}]"#),
            Ok(())
        );
    }

    #[test]
    fn refusals() {
        use WebhookError::*;
        assert_eq!(
            check(r#"{"recipient_client_id": "you"}"#),
            Err(RecipientMismatch { index: None })
        );
        assert_eq!(
            check(r#"{"recipient_client_id": "m"}"#),
            Err(RecipientMismatch { index: None })
        );
        assert_eq!(
            check(r#"{"recipient_client_id": "me", "recipientclientid": "you"}"#),
            Err(RecipientMismatch { index: None })
        );
        assert_eq!(
            check(r#"{"recipient_client_id": 1}"#),
            Err(RecipientMismatch { index: None })
        );
        assert_eq!(
            check(r#"{"recipient_client_id": null}"#),
            Err(MissingRecipient { index: None })
        );
        assert_eq!(
            check(r#"{"event": {"recipient_client_id": "me"}}"#),
            Err(MissingRecipient { index: None })
        );
        assert_eq!(check("[]"), Err(MissingRecipient { index: None }));
        assert_eq!(check("\"me\""), Err(MissingRecipient { index: None }));
        assert_eq!(
            check(r#"[{"recipient_client_id": "me"}, {"x": 1}, {"recipient_client_id": "you"}]"#),
            Err(MissingRecipient { index: Some(1) })
        );
        assert_eq!(
            check(r#"[{"recipient_client_id": "me"}, 3, {"recipient_client_id": "me"}]"#),
            Err(MissingRecipient { index: Some(1) })
        );
        assert_eq!(
            check(r#"[{"recipient_client_id": "me"}, {"recipient_client_id": ["me"]}]"#),
            Err(RecipientMismatch { index: Some(1) })
        );
        assert!(matches!(
            check(r#"{"recipient_client_id": "me""#),
            Err(InvalidBody { .. })
        ));
        assert!(matches!(
            check(r#"{"recipient_client_id": "me"} x"#),
            Err(InvalidBody { .. })
        ));
        assert!(matches!(
            check_recipients(b"\xff", "me"),
            Err(InvalidBody { .. })
        ));
        // Values skipped are skipped without recursion (serde_json ignores them iteratively):
        // deep nesting costs no stack.
        let deep = format!(
            r#"{{"recipient_client_id": "me", "x": {}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(check(&deep), Ok(()));
    }
}
