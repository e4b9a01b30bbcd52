//! Shape 3, the CloudEvent (the I/O Events `cloud_events` delivery format):
//! `{"specversion": "1.0", "type": CODE, "source", "id", "time", "data": RUN, ...}`.

use serde_json::Value;

use super::bare_run::MaybeRun;
use super::item::{merge_fields, take_string, take_timestamp, Around};
use super::path::{NotFound, Path, Step, CLOUD_EVENT, RUN};
use super::Sink;
use crate::{EventCode, Format};

/// Hands on the notification of a CloudEvent whose `data` is `data`.
pub(super) fn push_cloud_event(
    data: Option<&mut MaybeRun>,
    around: Around<'_>,
    out: &mut impl Sink,
    path: &Path<'_>,
) -> Result<(), NotFound> {
    let data = data.ok_or_else(|| NotFound::at(path, CLOUD_EVENT))?;
    data.check(&path.child(Step::Key("data")), RUN)?;
    let Around {
        mut attributes,
        id_keys,
        event_id,
        recipient_client_id,
        journal_position,
        stray,
        stray_holds,
    } = around;
    let cloud_event_id = stray.id.take();
    merge_fields(&mut attributes, stray_holds, stray);
    let code = match take_string(&mut attributes, &["type"]) {
        Some(code) => EventCode::from(code),
        None => EventCode::of_run(&data.run),
    };
    let published_at = take_timestamp(&mut attributes, "time");
    let mut cloud_event = notification!(
        format: Format::CloudEvent,
        event_code: code,
        envelope: attributes,
        published_at: published_at,
        message: None,
        journal_position: journal_position,
        run: data,
    );
    cloud_event.recipient_client_id = recipient_client_id;
    cloud_event.id_keys = id_keys;
    // The I/O Events id comes first; the CloudEvent's own `id` then stays in the envelope.
    cloud_event.event_id = match (event_id, cloud_event_id) {
        (None, id) => {
            cloud_event.id_keys = id_keys.with_event_id_key(id.as_ref().map(|_| "id"));
            id
        }
        (Some(event_id), Some(id)) => {
            cloud_event.envelope.insert("id", Value::String(id));
            Some(event_id)
        }
        (Some(event_id), None) => Some(event_id),
    };
    out.push(cloud_event);
    Ok(())
}
