//! The I/O Events ids of an envelope (`event_id`, `eventid`, `recipient_client_id`,
//! `recipientclientid`), set aside as they are read.

use serde::de;
use serde_json::Value;

use super::item::take_keyed_string;
use crate::json::duplicate;
use crate::Extra;

/// The spellings of the I/O Events event id, the older one first (it is preferred).
pub(super) const EVENT_ID_KEYS: [&str; 2] = ["event_id", "eventid"];
/// The spellings of the recipient client id, the older one first.
pub(super) const RECIPIENT_KEYS: [&str; 2] = ["recipient_client_id", "recipientclientid"];

/// An id with the key it came under.
pub(super) type Keyed = Option<(&'static str, String)>;

/// The spellings of the I/O Events ids among the envelope attributes, in the order
/// [`take_string`] prefers them.
pub(super) const ID_KEYS: [&str; 4] = [
    EVENT_ID_KEYS[0],
    EVENT_ID_KEYS[1],
    RECIPIENT_KEYS[0],
    RECIPIENT_KEYS[1],
];

/// The id attributes of an object (see [`ID_KEYS`]) that are strings, each with its place
/// among the attributes. They are set aside as they are read, because an I/O event, the
/// usual envelope, takes them out again for its id fields: in the attribute map, each cost
/// three allocations (the map, its list, the key) only to be taken out of it.
#[derive(Default)]
pub(super) struct Ids {
    pub(super) slots: [Option<(usize, String)>; 4],
}

impl Ids {
    /// Which of [`ID_KEYS`] `key` is.
    pub(super) fn slot(key: &str) -> Option<usize> {
        ID_KEYS.iter().position(|id_key| *id_key == key)
    }

    /// Sets an id aside, unless its key came before.
    pub(super) fn set_aside<E: de::Error>(
        &mut self,
        slot: usize,
        id: String,
        attributes: &Extra,
    ) -> Result<(), E> {
        if self.slots[slot].is_some() {
            return Err(duplicate(ID_KEYS[slot]));
        }
        let place = attributes.len() + self.slots.iter().flatten().count();
        self.slots[slot] = Some((place, id));
        Ok(())
    }

    /// Whether any id is set aside.
    pub(super) fn any(&self) -> bool {
        self.slots.iter().any(Option::is_some)
    }

    /// Puts the ids back among `attributes`, each where it stood.
    #[inline]
    pub(super) fn restore(&mut self, attributes: &mut Extra) {
        if self.any() {
            self.restore_held(attributes);
        }
    }

    pub(super) fn restore_held(&mut self, attributes: &mut Extra) {
        // In the order of their places: each then goes where it stood among those before it.
        while let Some(slot) = (0..ID_KEYS.len())
            .filter(|slot| self.slots[*slot].is_some())
            .min_by_key(|slot| self.slots[*slot].as_ref().map(|(place, _)| *place))
        {
            if let Some((place, id)) = self.slots[slot].take() {
                attributes.insert_at(place, ID_KEYS[slot].to_owned(), Value::String(id));
            }
        }
    }

    /// The event id and the recipient client id, each with the key it came under, as
    /// [`take_keyed_string`] would take them from the attributes; a second spelling of either
    /// goes back among them.
    pub(super) fn take(&mut self, attributes: &mut Extra) -> (Keyed, Keyed) {
        let [event_id, eventid, recipient, recipientclientid] = &self.slots;
        if event_id.is_some() && eventid.is_some()
            || recipient.is_some() && recipientclientid.is_some()
        {
            // Both spellings of one id (rare): decided in the map, as for any attribute.
            self.restore(attributes);
            return (
                take_keyed_string(attributes, &ID_KEYS[..2]),
                take_keyed_string(attributes, &ID_KEYS[2..]),
            );
        }
        // At most one spelling of each: all that is held is taken.
        let mut take = |first: usize, second: usize| match self.slots[first].take() {
            Some((_, id)) => Some((ID_KEYS[first], id)),
            None => self.slots[second]
                .take()
                .map(|(_, id)| (ID_KEYS[second], id)),
        };
        (take(0, 1), take(2, 3))
    }

    /// Lets go of any id still held.
    pub(super) fn clear(&mut self) {
        if self.any() {
            *self = Ids::default();
        }
    }
}
