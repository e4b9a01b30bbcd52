//! Time for the journal consumer and the token provider, injectable so that tests wait for
//! nothing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The future [`Clock::sleep`] returns.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// What time it is, and waiting: the journal consumer waits `Retry-After` and backs off
/// through it, and the token provider decides through it when a token is due for renewal.
/// [`SystemClock`] is the real one; a test clock records the waits and moves its time on
/// instead of sleeping.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        (**self).sleep(duration)
    }
}

/// The system time and tokio's timer (needs a tokio runtime with time enabled).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}
