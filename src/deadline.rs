//! Bounding a future's time without tying the crate to one async runtime.
//!
//! [`within`] polls the future first and, only when it is not ready, registers its waker
//! with one timer thread that the process starts on first need. An in-memory store answers
//! on the first poll, so it never touches the timer.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

/// `future`'s output, or `None` when it was not ready within `limit`.
pub(crate) fn within<F: Future + Unpin>(limit: Duration, future: F) -> Within<F> {
    Within {
        future,
        limit,
        deadline: None,
        timer_id: None,
    }
}

pub(crate) struct Within<F> {
    future: F,
    limit: Duration,
    deadline: Option<Instant>,
    timer_id: Option<u64>,
}

impl<F: Future + Unpin> Future for Within<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = Pin::new(&mut self.future).poll(cx) {
            return Poll::Ready(Some(output));
        }
        let now = Instant::now();
        let limit = self.limit;
        let deadline = *self
            .deadline
            .get_or_insert_with(|| instant_after(now, limit));
        if now >= deadline {
            return Poll::Ready(None);
        }
        match timer() {
            Some(timer) => {
                self.timer_id = Some(timer.register(self.timer_id, deadline, cx.waker()));
                Poll::Pending
            }
            // No timer thread could be started: nothing would wake us at the deadline, so
            // the wait counts as over (a retryable answer, never a hang).
            None => Poll::Ready(None),
        }
    }
}

impl<F> Drop for Within<F> {
    fn drop(&mut self) {
        if let (Some(id), Some(timer)) = (self.timer_id, timer()) {
            timer.state().wakers.remove(&id);
        }
    }
}

/// `now + duration`, or as far ahead as an `Instant` goes (a duration from a setting may be
/// `Duration::MAX`: never a panic).
pub(crate) fn instant_after(now: Instant, duration: Duration) -> Instant {
    now.checked_add(duration).unwrap_or_else(|| {
        // About a century: further than any wait, and representable on every platform.
        now.checked_add(FAR).unwrap_or(now)
    })
}

/// `time + duration`, or as far ahead as a `SystemTime` goes.
pub(crate) fn time_after(time: SystemTime, duration: Duration) -> SystemTime {
    time.checked_add(duration)
        .unwrap_or_else(|| time.checked_add(FAR).unwrap_or(time))
}

const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The time left to answer a request: every wait of one request (key fetches, store calls)
/// is bounded by what is left of it, so that the request is answered in time however many
/// waits it makes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    end: Instant,
}

impl Budget {
    /// A budget of `total` from now.
    pub(crate) fn new(total: Duration) -> Self {
        Budget {
            end: instant_after(Instant::now(), total),
        }
    }

    /// `limit`, or less when less is left.
    pub(crate) fn limit(&self, limit: Duration) -> Duration {
        limit.min(self.end.saturating_duration_since(Instant::now()))
    }
}

struct Timer {
    state: Mutex<TimerState>,
    changed: Condvar,
}

#[derive(Default)]
struct TimerState {
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: HashMap<u64, Waker>,
    next_id: u64,
}

/// The process's timer, its thread started on first use; `None` when no thread could be
/// started.
fn timer() -> Option<&'static Timer> {
    static TIMER: OnceLock<Option<&'static Timer>> = OnceLock::new();
    *TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            state: Mutex::new(TimerState::default()),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("aep-flow-run-timer".into())
            .spawn(move || timer.run())
            .ok()
            .map(|_| timer)
    })
}

impl Timer {
    fn state(&self) -> MutexGuard<'_, TimerState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers (or updates) the waker to wake at `deadline`; gives its id.
    fn register(&self, id: Option<u64>, deadline: Instant, waker: &Waker) -> u64 {
        let mut state = self.state();
        let id = match id {
            Some(id) if state.wakers.contains_key(&id) => id,
            _ => {
                let id = state.next_id;
                state.next_id += 1;
                state.deadlines.push(Reverse((deadline, id)));
                self.changed.notify_one();
                id
            }
        };
        state.wakers.insert(id, waker.clone());
        id
    }

    fn run(&self) {
        let mut state = self.state();
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while let Some(&Reverse((deadline, id))) = state.deadlines.peek() {
                if deadline > now {
                    break;
                }
                state.deadlines.pop();
                due.extend(state.wakers.remove(&id));
            }
            if !due.is_empty() {
                drop(state);
                due.into_iter().for_each(Waker::wake);
                state = self.state();
                continue;
            }
            state = match state.deadlines.peek() {
                Some(&Reverse((deadline, _))) => {
                    let wait = deadline.saturating_duration_since(now);
                    self.changed
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
                None => self
                    .changed
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a future to completion on this thread, parking between polls.
    fn block_on<F: Future + Unpin>(mut future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = Pin::new(&mut future).poll(&mut cx) {
                return output;
            }
            std::thread::park();
        }
    }

    #[test]
    fn durations_past_the_end_of_time_do_not_panic() {
        let now = Instant::now();
        assert!(instant_after(now, Duration::MAX) > now);
        let time = SystemTime::UNIX_EPOCH;
        assert!(time_after(time, Duration::MAX) > time);
        // A pending future with an endless limit is pending, not a panic.
        let mut waiting = within(Duration::MAX, std::future::pending::<()>());
        let waker = Waker::noop();
        assert!(Pin::new(&mut waiting)
            .poll(&mut Context::from_waker(waker))
            .is_pending());
        assert_eq!(
            Budget::new(Duration::MAX).limit(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
        assert_eq!(
            Budget::new(Duration::ZERO).limit(Duration::from_secs(3)),
            Duration::ZERO
        );
    }

    #[test]
    fn ready_futures_pass_and_pending_ones_time_out() {
        assert_eq!(
            block_on(within(Duration::ZERO, std::future::ready(7))),
            Some(7)
        );
        assert_eq!(
            block_on(within(
                Duration::from_millis(20),
                std::future::pending::<()>()
            )),
            None
        );
    }
}
