//! Dropping the second copy of an event: Adobe delivers at least once, and the journal
//! holds what the webhook delivered.

use std::time::Duration;

use super::{EventKey, StoreError};
use crate::pluggable::forward_impls;
use crate::BoxFuture;

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
