//! Observability alerts about a flow that are not runs: delay, error rate, skipped records.

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::element::{Context, Element, IdKeys};
use crate::json::{open_enum, wire_object};
use crate::{EventCode, EventHeader, Extra, Format, Link, MessageInfo, Timestamp};

open_enum! {
/// An alert's `status`: whether its condition holds now.
pub enum AlertStatus expecting "an alert status string" {
    /// `FIRING`: the condition holds (a run is late, the error rate is above its threshold).
    Firing = "FIRING",
    /// `INACTIVE`: the condition has cleared; `resolvedAt` says when.
    Inactive = "INACTIVE",
}
}

impl crate::json::Direct<'_> for AlertStatus {}

wire_object! {
/// The alert object as it comes on the wire.
pub(crate) struct AlertObject expecting "an alert object" {
    "id" => id: Option<String>,
    "status" => status: Option<AlertStatus>,
    "name" => name: Option<String>,
    "message" => message: Option<String>,
    "createdAt" => created_at: Option<Timestamp>,
    "resolvedAt" => resolved_at: Option<Timestamp>,
    "severity" => severity: Option<String>,
    "imsOrgId" => ims_org_id: Option<String>,
    "sandboxName" => sandbox_name: Option<String>,
    "sandboxId" => sandbox_id: Option<String>,
    "value" => value: Option<Value>,
    "url" => url: Option<Link>,
    "flowId" => flow_id: Option<String>,
    "flowRunId" => flow_run_id: Option<String>,
    "header" => header: Option<Box<EventHeader>>,
}
}

/// An observability alert about a flow that is not a run: `{id, status, name, message,
/// createdAt, resolvedAt, severity, value, url, flowId, flowRunId, imsOrgId, sandboxName,
/// header}`, as the AEP "Standard alert rules" publish them (flow run delay, ingestion error
/// rate, skipped records).
///
/// ```
/// use aep_flow_run::{parse_events, AlertStatus, Event};
///
/// let body = std::fs::read("fixtures/adobe-docs/not-a-run-alert-error-rate.json")?;
/// let events = parse_events(&body)?;
/// let Event::Alert(alert) = &events[0] else { panic!("an alert") };
/// assert_eq!(alert.name.as_deref(), Some("sources_ingestion_error_rate_exceeded"));
/// assert_eq!(alert.status, Some(AlertStatus::Inactive));
/// assert!(!alert.is_firing());
/// assert_eq!(alert.flow_id.as_deref(), Some("4045eb32-95e2-4c54-a6b2-07209c43fff7"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Serialising an alert writes back the wire element it came in, envelope included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Alert {
    /// `id`: the alert's id (not an I/O Events event id).
    pub id: Option<String>,
    /// `name`: the rule, such as `sources_ingestion_error_rate_exceeded`.
    pub name: Option<String>,
    /// `status`: `FIRING` or `INACTIVE`.
    pub status: Option<AlertStatus>,
    /// `message`: the text Adobe shows.
    pub message: Option<String>,
    /// `createdAt`: when the condition began.
    pub created_at: Option<Timestamp>,
    /// `resolvedAt`: when it cleared.
    pub resolved_at: Option<Timestamp>,
    /// `severity` (`high`, `medium`, `low`).
    pub severity: Option<String>,
    /// `value`: the measured value that crossed the threshold, as sent (often a string).
    pub value: Option<Value>,
    /// `url`: where the flow's monitoring page is.
    pub url: Option<Link>,
    /// `flowId`.
    pub flow_id: Option<String>,
    /// `flowRunId`, when the alert is about one run.
    pub flow_run_id: Option<String>,
    /// `imsOrgId`.
    pub ims_org_id: Option<String>,
    /// `sandboxName`.
    pub sandbox_name: Option<String>,
    /// `sandboxId`.
    pub sandbox_id: Option<String>,
    /// `header`, with `_adobeio.eventCode`.
    pub header: Option<Box<EventHeader>>,
    /// The alert object's other fields, kept as they came.
    pub extra: Extra,
    /// The I/O Events event id of the delivery element (`event_id`, `eventid`, or the
    /// CloudEvent `id`).
    pub event_id: Option<String>,
    /// The event code: `header._adobeio.eventCode`, a CloudEvent's `type`, or a message's
    /// `_eventNotificationMeta.type`.
    pub event_code: EventCode,
    /// The recipient client id of the delivery element.
    pub recipient_client_id: Option<String>,
    /// The wire shape the alert came in.
    pub format: Format,
    /// When it was published: a message's `timestamp`, a CloudEvent's `time`.
    pub published_at: Option<Timestamp>,
    /// Its position in the I/O Events journal, when read from a journal page.
    pub journal_position: Option<String>,
    /// The journal entry's members beside `position` and `event`, as they came.
    pub journal_entry: Extra,
    /// The envelope's other fields, as they came.
    pub envelope: Extra,
    /// A message's own fields, when it came in a message list.
    pub message_info: Option<Box<MessageInfo>>,
    /// The spellings its ids came under.
    pub(crate) id_keys: IdKeys,
}

impl Alert {
    /// Whether the alert's condition holds now (`FIRING`).
    pub fn is_firing(&self) -> bool {
        self.status == Some(AlertStatus::Firing)
    }

    pub(crate) fn from_parts(object: AlertObject, context: Context) -> Self {
        let AlertObject {
            id,
            status,
            name,
            message,
            created_at,
            resolved_at,
            severity,
            ims_org_id,
            sandbox_name,
            sandbox_id,
            value,
            url,
            flow_id,
            flow_run_id,
            header,
            extra,
        } = object;
        let event_code = match context.event_code {
            EventCode::Missing => header
                .as_ref()
                .and_then(|header| header.adobeio.as_ref()?.event_code.as_deref())
                .map(EventCode::from)
                .unwrap_or_default(),
            code => code,
        };
        Alert {
            id,
            name,
            status,
            message,
            created_at,
            resolved_at,
            severity,
            value,
            url,
            flow_id,
            flow_run_id,
            ims_org_id,
            sandbox_name,
            sandbox_id,
            header,
            extra,
            event_id: context.event_id,
            event_code,
            recipient_client_id: context.recipient_client_id,
            format: context.format,
            published_at: context.published_at,
            journal_position: context.journal_position,
            journal_entry: context.journal_entry,
            envelope: context.envelope,
            message_info: context.message,
            id_keys: context.id_keys,
        }
    }

    fn object(&self) -> AlertObject {
        let mut object = AlertObject::default();
        object.id.clone_from(&self.id);
        object.status.clone_from(&self.status);
        object.name.clone_from(&self.name);
        object.message.clone_from(&self.message);
        object.created_at.clone_from(&self.created_at);
        object.resolved_at.clone_from(&self.resolved_at);
        object.severity.clone_from(&self.severity);
        object.ims_org_id.clone_from(&self.ims_org_id);
        object.sandbox_name.clone_from(&self.sandbox_name);
        object.sandbox_id.clone_from(&self.sandbox_id);
        object.value.clone_from(&self.value);
        object.url.clone_from(&self.url);
        object.flow_id.clone_from(&self.flow_id);
        object.flow_run_id.clone_from(&self.flow_run_id);
        object.header.clone_from(&self.header);
        object.extra.clone_from(&self.extra);
        object
    }

    fn element(&self) -> Element<'_, AlertObject> {
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
            payload: std::borrow::Cow::Owned(self.object()),
        }
    }
}

impl Serialize for Alert {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.element().serialize(serializer)
    }
}
