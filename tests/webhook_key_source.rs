//! `Receiver::with_key_source`: keys fetched through a pluggable client, one fetch per key
//! path however many deliveries wait, only for requests that could be genuine, failures
//! remembered, and the last good key kept while a refresh fails.
#![cfg(feature = "webhook")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aep_flow_run::webhook::{
    KeyFetchSettings, KeySource, Received, Receiver, Verifier, WebhookError,
};
use aep_flow_run::{BoxError, BoxFuture};
use base64::Engine;
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
async fn failures_are_503_and_remembered() {
    let source = Arc::new(TestSource::new("fail"));
    let receiver = receiver(&source, KeyFetchSettings::default());
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
}

/// Four signature headers naming key paths of the stranger's choice.
fn stranger_headers(n: usize, signature: &str) -> Vec<(String, String)> {
    vec![
        ("x-adobe-digital-signature-1".into(), signature.to_owned()),
        ("x-adobe-digital-signature-2".into(), signature.to_owned()),
        (
            "x-adobe-public-key1-path".into(),
            format!("/prod/keys/pub-key-{n}.pem"),
        ),
        (
            "x-adobe-public-key2-path".into(),
            format!("/prod/keys/pub-key-{n}-b.pem"),
        ),
    ]
}

/// Issue #28, finding 1: on 3f6dca2 any request with the four headers spent the budget of
/// ten new key paths a minute before its signature was checked (a `GET`, a 3 MiB body,
/// garbage signatures), and the genuine delivery below was answered `503 too many new key
/// paths this minute`.
#[tokio::test]
async fn strangers_naming_random_key_paths_cannot_keep_a_genuine_new_key_from_being_fetched() {
    let source = Arc::new(TestSource::new("serve"));
    let receiver = receiver(&source, KeyFetchSettings::default());
    let body = delivery("g1");
    let short = "c2lnbmF0dXJl";
    let rsa_sized = base64::engine::general_purpose::STANDARD.encode([7u8; 256]);
    let huge = vec![b' '; 3 * 1024 * 1024];

    // Requests that fail a cheaper check make no fetch, however many.
    for n in 0..200 {
        let headers = stranger_headers(n, &rsa_sized);
        let get = receiver.handle("GET", "", pairs(&headers), b"").await;
        assert_eq!(get.status, 400);
        let put = receiver.handle("PUT", "", pairs(&headers), &body).await;
        assert_eq!(put.status, 405);
        let large = receiver.handle("POST", "", pairs(&headers), &huge).await;
        assert_eq!(large.status, 413);
        let garbage = stranger_headers(n, short);
        let garbage = receiver.handle("POST", "", pairs(&garbage), &body).await;
        assert_eq!(garbage.status, 403, "{}", garbage.body);
    }
    assert_eq!(source.requests(), Vec::<String>::new());

    // A request that could be genuine costs one fetch of each path it names, once.
    for round in 0..3 {
        for n in 0..20 {
            let headers = stranger_headers(n, &rsa_sized);
            let answer = receiver.handle("POST", "", pairs(&headers), &body).await;
            assert_eq!(answer.status, 503, "round {round}");
        }
        assert_eq!(source.requests().len(), 40, "round {round}");
    }

    // Then a genuine delivery signed with keys the service never fetched: fetched, and in.
    let answer = receiver
        .handle("POST", "", pairs(&signed_headers(&body)), &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(source.requests().len(), 42);
    assert!(source.requests().ends_with(&[
        format!("https://static.adobeioevents.com{KEY_1_PATH}"),
        format!("https://static.adobeioevents.com{KEY_2_PATH}"),
    ]));
}

/// A delivery that verifies with a key held needs no fetch, even when its other pair names
/// a key path never seen (Adobe's key rotation: one old key, one new).
#[tokio::test]
async fn a_delivery_verified_with_a_held_key_fetches_nothing() {
    let source = Arc::new(TestSource::new("serve"));
    let mut verifier = Verifier::new("me");
    verifier
        .add_public_key_pem(KEY_1_PATH, &fixture("keys/e2e/pub-key-1.pem"))
        .unwrap();
    let receiver =
        Receiver::new(verifier).with_key_source(source.clone(), KeyFetchSettings::default());
    let body = delivery("h1");
    let mut headers = signed_headers(&body);
    headers[3].1 = "/prod/keys/pub-key-next.pem".to_owned();
    let answer = receiver.handle("POST", "", pairs(&headers), &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(source.requests(), Vec::<String>::new());
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
