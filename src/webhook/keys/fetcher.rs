//! Fetching the public keys a delivery needs, through a [`KeySource`]: one fetch per key
//! path however many deliveries wait for it, the last good key kept while a refresh fails,
//! and fetches for key paths never seen before rate-limited and failures remembered, so
//! that a stranger sending random key paths cannot make the service fetch at will.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use super::{KeyFetchSettings, KeySource};
use crate::deadline::within;
use crate::sync::Lock;
use crate::text::clip;
use crate::webhook::{SharedVerifier, Verifier, WebhookError};
use crate::SharedError;

/// How a fetch ended, as the deliveries waiting for it are told: why it failed, and the key
/// source's error.
type Outcome = Result<(), (&'static str, Option<SharedError>)>;

/// Fetches the keys deliveries need into a [`Receiver`](crate::webhook::Receiver)'s verifier
/// ([`Receiver::with_key_source`](crate::webhook::Receiver::with_key_source)).
pub(crate) struct KeyFetcher {
    source: Arc<dyn KeySource>,
    settings: KeyFetchSettings,
    state: Mutex<FetchState>,
}

#[derive(Default)]
struct FetchState {
    /// Fetches under way, by key path: later deliveries wait for them.
    flights: HashMap<String, Arc<Flight>>,
    /// Key paths whose last fetch failed, until when they are not fetched again.
    failed: HashMap<String, Instant>,
    /// Key paths fetched successfully at least once.
    known: HashMap<String, ()>,
    /// Fetches of new paths in the current minute, and when it started.
    new_fetches: u32,
    minute_start: Option<Instant>,
}

impl std::fmt::Debug for KeyFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFetcher")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// One fetch under way, which other deliveries wait for.
#[derive(Default)]
struct Flight {
    outcome: Mutex<Option<Outcome>>,
    waiters: Mutex<Vec<Waker>>,
}

impl Flight {
    fn finish(&self, outcome: Outcome) {
        *self.outcome.locked() = Some(outcome);
        for waker in self.waiters.locked().drain(..) {
            waker.wake();
        }
    }
}

/// Waits for a flight to finish.
struct Landing(Arc<Flight>);

impl Future for Landing {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(outcome) = self.0.outcome.locked().clone() {
            return Poll::Ready(outcome);
        }
        self.0.waiters.locked().push(cx.waker().clone());
        // Finished between the two looks: do not wait for a wake that already happened.
        match self.0.outcome.locked().clone() {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }
}

/// Ends a flight whose fetching future was dropped before it finished (its delivery was
/// cancelled): the deliveries waiting for it are told, instead of waiting forever.
struct FlightGuard<'a> {
    fetcher: &'a KeyFetcher,
    key_path: String,
    flight: Arc<Flight>,
    done: bool,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.fetcher.state().flights.remove(&self.key_path);
            self.flight.finish(Err(("the fetch was cancelled", None)));
        }
    }
}

/// What to do for one key path.
enum Step {
    Fetch(Arc<Flight>),
    Wait(Arc<Flight>),
    Refuse(&'static str),
    /// Another delivery fetched it meanwhile.
    Held,
}

impl KeyFetcher {
    pub(crate) fn new(source: Arc<dyn KeySource>, settings: KeyFetchSettings) -> Self {
        KeyFetcher {
            source,
            settings,
            state: Mutex::new(FetchState::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, FetchState> {
        self.state.locked()
    }

    /// How long a fetched key is used before it is fetched again: the source's say, within
    /// the verifier's maximum age.
    pub(crate) fn refresh_after(&self, verifier: &Verifier) -> Duration {
        self.source.refresh_after().min(verifier.max_key_age())
    }

    /// Fetches every key `urls` names into the verifier (through `update`), each once
    /// however many callers ask at the same time. Gives the first failure.
    pub(crate) async fn fetch_all(
        &self,
        urls: Vec<Url>,
        verifier: &SharedVerifier,
    ) -> Result<(), WebhookError> {
        let mut first_error = None;
        for url in urls {
            if let Err(error) = self.fetch_one(&url, verifier).await {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn fetch_one(&self, url: &Url, verifier: &SharedVerifier) -> Result<(), WebhookError> {
        let key_path = url.path().to_owned();
        let unavailable =
            |(reason, source): (&'static str, Option<SharedError>)| WebhookError::KeyUnavailable {
                key_path: clip(&key_path, 200),
                reason,
                source,
            };
        let step = self.plan(&key_path, verifier, Instant::now());
        let flight = match step {
            Step::Held => return Ok(()),
            Step::Refuse(reason) => return Err(unavailable((reason, None))),
            Step::Wait(flight) => {
                return match within(self.settings.timeout, Landing(flight)).await {
                    Some(outcome) => outcome.map_err(unavailable),
                    None => Err(unavailable(("timed out waiting for the fetch", None))),
                };
            }
            Step::Fetch(flight) => flight,
        };
        let mut guard = FlightGuard {
            fetcher: self,
            key_path: key_path.clone(),
            flight: flight.clone(),
            done: false,
        };
        let fetched: Outcome = match within(self.settings.timeout, self.source.fetch(url)).await {
            Some(Ok(pem)) => verifier
                .update(|verifier| {
                    verifier.add_public_key_pem_at(&key_path, &pem, SystemTime::now())
                })
                .map_err(|error| {
                    (
                        "the key source served no usable key",
                        Some(SharedError::from(Box::new(error) as crate::BoxError)),
                    )
                }),
            Some(Err(error)) => Err(("the key source failed", Some(SharedError::from(error)))),
            None => Err(("the key source did not answer in time", None)),
        };
        self.remember(&key_path, fetched.is_ok(), verifier);
        guard.done = true;
        flight.finish(fetched.clone());
        fetched.map_err(unavailable)
    }

    /// Ends the flight of `key_path`, and remembers how its fetch went.
    fn remember(&self, key_path: &str, fetched: bool, verifier: &SharedVerifier) {
        {
            let mut state = self.state();
            state.flights.remove(key_path);
            if fetched {
                state.failed.remove(key_path);
                state.known.insert(key_path.to_owned(), ());
            } else if state.failed.len() < self.settings.max_failed_paths {
                let until = Instant::now() + self.settings.retry_after_failure;
                state.failed.insert(key_path.to_owned(), until);
            }
        }
        if !fetched {
            self.keep_last_good_key(key_path, verifier);
        }
    }

    /// A held key whose refresh failed is used a while longer (until the next attempt),
    /// rather than refusing every delivery while Adobe's key host is down.
    fn keep_last_good_key(&self, key_path: &str, verifier: &SharedVerifier) {
        let current = verifier.get();
        let Some(fetched_at) = current.key_fetched_at(key_path) else {
            return;
        };
        let extended = SystemTime::now()
            .checked_sub(current.max_key_age())
            .map(|start| start + self.settings.retry_after_failure)
            .filter(|&extended| extended > fetched_at);
        if let Some(extended) = extended {
            verifier.update(|verifier| verifier.extend_key(key_path, extended));
        }
    }

    /// Decides, under the lock, whether to fetch, wait for a fetch under way, or refuse.
    fn plan(&self, key_path: &str, verifier: &SharedVerifier, now: Instant) -> Step {
        let mut state = self.state();
        if let Some(flight) = state.flights.get(key_path) {
            return Step::Wait(flight.clone());
        }
        // A fetch adds its key before it ends its flight (under this lock): with no flight,
        // a key fetched meanwhile is in the verifier.
        let current = verifier.get();
        let refresh_after = self.refresh_after(&current);
        let fresh = current.key_fetched_at(key_path).is_some_and(|fetched_at| {
            SystemTime::now()
                .duration_since(fetched_at)
                .unwrap_or(Duration::ZERO)
                <= refresh_after
        });
        if fresh {
            return Step::Held;
        }
        if let Some(&until) = state.failed.get(key_path) {
            if now < until {
                return Step::Refuse("its last fetch failed; not fetched again yet");
            }
            state.failed.remove(key_path);
        }
        if !state.known.contains_key(key_path) {
            if state.failed.len() >= self.settings.max_failed_paths {
                state.failed.retain(|_, until| now < *until);
                if state.failed.len() >= self.settings.max_failed_paths {
                    return Step::Refuse("too many failed key paths");
                }
            }
            let minute_over = state
                .minute_start
                .is_none_or(|start| now.duration_since(start) >= Duration::from_secs(60));
            if minute_over {
                state.minute_start = Some(now);
                state.new_fetches = 0;
            }
            if state.new_fetches >= self.settings.new_paths_per_minute {
                return Step::Refuse("too many new key paths this minute");
            }
            state.new_fetches += 1;
        }
        let flight = Arc::new(Flight::default());
        state.flights.insert(key_path.to_owned(), flight.clone());
        Step::Fetch(flight)
    }
}
