//! The state the webhook receiver and the journal consumer share (cargo feature `webhook`):
//! which events were handled, the latest state of each run, and where a journal was read up
//! to. The store knows neither the webhook nor the journal; both use it.
//!
//! - [`DedupStore`]: the two-phase claim of events (claimed for a lease, then completed or
//!   abandoned), by [`EventKey`] (the one rule for both paths, so that an event handled from
//!   a delivery is recognised in the journal and the other way round). [`Incoming`] is an
//!   event as both paths hand it over: with its key, flagged when it is a duplicate.
//! - [`RunStore`]: the latest state of each run, whatever order states arrive in
//!   ([`RunTracker`] decides, [`RunChange`] says what changed), and of every flow's latest
//!   runs ([`RunSummary`], listed by [`FlowRuns`]).
//! - [`Checkpoint`]: a journal consumer's position, and the [`Lease`] that lets one
//!   consumer at a time read a journal. [`FileCheckpoint`] keeps positions in a file that
//!   survives crashes.
//! - [`MemoryStore`] is all three in memory; `RedisStore` (feature `redis`) is all three in
//!   Redis, shared by the replicas of a service; `SqliteStore` (feature `sqlite`) is all
//!   three in one SQLite file that survives restarts.
//!
//! Every method takes every key or run of a delivery at once, so that a networked store
//! answers a delivery in one round trip per phase, and returns a [`BoxFuture`](crate::BoxFuture)
//! so that the traits can be used as `dyn`. Errors are [`StoreError`]s.

mod checkpoint;
pub(crate) mod claims;
mod dedup;
mod error;
mod file_checkpoint;
mod incoming;
mod key;
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_checkpoint;
mod runs;
#[cfg(feature = "sqlite")]
mod sqlite;
mod summary;
mod table;
mod tracker;

pub use checkpoint::{Checkpoint, Lease};
pub(crate) use dedup::{keep_within, lease_within};
pub use dedup::{Claim, DedupStore, DEFAULT_KEEP};
pub use error::StoreError;
pub use file_checkpoint::FileCheckpoint;
pub(crate) use incoming::flag_repeats;
pub use incoming::Incoming;
pub use key::{EventKey, MAX_EVENT_ID_LEN};
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{RedisSettings, RedisStore};
pub use runs::{Observed, RunStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteSettings, SqliteStore};
pub use summary::{FlowRuns, RunSummary};
pub use table::Deduplicator;
pub use tracker::{RunChange, RunTracker};
