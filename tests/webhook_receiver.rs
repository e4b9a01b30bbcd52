//! `Receiver::handle`: the webhook's logic without a server.
#![cfg(feature = "webhook")]

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use aep_flow_run::webhook::{
    EventIdStore, Received, Receiver, RunChange, RunTracker, Verifier, WebhookError,
    MAX_DELIVERY_BYTES,
};
use aep_flow_run::EventCode;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};

fn fixture(path: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/webhook")
            .join(path),
    )
    .unwrap()
}

fn verifier() -> Verifier {
    let mut verifier = Verifier::new("me");
    for key in [1, 2] {
        verifier
            .add_public_key_pem(
                &format!("/e2e/pub-key-{key}.pem"),
                &fixture(&format!("keys/e2e/pub-key-{key}.pem")),
            )
            .unwrap();
    }
    verifier
}

/// The signature headers for `body` (signed with key 1 only: pair 1 verifies), plus `extra`.
fn headers(body: &[u8], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&fixture("private/test-key-1.pem")).unwrap();
    let signature = SigningKey::<sha2::Sha256>::new(private).sign(body);
    let signature = base64::engine::general_purpose::STANDARD.encode(signature.to_bytes());
    let mut headers = vec![
        ("x-adobe-digital-signature-1".to_owned(), signature),
        ("x-adobe-digital-signature-2".to_owned(), "AAAA".to_owned()),
        (
            "x-adobe-public-key1-path".to_owned(),
            "/e2e/pub-key-1.pem".to_owned(),
        ),
        (
            "x-adobe-public-key2-path".to_owned(),
            "/e2e/pub-key-2.pem".to_owned(),
        ),
    ];
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    headers
}

fn post<S: EventIdStore>(
    receiver: &mut Receiver<S>,
    body: &[u8],
    headers: &[(String, String)],
) -> aep_flow_run::webhook::Reception {
    receiver.handle(
        "POST",
        "",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
}

fn json_body(reception: &aep_flow_run::webhook::Reception) -> Value {
    assert_eq!(reception.response.content_type, "application/json");
    serde_json::from_str(&reception.response.body).unwrap()
}

#[test]
fn a_batch_is_verified_parsed_and_deduplicated_per_event() {
    let mut receiver = Receiver::new(verifier());
    let body = serde_json::to_vec(&json!([
        {"event_id": "a", "recipient_client_id": "me", "event": {"id": "r1", "metrics": {}}},
        {"event_id": "b", "recipient_client_id": "me", "event": {"id": "r2", "metrics": {}}},
        {"event_id": "a", "recipient_client_id": "me", "event": {"id": "r1", "metrics": {}}}
    ]))
    .unwrap();
    let reception = post(
        &mut receiver,
        &body,
        &headers(
            &body,
            &[
                ("x-adobe-retry-count", "3"),
                ("x-adobe-event-code", "sources_flow_run_success"),
            ],
        ),
    );
    assert_eq!(reception.response.status, 200);
    assert_eq!(
        json_body(&reception),
        json!({"received": 3, "new": 2, "duplicates": 1})
    );
    let Received::Delivery {
        headers,
        notifications,
    } = reception.received
    else {
        panic!("{:?}", reception.received)
    };
    assert_eq!(headers.retry_count, 3);
    assert_eq!(headers.event_code, Some(EventCode::FlowRunSuccess));
    let marks: Vec<_> = notifications
        .iter()
        .map(|d| (d.notification.event_id.as_deref().unwrap(), d.duplicate))
        .collect();
    assert_eq!(marks, [("a", false), ("b", false), ("a", true)]);
}

#[test]
fn a_single_notification_without_a_body_id_uses_the_header_id() {
    let mut receiver = Receiver::new(verifier());
    let body = br#"{"recipient_client_id": "me", "id": "r1", "metrics": {}}"#;
    let signed = headers(body, &[("X-Adobe-Event-Id", "from-header")]);
    assert_eq!(json_body(&post(&mut receiver, body, &signed))["new"], 1);
    assert_eq!(
        json_body(&post(&mut receiver, body, &signed))["duplicates"],
        1
    );
    // Without any id, nothing can be deduplicated: every copy counts as new.
    let unsigned_id = headers(body, &[]);
    let mut fresh = Receiver::new(verifier());
    assert_eq!(json_body(&post(&mut fresh, body, &unsigned_id))["new"], 1);
    assert_eq!(json_body(&post(&mut fresh, body, &unsigned_id))["new"], 1);
}

#[test]
fn an_authentic_body_without_a_run_is_acknowledged_not_retried() {
    let mut receiver = Receiver::new(verifier());
    let body =
        br#"{"event_id": "x", "recipient_client_id": "me", "event": {"xdm:ingestionId": "i"}}"#;
    let reception = post(&mut receiver, body, &headers(body, &[]));
    assert_eq!(reception.response.status, 200);
    assert_eq!(json_body(&reception)["received"], 0);
    assert!(matches!(reception.received, Received::Unreadable { .. }));
}

#[test]
fn refusals_carry_their_status() {
    let mut receiver = Receiver::new(verifier());
    let body =
        br#"{"event_id": "x", "recipient_client_id": "you", "event": {"id": "r", "metrics": {}}}"#;
    let reception = post(&mut receiver, body, &headers(body, &[]));
    assert_eq!(reception.response.status, 403);
    assert_eq!(
        reception.received,
        Received::Rejected(WebhookError::RecipientMismatch { index: None })
    );

    let reception = receiver.handle("DELETE", "", [], b"");
    assert_eq!(reception.response.status, 405);
    let reception = receiver.handle("GET", "challenge=", [], b"");
    assert_eq!(reception.response.status, 400);

    receiver.set_max_body_bytes(10);
    let reception = post(&mut receiver, body, &headers(body, &[]));
    assert_eq!(reception.response.status, 413);
    assert_eq!(receiver.max_body_bytes(), 10);
    assert_eq!(MAX_DELIVERY_BYTES, 2 * 1024 * 1024);

    // Unknown keys: 503 until fetched; then the retry verifies.
    let mut keyless = Receiver::new(Verifier::new("me"));
    let body =
        br#"{"event_id": "k", "recipient_client_id": "me", "event": {"id": "r", "metrics": {}}}"#;
    let signed = headers(body, &[]);
    assert_eq!(post(&mut keyless, body, &signed).response.status, 503);
    let needed = keyless.verifier().missing_keys(
        signed.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SystemTime::now(),
    );
    assert_eq!(needed.len(), 2);
    keyless
        .verifier_mut()
        .add_public_key_pem("/e2e/pub-key-1.pem", &fixture("keys/e2e/pub-key-1.pem"))
        .unwrap();
    assert_eq!(post(&mut keyless, body, &signed).response.status, 200);
}

#[test]
fn registration_challenge_and_validation() {
    let mut receiver = Receiver::new(verifier());
    let reception = receiver.handle("GET", "?challenge=a%2Bb", [], b"");
    assert_eq!(reception.response.status, 200);
    assert_eq!(reception.response.body, "a+b");
    assert_eq!(reception.received, Received::Challenge("a+b".into()));

    let body = br#"{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1", "challenge": "c"}"#;
    let reception = receiver.handle("POST", "", [], body);
    assert_eq!(reception.response.status, 200);
    let Received::Validation(request) = reception.received else {
        panic!()
    };
    assert_eq!(request.challenge.as_deref(), Some("c"));
    assert_eq!(
        request.url().unwrap().as_str(),
        "https://csm.adobe.io/csm/registrations/validate?id=1"
    );
    // An http:// validation URL is recognised, but not offered as a URL to fetch.
    let body = br#"{"validationUrl": "http://csm.adobe.io/x"}"#;
    let Received::Validation(request) = receiver.handle("POST", "", [], body).received else {
        panic!()
    };
    assert_eq!(request.url(), None);
}

/// A store shared by replicas would implement the trait; here, a plain set.
#[derive(Default)]
struct SetStore(HashSet<String>);

impl EventIdStore for SetStore {
    fn insert(&mut self, event_id: &str, _now: SystemTime) -> bool {
        self.0.insert(event_id.to_owned())
    }

    fn remove(&mut self, event_id: &str) -> bool {
        self.0.remove(event_id)
    }
}

#[test]
fn any_event_id_store_can_back_the_receiver() {
    let mut receiver = Receiver::with_store(
        verifier(),
        Box::new(SetStore::default()) as Box<dyn EventIdStore>,
    );
    let body =
        br#"{"event_id": "s1", "recipient_client_id": "me", "event": {"id": "r", "metrics": {}}}"#;
    let signed = headers(body, &[]);
    assert_eq!(json_body(&post(&mut receiver, body, &signed))["new"], 1);
    assert_eq!(
        json_body(&post(&mut receiver, body, &signed))["duplicates"],
        1
    );
    // Handling failed: forget the id, so that Adobe's redelivery is handled.
    assert!(receiver.store_mut().remove("s1"));
    assert_eq!(json_body(&post(&mut receiver, body, &signed))["new"], 1);
}

#[test]
fn deliveries_out_of_order_keep_the_latest_run_state() {
    let mut receiver = Receiver::new(verifier());
    let mut runs = RunTracker::default();
    let state = |event: &str, updated: u64, status: &str| {
        serde_json::to_vec(&json!({"event_id": event, "recipient_client_id": "me",
            "event": {"id": "run-1", "updatedAt": updated, "etag": format!("\"{updated}\""),
                      "metrics": {"statusSummary": {"status": status}}}}))
        .unwrap()
    };
    let mut changes = Vec::new();
    let now = SystemTime::now();
    for body in [
        state("e2", 1_700_000_060_000, "success"),
        state("e1", 1_700_000_000_000, "inProgress"),
        state("e2", 1_700_000_060_000, "success"),
    ] {
        let signed = headers(&body, &[]);
        let reception = receiver.handle_at(
            "POST",
            "",
            signed.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            &body,
            now + Duration::from_secs(1),
        );
        let Received::Delivery { notifications, .. } = reception.received else {
            panic!()
        };
        for delivered in notifications.iter().filter(|d| !d.duplicate) {
            changes.push(runs.observe(&delivered.notification.run));
        }
    }
    assert_eq!(changes, [RunChange::New, RunChange::Stale]);
    assert_eq!(
        runs.get("run-1").unwrap().status().unwrap().as_str(),
        "success"
    );
}
