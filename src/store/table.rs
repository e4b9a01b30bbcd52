//! The bounded in-memory table of event ids under [`MemoryStore`](super::MemoryStore).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::Claim;

/// A bounded in-memory table of event keys, each in flight (claimed, until its lease ends)
/// or done (until the time it is kept ends): at most `capacity` live keys; beyond that the
/// one touched longest ago goes first. Abandoned keys do not count. Each operation is O(1)
/// amortised: a hash map for lookups, a ring of keys in the order they were last recorded for
/// eviction. The default capacity is 100 000 keys.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aep_flow_run::store::{Claim, Deduplicator};
///
/// let mut seen = Deduplicator::new(2);
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let (lease, keep) = (Duration::from_secs(60), Duration::from_secs(3600));
/// assert_eq!(seen.claim_at("a", lease, now), Claim::Claimed);
/// assert_eq!(seen.claim_at("a", lease, now), Claim::InFlight);
/// seen.complete_at("a", keep, now);
/// assert_eq!(seen.claim_at("a", lease, now), Claim::Done); // a duplicate
/// seen.complete_at("b", keep, now);
/// seen.complete_at("c", keep, now); // over capacity: "a", the oldest, is forgotten
/// assert_eq!(seen.claim_at("a", lease, now), Claim::Claimed);
/// let later = now + Duration::from_secs(3601);
/// assert_eq!(seen.claim_at("b", lease, later), Claim::Claimed); // kept for an hour only
/// ```
#[derive(Debug, Clone)]
pub struct Deduplicator {
    capacity: usize,
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
        Deduplicator::new(Self::DEFAULT_CAPACITY)
    }
}

impl Deduplicator {
    /// The default capacity: 100 000 ids.
    pub const DEFAULT_CAPACITY: usize = 100_000;
    /// A table holding at most `capacity` live keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Deduplicator {
            capacity,
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

    /// Whether `event_id` is held (in flight or done) at `now`, without recording it.
    pub fn contains(&self, event_id: &str, now: SystemTime) -> bool {
        self.live(event_id, now).is_some()
    }

    fn live(&self, event_id: &str, now: SystemTime) -> Option<&Entry> {
        self.entries
            .get(event_id)
            .filter(|entry| entry.until >= now)
    }

    /// Claims `event_id` at `now` for `lease` (see [`DedupStore::claim`](super::DedupStore::claim)).
    pub fn claim_at(&mut self, event_id: &str, lease: Duration, now: SystemTime) -> Claim {
        match self.live(event_id, now) {
            Some(entry) if entry.done => Claim::Done,
            Some(_) => Claim::InFlight,
            None => {
                self.record(event_id, false, later(now, lease), now);
                Claim::Claimed
            }
        }
    }

    /// Records `event_id` as done at `now`, for `keep` (see
    /// [`DedupStore::complete`](super::DedupStore::complete)).
    pub fn complete_at(&mut self, event_id: &str, keep: Duration, now: SystemTime) {
        self.record(event_id, true, later(now, keep), now);
    }

    /// Forgets `event_id` (see [`DedupStore::abandon`](super::DedupStore::abandon)); `true`
    /// when it was held.
    pub fn abandon(&mut self, event_id: &str) -> bool {
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

/// `now + duration`, or the end of time for a duration past it.
fn later(now: SystemTime, duration: Duration) -> SystemTime {
    now.checked_add(duration)
        .unwrap_or_else(|| SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP: Duration = Duration::from_secs(60);
    const LEASE: Duration = Duration::from_secs(5);

    #[test]
    fn memory_stays_bounded() {
        let mut seen = Deduplicator::new(10);
        let start = SystemTime::UNIX_EPOCH;
        for round in 0..1000u64 {
            let now = start + Duration::from_secs(round);
            seen.complete_at(&format!("id-{}", round % 37), KEEP, now);
            if round % 5 == 0 {
                seen.abandon(&format!("id-{}", round % 11));
            }
            if round % 3 == 0 {
                seen.claim_at(&format!("c-{}", round % 13), LEASE, now);
            }
            assert!(seen.entries.len() <= 10, "{}", seen.entries.len());
            assert!(seen.order.len() <= 2 * 10 + 64 + 1, "{}", seen.order.len());
        }
    }

    #[test]
    fn abandoned_keys_count_as_new_and_dead_entries_do_not_evict_live_ones() {
        let mut seen = Deduplicator::new(2);
        let now = SystemTime::UNIX_EPOCH;
        seen.complete_at("a", KEEP, now);
        assert!(seen.abandon("a"));
        assert_eq!(seen.claim_at("a", LEASE, now), Claim::Claimed);
        seen.complete_at("a", KEEP, now);
        assert_eq!(seen.claim_at("a", LEASE, now), Claim::Done);
        assert_eq!(seen.claim_at("b", LEASE, now), Claim::Claimed);
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
        seen.complete_at("a", Duration::from_secs(3600), later);
        assert_eq!(seen.claim_at("a", lease, later), Claim::Done);
        assert!(seen.abandon("a"));
        assert_eq!(seen.claim_at("a", lease, later), Claim::Claimed);
    }

    #[test]
    fn a_huge_lease_or_keep_is_the_end_of_time_not_a_panic() {
        let mut seen = Deduplicator::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(seen.claim_at("a", Duration::MAX, now), Claim::Claimed);
        seen.complete_at("a", Duration::MAX, now);
        assert_eq!(seen.claim_at("a", LEASE, now), Claim::Done);
    }
}
