//! What users read: the notification around a run, the run and its activities, their
//! metrics summaries, status and errors, the open enums of codes, and the wire values that
//! keep what came (timestamps, counts, links).

mod alert;
mod count;
mod element;
mod error_code;
mod event;
mod event_code;
mod found_error;
mod link;
mod manifest;
mod message;
mod metrics;
mod notification;
mod run;
#[cfg(test)]
mod sizes;
mod status;
mod timestamp;

pub(crate) use alert::AlertObject;
pub use alert::{Alert, AlertStatus};
pub use count::{Count, CountTotal, WireCount};
pub(crate) use element::{Context, IdKeys};
pub use error_code::{ErrorCode, ErrorCodeParts};
pub use event::{Event, EventKind, OtherEvent};
pub use event_code::EventCode;
pub use found_error::{DistinctError, ErrorSite, FoundError};
pub use link::Link;
pub use manifest::{FileManifest, Manifest};
pub use message::{EventNotificationMeta, MessageInfo, MessageSchema};
pub(crate) use metrics::RUN_METRICS;
pub use metrics::{
    DurationSummary, EntitySummary, FileExtensions, FileSummary, LatencySummary, Metrics,
    RecordSummary, SizeSummary,
};
pub use notification::{Format, NormalizedNotification, Notification};
pub use run::{
    Activity, AdobeIoHeader, ConnectionInfo, ConnectionReference, EventHeader, FlowRun,
    FlowSpecRef, Predecessor,
};
pub use status::{Outcome, RunError, Status, StatusExtensions, StatusSummary};
pub use timestamp::Timestamp;
