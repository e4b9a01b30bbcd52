//! The one rule that turns an event into its deduplication key, for the webhook and the
//! journal alike: an event handled from either path is recognised on the other.

use std::fmt::{self, Write as _};

use crate::Event;

/// The longest event id used as a deduplication key as it is; a longer one is replaced by
/// its SHA-256 digest, so that no body can make a store keep large keys.
pub const MAX_EVENT_ID_LEN: usize = 128;

/// The longest journal position used as a key as it is.
const MAX_POSITION_LEN: usize = 100;

/// The key an event is claimed by in a [`DedupStore`](super::DedupStore), derived from
/// signed data only: its event id (the SHA-256 digest of an id longer than
/// [`MAX_EVENT_ID_LEN`]); for an event without one, its journal position; else the digest of
/// the body it came in and its place there (`body-sha256:<digest>#<index>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(String);

impl EventKey {
    /// The keys of the events of one body, in order, by the rule above.
    pub fn for_events<'a>(events: impl IntoIterator<Item = &'a Event>, body: &[u8]) -> Vec<Self> {
        let mut body_digest = None;
        events
            .into_iter()
            .enumerate()
            .map(|(index, event)| {
                EventKey::of(
                    event.event_id(),
                    event.journal_position(),
                    body,
                    index,
                    &mut body_digest,
                )
            })
            .collect()
    }

    fn of(
        id: Option<&str>,
        position: Option<&str>,
        body: &[u8],
        index: usize,
        body_digest: &mut Option<String>,
    ) -> Self {
        let key = match (id.filter(|id| !id.is_empty()), position) {
            (Some(id), _) if id.len() <= MAX_EVENT_ID_LEN => id.to_owned(),
            (Some(id), _) => format!("id-sha256:{}", sha256_hex(id.as_bytes())),
            (None, Some(position)) if !position.is_empty() => {
                if position.len() <= MAX_POSITION_LEN {
                    format!("journal-position:{position}")
                } else {
                    format!(
                        "journal-position-sha256:{}",
                        sha256_hex(position.as_bytes())
                    )
                }
            }
            (None, _) => {
                let digest = body_digest.get_or_insert_with(|| sha256_hex(body));
                format!("body-sha256:{digest}#{index}")
            }
        };
        EventKey(key)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
            |id, index, digest: &mut Option<String>| EventKey::of(id, None, b"{}", index, digest);
        assert_eq!(key(Some("e1"), 0, &mut digest), "e1");
        assert_eq!(digest, None);
        let long = "x".repeat(60_000);
        let long_key = key(Some(&long), 0, &mut digest);
        assert_eq!(long_key.as_str().len(), "id-sha256:".len() + 64);
        assert_eq!(
            long_key,
            EventKey::of(Some(&long), None, b"other", 3, &mut None)
        );
        let first = key(None, 0, &mut digest);
        assert_eq!(
            first,
            "body-sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a#0"
        );
        assert_eq!(key(Some(""), 1, &mut digest).0, first.0.replace("#0", "#1"));
        assert_eq!(
            EventKey::of(None, Some("v2:p1"), b"{}", 0, &mut None),
            "journal-position:v2:p1"
        );
    }
}
