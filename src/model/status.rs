//! Run status, the status summary, and error entries.

use std::borrow::Cow;

use super::manifest::Manifest;
use super::{Count, ErrorCode};
use crate::json::{open_enum, wire_object};
use crate::Extra;

open_enum! {
/// The status of a run or an activity (`statusSummary.status`).
///
/// Recognised ignoring ASCII case (`Failed` and `failed` are one value); unknown values are
/// kept in [`Status::Other`].
///
/// ```
/// use aep_flow_run::Status;
///
/// assert_eq!(Status::from("Failed"), Status::Failed);
/// assert_eq!(Status::from("IN_PROGRESS"), Status::InProgress);
/// assert_eq!(Status::InProgress.as_str(), "inProgress");
/// assert!(Status::Waiting.is_pending());
/// ```
pub enum Status expecting "a status string" {
    /// `success`: the run or activity completed.
    Success = "success",
    /// `failed`: the run or activity failed.
    Failed = "failed",
    /// `inProgress`: still running.
    InProgress = "inProgress" | "in_progress",
    /// `processing` (destination runs): still running.
    Processing = "processing",
    /// `waiting` (destination runs): not started yet.
    Waiting = "waiting",
    /// `queued`: not started yet.
    Queued = "queued",
    /// `scheduled`: not started yet.
    Scheduled = "scheduled",
    /// `partialSuccess`: completed with some records or files failed.
    PartialSuccess = "partialSuccess" | "partial_success",
}
}

impl Status {
    /// Whether the run has not finished yet (in progress, processing, waiting, queued,
    /// scheduled).
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Status::InProgress
                | Status::Processing
                | Status::Waiting
                | Status::Queued
                | Status::Scheduled
        )
    }
}

wire_object! {
/// The status of a run or an activity, with its errors (`statusSummary`).
pub struct StatusSummary expecting "a statusSummary object" {
    /// `status`.
    [status_spelling] "status" => status: Option<Status>,
    /// `errors`: the errors Platform reports for this run or activity.
    "errors" => errors: Vec<RunError>,
    /// `activityRefs`: ids of the activities this summary was drawn from.
    "activityRefs" => activity_refs: Vec<String>,
    /// `extensions`: details from the service that ran the activity.
    "extensions" => extensions: StatusExtensions,
}
}

wire_object! {
/// `statusSummary.extensions`: service details, including errors of their own.
pub struct StatusExtensions expecting "a statusSummary.extensions object" {
    /// `errors`: detailed errors (`INGEST-1212-400`, `MAPPER-3700-400`, `133`, ...).
    "errors" => errors: Vec<RunError>,
    /// `manifest`: links to the failed records and error samples of partial ingestion (boxed:
    /// most summaries have none, and every activity would carry its room).
    "manifest" => manifest: Option<Box<Manifest>>,
    /// `errorDetail`: the raw error text of the connector.
    "errorDetail" => error_detail: Option<String>,
    /// `batchId`: the Platform batch the activity wrote.
    "batchId" => batch_id: Option<String>,
}
}

wire_object! {
/// One error (or skip, or warning) entry: `errors[]`, `failedInfo[]`, `skippedInfo[]`, ...
pub struct RunError expecting "an error object" {
    /// `code`.
    "code" => code: ErrorCode,
    /// `message`.
    "message" => message: Option<String>,
    /// `recordCount`: how many records this error affected.
    "recordCount" => record_count: Option<Count>,
    /// `count`: occurrences of this code (skipped and warning entries).
    "count" => count: Option<Count>,
    /// `type` (`Error` or `Warning`).
    "type" => kind: Option<Cow<'static, str>>,
    /// `format`.
    "format" => format: Option<String>,
    /// `details`.
    "details" => details: Extra,
}
}

/// How a run ended, reading its status together with the errors it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Succeeded with no error entry and no failed record.
    Success,
    /// Succeeded, but carries errors or failed records (partial ingestion).
    PartialSuccess,
    /// Failed.
    Failed,
    /// Not finished yet.
    Pending,
    /// No status, or one this crate does not know.
    Unknown,
}

/// `success`, `partial success`, `failed`, `pending` or `unknown`, for messages and pages.
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Success => "success",
            Outcome::PartialSuccess => "partial success",
            Outcome::Failed => "failed",
            Outcome::Pending => "pending",
            Outcome::Unknown => "unknown",
        })
    }
}

impl crate::json::Direct<'_> for Status {}

#[cfg(test)]
mod tests {
    use super::{RunError, StatusSummary};

    #[test]
    fn lists_and_unknown_fields_hold_no_spare_room() {
        for count in [1, 2, 3, 4, 5, 16, 17, 40] {
            let errors: Vec<String> = (0..count)
                .map(|n| format!(r#"{{"code": "E-{n}", "x{n}": {n}, "y": null}}"#))
                .collect();
            let refs: Vec<String> = (0..count).map(|n| format!(r#""a{n}""#)).collect();
            let body = format!(
                r#"{{"errors": [{}, null], "activityRefs": [{}], "z": 1}}"#,
                errors.join(", "),
                refs.join(", ")
            );
            let summary: StatusSummary = serde_json::from_str(&body).unwrap();
            assert_eq!(summary.errors.len(), count);
            assert_eq!(summary.errors.capacity(), count);
            assert_eq!(summary.activity_refs.capacity(), count);
            assert_eq!(summary.extra.len(), 1);
            let first: &RunError = &summary.errors[0];
            assert_eq!(first.extra.len(), 2);
        }
    }
}
