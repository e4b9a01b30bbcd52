//! Dropping the second copy of an event: Adobe delivers at least once.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Where the ids of events already received are kept.
///
/// [`Deduplicator`] keeps them in memory, for one process. A service running several
/// replicas behind one webhook URL implements this trait over a store they share (for
/// example Redis `SET id 1 NX EX 90000`: the reply tells whether the id was new), so that a
/// redelivery reaching another replica is still recognised.
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

/// An in-memory [`EventIdStore`] with bounded memory: at most `capacity` ids, each for at
/// most `max_age`; the oldest go first. Each check is O(1) (amortised): a hash map for
/// lookups, a ring of ids in arrival order for eviction.
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
    /// Each id with the sequence number and time of its live entry in `order`.
    seen: HashMap<Arc<str>, (u64, SystemTime)>,
    /// Ids in arrival order; an entry whose sequence number no longer matches `seen` is dead.
    order: VecDeque<(Arc<str>, u64, SystemTime)>,
    next_sequence: u64,
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

    /// A deduplicator holding at most `capacity` ids (at least 1), each for at most
    /// `max_age`.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        let capacity = capacity.max(1);
        Deduplicator {
            capacity,
            max_age,
            seen: HashMap::with_capacity(capacity.min(1024)),
            order: VecDeque::with_capacity(capacity.min(1024)),
            next_sequence: 0,
        }
    }

    /// How many ids it holds.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether it holds no id.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// The most ids it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How long an id is held.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Whether `event_id` was seen within the window at `now`, without recording it.
    pub fn contains(&self, event_id: &str, now: SystemTime) -> bool {
        self.seen
            .get(event_id)
            .is_some_and(|&(_, at)| !self.expired(at, now))
    }

    fn expired(&self, at: SystemTime, now: SystemTime) -> bool {
        now.duration_since(at).unwrap_or(Duration::ZERO) > self.max_age
    }

    /// Drops entries older than the window, and the oldest beyond the capacity.
    fn evict(&mut self, now: SystemTime) {
        while let Some((id, sequence, at)) = self.order.front() {
            let live = self.seen.get(id).is_some_and(|&(s, _)| s == *sequence);
            let over = self.order.len() > self.capacity;
            if live && !over && !self.expired(*at, now) {
                break;
            }
            if live {
                self.seen.remove(id);
            }
            self.order.pop_front();
        }
    }
}

impl EventIdStore for Deduplicator {
    fn insert(&mut self, event_id: &str, now: SystemTime) -> bool {
        self.evict(now);
        if self.contains(event_id, now) {
            return false;
        }
        let id: Arc<str> = Arc::from(event_id);
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.seen.insert(id.clone(), (sequence, now));
        self.order.push_back((id, sequence, now));
        self.evict(now);
        true
    }

    fn remove(&mut self, event_id: &str) -> bool {
        self.seen.remove(event_id).is_some()
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
            assert!(seen.order.len() <= 10 && seen.seen.len() <= 10);
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
}
