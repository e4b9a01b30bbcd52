//! Registration: the challenge `GET` and the asynchronous-validation `POST`.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserializer;
use url::Url;

use crate::json::Key;

/// The longest challenge echoed back (Adobe's are UUIDs).
const MAX_CHALLENGE_LEN: usize = 1024;

/// The longest `validationUrl` recognised, in bytes (Adobe's are about 150).
const MAX_VALIDATION_URL_LEN: usize = 2048;

/// The value to answer a registration challenge with, from the request's raw query string
/// (`challenge=VALUE`, percent-decoded; a leading `?` is allowed).
///
/// When Adobe I/O Events registers a webhook it sends `GET ?challenge=VALUE` and expects
/// `200` with `VALUE` as the body. `None` when the query holds no `challenge` parameter, an
/// empty one, or one longer than 1024 characters; the first `challenge` counts.
///
/// ```
/// use aep_flow_run::webhook::challenge_response;
///
/// assert_eq!(challenge_response("challenge=8ec8d794-e0ab-42df").as_deref(), Some("8ec8d794-e0ab-42df"));
/// assert_eq!(challenge_response("?a=1&challenge=x%20y+z").as_deref(), Some("x y z"));
/// assert_eq!(challenge_response("other=1"), None);
/// ```
pub fn challenge_response(query: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let (_, value) =
        url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "challenge")?;
    if value.is_empty() || value.chars().count() > MAX_CHALLENGE_LEN {
        return None;
    }
    Some(value.into_owned())
}

/// An asynchronous-validation request: a `POST` whose body is `{"validationUrl": ...}`
/// (possibly with a `challenge`), sent instead of a challenge `GET` to webhooks that cannot
/// answer synchronously. The receiver answers `200` and then sends a `GET` to the
/// validation URL itself.
///
/// The request is not signed: check the URL's host is Adobe's before fetching it, or
/// confirm the registration by hand, so that a stranger cannot make your service fetch a URL
/// of their choosing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationRequest {
    /// The `validationUrl` value, as sent.
    pub validation_url: String,
    /// The `challenge` value, when the body carries one.
    pub challenge: Option<String>,
}

impl ValidationRequest {
    /// The validation URL, when it is an absolute `https` URL (`http` is refused: the
    /// answer confirms a registration).
    pub fn url(&self) -> Option<Url> {
        Url::parse(&self.validation_url)
            .ok()
            .filter(|url| url.scheme() == "https" && url.host().is_some())
    }
}

/// Recognises an asynchronous-validation body: a JSON object with a string `validationUrl`
/// of at most 2 KB at top level (and a `challenge` string of at most 1024 bytes, if any).
/// Anything else (a delivery, invalid JSON, a longer URL) is `None`; never an error.
///
/// It is a bounded look, run before any signature is checked: every other value is
/// skipped without being kept, so an unsigned body costs no memory beyond the two strings.
///
/// ```
/// use aep_flow_run::webhook::validation_request;
///
/// let body = br#"{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1&challenge=2"}"#;
/// let request = validation_request(body).unwrap();
/// assert_eq!(request.url().unwrap().host_str(), Some("csm.adobe.io"));
/// assert!(validation_request(br#"{"event_id": "e", "event": {}}"#).is_none());
/// ```
pub fn validation_request(body: &[u8]) -> Option<ValidationRequest> {
    // A key that reads `validationUrl` is spelt so, or escapes a letter as `\uXXXX` (no other
    // escape gives a letter): a body with neither is no validation request, and is not read
    // (deliveries, the common case, pass here before their signature is checked).
    let finder = |needle: &[u8]| memchr::memmem::find(body, needle).is_some();
    if !finder(b"validationUrl") && !finder(b"\\u") {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let found = deserializer.deserialize_any(ValidationVisitor).ok()?;
    deserializer.end().ok()?;
    found
}

/// The URL of an asynchronous-validation body, when it is one and its URL is an absolute
/// `https` URL; see [`validation_request`].
///
/// ```
/// let body = br#"{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1"}"#;
/// let url = aep_flow_run::webhook::validation_url(body).unwrap();
/// assert_eq!(url.path(), "/csm/registrations/validate");
/// ```
pub fn validation_url(body: &[u8]) -> Option<Url> {
    validation_request(body)?.url()
}

/// A value kept when it is a string of at most `max` bytes; any other value (a longer
/// string, an object, an array) is skipped without being kept.
struct ShortString {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for ShortString {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ShortString {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok((text.len() <= self.max).then(|| text.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map).map(|_| None)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The next value when it is a string of at most `max` bytes.
fn string_value<'de, A: MapAccess<'de>>(
    map: &mut A,
    max: usize,
) -> Result<Option<String>, A::Error> {
    map.next_value_seed(ShortString { max })
}

struct ValidationVisitor;

impl<'de> Visitor<'de> for ValidationVisitor {
    type Value = Option<ValidationRequest>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut validation_url: Option<Option<String>> = None;
        let mut challenge = None;
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "validationUrl" if validation_url.is_none() => {
                    validation_url = Some(string_value(&mut map, MAX_VALIDATION_URL_LEN)?);
                }
                "challenge" if challenge.is_none() => {
                    challenge = Some(string_value(&mut map, MAX_CHALLENGE_LEN)?);
                }
                "validationUrl" | "challenge" => {
                    return Err(de::Error::custom(format_args!("duplicate field `{key}`")))
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(validation_url
            .flatten()
            .map(|validation_url| ValidationRequest {
                validation_url,
                challenge: challenge.flatten(),
            }))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }

    crate::json::scalars_give!(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_keys_are_still_read_past_the_quick_look() {
        let escaped = br#"{"validation\u0055rl": "https://csm.adobe.io/v", "ch\u0061llenge": "c"}"#;
        let request = validation_request(escaped).unwrap();
        assert_eq!(request.validation_url, "https://csm.adobe.io/v");
        assert_eq!(request.challenge.as_deref(), Some("c"));
        // A delivery has neither spelling: not read.
        assert!(validation_request(br#"{"event_id": "e", "etag": "\"x\""}"#).is_none());
        assert!(validation_request(br#"{"url": "validationUrl"}"#).is_none());
    }
}
