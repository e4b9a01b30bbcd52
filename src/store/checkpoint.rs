//! Where a journal consumer keeps its position, so that a restart resumes where it stopped.

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
/// [`RedisStore`](super::RedisStore) in Redis for replicas.
pub trait Checkpoint: Send + Sync {
    /// The position saved for `journal`, if any.
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>>;

    /// Saves `position` for `journal`, replacing the one saved before.
    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

forward_impls!(Checkpoint {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>>;
    fn save<'a>(&'a self, journal: &'a str, position: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
});
