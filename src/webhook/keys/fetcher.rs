//! Fetching the public keys a delivery needs, through a [`KeySource`]: one fetch per key
//! path however many deliveries wait for it, the last good key kept while a refresh fails,
//! and failed key paths remembered, so that a stranger naming the same paths again makes no
//! fetch.
//!
//! There is no budget of new key paths that a request could spend before its signature
//! verifies: such a budget is spent by whoever asks first, so a stranger naming random paths
//! fast enough would keep a genuine new key (after a rotation or a restart) from being
//! fetched. Instead a request reaches a fetch only when it could be genuine (a `POST` of a
//! delivery's size, all four signature headers, a signature of an RSA key's length for the
//! pair, a key path on Adobe's key host; see the receiver), each path is fetched once
//! however many requests name it and not again for a while when it failed, and every fetch
//! is bounded by the request's time. A stranger's request thus costs at most one fetch of a
//! path never fetched before: the service never fetches more than it is sent, and how much
//! it is sent is bounded by the server's connection limits.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use super::{KeyFetchSettings, KeySource};
use crate::deadline::{instant_after, time_after, within, Budget};
use crate::sync::Lock;
use crate::text::{clip, escaped};
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
    /// Key paths whose last fetch failed, until when they are not fetched again (at most
    /// `max_failed_paths`; the one due soonest makes room).
    failed: HashMap<String, Instant>,
    /// Key paths fetched successfully at least once: Adobe's, so a failure to refresh one
    /// is worth a warning (a stranger's path failing is not).
    known: HashSet<String>,
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

impl FetchState {
    /// Remembers that `key_path` failed, until `until`; a full table makes room by dropping
    /// the entries due soonest (so that strangers filling it cannot stop a new path).
    fn remember_failure(&mut self, key_path: &str, until: Instant, capacity: usize) {
        if capacity == 0 {
            return;
        }
        if self.failed.len() >= capacity && !self.failed.contains_key(key_path) {
            let now = Instant::now();
            self.failed.retain(|_, due| now < *due);
            while self.failed.len() >= capacity {
                let soonest = self
                    .failed
                    .iter()
                    .min_by_key(|(_, due)| **due)
                    .map(|(path, _)| path.clone());
                match soonest {
                    Some(path) => self.failed.remove(&path),
                    None => break,
                };
            }
        }
        self.failed.insert(key_path.to_owned(), until);
    }
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
    /// however many callers ask at the same time, each wait bounded by the fetch timeout and
    /// by what is left of `budget`. Gives the first failure.
    pub(crate) async fn fetch_all(
        &self,
        urls: Vec<Url>,
        verifier: &SharedVerifier,
        budget: Budget,
    ) -> Result<(), WebhookError> {
        let mut first_error = None;
        for url in urls {
            if let Err(error) = self.fetch_one(&url, verifier, budget).await {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn fetch_one(
        &self,
        url: &Url,
        verifier: &SharedVerifier,
        budget: Budget,
    ) -> Result<(), WebhookError> {
        let key_path = url.path().to_owned();
        let unavailable =
            |(reason, source): (&'static str, Option<SharedError>)| WebhookError::KeyUnavailable {
                key_path: clip(&key_path, 200),
                reason,
                source,
            };
        let timeout = budget.limit(self.settings.timeout);
        let step = self.plan(&key_path, verifier, Instant::now());
        let flight = match step {
            Step::Held => return Ok(()),
            Step::Refuse(reason) => {
                tracing::debug!(key_path = %escaped(&key_path), reason, "public key not fetched");
                return Err(unavailable((reason, None)));
            }
            Step::Wait(flight) => {
                return match within(timeout, Landing(flight)).await {
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
        let fetched = self.fetch_key(url, &key_path, verifier, timeout).await;
        let known = self.remember(&key_path, fetched.is_ok(), verifier);
        guard.done = true;
        flight.finish(fetched.clone());
        log_fetch(&key_path, &fetched, known);
        fetched.map_err(unavailable)
    }

    /// Fetches the key at `url` into the verifier, within `timeout`.
    async fn fetch_key(
        &self,
        url: &Url,
        key_path: &str,
        verifier: &SharedVerifier,
        timeout: std::time::Duration,
    ) -> Outcome {
        match within(timeout, self.source.fetch(url)).await {
            Some(Ok(pem)) => verifier
                .update(|verifier| {
                    verifier.add_public_key_pem_at(key_path, &pem, SystemTime::now())
                })
                .map_err(|error| {
                    (
                        "the key source served no usable key",
                        Some(SharedError::from(Box::new(error) as crate::BoxError)),
                    )
                }),
            Some(Err(error)) => Err(("the key source failed", Some(SharedError::from(error)))),
            None => Err(("the key source did not answer in time", None)),
        }
    }

    /// Ends the flight of `key_path`, and remembers how its fetch went; whether the path was
    /// fetched successfully before.
    fn remember(&self, key_path: &str, fetched: bool, verifier: &SharedVerifier) -> bool {
        let known = {
            let mut state = self.state();
            state.flights.remove(key_path);
            let known = state.known.contains(key_path);
            if fetched {
                state.failed.remove(key_path);
                state.known.insert(key_path.to_owned());
            } else {
                let until = instant_after(Instant::now(), self.settings.retry_after_failure);
                state.remember_failure(key_path, until, self.settings.max_failed_paths);
            }
            known
        };
        if !fetched {
            self.keep_last_good_key(key_path, verifier);
        }
        known
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
            .map(|start| time_after(start, self.settings.retry_after_failure))
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
        if current.held_within(key_path, SystemTime::now(), self.refresh_after(&current)) {
            return Step::Held;
        }
        if let Some(&until) = state.failed.get(key_path) {
            if now < until {
                return Step::Refuse("its last fetch failed; not fetched again yet");
            }
            state.failed.remove(key_path);
        }
        let flight = Arc::new(Flight::default());
        state.flights.insert(key_path.to_owned(), flight.clone());
        Step::Fetch(flight)
    }
}

/// A fetch in the logs: a failure at `warn` for a path fetched before (Adobe's key host or
/// the key source is failing), at `debug` for one never fetched (a stranger's path, most
/// likely: not worth an operator's attention, and a flood of them must not flood the logs).
fn log_fetch(key_path: &str, fetched: &Outcome, known: bool) {
    let key_path = escaped(key_path);
    match fetched {
        Ok(()) => tracing::info!(key_path = %key_path, "public key fetched"),
        Err((reason, source)) => {
            let error = source
                .as_ref()
                .map(|error| escaped(&error.to_string()).to_string());
            if known {
                tracing::warn!(key_path = %key_path, reason, error, "public key refresh failed");
            } else {
                tracing::debug!(key_path = %key_path, reason, error, "public key fetch failed");
            }
        }
    }
}
