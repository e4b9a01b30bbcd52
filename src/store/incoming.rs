//! An event as the webhook and the journal hand it over: with its key, and whether it was
//! handled before.

use super::EventKey;
use crate::{Event, FlowRun};

/// One event of a delivery or a journal page, with the key it is claimed by.
///
/// Handle it only when [`duplicate`](Self::duplicate) is `false`; then complete it (the
/// receiver's or the consumer's `complete`), so that the store remembers it as done.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Incoming {
    /// The key it is claimed by in the [`DedupStore`](super::DedupStore) ([`EventKey`]'s
    /// rule, the same for the webhook and the journal).
    pub key: EventKey,
    /// The event: a flow run, an alert, or any other event, verbatim.
    pub event: Event,
    /// Handled before (by this path or the other, or earlier in the same body): leave it.
    pub duplicate: bool,
}

impl Incoming {
    /// The events of one body with their keys (for the registration of
    /// `recipient_client_id`), none marked duplicate yet.
    pub(crate) fn from_events(
        recipient_client_id: &str,
        events: Vec<Event>,
        body: &[u8],
    ) -> Vec<Incoming> {
        let keys = EventKey::for_events(recipient_client_id, &events, body);
        events
            .into_iter()
            .zip(keys)
            .map(|(event, key)| Incoming {
                key,
                event,
                duplicate: false,
            })
            .collect()
    }

    /// The flow run it carries, if it is one.
    pub fn run(&self) -> Option<&FlowRun> {
        self.event
            .as_flow_run()
            .map(|notification| &notification.run)
    }
}

/// Marks as duplicate every event whose key came earlier in `incoming`.
pub(crate) fn flag_repeats(incoming: &mut [Incoming]) {
    let mut seen = std::collections::HashSet::with_capacity(incoming.len());
    for item in incoming {
        if !seen.insert(item.key.clone()) {
            item.duplicate = true;
        }
    }
}
