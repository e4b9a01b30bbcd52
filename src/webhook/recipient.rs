//! Reading whom a body is for, and its shape, and nothing else.
//!
//! Verification must not pay for a full parse (nor depend on one): this reader visits the
//! raw bytes once. For the top-level object (or each element of a batch array) it reads the
//! `recipient_client_id` and `recipientclientid` keys, whether it is a journal page (an
//! `events` array: never a delivery), and, when an organisation is configured, every
//! `imsOrgId` in it; it counts a batch's elements and the messages of its message lists,
//! and stops as soon as either is over its limit. Every other value is skipped with
//! `IgnoredAny`. Keys are decoded like the main parser decodes them, so both read the same
//! fields.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use subtle::ConstantTimeEq;

use super::WebhookError;
use crate::json::{IsArray, Key};

const RECIPIENT_KEYS: [&str; 2] = ["recipient_client_id", "recipientclientid"];
const ORGANIZATION_KEY: &str = "imsOrgId";

/// What a delivery body must satisfy besides its signature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy<'a> {
    /// Our recipient client id: an element that names one must name this one.
    pub(crate) recipient: &'a str,
    /// What an element that names no recipient must name.
    pub(crate) organization: OrganizationPolicy<'a>,
    /// The most elements a batch may hold.
    pub(crate) max_events: usize,
    /// The most messages the message lists of a body may hold together.
    pub(crate) max_messages: usize,
}

/// What an element that names no recipient client id must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrganizationPolicy<'a> {
    /// Nothing was configured: it cannot be told ours.
    Unset,
    /// Every `imsOrgId` in it must be this one, and it must hold one.
    One(&'a str),
    /// Anything: accepted on its signature.
    Any,
}

impl<'a> OrganizationPolicy<'a> {
    /// The organisation to look for in the body, when one is.
    fn expected(self) -> Option<&'a str> {
        match self {
            OrganizationPolicy::One(organization) => Some(organization),
            _ => None,
        }
    }
}

/// The reading's state across elements: messages counted so far.
#[derive(Debug, Clone, Copy)]
struct Reading<'a> {
    policy: Policy<'a>,
    messages: &'a Cell<usize>,
}

/// Checks a delivery body against the policy:
///
/// - the body is an object or an array (a batch) of at most `max_events` elements;
/// - no element is a journal page (an `events` array);
/// - an element that names a recipient client id names only ours;
/// - an element that names none (Adobe's message lists and alerts name none) must satisfy
///   the organisation policy: every `imsOrgId` it holds is ours and it holds one, or any is
///   accepted; with none configured it is refused;
/// - its message lists hold at most `max_messages` messages together (counted as read).
pub(crate) fn check_body(body: &[u8], policy: Policy<'_>) -> Result<(), WebhookError> {
    let messages = Cell::new(0);
    let reading = Reading {
        policy,
        messages: &messages,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let verdict = deserializer
        .deserialize_any(BodyVisitor { reading })
        .and_then(|verdict| deserializer.end().map(|()| verdict))
        .map_err(|error| match messages.get() > policy.max_messages {
            // The reading stopped at the message over the limit.
            true => WebhookError::TooManyMessages {
                limit: policy.max_messages,
            },
            false => WebhookError::InvalidBody {
                message: error.to_string(),
            },
        })?;
    match verdict {
        Verdict::Ours => Ok(()),
        Verdict::Element(index, element) => element.check(index, policy),
        Verdict::TooMany => Err(WebhookError::TooManyEvents {
            limit: policy.max_events,
        }),
        Verdict::NoObject => Err(WebhookError::InvalidBody {
            message: "a delivery is a JSON object or array".to_owned(),
        }),
    }
}

/// What a body says: fine, or the first element that is not, or a wrong shape.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    Ours,
    Element(Option<usize>, Element),
    TooMany,
    NoObject,
}

/// What one element says.
#[derive(Debug, Clone, Copy, Default)]
struct Element {
    /// It named a recipient client id.
    named: bool,
    /// Every recipient client id it named is ours.
    foreign: bool,
    /// It is a journal page.
    journal_page: bool,
    /// It holds an `imsOrgId` (read only when an organisation is configured).
    organization_named: bool,
    /// One of its `imsOrgId`s is not ours.
    organization_foreign: bool,
}

impl Element {
    fn check(self, index: Option<usize>, policy: Policy<'_>) -> Result<(), WebhookError> {
        if self.journal_page {
            return Err(WebhookError::JournalPage { index });
        }
        if self.named {
            return match self.foreign {
                true => Err(WebhookError::RecipientMismatch { index }),
                false => Ok(()),
            };
        }
        match policy.organization {
            OrganizationPolicy::Any => Ok(()),
            OrganizationPolicy::Unset => Err(WebhookError::OrganizationNotSet { index }),
            OrganizationPolicy::One(_) if self.organization_foreign => {
                Err(WebhookError::OrganizationMismatch { index })
            }
            OrganizationPolicy::One(_) if !self.organization_named => {
                Err(WebhookError::MissingRecipient { index })
            }
            OrganizationPolicy::One(_) => Ok(()),
        }
    }

    fn passes(self, policy: Policy<'_>) -> bool {
        self.check(None, policy).is_ok()
    }
}

/// Compares in constant time (for equal lengths): the comparison leaks nothing about how
/// much of an id matched.
fn same(found: &str, expected: &str) -> bool {
    bool::from(found.as_bytes().ct_eq(expected.as_bytes()))
}

fn read_element<'de, A: MapAccess<'de>>(
    mut map: A,
    reading: Reading<'_>,
) -> Result<Element, A::Error> {
    let policy = reading.policy;
    let expected = policy.organization.expected();
    let mut element = Element::default();
    let mut found = Organizations::default();
    while let Some(Key(key)) = map.next_key()? {
        if RECIPIENT_KEYS.contains(&&*key) {
            if let Some(ours) = map.next_value_seed(StringIs {
                expected: policy.recipient,
            })? {
                element.named = true;
                element.foreign |= !ours;
            }
        } else if key == "events" {
            element.journal_page |= map.next_value::<IsArray>()?.0;
        } else if key == "messages" {
            map.next_value_seed(Messages {
                reading,
                found: &mut found,
            })?;
        } else if let Some(organization) = expected {
            if key == ORGANIZATION_KEY {
                found.see(map.next_value_seed(StringIs {
                    expected: organization,
                })?);
            } else {
                map.next_value_seed(FindOrganizations {
                    expected: organization,
                    found: &mut found,
                })?;
            }
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    element.organization_named = found.named;
    element.organization_foreign = found.foreign;
    Ok(element)
}

/// A message list's `messages`: each message counted (the reading stops at the one over
/// the limit) and, when an organisation is expected, searched for `imsOrgId`s.
struct Messages<'a, 'b> {
    reading: Reading<'a>,
    found: &'b mut Organizations,
}

impl<'de> DeserializeSeed<'de> for Messages<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Reading { policy, messages } = self.reading;
        loop {
            let more = match policy.organization.expected() {
                Some(expected) => seq
                    .next_element_seed(FindOrganizations {
                        expected,
                        found: self.found,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Ok(());
            }
            messages.set(messages.get() + 1);
            if messages.get() > policy.max_messages {
                return Err(de::Error::custom("too many messages"));
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.reading.policy.organization.expected() {
            Some(expected) => FindOrganizations {
                expected,
                found: self.found,
            }
            .visit_map(map),
            None => IgnoredAny.visit_map(map).map(drop),
        }
    }

    crate::json::scalars_give!(());
}

struct BodyVisitor<'a> {
    reading: Reading<'a>,
}

impl<'de> Visitor<'de> for BodyVisitor<'_> {
    type Value = Verdict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Verdict, A::Error> {
        let policy = self.reading.policy;
        let element = read_element(map, self.reading)?;
        Ok(match element.passes(policy) {
            true => Verdict::Ours,
            false => Verdict::Element(None, element),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Verdict, A::Error> {
        let policy = self.reading.policy;
        let mut first_failure = None;
        let mut index = 0;
        while index < policy.max_events {
            let Some(element) = seq.next_element_seed(ElementSeed {
                reading: self.reading,
            })?
            else {
                return Ok(first_failure.unwrap_or(Verdict::Ours));
            };
            if first_failure.is_none() && !element.passes(policy) {
                first_failure = Some(Verdict::Element(Some(index), element));
            }
            index += 1;
        }
        // At the limit: one more element is one too many.
        Ok(match seq.next_element::<IgnoredAny>()? {
            None => first_failure.unwrap_or(Verdict::Ours),
            Some(_) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Verdict::TooMany
            }
        })
    }

    crate::json::scalars_give!(Verdict::NoObject);
}

/// One batch element: an object is read, anything else names nothing (and is left to the
/// parser to refuse).
struct ElementSeed<'a> {
    reading: Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Element;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Element, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element, A::Error> {
        read_element(map, self.reading)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Element::default())
    }

    crate::json::scalars_give!(Element::default());
}

/// The `imsOrgId`s found in a value.
#[derive(Debug, Default)]
struct Organizations {
    named: bool,
    foreign: bool,
}

impl Organizations {
    fn see(&mut self, ours: Option<bool>) {
        if let Some(ours) = ours {
            self.named = true;
            self.foreign |= !ours;
        }
    }
}

/// Visits a value at any depth for `imsOrgId` keys (nesting is bounded by serde_json's
/// recursion limit: a body deeper than 128 levels is no JSON it reads).
struct FindOrganizations<'a, 'b> {
    expected: &'a str,
    found: &'b mut Organizations,
}

impl<'de> DeserializeSeed<'de> for FindOrganizations<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FindOrganizations<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            if key == ORGANIZATION_KEY {
                let ours = map.next_value_seed(StringIs {
                    expected: self.expected,
                })?;
                self.found.see(ours);
            } else {
                map.next_value_seed(FindOrganizations {
                    expected: self.expected,
                    found: self.found,
                })?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(FindOrganizations {
                expected: self.expected,
                found: self.found,
            })?
            .is_some()
        {}
        Ok(())
    }

    crate::json::scalars_give!(());
}

/// A field's value: `None` for `null`, else whether it is the expected string (a value that
/// is no string is not).
struct StringIs<'a> {
    expected: &'a str,
}

impl<'de> DeserializeSeed<'de> for StringIs<'_> {
    type Value = Option<bool>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<bool>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringIs<'_> {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
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

    const POLICY: Policy<'static> = Policy {
        recipient: "me",
        organization: OrganizationPolicy::Any,
        max_events: 20,
        max_messages: 100,
    };

    fn check(body: &str) -> Result<(), WebhookError> {
        check_body(body.as_bytes(), POLICY)
    }

    fn check_org(body: &str) -> Result<(), WebhookError> {
        let policy = Policy {
            organization: OrganizationPolicy::One("O@AdobeOrg"),
            ..POLICY
        };
        check_body(body.as_bytes(), policy)
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
        // Naming no recipient is no refusal when any organisation is accepted.
        assert_eq!(check(r#"{"event": {"recipient_client_id": "me"}}"#), Ok(()));
        assert_eq!(check(r#"{"recipient_client_id": null}"#), Ok(()));
        assert_eq!(check("[]"), Ok(()));
        assert_eq!(
            check(r#"[{"recipient_client_id": "me"}, {"x": 1}, 3]"#),
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
        assert!(matches!(check("\"me\""), Err(InvalidBody { .. })));
        assert_eq!(
            check(r#"[{"recipient_client_id": "me"}, {"x": 1}, {"recipient_client_id": "you"}]"#),
            Err(RecipientMismatch { index: Some(2) })
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
            check_body(b"\xff", POLICY),
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

    #[test]
    fn journal_pages_and_batch_size() {
        use WebhookError::*;
        let page = r#"{"recipient_client_id": "me", "events": [{"position": "p",
            "event": {"recipient_client_id": "other", "event": {"id": "r", "metrics": {}}}}]}"#;
        assert_eq!(check(page), Err(JournalPage { index: None }));
        assert_eq!(
            check(r#"[{"recipient_client_id": "me"}, {"events": []}]"#),
            Err(JournalPage { index: Some(1) })
        );
        // `events` that is no array is no journal page.
        assert_eq!(check(r#"{"events": 3}"#), Ok(()));
        let batch = |n: usize| format!("[{}]", vec![r#"{"metrics": {}}"#; n].join(","));
        assert_eq!(check(&batch(20)), Ok(()));
        assert_eq!(check(&batch(21)), Err(TooManyEvents { limit: 20 }));
        assert!(matches!(
            check(&format!("{},", batch(21))),
            Err(InvalidBody { .. })
        ));
    }

    #[test]
    fn organisation_when_configured() {
        use WebhookError::*;
        let ours =
            r#"{"messages": [{"imsOrgId": "O@AdobeOrg", "value": {"imsOrgId": "O@AdobeOrg"}}]}"#;
        assert_eq!(check_org(ours), Ok(()));
        assert_eq!(check_org(r#"[{"imsOrgId": "O@AdobeOrg"}]"#), Ok(()));
        let theirs =
            r#"{"messages": [{"imsOrgId": "O@AdobeOrg", "value": {"imsOrgId": "X@AdobeOrg"}}]}"#;
        assert_eq!(check_org(theirs), Err(OrganizationMismatch { index: None }));
        assert_eq!(
            check_org(r#"[{"imsOrgId": "O@AdobeOrg"}, {"imsOrgId": 5}]"#),
            Err(OrganizationMismatch { index: Some(1) })
        );
        assert_eq!(
            check_org(r#"{"id": "alert"}"#),
            Err(MissingRecipient { index: None })
        );
        // A recipient named and ours is enough.
        assert_eq!(
            check_org(r#"{"recipient_client_id": "me", "imsOrgId": "X"}"#),
            Ok(())
        );
    }
}

#[cfg(test)]
mod safe_by_default {
    use super::*;

    fn policy(organization: OrganizationPolicy<'static>) -> Policy<'static> {
        Policy {
            recipient: "me",
            organization,
            max_events: 20,
            max_messages: 30,
        }
    }

    #[test]
    fn with_no_organisation_set_a_body_naming_no_recipient_is_not_accepted() {
        use WebhookError::*;
        let unset = policy(OrganizationPolicy::Unset);
        let alert = br#"{"id": "a", "imsOrgId": "ATTACKER@AdobeOrg"}"#;
        assert_eq!(
            check_body(alert, unset),
            Err(OrganizationNotSet { index: None })
        );
        assert_eq!(
            check_body(br#"[{"recipientclientid": "me"}, {"messages": []}]"#, unset),
            Err(OrganizationNotSet { index: Some(1) })
        );
        // A body that names us is ours whatever the setting.
        assert_eq!(
            check_body(br#"{"recipient_client_id": "me"}"#, unset),
            Ok(())
        );
        assert_eq!(check_body(alert, policy(OrganizationPolicy::Any)), Ok(()));
        assert_eq!(
            check_body(alert, policy(OrganizationPolicy::One("O@AdobeOrg"))),
            Err(OrganizationMismatch { index: None })
        );
    }

    #[test]
    fn messages_are_counted_as_read_not_as_batch_elements() {
        let list = |n: usize| {
            let message = r#"{"imsOrgId": "O@AdobeOrg", "value": {"id": "r", "metrics": {}}}"#;
            format!(r#"[{{"messages": [{}]}}]"#, vec![message; n].join(","))
        };
        let ours = policy(OrganizationPolicy::One("O@AdobeOrg"));
        // 25 messages in one element: one event of the batch, not 25.
        assert_eq!(check_body(list(25).as_bytes(), ours), Ok(()));
        assert_eq!(check_body(list(30).as_bytes(), ours), Ok(()));
        assert_eq!(
            check_body(list(31).as_bytes(), ours),
            Err(WebhookError::TooManyMessages { limit: 30 })
        );
        // Counted across the elements of a batch, and refused however the body goes on.
        let two = format!(
            r#"[{{"messages": [{}]}}, {{"messages": [{}]}}"#,
            vec!["{}"; 20].join(","),
            vec!["{}"; 20].join(",")
        );
        assert_eq!(
            check_body(two.as_bytes(), policy(OrganizationPolicy::Any)),
            Err(WebhookError::TooManyMessages { limit: 30 })
        );
        // Messages still have their organisations checked.
        let theirs = r#"{"messages": [{"imsOrgId": "X@AdobeOrg"}]}"#;
        assert_eq!(
            check_body(theirs.as_bytes(), ours),
            Err(WebhookError::OrganizationMismatch { index: None })
        );
    }
}
