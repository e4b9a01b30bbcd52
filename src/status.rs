//! Run status, error entries, and the listing of every error a run carries.

use std::borrow::Cow;

use crate::metrics::{Manifest, RecordSummary};
use crate::wire::{open_enum, wire_object};
use crate::{Count, ErrorCode, Extra};

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
    "status" => status: Option<Status>,
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

/// Where in a run (or activity) an error entry was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorSite {
    /// `statusSummary.errors`.
    Status,
    /// `statusSummary.extensions.errors`.
    StatusExtensions,
    /// `recordSummary.failedInfo`.
    FailedRecords,
}

impl ErrorSite {
    /// The JSON path of the list, relative to the summaries' owner.
    pub fn path(self) -> &'static str {
        match self {
            ErrorSite::Status => "statusSummary.errors",
            ErrorSite::StatusExtensions => "statusSummary.extensions.errors",
            ErrorSite::FailedRecords => "recordSummary.failedInfo",
        }
    }
}

/// An error entry of a run, with where it was found; from
/// [`FlowRun::errors`](crate::FlowRun::errors).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FoundError<'a> {
    /// The entry.
    pub error: &'a RunError,
    /// The list it stands in.
    pub site: ErrorSite,
    /// Its position in that list.
    pub index: usize,
    /// The position of its activity in `activities`, or `None` for the run's own metrics.
    pub activity_index: Option<usize>,
    /// The id of its activity, when it has one.
    pub activity_id: Option<&'a str>,
}

impl FoundError<'_> {
    /// The entry's JSON path inside the run, such as
    /// `activities[0].statusSummary.extensions.errors[1]` or `metrics.statusSummary.errors[0]`.
    pub fn path(&self) -> String {
        match self.activity_index {
            Some(activity) => format!(
                "activities[{activity}].{}[{}]",
                self.site.path(),
                self.index
            ),
            None => format!("metrics.{}[{}]", self.site.path(), self.index),
        }
    }
}

/// Every error entry of one owner's status and record summaries, in document order.
pub(crate) fn summary_errors<'a>(
    status: &'a StatusSummary,
    records: &'a RecordSummary,
) -> impl Iterator<Item = (ErrorSite, usize, &'a RunError)> + 'a {
    let site = |site: ErrorSite, list: &'a [RunError]| {
        list.iter()
            .enumerate()
            .map(move |(index, error)| (site, index, error))
    };
    site(ErrorSite::Status, &status.errors)
        .chain(site(ErrorSite::StatusExtensions, &status.extensions.errors))
        .chain(site(ErrorSite::FailedRecords, &records.failed_info))
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
