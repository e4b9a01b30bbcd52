//! Where a journal consumer keeps its position, so that a restart resumes where it stopped.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

/// The future a [`Checkpoint`] method returns.
pub type CheckpointFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, CheckpointError>> + Send + 'a>>;

/// A checkpoint store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checkpoint store unavailable: {reason}")]
pub struct CheckpointError {
    /// What the store said.
    pub reason: String,
}

impl CheckpointError {
    /// An error saying `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        CheckpointError {
            reason: reason.into(),
        }
    }
}

/// Where a journal consumer records its position (the journal's opaque `since` value), by
/// journal: it saves one after each page the application acknowledged (and the end position
/// a `204` names), and loads it when it starts. A position saved was reached by handing
/// every event before it to the application (or by the start chosen: `latest` or `seek`
/// skip what is before them), so resuming from it loses nothing (`since` is exclusive).
///
/// `journal` names the journal: the journal URL without its query, unless the consumer was
/// given another name. [`MemoryCheckpoint`] keeps positions in memory; a store shared by
/// replicas or surviving restarts (a file, Redis, a database row) implements the same two
/// calls. Futures are boxed so that the trait can be used as `dyn Checkpoint`.
pub trait Checkpoint: Send + Sync {
    /// The position saved for `journal`, if any.
    fn load<'a>(&'a self, journal: &'a str) -> CheckpointFuture<'a, Option<String>>;

    /// Saves `position` for `journal`, replacing the one saved before.
    fn save<'a>(&'a self, journal: &'a str, position: &'a str) -> CheckpointFuture<'a, ()>;
}

impl<C: Checkpoint + ?Sized> Checkpoint for Arc<C> {
    fn load<'a>(&'a self, journal: &'a str) -> CheckpointFuture<'a, Option<String>> {
        (**self).load(journal)
    }

    fn save<'a>(&'a self, journal: &'a str, position: &'a str) -> CheckpointFuture<'a, ()> {
        (**self).save(journal, position)
    }
}

/// Positions in memory: a restart of the process starts over, but a consumer rebuilt in the
/// same process (after an error, say) resumes. Share it with an `Arc`.
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
/// #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
/// use aep_flow_run::webhook::{Checkpoint, MemoryCheckpoint};
///
/// let checkpoint = MemoryCheckpoint::default();
/// block_on(checkpoint.save("journal-a", "v2:p7"))?;
/// assert_eq!(block_on(checkpoint.load("journal-a"))?.as_deref(), Some("v2:p7"));
/// assert_eq!(block_on(checkpoint.load("journal-b"))?, None);
/// # Ok::<(), aep_flow_run::webhook::CheckpointError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryCheckpoint {
    positions: Mutex<HashMap<String, String>>,
}

impl MemoryCheckpoint {
    fn positions(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.positions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The position saved for `journal`, without a future.
    pub fn get(&self, journal: &str) -> Option<String> {
        self.positions().get(journal).cloned()
    }
}

impl Checkpoint for MemoryCheckpoint {
    fn load<'a>(&'a self, journal: &'a str) -> CheckpointFuture<'a, Option<String>> {
        Box::pin(std::future::ready(Ok(self.get(journal))))
    }

    fn save<'a>(&'a self, journal: &'a str, position: &'a str) -> CheckpointFuture<'a, ()> {
        self.positions()
            .insert(journal.to_owned(), position.to_owned());
        Box::pin(std::future::ready(Ok(())))
    }
}
