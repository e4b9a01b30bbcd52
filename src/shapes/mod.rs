//! Telling the delivery shapes apart in one pass over the body: one file per wire shape of
//! DESIGN.md around the classifier ([`item`]), which reads each top-level object once and
//! decides its shape when the object ends.

/// Builds a notification around a run in one go, which is then moved only into the sink:
/// every step between would copy the notification's 1.7 KB once more. (A closure, which LLVM
/// keeps out of line, returned it through one such step.)
macro_rules! notification {
    (
        format: $format:expr,
        event_code: $event_code:expr,
        envelope: $envelope:expr,
        published_at: $published_at:expr,
        message: $message:expr,
        journal_position: $journal_position:expr,
        run: $run:expr $(,)?
    ) => {
        // The run and the message first: made before the calls that the other fields need,
        // LLVM moves them straight into place.
        $crate::Notification {
            run: $run.take_run(),
            message_info: $message,
            event_id: None,
            event_code: $event_code,
            recipient_client_id: None,
            format: $format,
            published_at: $published_at,
            journal_position: $journal_position.map(str::to_owned),
            journal_entry: $crate::Extra::new(),
            envelope: $envelope,
            id_keys: Default::default(),
        }
    };
}

mod bare_run;
mod batch;
mod cloud_event;
mod envelope;
mod events;
mod ids;
mod item;
mod journal_page;
mod message_list;
mod not_a_run;
mod path;
mod run_list;
mod unknown_fields;

use batch::read;
pub(crate) use events::events;
#[cfg(test)]
pub(crate) use events::events_of_value;
use path::{NotFound, NOTIFICATION};
pub(crate) use run_list::runs;
#[cfg(test)]
pub(crate) use run_list::runs_by;

use crate::{Error, Event, Notification};

/// Where notifications go: a list, or [`Single`] for `parse_notification`.
pub(crate) trait Sink {
    /// Whether it takes events that are no runs (`parse_events`' list does).
    const TAKES_EVENTS: bool = false;

    fn push(&mut self, notification: Notification);

    /// Takes an event: a flow run always, any other only when [`Sink::TAKES_EVENTS`].
    fn push_event(&mut self, event: Event) {
        if let Event::FlowRun(notification) = event {
            self.push(notification);
        }
    }

    /// Forgets what was pushed, before a body is read again by the other route.
    fn clear(&mut self);
}

impl Sink for Vec<Notification> {
    fn push(&mut self, notification: Notification) {
        Vec::push(self, notification);
    }

    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// Keeps the first notification and counts them all, so that reading a single one needs no
/// list.
#[derive(Default)]
pub(crate) struct Single {
    pub(crate) first: Option<Notification>,
    pub(crate) count: usize,
}

impl Sink for Single {
    // Out of line, the notification comes by reference to where the caller built it, and is
    // copied once, into `first`; inlined, LLVM copied it to a second place first, for the
    // drop of the branch not taken.
    #[inline(never)]
    fn push(&mut self, notification: Notification) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(notification);
        }
    }

    fn clear(&mut self) {
        *self = Single::default();
    }
}

/// Parses any delivery body into its notifications.
///
/// A body the one-pass reader refuses for a repeated key is read again as a value, where the
/// last value of a key wins, as `JSON.parse` and `serde_json::Value` read it.
pub(crate) fn notifications<S: Sink>(body: &[u8], out: &mut S) -> Result<(), Error> {
    notifications_fast(body, out).or_else(|first| {
        out.clear();
        events::notifications_of_value(body, first, out)
    })
}

/// Parses a body of flow-run notifications in one pass, refusing a repeated key.
pub(super) fn notifications_fast<S: Sink>(body: &[u8], out: &mut S) -> Result<(), Error> {
    notifications_by(Route::Direct, body, out)
}

pub(crate) fn notifications_by<S: Sink>(
    route: Route,
    body: &[u8],
    out: &mut S,
) -> Result<(), Error> {
    notifications_read(route, body, true, out)
}

/// Reads the notifications of a body; a body that holds something else stops the read, with
/// an error that says what stood there when `describe` is set.
fn notifications_read<S: Sink>(
    route: Route,
    body: &[u8],
    describe: bool,
    out: &mut S,
) -> Result<(), Error> {
    read(route, body, describe, |element, path, _| match element {
        Some(item) => item.take_notifications(out, path, None),
        None => Err(NotFound::at(path, NOTIFICATION)),
    })
}

/// How the fast path reads a body with the crate's reader.
#[derive(Clone, Copy)]
pub(crate) enum Route {
    /// Straight into the types (`Fill::fill_direct`): what the parse functions use.
    Direct,
    /// Through serde's visitors over the same reader: the reference the tests hold the
    /// direct route to.
    #[cfg(test)]
    Serde,
}
