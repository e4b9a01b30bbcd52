//! Dropping the second copy of an event: Adobe delivers at least once.
//!
//! Two layers: [`DedupStore`], the asynchronous, fallible store with a two-phase claim that
//! [`Receiver`](super::Receiver) uses (implemented in memory by [`MemoryStore`], in Redis
//! for replicas by `RedisStore` with the `redis` feature, or in a user's code), and
//! [`Deduplicator`], the synchronous, bounded in-memory table under both [`MemoryStore`] and
//! the simpler [`EventIdStore`].

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::StoreError;

/// What [`DedupStore::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Claim {
    /// The event was new (or its earlier claim was released or its lease ran out): it is
    /// now ours to handle, until the lease runs out; then [`mark_done`](DedupStore::mark_done)
    /// or [`release`](DedupStore::release) it.
    Claimed,
    /// Another handler holds a live claim on it: answer 503 and let Adobe retry.
    InFlight,
    /// It was handled already: a duplicate, acknowledge it and do nothing.
    Done,
}

/// The future a [`DedupStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where a receiver records which events it has handled: asynchronous (a networked store
/// waits) and fallible (it can be down), with a two-phase claim so that an event whose
/// handling crashed is neither lost nor handled twice at once.
///
/// 1. [`claim`](Self::claim) the event id for a short lease: [`Claim::Claimed`] when it is
///    ours to handle, [`Claim::InFlight`] when another handler holds it, [`Claim::Done`]
///    when it was handled.
/// 2. Once handled, [`mark_done`](Self::mark_done) keeps it as done for `keep` (at least the
///    25 hours Adobe may redeliver it); if handling failed, [`release`](Self::release) it so
///    that Adobe's retry is handled. A claim neither marked nor released ends with its lease
///    (the handler crashed): the next delivery claims it again.
///
/// Implementations must make `claim` atomic (in Redis: set if absent with the lease, and
/// tell in flight from done, in one script: see `RedisStore`, feature `redis`). The receiver
/// bounds every call with its timeout and answers 503 when a call fails or takes too long.
/// Futures are boxed so that the trait can be used as `dyn DedupStore`.
pub trait DedupStore: Send + Sync {
    /// Claims `event_id` for `lease`.
    fn claim<'a>(&'a self, event_id: &'a str, lease: Duration) -> StoreFuture<'a, Claim>;

    /// Records `event_id` as handled, for `keep`.
    fn mark_done<'a>(&'a self, event_id: &'a str, keep: Duration) -> StoreFuture<'a, ()>;

    /// Gives up a claim on `event_id` (handling failed): the next delivery of it is new.
    fn release<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, ()>;
}

macro_rules! forward_dedup_store {
    ($($pointer:ty),*) => {$(
        impl<S: DedupStore + ?Sized> DedupStore for $pointer {
            fn claim<'a>(&'a self, event_id: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
                (**self).claim(event_id, lease)
            }

            fn mark_done<'a>(&'a self, event_id: &'a str, keep: Duration) -> StoreFuture<'a, ()> {
                (**self).mark_done(event_id, keep)
            }

            fn release<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, ()> {
                (**self).release(event_id)
            }
        }
    )*};
}

forward_dedup_store!(Box<S>, Arc<S>, &S);

/// The in-memory [`DedupStore`]: a [`Deduplicator`] behind a mutex held only for the
/// table operation (never across an await), with the system clock. Bounded: at most
/// `capacity` live ids.
#[derive(Debug, Default)]
pub struct MemoryStore {
    table: Mutex<Deduplicator>,
}

impl MemoryStore {
    /// A store of at most `capacity` live ids (in flight or done).
    pub fn new(capacity: usize) -> Self {
        MemoryStore {
            table: Mutex::new(Deduplicator::new(capacity, Deduplicator::DEFAULT_MAX_AGE)),
        }
    }

    /// The table, to look into (tests, metrics).
    pub fn table(&self) -> MutexGuard<'_, Deduplicator> {
        // A panic while holding the lock leaves a consistent table: keep serving.
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl DedupStore for MemoryStore {
    fn claim<'a>(&'a self, event_id: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
        let claim = self.table().claim_at(event_id, lease, SystemTime::now());
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn mark_done<'a>(&'a self, event_id: &'a str, keep: Duration) -> StoreFuture<'a, ()> {
        self.table().mark_done_at(event_id, keep, SystemTime::now());
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, ()> {
        self.table().release(event_id);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// A synchronous, infallible store of event ids received (one process): a first sighting or
/// a duplicate, in one step. [`Deduplicator`] implements it; a receiver uses the two-phase
/// [`DedupStore`] instead.
pub trait EventIdStore {
    /// Records that `event_id` was received at `now`; `true` when it is the first sighting
    /// (not seen within the store's window), `false` for a duplicate.
    fn insert(&mut self, event_id: &str, now: SystemTime) -> bool;

    /// Forgets an id, so that the next delivery of that event counts as new (call it when
    /// handling the event failed and a redelivery should be processed); `true` when it was
    /// held.
    fn remove(&mut self, event_id: &str) -> bool;
}

impl<S: EventIdStore + ?Sized> EventIdStore for Box<S> {
    fn insert(&mut self, event_id: &str, now: SystemTime) -> bool {
        (**self).insert(event_id, now)
    }

    fn remove(&mut self, event_id: &str) -> bool {
        (**self).remove(event_id)
    }
}

/// A bounded in-memory table of event ids, each in flight (claimed, until its lease ends)
/// or done (until its window ends): at most `capacity` live ids; beyond that the one
/// touched longest ago goes first. Removed and released ids do not count. Each operation is
/// O(1) amortised: a hash map for lookups, a ring of ids in the order they were last
/// recorded for eviction.
///
/// Adobe retries a delivery for 24 hours, so the default window is 25 hours (with a margin),
/// for up to 100 000 ids.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aep_flow_run::webhook::{Deduplicator, EventIdStore};
///
/// let mut seen = Deduplicator::new(2, Duration::from_secs(3600));
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert!(seen.insert("a", now));
/// assert!(!seen.insert("a", now)); // a duplicate
/// assert!(seen.insert("b", now));
/// assert!(seen.insert("c", now)); // over capacity: "a", the oldest, is forgotten
/// assert!(seen.insert("a", now));
/// assert!(seen.insert("b", now + Duration::from_secs(3601))); // older than max_age
/// ```
#[derive(Debug, Clone)]
pub struct Deduplicator {
    capacity: usize,
    max_age: Duration,
    /// Each live id with its entry.
    entries: HashMap<Arc<str>, Entry>,
    /// Ids in the order they were recorded; an id whose sequence number no longer matches
    /// its entry (or that has none) is dead there.
    order: VecDeque<(Arc<str>, u64)>,
    next_sequence: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    sequence: u64,
    done: bool,
    /// When the lease (in flight) or the window (done) ends.
    until: SystemTime,
}

impl Default for Deduplicator {
    fn default() -> Self {
        Deduplicator::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_MAX_AGE)
    }
}

impl Deduplicator {
    /// The default capacity: 100 000 ids.
    pub const DEFAULT_CAPACITY: usize = 100_000;
    /// The default window: 25 hours, Adobe's 24 hours of retries and a margin.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(25 * 60 * 60);

    /// A table holding at most `capacity` live ids (at least 1); [`EventIdStore::insert`]
    /// keeps each for `max_age`.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        let capacity = capacity.max(1);
        Deduplicator {
            capacity,
            max_age,
            entries: HashMap::with_capacity(capacity.min(1024)),
            order: VecDeque::with_capacity(capacity.min(1024)),
            next_sequence: 0,
        }
    }

    /// How many ids it holds (live or expired but not yet dropped).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds no id.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most ids it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How long [`EventIdStore::insert`] keeps an id.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Whether `event_id` is held (in flight or done) at `now`, without recording it.
    pub fn contains(&self, event_id: &str, now: SystemTime) -> bool {
        self.live(event_id, now).is_some()
    }

    fn live(&self, event_id: &str, now: SystemTime) -> Option<&Entry> {
        self.entries
            .get(event_id)
            .filter(|entry| entry.until >= now)
    }

    /// Claims `event_id` at `now` for `lease` (see [`DedupStore::claim`]).
    pub fn claim_at(&mut self, event_id: &str, lease: Duration, now: SystemTime) -> Claim {
        match self.live(event_id, now) {
            Some(entry) if entry.done => Claim::Done,
            Some(_) => Claim::InFlight,
            None => {
                self.record(event_id, false, now + lease, now);
                Claim::Claimed
            }
        }
    }

    /// Records `event_id` as done at `now`, for `keep` (see [`DedupStore::mark_done`]).
    pub fn mark_done_at(&mut self, event_id: &str, keep: Duration, now: SystemTime) {
        self.record(event_id, true, now + keep, now);
    }

    /// Forgets `event_id` (see [`DedupStore::release`]); `true` when it was held.
    pub fn release(&mut self, event_id: &str) -> bool {
        self.entries.remove(event_id).is_some()
    }

    fn record(&mut self, event_id: &str, done: bool, until: SystemTime, now: SystemTime) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let id: Arc<str> = match self.entries.get_key_value(event_id) {
            Some((id, _)) => id.clone(),
            None => Arc::from(event_id),
        };
        self.entries.insert(
            id.clone(),
            Entry {
                sequence,
                done,
                until,
            },
        );
        self.order.push_back((id, sequence));
        self.evict(now);
    }

    /// Drops expired ids at the front of the ring, the oldest beyond the capacity, and dead
    /// ring entries; rebuilds the ring when dead entries make up more than half of it.
    fn evict(&mut self, now: SystemTime) {
        while let Some((id, sequence)) = self.order.front() {
            match self.entries.get(id) {
                Some(entry) if entry.sequence == *sequence => {
                    if entry.until >= now && self.entries.len() <= self.capacity {
                        break;
                    }
                    self.entries.remove(id);
                }
                _ => {}
            }
            self.order.pop_front();
        }
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order
                .retain(|(id, sequence)| entries.get(id).is_some_and(|e| e.sequence == *sequence));
        }
    }
}

impl EventIdStore for Deduplicator {
    fn insert(&mut self, event_id: &str, now: SystemTime) -> bool {
        if self.contains(event_id, now) {
            return false;
        }
        self.mark_done_at(event_id, self.max_age, now);
        true
    }

    fn remove(&mut self, event_id: &str) -> bool {
        self.release(event_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_bounded() {
        let mut seen = Deduplicator::new(10, Duration::from_secs(60));
        let start = SystemTime::UNIX_EPOCH;
        for round in 0..1000u64 {
            let now = start + Duration::from_secs(round);
            seen.insert(&format!("id-{}", round % 37), now);
            if round % 5 == 0 {
                seen.remove(&format!("id-{}", round % 11));
            }
            if round % 3 == 0 {
                seen.claim_at(&format!("c-{}", round % 13), Duration::from_secs(5), now);
            }
            assert!(seen.entries.len() <= 10, "{}", seen.entries.len());
            assert!(seen.order.len() <= 2 * 10 + 64 + 1, "{}", seen.order.len());
        }
    }

    #[test]
    fn removed_ids_count_as_new_and_dead_entries_do_not_evict_live_ones() {
        let mut seen = Deduplicator::new(2, Duration::from_secs(60));
        let now = SystemTime::UNIX_EPOCH;
        assert!(seen.insert("a", now));
        assert!(seen.remove("a"));
        assert!(seen.insert("a", now));
        assert!(!seen.insert("a", now));
        assert!(seen.insert("b", now));
        // The dead first entry of "a" was evicted for capacity, not the live one.
        assert!(seen.contains("a", now) && seen.contains("b", now));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn claims_run_out_with_their_lease() {
        let mut seen = Deduplicator::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let lease = Duration::from_secs(60);
        assert_eq!(seen.claim_at("a", lease, now), Claim::Claimed);
        assert_eq!(seen.claim_at("a", lease, now + lease), Claim::InFlight);
        let later = now + lease + Duration::from_secs(1);
        assert_eq!(seen.claim_at("a", lease, later), Claim::Claimed);
        seen.mark_done_at("a", Duration::from_secs(3600), later);
        assert_eq!(seen.claim_at("a", lease, later), Claim::Done);
        assert!(seen.release("a"));
        assert_eq!(seen.claim_at("a", lease, later), Claim::Claimed);
    }
}
