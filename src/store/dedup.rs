//! Dropping the second copy of an event: Adobe delivers at least once, and the journal
//! holds what the webhook delivered.

use std::time::Duration;

use super::{EventKey, StoreError};
use crate::pluggable::forward_impls;
use crate::BoxFuture;

/// How long a handled event is remembered, by default, by the webhook receiver and the
/// journal consumer alike: the journal's retention (7 days), so that each recognises the
/// other's events without settings that must agree. It is also the most either keeps.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The least time a handled event is remembered: Adobe retries a webhook delivery for 24
/// hours.
pub(crate) const MIN_KEEP: Duration = Duration::from_secs(25 * 60 * 60);

/// The longest lease of a claim: a handler that has not finished in a day has crashed.
pub(crate) const MAX_LEASE: Duration = Duration::from_secs(24 * 60 * 60);

/// `keep` within [`MIN_KEEP`] and [`DEFAULT_KEEP`].
pub(crate) fn keep_within(keep: Duration) -> Duration {
    keep.clamp(MIN_KEEP, DEFAULT_KEEP)
}

/// `lease` within one second and [`MAX_LEASE`]: a setting can neither end a claim at once
/// nor overflow a clock or a store's expiry.
pub(crate) fn lease_within(lease: Duration) -> Duration {
    lease.clamp(Duration::from_secs(1), MAX_LEASE)
}

/// What [`DedupStore::claim`] found for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Claim {
    /// The event was new (or its earlier claim was abandoned or its lease ran out): it is
    /// now ours to handle until the lease runs out; then [`complete`](DedupStore::complete)
    /// or [`abandon`](DedupStore::abandon) it.
    Claimed,
    /// Another handler holds a live claim on it: answer 503 and let Adobe retry.
    InFlight,
    /// It was handled already: a duplicate, acknowledge it and do nothing.
    Done,
}

/// Where the receiver and the journal consumer record which events were handled:
/// asynchronous (a networked store waits) and fallible (it can be down), with a two-phase
/// claim so that an event whose handling crashed is neither lost nor handled twice at once.
///
/// 1. [`claim`](Self::claim) the keys of a delivery for a short lease: for each,
///    [`Claim::Claimed`] when it is ours to handle, [`Claim::InFlight`] when another handler
///    holds it, [`Claim::Done`] when it was handled.
/// 2. Once handled, [`complete`](Self::complete) them: they are kept as done for `keep`;
///    if handling failed, [`abandon`](Self::abandon) them so that Adobe's retry is handled.
///    A claim neither completed nor abandoned ends with its lease (the handler crashed): the
///    next delivery claims it again.
///
/// Each method takes every key of a delivery at once, so that a networked store answers a
/// delivery of any size in one round trip per phase. Implementations must claim each key
/// atomically (in Redis: set if absent with the lease, and tell in flight from done, in one
/// script: see [`RedisStore`](super::RedisStore)). Callers bound every call with a timeout.
pub trait DedupStore: Send + Sync {
    /// Claims each of `keys` for `lease`: one [`Claim`] per key, in order.
    fn claim<'a>(
        &'a self,
        keys: &'a [EventKey],
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claim>, StoreError>>;

    /// Records `keys` as handled, for `keep`.
    fn complete<'a>(
        &'a self,
        keys: &'a [EventKey],
        keep: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Gives up the claims on `keys` (handling failed): the next delivery of them is new.
    fn abandon<'a>(&'a self, keys: &'a [EventKey]) -> BoxFuture<'a, Result<(), StoreError>>;
}

forward_impls!(DedupStore {
    fn claim<'a>(&'a self, keys: &'a [EventKey], lease: Duration) -> BoxFuture<'a, Result<Vec<Claim>, StoreError>>;
    fn complete<'a>(&'a self, keys: &'a [EventKey], keep: Duration) -> BoxFuture<'a, Result<(), StoreError>>;
    fn abandon<'a>(&'a self, keys: &'a [EventKey]) -> BoxFuture<'a, Result<(), StoreError>>;
});
