//! Shape 1, the I/O Events envelope: `{"event_id", "event": RUN, "recipient_client_id"}`
//! (or the newer `eventid` and `recipientclientid`).

use super::bare_run::MaybeRun;
use super::item::{merge_fields, Around};
use super::path::{NotFound, Path, Step, RUN};
use super::Sink;
use crate::{EventCode, Format};

/// Hands on the notification of an I/O Events envelope whose `event` is `event`.
pub(super) fn push_io_event(
    event: &mut MaybeRun,
    around: Around<'_>,
    out: &mut impl Sink,
    path: &Path<'_>,
) -> Result<(), NotFound> {
    event.check(&path.child(Step::Key("event")), RUN)?;
    let Around {
        mut attributes,
        id_keys,
        event_id,
        recipient_client_id,
        journal_position,
        stray,
        stray_holds,
    } = around;
    merge_fields(&mut attributes, stray_holds, stray);
    let code = EventCode::of_run(&event.run);
    let mut io_event = notification!(
        format: Format::IoEvent,
        event_code: code,
        envelope: attributes,
        published_at: None,
        message: None,
        journal_position: journal_position,
        run: event,
    );
    io_event.event_id = event_id;
    io_event.id_keys = id_keys;
    io_event.recipient_client_id = recipient_client_id;
    out.push(io_event);
    Ok(())
}
