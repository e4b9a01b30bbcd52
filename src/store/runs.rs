//! The latest state of each run, behind an asynchronous, fallible store that replicas can
//! share: [`RunStore`].

use super::{RunChange, StoreError};
use crate::pluggable::forward_impls;
use crate::{BoxFuture, FlowRun};

/// Where the latest state of each run is kept, so that every replica makes the same decision
/// whatever order the states of a run arrive in.
///
/// [`observe`](Self::observe) decides as [`RunTracker::observe`](super::RunTracker::observe)
/// does (by `updatedAt`, then `etag` as text; an older state never replaces a newer one) and
/// must do it atomically for each run: a store shared by replicas compares and sets in one
/// step (Redis: one script for every run of a delivery), so that two replicas handling two
/// states of one run at the same time keep the newer one, and exactly one of them sees
/// [`RunChange::New`] for the run's first state.
pub trait RunStore: Send + Sync {
    /// Takes delivered states of runs into account, in order, and says what each changed.
    fn observe<'a>(
        &'a self,
        runs: &'a [&'a FlowRun],
    ) -> BoxFuture<'a, Result<Vec<RunChange>, StoreError>>;

    /// The latest state kept for a run id.
    fn latest<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<Option<FlowRun>, StoreError>>;
}

forward_impls!(RunStore {
    fn observe<'a>(&'a self, runs: &'a [&'a FlowRun]) -> BoxFuture<'a, Result<Vec<RunChange>, StoreError>>;
    fn latest<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<Option<FlowRun>, StoreError>>;
});
