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
//! - [`PageStore`]: the alerts firing ([`AlertSummary`]) and the pages owed ([`OwedPage`]):
//!   with [`PageRules`], a store records the pages a delivery calls for in the same step as
//!   its run states, and a sender claims them ([`PagesDue`]) and settles them ([`Settled`]).
//! - [`MemoryStore`] is all four in memory; `RedisStore` (feature `redis`) is all four in
//!   Redis, shared by the replicas of a service; `SqliteStore` (feature `sqlite`) is all
//!   four in one SQLite file that survives restarts.
//!
//! Every method takes every key or run of a delivery at once, so that a networked store
//! answers a delivery in one round trip per phase, and returns a [`BoxFuture`](crate::BoxFuture)
//! so that the traits can be used as `dyn`. Errors are [`StoreError`]s.

mod alert_summary;
mod checkpoint;
pub(crate) mod claims;
mod dedup;
mod error;
mod file_checkpoint;
mod incoming;
mod key;
mod memory;
mod outbox;
mod pages;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_checkpoint;
#[cfg(feature = "redis")]
mod redis_pages;
mod runs;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_pages;
mod summary;
mod table;
mod tracker;

pub use alert_summary::AlertSummary;
pub use checkpoint::{Checkpoint, Lease};
pub(crate) use dedup::{keep_within, lease_within};
pub use dedup::{Claim, DedupStore, DEFAULT_KEEP};
pub use error::StoreError;
pub use file_checkpoint::FileCheckpoint;
pub(crate) use incoming::flag_repeats;
pub use incoming::Incoming;
pub use key::{EventKey, MAX_EVENT_ID_LEN};
pub use memory::MemoryStore;
pub use pages::{OwedPage, PageKind, PageRules, PageStore, PagesDue, Settled};
#[cfg(feature = "redis")]
pub use redis::{RedisSettings, RedisStore};
pub use runs::{Observed, RunStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteSettings, SqliteStore};
pub use summary::{FlowRuns, RunSummary};
pub use table::Deduplicator;
pub use tracker::{RunChange, RunTracker};
