//! Shape 2, the message list: `[{"messages": [{"msgType", "version", "timestamp",
//! "imsOrgId", "schema", "provider", "_eventNotificationMeta", "value": RUN}]}]`.

use std::mem::ManuallyDrop;

use serde::Deserializer;

use super::bare_run::MaybeRun;
use super::item::{merge_fields, Around};
use super::path::{NotFound, Path, Step, RUN};
use super::Sink;
use crate::json::{
    duplicate, fill_list_direct, fill_object, fill_object_direct, Fields, Fill, Hook, Reader,
    Rejected,
};
use crate::{EventCode, Format, MessageInfo, Timestamp};

/// Hands on the notification of each message of a message list.
pub(super) fn push_messages(
    messages: &mut Messages,
    around: Around<'_>,
    out: &mut impl Sink,
    path: &Path<'_>,
) -> Result<(), NotFound> {
    let Around {
        mut attributes,
        journal_position,
        stray,
        stray_holds,
        ..
    } = around;
    let messages_path = path.child(Step::Key("messages"));
    merge_fields(&mut attributes, stray_holds, stray);
    // Each message is taken apart where it lies in the list: moved out whole, it was copied
    // twice more (1.5 KB each time) on its way.
    let mut index = 0;
    while let Some(message) = messages.get_mut(index) {
        let message_path = messages_path.child(Step::Index(index));
        let value = &mut message.value;
        value.check(&message_path.child(Step::Key("value")), RUN)?;
        let code = match message
            .info
            .event_notification_meta
            .as_ref()
            .and_then(|meta| meta.event_type.as_deref())
        {
            Some(code) => EventCode::from(code),
            None => EventCode::of_run(&value.run),
        };
        // The list object's own fields belong to each of its messages.
        let envelope = attributes.clone();
        let published_at = message.timestamp.take();
        let info = Some(Box::new(std::mem::take(&mut message.info)));
        out.push(notification!(
            format: Format::Message,
            event_code: code,
            envelope: envelope,
            published_at: published_at,
            message: info,
            journal_position: journal_position,
            run: value,
        ));
        index += 1;
    }
    messages.spent = true;
    Ok(())
}

/// The messages of a message list, taken apart in place once the list is known to be one
/// (see [`push_messages`]).
///
/// The first stands in place, the others in a list: nearly every list holds one message, and
/// a list of even one takes a block of 1.5 KB, a size for which glibc's `malloc` first merges
/// all the small blocks the last parse freed (`malloc_consolidate`).
#[derive(Default)]
pub(super) struct Messages {
    first: Option<ManuallyDrop<Message>>,
    /// The others, dropped as usual (taken apart, they own no heap, but their drop code still
    /// runs: rare enough).
    rest: Vec<Message>,
    /// Whether every message has been taken apart: the first then owns no heap, and is let go
    /// of without walking its drop code.
    spent: bool,
}

impl Messages {
    /// The message at `index`. (Iterating by index: a chain of the first and the rest made
    /// LLVM copy each message's run, 1.3 KB, once more on its way into its notification.)
    fn get_mut(&mut self, index: usize) -> Option<&mut Message> {
        // Read through serde, every message is in the list and none in `first`.
        let Messages { first, rest, .. } = self;
        let in_rest = match (first, index) {
            (Some(first), 0) => return Some(first),
            (Some(_), index) => index - 1,
            (None, index) => index,
        };
        rest.get_mut(in_rest)
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        if let (Some(first), false) = (&mut self.first, self.spent) {
            drop(ManuallyDrop::into_inner(std::mem::take(first)));
        }
    }
}

impl<'de> Fill<'de> for Messages {
    // Through serde (a body that failed, read again to say where), every message goes to
    // the list.
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        Fill::fill(&mut place.rest, deserializer)
    }

    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        let Messages { first, rest, .. } = place;
        fill_list_direct(rest, reader, |reader| {
            if first.is_some() {
                return Ok(false);
            }
            let message = first.insert(ManuallyDrop::default());
            if !Message::fill_direct(message, reader)? {
                // A `null` element: the default left as it was owns no heap.
                *first = None;
            }
            Ok(true)
        })
    }
}

/// One message of a message list: its own fields, its time and its run.
#[derive(Default)]
pub(super) struct Message {
    info: MessageInfo,
    timestamp: Option<Timestamp>,
    value: MaybeRun,
}

/// Takes a message's `timestamp` and `value` while its other fields fill a [`MessageInfo`].
struct MessageParts<'a> {
    timestamp: &'a mut Option<Timestamp>,
    value: &'a mut MaybeRun,
    seen: [bool; 2],
}

impl<'de> Hook<'de> for MessageParts<'_> {
    fn take<F: Fields<'de>>(&mut self, key: &str, fields: &mut F) -> Result<bool, F::Error> {
        let slot = match key {
            "timestamp" => 0,
            "value" => 1,
            _ => return Ok(false),
        };
        if std::mem::replace(&mut self.seen[slot], true) {
            return Err(duplicate(key));
        }
        if slot == 0 {
            fields.fill_value(&mut *self.timestamp)?;
        } else {
            fields.fill_value(&mut *self.value)?;
        }
        Ok(true)
    }
}

impl Message {
    /// The message's info to fill, and the hook that takes its time and run.
    fn parts(&mut self) -> (&mut MessageInfo, MessageParts<'_>) {
        let Message {
            info,
            timestamp,
            value,
        } = self;
        let parts = MessageParts {
            timestamp,
            value,
            seen: [false; 2],
        };
        (info, parts)
    }
}

impl<'de> Fill<'de> for Message {
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        let (info, mut parts) = place.parts();
        fill_object(info, &mut parts, deserializer)
    }

    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        let (info, mut parts) = place.parts();
        fill_object_direct(info, &mut parts, reader)
    }
}
