//! `RedisStore` against a real Redis server (`AEP_TEST_REDIS_URL`; see support/redis_env.rs):
//! the two-phase claim across replicas, the choices for late marks and releases, run state
//! decided the same way by every replica, three commands per delivery (mixed ones with
//! paging included), failures as 503s, and recovering from a lost
//! connection, a restarted server and a server paused while the store connects.
#![cfg(feature = "redis")]

use std::time::Duration;

use aep_flow_run::store::{
    Claim, DedupStore, EventKey, PageKind, PageRules, PageStore, RedisSettings, RedisStore,
    RunChange, RunStore, StoreError,
};
use aep_flow_run::webhook::{Received, Receiver, ReceiverSettings};
use aep_flow_run::{parse_runs, Alert, FlowRun, Notification, Status};

/// One key or run at a time, for these tests: the store takes a delivery's at once.
trait OneAtATime {
    async fn claim_one(&self, key: &str, lease: Duration) -> Result<Claim, StoreError>;
    async fn complete_one(&self, key: &str, keep: Duration) -> Result<(), StoreError>;
    async fn abandon_one(&self, key: &str) -> Result<(), StoreError>;
    async fn observe_one(&self, run: &FlowRun) -> Result<RunChange, StoreError>;
}

impl OneAtATime for RedisStore {
    async fn claim_one(&self, key: &str, lease: Duration) -> Result<Claim, StoreError> {
        let claims = self.claim(&[EventKey::from(key)], lease).await?;
        Ok(claims[0])
    }

    async fn complete_one(&self, key: &str, keep: Duration) -> Result<(), StoreError> {
        self.complete(&[EventKey::from(key)], keep).await
    }

    async fn abandon_one(&self, key: &str) -> Result<(), StoreError> {
        self.abandon(&[EventKey::from(key)]).await
    }

    async fn observe_one(&self, run: &FlowRun) -> Result<RunChange, StoreError> {
        let notification = Notification::from_run(run.clone());
        Ok(self.observe(&[&notification], &[]).await?.remove(0).change)
    }
}

#[path = "support/redis_env.rs"]
mod redis_env;
#[path = "support/webhook_sign.rs"]
mod webhook_sign;

const LEASE: Duration = Duration::from_secs(30);
const KEEP: Duration = Duration::from_secs(25 * 3600);

fn settings(test: &str) -> RedisSettings {
    let mut settings = RedisSettings::default();
    settings.prefix = redis_env::unique_prefix(test);
    settings.timeout = Duration::from_secs(2);
    settings
}

/// Two stores on one prefix: two replicas.
async fn replicas(test: &str) -> Option<(RedisStore, RedisStore)> {
    let url = redis_env::redis_url(test)?;
    let settings = settings(test);
    let one = RedisStore::connect(&url, settings.clone()).await.unwrap();
    let two = RedisStore::connect(&url, settings).await.unwrap();
    Some((one, two))
}

async fn raw(store: &RedisStore, url: &str, key: &str) -> Option<String> {
    let _ = store;
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut connection)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_claim_is_shared_by_the_replicas() {
    let Some((one, two)) = replicas("claim_shared").await else {
        return;
    };
    assert_eq!(one.claim_one("e1", LEASE).await.unwrap(), Claim::Claimed);
    assert_eq!(two.claim_one("e1", LEASE).await.unwrap(), Claim::InFlight);
    assert_eq!(one.claim_one("e1", LEASE).await.unwrap(), Claim::InFlight);
    // Another replica's release does not give up a claim that is not its own.
    two.abandon_one("e1").await.unwrap();
    assert_eq!(two.claim_one("e1", LEASE).await.unwrap(), Claim::InFlight);
    one.complete_one("e1", KEEP).await.unwrap();
    assert_eq!(two.claim_one("e1", LEASE).await.unwrap(), Claim::Done);
    assert_eq!(one.claim_one("e1", LEASE).await.unwrap(), Claim::Done);
    // Released, the event is new again, for either replica.
    assert_eq!(one.claim_one("e2", LEASE).await.unwrap(), Claim::Claimed);
    one.abandon_one("e2").await.unwrap();
    assert_eq!(two.claim_one("e2", LEASE).await.unwrap(), Claim::Claimed);
    assert_eq!(one.late_marks(), 0);
}

#[tokio::test]
async fn keys_are_namespaced_and_expire() {
    let Some((one, _)) = replicas("keys").await else {
        return;
    };
    let url = redis_env::redis_url("keys").unwrap();
    let prefix = one.settings().prefix.clone();
    assert_eq!(one.event_key("e"), format!("{prefix}event:e"));
    assert_eq!(one.run_key("r"), format!("{prefix}run:r"));
    one.claim_one("e", LEASE).await.unwrap();
    let held = raw(&one, &url, &one.event_key("e")).await.unwrap();
    assert!(held.starts_with("claimed:"), "{held}");
    one.complete_one("e", KEEP).await.unwrap();
    assert_eq!(
        raw(&one, &url, &one.event_key("e")).await.as_deref(),
        Some("done")
    );
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(one.event_key("e"))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(
        ttl > (KEEP - Duration::from_secs(60)).as_millis() as i64,
        "{ttl}"
    );
    // A claim's lease is its expiry.
    one.claim_one("short", Duration::from_millis(200))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(one.claim_one("short", LEASE).await.unwrap(), Claim::Claimed);
}

/// The choice for a late mark: the event was handled, so `done` is recorded whatever the
/// key holds, and the replica that claimed it after the lease ran out cannot release it.
#[tokio::test]
async fn a_late_mark_still_records_done_and_is_counted() {
    let Some((one, two)) = replicas("late_mark").await else {
        return;
    };
    let short = Duration::from_millis(150);
    assert_eq!(one.claim_one("e", short).await.unwrap(), Claim::Claimed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The lease ran out: the other replica claims the event and starts handling it.
    assert_eq!(two.claim_one("e", LEASE).await.unwrap(), Claim::Claimed);
    // The first replica finishes: done replaces the other's claim.
    one.complete_one("e", KEEP).await.unwrap();
    assert_eq!(one.late_marks(), 1);
    // The other replica's handling fails: its release leaves done in place.
    two.abandon_one("e").await.unwrap();
    assert_eq!(one.claim_one("e", LEASE).await.unwrap(), Claim::Done);
    assert_eq!(two.claim_one("e", LEASE).await.unwrap(), Claim::Done);
    // Or it succeeds: done stays done.
    two.complete_one("e", KEEP).await.unwrap();
    assert_eq!(two.claim_one("e", LEASE).await.unwrap(), Claim::Done);
    assert_eq!(
        two.late_marks(),
        0,
        "its claim was replaced, but it knew no token any more"
    );

    // A lease that ran out with nobody claiming since: still recorded as done.
    assert_eq!(one.claim_one("f", short).await.unwrap(), Claim::Claimed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    one.complete_one("f", KEEP).await.unwrap();
    assert_eq!(one.late_marks(), 2);
    assert_eq!(two.claim_one("f", LEASE).await.unwrap(), Claim::Done);
}

/// A release after the lease ran out and another replica claimed: the other claim stays.
#[tokio::test]
async fn a_late_release_leaves_the_next_claim_alone() {
    let Some((one, two)) = replicas("late_release").await else {
        return;
    };
    assert_eq!(
        one.claim_one("e", Duration::from_millis(150))
            .await
            .unwrap(),
        Claim::Claimed
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(two.claim_one("e", LEASE).await.unwrap(), Claim::Claimed);
    one.abandon_one("e").await.unwrap();
    assert_eq!(one.claim_one("e", LEASE).await.unwrap(), Claim::InFlight);
    two.complete_one("e", KEEP).await.unwrap();
    assert_eq!(one.claim_one("e", LEASE).await.unwrap(), Claim::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_give_one_winner() {
    let Some((one, two)) = replicas("concurrent_claims").await else {
        return;
    };
    for event in 0..20 {
        let id = format!("e{event}");
        let mut tasks = Vec::new();
        for attempt in 0..8 {
            let store = if attempt % 2 == 0 {
                one.clone()
            } else {
                two.clone()
            };
            let id = id.clone();
            tasks.push(tokio::spawn(
                async move { store.claim_one(&id, LEASE).await },
            ));
        }
        let mut claimed = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Claim::Claimed => claimed += 1,
                Claim::InFlight => {}
                Claim::Done => panic!("never marked done"),
            }
        }
        assert_eq!(claimed, 1, "{id}");
    }
}

fn state(updated: u64, etag: &str, status: &str) -> FlowRun {
    parse_runs(
        format!(
            r#"{{"id": "run-1", "updatedAt": {updated}, "etag": "{etag}",
                "metrics": {{"statusSummary": {{"status": "{status}"}}}}}}"#
        )
        .as_bytes(),
    )
    .unwrap()
    .remove(0)
}

#[tokio::test]
async fn run_state_is_decided_as_the_tracker_decides() {
    let Some((one, two)) = replicas("run_state").await else {
        return;
    };
    let started = state(1_700_000_000_000, "a", "inProgress");
    let done = state(1_700_000_060_000, "b", "success");
    let tie = state(1_700_000_060_000, "c", "success");
    assert_eq!(one.observe_one(&done).await.unwrap(), RunChange::New);
    assert_eq!(two.observe_one(&started).await.unwrap(), RunChange::Stale);
    assert_eq!(two.observe_one(&done).await.unwrap(), RunChange::Duplicate);
    assert_eq!(one.observe_one(&tie).await.unwrap(), RunChange::Updated);
    assert_eq!(two.latest("run-1").await.unwrap(), Some(tie.clone()));
    let failed = state(1_700_000_120_000, "d", "failed");
    assert_eq!(
        two.observe_one(&failed).await.unwrap(),
        RunChange::StatusChanged {
            from: Some(Status::Success),
            to: Some(Status::Failed)
        }
    );
    assert_eq!(one.latest("run-1").await.unwrap(), Some(failed));
    assert_eq!(one.latest("no-such-run").await.unwrap(), None);
    let anonymous = parse_runs(br#"{"metrics": {}}"#).unwrap().remove(0);
    assert_eq!(
        one.observe_one(&anonymous).await.unwrap(),
        RunChange::Untracked
    );
}

/// Two replicas receive the states of one run in opposite orders, at the same time: they
/// agree on the newest, and the run is new exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_agree_on_the_latest_state_whatever_the_order() {
    let Some((one, two)) = replicas("run_order").await else {
        return;
    };
    let states: Vec<FlowRun> = (0..40u64)
        .map(|i| {
            let status = if i == 39 { "success" } else { "inProgress" };
            // Pairs share a time and differ by etag: the etag breaks the tie.
            state(
                1_700_000_000_000 + (i / 2) * 1000,
                &format!("e{i:02}"),
                status,
            )
        })
        .collect();
    let forward = states.clone();
    let mut backward = states.clone();
    backward.reverse();
    let a = tokio::spawn({
        let one = one.clone();
        async move {
            let mut changes = Vec::new();
            for run in &forward {
                changes.push(one.observe_one(run).await.unwrap());
            }
            changes
        }
    });
    let b = tokio::spawn({
        let two = two.clone();
        async move {
            let mut changes = Vec::new();
            for run in &backward {
                changes.push(two.observe_one(run).await.unwrap());
            }
            changes
        }
    });
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: Vec<&RunChange> = a.iter().chain(&b).collect();
    assert_eq!(all.iter().filter(|c| ***c == RunChange::New).count(), 1);
    assert_eq!(
        one.latest("run-1").await.unwrap().as_ref(),
        states.last(),
        "{a:?} {b:?}"
    );
    assert_eq!(two.latest("run-1").await.unwrap().as_ref(), states.last());
    // Nothing older than what is kept is accepted afterwards.
    for run in &states[..39] {
        assert_eq!(one.observe_one(run).await.unwrap(), RunChange::Stale);
    }
}

/// Redis unreachable: each call fails within the timeout, and the receiver answers a
/// genuine delivery 503 with Retry-After, never 2xx or 4xx.
#[tokio::test]
async fn an_unreachable_redis_gives_503() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = settings("unreachable");
    settings.timeout = Duration::from_millis(500);
    let url = format!("redis://127.0.0.1:{port}/");
    assert!(RedisStore::connect(&url, settings.clone()).await.is_err());
    let store = RedisStore::open(&url, settings).unwrap();
    let started = std::time::Instant::now();
    let error = store.claim_one("e", LEASE).await.unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Unavailable { .. } | StoreError::Timeout { .. }
        ),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let receiver = Receiver::new(webhook_sign::test_verifier("me")).with_store(store);
    let body =
        br#"{"event_id": "e", "recipient_client_id": "me", "event": {"id": "r", "metrics": {}}}"#;
    let headers = webhook_sign::signed_headers(body);
    let reception = receiver
        .handle("POST", "", webhook_sign::pairs(&headers), body)
        .await;
    assert_eq!(reception.status, 503, "{}", reception.body);
    assert!(reception.retry_after.is_some());
    assert!(matches!(reception.received, Received::Refused(_)));
    assert!(RedisStore::open("not a url", RedisSettings::default()).is_err());
}

/// Through the receiver: a delivery handled by one replica is a duplicate for the other.
#[tokio::test]
async fn receivers_on_two_replicas_deduplicate_together() {
    let Some((one, two)) = replicas("receivers").await else {
        return;
    };
    let first = Receiver::new(webhook_sign::test_verifier("me")).with_store(one);
    let second = Receiver::new(webhook_sign::test_verifier("me")).with_store(two);
    let body = br#"[{"event_id": "a", "recipient_client_id": "me", "event": {"id": "r", "metrics": {}}},
                   {"event_id": "b", "recipient_client_id": "me", "event": {"id": "s", "metrics": {}}}]"#;
    let headers = webhook_sign::signed_headers(body);
    let reception = first
        .handle("POST", "", webhook_sign::pairs(&headers), body)
        .await;
    assert_eq!(reception.status, 200);
    let Received::Delivery { events, .. } = &reception.received else {
        panic!("{:?}", reception.received)
    };
    // In flight on the first replica: the second answers 503.
    let meanwhile = second
        .handle("POST", "", webhook_sign::pairs(&headers), body)
        .await;
    assert_eq!(meanwhile.status, 503);
    first.complete(events).await.unwrap();
    let again = second
        .handle("POST", "", webhook_sign::pairs(&headers), body)
        .await;
    assert_eq!(again.status, 200);
    let Received::Delivery { events, .. } = &again.received else {
        panic!()
    };
    assert!(events.iter().all(|d| d.duplicate));
}

/// Issue #28, finding 7: on 3f6dca2 a lease or keep of `u64::MAX` seconds went to Redis as
/// `PX 18446744073709551615000`, which Redis refuses: `--lease-secs 18446744073709551615`
/// answered every delivery 503. Now the receiver brings a lease within a day, and the store
/// caps what it sends.
#[tokio::test]
async fn an_endless_lease_or_keep_is_served_not_refused() {
    let Some((one, _)) = replicas("endless").await else {
        return;
    };
    let endless = Duration::from_secs(u64::MAX);
    assert_eq!(one.claim_one("x1", endless).await.unwrap(), Claim::Claimed);
    one.complete_one("x1", endless).await.unwrap();
    assert_eq!(one.claim_one("x1", LEASE).await.unwrap(), Claim::Done);

    let mut settings = ReceiverSettings::default();
    settings.lease = endless;
    settings.keep = endless;
    let receiver = Receiver::new(webhook_sign::test_verifier("me"))
        .with_store(one)
        .with_settings(settings);
    let body =
        br#"{"event_id": "x2", "recipient_client_id": "me", "event": {"id": "r", "metrics": {}}}"#;
    let headers = webhook_sign::signed_headers(body);
    let reception = receiver
        .handle("POST", "", webhook_sign::pairs(&headers), body)
        .await;
    assert_eq!(reception.status, 200, "{}", reception.body);
    let Received::Delivery { events, .. } = &reception.received else {
        panic!("{:?}", reception.received)
    };
    receiver.complete(events).await.unwrap();
}

/// The connection is killed on the server side: the store reconnects by itself.
#[tokio::test]
async fn a_lost_connection_is_reconnected() {
    let Some(url) = redis_env::redis_url("reconnect") else {
        return;
    };
    // A database of its own, to find (and kill) only this store's connection.
    let database = 11;
    let base = url.trim_end_matches('/');
    let base = match base.rsplit_once('/') {
        Some((head, tail)) if tail.parse::<u32>().is_ok() => head.to_owned(),
        _ => base.to_owned(),
    };
    let store_url = format!("{base}/{database}");
    let store = RedisStore::connect(&store_url, settings("reconnect"))
        .await
        .unwrap();
    assert_eq!(store.claim_one("e", LEASE).await.unwrap(), Claim::Claimed);
    let admin = redis::Client::open(format!("{base}/0")).unwrap();
    let mut admin = admin.get_multiplexed_async_connection().await.unwrap();
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut admin)
        .await
        .unwrap();
    let mut killed = 0;
    for line in clients.lines() {
        if line
            .split(' ')
            .any(|field| field == format!("db={database}"))
        {
            let id = line
                .split(' ')
                .find_map(|field| field.strip_prefix("id="))
                .unwrap();
            let _: i64 = redis::cmd("CLIENT")
                .arg("KILL")
                .arg("ID")
                .arg(id)
                .query_async(&mut admin)
                .await
                .unwrap();
            killed += 1;
        }
    }
    assert!(killed >= 1, "{clients}");
    // The first call after the kill may fail (503 for that delivery); the store reconnects
    // and the next ones succeed.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match store.claim_one("e", LEASE).await {
            Ok(claim) => {
                assert_eq!(claim, Claim::InFlight);
                break;
            }
            Err(error) => {
                assert!(std::time::Instant::now() < deadline, "{error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A `redis-server` of the test's own on a free port, killed when dropped.
struct OwnRedis {
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl OwnRedis {
    fn start(program: &std::path::Path, port: u16, name: &str) -> OwnRedis {
        let dir = std::env::temp_dir().join(format!("aep-redis-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = std::process::Command::new(program)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        OwnRedis { child, dir }
    }

    fn signal(&self, name: &str) {
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("kill -{name} {}", self.child.id())])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Claims until one succeeds, within `limit`: the answer, or the last error.
async fn claim_until_it_works(
    store: &RedisStore,
    id: &str,
    limit: Duration,
) -> Result<Claim, StoreError> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        match store.claim_one(id, LEASE).await {
            Ok(claim) => return Ok(claim),
            Err(error) if std::time::Instant::now() >= deadline => return Err(error),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Redis restarted (killed, then started again on its port), and Redis paused while the
/// store connects for the first time: calls fail meanwhile, then work again by themselves.
#[tokio::test]
async fn the_store_recovers_from_a_restart_and_from_a_pause_while_connecting() {
    let Some(program) = redis_env::redis_server("recovers") else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/");
    let mut settings = settings("recovers");
    settings.timeout = Duration::from_millis(500);
    let mut redis = OwnRedis::start(&program, port, "recovers");
    let store = RedisStore::open(&url, settings.clone()).unwrap();
    assert_eq!(
        claim_until_it_works(&store, "before", Duration::from_secs(10)).await,
        Ok(Claim::Claimed)
    );

    // Killed: calls fail, within the timeout.
    let _ = redis.child.kill();
    let _ = redis.child.wait();
    let started = std::time::Instant::now();
    assert!(store.claim_one("while-down", LEASE).await.is_err());
    assert!(started.elapsed() < Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(store.claim_one("while-down", LEASE).await.is_err());
    // Started again (empty: no persistence): the same store works again.
    drop(redis);
    let redis = OwnRedis::start(&program, port, "recovers");
    assert_eq!(
        claim_until_it_works(&store, "after", Duration::from_secs(10)).await,
        Ok(Claim::Claimed)
    );

    // A new store whose first connection meets a paused server.
    redis.signal("STOP");
    let fresh = RedisStore::open(&url, settings).unwrap();
    assert!(fresh.claim_one("paused", LEASE).await.is_err());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.signal("CONT");
    assert_eq!(
        claim_until_it_works(&fresh, "paused", Duration::from_secs(10)).await,
        Ok(Claim::Claimed)
    );
    assert_eq!(store.claim_one("paused", LEASE).await, Ok(Claim::InFlight));
}

/// The commands Redis executes for keys under `prefix`, as `MONITOR` shows them, while
/// `during` runs: the command names, in order (scripts loaded before are not counted).
async fn commands_seen<F: std::future::Future>(url: &str, prefix: &str, during: F) -> Vec<String> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let address = url
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let mut monitor = tokio::net::TcpStream::connect(address).await.unwrap();
    monitor.write_all(b"MONITOR\r\n").await.unwrap();
    let mut lines = BufReader::new(monitor).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("+OK"));
    during.await;
    // A marker command after the work: every command of the work is seen before it.
    let marker = format!("{prefix}end-of-test");
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let _: Option<String> = redis::cmd("GET")
        .arg(&marker)
        .query_async(&mut connection)
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains(&marker) {
            break;
        }
        // +1700000000.123456 [0 127.0.0.1:5555] "EVALSHA" "..." "2" "prefix..." ...
        // (commands run by a script show as `[0 lua]`: not sent by the store)
        if line.contains(prefix) && !line.contains(" lua]") {
            if let Some(name) = line.split('"').nth(1) {
                seen.push(name.to_ascii_uppercase());
            }
        }
    }
    seen
}

/// A store on a prefix of its own with its scripts loaded (a first call may add a
/// `SCRIPT LOAD` or an `EVAL`), and the URL of its server.
async fn warmed_up(test: &str, paging: bool) -> Option<(String, RedisStore)> {
    let url = redis_env::redis_url(test)?;
    let mut settings = settings(test);
    settings.paging = paging.then(PageRules::default);
    let store = RedisStore::connect(&url, settings).await.unwrap();
    let warm_up = [EventKey::from("warm-up")];
    store.claim(&warm_up, LEASE).await.unwrap();
    store.complete(&warm_up, KEEP).await.unwrap();
    let run = parse_runs(br#"{"id": "warm-up", "metrics": {}}"#).unwrap();
    let warm_up = Notification::from_run(run.into_iter().next().unwrap());
    store.observe(&[&warm_up], &[]).await.unwrap();
    Some((url, store))
}

/// Handles a signed delivery as `serve` does: the receiver claims its events, the runs and
/// alerts of the new ones are recorded in one call, then the claim is completed.
async fn deliver_as_serve(receiver: &Receiver<RedisStore>, store: &RedisStore, body: &[u8]) {
    let headers = webhook_sign::signed_headers(body);
    let answer = receiver
        .handle("POST", "", webhook_sign::pairs(&headers), body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let runs: Vec<&Notification> = answer
        .new_events()
        .filter_map(|incoming| incoming.event.as_flow_run())
        .collect();
    let alerts: Vec<&Alert> = answer
        .new_events()
        .filter_map(|incoming| incoming.event.as_alert())
        .collect();
    let changes = store.observe(&runs, &alerts).await.unwrap();
    assert!(changes
        .iter()
        .all(|observed| observed.change == RunChange::New));
    let Received::Delivery { events, .. } = &answer.received else {
        panic!("{:?}", answer.received)
    };
    receiver.complete(events).await.unwrap();
}

/// Issue 30: a delivery of any size costs at most three commands sent to Redis: one claims
/// every event, one marks them done, one records the states of its runs.
#[tokio::test]
async fn a_delivery_of_twenty_events_sends_three_commands() {
    let Some((url, store)) = warmed_up("three-commands", false).await else {
        return;
    };
    let prefix = store.settings().prefix.clone();
    let receiver = Receiver::new(webhook_sign::test_verifier("me")).with_store(store.clone());
    let batch: Vec<serde_json::Value> = (0..20)
        .map(|n| {
            serde_json::json!({"event_id": format!("e{n}"), "recipient_client_id": "me",
                "event": {"id": format!("run-{n}"), "updatedAt": 1_700_000_000_000u64 + n,
                          "metrics": {"statusSummary": {"status": "success"}}}})
        })
        .collect();
    let body = serde_json::to_vec(&batch).unwrap();
    let seen = commands_seen(&url, &prefix, deliver_as_serve(&receiver, &store, &body)).await;
    assert_eq!(seen, ["EVALSHA", "EVALSHA", "EVALSHA"], "{seen:?}");
}

/// Issue 32's follow-up: a delivery that mixes runs, alerts and other events, with paging
/// on, still costs three commands: the runs and alerts are recorded, with their pages, in
/// the one observe script.
#[tokio::test]
async fn a_mixed_delivery_with_paging_sends_three_commands() {
    let Some((url, store)) = warmed_up("three-commands-mixed", true).await else {
        return;
    };
    let prefix = store.settings().prefix.clone();
    let verifier = webhook_sign::test_verifier("me").with_organization(ALERT_ORG);
    let receiver = Receiver::new(verifier).with_store(store.clone());
    let body = serde_json::to_vec(&mixed_batch()).unwrap();
    let seen = commands_seen(&url, &prefix, deliver_as_serve(&receiver, &store, &body)).await;
    assert_eq!(seen, ["EVALSHA", "EVALSHA", "EVALSHA"], "{seen:?}");
    // What the one script recorded: the alerts firing, and a page for each failed run and
    // each alert.
    assert_eq!(store.firing_alerts().await.unwrap().len(), 2);
    let due = store
        .claim_pages("test", LEASE, Duration::ZERO)
        .await
        .unwrap();
    let count = |kind: PageKind| {
        due.iter()
            .flat_map(|flow| &flow.pages)
            .filter(|page| page.kind == kind)
            .count()
    };
    assert_eq!((count(PageKind::Failed), count(PageKind::Alert)), (4, 2));
}

/// The organisation of the corpus alert.
const ALERT_ORG: &str = "777B575E55828EBB7F000101@AdobeOrg";

/// 16 runs (every fourth failed), the corpus alert firing twice under two ids, and the
/// corpus ingestion event twice: 20 events, a full batch.
fn mixed_batch() -> Vec<serde_json::Value> {
    let fixture = |name: &str| -> serde_json::Value {
        let body = std::fs::read(format!("fixtures/adobe-docs/{name}")).unwrap();
        serde_json::from_slice(&body).unwrap()
    };
    let mut batch: Vec<serde_json::Value> = (0..16)
        .map(|n| {
            let status = if n % 4 == 0 { "failed" } else { "success" };
            serde_json::json!({"event_id": format!("e{n}"), "recipient_client_id": "me",
                "event": {"id": format!("run-{n}"), "flowId": format!("flow-{}", n % 4),
                          "updatedAt": 1_700_000_000_000u64 + n,
                          "metrics": {"statusSummary": {"status": status}}}})
        })
        .collect();
    for n in 0..2 {
        let mut alert = fixture("not-a-run-alert-error-rate.json");
        alert["id"] = serde_json::json!(format!("alert-{n}"));
        alert["status"] = serde_json::json!("FIRING");
        batch.push(alert);
        let mut other = fixture("not-a-run-io-event-ingestion-load-failure.json");
        other["event_id"] = serde_json::json!(format!("other-{n}"));
        other["recipient_client_id"] = serde_json::json!("me");
        batch.push(other);
    }
    batch
}
