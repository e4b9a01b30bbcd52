//! What a message of a message list says about itself, around its run.

use std::borrow::Cow;

use crate::json::wire_object;

wire_object! {
/// The fields of a message-list entry other than its run (`value`) and time (`timestamp`,
/// given as [`Notification::published_at`](crate::Notification::published_at)).
///
/// ```
/// let body = std::fs::read("fixtures/adobe-docs/message-list-sources-flow-run-failed.json")?;
/// let notification = aep_flow_run::parse_notification(&body)?;
/// let message = notification.message_info.as_ref().expect("it came in a message list");
/// assert_eq!(message.msg_type.as_deref(), Some("eventNotification"));
/// assert_eq!(message.provider.as_deref(), Some("FlowService"));
/// let schema = message.schema.as_ref().unwrap();
/// assert_eq!(schema.name.as_deref(), Some("run-notification"));
/// let meta = message.event_notification_meta.as_ref().unwrap();
/// assert_eq!(meta.category.as_deref(), Some("Platform Notifications"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MessageInfo expecting "a message object" {
    /// `msgType`, such as `eventNotification`.
    "msgType" => msg_type: Option<Cow<'static, str>>,
    /// `version` of the message format.
    "version" => version: Option<Cow<'static, str>>,
    /// `imsOrgId`: the organization the message was sent to.
    "imsOrgId" => ims_org_id: Option<String>,
    /// `provider`, such as `FlowService`.
    "provider" => provider: Option<Cow<'static, str>>,
    /// `schema`: the schema of the message.
    "schema" => schema: Option<MessageSchema>,
    /// `_eventNotificationMeta`: its `type` is the event code.
    "_eventNotificationMeta" => event_notification_meta: Option<EventNotificationMeta>,
}
}

wire_object! {
/// A message's `schema`: `{"name": "run-notification", "version": "1.0"}`.
pub struct MessageSchema expecting "a message schema object" {
    /// `name`.
    "name" => name: Option<Cow<'static, str>>,
    /// `version`.
    "version" => version: Option<Cow<'static, str>>,
}
}

wire_object! {
/// A message's `_eventNotificationMeta`: `{"category": "Platform Notifications", "type":
/// "sources_flow_run_failed"}`.
pub struct EventNotificationMeta expecting "an _eventNotificationMeta object" {
    /// `category`.
    "category" => category: Option<Cow<'static, str>>,
    /// `type`: the event code, read into [`Notification::event_code`](crate::Notification::event_code).
    "type" => event_type: Option<Cow<'static, str>>,
}
}
