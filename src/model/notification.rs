//! The notification: one flow run as a delivery reported it.

use serde::{Deserialize, Serialize};

use super::{FoundError, Outcome};
use crate::{EventCode, Extra, FlowRun, MessageInfo, Status, Timestamp};

/// One flow-run notification, whatever shape it came in.
///
/// ```
/// use aep_flow_run::{parse_notification, EventCode, Format};
///
/// let body = br#"{"event_id": "ev-1", "recipient_client_id": "my-client", "event": {
///     "id": "run-1", "metrics": {"statusSummary": {"status": "failed",
///         "errors": [{"code": "CONNECTOR-1001-500", "message": "Error in copying the data from Source."}]}},
///     "header": {"_adobeio": {"eventCode": "sources_flow_run_failed"}}}}"#;
/// let notification = parse_notification(body)?;
/// assert_eq!(notification.event_id.as_deref(), Some("ev-1"));
/// assert_eq!(notification.event_code, EventCode::FlowRunFailure);
/// assert_eq!(notification.format, Format::IoEvent);
/// assert!(!notification.is_success());
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The event id: `event_id` or `eventid` of an I/O event, the `id` of a CloudEvent. The
    /// same id arrives in the `x-adobe-event-id` header, and twice when Adobe redelivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// What the notification reports.
    #[serde(default, skip_serializing_if = "is_missing")]
    pub event_code: EventCode,
    /// The client id the delivery was meant for: `recipient_client_id` or
    /// `recipientclientid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_client_id: Option<String>,
    /// The wire shape it came in.
    pub format: Format,
    /// When it was published: a message's `timestamp`, a CloudEvent's `time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<Timestamp>,
    /// Its position in the I/O Events journal, when read from a journal page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_position: Option<String>,
    /// The envelope's other fields, as they came (CloudEvent `source`, the fields of a
    /// message list's object beside `messages`, an id given under both its names, ...).
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub envelope: Extra,
    /// A message's own fields (`msgType`, `schema`, `provider`, ...), when it came in a
    /// message list; the list object's other fields, shared by its messages, are in
    /// `envelope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageInfo>,
    /// The flow run.
    pub run: FlowRun,
}

fn is_missing(code: &EventCode) -> bool {
    *code == EventCode::Missing
}

/// The wire shape a notification came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// An I/O Events envelope, `{"event_id", "event": RUN}`.
    IoEvent,
    /// A message of a message list, `[{"messages": [{"value": RUN}]}]`.
    Message,
    /// A CloudEvent, `{"specversion", "type", "data": RUN}`.
    CloudEvent,
    /// A run on its own (observability alerts, Flow Service API items).
    BareRun,
}

impl Notification {
    /// A notification for a run on its own, taking the event code from its header.
    pub fn from_run(run: FlowRun) -> Self {
        Notification {
            event_id: None,
            event_code: EventCode::of_run(&run),
            recipient_client_id: None,
            format: Format::BareRun,
            published_at: None,
            journal_position: None,
            envelope: Extra::new(),
            message: None,
            run,
        }
    }

    /// Whether the run succeeded: by the event code when it says (success, or failure and
    /// error), otherwise (info, missing or unknown codes) by the run's status. A success with
    /// errors (partial ingestion) is a success; see [`Notification::outcome`].
    pub fn is_success(&self) -> bool {
        match self.event_code.outcome_hint() {
            Some(success) => success,
            None => matches!(
                self.run.status(),
                Some(Status::Success | Status::PartialSuccess)
            ),
        }
    }

    /// How the run ended, reading the event code, the status and the errors together.
    pub fn outcome(&self) -> Outcome {
        match self.event_code.outcome_hint() {
            Some(false) => Outcome::Failed,
            Some(true) if self.run.outcome() != Outcome::PartialSuccess => Outcome::Success,
            _ => self.run.outcome(),
        }
    }

    /// Every error entry of the run; see [`FlowRun::errors`].
    pub fn errors(&self) -> impl Iterator<Item = FoundError<'_>> + '_ {
        self.run.errors()
    }
}
