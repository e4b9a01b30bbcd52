//! Deduplication, run state and journal positions in one SQLite file that survives restarts
//! (feature `sqlite`).

use std::fmt;
use std::path::Path;
use std::sync::mpsc::{self, Receiver as Queue, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

use super::summary::{epoch_millis, stored_run};
use super::tracker::{newer_state, version_key};
use super::{AlertSummary, PageRules, RunSummary, StoreError};
use super::{Checkpoint, Claim, DedupStore, EventKey, FlowRuns, Observed, RunChange, RunStore};
use crate::deadline::within;
use crate::{Alert, BoxFuture, FlowRun, Notification, Status};

/// What a [`SqliteStore`] is told.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteSettings {
    /// The longest one call may take, waiting for its turn included (default 3 s, the
    /// receiver's store timeout); then it fails with [`StoreError::Timeout`]. It is also how
    /// long SQLite waits for another process's lock on the file.
    pub timeout: Duration,
    /// How long the state of a run is kept after it was last updated (default 7 days, the
    /// journal's retention).
    pub run_keep: Duration,
    /// The most calls waiting for the store's thread (default 4096); beyond that a call
    /// fails at once instead of queueing without bound.
    pub queue: usize,
    /// The rules of the pages [`observe`](RunStore::observe) records (default none: no page
    /// is recorded; alerts are kept all the same).
    pub paging: Option<PageRules>,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings {
            timeout: Duration::from_secs(3),
            run_keep: Duration::from_secs(7 * 24 * 60 * 60),
            queue: 4096,
            paging: None,
        }
    }
}

/// A [`DedupStore`], a [`RunStore`] and a [`Checkpoint`] in one SQLite file: the state of a
/// single process that survives its restarts (a crash, `SIGKILL`, a deploy). For several
/// replicas use [`RedisStore`](super::RedisStore).
///
/// # What is durable when
///
/// The file is opened in WAL mode. A call's future resolves only after the transaction that
/// holds it has committed; for what an answer to Adobe relies on
/// ([`complete`](DedupStore::complete), [`observe`](RunStore::observe),
/// [`save`](Checkpoint::save)) the commit runs with `synchronous=FULL`, so its WAL frames
/// are on disk (fsync) first. A receiver that answers after `complete` returned `Ok` has
/// therefore recorded the event before Adobe hears `200`: killed at any moment after that
/// (`SIGKILL`, even a power cut), the restarted process answers the same delivery as a
/// duplicate, and still has the run states and journal positions saved before. Claims and
/// abandons commit with `synchronous=NORMAL`: they survive a killed process (the WAL is in
/// the system's cache), and a claim lost to a power cut is only an event not yet claimed,
/// which Adobe's retry hands over again; that spares one fsync of the three a delivery
/// makes.
///
/// # Off the executor, bounded
///
/// Every call runs on one thread the store starts, which owns the connection: nothing blocks
/// the async executor, and the store needs no particular runtime. Calls that wait together
/// share one transaction and one fsync (group commit), each in a savepoint of its own, so a
/// failed call never undoes another. At most [`SqliteSettings::queue`] calls wait; every
/// call is bounded by [`SqliteSettings::timeout`]. The thread ends when the last clone of the
/// store is dropped.
///
/// # Tables
///
/// `events` (deduplication key, done or claimed, claim owner, until when), `runs` (run id,
/// flow id, version, last activity, the [`RunSummary`] and the run as JSON), `positions`
/// (journal name, position), `pages` (the outbox: pages owed, in order), `pagers` (each
/// flow's paging state: where the newest run that paged stands until it recovers, last page
/// sent, the sender's claim)
/// and `alerts` (the alerts firing). Expired events and runs are deleted a thousand at a time as
/// the store goes.
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
/// #         std::thread::sleep(std::time::Duration::from_millis(1)); } }
/// use std::time::Duration;
/// use aep_flow_run::store::{Checkpoint, Claim, DedupStore, EventKey, SqliteSettings, SqliteStore};
///
/// let dir = std::env::temp_dir().join(format!("aep-doc-sqlite-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("state.db");
/// let keys = [EventKey::from("e1")];
/// {
///     let store = SqliteStore::open(&path, SqliteSettings::default())?;
///     assert_eq!(block_on(store.claim(&keys, Duration::from_secs(60)))?, [Claim::Claimed]);
///     block_on(store.complete(&keys, Duration::from_secs(7 * 24 * 3600)))?;
///     block_on(store.save("journal", "v2:p7"))?;
/// }
/// // Opened again (after a restart): the event is a duplicate, the position is known.
/// let store = SqliteStore::open(&path, SqliteSettings::default())?;
/// assert_eq!(block_on(store.claim(&keys, Duration::from_secs(60)))?, [Claim::Done]);
/// assert_eq!(block_on(store.load("journal"))?.as_deref(), Some("v2:p7"));
/// # drop(store); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    queue: SyncSender<(Flush, Job)>,
    shared: Arc<Shared>,
}

struct Shared {
    settings: SqliteSettings,
    /// Written beside this store's claims, so that it abandons only its own.
    owner: String,
    path: String,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.shared.path)
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

/// A call for the store's thread: it runs in the open transaction, and gives what to send
/// back once the transaction has committed (or failed).
type Job = Box<dyn FnOnce(&Connection, i64) -> Done + Send>;

/// Whether a call's commit must be on disk before it resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flush {
    /// What an answer to Adobe relies on (events done, run states, journal positions):
    /// `synchronous=FULL`, the WAL fsynced at commit.
    Disk,
    /// Claims, abandons and reads: `synchronous=NORMAL`. A claim lost to a power cut is an
    /// event not yet claimed, which Adobe's retry hands over again; the next `Disk` commit
    /// flushes it anyway.
    Cache,
}
/// Whether a call succeeded, and what sends its result (or the commit's error).
type Done = (bool, Reply);
/// Sends a call's result, or the commit's error.
type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// The most calls in one transaction.
const GROUP: usize = 256;
/// How many rows one clean-up deletes, and how many commits go between clean-ups.
const PURGE_ROWS: i64 = 1000;
const PURGE_EVERY: u32 = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    key TEXT PRIMARY KEY,
    done INTEGER NOT NULL,
    owner TEXT,
    until_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_until ON events (until_ms);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    version TEXT NOT NULL,
    activity_ms INTEGER NOT NULL,
    seen_ms INTEGER NOT NULL,
    summary TEXT NOT NULL,
    run TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_flow ON runs (flow_id, activity_ms);
CREATE INDEX IF NOT EXISTS runs_seen ON runs (seen_ms);
CREATE TABLE IF NOT EXISTS positions (
    journal TEXT PRIMARY KEY,
    position TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    recovered INTEGER NOT NULL,
    page TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pages_by_flow ON pages (flow_id, seq);
CREATE TABLE IF NOT EXISTS pagers (
    flow_id TEXT PRIMARY KEY,
    paged_at INTEGER,
    sent_ms INTEGER,
    holder TEXT,
    until_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    seen_ms INTEGER NOT NULL,
    alert TEXT NOT NULL
);
";

fn sqlite(error: rusqlite::Error) -> StoreError {
    StoreError::unavailable("SQLite", error)
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, creates its tables, and starts
    /// its thread. Fails when the file cannot be opened or written (a missing directory, no
    /// permission, a file that is no SQLite database).
    pub fn open(path: impl AsRef<Path>, settings: SqliteSettings) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let connection = Connection::open(path).map_err(sqlite)?;
        connection.busy_timeout(settings.timeout).map_err(sqlite)?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::other(format!(
                "SQLite: the file cannot use WAL mode (journal mode {mode})"
            )));
        }
        connection
            .execute_batch("PRAGMA synchronous=FULL;")
            .and_then(|()| connection.execute_batch(SCHEMA))
            .map_err(sqlite)?;
        let (queue, jobs) = mpsc::sync_channel(settings.queue.max(1));
        let run_keep = until(0, settings.run_keep);
        std::thread::Builder::new()
            .name("aep-flow-run-sqlite".to_owned())
            .spawn(move || serve(connection, jobs, run_keep))
            .map_err(|error| StoreError::unavailable("SQLite: no thread for the store", error))?;
        let mut seed = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
            .map_err(|_| StoreError::other("no random numbers for claim owners"))?;
        Ok(SqliteStore {
            queue,
            shared: Arc::new(Shared {
                settings,
                owner: seed.iter().map(|byte| format!("{byte:02x}")).collect(),
                path: path.display().to_string(),
            }),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &SqliteSettings {
        &self.shared.settings
    }

    /// Asks the store's thread to read the file, within the timeout: whether the store
    /// answers (for a readiness check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.call(Flush::Cache, |connection, _| {
            connection.query_row("SELECT 1", [], |_| Ok(()))
        })
        .await
    }

    /// Runs `work` on the store's thread in the next transaction; resolves once it has
    /// committed (and, with [`Flush::Disk`], once the commit is on disk), within the timeout.
    pub(super) fn call<'a, T: Send + 'static>(
        &'a self,
        flush: Flush,
        work: impl FnOnce(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'a, Result<T, StoreError>> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |connection, now| {
            let result = work(connection, now).map_err(sqlite);
            let ok = result.is_ok();
            let send = move |committed: Result<(), StoreError>| {
                let _ = reply.send(committed.and(result));
            };
            (ok, Box::new(send))
        });
        let queued = match self.queue.try_send((flush, job)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(StoreError::other(
                "SQLite: too many calls waiting for the store",
            )),
            Err(TrySendError::Disconnected(_)) => Err(StoreError::other("SQLite: store closed")),
        };
        let timeout = self.shared.settings.timeout;
        Box::pin(async move {
            queued?;
            match within(timeout, answer).await {
                Some(Ok(result)) => result,
                Some(Err(_)) => Err(StoreError::other(
                    "SQLite: the call could not run (the file is locked or unwritable)",
                )),
                None => Err(StoreError::Timeout { timeout }),
            }
        })
    }
}

/// The store's thread: takes the calls waiting, runs them in one transaction (each in a
/// savepoint), commits, then answers them. Ends when every sender is gone.
fn serve(mut connection: Connection, jobs: Queue<(Flush, Job)>, run_keep_ms: i64) {
    let mut commits = 0u32;
    let mut flushing = Flush::Disk;
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let flush = match group.iter().any(|(flush, _)| *flush == Flush::Disk) {
            true => Flush::Disk,
            false => Flush::Cache,
        };
        let now = epoch_millis(SystemTime::now());
        let mut replies = Vec::with_capacity(group.len());
        let mut committed = Ok(());
        if flush != flushing {
            let pragma = match flush {
                Flush::Disk => "PRAGMA synchronous=FULL",
                Flush::Cache => "PRAGMA synchronous=NORMAL",
            };
            committed = connection.execute_batch(pragma).map_err(sqlite);
            flushing = if committed.is_ok() { flush } else { flushing };
        }
        if committed.is_ok() {
            let jobs = group.into_iter().map(|(_, job)| job).collect();
            committed = run_group(&mut connection, jobs, now, &mut replies);
        }
        for reply in replies {
            reply(committed.clone());
        }
        commits = commits.wrapping_add(1);
        if commits.is_multiple_of(PURGE_EVERY) {
            let _ = purge(&connection, now, run_keep_ms);
        }
    }
}

fn run_group(
    connection: &mut Connection,
    group: Vec<Job>,
    now: i64,
    replies: &mut Vec<Reply>,
) -> Result<(), StoreError> {
    // When no transaction can begin, nothing runs: the calls hear why (their reply
    // channels close with the jobs, which their futures report as an error).
    let transaction = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    for job in group {
        let savepoint = transaction.execute_batch("SAVEPOINT call");
        let (ok, reply) = job(&transaction, now);
        let end = if ok {
            "RELEASE call"
        } else {
            "ROLLBACK TO call; RELEASE call"
        };
        let ended = savepoint.and_then(|()| transaction.execute_batch(end));
        replies.push(match ended {
            Ok(()) => reply,
            Err(error) => {
                let error = sqlite(error);
                Box::new(move |_| reply(Err(error)))
            }
        });
    }
    transaction.commit().map_err(sqlite)
}

/// Deletes expired event keys and runs, a bounded number at a time.
fn purge(connection: &Connection, now: i64, run_keep_ms: i64) -> rusqlite::Result<()> {
    connection.execute(
        "DELETE FROM events WHERE key IN \
         (SELECT key FROM events WHERE until_ms < ?1 LIMIT ?2)",
        params![now, PURGE_ROWS],
    )?;
    connection.execute(
        "DELETE FROM runs WHERE run_id IN \
         (SELECT run_id FROM runs WHERE seen_ms < ?1 LIMIT ?2)",
        params![now.saturating_sub(run_keep_ms), PURGE_ROWS],
    )?;
    Ok(())
}

/// `now` plus `duration` in milliseconds, saturating.
pub(super) fn until(now: i64, duration: Duration) -> i64 {
    now.saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
}

impl DedupStore for SqliteStore {
    fn claim<'a>(
        &'a self,
        keys: &'a [EventKey],
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claim>, StoreError>> {
        let keys: Vec<String> = keys.iter().map(|key| key.as_str().to_owned()).collect();
        let owner = self.shared.owner.clone();
        self.call(Flush::Cache, move |connection, now| {
            let mut read =
                connection.prepare_cached("SELECT done, until_ms FROM events WHERE key = ?1")?;
            let mut write = connection.prepare_cached(
                "INSERT OR REPLACE INTO events (key, done, owner, until_ms) VALUES (?1, 0, ?2, ?3)",
            )?;
            let mut claims = Vec::with_capacity(keys.len());
            for key in &keys {
                let held: Option<(bool, i64)> = read
                    .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                claims.push(match held {
                    Some((true, until_ms)) if until_ms >= now => Claim::Done,
                    Some((false, until_ms)) if until_ms >= now => Claim::InFlight,
                    _ => {
                        write.execute(params![key, owner, until(now, lease)])?;
                        Claim::Claimed
                    }
                });
            }
            Ok(claims)
        })
    }

    fn complete<'a>(
        &'a self,
        keys: &'a [EventKey],
        keep: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let keys: Vec<String> = keys.iter().map(|key| key.as_str().to_owned()).collect();
        self.call(Flush::Disk, move |connection, now| {
            let mut write = connection.prepare_cached(
                "INSERT OR REPLACE INTO events (key, done, owner, until_ms) VALUES (?1, 1, NULL, ?2)",
            )?;
            for key in &keys {
                write.execute(params![key, until(now, keep)])?;
            }
            Ok(())
        })
    }

    fn abandon<'a>(&'a self, keys: &'a [EventKey]) -> BoxFuture<'a, Result<(), StoreError>> {
        let keys: Vec<String> = keys.iter().map(|key| key.as_str().to_owned()).collect();
        let owner = self.shared.owner.clone();
        self.call(Flush::Cache, move |connection, _| {
            let mut delete = connection
                .prepare_cached("DELETE FROM events WHERE key = ?1 AND done = 0 AND owner = ?2")?;
            for key in &keys {
                delete.execute(params![key, owner])?;
            }
            Ok(())
        })
    }
}

/// A delivered state as the store's thread writes it.
struct RunRow {
    run_id: String,
    flow_id: String,
    version: String,
    status: Option<Status>,
    summary: RunSummary,
    run: String,
}

fn run_row(notification: &Notification, seen: SystemTime) -> Result<Option<RunRow>, StoreError> {
    let Some(summary) = RunSummary::of(notification, seen) else {
        return Ok(None);
    };
    let run = serde_json::to_string(&notification.run)
        .map_err(|error| StoreError::unavailable("run state not written", error))?;
    Ok(Some(RunRow {
        run_id: summary.run_id.clone(),
        flow_id: summary.flow_id.clone().unwrap_or_default(),
        version: version_key(&notification.run),
        status: notification.run.status().cloned(),
        summary,
        run,
    }))
}

/// Compares a delivered state with the one kept, and keeps the newer.
fn observe_row(connection: &Connection, row: &RunRow) -> rusqlite::Result<Observed> {
    let kept: Option<(String, String)> = connection
        .prepare_cached("SELECT version, summary FROM runs WHERE run_id = ?1")?
        .query_row([&row.run_id], |found| Ok((found.get(0)?, found.get(1)?)))
        .optional()?;
    let before = match &kept {
        Some((version, _)) if row.version.as_bytes() < version.as_bytes() => {
            return Ok(Observed::new(RunChange::Stale))
        }
        Some((version, _)) if row.version == *version => {
            return Ok(Observed::new(RunChange::Duplicate))
        }
        Some((_, summary)) => Some(serde_json::from_str::<RunSummary>(summary).map_err(
            |error| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(error),
                )
            },
        )?),
        None => None,
    };
    let summary = serde_json::to_string(&row.summary)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO runs (run_id, flow_id, version, activity_ms, seen_ms, summary, run) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            row.run_id,
            row.flow_id,
            row.version,
            row.summary.activity(),
            row.summary.seen_at,
            summary,
            row.run
        ])?;
    Ok(match before {
        None => Observed::new(RunChange::New),
        Some(before) => {
            let from = before.status.as_deref().map(Status::from);
            let mut observed = Observed::new(newer_state(from, row.status.clone()));
            observed.before = Some(before);
            observed
        }
    })
}

/// Keeps a delivered state if newer, with the page it calls for under `paging`.
fn observe_with_page(
    connection: &Connection,
    row: &RunRow,
    paging: Option<&PageRules>,
) -> rusqlite::Result<Observed> {
    let observed = observe_row(connection, row)?;
    let kept = matches!(
        observed.change,
        RunChange::New | RunChange::Updated | RunChange::StatusChanged { .. }
    );
    if let (Some(rules), true) = (paging, kept) {
        let before = observed.before.as_ref();
        super::sqlite_pages::record_run_page(connection, rules, &row.summary, before)?;
    }
    Ok(observed)
}

impl RunStore for SqliteStore {
    fn observe<'a>(
        &'a self,
        runs: &'a [&'a Notification],
        alerts: &'a [&'a Alert],
    ) -> BoxFuture<'a, Result<Vec<Observed>, StoreError>> {
        let seen = SystemTime::now();
        let rows: Result<Vec<Option<RunRow>>, StoreError> = runs
            .iter()
            .map(|notification| run_row(notification, seen))
            .collect();
        let rows = match rows {
            Ok(rows) => rows,
            Err(error) => return Box::pin(std::future::ready(Err(error))),
        };
        let alerts: Vec<AlertSummary> = alerts
            .iter()
            .filter_map(|alert| AlertSummary::of(alert, seen))
            .collect();
        let paging = self.shared.settings.paging;
        // One transaction: the states, the alerts and the pages they call for.
        self.call(Flush::Disk, move |connection, _| {
            let observed = rows
                .iter()
                .map(|row| match row {
                    None => Ok(Observed::new(RunChange::Untracked)),
                    Some(row) => observe_with_page(connection, row, paging.as_ref()),
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for alert in &alerts {
                super::sqlite_pages::observe_alert(connection, alert, paging.is_some())?;
            }
            Ok(observed)
        })
    }

    fn latest<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<Option<FlowRun>, StoreError>> {
        let run_id = run_id.to_owned();
        let found = self.call(Flush::Cache, move |connection, _| {
            connection
                .prepare_cached("SELECT run FROM runs WHERE run_id = ?1")?
                .query_row([run_id], |row| row.get::<_, String>(0))
                .optional()
        });
        Box::pin(async move { stored_run(found.await?) })
    }

    fn flows<'a>(
        &'a self,
        runs_per_flow: usize,
    ) -> BoxFuture<'a, Result<Vec<FlowRuns>, StoreError>> {
        let limit = i64::try_from(runs_per_flow).unwrap_or(i64::MAX);
        let found = self.call(Flush::Cache, move |connection, _| {
            let mut query = connection.prepare_cached(
                "SELECT summary FROM (SELECT summary, flow_id, \
                   ROW_NUMBER() OVER (PARTITION BY flow_id ORDER BY activity_ms DESC, run_id) AS n \
                 FROM runs) WHERE n <= ?1",
            )?;
            let rows = query.query_map([limit], |row| row.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
        });
        Box::pin(async move { FlowRuns::group_stored(&found.await?, runs_per_flow) })
    }
}

impl Checkpoint for SqliteStore {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        let journal = journal.to_owned();
        self.call(Flush::Cache, move |connection, _| {
            connection
                .prepare_cached("SELECT position FROM positions WHERE journal = ?1")?
                .query_row([journal], |row| row.get(0))
                .optional()
        })
    }

    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let (journal, position) = (journal.to_owned(), position.to_owned());
        self.call(Flush::Disk, move |connection, _| {
            connection
                .prepare_cached(
                    "INSERT OR REPLACE INTO positions (journal, position) VALUES (?1, ?2)",
                )?
                .execute(params![journal, position])
                .map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_send_sync_and_usable_as_dyn() {
        fn check<T: Send + Sync + Clone>() {}
        check::<SqliteStore>();
        fn boxed(
            store: SqliteStore,
        ) -> (Box<dyn DedupStore>, Box<dyn RunStore>, Box<dyn Checkpoint>) {
            (
                Box::new(store.clone()),
                Box::new(store.clone()),
                Box::new(store),
            )
        }
        let _ = boxed;
    }

    #[test]
    fn a_file_that_is_no_database_is_an_error() {
        let dir = std::env::temp_dir().join(format!("aep-sqlite-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("not-a-db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let error = SqliteStore::open(&path, SqliteSettings::default()).unwrap_err();
        assert!(
            error.to_string().starts_with("store unavailable: SQLite"),
            "{error}"
        );
        let missing = SqliteStore::open(dir.join("no/such/dir/x.db"), SqliteSettings::default());
        assert!(missing.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
