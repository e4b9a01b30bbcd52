//! Deduplication and run state shared by replicas, in Redis (feature `redis`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::summary::stored_run;
use super::tracker::{newer_state, version_key};
use super::StoreError;
use super::{Claim, DedupStore, EventKey, FlowRuns, Observed, RunChange, RunStore, RunSummary};
use crate::sync::Lock;
use crate::{Alert, BoxFuture, FlowRun, Notification, Status};

/// What a [`RedisStore`] is told: its key prefix and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisSettings {
    /// Put before every key (default `aep-flow-run:`). Every replica of one service uses the
    /// same prefix; services (or Adobe registrations, or environments) sharing one Redis
    /// database use different ones.
    pub prefix: String,
    /// The longest one call may take, connecting included (default 3 s, the receiver's
    /// store timeout); then it fails with
    /// [`StoreError::Timeout`].
    pub timeout: Duration,
    /// How long the state of a run is kept after its latest newer state (default 7 days, the
    /// journal's retention).
    pub run_keep: Duration,
    /// The rules of the pages [`observe`](RunStore::observe) records (default none: no page
    /// is recorded; alerts are kept all the same).
    pub paging: Option<super::PageRules>,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            prefix: "aep-flow-run:".to_owned(),
            timeout: Duration::from_secs(3),
            run_keep: Duration::from_secs(7 * 24 * 60 * 60),
            paging: None,
        }
    }
}

/// A [`DedupStore`], a [`RunStore`] and a [`Checkpoint`](super::Checkpoint) in Redis, shared
/// by the replicas of a service: an event claimed, handled or in flight on one replica is so
/// for all, every replica keeps the same latest state of a run, and one replica at a time
/// reads a journal (the [reading lease](super::Checkpoint#the-reading-lease)).
///
/// It talks to one Redis server (or a primary) through the `redis` crate's tokio connection
/// manager: one multiplexed connection, re-established after it is lost, so it needs a tokio
/// runtime (with the time driver). Every call is bounded by [`RedisSettings::timeout`] and
/// fails with a [`StoreError`], which the [`Receiver`](crate::webhook::Receiver) answers with a 503:
/// while Redis is unreachable, Adobe keeps retrying and no event is acknowledged.
///
/// # Keys
///
/// Under [`RedisSettings::prefix`] (`P`):
///
/// - `P` `event:` *key*: a string, one per deduplication key
///   ([`EventKey`]): `claimed:<token>` while a replica holds
///   the event (it expires with the lease), then `done` (it expires after
///   the `keep` the caller gives).
/// - `P` `run:` *run id*: a hash with the latest state of a run: `v` its version (`updatedAt`
///   then `etag`, as text that sorts byte by byte), `s` its status, `r` the run as JSON,
///   `m` its [`RunSummary`](super::RunSummary) as JSON. It expires
///   [`RedisSettings::run_keep`] after its latest newer state.
/// - `P` `flow:` *flow id*: a sorted set of the flow's latest 100 run ids by activity, and
///   `P` `flows`: a sorted set of flow ids by latest activity, so that
///   [`flows`](RunStore::flows) lists without `SCAN` (one read-only script).
/// - `P` `journal:` *journal*: a string, the journal's saved position (it never expires).
/// - `P` `journal-lease:` *journal*: a string, the holder of the journal's reading lease,
///   expiring with the lease. Taking, renewing and ending it, and saving under it, are each
///   one script: a position is saved only while the saver holds the lease.
/// - [`PageStore`](super::PageStore): `P` `alerts`, a hash of the firing alerts by id;
///   `P` `pages:` *flow*, a sorted set of the flow's pages owed by sequence number (each
///   member `"<sequence> <page JSON>"`, the sequence from `P` `page-seq`); `P` `pages-due`,
///   the set of flows with pages owed; `P` `pager:` *flow*, a hash of the flow's paging
///   state (`paged-at`, where the newest run that paged stands, until it recovers; `sent`
///   when its last page went; the sender's claim as `holder` and `until`). None expires:
///   pages leave when they are sent or dropped. The observe script keeps a delivery's
///   alerts with its run states and, with [`RedisSettings::paging`], records their pages
///   with them, keeping each state's paging class as `p` in the run's hash.
///
/// # The two-phase claim
///
/// Each operation is one Lua script over every key of a delivery, so atomic, and one command
/// sent to Redis however many events a delivery holds:
///
/// - [`claim`](DedupStore::claim) sets `claimed:<token>` with the lease when the key is
///   absent (as `SET NX PX` does), with a token new for each claim; otherwise it tells a
///   claim in flight from `done`.
/// - [`abandon`](DedupStore::abandon) deletes the key only while it still holds this
///   store's token for that event: a claim that ran out and was taken by another replica is
///   not abandoned from under it.
/// - [`complete`](DedupStore::complete) sets `done` for `keep` **whatever the key holds**:
///   the event was handled, and that stays true when this claim ran out meanwhile. If
///   another replica claimed it after the lease ran out (it is handling it a second time
///   now, which no store can stop), `done` replaces that claim: its later abandon leaves
///   `done` in place, and every further delivery is a duplicate. Making `done` conditional
///   on the token would instead let that other replica's failure abandon the event and a
///   third delivery handle it again. Each such late mark is counted
///   ([`late_marks`](Self::late_marks)): it means the lease is shorter than handling takes.
///
/// The trait carries no token, so the store remembers the token of each live claim it made,
/// by event key, in memory (bounded: claims past their lease are dropped). A claim whose
/// answer was lost (the call timed out after Redis executed it) cannot be abandoned: it ends
/// with its lease, and Adobe's retry claims it then.
///
/// # Run state
///
/// [`observe`](RunStore::observe) compares the delivered version with the one kept and
/// replaces it only when newer, in one script; the comparison is byte by byte (not by
/// Redis's locale), in the order [`RunTracker`](super::RunTracker) gives.
///
/// ```no_run
/// # async fn run() -> Result<(), aep_flow_run::store::StoreError> {
/// use aep_flow_run::store::{RedisSettings, RedisStore};
/// use aep_flow_run::webhook::{Receiver, Verifier};
///
/// let store = RedisStore::open("redis://127.0.0.1:6379/", RedisSettings::default())?;
/// let receiver = Receiver::new(Verifier::new("my-client-id")).with_store(store.clone());
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
    claims: Mutex<HashMap<EventKey, Held>>,
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

// KEYS the event keys; ARGV[1] the lease in milliseconds, ARGV[1 + i] the claim value for
// KEYS[i]. For each key, 0: claimed, 1: in flight, 2: done.
const CLAIM: &str = r"
local found = {}
for i, key in ipairs(KEYS) do
  local held = redis.call('GET', key)
  if not held then
    redis.call('SET', key, ARGV[1 + i], 'PX', ARGV[1])
    found[i] = 0
  elseif held == 'done' then
    found[i] = 2
  else
    found[i] = 1
  end
end
return found
";

// KEYS the event keys; ARGV[1] keep in ms, ARGV[1 + i] this store's claim value for KEYS[i]
// ('' for none). For each key, 1: it held our claim; 0: absent (our lease ran out); 2: done
// already; 3: another claim.
const COMPLETE: &str = r"
local found = {}
for i, key in ipairs(KEYS) do
  local held = redis.call('GET', key)
  redis.call('SET', key, 'done', 'PX', ARGV[1])
  if held == ARGV[1 + i] then found[i] = 1
  elseif not held then found[i] = 0
  elseif held == 'done' then found[i] = 2
  else found[i] = 3 end
end
return found
";

// KEYS the event keys; ARGV[i] this store's claim value for KEYS[i]. Deletes each key that
// still holds it; the number deleted.
const ABANDON: &str = r"
local deleted = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    deleted = deleted + redis.call('DEL', key)
  end
end
return deleted
";

// KEYS[1..n] the run keys, KEYS[n + i] the index of the flow of run i, KEYS[2n + 1] the
// index of flows; ARGV[1] how long to keep a run in ms, ARGV[2] how many runs a flow's
// index keeps, ARGV[3] '1' when paging, ARGV[4] the prefix, then ten values for run i
// from ARGV[10i - 5]: its version, status, JSON, summary JSON, activity (ms), flow id, run
// id, paging class ('alarm', 'fine' or ''), the page it would call for (JSON) and where it
// stands among its flow's runs (ms); then the alerts (see `observe_alerts`). For each run
// two values: 'new', 'stale', 'duplicate', or 'newer' followed by the status kept before;
// then the summary kept before ('' for none). A kept state records its page as
// `page_for_run` says (the class of the state replaced is kept as `p`).
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
local runs = (#KEYS - 1) / 2
local flows = KEYS[#KEYS]
local paging, prefix = ARGV[3] == '1', ARGV[4]
local found = {}
for i = 1, runs do
  local key, flow_key, base = KEYS[i], KEYS[runs + i], 10 * i - 5
  local version, status, run = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  local summary, activity, flow, run_id = ARGV[base + 3], ARGV[base + 4], ARGV[base + 5], ARGV[base + 6]
  local class, page, run_at = ARGV[base + 7], ARGV[base + 8], ARGV[base + 9]
  local kept = redis.call('HMGET', key, 'v', 's', 'm', 'p')
  local order = 1
  if kept[1] then order = compare(version, kept[1]) end
  if order < 0 then
    found[2 * i - 1], found[2 * i] = 'stale', ''
  elseif order == 0 then
    found[2 * i - 1], found[2 * i] = 'duplicate', ''
  else
    redis.call('HSET', key, 'v', version, 's', status, 'r', run, 'm', summary, 'p', class)
    redis.call('PEXPIRE', key, ARGV[1])
    if paging then
      local paged_at = redis.call('HGET', prefix .. 'pager:' .. flow, 'paged-at')
      local kind = page_for_run(class, kept[4], run_at, paged_at)
      if kind == 'failed' then
        push_page(prefix, flow, page, run_at)
      elseif kind == 'recovered' then
        push_page(prefix, flow, page, nil)
      end
    end
    redis.call('ZADD', flow_key, activity, run_id)
    redis.call('ZREMRANGEBYRANK', flow_key, 0, -1 - tonumber(ARGV[2]))
    redis.call('PEXPIRE', flow_key, ARGV[1])
    local latest = redis.call('ZSCORE', flows, flow)
    if not latest or tonumber(latest) < tonumber(activity) then
      redis.call('ZADD', flows, activity, flow)
    end
    redis.call('PEXPIRE', flows, ARGV[1])
    if not kept[1] then
      found[2 * i - 1], found[2 * i] = 'new', ''
    else
      found[2 * i - 1], found[2 * i] = 'newer' .. (kept[2] or '-'), kept[3] or ''
    end
  end
end
observe_alerts(prefix, paging, 10 * runs + 5)
return found
";

// KEYS[1] the index of flows; ARGV[1] the prefix, ARGV[2] runs per flow, ARGV[3] the most
// flows. The summaries of the latest runs of the latest flows (read only).
const FLOWS: &str = r"
local out = {}
local flows = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
for _, flow in ipairs(flows) do
  local runs = redis.call('ZREVRANGE', ARGV[1] .. 'flow:' .. flow, 0, tonumber(ARGV[2]) - 1)
  for _, run in ipairs(runs) do
    local summary = redis.call('HGET', ARGV[1] .. 'run:' .. run, 'm')
    if summary then out[#out + 1] = summary end
  end
end
return out
";

/// The arguments of the observe script before those of its runs and alerts.
const OBSERVE_FIXED_ARGS: usize = 4;

/// How many runs a flow's index keeps, and how many flows a listing reads.
const RUNS_PER_FLOW_KEPT: usize = 100;
const MOST_FLOWS: usize = 1000;

fn scripts() -> &'static [Script; 5] {
    static SCRIPTS: std::sync::OnceLock<[Script; 5]> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| {
        [
            Script::new(CLAIM),
            Script::new(COMPLETE),
            Script::new(ABANDON),
            Script::new(&format!("{}{OBSERVE}", super::redis_pages::PAGE_RULES)),
            Script::new(FLOWS),
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
            return Err(StoreError::other("RedisStore::open needs a tokio runtime"));
        }
        let client = redis::Client::open(url)
            .map_err(|error| StoreError::unavailable("unusable Redis URL", error))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        let mut seed = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
            .map_err(|_| StoreError::other("no random numbers for claim tokens"))?;
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

    /// How many times [`complete`](DedupStore::complete) found that this store's claim had
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

    /// The key of a flow's index of runs (a sorted set of run ids by activity).
    pub fn flow_key(&self, flow_id: &str) -> String {
        format!("{}flow:{flow_id}", self.shared.settings.prefix)
    }

    /// The key of the index of flows (a sorted set of flow ids by latest activity).
    pub fn flows_key(&self) -> String {
        format!("{}flows", self.shared.settings.prefix)
    }

    /// The key of a journal's saved position.
    pub fn position_key(&self, journal: &str) -> String {
        format!("{}journal:{journal}", self.shared.settings.prefix)
    }

    /// The key of a journal's reading lease (its holder, expiring with the lease).
    pub fn lease_key(&self, journal: &str) -> String {
        format!("{}journal-lease:{journal}", self.shared.settings.prefix)
    }

    /// A connection for one call (a handle on the shared multiplexed connection).
    pub(super) fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    fn claims(&self) -> MutexGuard<'_, HashMap<EventKey, Held>> {
        self.shared.claims.locked()
    }

    fn new_token(&self) -> String {
        let number = self.shared.next_token.fetch_add(1, Ordering::Relaxed);
        format!("claimed:{}:{number}", self.shared.token_stem)
    }

    pub(super) async fn bounded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let timeout = self.shared.settings.timeout;
        match tokio::time::timeout(timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_timeout() => Err(StoreError::Timeout { timeout }),
            Ok(Err(error)) => Err(unavailable(error)),
            Err(_) => Err(StoreError::Timeout { timeout }),
        }
    }

    fn event_keys(&self, keys: &[EventKey]) -> Vec<String> {
        keys.iter()
            .map(|key| self.event_key(key.as_str()))
            .collect()
    }

    /// The token of this store's live claim on each key, if it holds one.
    fn tokens_of(&self, keys: &[EventKey]) -> Vec<Option<String>> {
        let claims = self.claims();
        keys.iter()
            .map(|key| claims.get(key).map(|held| held.token.clone()))
            .collect()
    }

    /// Runs one script over `keys` with `args`: one command sent to Redis.
    pub(super) async fn run_script<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: &[String],
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = script.prepare_invoke();
        invocation.key(keys).arg(args);
        self.bounded(async move { invocation.invoke_async(&mut connection).await })
            .await
    }
}

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::unavailable("Redis", error)
}

/// A duration in milliseconds for `PX`/`PEXPIRE`, within what Redis accepts (an expiry
/// past about 292 million years is refused, and a refused call would answer every delivery
/// 503): at most a century.
pub(super) fn millis(duration: Duration) -> String {
    const CENTURY_MS: u128 = 100 * 365 * 24 * 3600 * 1000;
    duration.as_millis().clamp(1, CENTURY_MS).to_string()
}

impl DedupStore for RedisStore {
    fn claim<'a>(
        &'a self,
        keys: &'a [EventKey],
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claim>, StoreError>> {
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let tokens: Vec<String> = keys.iter().map(|_| self.new_token()).collect();
            let mut args = vec![millis(lease)];
            args.extend(tokens.iter().cloned());
            let found: Vec<i64> = self
                .run_script(&scripts()[0], self.event_keys(keys), &args)
                .await?;
            let now = Instant::now();
            let mut claims = self.claims();
            if claims.len() >= CLAIMS_PRUNE_AT {
                claims.retain(|_, held| held.until > now);
            }
            Ok(keys
                .iter()
                .zip(tokens)
                .zip(&found)
                .map(|((key, token), found)| match found {
                    0 => {
                        let until = now.checked_add(lease).unwrap_or(now);
                        claims.insert(key.clone(), Held { token, until });
                        Claim::Claimed
                    }
                    2 => Claim::Done,
                    _ => Claim::InFlight,
                })
                .collect())
        })
    }

    fn complete<'a>(
        &'a self,
        keys: &'a [EventKey],
        keep: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(());
            }
            let tokens = self.tokens_of(keys);
            let mut args = vec![millis(keep)];
            args.extend(tokens.iter().map(|token| token.clone().unwrap_or_default()));
            let found: Vec<i64> = self
                .run_script(&scripts()[1], self.event_keys(keys), &args)
                .await?;
            let mut claims = self.claims();
            for ((key, token), found) in keys.iter().zip(&tokens).zip(&found) {
                if token.is_some() {
                    claims.remove(key);
                    if *found != 1 {
                        self.shared.late_marks.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(())
        })
    }

    fn abandon<'a>(&'a self, keys: &'a [EventKey]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            // Only claims of ours are given up (never one taken over elsewhere).
            let (ours, tokens): (Vec<EventKey>, Vec<String>) = keys
                .iter()
                .zip(self.tokens_of(keys))
                .filter_map(|(key, token)| Some((key.clone(), token?)))
                .unzip();
            if ours.is_empty() {
                return Ok(());
            }
            let _: i64 = self
                .run_script(&scripts()[2], self.event_keys(&ours), &tokens)
                .await?;
            let mut claims = self.claims();
            for (key, token) in ours.iter().zip(&tokens) {
                if claims.get(key).is_some_and(|held| held.token == *token) {
                    claims.remove(key);
                }
            }
            Ok(())
        })
    }
}

impl RedisStore {
    /// The keys and arguments of the observe script for the runs of a delivery (those with
    /// an id, their summaries given) and its alerts.
    fn observe_call(
        &self,
        runs: &[&Notification],
        summaries: &[Option<RunSummary>],
        alerts: &[&Alert],
        seen: SystemTime,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let (mut keys, mut flow_keys) = (Vec::new(), Vec::new());
        let settings = &self.shared.settings;
        let mut args = vec![
            millis(settings.run_keep),
            RUNS_PER_FLOW_KEPT.to_string(),
            if settings.paging.is_some() { "1" } else { "" }.to_owned(),
            settings.prefix.clone(),
        ];
        for (notification, summary) in runs.iter().zip(summaries) {
            let Some(summary) = summary else { continue };
            let run = &notification.run;
            let flow = summary.flow_id.clone().unwrap_or_default();
            keys.push(self.run_key(&summary.run_id));
            flow_keys.push(self.flow_key(&flow));
            let status = match run.status() {
                Some(status) => format!("={}", status.as_str()),
                None => "-".to_owned(),
            };
            let unwritten = |error| StoreError::unavailable("run state not written", error);
            args.extend([
                version_key(run),
                status,
                serde_json::to_string(run).map_err(unwritten)?,
                serde_json::to_string(summary).map_err(unwritten)?,
                summary.activity().to_string(),
                flow,
                summary.run_id.clone(),
            ]);
            args.extend(super::redis_pages::run_page(
                settings.paging.as_ref(),
                summary,
            )?);
        }
        args.extend(super::redis_pages::alert_args(alerts, seen)?);
        keys.extend(flow_keys);
        keys.push(self.flows_key());
        Ok((keys, args))
    }
}

impl RunStore for RedisStore {
    fn observe<'a>(
        &'a self,
        runs: &'a [&'a Notification],
        alerts: &'a [&'a Alert],
    ) -> BoxFuture<'a, Result<Vec<Observed>, StoreError>> {
        Box::pin(async move {
            let seen = SystemTime::now();
            let summaries: Vec<Option<RunSummary>> = runs
                .iter()
                .map(|notification| RunSummary::of(notification, seen))
                .collect();
            let (keys, args) = self.observe_call(runs, &summaries, alerts, seen)?;
            // One script for the whole delivery; none when it holds nothing to keep.
            let mut found: Vec<String> = Vec::new();
            if keys.len() > 1 || args.len() > OBSERVE_FIXED_ARGS {
                found = self.run_script(&scripts()[3], keys, &args).await?;
            }
            let mut found = found.into_iter();
            summaries
                .iter()
                .map(|summary| match summary {
                    None => Ok(Observed::new(RunChange::Untracked)),
                    Some(summary) => {
                        let tag = found.next().unwrap_or_else(|| "duplicate".to_owned());
                        let before = found.next().unwrap_or_default();
                        observed_from(&tag, &before, summary)
                    }
                })
                .collect()
        })
    }

    fn latest<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<Option<FlowRun>, StoreError>> {
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
            stored_run(json)
        })
    }

    fn flows<'a>(
        &'a self,
        runs_per_flow: usize,
    ) -> BoxFuture<'a, Result<Vec<FlowRuns>, StoreError>> {
        Box::pin(async move {
            if runs_per_flow == 0 {
                return Ok(Vec::new());
            }
            let args = [
                self.shared.settings.prefix.clone(),
                runs_per_flow.to_string(),
                MOST_FLOWS.to_string(),
            ];
            let found: Vec<String> = self
                .run_script(&scripts()[4], vec![self.flows_key()], &args)
                .await?;
            FlowRuns::group_stored(&found, runs_per_flow)
        })
    }
}

/// What the observe script said of one run: its tag, and the summary kept before.
fn observed_from(found: &str, before: &str, summary: &RunSummary) -> Result<Observed, StoreError> {
    let change = match found {
        "new" => RunChange::New,
        "stale" => RunChange::Stale,
        "duplicate" => RunChange::Duplicate,
        newer => {
            let kept = newer.strip_prefix("newer").unwrap_or("-");
            let from = kept.strip_prefix('=').map(Status::from);
            newer_state(from, summary.status.as_deref().map(Status::from))
        }
    };
    let mut observed = Observed::new(change);
    if !before.is_empty() {
        observed.before = Some(
            serde_json::from_str(before)
                .map_err(|error| StoreError::unavailable("run summary unreadable", error))?,
        );
    }
    Ok(observed)
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
