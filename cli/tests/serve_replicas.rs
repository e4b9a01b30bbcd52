//! Replicas that share Redis, under faults, over real HTTP on 127.0.0.1: two processes of
//! `aep-flow-run serve --store redis://...` and a `redis-server` of the test's own, a few
//! hundred signed deliveries (single events and batches mixing runs, alerts and other
//! events; 15% sent twice, to both replicas), each non-2xx answer retried as Adobe retries
//! (on the other replica, after a short pause; bounded). Mid-run one replica is killed
//! (SIGKILL) and started again, and Redis is paused (SIGSTOP) for 2 s and resumed.
//!
//! A second run pauses Redis for longer than the store timeout (4 s against 3 s), with no
//! kill: then no event may be processed twice at all.
//!
//! Asserted, from the replicas' `--json` lines: every event is processed at least once; an
//! event is processed twice only if a delivery of it was in flight at the killed replica when
//! it died; a genuine delivery is never answered 4xx; and both replicas keep the same,
//! newest state of each run.
//!
//! Needs `redis-server` (see tests/support/redis_env.rs); `cargo test` builds the binary.
//! Every wait is bounded; the two runs take about 20 s, one after the other.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aep_flow_run::store::{RedisSettings, RedisStore, RunStore};
use aep_flow_run::{parse_events, parse_runs, Event, FlowRun};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[path = "../../tests/support/redis_env.rs"]
mod redis_env;
#[path = "support/serve.rs"]
mod serve;
#[path = "../../tests/support/webhook_sign.rs"]
mod webhook_sign;

const CLIENT_ID: &str = "e2e-client";
const WORKERS: usize = 8;
/// The whole sending phase, retries included.
const DEADLINE: Duration = Duration::from_secs(45);

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the replicas printed: (replica, generation, event id, kind).
type Lines = Arc<Mutex<Vec<(usize, usize, String, String)>>>;

struct Replica {
    process: Process,
    address: SocketAddr,
}

/// Starts a replica and waits for its address line; its event lines go to `lines`.
#[allow(clippy::too_many_arguments)]
fn start_replica(
    lease_secs: u64,
    redis_url: &str,
    prefix: &str,
    log: &Path,
    index: usize,
    generation: usize,
    lines: &Lines,
) -> Replica {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = serve::command(&["--json", "--any-org"])
        .args([
            "--store",
            redis_url,
            "--lease-secs",
            &lease_secs.to_string(),
            "--redis-prefix",
            prefix,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("aep-flow-run serve starts");
    let stdout = child.stdout.take().unwrap();
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let lines = lines.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout).lines();
        if let Some(Ok(first)) = reader.next() {
            let _ = address_tx.send(first);
        }
        for line in reader.map_while(Result::ok) {
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|error| panic!("not a JSON line {line:?}: {error}"));
            lines.lock().unwrap().push((
                index,
                generation,
                value["processed"].as_str().unwrap().to_owned(),
                value["kind"].as_str().unwrap().to_owned(),
            ));
        }
    });
    let process = Process(child);
    let first = match address_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(first) => first,
        Err(_) => panic!(
            "the replica printed no address line; its standard error:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    };
    let (address, _admin) = serve::addresses(&first);
    Replica { process, address }
}

/// A small deterministic generator (no dependency).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const RUNS: usize = 12;
const STATES_PER_RUN: u64 = 6;

/// The state `step` of run `run`: later steps are newer; the last one has ended.
fn run_state(run: usize, step: u64) -> Value {
    let status = match step {
        s if s + 1 == STATES_PER_RUN => {
            if run.is_multiple_of(3) {
                "failed"
            } else {
                "success"
            }
        }
        _ => "inProgress",
    };
    json!({
        "id": format!("run-{run}"),
        "flowId": "flow-1",
        "updatedAt": 1_700_000_000_000u64 + step * 60_000,
        "etag": format!("\"{run}-{step}\""),
        "metrics": {
            "recordSummary": {"inputRecordCount": step * 10, "outputRecordCount": step * 10},
            "statusSummary": {"status": status}
        }
    })
}

fn event(random: &mut Random, id: usize, states: &mut Vec<(usize, u64)>) -> Value {
    match random.below(10) {
        // A flow run: one of the states not sent yet, in random order.
        0..=5 if !states.is_empty() => {
            let (run, step) = states.swap_remove(random.below(states.len() as u64) as usize);
            json!({
                "event_id": format!("ev-{id}"),
                "recipient_client_id": CLIENT_ID,
                "event": run_state(run, step),
            })
        }
        0..=7 => json!({
            "event_id": format!("ev-{id}"),
            "recipient_client_id": CLIENT_ID,
            "event": {
                "id": format!("alert-{id}"),
                "status": "FIRING",
                "name": "sources_flow_run_delay",
                "createdAt": "2026-12-01T04:27:44.922Z",
                "severity": "high",
                "flowId": "flow-1",
                "flowRunId": format!("run-{}", id % RUNS),
                "header": {"_adobeio": {"eventCode": "source_flow_run_error"}}
            }
        }),
        _ => json!({
            "event_id": format!("ev-{id}"),
            "recipient_client_id": CLIENT_ID,
            "event": {"xdm:ingestionId": format!("ingestion-{id}"), "xdm:status": "success"}
        }),
    }
}

/// One delivery: its body, its four signature headers, its events' ids and kinds.
struct Delivery {
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    events: Vec<(String, &'static str)>,
}

fn deliveries(count: usize) -> (Vec<Delivery>, BTreeMap<String, Value>) {
    let mut random = Random(0x5eed_1234_abcd_0042);
    let mut states: Vec<(usize, u64)> = (0..RUNS)
        .flat_map(|run| (0..STATES_PER_RUN).map(move |step| (run, step)))
        .collect();
    let mut next_id = 0;
    let mut deliveries = Vec::new();
    for _ in 0..count {
        let count = if random.below(3) == 0 {
            2 + random.below(4) as usize
        } else {
            1
        };
        let mut elements = Vec::new();
        for _ in 0..count {
            elements.push(event(&mut random, next_id, &mut states));
            next_id += 1;
        }
        let body = if count == 1 {
            serde_json::to_vec(&elements[0]).unwrap()
        } else {
            serde_json::to_vec(&elements).unwrap()
        };
        let events = parse_events(&body)
            .unwrap()
            .iter()
            .map(|event| {
                let kind = match event {
                    Event::FlowRun(_) => "flow_run",
                    Event::Alert(_) => "alert",
                    _ => "other",
                };
                (event.event_id().unwrap().to_owned(), kind)
            })
            .collect();
        let headers = webhook_sign::signed_headers(&body);
        deliveries.push(Delivery {
            body,
            headers,
            events,
        });
    }
    assert!(states.is_empty(), "every run state is sent");
    let newest = (0..RUNS)
        .map(|run| (format!("run-{run}"), run_state(run, STATES_PER_RUN - 1)))
        .collect();
    (deliveries, newest)
}

/// Sends one delivery (`Connection: close`): the status, or `None` when no answer came (a
/// refused or reset connection, or no answer within 10 s, Adobe's timeout).
async fn post(address: SocketAddr, delivery: &Delivery, attempt: u32) -> Option<u16> {
    let mut head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n",
        delivery.body.len()
    );
    if attempt > 0 {
        head.push_str(&format!("x-adobe-retry-count: {attempt}\r\n"));
    }
    for (name, value) in &delivery.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(address).await.ok()?;
        stream.write_all(head.as_bytes()).await.ok()?;
        stream.write_all(&delivery.body).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        let line = raw.split(|&b| b == b'\r').next()?;
        std::str::from_utf8(line)
            .ok()?
            .split(' ')
            .nth(1)?
            .parse()
            .ok()
    };
    timeout(Duration::from_secs(10), exchange)
        .await
        .ok()
        .flatten()
}

/// Where deliveries go, and which are being answered by each replica now.
struct Targets {
    addresses: [SocketAddr; 2],
    /// A replica being killed takes no new attempt.
    down: [bool; 2],
    /// Delivery indexes with an attempt in flight, per replica.
    in_flight: [BTreeMap<usize, usize>; 2],
}

/// The faults of one run.
struct Faults {
    /// Kill replica 0 (SIGKILL) when this share (%) of the sends is done, and start it again.
    kill_at: Option<usize>,
    /// Pause Redis (SIGSTOP) for this long when 65% of the sends is done.
    pause: Duration,
    /// The replicas' lease.
    lease_secs: u64,
    deliveries: usize,
}

/// The runs share the machine's two cores: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The scenario: a kill, and a 2 s pause (shorter than the 3 s store timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_redis_survive_a_kill_and_a_pause() {
    let _one = ONE_AT_A_TIME.lock().await;
    run(Faults {
        kill_at: Some(30),
        pause: Duration::from_secs(2),
        lease_secs: 5,
        deliveries: 300,
    })
    .await;
}

/// Redis away for longer than the store timeout (4 s against 3 s): deliveries get 503,
/// handled events whose `done` could not be written keep their claim and are written once
/// Redis is back (the lease, 8 s, outlasts the outage), so with no replica killed no event
/// is processed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_longer_than_the_timeout_repeats_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    run(Faults {
        kill_at: None,
        pause: Duration::from_secs(4),
        lease_secs: 8,
        deliveries: 150,
    })
    .await;
}

async fn run(faults: Faults) {
    let Some(redis_server) = redis_env::redis_server("replicas") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("aep-replicas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let redis = serve::RedisServer::start(&redis_server, &dir);
    let redis_url = redis.url.clone();
    let prefix = redis_env::unique_prefix("replicas");
    let lines: Lines = Arc::default();
    let logs = [dir.join("replica-0.log"), dir.join("replica-1.log")];
    let start = |index: usize, generation: usize| {
        start_replica(
            faults.lease_secs,
            &redis_url,
            &prefix,
            &logs[index],
            index,
            generation,
            &lines,
        )
    };
    let mut replicas = vec![start(0, 0), start(1, 0)];

    let (deliveries, newest) = deliveries(faults.deliveries);
    let deliveries = Arc::new(deliveries);
    let kinds: BTreeSet<&str> = deliveries
        .iter()
        .flat_map(|d| d.events.iter().map(|(_, kind)| *kind))
        .collect();
    assert_eq!(kinds.len(), 3, "runs, alerts and other events: {kinds:?}");
    assert!(deliveries.iter().filter(|d| d.events.len() > 1).count() > faults.deliveries / 6);

    // The queue: every delivery once, to replica (index % 2); 15% again, to the other.
    let mut random = Random(0x0dd_ba11);
    let mut queue: Vec<(usize, usize)> = Vec::new();
    for index in 0..deliveries.len() {
        queue.push((index, index % 2));
        if random.below(100) < 15 {
            // Next to the first copy, or later.
            let at = queue.len() - random.below(queue.len().min(20) as u64) as usize;
            queue.insert(at, (index, (index + 1) % 2));
        }
    }
    let sends = queue.len();
    let queue = Arc::new(Mutex::new(queue.into_iter().rev().collect::<Vec<_>>()));
    let targets = Arc::new(Mutex::new(Targets {
        addresses: [replicas[0].address, replicas[1].address],
        down: [false, false],
        in_flight: [BTreeMap::new(), BTreeMap::new()],
    }));
    let finished = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let unanswered = Arc::new(AtomicUsize::new(0));
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let given_up: Arc<Mutex<Vec<usize>>> = Arc::default();
    let began = Instant::now();

    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (queue, targets, deliveries) = (queue.clone(), targets.clone(), deliveries.clone());
        let (finished, answers, unanswered) =
            (finished.clone(), answers.clone(), unanswered.clone());
        let (refused, given_up) = (refused.clone(), given_up.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some((index, first_replica)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let delivery = &deliveries[index];
                let mut replica = first_replica;
                let mut attempt = 0u32;
                loop {
                    // Pick the replica (the other one while it is down), and say so.
                    let address = {
                        let mut targets = targets.lock().unwrap();
                        if targets.down[replica] {
                            replica = 1 - replica;
                        }
                        *targets.in_flight[replica].entry(index).or_default() += 1;
                        targets.addresses[replica]
                    };
                    let status = post(address, delivery, attempt).await;
                    {
                        let mut targets = targets.lock().unwrap();
                        let count = targets.in_flight[replica].get_mut(&index).unwrap();
                        *count -= 1;
                        if *count == 0 {
                            targets.in_flight[replica].remove(&index);
                        }
                    }
                    match status {
                        Some(status) => *answers.lock().unwrap().entry(status).or_default() += 1,
                        None => {
                            unanswered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    match status {
                        Some(200..=299) => break,
                        Some(status @ 400..=499) => {
                            refused
                                .lock()
                                .unwrap()
                                .push(format!("delivery {index}: {status}"));
                            break;
                        }
                        _ => {}
                    }
                    // Retried as Adobe retries (there after minutes; here after a short
                    // pause), wherever the load balancer sends it: the other replica.
                    attempt += 1;
                    if began.elapsed() > DEADLINE || attempt > 300 {
                        given_up.lock().unwrap().push(index);
                        break;
                    }
                    let pause = 20u64 << attempt.min(4);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    replica = 1 - replica;
                }
                finished.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    let wait_for = |share: usize| {
        let finished = finished.clone();
        async move {
            while finished.load(Ordering::Relaxed) < sends * share / 100 {
                assert!(began.elapsed() < DEADLINE, "no progress");
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };

    // A third of the way: replica 0 dies (SIGKILL), then comes back on a new port.
    let mut in_flight_at_kill = BTreeSet::new();
    if let Some(share) = faults.kill_at {
        wait_for(share).await;
        in_flight_at_kill = {
            let mut targets = targets.lock().unwrap();
            targets.down[0] = true;
            targets.in_flight[0].keys().copied().collect()
        };
        {
            let killed = &mut replicas[0].process.0;
            killed.kill().unwrap();
            killed.wait().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        replicas[0] = start(0, 1);
        let mut targets = targets.lock().unwrap();
        targets.addresses[0] = replicas[0].address;
        targets.down[0] = false;
    }

    // Two thirds of the way: Redis stops answering for a while.
    wait_for(65).await;
    let redis_pid = redis.child.id();
    serve::signal(redis_pid, "STOP");
    tokio::time::sleep(faults.pause).await;
    serve::signal(redis_pid, "CONT");

    for worker in workers {
        worker.await.unwrap();
    }
    let sending = began.elapsed();
    // The lines of the last answers are printed before those answers: let the readers catch up.
    let expected: usize = deliveries.iter().map(|d| d.events.len()).sum();
    let settle = Instant::now();
    loop {
        let seen: BTreeSet<String> = lines.lock().unwrap().iter().map(|l| l.2.clone()).collect();
        if seen.len() >= expected || settle.elapsed() > Duration::from_secs(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let diagnostics = || {
        logs.iter()
            .map(|log| std::fs::read_to_string(log).unwrap_or_default())
            .map(|text| {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(15)..].join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    let given_up = given_up.lock().unwrap().clone();
    assert!(
        given_up.is_empty(),
        "deliveries never answered 2xx: {given_up:?}\n{}",
        diagnostics()
    );
    let refused = refused.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "genuine deliveries answered 4xx: {refused:?}"
    );

    // Every event processed, with its kind; twice only if in flight at the kill.
    let kind_of: HashMap<&str, &str> = deliveries
        .iter()
        .flat_map(|d| d.events.iter().map(|(id, kind)| (id.as_str(), *kind)))
        .collect();
    assert_eq!(kind_of.len(), expected);
    let mut processed: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for (replica, generation, id, kind) in lines.lock().unwrap().iter() {
        assert_eq!(kind_of.get(id.as_str()), Some(&kind.as_str()), "{id}");
        processed
            .entry(id.clone())
            .or_default()
            .push((*replica, *generation));
    }
    let missing: Vec<&&str> = kind_of
        .keys()
        .filter(|id| !processed.contains_key(**id))
        .collect();
    assert!(missing.is_empty(), "never processed: {missing:?}");
    let may_repeat: BTreeSet<&str> = in_flight_at_kill
        .iter()
        .flat_map(|&index| deliveries[index].events.iter().map(|(id, _)| id.as_str()))
        .collect();
    let twice: Vec<(&String, &Vec<(usize, usize)>)> =
        processed.iter().filter(|(_, by)| by.len() > 1).collect();
    for (id, by) in &twice {
        assert!(
            may_repeat.contains(id.as_str()),
            "{id} processed {} times ({by:?}: replica, generation), and it was not in flight \
             at the kill ({may_repeat:?})",
            by.len()
        );
        // The first time by the replica that was killed, before it was.
        assert!(by.contains(&(0, 0)), "{id}: {by:?}");
    }

    // Both replicas kept the newest state of every run, whatever order the states came in.
    let mut settings = RedisSettings::default();
    settings.prefix = prefix.clone();
    let store = RedisStore::connect(&redis_url, settings).await.unwrap();
    for (run_id, state) in &newest {
        let kept: Option<FlowRun> = store.latest(run_id).await.unwrap();
        let expected_run = parse_runs(state.to_string().as_bytes()).unwrap().remove(0);
        assert_eq!(kept.as_ref(), Some(&expected_run), "{run_id}");
    }

    let answers = answers.lock().unwrap().clone();
    eprintln!(
        "replicas: {sends} sends of {} deliveries ({expected} events) in {sending:?}; answers \
         {answers:?}, {} without an answer; {} events in flight at the kill, {} processed twice",
        deliveries.len(),
        unanswered.load(Ordering::Relaxed),
        may_repeat.len(),
        twice.len()
    );
    assert!(
        answers.get(&503).copied().unwrap_or(0) > 0,
        "the faults and the duplicates made some deliveries wait"
    );
    drop(replicas);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}
