//! Deduplication and run state shared by replicas, in Redis (feature `redis`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::run_store::version_key;
use super::{Claim, DedupStore, RunChange, RunStore, StoreError, StoreFuture};
use crate::{FlowRun, Status};

/// What a [`RedisStore`] is told: its key prefix and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisSettings {
    /// Put before every key (default `aep-flow-run:`). Every replica of one service uses the
    /// same prefix; services (or Adobe registrations, or environments) sharing one Redis
    /// database use different ones.
    pub prefix: String,
    /// The longest one call may take, connecting included (default 3 s, the receiver's
    /// [`store_timeout`](super::ReceiverSettings::store_timeout)); then it fails with
    /// [`StoreError::Timeout`].
    pub timeout: Duration,
    /// How long the state of a run is kept after its latest newer state (default 7 days, the
    /// journal's retention).
    pub run_keep: Duration,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            prefix: "aep-flow-run:".to_owned(),
            timeout: Duration::from_secs(3),
            run_keep: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// A [`DedupStore`] and a [`RunStore`] in Redis, shared by the replicas of a service: an
/// event claimed, handled or in flight on one replica is so for all, and every replica keeps
/// the same latest state of a run.
///
/// It talks to one Redis server (or a primary) through the `redis` crate's tokio connection
/// manager: one multiplexed connection, re-established after it is lost, so it needs a tokio
/// runtime (with the time driver). Every call is bounded by [`RedisSettings::timeout`] and
/// fails with a [`StoreError`], which the [`Receiver`](super::Receiver) answers with a 503:
/// while Redis is unreachable, Adobe keeps retrying and no event is acknowledged.
///
/// # Keys
///
/// Under [`RedisSettings::prefix`] (`P`):
///
/// - `P` `event:` *key*: a string, one per deduplication key
///   ([`Delivered::key`](super::Delivered::key)): `claimed:<token>` while a replica holds
///   the event (it expires with the lease), then `done` (it expires after
///   [`ReceiverSettings::keep`](super::ReceiverSettings::keep), 25 hours by default).
/// - `P` `run:` *run id*: a hash with the latest state of a run: `v` its version (`updatedAt`
///   then `etag`, as text that sorts byte by byte), `s` its status, `r` the run as JSON. It
///   expires [`RedisSettings::run_keep`] after its latest newer state.
///
/// # The two-phase claim
///
/// Each operation is one Lua script, so atomic:
///
/// - [`claim`](DedupStore::claim) sets `claimed:<token>` with the lease when the key is
///   absent (as `SET NX PX` does), with a token new for each claim; otherwise it tells a
///   claim in flight from `done`.
/// - [`release`](DedupStore::release) deletes the key only while it still holds this
///   store's token for that event: a claim that ran out and was taken by another replica is
///   not released from under it.
/// - [`mark_done`](DedupStore::mark_done) sets `done` for `keep` **whatever the key holds**:
///   the event was handled, and that stays true when this claim ran out meanwhile. If
///   another replica claimed it after the lease ran out (it is handling it a second time
///   now, which no store can stop), `done` replaces that claim: its later release leaves
///   `done` in place, and every further delivery is a duplicate. Making `done` conditional
///   on the token would instead let that other replica's failure release the event and a
///   third delivery handle it again. Each such late mark is counted
///   ([`late_marks`](Self::late_marks)): it means the lease is shorter than handling takes.
///
/// The trait carries no token, so the store remembers the token of each live claim it made,
/// by event key, in memory (bounded: claims past their lease are dropped). A claim whose
/// answer was lost (the call timed out after Redis executed it) cannot be released: it ends
/// with its lease, and Adobe's retry claims it then.
///
/// # Run state
///
/// [`observe`](RunStore::observe) compares the delivered version with the one kept and
/// replaces it only when newer, in one script; the comparison is byte by byte (not by
/// Redis's locale), in the order [`RunTracker`](super::RunTracker) gives.
///
/// ```no_run
/// # async fn run() -> Result<(), aep_flow_run::webhook::StoreError> {
/// use aep_flow_run::webhook::{Receiver, RedisSettings, RedisStore, Verifier};
///
/// let store = RedisStore::open("redis://127.0.0.1:6379/", RedisSettings::default())?;
/// let receiver = Receiver::with_store(Verifier::new("my-client-id"), store.clone());
/// // ... and `store` as the RunStore of the application's handler.
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    shared: Arc<Shared>,
}

struct Shared {
    settings: RedisSettings,
    /// The start of every token of this store: random, so that no two stores share one.
    token_stem: String,
    next_token: AtomicU64,
    /// The token of each live claim this store made, by event key.
    claims: Mutex<HashMap<String, Held>>,
    late_marks: AtomicU64,
}

struct Held {
    token: String,
    until: Instant,
}

/// Beyond this many remembered claims, those past their lease are dropped.
const CLAIMS_PRUNE_AT: usize = 4096;

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("settings", &self.shared.settings)
            .field("late_marks", &self.late_marks())
            .finish_non_exhaustive()
    }
}

// KEYS[1] the event key; ARGV[1] the claim's value, ARGV[2] the lease in milliseconds.
// 0: claimed, 1: in flight, 2: done.
const CLAIM: &str = r"
local held = redis.call('GET', KEYS[1])
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 0
end
if held == 'done' then return 2 end
return 1
";

// KEYS[1] the event key; ARGV[1] this store's claim value ('' for none), ARGV[2] keep in ms.
// 1: it held our claim; 0: absent (our lease ran out); 2: done already; 3: another claim.
const MARK_DONE: &str = r"
local held = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
if held == ARGV[1] then return 1 end
if not held then return 0 end
if held == 'done' then return 2 end
return 3
";

// KEYS[1] the event key; ARGV[1] this store's claim value. 1 when it was deleted.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

// KEYS[1] the run key; ARGV[1] the version, ARGV[2] the status, ARGV[3] the run's JSON,
// ARGV[4] how long to keep it in ms. 'new', 'stale', 'duplicate', or 'newer' followed by the
// status kept before.
const OBSERVE: &str = r"
local function compare(a, b)
  if a == b then return 0 end
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      if x < y then return -1 else return 1 end
    end
  end
  if #a < #b then return -1 else return 1 end
end
local kept = redis.call('HMGET', KEYS[1], 'v', 's')
local order = 1
if kept[1] then order = compare(ARGV[1], kept[1]) end
if order < 0 then return 'stale' end
if order == 0 then return 'duplicate' end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2], 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if not kept[1] then return 'new' end
return 'newer' .. (kept[2] or '-')
";

fn scripts() -> &'static [Script; 4] {
    static SCRIPTS: std::sync::OnceLock<[Script; 4]> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| {
        [
            Script::new(CLAIM),
            Script::new(MARK_DONE),
            Script::new(RELEASE),
            Script::new(OBSERVE),
        ]
    })
}

impl RedisStore {
    /// A store on the Redis server at `url` (`redis://HOST:PORT/DB`, with
    /// `redis://:PASSWORD@HOST...` or `redis://USER:PASSWORD@HOST...` when it needs a
    /// password). Connects on first use, and again whenever the connection is lost. Fails on
    /// a URL it cannot use, and outside a tokio runtime.
    pub fn open(url: &str, settings: RedisSettings) -> Result<Self, StoreError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StoreError::Unavailable {
                reason: "RedisStore::open needs a tokio runtime".to_owned(),
            });
        }
        let client = redis::Client::open(url).map_err(|error| StoreError::Unavailable {
            reason: format!("unusable Redis URL: {error}"),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|error| unavailable(&error))?;
        let mut seed = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed).map_err(
            |_| StoreError::Unavailable {
                reason: "no random numbers for claim tokens".to_owned(),
            },
        )?;
        let token_stem = seed.iter().map(|byte| format!("{byte:02x}")).collect();
        Ok(RedisStore {
            connection,
            shared: Arc::new(Shared {
                settings,
                token_stem,
                next_token: AtomicU64::new(0),
                claims: Mutex::new(HashMap::new()),
                late_marks: AtomicU64::new(0),
            }),
        })
    }

    /// [`open`](Self::open), then a `PING`: fails when the server cannot be reached within
    /// the timeout (the store still reconnects later if it is kept).
    pub async fn connect(url: &str, settings: RedisSettings) -> Result<Self, StoreError> {
        let store = RedisStore::open(url, settings)?;
        store.ping().await?;
        Ok(store)
    }

    /// Asks the server for a `PONG`, within the timeout.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        self.bounded(async move {
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        })
        .await
        .map(drop)
    }

    /// The settings.
    pub fn settings(&self) -> &RedisSettings {
        &self.shared.settings
    }

    /// How many times [`mark_done`](DedupStore::mark_done) found that this store's claim had
    /// run out (the key was absent, done, or claimed again elsewhere): a lease shorter than
    /// handling takes, or a store that was unreachable for longer than a lease.
    pub fn late_marks(&self) -> u64 {
        self.shared.late_marks.load(Ordering::Relaxed)
    }

    /// The key of an event's deduplication entry.
    pub fn event_key(&self, event_key: &str) -> String {
        format!("{}event:{event_key}", self.shared.settings.prefix)
    }

    /// The key of a run's state.
    pub fn run_key(&self, run_id: &str) -> String {
        format!("{}run:{run_id}", self.shared.settings.prefix)
    }

    fn claims(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        self.shared
            .claims
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn new_token(&self) -> String {
        let number = self.shared.next_token.fetch_add(1, Ordering::Relaxed);
        format!("claimed:{}:{number}", self.shared.token_stem)
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let timeout = self.shared.settings.timeout;
        match tokio::time::timeout(timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_timeout() => Err(StoreError::Timeout { timeout }),
            Ok(Err(error)) => Err(unavailable(&error)),
            Err(_) => Err(StoreError::Timeout { timeout }),
        }
    }

    async fn run_script<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        key: String,
        args: &[&[u8]],
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = script.key(key);
        for arg in args {
            invocation.arg(*arg);
        }
        self.bounded(invocation.invoke_async(&mut connection)).await
    }
}

fn unavailable(error: &redis::RedisError) -> StoreError {
    StoreError::Unavailable {
        reason: format!("Redis: {error}"),
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().max(1).to_string()
}

impl DedupStore for RedisStore {
    fn claim<'a>(&'a self, event_id: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let token = self.new_token();
            let outcome: i64 = self
                .run_script(
                    &scripts()[0],
                    self.event_key(event_id),
                    &[token.as_bytes(), millis(lease).as_bytes()],
                )
                .await?;
            match outcome {
                0 => {
                    let now = Instant::now();
                    let mut claims = self.claims();
                    if claims.len() >= CLAIMS_PRUNE_AT {
                        claims.retain(|_, held| held.until > now);
                    }
                    claims.insert(
                        event_id.to_owned(),
                        Held {
                            token,
                            until: now + lease,
                        },
                    );
                    Ok(Claim::Claimed)
                }
                2 => Ok(Claim::Done),
                _ => Ok(Claim::InFlight),
            }
        })
    }

    fn mark_done<'a>(&'a self, event_id: &'a str, keep: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let token = self.claims().get(event_id).map(|held| held.token.clone());
            let outcome: i64 = self
                .run_script(
                    &scripts()[1],
                    self.event_key(event_id),
                    &[
                        token.as_deref().unwrap_or("").as_bytes(),
                        millis(keep).as_bytes(),
                    ],
                )
                .await?;
            if token.is_some() {
                self.claims().remove(event_id);
                if outcome != 1 {
                    self.shared.late_marks.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(())
        })
    }

    fn release<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let Some(token) = self.claims().get(event_id).map(|held| held.token.clone()) else {
                // No claim of ours to give up (it was never ours, or already given up).
                return Ok(());
            };
            let _: i64 = self
                .run_script(&scripts()[2], self.event_key(event_id), &[token.as_bytes()])
                .await?;
            let mut claims = self.claims();
            if claims.get(event_id).is_some_and(|held| held.token == token) {
                claims.remove(event_id);
            }
            Ok(())
        })
    }
}

impl RunStore for RedisStore {
    fn observe<'a>(&'a self, run: &'a FlowRun) -> StoreFuture<'a, RunChange> {
        Box::pin(async move {
            let Some(id) = run.id.as_deref() else {
                return Ok(RunChange::Untracked);
            };
            let status = match run.status() {
                Some(status) => format!("={}", status.as_str()),
                None => "-".to_owned(),
            };
            let json = serde_json::to_string(run).map_err(|error| StoreError::Unavailable {
                reason: format!("run state not written: {error}"),
            })?;
            let outcome: String = self
                .run_script(
                    &scripts()[3],
                    self.run_key(id),
                    &[
                        version_key(run).as_bytes(),
                        status.as_bytes(),
                        json.as_bytes(),
                        millis(self.shared.settings.run_keep).as_bytes(),
                    ],
                )
                .await?;
            Ok(match outcome.as_str() {
                "new" => RunChange::New,
                "stale" => RunChange::Stale,
                "duplicate" => RunChange::Duplicate,
                newer => {
                    let kept = newer.strip_prefix("newer").unwrap_or("-");
                    let from = kept.strip_prefix('=').map(Status::from);
                    let to = run.status().cloned();
                    if from == to {
                        RunChange::Updated
                    } else {
                        RunChange::StatusChanged { from, to }
                    }
                }
            })
        })
    }

    fn latest<'a>(&'a self, run_id: &'a str) -> StoreFuture<'a, Option<FlowRun>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let key = self.run_key(run_id);
            let json: Option<String> = self
                .bounded(async move {
                    redis::cmd("HGET")
                        .arg(key)
                        .arg("r")
                        .query_async(&mut connection)
                        .await
                })
                .await?;
            json.map(|json| {
                serde_json::from_str(&json).map_err(|error| StoreError::Unavailable {
                    reason: format!("run state unreadable: {error}"),
                })
            })
            .transpose()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_send_and_sync_and_usable_as_dyn() {
        fn check<T: Send + Sync + Clone>() {}
        check::<RedisStore>();
        fn boxed(store: RedisStore) -> (Box<dyn DedupStore>, Box<dyn RunStore>) {
            (Box::new(store.clone()), Box::new(store))
        }
        let _ = boxed;
    }

    #[test]
    fn opening_outside_a_runtime_is_an_error_not_a_panic() {
        let error = RedisStore::open("redis://127.0.0.1:1/", RedisSettings::default());
        assert!(matches!(error, Err(StoreError::Unavailable { .. })));
    }
}
