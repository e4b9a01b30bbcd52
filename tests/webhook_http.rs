//! `Receiver::handle_http`: an `http::Request` in, an `http::Response` out, the application's
//! handling deciding between 200 and 503.
#![cfg(feature = "http")]

use std::sync::atomic::{AtomicUsize, Ordering};

use aep_flow_run::webhook::{Received, Receiver, WebhookError};
use serde_json::json;

#[path = "support/webhook_sign.rs"]
mod webhook_sign;
use webhook_sign::{signed_headers, test_verifier};

fn receiver() -> Receiver {
    Receiver::new(test_verifier("me"))
}

fn request(body: &[u8]) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::post("/webhook").header("content-type", "application/json");
    for (name, value) in signed_headers(body) {
        builder = builder.header(name, value);
    }
    builder.body(body.to_vec()).unwrap()
}

#[tokio::test]
async fn handled_events_are_200_failed_ones_503_and_delivered_again() {
    let receiver = receiver();
    let body = serde_json::to_vec(&json!([
        {"event_id": "h1", "recipient_client_id": "me", "event": {"id": "r1", "metrics": {}}},
        {"event_id": "h2", "recipient_client_id": "me", "event": {"id": "r2", "metrics": {}}}
    ]))
    .unwrap();
    let calls = AtomicUsize::new(0);

    // The application fails: 503, the events are released.
    let (response, received) = receiver
        .handle_http(&request(&body), |events| {
            calls.fetch_add(events.len(), Ordering::SeqCst);
            async { false }
        })
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "60");
    assert_eq!(received, Received::Refused(WebhookError::HandlingFailed));

    // Adobe's retry: handed over again, handled, 200.
    let (response, _) = receiver
        .handle_http(&request(&body), |events| {
            calls.fetch_add(events.len(), Ordering::SeqCst);
            async { true }
        })
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let answer: serde_json::Value = serde_json::from_str(response.body()).unwrap();
    assert_eq!(answer, json!({"received": 2, "new": 2, "duplicates": 0}));

    // A duplicate: 200, and the application is not called.
    let (response, received) = receiver
        .handle_http(&request(&body), |events| {
            calls.fetch_add(100 + events.len(), Ordering::SeqCst);
            async { true }
        })
        .await;
    assert_eq!(response.status(), 200);
    let Received::Delivery { events, .. } = received else {
        panic!()
    };
    assert!(events.iter().all(|e| e.duplicate));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn challenges_and_refusals_need_no_handler() {
    let receiver = receiver();
    let challenge = http::Request::get("/?challenge=abc")
        .body(Vec::new())
        .unwrap();
    let (response, received) = receiver.handle_http(&challenge, |_| async { true }).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), "abc");
    assert_eq!(received, Received::Challenge("abc".into()));

    let unsigned = http::Request::post("/").body(b"{}".to_vec()).unwrap();
    let (response, _) = receiver
        .handle_http(&unsigned, |_| async { panic!("not a delivery") })
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers().get("retry-after"), None);
}
