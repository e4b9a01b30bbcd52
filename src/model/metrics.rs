//! The metric summaries of a run and of each of its activities.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use super::manifest::{FileManifest, Manifest};
use super::status::StatusSummary;
use crate::json::wire_object;
use crate::{Count, Extra, Rare, RunError, Timestamp};

wire_object! {
/// The metrics of a run (`metrics`).
pub struct Metrics expecting "a metrics object" {
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
    "statusSummary" => status_summary: StatusSummary,
    /// `customSummary`: service-specific metrics.
    "customSummary" => custom_summary: Extra,
}
}

impl Metrics {
    /// Whether the object is a run's `metrics`: empty (what a run that reports nothing yet
    /// carries), or holding one of the summaries Flow Service documents. Other services'
    /// `metrics` (a Segmentation Service job's `totalTime`, `profileSegmentationTime`) hold
    /// none of them, and make no run.
    pub(crate) fn is_run_metrics(&self) -> bool {
        use crate::json::Absent;
        let summaries = [
            self.duration_summary.is_absent(),
            self.latency_summary.is_absent(),
            self.size_summary.is_absent(),
            self.record_summary.is_absent(),
            self.file_summary.is_absent(),
            self.status_summary.is_absent(),
            self.custom_summary.is_absent(),
        ];
        self.extra.is_empty() || summaries.contains(&false)
    }
}

/// The members of a run's `metrics` object, as [`Metrics`] names them.
pub(crate) const RUN_METRICS: [&str; 7] = [
    "durationSummary",
    "latencySummary",
    "sizeSummary",
    "recordSummary",
    "fileSummary",
    "statusSummary",
    "customSummary",
];

wire_object! {
/// When a run or activity started and completed (`durationSummary`).
pub struct DurationSummary expecting "a durationSummary object" {
    /// `startedAtUTC`.
    "startedAtUTC" => started_at_utc: Option<Timestamp>,
    /// `completedAtUTC`.
    "completedAtUTC" => completed_at_utc: Option<Timestamp>,
    /// `stoppedAtUTC` (destination runs).
    "stoppedAtUTC" => stopped_at_utc: Option<Timestamp>,
    /// `extensions` (such as `windowStart` and `windowEnd` of incremental copies).
    "extensions" => extensions: Extra,
}
}

impl DurationSummary {
    /// Completion (or, failing a plausible one, stop) minus start, when both are plausible
    /// times and the end does not come before the start.
    ///
    /// Adobe's own example carries equal start and completion seconds, so a zero duration is
    /// a real answer here, not a placeholder.
    pub fn duration(&self) -> Option<TimeDelta> {
        let started = self.started_at_utc.as_ref()?.to_utc()?;
        let ended = [&self.completed_at_utc, &self.stopped_at_utc]
            .into_iter()
            .find_map(|end| end.as_ref()?.to_utc())?;
        (ended >= started).then(|| ended - started)
    }
}

wire_object! {
/// Data latency (`latencySummary`).
pub struct LatencySummary expecting "a latencySummary object" {
    /// `minMs`.
    "minMs" => min_ms: Option<Count>,
    /// `maxMs`.
    "maxMs" => max_ms: Option<Count>,
    /// `avgMs`.
    "avgMs" => avg_ms: Option<Count>,
    /// `extensions`.
    "extensions" => extensions: Extra,
}
}

wire_object! {
/// Bytes read and written (`sizeSummary`).
pub struct SizeSummary expecting "a sizeSummary object" {
    /// `inputBytes`.
    "inputBytes" => input_bytes: Option<Count>,
    /// `outputBytes`.
    "outputBytes" => output_bytes: Option<Count>,
    /// `skippedBytes`.
    "skippedBytes" => skipped_bytes: Option<Count>,
    /// `failedBytes`.
    "failedBytes" => failed_bytes: Option<Count>,
    /// `extensions`.
    "extensions" => extensions: Extra,
}
}

wire_object! {
/// Records read, written, skipped and failed (`recordSummary`).
pub struct RecordSummary expecting "a recordSummary object" {
    /// `inputRecordCount`.
    "inputRecordCount" => input_record_count: Option<Count>,
    /// `outputRecordCount`.
    "outputRecordCount" => output_record_count: Option<Count>,
    /// `createdRecordCount`.
    "createdRecordCount" => created_record_count: Option<Count>,
    /// `updatedRecordCount`.
    "updatedRecordCount" => updated_record_count: Option<Count>,
    /// `deletedRecordCount`.
    "deletedRecordCount" => deleted_record_count: Option<Count>,
    /// `skippedRecordCount`.
    "skippedRecordCount" => skipped_record_count: Option<Count>,
    /// `failedRecordCount`.
    "failedRecordCount" => failed_record_count: Option<Count>,
    /// `warningRecordCount`.
    "warningRecordCount" => warning_record_count: Option<Count>,
    /// `failedInfo`: why records failed; listed by [`FlowRun::errors`](crate::FlowRun::errors).
    "failedInfo" => failed_info: Vec<RunError>,
    /// `skippedInfo`: why records were skipped.
    "skippedInfo" => skipped_info: Vec<RunError>,
    /// `warningInfo`: why records triggered warnings.
    "warningInfo" => warning_info: Vec<RunError>,
    /// `sourceSummaries`: counts per source (destination runs).
    "sourceSummaries" => source_summaries: Vec<EntitySummary>,
    /// `targetSummaries`: counts per target.
    "targetSummaries" => target_summaries: Vec<EntitySummary>,
    /// `extensions`.
    "extensions" => extensions: Extra,
}
}

wire_object! {
/// Record counts of one source, target or entity (`sourceSummaries[]`, `targetSummaries[]`,
/// `entitySummaries[]`).
pub struct EntitySummary expecting "an entity summary object" {
    /// `id`.
    "id" => id: Option<String>,
    /// `inputRecordCount`.
    "inputRecordCount" => input_record_count: Option<Count>,
    /// `outputRecordCount`.
    "outputRecordCount" => output_record_count: Option<Count>,
    /// `createdRecordCount`.
    "createdRecordCount" => created_record_count: Option<Count>,
    /// `updatedRecordCount`.
    "updatedRecordCount" => updated_record_count: Option<Count>,
    /// `deletedRecordCount`.
    "deletedRecordCount" => deleted_record_count: Option<Count>,
    /// `skippedRecordCount`.
    "skippedRecordCount" => skipped_record_count: Option<Count>,
    /// `failedRecordCount`.
    "failedRecordCount" => failed_record_count: Option<Count>,
    /// `entitySummaries`: counts per entity (segment, dataset, ...).
    "entitySummaries" => entity_summaries: Vec<EntitySummary>,
}
}

wire_object! {
/// Files read and written (`fileSummary`).
pub struct FileSummary expecting "a fileSummary object" {
    /// `inputFileCount`.
    "inputFileCount" => input_file_count: Option<Count>,
    /// `outputFileCount`.
    "outputFileCount" => output_file_count: Option<Count>,
    /// `skippedFileCount`.
    "skippedFileCount" => skipped_file_count: Option<Count>,
    /// `failedFileCount`.
    "failedFileCount" => failed_file_count: Option<Count>,
    /// `activityRefs`: ids of the activities this summary was drawn from.
    "activityRefs" => activity_refs: Vec<String>,
    /// `manifest`: files by kind, as the Flow Service specification documents it.
    "manifest" => manifest: Option<BTreeMap<String, Vec<FileManifest>>>,
    /// `extensions`, where runs put the manifest link in practice.
    "extensions" => extensions: FileExtensions,
}
}

wire_object! {
/// `fileSummary.extensions`.
pub struct FileExtensions expecting "a fileSummary.extensions object" {
    /// `manifest`: the link to the files the activity read (boxed: most summaries have none,
    /// and every activity would carry its room).
    "manifest" => manifest: Option<Box<Manifest>>,
}
}
