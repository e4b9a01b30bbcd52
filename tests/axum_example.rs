//! End to end: `examples/axum.rs` as a user runs it (the built binary, on a port the system
//! picks), and real HTTP/1.1 requests to it signed with the test keys of `fixtures/webhook`
//! (test use only). Nothing leaves 127.0.0.1; every wait is bounded.
#![cfg(feature = "http")]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::time::timeout;

#[path = "support/example_bin.rs"]
mod example_bin;
use example_bin::{address_line, example_binary};
#[path = "support/http1.rs"]
mod http1;
use http1::{chunk, request, stream_body, Reply, LIMIT};
#[path = "support/webhook_sign.rs"]
mod webhook_sign;
use webhook_sign::signed_headers;

const CLIENT_ID: &str = "axum-client";
const ORG: &str = "{ORG_ID}";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A running example, killed when dropped, with its standard error collected.
struct Service {
    address: SocketAddr,
    child: tokio::process::Child,
}

impl Service {
    async fn start() -> Service {
        let mut child = tokio::process::Command::new(example_binary("axum"))
            .args([
                "--port",
                "0",
                "--client-id",
                CLIENT_ID,
                "--org",
                ORG,
                "--keys",
            ])
            .arg(fixtures().join("webhook/keys"))
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let address = address_line(&mut lines).await;
        Service { address, child }
    }

    async fn post(&self, body: &[u8], headers: Vec<(String, String)>) -> Reply {
        let mut headers = headers;
        headers.push(("content-type".into(), "application/json".into()));
        request(self.address, "POST", "/", &headers, body).await
    }

    /// Stops the service and gives what it logged.
    async fn stop(mut self) -> String {
        self.child.start_kill().unwrap();
        let mut log = String::new();
        let mut stderr = self.child.stderr.take().unwrap();
        timeout(LIMIT, stderr.read_to_string(&mut log))
            .await
            .unwrap()
            .unwrap();
        log
    }
}

fn delivery(event_id: &str) -> Vec<u8> {
    let path = fixtures().join("adobe-docs/io-event-sources-flow-run-success.json");
    let mut body: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    body["event_id"] = json!(event_id);
    body["recipient_client_id"] = json!(CLIENT_ID);
    serde_json::to_vec(&body).unwrap()
}

/// Adobe's message list of a failed run, from the organisation `org`.
fn message_list(org: &str) -> Vec<u8> {
    let path = fixtures().join("adobe-docs/message-list-sources-flow-run-failed.json");
    let text = std::fs::read_to_string(path).unwrap();
    // Adobe's example is from 2020: sent now, as a delivery is (an older one is a replay).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mut message: serde_json::Value =
        serde_json::from_str(&text.replace("{ORG_ID}", org)).unwrap();
    message[0]["messages"][0]["timestamp"] = json!(now);
    serde_json::to_vec(&message).unwrap()
}

#[tokio::test]
async fn the_axum_example_answers_as_a_webhook_must() {
    let service = Service::start().await;

    // Registration.
    let reply = request(service.address, "GET", "/?challenge=axum-1", &[], b"").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "axum-1"));

    // A signed delivery, then the same again: handed over once.
    let body = delivery("axum-event-1");
    let reply = service.post(&body, signed_headers(&body)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"received": 1, "new": 1, "duplicates": 0})
    );
    let reply = service.post(&body, signed_headers(&body)).await;
    assert_eq!(
        reply.json(),
        json!({"received": 1, "new": 0, "duplicates": 1})
    );

    // A body changed after signing: forged.
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] = b' ';
    let reply = service.post(&tampered, signed_headers(&body)).await;
    assert_eq!(reply.status, 403, "{}", reply.body);

    // A message list names no recipient: accepted from the organisation only.
    let ours = message_list(ORG);
    let reply = service.post(&ours, signed_headers(&ours)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["new"], 1);
    let theirs = message_list("OTHER@AdobeOrg");
    let reply = service.post(&theirs, signed_headers(&theirs)).await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"error": "organisation mismatch at batch element 0"})
    );

    // A key that is not in the directory: 503, so that Adobe retries.
    let other = delivery("axum-event-2");
    let mut headers = signed_headers(&other);
    headers[2].1 = "/e2e/not-there.pem".into();
    headers[3].1 = "/e2e/not-there-either.pem".into();
    let reply = service.post(&other, headers).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.header("retry-after").is_some());

    // Bodies above 2 MB, announced or chunked, are refused without being read whole.
    let size = 2 * 1024 * 1024 + 1;
    let expected = json!({"error": "body larger than 2097152 bytes"});
    let framing = format!("content-length: {size}");
    let reply = stream_body(service.address, &framing, size, <[u8]>::to_vec, b"").await;
    assert_eq!((reply.status, reply.json()), (413, expected.clone()));
    let reply = stream_body(
        service.address,
        "transfer-encoding: chunked",
        size,
        chunk,
        b"0\r\n\r\n",
    )
    .await;
    assert_eq!((reply.status, reply.json()), (413, expected));

    // What it logged: each new event once, and the refusals.
    let log = service.stop().await;
    assert_eq!(log.matches("handled").count(), 2, "{log}");
    assert!(log.contains("event=\"axum-event-1\""), "{log}");
    assert!(log.contains("code=\"sources_flow_run_failed\""), "{log}");
    assert!(log.contains("refused status=403"), "{log}");
    assert!(log.contains("refused status=503"), "{log}");
}
