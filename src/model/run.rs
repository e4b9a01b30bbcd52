//! The flow run and its activities.

use std::borrow::Cow;

use chrono::{DateTime, TimeDelta, Utc};

use super::found_error::{distinct, summary_errors, DistinctError, FoundError};
use super::metrics::{DurationSummary, FileSummary, LatencySummary, RecordSummary, SizeSummary};
use super::status::{Outcome, Status, StatusSummary};
use crate::json::wire_object;
use crate::{Count, ErrorCode, Metrics, Rare, Timestamp};

wire_object! {
/// One run of a dataflow: the RUN object of every wire shape.
///
/// Serialising a `FlowRun` gives back the object it was read from (equal as JSON values, up
/// to `null`, `{}` and `[]` standing for an absent field, and known enum values written in
/// their documented spelling).
///
/// ```
/// let body = br#"{"id": "run-1", "flowId": "flow-1", "metrics": {
///     "recordSummary": {"inputRecordCount": 100, "outputRecordCount": 99, "failedRecordCount": 1},
///     "statusSummary": {"status": "success", "errors": [{"code": "CONNECTOR-2001-500"}]}},
///     "slaCreatedAt": 1597213531124}"#;
/// let run = &aep_flow_run::parse_runs(body)?[0];
/// assert_eq!(run.id.as_deref(), Some("run-1"));
/// assert_eq!(run.metrics.record_summary.failed_record_count.as_ref().and_then(|c| c.get()), Some(1));
/// assert_eq!(run.outcome(), aep_flow_run::Outcome::PartialSuccess);
/// assert_eq!(run.extra["slaCreatedAt"], 1597213531124u64); // unknown fields are kept
/// # Ok::<(), aep_flow_run::Error>(())
/// ```
pub struct FlowRun expecting "a flow run object" {
    /// `id`: the run id.
    "id" => id: Option<String>,
    /// `flowId`: the dataflow this run belongs to.
    "flowId" => flow_id: Option<String>,
    /// `flowName` (observability alerts).
    "flowName" => flow_name: Option<String>,
    /// `flowSpec`: the flow specification.
    "flowSpec" => flow_spec: Option<Box<FlowSpecRef>>,
    /// `createdAt`.
    "createdAt" => created_at: Option<Timestamp>,
    /// `updatedAt`.
    "updatedAt" => updated_at: Option<Timestamp>,
    /// `createdBy`.
    "createdBy" => created_by: Option<String>,
    /// `updatedBy`.
    "updatedBy" => updated_by: Option<String>,
    /// `createdClient`.
    "createdClient" => created_client: Option<String>,
    /// `updatedClient`.
    "updatedClient" => updated_client: Option<String>,
    /// `sandboxId`.
    "sandboxId" => sandbox_id: Option<String>,
    /// `sandboxName`.
    "sandboxName" => sandbox_name: Option<String>,
    /// `imsOrgId`: the organization.
    "imsOrgId" => ims_org_id: Option<String>,
    /// `providerRefId`: the id the executing service gave the run.
    "providerRefId" => provider_ref_id: Option<String>,
    /// `etag`: the run's version tag, with its quotes (`"\"5100ec97-...\""`).
    "etag" => etag: Option<String>,
    /// `predecessors`: runs this one waited for.
    "predecessors" => predecessors: Vec<Predecessor>,
    /// `metrics`: the run's summaries and errors.
    "metrics" => metrics: Rare<Metrics>,
    /// `activities`: the steps of the run, each with summaries of its own.
    "activities" => activities: Vec<Activity>,
    /// `header`: the I/O Events header Adobe places inside the run of events and alerts.
    "header" => header: Option<Box<EventHeader>>,
}
}

/// A count's value when it is there and known.
fn known(count: &Option<Count>) -> Option<u64> {
    count.as_ref()?.get()
}

impl FlowRun {
    /// The run's status (`metrics.statusSummary.status`).
    pub fn status(&self) -> Option<&Status> {
        self.metrics.status_summary.status.as_ref()
    }

    /// Every error entry of the run, in document order, each entry once: the run's
    /// `statusSummary.errors`, `statusSummary.extensions.errors` and `recordSummary.failedInfo`,
    /// then the same lists of each activity.
    ///
    /// Platform often repeats an activity's error at run level: both entries are listed, each
    /// with where it was found ([`FoundError::activity_index`] is `None` for the run level).
    /// Count the activity entries, or use [`FlowRun::error_codes`], to avoid counting one
    /// failure twice.
    pub fn errors(&self) -> impl Iterator<Item = FoundError<'_>> + '_ {
        let own = summary_errors(&self.metrics.status_summary, &self.metrics.record_summary).map(
            |(site, index, error)| FoundError {
                error,
                site,
                index,
                activity_index: None,
                activity_id: None,
            },
        );
        let activities =
            self.activities
                .iter()
                .enumerate()
                .flat_map(|(activity_index, activity)| {
                    summary_errors(&activity.status_summary, &activity.record_summary).map(
                        move |(site, index, error)| FoundError {
                            error,
                            site,
                            index,
                            activity_index: Some(activity_index),
                            activity_id: activity.id.as_deref(),
                        },
                    )
                });
        own.chain(activities)
    }

    /// The run's errors, one entry per problem, in order of first appearance, each with every
    /// place it was reported: Platform often repeats an activity's error at run level, with a
    /// message that differs by a final period.
    ///
    /// ```
    /// let body = std::fs::read("fixtures/adobe-docs/alert-run-sources-failure.json")?;
    /// let run = &aep_flow_run::parse_notification(&body)?.run;
    /// let problems = run.distinct_errors();
    /// assert!(problems.len() < run.errors().count());
    /// for problem in &problems {
    ///     println!("{} ({} times): {:?}", problem.error.code, problem.occurrences(), problem.error.message);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn distinct_errors(&self) -> Vec<DistinctError<'_>> {
        distinct(self.errors())
    }

    /// The distinct error codes of the run, in order of first appearance.
    pub fn error_codes(&self) -> Vec<&ErrorCode> {
        let mut seen = std::collections::HashSet::new();
        self.errors()
            .map(|found| &found.error.code)
            .filter(|code| seen.insert(*code))
            .collect()
    }

    /// How the run ended. A `success` status with error entries or failed records is
    /// [`Outcome::PartialSuccess`]: partial ingestion.
    pub fn outcome(&self) -> Outcome {
        match self.status() {
            Some(Status::Success) => {
                let failed_records = self
                    .metrics
                    .record_summary
                    .failed_record_count
                    .as_ref()
                    .and_then(|count| count.get())
                    .unwrap_or(0);
                if failed_records > 0 || self.errors().next().is_some() {
                    Outcome::PartialSuccess
                } else {
                    Outcome::Success
                }
            }
            Some(Status::PartialSuccess) => Outcome::PartialSuccess,
            Some(Status::Failed) => Outcome::Failed,
            Some(status) if status.is_pending() => Outcome::Pending,
            _ => Outcome::Unknown,
        }
    }

    /// How long the run took (`metrics.durationSummary`).
    pub fn duration(&self) -> Option<TimeDelta> {
        self.metrics.duration_summary.duration()
    }

    /// When the run started (`metrics.durationSummary.startedAtUTC`), when that reads as a
    /// time.
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.metrics
            .duration_summary
            .started_at_utc
            .as_ref()?
            .to_utc()
    }

    /// When the run completed (`metrics.durationSummary.completedAtUTC`), when that reads as
    /// a time.
    pub fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.metrics
            .duration_summary
            .completed_at_utc
            .as_ref()?
            .to_utc()
    }

    /// Records read (`metrics.recordSummary.inputRecordCount`); `None` when absent or
    /// unknown (`-1`). The same goes for the other counts below; to tell the two apart, read
    /// the [`Count`] field itself (it prints `unknown` for `-1`), or sum with
    /// [`CountTotal`](crate::CountTotal).
    pub fn input_records(&self) -> Option<u64> {
        known(&self.metrics.record_summary.input_record_count)
    }

    /// Records written (`metrics.recordSummary.outputRecordCount`).
    pub fn output_records(&self) -> Option<u64> {
        known(&self.metrics.record_summary.output_record_count)
    }

    /// Records that failed (`metrics.recordSummary.failedRecordCount`).
    pub fn failed_records(&self) -> Option<u64> {
        known(&self.metrics.record_summary.failed_record_count)
    }

    /// Bytes read (`metrics.sizeSummary.inputBytes`).
    pub fn input_bytes(&self) -> Option<u64> {
        known(&self.metrics.size_summary.input_bytes)
    }

    /// Bytes written (`metrics.sizeSummary.outputBytes`).
    pub fn output_bytes(&self) -> Option<u64> {
        known(&self.metrics.size_summary.output_bytes)
    }

    /// Files read (`metrics.fileSummary.inputFileCount`).
    pub fn input_files(&self) -> Option<u64> {
        known(&self.metrics.file_summary.input_file_count)
    }

    /// Files written (`metrics.fileSummary.outputFileCount`).
    pub fn output_files(&self) -> Option<u64> {
        known(&self.metrics.file_summary.output_file_count)
    }

    /// The event code in the run's I/O Events header, as it came.
    pub fn header_event_code(&self) -> Option<&str> {
        self.header
            .as_ref()?
            .adobeio
            .as_ref()?
            .event_code
            .as_deref()
    }
}

wire_object! {
/// One step of a run, such as a copy or a promotion (`activities[]`).
pub struct Activity expecting "an activity object" {
    /// `id`.
    "id" => id: Option<String>,
    /// `name`.
    "name" => name: Option<String>,
    /// `updatedAtUTC`.
    "updatedAtUTC" => updated_at_utc: Option<Timestamp>,
    /// `durationSummary`.
    "durationSummary" => duration_summary: Rare<DurationSummary>,
    /// `latencySummary`.
    "latencySummary" => latency_summary: Rare<LatencySummary>,
    /// `sizeSummary`.
    "sizeSummary" => size_summary: Rare<SizeSummary>,
    /// `recordSummary`.
    "recordSummary" => record_summary: Rare<RecordSummary>,
    /// `fileSummary`.
    "fileSummary" => file_summary: Rare<FileSummary>,
    /// `statusSummary`.
    "statusSummary" => status_summary: Rare<StatusSummary>,
    /// `sourceInfo`: the connections the activity read.
    "sourceInfo" => source_info: Vec<ConnectionInfo>,
    /// `targetInfo`: the connections the activity wrote.
    "targetInfo" => target_info: Vec<ConnectionInfo>,
}
}

impl Activity {
    /// The activity's status (`statusSummary.status`).
    pub fn status(&self) -> Option<&Status> {
        self.status_summary.status.as_ref()
    }
}

wire_object! {
/// A source or target connection of an activity (`sourceInfo[]`, `targetInfo[]`).
pub struct ConnectionInfo expecting "a connection info object" {
    /// `id`: the connection id.
    "id" => id: Option<String>,
    /// `type` (`SourceConnection`, `TargetConnection`).
    "type" => kind: Option<Cow<'static, str>>,
    /// `reference`: what the connection produced.
    "reference" => reference: Option<ConnectionReference>,
}
}

wire_object! {
/// What a connection produced (`reference`): batch ids, a copy run id, ...
pub struct ConnectionReference expecting "a reference object" {
    /// `type` (`Batch`, `AdfRunId`, ...).
    "type" => kind: Option<Cow<'static, str>>,
    /// `ids`.
    "ids" => ids: Vec<String>,
}
}

wire_object! {
/// A flow specification reference (`flowSpec`).
pub struct FlowSpecRef expecting "a flowSpec object" {
    /// `id`.
    "id" => id: Option<String>,
    /// `version`.
    "version" => version: Option<String>,
}
}

wire_object! {
/// A run this run waited for (`predecessors[]`).
pub struct Predecessor expecting "a predecessor object" {
    /// `flowId`.
    "flowId" => flow_id: Option<String>,
    /// `flowRunId`.
    "flowRunId" => flow_run_id: Option<String>,
    /// `flowSpec`.
    "flowSpec" => flow_spec: Option<FlowSpecRef>,
}
}

wire_object! {
/// The I/O Events header inside a run (`header`).
pub struct EventHeader expecting "a header object" {
    /// `_adobeio`.
    "_adobeio" => adobeio: Option<AdobeIoHeader>,
}
}

wire_object! {
/// `header._adobeio`.
pub struct AdobeIoHeader expecting "an _adobeio object" {
    /// `imsOrgId`.
    "imsOrgId" => ims_org_id: Option<String>,
    /// `providerMetadata` (`platform_notifications`, `aep_observability_catalog_events`).
    "providerMetadata" => provider_metadata: Option<Cow<'static, str>>,
    /// `eventCode`, as it came; [`Notification::event_code`](crate::Notification) is the typed
    /// one.
    "eventCode" => event_code: Option<Cow<'static, str>>,
}
}
