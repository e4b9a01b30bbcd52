//! What a run store keeps of each run for listings and status pages: the facts of its latest
//! state, with the event that carried it.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::{Notification, Outcome};

/// The latest state of one run as a [`RunStore`](super::RunStore) lists it: the facts a
/// status page shows (outcome, when, records, error codes) and the event code that carried
/// it, small enough to keep for every run and to list by flow.
///
/// Times are epoch milliseconds. It serialises as a JSON object with camelCase names
/// (`runId`, `flowId`, `outcome`: `success`, `partial_success`, `failed`, `pending` or
/// `unknown`, ...), which is how stores keep it and how `/api/flows` shows it.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aep_flow_run::store::RunSummary;
/// use aep_flow_run::{parse_notification, Outcome};
///
/// let body = std::fs::read("fixtures/adobe-docs/io-event-sources-flow-run-success.json")?;
/// let seen = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let summary = RunSummary::of(&parse_notification(&body)?, seen).unwrap();
/// assert_eq!(summary.outcome, Outcome::Success);
/// assert_eq!(summary.event_code.as_deref(), Some("sources_flow_run_success"));
/// assert_eq!(summary.seen_at, 1_800_000_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RunSummary {
    /// The run's id.
    pub run_id: String,
    /// The flow (dataflow) it is a run of.
    pub flow_id: Option<String>,
    /// The flow's name, when the event carries it.
    pub flow_name: Option<String>,
    /// The sandbox.
    pub sandbox_name: Option<String>,
    /// The event code of the event that carried this state.
    pub event_code: Option<String>,
    /// How it ended, by the event code, the status and the errors
    /// ([`Notification::outcome`]).
    #[serde(with = "outcome_text")]
    pub outcome: Outcome,
    /// The status as Adobe spells it (`success`, `failed`, `inProgress`, ...).
    pub status: Option<String>,
    /// `updatedAt`.
    pub updated_at: Option<i64>,
    /// When the run started.
    pub started_at: Option<i64>,
    /// When the run was created (`createdAt`: Flow Service runs and run alerts carry it).
    pub created_at: Option<i64>,
    /// When the run completed.
    pub completed_at: Option<i64>,
    /// Records read.
    pub input_records: Option<u64>,
    /// Records written.
    pub output_records: Option<u64>,
    /// Records that failed.
    pub failed_records: Option<u64>,
    /// Each distinct error code of the run, in the order found.
    pub error_codes: Vec<String>,
    /// When this state was recorded.
    pub seen_at: i64,
}

impl RunSummary {
    /// The summary of the run a notification carries, recorded at `seen`; `None` for a run
    /// without an id (it cannot be tracked).
    pub fn of(notification: &Notification, seen: SystemTime) -> Option<Self> {
        let run = &notification.run;
        let run_id = run.id.clone()?;
        let millis =
            |time: Option<chrono::DateTime<chrono::Utc>>| time.map(|t| t.timestamp_millis());
        let mut error_codes: Vec<String> = Vec::new();
        for code in run.error_codes() {
            if !error_codes.iter().any(|known| known == code.as_str()) {
                error_codes.push(code.as_str().to_owned());
            }
        }
        Some(RunSummary {
            run_id,
            flow_id: run.flow_id.clone(),
            flow_name: run.flow_name.clone(),
            sandbox_name: run.sandbox_name.clone(),
            event_code: Some(notification.event_code.as_str())
                .filter(|code| !code.is_empty())
                .map(str::to_owned),
            outcome: notification.outcome(),
            status: run.status().map(|status| status.as_str().to_owned()),
            updated_at: run.updated_at.as_ref().and_then(|time| time.to_millis()),
            started_at: millis(run.started_at()),
            created_at: run.created_at.as_ref().and_then(|time| time.to_millis()),
            completed_at: millis(run.completed_at()),
            input_records: run.input_records(),
            output_records: run.output_records(),
            failed_records: run.failed_records(),
            error_codes,
            seen_at: epoch_millis(seen),
        })
    }

    /// When the run was last active: its `updatedAt`, else when this state was recorded.
    /// Listings order runs and flows by it, newest first.
    pub fn activity(&self) -> i64 {
        self.updated_at.unwrap_or(self.seen_at)
    }

    /// Where the run stands among its flow's runs: when it started, else when it was
    /// created, else (neither known) when this state was recorded. A recovery must come from
    /// a run that stands no earlier than the run that paged.
    pub(crate) fn started_or_seen(&self) -> i64 {
        self.started_at.or(self.created_at).unwrap_or(self.seen_at)
    }

    /// The name of [`outcome`](Self::outcome) as it is written (`partial_success`, ...).
    pub fn outcome_name(&self) -> &'static str {
        outcome_text::name(self.outcome)
    }
}

/// The runs of one flow, newest first, as [`RunStore::flows`](super::RunStore::flows) lists
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FlowRuns {
    /// The flow's id (empty for runs that name no flow).
    pub flow_id: String,
    /// Its latest runs, newest first: the first is the flow's latest state.
    pub runs: Vec<RunSummary>,
}

impl FlowRuns {
    /// Groups summaries by flow: flows by their latest activity, newest first, each with at
    /// most `runs_per_flow` runs, newest first. For stores that list every run.
    pub fn group(
        summaries: impl IntoIterator<Item = RunSummary>,
        runs_per_flow: usize,
    ) -> Vec<Self> {
        let mut flows: std::collections::HashMap<String, Vec<RunSummary>> = Default::default();
        for summary in summaries {
            let flow = summary.flow_id.clone().unwrap_or_default();
            flows.entry(flow).or_default().push(summary);
        }
        let mut flows: Vec<FlowRuns> = flows
            .into_iter()
            .map(|(flow_id, mut runs)| {
                runs.sort_by(newest_first);
                runs.truncate(runs_per_flow);
                FlowRuns { flow_id, runs }
            })
            .filter(|flow| !flow.runs.is_empty())
            .collect();
        flows.sort_by(|a, b| newest_first(&a.runs[0], &b.runs[0]).then(a.flow_id.cmp(&b.flow_id)));
        flows
    }
}

#[cfg(any(feature = "redis", feature = "sqlite"))]
impl FlowRuns {
    /// Groups summaries a store kept as JSON, as [`group`](Self::group) does.
    pub(crate) fn group_stored(
        stored: &[String],
        runs_per_flow: usize,
    ) -> Result<Vec<Self>, super::StoreError> {
        let summaries = stored
            .iter()
            .map(|json| serde_json::from_str::<RunSummary>(json))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| super::StoreError::unavailable("run summary unreadable", error))?;
        Ok(FlowRuns::group(summaries, runs_per_flow))
    }
}

/// A run a store kept as JSON, read back.
#[cfg(any(feature = "redis", feature = "sqlite"))]
pub(crate) fn stored_run(
    json: Option<String>,
) -> Result<Option<crate::FlowRun>, super::StoreError> {
    json.map(|json| {
        serde_json::from_str(&json)
            .map_err(|error| super::StoreError::unavailable("run state unreadable", error))
    })
    .transpose()
}

/// Newest activity first; the run id breaks ties, so that every store lists alike.
fn newest_first(a: &RunSummary, b: &RunSummary) -> std::cmp::Ordering {
    b.activity()
        .cmp(&a.activity())
        .then_with(|| a.run_id.cmp(&b.run_id))
}

/// Milliseconds since the epoch (0 before it).
pub(crate) fn epoch_millis(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

/// [`Outcome`] as text: `success`, `partial_success`, `failed`, `pending`, `unknown`.
mod outcome_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Outcome;

    pub(super) fn name(outcome: Outcome) -> &'static str {
        match outcome {
            Outcome::Success => "success",
            Outcome::PartialSuccess => "partial_success",
            Outcome::Failed => "failed",
            Outcome::Pending => "pending",
            Outcome::Unknown => "unknown",
        }
    }

    pub(super) fn serialize<S: Serializer>(
        outcome: &Outcome,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(name(*outcome))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Outcome, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(match text.as_ref() {
            "success" => Outcome::Success,
            "partial_success" => Outcome::PartialSuccess,
            "failed" => Outcome::Failed,
            "pending" => Outcome::Pending,
            _ => Outcome::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn summary(run: &str, flow: Option<&str>, updated: Option<i64>, seen: i64) -> RunSummary {
        RunSummary {
            run_id: run.to_owned(),
            flow_id: flow.map(str::to_owned),
            flow_name: None,
            sandbox_name: None,
            event_code: None,
            outcome: Outcome::PartialSuccess,
            status: None,
            updated_at: updated,
            started_at: None,
            created_at: None,
            completed_at: None,
            input_records: Some(3),
            output_records: None,
            failed_records: None,
            error_codes: vec!["CONNECTOR-1001-500".to_owned()],
            seen_at: seen,
        }
    }

    #[test]
    fn a_run_stands_by_its_start_else_its_creation_else_its_arrival() {
        let read = |name: &str| {
            let body = std::fs::read(format!("fixtures/adobe-docs/{name}")).unwrap();
            let seen = SystemTime::UNIX_EPOCH + Duration::from_millis(1_900_000_000_000);
            RunSummary::of(&crate::parse_notification(&body).unwrap(), seen).unwrap()
        };
        // A run-start alert: `createdAt`, no `startedAtUTC` yet.
        let started = read("alert-run-sources-start.json");
        assert_eq!(started.created_at, Some(1_693_339_079_768));
        assert_eq!(started.started_or_seen(), 1_693_339_079_768);
        // `startedAtUTC` (in seconds) comes first.
        let done = read("io-event-sources-flow-run-success.json");
        assert_eq!(done.started_or_seen(), 1_590_512_053_000);
        let timeless = summary("t1", None, Some(10), 1_900_000_000_000);
        assert_eq!(timeless.started_or_seen(), 1_900_000_000_000);
    }

    #[test]
    fn summaries_read_back_and_group_by_flow_newest_first() {
        let a1 = summary("a1", Some("a"), Some(10), 99);
        let a2 = summary("a2", Some("a"), None, 30);
        let b1 = summary("b1", Some("b"), Some(20), 0);
        let none = summary("n1", None, Some(5), 0);
        let json = serde_json::to_string(&a1).unwrap();
        assert!(json.contains(r#""outcome":"partial_success""#), "{json}");
        assert_eq!(serde_json::from_str::<RunSummary>(&json).unwrap(), a1);
        let flows = FlowRuns::group([a1.clone(), none.clone(), b1.clone(), a2.clone()], 1);
        let listed: Vec<(&str, Vec<&str>)> = flows
            .iter()
            .map(|flow| {
                (
                    flow.flow_id.as_str(),
                    flow.runs.iter().map(|r| r.run_id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [("a", vec!["a2"]), ("b", vec!["b1"]), ("", vec!["n1"])]
        );
        assert_eq!(
            epoch_millis(SystemTime::UNIX_EPOCH + Duration::from_millis(7)),
            7
        );
    }
}
