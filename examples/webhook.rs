//! The reference Adobe I/O Events webhook service, on axum and hyper.
//!
//! ```text
//! cargo run --features webhook --example webhook -- --keys DIR [--port PORT] [--client-id ID]
//!     [--lease-secs N] [--json]
//! cargo run --features fetch --example webhook -- --fetch-keys [...]
//! cargo run --features redis --example webhook -- --store redis://HOST:PORT [...]
//! ```
//!
//! Listens on 127.0.0.1 (`--port`, or `WEBHOOK_PORT`, default 8080; `0` picks a free port);
//! the first line it prints names the address, `listening on http://127.0.0.1:PORT/`. It
//! answers Adobe's registration challenge (`GET ?challenge=...`) and asynchronous-validation
//! `POST`, verifies each delivery's signatures and recipient client id (`--client-id` or
//! `WEBHOOK_CLIENT_ID`, default `e2e-client`), parses single and batch deliveries, claims
//! each event in a store (in flight for `--lease-secs`, default 60), handles the new ones
//! (keeps the latest state of each run, prints them), marks them done and answers `200`.
//! Events handled but not marked done (the store failed just then) keep their claim and are
//! marked again in the background until the lease runs out; the answer is `503`. Duplicates
//! are acknowledged and not handled again; an event in flight elsewhere, or a store that
//! fails or is slow, gets `503` with `Retry-After` so that Adobe retries. `4xx` for forged,
//! malformed or misdirected deliveries (Adobe does not retry them), `413` above the 2 MB or
//! 20-event batch limits, `503` when a signing key is not available.
//!
//! The store is in memory, unless `--store redis://HOST:PORT` (feature `redis`; also
//! `redis://:PASSWORD@HOST:PORT/DB`) names a Redis server that the replicas of the service
//! share: deduplication and the latest state of each run are then the same for all of
//! them, under keys that start with `aep-flow-run:` (`WEBHOOK_REDIS_PREFIX` sets another
//! prefix). While Redis cannot be reached, deliveries get `503` and Adobe retries them.
//!
//! With `--json`, standard output holds the address line, then one JSON object per event
//! handled for the first time, `{"processed": "<event id>", "kind": "flow_run" | "alert" |
//! "other"}`, and nothing
//! for a duplicate; the rest goes to standard error.
//!
//! Public keys come from the directory `--keys` (or `WEBHOOK_KEYS_DIR`; there is no
//! default, so that a test key is never trusted by accident), holding each key under its key
//! path: the key for `x-adobe-public-key1-path: /prod/keys/pub-key-1.pem` is
//! `DIR/prod/keys/pub-key-1.pem`. With the `fetch` feature, `--fetch-keys` fetches them
//! from `https://static.adobeioevents.com` instead (`HttpsKeySource`: one fetch per key
//! path, failures remembered, new paths rate-limited). Keys are read when a delivery first needs them,
//! and again once they are 24 hours old; a key path whose file is missing is not looked for
//! again for 5 minutes.
//!
//! The server closes a connection that has not sent its headers, or its body, within 30
//! seconds, and holds at most 1024 connections: beyond that, a new connection is answered
//! `503` and closed.
//!
//! To try it with the test key pair of `fixtures/webhook` (test use only):
//!
//! ```text
//! cargo run --features webhook --example webhook -- --keys fixtures/webhook/keys
//! curl 'http://127.0.0.1:8080/?challenge=hello'
//! body='{"event_id":"e1","recipient_client_id":"e2e-client","event":{"id":"run-1","metrics":{}}}'
//! sig=$(printf %s "$body" | openssl dgst -sha256 -sign fixtures/webhook/private/test-key-1.pem | base64 -w0)
//! curl http://127.0.0.1:8080/ -H "x-adobe-digital-signature-1: $sig" -H "x-adobe-digital-signature-2: $sig" \
//!   -H 'x-adobe-public-key1-path: /e2e/pub-key-1.pem' -H 'x-adobe-public-key2-path: /e2e/pub-key-2.pem' \
//!   -H 'content-type: application/json' -d "$body"
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aep_flow_run::store::{DedupStore, Incoming, MemoryStore, RunChange, RunStore};
use aep_flow_run::webhook::{Answer, Received, Receiver, ReceiverSettings, Verifier, WebhookError};
use aep_flow_run::{Event, Notification};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the public keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keys {
    /// A directory of PEM public keys, each under its key path.
    Dir(PathBuf),
    /// Fetched from `https://static.adobeioevents.com` (`--fetch-keys`, feature `fetch`).
    Fetch,
}

/// What the server needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// The recipient client id deliveries must name.
    pub client_id: String,
    /// Where the public keys come from.
    pub keys: Keys,
    /// How long a claimed event stays in flight.
    pub lease: Duration,
    /// The Redis server shared by the replicas (`redis://HOST:PORT`), or `None` for memory.
    pub store: Option<String>,
    /// The prefix of the Redis keys (`None`: the store's default, `aep-flow-run:`).
    pub redis_prefix: Option<String>,
    /// One JSON line per event handled for the first time on standard output.
    pub json: bool,
    /// How long a connection may take to send its headers, and its body.
    pub read_timeout: Duration,
    /// The most connections held at once.
    pub max_connections: usize,
}

impl Config {
    /// The defaults for everything but the keys directory, which has none.
    pub fn new(client_id: impl Into<String>, keys_dir: impl Into<PathBuf>) -> Self {
        Config {
            client_id: client_id.into(),
            keys: Keys::Dir(keys_dir.into()),
            lease: Duration::from_secs(60),
            store: None,
            redis_prefix: None,
            json: false,
            read_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }

    /// Reads the command line `args` (without the program name), and the environment
    /// variables `env` gives that stand for options; gives the port too.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Config, u16), String> {
        let mut client_id = env("WEBHOOK_CLIENT_ID").unwrap_or_else(|| "e2e-client".into());
        let mut keys_dir = env("WEBHOOK_KEYS_DIR");
        let mut port = env("WEBHOOK_PORT").unwrap_or_else(|| "8080".into());
        let mut lease = "60".to_owned();
        let mut json = false;
        let mut fetch_keys = false;
        let mut store = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--client-id" => client_id = value()?,
                "--keys" => keys_dir = Some(value()?),
                "--port" => port = value()?,
                "--lease-secs" => lease = value()?,
                "--store" => {
                    let url = value()?;
                    if !url.starts_with("redis://") {
                        return Err(format!(
                            "--store {url:?}: give redis://HOST:PORT (or leave --store out to \
                             deduplicate in memory)"
                        ));
                    }
                    if !cfg!(feature = "redis") {
                        return Err("--store redis://... needs the `redis` feature \
                                    (cargo run --features redis --example webhook)"
                            .to_owned());
                    }
                    store = Some(url);
                }
                "--json" => json = true,
                "--fetch-keys" if cfg!(feature = "fetch") => fetch_keys = true,
                "--fetch-keys" => {
                    return Err("--fetch-keys needs the `fetch` feature \
                                (cargo run --features fetch --example webhook)"
                        .to_owned())
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unexpected argument {other:?}")),
            }
        }
        let keys = match (keys_dir, fetch_keys) {
            (Some(_), true) => return Err("give --keys DIR or --fetch-keys, not both".to_owned()),
            (Some(dir), false) => Keys::Dir(PathBuf::from(dir)),
            (None, true) => Keys::Fetch,
            (None, false) => {
                return Err(
                    "--keys DIR is required: the directory of Adobe's public keys, \
                     each under its key path (there is no default, so that no test key is \
                     ever trusted by accident); with the `fetch` feature, --fetch-keys \
                     fetches them from https://static.adobeioevents.com instead"
                        .to_owned(),
                )
            }
        };
        let port = port.parse().map_err(|_| format!("invalid port {port:?}"))?;
        let lease: u64 = lease
            .parse()
            .ok()
            .filter(|&secs| secs > 0)
            .ok_or_else(|| format!("invalid --lease-secs {lease:?}"))?;
        let mut config = Config::new(client_id, PathBuf::new());
        config.keys = keys;
        config.lease = Duration::from_secs(lease);
        config.store = store;
        config.redis_prefix = env("WEBHOOK_REDIS_PREFIX").filter(|prefix| !prefix.is_empty());
        config.json = json;
        Ok((config, port))
    }
}

struct AppState {
    receiver: Receiver<Box<dyn DedupStore>>,
    /// The latest state of each run.
    runs: Box<dyn RunStore>,
    /// The keys directory, when keys are not fetched.
    keys_dir: Option<PathBuf>,
    json: bool,
    read_timeout: Duration,
    /// Key paths whose file was missing or unusable, and when: not looked for again soon.
    failed_keys: Mutex<HashMap<String, Instant>>,
}

/// How long a key path whose file was missing is not looked for again.
const FAILED_KEY_PAUSE: Duration = Duration::from_secs(300);

/// The two stores: in memory, or both in the Redis server `config.store` names.
#[allow(clippy::type_complexity)]
fn stores(config: &Config) -> Result<(Box<dyn DedupStore>, Box<dyn RunStore>), String> {
    match &config.store {
        // The latest state of the 10 000 runs seen last (a run's state is a few KB).
        None => Ok((
            Box::new(MemoryStore::default()),
            Box::new(MemoryStore::new(10_000)),
        )),
        #[cfg(feature = "redis")]
        Some(url) => {
            let mut settings = aep_flow_run::store::RedisSettings::default();
            if let Some(prefix) = &config.redis_prefix {
                settings.prefix = prefix.clone();
            }
            let store = aep_flow_run::store::RedisStore::open(url, settings)
                .map_err(|error| format!("--store: {error}"))?;
            Ok((Box::new(store.clone()), Box::new(store)))
        }
        #[cfg(not(feature = "redis"))]
        Some(_) => Err("--store redis://... needs the `redis` feature".to_owned()),
    }
}

/// The webhook's routes: `/` and `/webhook` answer alike. Fails on a store it cannot use
/// (an invalid Redis URL).
pub fn router(config: &Config) -> Result<Router, String> {
    let mut settings = ReceiverSettings::default();
    settings.lease = config.lease;
    // As before issue #28 (the fixtures it is tested with are from 2020); `aep-flow-run
    // serve`, which replaces this example, takes `--org` or `--any-org`.
    settings.max_event_age = None;
    let (store, runs) = stores(config)?;
    let verifier = Verifier::new(config.client_id.clone()).with_any_organization();
    let receiver = Receiver::new(verifier)
        .with_store(store)
        .with_settings(settings);
    #[cfg(feature = "fetch")]
    let receiver = match config.keys {
        Keys::Fetch => receiver.with_key_source(
            aep_flow_run::webhook::HttpsKeySource::new(),
            aep_flow_run::webhook::KeyFetchSettings::default(),
        ),
        Keys::Dir(_) => receiver,
    };
    let keys_dir = match &config.keys {
        Keys::Dir(dir) => Some(dir.clone()),
        Keys::Fetch => None,
    };
    let state = Arc::new(AppState {
        receiver,
        runs,
        keys_dir,
        json: config.json,
        read_timeout: config.read_timeout,
        failed_keys: Mutex::new(HashMap::new()),
    });
    Ok(Router::new()
        .route("/", any(webhook))
        .route("/webhook", any(webhook))
        .with_state(state))
}

/// Serves the webhook on a bound listener until the task is dropped: HTTP/1.1, headers
/// and body each within `read_timeout`, at most `max_connections` at once.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let router = router(&config)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
    let service = TowerToHyperService::new(router);
    let connections = Arc::new(tokio::sync::Semaphore::new(config.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.read_timeout);
    loop {
        let (mut stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, a connection reset before accept, ...: keep serving.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let busy = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 5\r\n\
                    content-length: 0\r\nconnection: close\r\n\r\n";
                // Answer, then read (and drop) what the client sent for a moment, so that
                // closing does not reset the connection before the client reads the answer.
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    stream.write_all(busy).await?;
                    stream.shutdown().await?;
                    let mut sink = [0u8; 4096];
                    let mut left: usize = 64 * 1024;
                    while left > 0 {
                        match stream.read(&mut sink).await? {
                            0 => break,
                            n => left = left.saturating_sub(n),
                        }
                    }
                    Ok::<(), std::io::Error>(())
                })
                .await;
            });
            continue;
        };
        let connection = http.serve_connection(TokioIo::new(stream), service.clone());
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
}

async fn webhook(
    State(state): State<Arc<AppState>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limit = state.receiver.settings().max_body_bytes;
    // Refuse an announced oversized body before reading any of it.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return answer(state.receiver.refuse(WebhookError::BodyTooLarge { limit }));
    }
    // Read at most `limit` bytes (a chunked body announces no length), within the timeout.
    let body = match tokio::time::timeout(state.read_timeout, axum::body::to_bytes(body, limit))
        .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return answer(state.receiver.refuse(WebhookError::BodyTooLarge { limit })),
        Err(_) => {
            let mut response =
                (StatusCode::REQUEST_TIMEOUT, "body not received in time\n").into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();

    if let Some(keys_dir) = state.keys_dir.as_deref().filter(|_| method == Method::POST) {
        load_missing_keys(&state, keys_dir, &pairs);
    }
    let mut reception = state
        .receiver
        .handle(
            method.as_str(),
            query.as_deref().unwrap_or(""),
            pairs.iter().copied(),
            &body,
        )
        .await;
    if let Received::Delivery { events, .. } = &reception.received {
        let handled = process(&state, events).await;
        if let Err(error) = handled {
            // Nothing of it was printed: Adobe's retry hands the events over again.
            let _ = state.receiver.abandon(events).await;
            reception = state.receiver.refuse(error);
        } else if let Err(error) = state.receiver.complete(events).await {
            // Handled, but not recorded as done (the store is down or slow). Releasing the
            // claims would let Adobe's retry handle the events again at once; instead they
            // stay claimed (a retry meanwhile gets 503: in flight) and recording is tried
            // again in the background until the lease runs out: once the store is back,
            // Adobe's retries are duplicates.
            let (later, handled) = (Arc::clone(&state), events.clone());
            tokio::spawn(async move { record_later(&later, &handled).await });
            reception = state.receiver.refuse(error);
        }
    }
    report(&state, &reception.received);
    answer(reception)
}

/// Records handled events as done, again every 200 ms until it works or the lease has run
/// out (then Adobe's next retry hands them over again: at least once).
async fn record_later(state: &AppState, events: &[Incoming]) {
    let until = Instant::now() + state.receiver.settings().lease;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        match state.receiver.complete(events).await {
            Ok(()) => return,
            Err(error) if Instant::now() >= until => {
                eprintln!("webhook: handled events not recorded as done: {error}");
                return;
            }
            Err(_) => {}
        }
    }
}

/// Handles the new events of a delivery: keeps the latest state of each run (the fallible
/// part, done first: on a store error nothing is printed and the delivery gets a 503), then
/// prints them.
async fn process(state: &AppState, events: &[Incoming]) -> Result<(), WebhookError> {
    let runs: Vec<&aep_flow_run::FlowRun> = events
        .iter()
        .filter(|incoming| !incoming.duplicate)
        .filter_map(Incoming::run)
        .collect();
    let mut observed = state.runs.observe(&runs).await?.into_iter();
    let changes: Vec<Option<RunChange>> = events
        .iter()
        .filter(|incoming| !incoming.duplicate)
        .map(|incoming| incoming.run().and_then(|_| observed.next()))
        .collect();
    let new = events.iter().filter(|d| !d.duplicate);
    for (delivered, change) in new.zip(changes) {
        let event = &delivered.event;
        if let (Some(change), Event::FlowRun(notification)) = (&change, event) {
            if !matches!(change, RunChange::New | RunChange::Untracked) {
                let line = format!(
                    "run {}: {}",
                    notification.run.id.as_deref().unwrap_or("-"),
                    describe(change)
                );
                // With --json, standard output holds only the events handled.
                if state.json {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
        }
        if state.json {
            let id = event.event_id().unwrap_or(delivered.key.as_str());
            println!(
                "{}",
                serde_json::json!({"processed": id, "kind": event.kind().as_str()})
            );
        } else {
            match event {
                Event::FlowRun(notification) => println!("{}", summary(notification)),
                other => println!(
                    "event {}: {} {}",
                    other.event_id().unwrap_or(delivered.key.as_str()),
                    other.kind().as_str(),
                    other.event_code().unwrap_or("(no event code)")
                ),
            }
        }
    }
    Ok(())
}

/// What a state changed for its run, in a few words.
fn describe(change: &RunChange) -> String {
    let status = |status: &Option<aep_flow_run::Status>| {
        status
            .as_ref()
            .map_or("(none)".to_owned(), |s| s.as_str().to_owned())
    };
    match change {
        RunChange::StatusChanged { from, to } => {
            format!("status {} -> {}", status(from), status(to))
        }
        RunChange::Updated => "updated".to_owned(),
        RunChange::Stale => "an older state, arrived late: ignored".to_owned(),
        RunChange::Duplicate => "the state kept already".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Reads the keys a delivery needs that the verifier lacks (or holds stale) from the keys
/// directory: the stand-in for fetching `https://static.adobeioevents.com` + key path.
fn load_missing_keys(state: &AppState, keys_dir: &Path, headers: &[(&str, &str)]) {
    let urls = state
        .receiver
        .verifier()
        .missing_keys(headers.iter().copied(), SystemTime::now());
    for url in urls {
        // `missing_keys` only lists paths `public_key_url` accepted: plain, absolute, no `..`.
        let key_path = url.path();
        if recently_failed(state, key_path) {
            continue;
        }
        let file = keys_dir.join(key_path.trim_start_matches('/'));
        let loaded = std::fs::read_to_string(&file)
            .map_err(|error| error.to_string())
            .and_then(|pem| {
                state
                    .receiver
                    .add_public_key_pem(key_path, &pem)
                    .map_err(|error| error.to_string())
            });
        if let Err(error) = loaded {
            eprintln!("webhook: key {key_path} from {}: {error}", file.display());
            let mut failed = state.failed_keys.lock().unwrap_or_else(|p| p.into_inner());
            if failed.len() >= 1024 {
                failed.retain(|_, at| at.elapsed() < FAILED_KEY_PAUSE);
            }
            if failed.len() < 1024 {
                failed.insert(key_path.to_owned(), Instant::now());
            }
        }
    }
}

fn recently_failed(state: &AppState, key_path: &str) -> bool {
    let failed = state.failed_keys.lock().unwrap_or_else(|p| p.into_inner());
    failed
        .get(key_path)
        .is_some_and(|at| at.elapsed() < FAILED_KEY_PAUSE)
}

fn answer(response: Answer) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = (status, response.body).into_response();
    let headers = answer.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(response.content_type),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(seconds) = response.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    answer
}

/// Says what was received, on standard error with `--json` (standard output then holds
/// only the events handled).
fn report(state: &AppState, received: &Received) {
    let line = match received {
        Received::Challenge(challenge) => format!("challenge answered: {challenge}"),
        Received::Validation(request) => match request.url() {
            Some(url) => {
                format!("validation request: confirm by fetching {url} (check the host first)")
            }
            None => format!(
                "validation request with an unusable URL {:?}",
                request.validation_url
            ),
        },
        Received::Delivery { headers, events } => {
            let duplicates = events.iter().filter(|d| d.duplicate).count();
            format!(
                "delivery of {} events, {duplicates} duplicates [attempt {}]",
                events.len(),
                headers.attempt()
            )
        }
        Received::Unreadable { error, .. } => {
            format!("authentic delivery that cannot be read: {error}")
        }
        Received::Refused(error) => format!("refused ({}): {error}", error.status_code()),
        other => format!("{other:?}"),
    };
    if state.json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// `event E: CODE OUTCOME run R of flow F, records in/out/failed, N errors`.
fn summary(notification: &Notification) -> String {
    let run = &notification.run;
    let count = |count: Option<u64>| count.map_or_else(|| "?".to_owned(), |n| n.to_string());
    format!(
        "event {}: {} {:?} run {} of flow {}, records {}/{}/{} in/out/failed, {} errors",
        notification.event_id.as_deref().unwrap_or("-"),
        match notification.event_code.as_str() {
            "" => "(no event code)",
            code => code,
        },
        notification.outcome(),
        run.id.as_deref().unwrap_or("-"),
        run.flow_id.as_deref().unwrap_or("-"),
        count(notification.input_records()),
        count(notification.output_records()),
        count(notification.failed_records()),
        notification.distinct_errors().len(),
    )
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (config, port) =
        match Config::parse(std::env::args().skip(1), |name| std::env::var(name).ok()) {
            Ok(parsed) => parsed,
            Err(message) => {
                if !message.is_empty() {
                    eprintln!("webhook: {message}");
                }
                eprintln!(
                    "usage: webhook (--keys DIR | --fetch-keys) [--port PORT] [--client-id ID] \
                 [--store redis://HOST:PORT] [--lease-secs N] [--json]"
                );
                return std::process::ExitCode::from(2);
            }
        };
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("webhook: cannot listen on {address}: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => {
            println!("listening on http://{bound}/");
            let keys = match &config.keys {
                Keys::Dir(dir) => format!("keys in {}", dir.display()),
                Keys::Fetch => "keys fetched from https://static.adobeioevents.com".to_owned(),
            };
            let store = match config.store.as_deref().map(url::Url::parse) {
                None => "store in memory".to_owned(),
                Some(Ok(url)) => format!(
                    "store in Redis at {}:{}",
                    url.host_str().unwrap_or("?"),
                    url.port().unwrap_or(6379)
                ),
                Some(Err(_)) => "store in Redis".to_owned(),
            };
            eprintln!(
                "webhook: recipient client id {:?}, {keys}, {store}, lease {} s",
                config.client_id,
                config.lease.as_secs()
            );
        }
        Err(error) => eprintln!("webhook: {error}"),
    }
    if let Err(error) = serve(listener, config).await {
        eprintln!("webhook: {error}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
