//! An Adobe I/O Events webhook for flow-run notifications, on axum.
//!
//! ```text
//! cargo run --features webhook --example webhook -- [--port PORT] [--keys DIR] [--client-id ID]
//! ```
//!
//! Listens on 127.0.0.1 (port from `--port` or `WEBHOOK_PORT`, default 8080; `0` picks a free
//! one) and prints the address it is bound to. It answers Adobe's registration challenge
//! (`GET ?challenge=...`) and asynchronous-validation `POST`, verifies each delivery's
//! signatures and recipient client id (`--client-id` or `WEBHOOK_CLIENT_ID`, default
//! `e2e-client`), parses single and batch deliveries, drops duplicates, and prints one
//! summary line per notification. Answers: `200` quickly for what was received (duplicates
//! included), `4xx` for forged, malformed or misdirected deliveries (Adobe does not retry
//! them), `413` above the 2 MB batch limit, `503` when a signing key is not available yet.
//!
//! Public keys come from a directory (`--keys` or `WEBHOOK_KEYS_DIR`, default
//! `fixtures/webhook/keys`) holding each key under its key path: the key for
//! `x-adobe-public-key1-path: /prod/keys/pub-key-1.pem` is `DIR/prod/keys/pub-key-1.pem`. In
//! production, a fetcher would download the URLs `Verifier::missing_keys` lists instead;
//! this example makes no network calls. Keys are read when a delivery first needs them, and
//! again once they are 24 hours old.
//!
//! To try it with the test key pair of `fixtures/webhook` (test use only):
//!
//! ```text
//! curl 'http://127.0.0.1:8080/?challenge=hello'
//! body='{"event_id":"e1","recipient_client_id":"e2e-client","event":{"id":"run-1","metrics":{}}}'
//! sig=$(printf %s "$body" | openssl dgst -sha256 -sign fixtures/webhook/private/test-key-1.pem | base64 -w0)
//! curl http://127.0.0.1:8080/ -H "x-adobe-digital-signature-1: $sig" -H "x-adobe-digital-signature-2: $sig" \
//!   -H 'x-adobe-public-key1-path: /e2e/pub-key-1.pem' -H 'x-adobe-public-key2-path: /e2e/pub-key-2.pem' \
//!   -H 'content-type: application/json' -d "$body"
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use aep_flow_run::webhook::{Received, Receiver, Reception, Verifier, WebhookError};
use aep_flow_run::{Count, Notification};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

/// What the server needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// The recipient client id deliveries must name.
    pub client_id: String,
    /// The directory of PEM public keys, each under its key path.
    pub keys_dir: PathBuf,
}

impl Config {
    /// Reads `--client-id`, `--keys` and `--port` (or their environment variables).
    fn from_args() -> Result<(Config, u16), String> {
        let mut client_id =
            std::env::var("WEBHOOK_CLIENT_ID").unwrap_or_else(|_| "e2e-client".into());
        let mut keys_dir =
            std::env::var("WEBHOOK_KEYS_DIR").unwrap_or_else(|_| "fixtures/webhook/keys".into());
        let mut port = std::env::var("WEBHOOK_PORT").unwrap_or_else(|_| "8080".into());
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let slot = match arg.as_str() {
                "--client-id" => &mut client_id,
                "--keys" => &mut keys_dir,
                "--port" => &mut port,
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unexpected argument {other:?}")),
            };
            *slot = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        }
        let port = port.parse().map_err(|_| format!("invalid port {port:?}"))?;
        Ok((
            Config {
                client_id,
                keys_dir: PathBuf::from(keys_dir),
            },
            port,
        ))
    }
}

struct AppState {
    receiver: Mutex<Receiver>,
    keys_dir: PathBuf,
}

impl AppState {
    fn receiver(&self) -> MutexGuard<'_, Receiver> {
        // A panic elsewhere while holding the lock leaves consistent data: keep serving.
        self.receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The webhook's routes: `/` and `/webhook` answer alike.
pub fn router(config: Config) -> Router {
    let state = Arc::new(AppState {
        receiver: Mutex::new(Receiver::new(Verifier::new(config.client_id))),
        keys_dir: config.keys_dir,
    });
    Router::new()
        .route("/", any(webhook))
        .route("/webhook", any(webhook))
        .with_state(state)
}

/// Serves the webhook on a bound listener until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    axum::serve(listener, router(config)).await
}

async fn webhook(
    State(state): State<Arc<AppState>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limit = state.receiver().max_body_bytes();
    // Refuse an announced oversized body before reading any of it.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return answer(Reception::rejected(WebhookError::BodyTooLarge { limit }));
    }
    // Read at most `limit` bytes (a chunked body announces no length).
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(_) => return answer(Reception::rejected(WebhookError::BodyTooLarge { limit })),
    };
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();

    if method == Method::POST {
        load_missing_keys(&state, &pairs);
    }
    let reception = state.receiver().handle(
        method.as_str(),
        query.as_deref().unwrap_or(""),
        pairs.iter().copied(),
        &body,
    );
    report(&reception.received);
    answer(reception)
}

/// Reads the keys a delivery needs that the verifier lacks (or holds stale) from the keys
/// directory: the stand-in for fetching `https://static.adobeioevents.com` + key path.
fn load_missing_keys(state: &AppState, headers: &[(&str, &str)]) {
    let urls = state
        .receiver()
        .verifier()
        .missing_keys(headers.iter().copied(), SystemTime::now());
    for url in urls {
        // `missing_keys` only lists paths `public_key_url` accepted: plain, absolute, no `..`.
        let key_path = url.path();
        let file = state.keys_dir.join(key_path.trim_start_matches('/'));
        let Ok(pem) = std::fs::read_to_string(&file) else {
            eprintln!("webhook: no key file {} for {url}", file.display());
            continue;
        };
        if let Err(error) = state
            .receiver()
            .verifier_mut()
            .add_public_key_pem(key_path, &pem)
        {
            eprintln!("webhook: {}: {error}", file.display());
        }
    }
}

fn answer(reception: Reception) -> Response {
    let response = reception.response;
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = (status, response.body).into_response();
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(response.content_type),
    );
    answer.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    answer
}

/// Prints what was received: one line per notification.
fn report(received: &Received) {
    match received {
        Received::Challenge(challenge) => println!("challenge answered: {challenge}"),
        Received::Validation(request) => match request.url() {
            Some(url) => {
                println!("validation request: confirm by fetching {url} (check the host first)")
            }
            None => println!(
                "validation request with an unusable URL {:?}",
                request.validation_url
            ),
        },
        Received::Delivery {
            headers,
            notifications,
        } => {
            for delivered in notifications {
                let mark = if delivered.duplicate {
                    " (duplicate, skipped)"
                } else {
                    ""
                };
                println!(
                    "{}{mark} [attempt {}]",
                    summary(&delivered.notification),
                    headers.attempt()
                );
            }
        }
        Received::Unreadable { error, .. } => {
            println!("authentic delivery without a flow run: {error}")
        }
        Received::Rejected(error) => println!("refused ({}): {error}", error.status_code()),
        other => println!("{other:?}"),
    }
}

/// `event E: CODE OUTCOME run R of flow F, records in/out/failed, N errors`.
fn summary(notification: &Notification) -> String {
    let run = &notification.run;
    let count = |count: &Option<Count>| match count.as_ref().and_then(Count::get) {
        Some(n) => n.to_string(),
        None => "?".to_owned(),
    };
    let records = &run.metrics.record_summary;
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
        count(&records.input_record_count),
        count(&records.output_record_count),
        count(&records.failed_record_count),
        notification.errors().count(),
    )
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (config, port) = match Config::from_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("webhook: {message}");
            }
            eprintln!("usage: webhook [--port PORT] [--keys DIR] [--client-id ID]");
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
        Ok(bound) => println!(
            "listening on http://{bound}/ (recipient client id {:?}, keys in {})",
            config.client_id,
            config.keys_dir.display()
        ),
        Err(error) => eprintln!("webhook: {error}"),
    }
    if let Err(error) = serve(listener, config).await {
        eprintln!("webhook: {error}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
