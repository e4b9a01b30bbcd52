//! Where a journal consumer keeps its position, so that a restart resumes where it stopped,
//! and the lease that lets one consumer at a time read a journal.

use std::time::Duration;

use super::StoreError;
use crate::pluggable::forward_impls;
use crate::BoxFuture;

/// Where a journal consumer records its position (the journal's opaque `since` value), by
/// journal: it saves one after each page the application completed (and the end position a
/// `204` names), and loads it when it starts. A position saved was reached by handing every
/// event before it to the application (or by the start chosen: `latest` or `seek` skip what
/// is before them), so resuming from it loses nothing (`since` is exclusive).
///
/// `journal` names the journal: the journal URL without its query, unless the consumer was
/// given another name. [`MemoryStore`](super::MemoryStore) keeps positions in memory,
/// [`FileCheckpoint`](super::FileCheckpoint) in a file, [`RedisStore`](super::RedisStore) in
/// Redis for replicas.
///
/// # The reading lease
///
/// Replicas that share a checkpoint may each run a consumer of the same journal: the lease
/// lets one of them read at a time, so that they do not read every page twice and a replica
/// that fell behind never saves an older position over a newer one. A consumer takes (or
/// renews) the lease with [`lease`](Self::lease) before it reads, saves under it with
/// [`save_leased`](Self::save_leased), and gives it up with [`end_lease`](Self::end_lease)
/// when it stops; the others wait ([`Lease::Elsewhere`]) and take over when it runs out.
/// `holder` is an id each consumer draws at random.
///
/// The lease methods have defaults for a store that only one process uses (a file): the
/// lease is always held and `save_leased` is `save`. A store shared by processes implements
/// all three atomically ([`RedisStore`](super::RedisStore) does).
pub trait Checkpoint: Send + Sync {
    /// The position saved for `journal`, if any.
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>>;

    /// Saves `position` for `journal`, replacing the one saved before.
    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Takes the lease on reading `journal` for `holder`, or renews it when `holder` holds it
    /// already: [`Lease::Held`] for `duration` from now, or [`Lease::Elsewhere`] when another
    /// holder has it. The default always grants it (a store for one process).
    fn lease<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        let _ = (journal, holder, duration);
        Box::pin(std::future::ready(Ok(Lease::Held)))
    }

    /// Saves `position` for `journal` only while `holder` holds the lease, and renews the
    /// lease for `duration`: `true` when saved, `false` (nothing saved) when the lease ran out
    /// or another holder has it. The default saves (a store for one process).
    fn save_leased<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
        position: &'a str,
        duration: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let _ = (holder, duration);
        Box::pin(async move { self.save(journal, position).await.map(|()| true) })
    }

    /// Ends `holder`'s lease on `journal` (a consumer that stops), so that another consumer
    /// takes over at once; a lease held by another holder is left alone. The default does
    /// nothing.
    fn end_lease<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = (journal, holder);
        Box::pin(std::future::ready(Ok(())))
    }
}

forward_impls!(Checkpoint {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>>;
    fn save<'a>(&'a self, journal: &'a str, position: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    fn lease<'a>(&'a self, journal: &'a str, holder: &'a str, duration: Duration) -> BoxFuture<'a, Result<Lease, StoreError>>;
    fn save_leased<'a>(&'a self, journal: &'a str, holder: &'a str, position: &'a str, duration: Duration) -> BoxFuture<'a, Result<bool, StoreError>>;
    fn end_lease<'a>(&'a self, journal: &'a str, holder: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
});

/// Who reads a journal: the answer to [`Checkpoint::lease`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lease {
    /// The holder that asked reads the journal, for the duration it asked.
    Held,
    /// Another holder reads it, for at most `remaining` yet unless it renews the lease.
    Elsewhere {
        /// How long the other holder's lease runs yet.
        remaining: Duration,
    },
}
