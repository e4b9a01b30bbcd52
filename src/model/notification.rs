//! The notification: one flow run as a delivery reported it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize, Serializer};

use super::element::{Element, IdKeys};
use crate::json::Absent;
use chrono::{DateTime, TimeDelta, Utc};

use super::{DistinctError, FoundError, Outcome};
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
///
/// Serialising a notification writes back the wire element it was read from, envelope
/// included, and deserialising reads such an element: `parse_notification` and
/// `serde_json::from_slice::<Notification>` read stored output back to an equal value. For a
/// flat view to display, see [`Notification::normalized`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notification {
    /// The event id: `event_id` or `eventid` of an I/O event, the `id` of a CloudEvent. The
    /// same id arrives in the `x-adobe-event-id` header, and twice when Adobe redelivers.
    pub event_id: Option<String>,
    /// What the notification reports.
    pub event_code: EventCode,
    /// The client id the delivery was meant for: `recipient_client_id` or
    /// `recipientclientid`.
    pub recipient_client_id: Option<String>,
    /// The wire shape it came in.
    pub format: Format,
    /// When it was published: a message's `timestamp`, a CloudEvent's `time`.
    pub published_at: Option<Timestamp>,
    /// Its position in the I/O Events journal, when read from a journal page.
    pub journal_position: Option<String>,
    /// The journal entry's members beside `position` and `event`, as they came, when read
    /// from a journal page whose entries carry more (the I/O Events SDK's sample has a
    /// `body`).
    pub journal_entry: Extra,
    /// The envelope's other fields, as they came (CloudEvent `source`, the fields of a
    /// message list's object beside `messages`, an id given under both its names, ...).
    pub envelope: Extra,
    /// A message's own fields (`msgType`, `schema`, `provider`, ...), when it came in a
    /// message list; the list object's other fields, shared by its messages, are in
    /// `envelope`.
    pub message_info: Option<Box<MessageInfo>>,
    /// The flow run.
    pub run: FlowRun,
    /// The spellings its ids came under.
    pub(crate) id_keys: IdKeys,
}

fn is_missing(code: &EventCode) -> bool {
    *code == EventCode::Missing
}

impl Serialize for Notification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Element {
            format: self.format,
            id_keys: self.id_keys,
            journal_entry: &self.journal_entry,
            event_id: self.event_id.as_deref(),
            event_code: &self.event_code,
            recipient_client_id: self.recipient_client_id.as_deref(),
            published_at: self.published_at.as_ref(),
            journal_position: self.journal_position.as_deref(),
            envelope: &self.envelope,
            message: self.message_info.as_deref(),
            payload: Cow::<RunElement<'_>>::Owned(RunElement {
                run: &self.run,
                mark: run_mark(self),
            }),
        }
        .serialize(serializer)
    }
}

/// The empty member a run is written with so that it reads back as a run, when what it
/// holds would not make it one: an empty `metrics` when its metrics and activities are all
/// absent (they came as `{}` or `[]`), an empty `activities` when its metrics hold none of a
/// run's summaries. An item of a run list that carries run fields and nothing else needs
/// neither: it is a run by its list.
fn run_mark(notification: &Notification) -> RunMark {
    let run = &notification.run;
    let list_run =
        notification.format == Format::RunListItem && run.extra.is_empty() && !run.is_absent();
    let metrics_absent = run.metrics.is_absent();
    if list_run || !run.activities.is_empty() || (!metrics_absent && run.metrics.is_run_metrics()) {
        RunMark::default()
    } else if metrics_absent {
        RunMark {
            metrics: Some(EmptyObject {}),
            activities: None,
        }
    } else {
        RunMark {
            metrics: None,
            activities: Some([]),
        }
    }
}

/// The run as its element writes it.
#[derive(Clone, Serialize)]
struct RunElement<'a> {
    #[serde(flatten)]
    run: &'a FlowRun,
    #[serde(flatten)]
    mark: RunMark,
}

/// See [`run_mark`].
#[derive(Clone, Copy, Default, Serialize)]
struct RunMark {
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<EmptyObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activities: Option<[(); 0]>,
}

#[derive(Clone, Copy, Serialize)]
struct EmptyObject {}

/// A notification as one flat object, for display and logs: `eventCode`, `format`, the ids,
/// `publishedAt`, `journalPosition`, `envelope`, `message` and `run`, whatever shape it came
/// in. From [`Notification::normalized`]; it is written, never read.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NormalizedNotification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<&'a str>,
    #[serde(skip_serializing_if = "is_missing")]
    event_code: &'a EventCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient_client_id: Option<&'a str>,
    format: Format,
    #[serde(skip_serializing_if = "Option::is_none")]
    published_at: Option<&'a Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    journal_position: Option<&'a str>,
    #[serde(skip_serializing_if = "Extra::is_empty")]
    envelope: &'a Extra,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_info: Option<&'a MessageInfo>,
    run: &'a FlowRun,
}

/// The wire shape a notification came in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    #[default]
    BareRun,
    /// An item of a Flow Service run list, `{"items": [RUN, ...]}` (read by
    /// [`parse_events`](crate::parse_events)), a run by its position whatever it carries.
    RunListItem,
    /// An entry of a journal page that holds no `event` (kept whole as an
    /// [`OtherEvent`](crate::OtherEvent)).
    JournalEntry,
}

impl Notification {
    /// A flat view of the notification for display and logs (see
    /// [`NormalizedNotification`]).
    pub fn normalized(&self) -> NormalizedNotification<'_> {
        NormalizedNotification {
            event_id: self.event_id.as_deref(),
            event_code: &self.event_code,
            recipient_client_id: self.recipient_client_id.as_deref(),
            format: self.format,
            published_at: self.published_at.as_ref(),
            journal_position: self.journal_position.as_deref(),
            envelope: &self.envelope,
            message_info: self.message_info.as_deref(),
            run: &self.run,
        }
    }

    /// A notification for a run on its own, taking the event code from its header.
    pub fn from_run(run: FlowRun) -> Self {
        Notification {
            event_id: None,
            event_code: EventCode::of_run(&run),
            recipient_client_id: None,
            format: Format::BareRun,
            published_at: None,
            journal_position: None,
            journal_entry: Extra::new(),
            envelope: Extra::new(),
            message_info: None,
            run,
            id_keys: IdKeys::default(),
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
    ///
    /// A failure on either side wins: a failure or error code, or a `failed` status, gives
    /// [`Outcome::Failed`], so a payload that contradicts itself is never reported as a
    /// success. Otherwise the run decides ([`FlowRun::outcome`]: a success with errors is
    /// [`Outcome::PartialSuccess`]); a success code stands in for a run that says nothing
    /// (no status, or one still pending).
    ///
    /// ```
    /// use aep_flow_run::{parse_notification, Outcome};
    ///
    /// // Adobe's success event: the code and the status agree.
    /// let body = std::fs::read("fixtures/adobe-docs/io-event-sources-flow-run-success.json")?;
    /// assert_eq!(parse_notification(&body)?.outcome(), Outcome::Success);
    /// // A success code around a failed run is a failure.
    /// let body = br#"{"event_id": "e", "event": {"metrics": {"statusSummary": {"status": "failed"}},
    ///     "header": {"_adobeio": {"eventCode": "sources_flow_run_success"}}}}"#;
    /// assert_eq!(parse_notification(body)?.outcome(), Outcome::Failed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn outcome(&self) -> Outcome {
        match (self.event_code.outcome_hint(), self.run.outcome()) {
            (Some(false), _) | (_, Outcome::Failed) => Outcome::Failed,
            (Some(true), Outcome::Pending | Outcome::Unknown) => Outcome::Success,
            (_, run) => run,
        }
    }

    /// Every error entry of the run; see [`FlowRun::errors`].
    pub fn errors(&self) -> impl Iterator<Item = FoundError<'_>> + '_ {
        self.run.errors()
    }

    /// The run's errors, one entry per problem; see [`FlowRun::distinct_errors`].
    pub fn distinct_errors(&self) -> Vec<DistinctError<'_>> {
        self.run.distinct_errors()
    }
}

/// The everyday questions of [`FlowRun`], asked of the notification's run.
macro_rules! ask_the_run {
    ($($(#[$doc:meta])* $name:ident -> $ty:ty;)*) => {
        impl Notification {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> $ty {
                    self.run.$name()
                }
            )*
        }
    };
}

ask_the_run! {
    /// The run's status; see [`FlowRun::status`].
    status -> Option<&Status>;
    /// When the run started; see [`FlowRun::started_at`].
    started_at -> Option<DateTime<Utc>>;
    /// When the run completed; see [`FlowRun::completed_at`].
    completed_at -> Option<DateTime<Utc>>;
    /// How long the run took; see [`FlowRun::duration`].
    duration -> Option<TimeDelta>;
    /// Records read; see [`FlowRun::input_records`].
    input_records -> Option<u64>;
    /// Records written; see [`FlowRun::output_records`].
    output_records -> Option<u64>;
    /// Records that failed; see [`FlowRun::failed_records`].
    failed_records -> Option<u64>;
    /// Bytes read; see [`FlowRun::input_bytes`].
    input_bytes -> Option<u64>;
    /// Bytes written; see [`FlowRun::output_bytes`].
    output_bytes -> Option<u64>;
    /// Files read; see [`FlowRun::input_files`].
    input_files -> Option<u64>;
    /// Files written; see [`FlowRun::output_files`].
    output_files -> Option<u64>;
}
