//! Time for the journal consumer and the token provider, injectable so that tests wait for
//! nothing.

use std::time::{Duration, SystemTime};

use crate::pluggable::forward_impls;
use crate::BoxFuture;

/// What time it is, and waiting: the journal consumer waits `Retry-After` and backs off
/// through it, and the token provider decides through it when a token is due for renewal.
/// [`SystemClock`] is the real one; a test clock records the waits and moves its time on
/// instead of sleeping.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
}

forward_impls!(Clock {
    fn now(&self) -> SystemTime;
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
});

/// The system time and tokio's timer (needs a tokio runtime with time enabled).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
