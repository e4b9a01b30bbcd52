//! What the monitor does with new events, whichever path brought them (a delivery or the
//! journal): keeps the latest state of each run, counts, and prints one line per event.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aep_flow_run::store::{Incoming, Observed, RunChange, RunStore, RunSummary, StoreError};
use aep_flow_run::{Alert, Event, Notification, Outcome};
use tokio::sync::Notify;

use super::metrics::Metrics;

/// The longest a run-store call may take (the receiver's store timeout).
pub const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// Which path brought events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Webhook,
    Journal,
}

impl Source {
    fn events_metric(self) -> &'static str {
        match self {
            Source::Webhook => "aep_webhook_events_total",
            Source::Journal => "aep_journal_events_total",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Journal => "journal",
        }
    }
}

/// Handles the events of a delivery or a journal page.
pub struct Monitor {
    /// Where run states and alerts are kept, with the pages they call for.
    pub runs: Arc<dyn RunStore>,
    /// Told when pages may have been recorded, so that the sender looks at once.
    pub pages_recorded: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// One JSON line per new event on standard output, instead of a summary.
    pub json: bool,
}

impl Monitor {
    /// Handles the new events of `events` (duplicates are counted only): records what they
    /// say about runs and alerts in one store call, with the pages they call for (the
    /// fallible part, done first: on an error nothing is printed, and the caller gives the
    /// events back; a state recorded twice is a duplicate and an alert kept already fires,
    /// so no page is recorded twice), then counts and prints them.
    pub async fn handle(&self, events: &[Incoming], source: Source) -> Result<(), StoreError> {
        for incoming in events {
            let result = if incoming.duplicate {
                "duplicate"
            } else {
                "new"
            };
            let kind = incoming.event.kind().as_str();
            self.metrics.count(
                source.events_metric(),
                &[("kind", kind), ("result", result)],
            );
        }
        let new: Vec<&Incoming> = events
            .iter()
            .filter(|incoming| !incoming.duplicate)
            .collect();
        let notifications: Vec<&Notification> = new
            .iter()
            .filter_map(|incoming| incoming.event.as_flow_run())
            .collect();
        let alerts: Vec<&Alert> = new
            .iter()
            .filter_map(|incoming| incoming.event.as_alert())
            .collect();
        let observed = self.observe(&notifications, &alerts).await?;
        if !notifications.is_empty() || !alerts.is_empty() {
            self.pages_recorded.notify_one();
        }
        let now = SystemTime::now();
        for (notification, observed) in notifications.iter().zip(&observed) {
            self.count_run(notification, observed, now);
            log_change(notification, &observed.change, source);
        }
        self.print(&new);
        Ok(())
    }

    /// Records the runs and alerts of new events: one store call, bounded.
    async fn observe(
        &self,
        notifications: &[&Notification],
        alerts: &[&Alert],
    ) -> Result<Vec<Observed>, StoreError> {
        if notifications.is_empty() && alerts.is_empty() {
            return Ok(Vec::new());
        }
        let observe = self.runs.observe(notifications, alerts);
        let observed = tokio::time::timeout(STORE_TIMEOUT, observe)
            .await
            .unwrap_or(Err(StoreError::Timeout {
                timeout: STORE_TIMEOUT,
            }));
        if observed.is_err() {
            self.metrics
                .count("aep_store_errors_total", &[("operation", "observe")]);
        }
        observed
    }

    /// Counts a run once when it ends, and the records a newer state adds.
    fn count_run(&self, notification: &Notification, observed: &Observed, now: SystemTime) {
        if !matches!(
            observed.change,
            RunChange::New | RunChange::Updated | RunChange::StatusChanged { .. }
        ) {
            return;
        }
        let Some(summary) = RunSummary::of(notification, now) else {
            return;
        };
        let flow = summary.flow_id.as_deref().unwrap_or("");
        let before = observed.before.as_ref();
        let ended = |outcome: Outcome| {
            matches!(
                outcome,
                Outcome::Success | Outcome::PartialSuccess | Outcome::Failed
            )
        };
        if ended(summary.outcome) && !before.is_some_and(|before| ended(before.outcome)) {
            self.metrics.count(
                "aep_flow_runs_total",
                &[("flow_id", flow), ("outcome", summary.outcome_name())],
            );
        }
        let records = [
            (
                "input",
                summary.input_records,
                before.and_then(|b| b.input_records),
            ),
            (
                "output",
                summary.output_records,
                before.and_then(|b| b.output_records),
            ),
            (
                "failed",
                summary.failed_records,
                before.and_then(|b| b.failed_records),
            ),
        ];
        for (kind, now, before) in records {
            let added = now.unwrap_or(0).saturating_sub(before.unwrap_or(0));
            self.metrics.add(
                "aep_flow_run_records_total",
                &[("flow_id", flow), ("kind", kind)],
                added,
            );
        }
    }

    /// One line per new event on standard output.
    fn print(&self, new: &[&Incoming]) {
        let mut out = std::io::stdout().lock();
        for incoming in new {
            let event = &incoming.event;
            let id = event.event_id().unwrap_or(incoming.key.as_str());
            let line = if self.json {
                serde_json::json!({"processed": id, "kind": event.kind().as_str()}).to_string()
            } else {
                summary_line(event, id)
            };
            // Standard output closed: the events were handled all the same.
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
}

/// `event E: CODE OUTCOME run R of flow F, records in/out/failed, N errors`, or the kind and
/// code of another event. Ids and codes come from signed bodies: escaped all the same.
fn summary_line(event: &Event, id: &str) -> String {
    let count = |count: Option<u64>| count.map_or_else(|| "?".to_owned(), |n| n.to_string());
    match event {
        Event::FlowRun(notification) => {
            let run = &notification.run;
            format!(
                "event {}: {} {} run {} of flow {}, records {}/{}/{} in/out/failed, {} errors",
                id.escape_debug(),
                notification.event_code.as_str().escape_debug(),
                notification.outcome(),
                run.id.as_deref().unwrap_or("-").escape_debug(),
                run.flow_id.as_deref().unwrap_or("-").escape_debug(),
                count(notification.input_records()),
                count(notification.output_records()),
                count(notification.failed_records()),
                notification.distinct_errors().len(),
            )
        }
        other => format!(
            "event {}: {} {}",
            id.escape_debug(),
            other.kind().as_str(),
            other
                .event_code()
                .unwrap_or("(no event code)")
                .escape_debug()
        ),
    }
}

/// Logs what a state changed for its run.
fn log_change(notification: &Notification, change: &RunChange, source: Source) {
    let run = notification.run.id.as_deref().unwrap_or("-");
    let status = |status: &Option<aep_flow_run::Status>| {
        status
            .as_ref()
            .map_or("(none)", |status| status.as_str())
            .to_owned()
    };
    match change {
        RunChange::StatusChanged { from, to } => tracing::info!(
            run = ?run, from = %status(from), to = %status(to), source = source.name(),
            "run status changed"
        ),
        RunChange::Stale => tracing::info!(
            run = ?run, source = source.name(), "an older state of a run arrived late: ignored"
        ),
        _ => tracing::debug!(run = ?run, change = ?change, source = source.name(), "run state"),
    }
}
