//! The latest state of each run, behind an asynchronous, fallible store that replicas can
//! share: [`RunStore`].

use super::{FlowRuns, RunChange, RunSummary, StoreError};
use crate::pluggable::forward_impls;
use crate::{Alert, BoxFuture, FlowRun, Notification};

/// What [`RunStore::observe`] says of one delivered state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Observed {
    /// What it changed.
    pub change: RunChange,
    /// The summary kept before, when it was replaced by this newer state (for
    /// [`RunChange::StatusChanged`] and [`RunChange::Updated`]): what a counter of records
    /// subtracts, so that a later state of a run adds only its difference.
    pub before: Option<RunSummary>,
}

impl Observed {
    /// A change with no summary replaced.
    pub fn new(change: RunChange) -> Self {
        Observed {
            change,
            before: None,
        }
    }
}

/// Where the latest state of each run is kept, so that every replica makes the same decision
/// whatever order the states of a run arrive in.
///
/// [`observe`](Self::observe) decides as [`RunTracker::observe`](super::RunTracker::observe)
/// does (by `updatedAt`, then `etag` as text; an older state never replaces a newer one) and
/// must do it atomically for each run: a store shared by replicas compares and sets in one
/// step (Redis: one script for every run of a delivery), so that two replicas handling two
/// states of one run at the same time keep the newer one, and exactly one of them sees
/// [`RunChange::New`] for the run's first state. With each state it keeps the run's
/// [`RunSummary`] (event code and outcome included), which [`flows`](Self::flows) lists.
///
/// `observe` records everything a delivery says about runs and alerts in that one step (one
/// SQLite transaction, one Redis script): the run states, the alerts, and, with paging rules,
/// the pages they call for (see [`PageStore`](super::PageStore)).
pub trait RunStore: Send + Sync {
    /// Records what a delivery says about runs and alerts: takes the delivered states of runs
    /// (the notifications that carry them) into account, in order, then the alerts (a
    /// `FIRING` alert is kept until a state of the same id that is not firing ends it; an
    /// alert without an id is not kept), and says what each run state changed, one
    /// [`Observed`] per notification.
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
    /// #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
    /// use aep_flow_run::store::{MemoryStore, PageStore, RunChange, RunStore};
    /// use aep_flow_run::{parse_events, Event};
    ///
    /// let store = MemoryStore::default();
    /// let run = std::fs::read("fixtures/adobe-docs/io-event-sources-flow-run-success.json")?;
    /// let alert = std::fs::read("fixtures/adobe-docs/not-a-run-alert-error-rate.json")?;
    /// let (Event::FlowRun(run), Event::Alert(alert)) =
    ///     (parse_events(&run)?.remove(0), parse_events(&alert)?.remove(0))
    /// else {
    ///     panic!("a run and an alert")
    /// };
    /// let observed = block_on(store.observe(&[&run], &[&alert]))?;
    /// assert_eq!(observed[0].change, RunChange::New);
    /// // That alert's state is not FIRING: nothing is kept.
    /// assert!(block_on(store.firing_alerts())?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn observe<'a>(
        &'a self,
        runs: &'a [&'a Notification],
        alerts: &'a [&'a Alert],
    ) -> BoxFuture<'a, Result<Vec<Observed>, StoreError>>;

    /// The latest state kept for a run id.
    fn latest<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<Option<FlowRun>, StoreError>>;

    /// The latest state of every flow's runs: flows by latest activity, newest first, each
    /// with at most `runs_per_flow` runs, newest first (the first is the flow's latest run).
    fn flows<'a>(
        &'a self,
        runs_per_flow: usize,
    ) -> BoxFuture<'a, Result<Vec<FlowRuns>, StoreError>>;
}

forward_impls!(RunStore {
    fn observe<'a>(&'a self, runs: &'a [&'a Notification], alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<Vec<Observed>, StoreError>>;
    fn latest<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<Option<FlowRun>, StoreError>>;
    fn flows<'a>(&'a self, runs_per_flow: usize) -> BoxFuture<'a, Result<Vec<FlowRuns>, StoreError>>;
});
