//! The latest state of each run, behind an asynchronous, fallible store that replicas can
//! share: [`RunStore`], in memory ([`MemoryRunStore`]) or in Redis (`RedisStore`).

use std::sync::{Arc, Mutex, MutexGuard};

use super::{RunChange, RunTracker, StoreFuture};
use crate::FlowRun;

/// Where a receiver keeps the latest state of each run, so that every replica makes the same
/// decision whatever order the states of a run arrive in.
///
/// [`observe`](Self::observe) decides as [`RunTracker::observe`] does (by `updatedAt`, then
/// `etag` as text; an older state never replaces a newer one) and must do it atomically: a
/// store shared by replicas compares and sets in one step (Redis: one script), so that two
/// replicas handling two states of one run at the same time keep the newer one, and exactly
/// one of them sees [`RunChange::New`] for the run's first state. Futures are boxed so that
/// the trait can be used as `dyn RunStore`.
pub trait RunStore: Send + Sync {
    /// Takes a delivered state of a run into account, and says what it changed.
    fn observe<'a>(&'a self, run: &'a FlowRun) -> StoreFuture<'a, RunChange>;

    /// The latest state kept for a run id.
    fn latest<'a>(&'a self, run_id: &'a str) -> StoreFuture<'a, Option<FlowRun>>;
}

macro_rules! forward_run_store {
    ($($pointer:ty),*) => {$(
        impl<S: RunStore + ?Sized> RunStore for $pointer {
            fn observe<'a>(&'a self, run: &'a FlowRun) -> StoreFuture<'a, RunChange> {
                (**self).observe(run)
            }

            fn latest<'a>(&'a self, run_id: &'a str) -> StoreFuture<'a, Option<FlowRun>> {
                (**self).latest(run_id)
            }
        }
    )*};
}

forward_run_store!(Box<S>, Arc<S>, &S);

/// The in-memory [`RunStore`] (one process): a [`RunTracker`] behind a mutex held only for
/// the table operation, never across an await.
#[derive(Debug, Default)]
pub struct MemoryRunStore {
    tracker: Mutex<RunTracker>,
}

impl MemoryRunStore {
    /// A store keeping at most `capacity` runs ([`RunTracker::new`]).
    pub fn new(capacity: usize) -> Self {
        MemoryRunStore {
            tracker: Mutex::new(RunTracker::new(capacity)),
        }
    }

    /// The tracker, to look into (tests, metrics).
    pub fn tracker(&self) -> MutexGuard<'_, RunTracker> {
        // A panic while holding the lock leaves a consistent tracker: keep serving.
        self.tracker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl RunStore for MemoryRunStore {
    fn observe<'a>(&'a self, run: &'a FlowRun) -> StoreFuture<'a, RunChange> {
        let change = self.tracker().observe(run);
        Box::pin(std::future::ready(Ok(change)))
    }

    fn latest<'a>(&'a self, run_id: &'a str) -> StoreFuture<'a, Option<FlowRun>> {
        let run = self.tracker().get(run_id).cloned();
        Box::pin(std::future::ready(Ok(run)))
    }
}

/// A run's version as text that sorts byte by byte in the order [`RunTracker`] gives
/// versions: `0` for no `updatedAt`, else `1` and the epoch milliseconds shifted to unsigned
/// in 20 digits; then `0` for no `etag`, else `1` and the etag. A store compares these with
/// a plain byte comparison (never a locale's).
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
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
    use std::future::Future;

    use super::*;

    fn run(updated: Option<&str>, etag: Option<&str>) -> FlowRun {
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
                runs.push(run(time, etag));
            }
        }
        for a in &runs {
            for b in &runs {
                assert_eq!(
                    version_key(a).cmp(&version_key(b)),
                    super::super::tracker::compare_versions(a, b),
                    "{:?} {:?}",
                    version_key(a),
                    version_key(b)
                );
            }
        }
    }

    #[test]
    fn the_memory_store_decides_as_the_tracker() {
        let store = MemoryRunStore::new(8);
        let newer = run(Some("1700000000001"), None);
        let older = run(Some("1700000000000"), None);
        let ready = |future: StoreFuture<'_, RunChange>| {
            let mut future = std::pin::pin!(future);
            match future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
            {
                std::task::Poll::Ready(result) => result.unwrap(),
                std::task::Poll::Pending => unreachable!(),
            }
        };
        assert_eq!(ready(store.observe(&newer)), RunChange::New);
        assert_eq!(ready(store.observe(&older)), RunChange::Stale);
        assert_eq!(ready(store.observe(&newer)), RunChange::Duplicate);
        assert_eq!(store.tracker().get("r"), Some(&newer));
    }
}
