//! The claim phase as the receiver and the journal consumer run it: every new event of a
//! body claimed in one bounded store call, or none.

use std::time::Duration;

use super::{flag_repeats, Claim, DedupStore, EventKey, Incoming, StoreError};
use crate::deadline::{within, Budget};
use crate::BoxFuture;

/// Why the events of a body could not be claimed.
#[derive(Debug)]
pub(crate) enum ClaimRefused {
    /// Another handler holds this event: ask again later.
    InFlight(EventKey),
    /// The store failed or was slow.
    Store(StoreError),
}

/// A store call, bounded by `timeout`.
pub(crate) async fn bounded<T>(
    timeout: Duration,
    call: BoxFuture<'_, Result<T, StoreError>>,
) -> Result<T, StoreError> {
    within(timeout, call)
        .await
        .unwrap_or(Err(StoreError::Timeout { timeout }))
}

/// Flags repeats within `incoming`, then claims the other events for `lease` in one call:
/// those done elsewhere are flagged duplicate, and the keys claimed are returned. When one
/// is in flight elsewhere, or the store fails, what was claimed is abandoned (one call) and
/// nothing is handed over. Each store call is bounded by `timeout` and by what is left of
/// `budget`, so both together take no longer than the budget.
pub(crate) async fn claim_new(
    store: &dyn DedupStore,
    incoming: &mut [Incoming],
    lease: Duration,
    timeout: Duration,
    budget: Budget,
) -> Result<Vec<EventKey>, ClaimRefused> {
    flag_repeats(incoming);
    let places: Vec<usize> = (0..incoming.len())
        .filter(|&place| !incoming[place].duplicate)
        .collect();
    let wanted: Vec<EventKey> = places
        .iter()
        .map(|&place| incoming[place].key.clone())
        .collect();
    if wanted.is_empty() {
        return Ok(wanted);
    }
    let claims = bounded(budget.limit(timeout), store.claim(&wanted, lease))
        .await
        .map_err(ClaimRefused::Store)?;
    let claimed: Vec<EventKey> = wanted
        .iter()
        .zip(&claims)
        .filter(|(_, claim)| **claim == Claim::Claimed)
        .map(|(key, _)| key.clone())
        .collect();
    let in_flight = wanted
        .iter()
        .zip(&claims)
        .find(|(_, claim)| **claim == Claim::InFlight)
        .map(|(key, _)| key.clone());
    let answered_all = claims.len() == wanted.len();
    if in_flight.is_some() || !answered_all {
        give_back(store, &claimed, budget.limit(timeout)).await;
        return Err(match in_flight {
            Some(key) => ClaimRefused::InFlight(key),
            None => ClaimRefused::Store(StoreError::other(format!(
                "{} claims answered for {} keys",
                claims.len(),
                wanted.len()
            ))),
        });
    }
    for (&place, claim) in places.iter().zip(&claims) {
        incoming[place].duplicate = *claim == Claim::Done;
    }
    Ok(claimed)
}

/// Gives back what a body claimed, in one call: the retry will claim it again (or, if this
/// fails, when the lease ends).
async fn give_back(store: &dyn DedupStore, claimed: &[EventKey], limit: Duration) {
    if let Err(error) = bounded(limit, store.abandon(claimed)).await {
        tracing::warn!(
            error = %crate::text::chain(&error),
            keys = claimed.len(),
            "abandoning claims failed; they end with their lease"
        );
    }
}

/// The keys of the events of `incoming` not flagged duplicate.
pub(crate) fn new_keys(incoming: &[Incoming]) -> Vec<EventKey> {
    incoming
        .iter()
        .filter(|item| !item.duplicate)
        .map(|item| item.key.clone())
        .collect()
}
