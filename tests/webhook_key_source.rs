//! `Receiver::with_key_source`: keys fetched through a pluggable client, one fetch per key
//! path however many deliveries wait, failures remembered, new paths rate-limited, and the
//! last good key kept while a refresh fails.
#![cfg(feature = "webhook")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aep_flow_run::webhook::{
    KeyFetchSettings, KeySource, Received, Receiver, Verifier, WebhookError,
};
use aep_flow_run::{BoxError, BoxFuture};
use serde_json::json;
use url::Url;

#[path = "support/webhook_sign.rs"]
mod webhook_sign;
use webhook_sign::{fixture, pairs, signed_headers, KEY_1_PATH, KEY_2_PATH};

/// Serves the test keys, or fails, or never answers; counts requests by URL.
struct TestSource {
    mode: &'static str,
    requests: Mutex<Vec<String>>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl TestSource {
    fn new(mode: &'static str) -> Self {
        TestSource {
            mode,
            requests: Mutex::new(Vec::new()),
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl KeySource for TestSource {
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<String, BoxError>> {
        self.requests.lock().unwrap().push(url.to_string());
        Box::pin(async move {
            match self.mode {
                "serve" | "gated" => {
                    if self.mode == "gated" {
                        self.gate.acquire().await.unwrap().forget();
                    }
                    let file = match url.path() {
                        KEY_1_PATH => "keys/e2e/pub-key-1.pem",
                        KEY_2_PATH => "keys/e2e/pub-key-2.pem",
                        _ => return Err("404".into()),
                    };
                    Ok(fixture(file))
                }
                "garbage" => Ok("<html>not a key</html>".to_owned()),
                "hang" => std::future::pending().await,
                _ => Err("503 from the key host".into()),
            }
        })
    }
}

/// An error's text followed by its sources'.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn delivery(event_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"event_id": event_id, "recipient_client_id": "me",
        "event": {"id": "r", "metrics": {}}}))
    .unwrap()
}

fn receiver(source: &Arc<TestSource>, settings: KeyFetchSettings) -> Receiver {
    Receiver::new(Verifier::new("me")).with_key_source(source.clone(), settings)
}

#[tokio::test]
async fn concurrent_deliveries_needing_one_key_make_one_request() {
    let source = Arc::new(TestSource::new("gated"));
    let receiver = Arc::new(receiver(&source, KeyFetchSettings::default()));
    let mut tasks = Vec::new();
    for n in 0..8 {
        let receiver = receiver.clone();
        tasks.push(tokio::spawn(async move {
            let body = delivery(&format!("k{n}"));
            let headers = signed_headers(&body);
            let reception = receiver.handle("POST", "", pairs(&headers), &body).await;
            reception.status
        }));
    }
    // Let every delivery reach the key fetch (this is a single-threaded runtime), then
    // let the key host answer.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert_eq!(source.requests().len(), 1, "{:?}", source.requests());
    source.gate.add_permits(100);
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses, [200; 8]);
    // One request per key path, for eight deliveries.
    assert_eq!(
        source.requests(),
        [
            "https://static.adobeioevents.com/e2e/pub-key-1.pem",
            "https://static.adobeioevents.com/e2e/pub-key-2.pem"
        ]
    );
    // Cached: the next delivery fetches nothing.
    let body = delivery("k9");
    let reception = receiver
        .handle("POST", "", pairs(&signed_headers(&body)), &body)
        .await;
    assert_eq!(reception.status, 200);
    assert_eq!(source.requests().len(), 2);
}

#[tokio::test]
async fn failures_are_503_remembered_and_new_paths_rate_limited() {
    let source = Arc::new(TestSource::new("fail"));
    let mut settings = KeyFetchSettings::default();
    settings.new_paths_per_minute = 3;
    let receiver = receiver(&source, settings);
    let body = delivery("f1");
    let headers = signed_headers(&body);
    let reception = receiver.handle("POST", "", pairs(&headers), &body).await;
    assert_eq!(reception.status, 503);
    assert_eq!(reception.retry_after, Some(60));
    let Received::Refused(error @ WebhookError::KeyUnavailable { key_path, .. }) =
        &reception.received
    else {
        panic!("{:?}", reception.received)
    };
    assert_eq!(key_path, KEY_1_PATH);
    assert_eq!(
        chain(error),
        format!("public key for key path {KEY_1_PATH:?} unavailable: the key source failed: 503 from the key host")
    );
    assert_eq!(source.requests().len(), 2);
    // The same paths again: not fetched again for a while.
    let reception = receiver.handle("POST", "", pairs(&headers), &body).await;
    assert_eq!(reception.status, 503);
    assert_eq!(source.requests().len(), 2);

    // A stranger sending random key paths: at most 3 new paths a minute are fetched.
    for n in 0..20 {
        let mut random = headers.clone();
        random[2].1 = format!("/prod/keys/random-{n}.pem");
        random[3].1 = format!("/prod/keys/random-{n}-b.pem");
        let reception = receiver.handle("POST", "", pairs(&random), &body).await;
        assert_eq!(reception.status, 503);
    }
    assert_eq!(source.requests().len(), 3, "{:?}", source.requests());
}

#[tokio::test]
async fn a_slow_or_garbage_key_host_is_503() {
    for (mode, reason) in [
        ("hang", "did not answer in time"),
        ("garbage", "invalid public key"),
    ] {
        let source = Arc::new(TestSource::new(mode));
        let mut settings = KeyFetchSettings::default();
        settings.timeout = Duration::from_millis(50);
        let receiver = receiver(&source, settings);
        let body = delivery("s1");
        let reception = receiver
            .handle("POST", "", pairs(&signed_headers(&body)), &body)
            .await;
        assert_eq!(reception.status, 503, "{mode}");
        let Received::Refused(error @ WebhookError::KeyUnavailable { .. }) = &reception.received
        else {
            panic!("{:?}", reception.received)
        };
        let got = chain(error);
        assert!(got.contains(reason), "{mode}: {got}");
    }
}

#[tokio::test]
async fn the_last_good_key_is_used_while_its_refresh_fails() {
    let day_ago = SystemTime::now() - Duration::from_secs(25 * 3600);
    let mut verifier = Verifier::new("me");
    for (path, file) in [
        (KEY_1_PATH, "keys/e2e/pub-key-1.pem"),
        (KEY_2_PATH, "keys/e2e/pub-key-2.pem"),
    ] {
        verifier
            .add_public_key_pem_at(path, &fixture(file), day_ago)
            .unwrap();
    }
    let source = Arc::new(TestSource::new("fail"));
    let receiver =
        Receiver::new(verifier).with_key_source(source.clone(), KeyFetchSettings::default());
    let body = delivery("l1");
    let reception = receiver
        .handle("POST", "", pairs(&signed_headers(&body)), &body)
        .await;
    assert_eq!(reception.status, 200, "{}", reception.body);
    assert_eq!(source.requests().len(), 2);
    // Still held, and not fetched again until the retry pause is over.
    let body = delivery("l2");
    let reception = receiver
        .handle("POST", "", pairs(&signed_headers(&body)), &body)
        .await;
    assert_eq!(reception.status, 200);
    assert_eq!(source.requests().len(), 2);
}
