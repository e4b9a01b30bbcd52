//! Keeping the latest state of each run: deliveries come in no particular order.

use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};

use crate::{FlowRun, Notification, Status};

/// What a delivery changed in the state a [`RunTracker`] keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunChange {
    /// The first state seen for this run.
    New,
    /// A newer state with another status (`None` when a state carries no status).
    StatusChanged {
        /// The status kept before.
        from: Option<Status>,
        /// The status now kept.
        to: Option<Status>,
    },
    /// A newer state with the same status (metrics grew, activities were added, ...).
    Updated,
    /// An older state than the one kept (it arrived late): ignored.
    Stale,
    /// The same version (same `updatedAt` and `etag`) as the one kept: ignored.
    Duplicate,
    /// The run has no `id`, so it cannot be tracked: not kept.
    Untracked,
}

/// The latest state of each run, by run id.
///
/// Adobe I/O Events delivers at least once and in no particular order, so an older state of
/// a run may arrive after a newer one. The tracker orders the states of one run by
/// `updatedAt` (read with [`Timestamp::to_millis`](crate::Timestamp::to_millis); a missing or
/// implausible time counts as the oldest), then by `etag` as text: etags are opaque, but
/// breaking ties the same way everywhere means every replica keeps the same state whatever
/// order the deliveries came in. An older state never replaces a newer one.
///
/// It keeps each run's latest state with the event code it came with
/// ([`observe_notification`](Self::observe_notification); [`observe`](Self::observe) takes
/// a run alone, and its header's code), so that [`Notification::outcome`] reads it as the
/// delivery said. Iterate over it for a status page or a report.
///
/// Memory is bounded: beyond `capacity` runs, the run first seen longest ago is forgotten.
///
/// ```
/// use aep_flow_run::store::{RunChange, RunTracker};
/// use aep_flow_run::{parse_runs, Status};
///
/// let started = &parse_runs(br#"{"id": "r1", "updatedAt": 1700000000000, "metrics": {"statusSummary": {"status": "inProgress"}}}"#)?[0];
/// let done = &parse_runs(br#"{"id": "r1", "updatedAt": 1700000060000, "metrics": {"statusSummary": {"status": "success"}}}"#)?[0];
///
/// let mut runs = RunTracker::new(10_000);
/// assert_eq!(runs.observe(done), RunChange::New);
/// assert_eq!(runs.observe(started), RunChange::Stale); // late: ignored
/// assert_eq!(runs.observe(done), RunChange::Duplicate);
/// assert_eq!(runs.get("r1").unwrap().status(), Some(&Status::Success));
///
/// // With the event code it came with, and all runs kept, for a report.
/// let body = std::fs::read("fixtures/adobe-docs/message-list-sources-flow-run-failed.json")?;
/// let failed = &aep_flow_run::parse_notifications(&body)?[0];
/// assert_eq!(runs.observe_notification(failed), RunChange::New);
/// let outcomes: Vec<_> = runs.iter().map(|kept| kept.outcome()).collect();
/// assert_eq!(outcomes.len(), 2);
/// assert!(outcomes.contains(&aep_flow_run::Outcome::Failed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RunTracker {
    capacity: usize,
    runs: HashMap<String, (u64, Notification)>,
    /// Run ids in first-seen order, with the sequence number of their entry.
    order: VecDeque<(String, u64)>,
    next_sequence: u64,
}

impl Default for RunTracker {
    fn default() -> Self {
        RunTracker::new(Self::DEFAULT_CAPACITY)
    }
}

impl RunTracker {
    /// The default capacity: 100 000 runs.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A tracker keeping at most `capacity` runs (at least 1).
    pub fn new(capacity: usize) -> Self {
        RunTracker {
            capacity: capacity.max(1),
            runs: HashMap::new(),
            order: VecDeque::new(),
            next_sequence: 0,
        }
    }

    /// Takes a delivered state of a run into account, and says what it changed. The run is
    /// kept with the event code of its header, if any
    /// ([`Notification::from_run`]); use
    /// [`observe_notification`](Self::observe_notification) to keep the delivery's.
    pub fn observe(&mut self, run: &FlowRun) -> RunChange {
        self.observe_with(run, || Notification::from_run(run.clone()))
    }

    /// [`observe`](Self::observe) for a notification's run, kept with the notification (its
    /// event code, ids and envelope), so that [`Notification::outcome`] is read as it came.
    pub fn observe_notification(&mut self, notification: &Notification) -> RunChange {
        self.observe_with(&notification.run, || notification.clone())
    }

    fn observe_with(&mut self, run: &FlowRun, keep: impl FnOnce() -> Notification) -> RunChange {
        let Some(id) = run.id.as_deref() else {
            return RunChange::Untracked;
        };
        let Some((_, kept)) = self.runs.get_mut(id) else {
            self.insert_new(id, keep());
            return RunChange::New;
        };
        match compare_versions(run, &kept.run) {
            Ordering::Less => RunChange::Stale,
            Ordering::Equal => RunChange::Duplicate,
            Ordering::Greater => {
                let from = kept.run.status().cloned();
                *kept = keep();
                newer_state(from, run.status().cloned())
            }
        }
    }

    fn insert_new(&mut self, id: &str, run: Notification) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.runs.insert(id.to_owned(), (sequence, run));
        self.order.push_back((id.to_owned(), sequence));
        while self.runs.len() > self.capacity || self.order.len() > self.capacity {
            let Some((old, old_sequence)) = self.order.pop_front() else {
                break;
            };
            if self.runs.get(&old).is_some_and(|(s, _)| *s == old_sequence) {
                self.runs.remove(&old);
            }
        }
    }

    /// The latest state kept for a run id.
    pub fn get(&self, run_id: &str) -> Option<&FlowRun> {
        self.notification(run_id).map(|kept| &kept.run)
    }

    /// The latest state kept for a run id, with the event code (and envelope) it came with.
    pub fn notification(&self, run_id: &str) -> Option<&Notification> {
        self.runs.get(run_id).map(|(_, kept)| kept)
    }

    /// Every run kept, each as its latest state with the event code it came with, in no
    /// particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Notification> + '_ {
        self.runs.values().map(|(_, kept)| kept)
    }

    /// Forgets a run (when it reached its final state and was handled, say); returns the
    /// state kept.
    pub fn remove(&mut self, run_id: &str) -> Option<FlowRun> {
        self.runs.remove(run_id).map(|(_, kept)| kept.run)
    }

    /// How many runs are kept.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether no run is kept.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

impl<'a> IntoIterator for &'a RunTracker {
    type Item = &'a Notification;
    type IntoIter = Box<dyn Iterator<Item = &'a Notification> + 'a>;

    /// [`RunTracker::iter`].
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// What a newer state of a run changed, from the status kept before.
pub(crate) fn newer_state(from: Option<Status>, to: Option<Status>) -> RunChange {
    if from == to {
        RunChange::Updated
    } else {
        RunChange::StatusChanged { from, to }
    }
}

/// Orders two states of one run: by `updatedAt`, then `etag` (absent sorts first).
pub(crate) fn compare_versions(a: &FlowRun, b: &FlowRun) -> Ordering {
    let version = |run: &FlowRun| {
        (
            run.updated_at.as_ref().and_then(|time| time.to_millis()),
            run.etag.clone(),
        )
    };
    version(a).cmp(&version(b))
}

/// A run's version as text that sorts byte by byte in the order [`RunTracker`] gives
/// versions: `0` for no `updatedAt`, else `1` and the epoch milliseconds shifted to unsigned
/// in 20 digits; then `0` for no `etag`, else `1` and the etag. A store compares these with
/// a plain byte comparison (never a locale's).
#[cfg_attr(not(any(feature = "redis", feature = "sqlite")), allow(dead_code))]
pub(crate) fn version_key(run: &FlowRun) -> String {
    let mut key = String::with_capacity(24 + run.etag.as_ref().map_or(0, String::len));
    match run.updated_at.as_ref().and_then(|time| time.to_millis()) {
        Some(millis) => {
            key.push('1');
            key.push_str(&format!("{:020}", (millis as u64) ^ (1 << 63)));
        }
        None => key.push('0'),
    }
    match &run.etag {
        Some(etag) => {
            key.push('1');
            key.push_str(etag);
        }
        None => key.push('0'),
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versioned(updated: Option<&str>, etag: Option<&str>) -> FlowRun {
        let mut json = serde_json::json!({"id": "r", "metrics": {}});
        if let Some(updated) = updated {
            json["updatedAt"] = serde_json::from_str(updated).unwrap();
        }
        if let Some(etag) = etag {
            json["etag"] = etag.into();
        }
        crate::parse_runs(json.to_string().as_bytes())
            .unwrap()
            .remove(0)
    }

    #[test]
    fn version_keys_sort_as_the_tracker_orders_versions() {
        let times = [
            None,
            Some("1700000000"),
            Some("1700000000000"),
            Some("1700000000001"),
            Some("\"2023-11-14T22:13:20.5Z\""),
            Some("4102444800000"),
            Some("0"),
        ];
        let etags = [
            None,
            Some(""),
            Some("\"a\""),
            Some("\"a-b\""),
            Some("\"ab\""),
            Some("\"B\""),
            Some("\"é\""),
            Some("\"a\"x"),
        ];
        let mut runs = Vec::new();
        for time in times {
            for etag in etags {
                runs.push(versioned(time, etag));
            }
        }
        for a in &runs {
            for b in &runs {
                assert_eq!(
                    version_key(a).cmp(&version_key(b)),
                    super::compare_versions(a, b),
                    "{:?} {:?}",
                    version_key(a),
                    version_key(b)
                );
            }
        }
    }

    fn parse(json: &str) -> FlowRun {
        crate::parse_runs(json.as_bytes()).unwrap().remove(0)
    }

    #[test]
    fn etag_breaks_ties_the_same_way_in_any_order() {
        let a = parse(r#"{"id": "r", "updatedAt": 1700000000000, "etag": "\"a\"", "metrics": {}}"#);
        let b = parse(r#"{"id": "r", "updatedAt": 1700000000000, "etag": "\"b\"", "metrics": {}}"#);
        let mut one = RunTracker::new(4);
        one.observe(&a);
        assert_eq!(one.observe(&b), RunChange::Updated);
        let mut two = RunTracker::new(4);
        two.observe(&b);
        assert_eq!(two.observe(&a), RunChange::Stale);
        assert_eq!(one.get("r"), two.get("r"));
    }

    #[test]
    fn status_changes_untracked_and_capacity() {
        let started = parse(
            r#"{"id": "r", "updatedAt": 1700000000, "metrics": {"statusSummary": {"status": "inProgress"}}}"#,
        );
        let failed = parse(
            r#"{"id": "r", "updatedAt": 1700000001, "metrics": {"statusSummary": {"status": "failed"}}}"#,
        );
        let mut runs = RunTracker::new(1);
        assert_eq!(runs.observe(&started), RunChange::New);
        assert_eq!(
            runs.observe(&failed),
            RunChange::StatusChanged {
                from: Some(Status::InProgress),
                to: Some(Status::Failed)
            }
        );
        assert_eq!(
            runs.observe(&parse(r#"{"metrics": {}}"#)),
            RunChange::Untracked
        );
        assert_eq!(
            runs.observe(&parse(r#"{"id": "s", "metrics": {}}"#)),
            RunChange::New
        );
        assert_eq!(runs.len(), 1);
        assert!(runs.get("r").is_none());
        // A run without updatedAt is older than one with it.
        let timeless = parse(r#"{"id": "s", "metrics": {}}"#);
        let timed = parse(r#"{"id": "s", "updatedAt": 1700000000000, "metrics": {}}"#);
        assert_eq!(runs.observe(&timed), RunChange::Updated);
        assert_eq!(runs.observe(&timeless), RunChange::Stale);
    }
}
