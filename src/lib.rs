//! Typed, lossless parsing of Adobe Experience Platform flow-run notifications.
//!
//! Platform reports each run of a dataflow (a *flow run*) with its metrics and errors through
//! Adobe I/O Events webhooks (single or batched), the events journal, observability alerts and
//! the Flow Service API, in several JSON shapes. This crate reads any of them, as raw bytes,
//! into one typed shape: [`Notification`] around a [`FlowRun`], its [`Metrics`] and
//! [`Activity`] list, and typed [`ErrorCode`]s to `match` on.
//!
//! ```
//! use aep_flow_run::{parse_notifications, ErrorCode, EventCode};
//!
//! let body = std::fs::read("fixtures/adobe-docs/message-list-sources-flow-run-failed.json")?;
//! for notification in parse_notifications(&body)? {
//!     assert_eq!(notification.event_code, EventCode::FlowRunFailure);
//!     for found in notification.errors() {
//!         if found.error.code == ErrorCode::ProcessToPlatform {
//!             println!("{}: {}", found.path(), found.error.code.description().unwrap());
//!         }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The shapes
//!
//! [`parse_notifications`] takes any delivery body and tells the shape by its structure:
//!
//! 1. an I/O Events envelope, `{"event_id", "event": RUN}` (or `eventid`);
//! 2. a message list, `[{"messages": [{"_eventNotificationMeta", "value": RUN}]}]`;
//! 3. a CloudEvent, `{"specversion", "type", "id", "data": RUN}`;
//! 4. a bare run with its `header` (observability alerts);
//! 5. a batch: an array of shapes 1, 3 and 4;
//! 6. a journal page, `{"events": [{"position", "event"}]}`.
//!
//! [`parse_runs`] reads Flow Service run lists, `{"items": [RUN, ...]}`, and single runs.
//! An object is a run when it has a `metrics` object or an `activities` array.
//!
//! [`parse_events`] reads every event of any of these bodies: flow runs, observability alerts
//! ([`Alert`]) and any other event ([`OtherEvent`], kept verbatim), so a registration that
//! subscribes to more than flow runs loses nothing.
//!
//! # The field policy
//!
//! Every field is optional, `null` reads as absent, and unknown fields are kept in the `extra`
//! map of each object and written back on serialisation, so serialising a [`FlowRun`] gives
//! back the object it came from. A value of the wrong type in a known field is an
//! [`Error::InvalidField`] naming its JSON path. [`Count`] keeps Adobe's `-1` ("unknown") out
//! of sums; [`Timestamp`] reads epoch milliseconds, the epoch seconds of Adobe's own examples
//! and RFC 3339; [`Link`] exposes manifest links as URLs. [`EventCode`], [`Status`] and
//! [`ErrorCode`] keep unknown values in `Other`.
//!
//! Fields whose values come from a short list Adobe repeats in payload after payload (a
//! message's `msgType`, `provider` and `schema`, a connection's `type`, an error entry's
//! `type`, ...) are `Cow<'static, str>`: a well-known value borrows a static copy instead of
//! allocating one, any other value is owned as it came. Read them with `as_deref()`, like the
//! `String` fields.
//!
//! The crate makes no network calls and never panics on input: any bytes give a value or an
//! [`Error`] that says where and what.
//!
//! # Receiving webhooks, catching up from the journal
//!
//! With the cargo feature `webhook` (off by default), three modules receive Adobe I/O Events
//! safely:
//!
//! - `webhook`: one delivery in (signature and recipient verification, the registration
//!   challenge, typed delivery headers) through a framework-agnostic `webhook::Receiver`
//!   that hands over every event of a delivery, and the keys that sign deliveries;
//! - `store`: what the receiver and the journal share: the two-phase deduplication store,
//!   the latest state of each run, journal checkpoints (`store::MemoryStore`; with the
//!   `redis` feature, `store::RedisStore`, shared by replicas; with the `sqlite` feature,
//!   `store::SqliteStore`, in a file that survives restarts);
//! - `journal`: reading the I/O Events journal; with the `fetch` feature,
//!   `journal::JournalConsumer` catches up over HTTPS with tokens from Adobe IMS.
//!
//! The `http` feature adds `http::Request`/`http::Response` handling; `fetch` also fetches
//! Adobe's public keys (`webhook::HttpsKeySource`). The `aep-flow-run` binary's `serve`
//! command is a monitor built on them.
//!
//! The [`recipes`] hold tested examples of the everyday tasks.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "webhook")]
mod deadline;
mod error;
#[cfg(feature = "webhook")]
pub mod journal;
mod json;
mod model;
#[cfg(feature = "webhook")]
mod pluggable;
pub mod recipes;
mod shapes;
#[cfg(feature = "webhook")]
pub mod store;
#[cfg(feature = "webhook")]
mod sync;
#[cfg(test)]
mod tests;
#[cfg(feature = "webhook")]
mod text;
#[cfg(feature = "webhook")]
pub mod webhook;

/// The `chrono` crate, whose `DateTime<Utc>` and `TimeDelta` the time accessors return
/// ([`FlowRun::started_at`], [`FlowRun::duration`], [`Timestamp::to_utc`]).
pub use chrono;
pub use error::Error;
pub use json::extra;
pub use json::extra::Extra;
pub use json::rare::Rare;
pub use model::*;
#[cfg(feature = "webhook")]
pub use pluggable::{BoxError, BoxFuture, SharedError};
/// The `url` crate, whose `Url` the crate's API takes and gives (manifest links, key and
/// journal URLs, `KeySource::fetch`): name it as `aep_flow_run::url::Url`, with no
/// version to match in your Cargo.toml.
pub use url;

/// Parses a body that holds exactly one notification.
///
/// Any shape [`parse_notifications`] reads is accepted; a body with no notification (`[]`)
/// or several is [`Error::NotSingle`].
///
/// ```
/// let body = std::fs::read("fixtures/adobe-docs/io-event-sources-flow-run-success.json")?;
/// let notification = aep_flow_run::parse_notification(&body)?;
/// assert!(notification.is_success());
/// assert_eq!(notification.run.flow_id.as_deref(), Some("1c6f1047-dcaf-48fe-af10-47dcaf08feaf"));
/// let records = &notification.run.metrics.record_summary;
/// assert_eq!(records.input_record_count.as_ref().and_then(|c| c.get()), Some(100));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_notification(body: &[u8]) -> Result<Notification, Error> {
    let mut single = shapes::Single::default();
    shapes::notifications(body, &mut single)?;
    match single {
        shapes::Single {
            first: Some(notification),
            count: 1,
        } => Ok(notification),
        shapes::Single { count, .. } => Err(Error::NotSingle { count }),
    }
}

/// Parses any delivery body into its notifications: an I/O Events envelope, a message list,
/// a CloudEvent, a bare run, a batch of these, or a journal page. `[]` gives no notification.
///
/// ```
/// let body = br#"[
///   {"event_id": "a", "event": {"id": "run-1", "metrics": {"statusSummary": {"status": "success"}}}},
///   {"specversion": "1.0", "type": "sources_flow_run_failed", "id": "b",
///    "time": "2024-05-01T10:00:00Z", "data": {"id": "run-2", "activities": []}}
/// ]"#;
/// let notifications = aep_flow_run::parse_notifications(body)?;
/// let ids: Vec<_> = notifications.iter().map(|n| n.event_id.as_deref()).collect();
/// assert_eq!(ids, [Some("a"), Some("b")]);
/// assert!(aep_flow_run::parse_notifications(b"[]")?.is_empty());
///
/// let alert = br#"{"id": "x", "status": "FIRING", "name": "delay", "message": "late"}"#;
/// let error = aep_flow_run::parse_notifications(alert).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "expected a flow-run notification, found an object with keys id, status, name, message"
/// );
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
pub fn parse_notifications(body: &[u8]) -> Result<Vec<Notification>, Error> {
    let mut notifications = Vec::new();
    shapes::notifications(body, &mut notifications)?;
    Ok(notifications)
}

/// Parses every event of any delivery body, in order: flow runs, observability alerts, and
/// any other event (audit events, other products' events), kept verbatim.
///
/// It reads every shape [`parse_notifications`] reads, and Flow Service run lists (whose
/// items are runs by position). A body that mixes runs with other events is no error; what
/// is still an error, saying where: bytes that are not JSON, a top-level value that is no
/// object or array, a value of the wrong type in a field of a run or an alert.
///
/// A body of flow runs only takes the same one-pass reader as [`parse_notifications`]; any
/// other is read once more as a `serde_json::Value`, at about 2.7 times the cost of parsing
/// it into a `Value` alone.
///
/// Memory: each event holds about 1.7 KB besides its strings, and the smallest run
/// (`{"metrics":{}}`) is 14 bytes, so a body can take up to about 120 times its size (a
/// 2 MB batch of empty runs: some 240 MB). Limit what reaches it: Adobe's webhook batches
/// hold at most 20 events, and `webhook::Receiver` refuses bodies with more elements.
///
/// ```
/// use aep_flow_run::{parse_events, Event};
///
/// let body = std::fs::read("fixtures/events/batch-indesign-job-events.json")?;
/// for event in parse_events(&body)? {
///     match event {
///         Event::FlowRun(notification) => println!("run {:?}", notification.run.id),
///         Event::Alert(alert) => println!("alert {:?}, firing: {}", alert.name, alert.is_firing()),
///         Event::Other(other) => println!("{:?} {:?}", other.event_code, other.event_id),
///         _ => {}
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_events(body: &[u8]) -> Result<Vec<Event>, Error> {
    shapes::events(body)
}

/// Parses a Flow Service run list (`{"items": [RUN, ...]}`, the answer of `GET /runs`), a
/// single run, or an array of runs.
///
/// ```
/// let body = std::fs::read("fixtures/adobe-docs/api-runs-destination-batch-success.json")?;
/// let runs = aep_flow_run::parse_runs(&body)?;
/// let records = &runs[0].metrics.record_summary;
/// assert_eq!(records.skipped_record_count.as_ref().and_then(|c| c.get()), Some(15224));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_runs(body: &[u8]) -> Result<Vec<FlowRun>, Error> {
    shapes::runs(body)
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
