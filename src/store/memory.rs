//! Everything a store keeps, in memory: for one process, and for tests.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::outbox::Outbox;
use super::summary::epoch_millis;
use super::{AlertSummary, FlowRuns, Observed, PageRules, PageStore, PagesDue, RunSummary};
use super::{Checkpoint, Claim, DedupStore, Deduplicator, EventKey, Lease, RunChange, RunStore};
use super::{RunTracker, Settled, StoreError};
use crate::sync::Lock;
use crate::{Alert, BoxFuture, FlowRun, Notification};

/// The in-memory store: a [`DedupStore`] (a bounded [`Deduplicator`]), a [`RunStore`] (a
/// bounded [`RunTracker`]) and a [`Checkpoint`] (with the reading lease, for consumers of
/// one process), each behind a mutex held only for the table operation, never across an
/// await. A restart forgets everything: use
/// [`RedisStore`](super::RedisStore) for replicas, or a store that survives restarts.
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
/// #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
/// use std::time::Duration;
/// use aep_flow_run::store::{Claim, DedupStore, EventKey, MemoryStore};
///
/// let store = MemoryStore::default();
/// let keys = [EventKey::from("e1")];
/// let lease = Duration::from_secs(60);
/// assert_eq!(block_on(store.claim(&keys, lease))?, [Claim::Claimed]);
/// assert_eq!(block_on(store.claim(&keys, lease))?, [Claim::InFlight]);
/// block_on(store.complete(&keys, Duration::from_secs(7 * 24 * 3600)))?;
/// assert_eq!(block_on(store.claim(&keys, lease))?, [Claim::Done]);
/// # Ok::<(), aep_flow_run::store::StoreError>(())
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    events: Mutex<Deduplicator>,
    runs: Mutex<RunTracker>,
    /// The summary of each run the tracker keeps (and, until pruned, of some it forgot).
    summaries: Mutex<HashMap<String, RunSummary>>,
    positions: Mutex<HashMap<String, String>>,
    /// The reading lease of each journal: its holder, and until when.
    leases: Mutex<HashMap<String, (String, Instant)>>,
    /// The pages owed and the alerts firing.
    outbox: Mutex<Outbox>,
    paging: Option<PageRules>,
    capacity: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(Deduplicator::DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store of at most `capacity` live event keys (in flight or done) and as many runs.
    pub fn new(capacity: usize) -> Self {
        MemoryStore {
            events: Mutex::new(Deduplicator::new(capacity)),
            runs: Mutex::new(RunTracker::new(capacity)),
            summaries: Mutex::default(),
            positions: Mutex::default(),
            leases: Mutex::default(),
            outbox: Mutex::default(),
            paging: None,
            capacity: capacity.max(1),
        }
    }

    /// The store recording pages owed by `rules` as it observes runs and alerts
    /// ([`PageStore`]).
    pub fn with_paging(mut self, rules: PageRules) -> Self {
        self.paging = Some(rules);
        self
    }

    /// The table of event keys, to look into (tests, metrics).
    pub fn events(&self) -> MutexGuard<'_, Deduplicator> {
        self.events.locked()
    }

    /// The latest state of each run, to look into.
    pub fn runs(&self) -> MutexGuard<'_, RunTracker> {
        self.runs.locked()
    }

    /// The position saved for `journal`, without a future.
    pub fn position(&self, journal: &str) -> Option<String> {
        self.positions.locked().get(journal).cloned()
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, Result<T, StoreError>> {
    Box::pin(std::future::ready(Ok(value)))
}

impl DedupStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        keys: &'a [EventKey],
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claim>, StoreError>> {
        let now = SystemTime::now();
        let mut events = self.events();
        ready(
            keys.iter()
                .map(|key| events.claim_at(key.as_str(), lease, now))
                .collect(),
        )
    }

    fn complete<'a>(
        &'a self,
        keys: &'a [EventKey],
        keep: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let now = SystemTime::now();
        let mut events = self.events();
        for key in keys {
            events.complete_at(key.as_str(), keep, now);
        }
        ready(())
    }

    fn abandon<'a>(&'a self, keys: &'a [EventKey]) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut events = self.events();
        for key in keys {
            events.abandon(key.as_str());
        }
        ready(())
    }
}

impl RunStore for MemoryStore {
    fn observe<'a>(
        &'a self,
        runs: &'a [&'a Notification],
        alerts: &'a [&'a Alert],
    ) -> BoxFuture<'a, Result<Vec<Observed>, StoreError>> {
        let now = SystemTime::now();
        let mut tracker = self.runs();
        let mut summaries = self.summaries.locked();
        // One lock over the states and the outbox: a page is recorded with its state.
        let mut outbox = self.outbox.locked();
        let observed = runs
            .iter()
            .map(|notification| {
                let change = tracker.observe(&notification.run);
                let mut observed = Observed::new(change);
                if let (
                    RunChange::New | RunChange::Updated | RunChange::StatusChanged { .. },
                    Some(summary),
                ) = (&observed.change, RunSummary::of(notification, now))
                {
                    let before = summaries.insert(summary.run_id.clone(), summary.clone());
                    if let Some(rules) = &self.paging {
                        outbox.observe_run(rules, &summary, before.as_ref());
                    }
                    if observed.change != RunChange::New {
                        observed.before = before;
                    }
                }
                observed
            })
            .collect();
        for summary in alerts
            .iter()
            .filter_map(|alert| AlertSummary::of(alert, now))
        {
            outbox.observe_alert(summary, self.paging.is_some());
        }
        // Summaries of runs the tracker forgot go once they are as many again as it keeps.
        if summaries.len() > 2 * self.capacity {
            summaries.retain(|run_id, _| tracker.get(run_id).is_some());
        }
        ready(observed)
    }

    fn latest<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<Option<FlowRun>, StoreError>> {
        ready(self.runs().get(run_id).cloned())
    }

    fn flows<'a>(
        &'a self,
        runs_per_flow: usize,
    ) -> BoxFuture<'a, Result<Vec<FlowRuns>, StoreError>> {
        let tracker = self.runs();
        let kept = self
            .summaries
            .locked()
            .values()
            .filter(|summary| tracker.get(&summary.run_id).is_some())
            .cloned()
            .collect::<Vec<_>>();
        ready(FlowRuns::group(kept, runs_per_flow))
    }
}

impl PageStore for MemoryStore {
    fn firing_alerts<'a>(&'a self) -> BoxFuture<'a, Result<Vec<AlertSummary>, StoreError>> {
        ready(self.outbox.locked().firing())
    }

    fn claim_pages<'a>(
        &'a self,
        holder: &'a str,
        lease: Duration,
        cooldown: Duration,
    ) -> BoxFuture<'a, Result<Vec<PagesDue>, StoreError>> {
        let now = epoch_millis(SystemTime::now());
        ready(self.outbox.locked().claim(holder, lease, cooldown, now))
    }

    fn settle_pages<'a>(
        &'a self,
        holder: &'a str,
        flow_id: &'a str,
        through: u64,
        settled: Settled,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let now = epoch_millis(SystemTime::now());
        ready(
            self.outbox
                .locked()
                .settle(holder, flow_id, through, settled, now),
        )
    }
}

impl Checkpoint for MemoryStore {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        ready(self.position(journal))
    }

    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.positions
            .locked()
            .insert(journal.to_owned(), position.to_owned());
        ready(())
    }

    fn lease<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        let now = Instant::now();
        let mut leases = self.leases.locked();
        let lease = match leases.get(journal) {
            Some((other, until)) if other != holder && *until > now => Lease::Elsewhere {
                remaining: *until - now,
            },
            _ => {
                let until = now.checked_add(duration).unwrap_or(now);
                leases.insert(journal.to_owned(), (holder.to_owned(), until));
                Lease::Held
            }
        };
        ready(lease)
    }

    fn save_leased<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
        position: &'a str,
        duration: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let now = Instant::now();
        let mut leases = self.leases.locked();
        let held = match leases.get_mut(journal) {
            Some((owner, until)) if owner == holder && *until > now => {
                *until = now.checked_add(duration).unwrap_or(now);
                true
            }
            _ => false,
        };
        if held {
            self.positions
                .locked()
                .insert(journal.to_owned(), position.to_owned());
        }
        ready(held)
    }

    fn end_lease<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut leases = self.leases.locked();
        if leases
            .get(journal)
            .is_some_and(|(owner, _)| owner == holder)
        {
            leases.remove(journal);
        }
        ready(())
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    fn ready<T>(future: BoxFuture<'_, Result<T, StoreError>>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
        {
            std::task::Poll::Ready(result) => result.unwrap(),
            std::task::Poll::Pending => unreachable!(),
        }
    }

    fn run(updated: &str, records: u64) -> Notification {
        let json = format!(
            r#"{{"id": "r", "flowId": "f", "updatedAt": {updated},
                "metrics": {{"recordSummary": {{"inputRecordCount": {records}}}}}}}"#
        );
        Notification::from_run(crate::parse_runs(json.as_bytes()).unwrap().remove(0))
    }

    #[test]
    fn the_memory_store_decides_as_the_tracker_and_lists_by_flow() {
        let store = MemoryStore::new(8);
        let first = run("1700000000000", 5);
        let newer = run("1700000000001", 9);
        let older = run("1699999999999", 1);
        let changes: Vec<(RunChange, Option<u64>)> =
            ready(store.observe(&[&first, &newer, &older, &newer], &[]))
                .into_iter()
                .map(|observed| {
                    (
                        observed.change,
                        observed.before.and_then(|b| b.input_records),
                    )
                })
                .collect();
        assert_eq!(
            changes,
            [
                (RunChange::New, None),
                (RunChange::Updated, Some(5)),
                (RunChange::Stale, None),
                (RunChange::Duplicate, None)
            ]
        );
        assert_eq!(store.runs().get("r"), Some(&newer.run));
        let flows = ready(store.flows(20));
        assert_eq!(flows.len(), 1);
        assert_eq!(flows[0].flow_id, "f");
        assert_eq!(flows[0].runs[0].input_records, Some(9));
    }

    #[test]
    fn one_holder_at_a_time_reads_a_journal_and_only_it_saves() {
        let store = MemoryStore::default();
        let minute = Duration::from_secs(60);
        assert_eq!(ready(store.lease("j", "a", minute)), Lease::Held);
        let Lease::Elsewhere { remaining } = ready(store.lease("j", "b", minute)) else {
            panic!("b got the lease a holds")
        };
        assert!(remaining <= minute && remaining > Duration::from_secs(50));
        // Another journal is free; a renews its own.
        assert_eq!(ready(store.lease("k", "b", minute)), Lease::Held);
        assert_eq!(ready(store.lease("j", "a", minute)), Lease::Held);
        assert!(!ready(store.save_leased("j", "b", "p-b", minute)));
        assert!(ready(store.save_leased("j", "a", "p-a", minute)));
        assert_eq!(store.position("j").as_deref(), Some("p-a"));
        // b cannot end a's lease; a can, and then b takes over.
        ready(store.end_lease("j", "b"));
        assert!(matches!(
            ready(store.lease("j", "b", minute)),
            Lease::Elsewhere { .. }
        ));
        ready(store.end_lease("j", "a"));
        assert_eq!(ready(store.lease("j", "b", minute)), Lease::Held);
        assert!(!ready(store.save_leased("j", "a", "p-old", minute)));
        assert_eq!(store.position("j").as_deref(), Some("p-a"));
    }

    #[test]
    fn a_lease_that_ran_out_is_taken_over_and_saves_no_more() {
        let store = MemoryStore::default();
        assert_eq!(ready(store.lease("j", "a", Duration::ZERO)), Lease::Held);
        assert_eq!(
            ready(store.lease("j", "b", Duration::from_secs(60))),
            Lease::Held
        );
        assert!(!ready(store.save_leased(
            "j",
            "a",
            "p",
            Duration::from_secs(60)
        )));
        assert_eq!(store.position("j"), None);
    }

    #[test]
    fn positions_are_kept_by_journal() {
        let store = MemoryStore::default();
        ready(store.save("journal-a", "v2:p7"));
        assert_eq!(ready(store.load("journal-a")).as_deref(), Some("v2:p7"));
        assert_eq!(ready(store.load("journal-b")), None);
    }
}
