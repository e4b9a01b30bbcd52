//! The one rule that turns an event into its deduplication key, for the webhook and the
//! journal alike: an event handled from either path is recognised on the other.

use std::fmt::{self, Write as _};

use crate::Event;

/// The longest event id used as a deduplication key as it is; a longer one is replaced by
/// its SHA-256 digest, so that no body can make a store keep large keys.
pub const MAX_EVENT_ID_LEN: usize = 128;

/// The longest journal position used as a key as it is.
const MAX_POSITION_LEN: usize = 100;

/// The longest recipient client id used as a key's scope as it is.
const MAX_SCOPE_LEN: usize = 64;

/// The key an event is claimed by in a [`DedupStore`](super::DedupStore), derived from
/// signed data and the registration only: `<scope>/<kind>:<value>`.
///
/// - The scope is the recipient client id of the registration (what the webhook's
///   [`Verifier`](crate::webhook::Verifier) is given, and the journal consumer's client id),
///   so that registrations sharing one store keep their events apart. A client id longer than
///   64 characters, or holding anything but letters, digits, `_`, `.`, `@` and `-`, is
///   replaced by `sha256:` and the start of its digest.
/// - The kind says where the value comes from, so that no event id can be spelled like a
///   key derived otherwise: `id:<event id>` (`id-sha256:<digest>` for an id longer than
///   [`MAX_EVENT_ID_LEN`]); for an event without one, `position:<journal position>`
///   (`position-sha256:` for a long one); else `body-sha256:<digest of the body>#<index>`.
///
/// ```
/// use aep_flow_run::store::EventKey;
///
/// let body = br#"{"event_id": "e-1", "event": {"id": "run-1", "metrics": {}}}"#;
/// let events = aep_flow_run::parse_events(body)?;
/// let keys = EventKey::for_events("my-client-id", &events, body);
/// assert_eq!(keys[0], "my-client-id/id:e-1");
/// // Another registration sharing the store: another key for the same event.
/// assert_eq!(EventKey::for_events("other-client", &events, body)[0], "other-client/id:e-1");
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(String);

impl EventKey {
    /// The keys of the events of one body, in order, by the rule above, for the
    /// registration of `recipient_client_id`.
    pub fn for_events<'a>(
        recipient_client_id: &str,
        events: impl IntoIterator<Item = &'a Event>,
        body: &[u8],
    ) -> Vec<Self> {
        let scope = scope(recipient_client_id);
        let mut body_digest = None;
        events
            .into_iter()
            .enumerate()
            .map(|(index, event)| {
                let derived = derived_key(
                    event.event_id(),
                    event.journal_position(),
                    body,
                    index,
                    &mut body_digest,
                );
                EventKey(format!("{scope}/{derived}"))
            })
            .collect()
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key for a log line or an error: control characters escaped (an event id comes from
/// a body); [`as_str`](EventKey::as_str) gives it as it is.
impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&crate::text::escaped(&self.0), f)
    }
}

impl std::ops::Deref for EventKey {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EventKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for EventKey {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for EventKey {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for EventKey {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Lets a test or a user's store build a key from stored text.
impl From<String> for EventKey {
    fn from(key: String) -> Self {
        EventKey(key)
    }
}

impl From<&str> for EventKey {
    fn from(key: &str) -> Self {
        EventKey(key.to_owned())
    }
}

/// The key's scope: the client id as it is when it is short and plain, else its digest.
fn scope(client_id: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-');
    if !client_id.is_empty() && client_id.len() <= MAX_SCOPE_LEN && client_id.chars().all(plain) {
        client_id.to_owned()
    } else {
        // `:` is in no plain scope, so this form cannot be spelled by one.
        format!("sha256:{}", &sha256_hex(client_id.as_bytes())[..32])
    }
}

/// The part of a key after its scope: `<kind>:<value>`.
fn derived_key(
    id: Option<&str>,
    position: Option<&str>,
    body: &[u8],
    index: usize,
    body_digest: &mut Option<String>,
) -> String {
    match (id.filter(|id| !id.is_empty()), position) {
        (Some(id), _) if id.len() <= MAX_EVENT_ID_LEN => format!("id:{id}"),
        (Some(id), _) => format!("id-sha256:{}", sha256_hex(id.as_bytes())),
        (None, Some(position)) if !position.is_empty() => {
            if position.len() <= MAX_POSITION_LEN {
                format!("position:{position}")
            } else {
                format!("position-sha256:{}", sha256_hex(position.as_bytes()))
            }
        }
        (None, _) => {
            let digest = body_digest.get_or_insert_with(|| sha256_hex(body));
            format!("body-sha256:{digest}#{index}")
        }
    }
}

fn sha256_hex(data: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut hex = String::with_capacity(64);
    for byte in digest.as_ref() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_signed_data_and_are_bounded() {
        let mut digest = None;
        let key =
            |id, index, digest: &mut Option<String>| derived_key(id, None, b"{}", index, digest);
        assert_eq!(key(Some("e1"), 0, &mut digest), "id:e1");
        assert_eq!(digest, None);
        let long = "x".repeat(60_000);
        let long_key = key(Some(&long), 0, &mut digest);
        assert_eq!(long_key.len(), "id-sha256:".len() + 64);
        assert_eq!(
            long_key,
            derived_key(Some(&long), None, b"other", 3, &mut None)
        );
        let first = key(None, 0, &mut digest);
        assert_eq!(
            first,
            "body-sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a#0"
        );
        assert_eq!(key(Some(""), 1, &mut digest), first.replace("#0", "#1"));
        assert_eq!(
            derived_key(None, Some("v2:p1"), b"{}", 0, &mut None),
            "position:v2:p1"
        );
    }

    #[test]
    fn event_ids_cannot_be_spelled_like_derived_keys_nor_cross_registrations() {
        // An event without an id gets a body-derived key; another event whose id is spelled
        // like that key must not take it (on 3f6dca2 both were `body-sha256:...#0`).
        let body = br#"{"event": {"id": "run-1", "metrics": {}}}"#;
        let events = crate::parse_events(body).unwrap();
        let derived = EventKey::for_events("me", &events, body).remove(0);
        let spelled = derived.as_str().strip_prefix("me/").unwrap().to_owned();
        assert!(spelled.starts_with("body-sha256:"));
        let forged =
            format!(r#"{{"event_id": "{spelled}", "event": {{"id": "r", "metrics": {{}}}}}}"#);
        let forged_events = crate::parse_events(forged.as_bytes()).unwrap();
        let forged_key = EventKey::for_events("me", &forged_events, forged.as_bytes()).remove(0);
        assert_ne!(forged_key, derived);
        assert_eq!(forged_key.as_str(), format!("me/id:{spelled}"));
        // Two registrations sharing a store: the same event id, two keys.
        assert_ne!(
            EventKey::for_events("a", &forged_events, b"")[0],
            EventKey::for_events("b", &forged_events, b"")[0]
        );
        // A scope that is not plain is a digest, which no plain scope can spell.
        assert_eq!(scope("client_1@x.y-z"), "client_1@x.y-z");
        let odd = scope("a/b");
        assert!(odd.starts_with("sha256:") && odd.len() == 39);
        assert_ne!(scope(""), "");
        assert!(scope(&"c".repeat(65)).starts_with("sha256:"));
    }
}
