//! Running `aep-flow-run serve`: SIGTERM lets a delivery in flight finish and exits 0;
//! `/readyz` goes 503 while Redis is paused (and deliveries get a 503 that names no backend
//! detail); a store that cannot be used stops the start with a clear error.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[path = "support/http.rs"]
mod http;
#[path = "../../tests/support/redis_env.rs"]
mod redis_env;
#[path = "support/serve.rs"]
mod serve;
#[path = "../../tests/support/webhook_sign.rs"]
mod webhook_sign;

use http::{get, json_headers, parse_reply, request};
use serve::{temporary_dir, Serve, CLIENT_ID, LIMIT};
use webhook_sign::signed_headers;

fn delivery(event_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event_id": event_id, "recipient_client_id": CLIENT_ID,
        "event": {"id": format!("run-{event_id}"), "flowId": "f", "metrics": {}}
    }))
    .unwrap()
}

/// Reads until `needle` has come, within the limit.
async fn read_until(stream: &mut TcpStream, needle: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    while !raw.windows(needle.len()).any(|window| window == needle) {
        match timeout(LIMIT, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => raw.extend_from_slice(&chunk[..n]),
            other => panic!("reading: {other:?}"),
        }
    }
    raw
}

/// Whether a new connection is still accepted.
async fn accepts(address: SocketAddr) -> bool {
    matches!(
        timeout(Duration::from_secs(1), TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}

/// SIGTERM while a delivery's body is on its way: the service stops accepting, answers
/// that delivery (handed over: its line printed), and exits 0.
#[tokio::test]
async fn sigterm_lets_a_delivery_in_flight_finish_and_exits_0() {
    let dir = temporary_dir("sigterm");
    let mut service = Serve::start(
        &["--store", "memory", "--any-org", "--json"],
        &dir.join("serve.log"),
    );
    let body = delivery("in-flight");
    let mut head = format!(
        "POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nexpect: 100-continue\r\n",
        body.len()
    );
    for (name, value) in signed_headers(&body) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(service.webhook).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // `100 Continue`: the service is reading this delivery's body.
    let continued = read_until(&mut stream, b"\r\n\r\n").await;
    assert!(
        continued.starts_with(b"HTTP/1.1 100"),
        "{:?}",
        String::from_utf8_lossy(&continued)
    );
    stream.write_all(&body[..body.len() / 2]).await.unwrap();

    service.signal("TERM");
    let started = Instant::now();
    while accepts(service.webhook).await {
        assert!(started.elapsed() < LIMIT, "still accepting after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stream.write_all(&body[body.len() / 2..]).await.unwrap();
    let mut raw = Vec::new();
    timeout(LIMIT, stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let reply = parse_reply(&raw);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"received": 1, "new": 1, "duplicates": 0})
    );
    assert_eq!(
        service.json_lines(1),
        [json!({"processed": "in-flight", "kind": "flow_run"})]
    );
    let status = service.wait();
    assert_eq!(status.code(), Some(0), "{}", service.log_text());
    assert!(
        service.log_text().contains("stopping"),
        "{}",
        service.log_text()
    );
}

/// Polls `/readyz` until it answers `status`.
async fn ready_becomes(admin: SocketAddr, status: u16) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let reply = get(admin, "/readyz").await;
        if reply.status == status {
            return reply.json();
        }
        assert!(started.elapsed() < LIMIT, "/readyz stayed {}", reply.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `/readyz` is 503 while Redis is paused (SIGSTOP), 200 again once it is back; a delivery
/// meanwhile gets 503 with Retry-After, and (issue 28, finding 9) its answer names the failed
/// check only: the backend's words stay in the log.
#[tokio::test]
async fn readyz_is_503_while_redis_is_paused_and_answers_name_no_backend_detail() {
    let Some(program) = redis_env::redis_server("readyz") else {
        return;
    };
    let dir = temporary_dir("readyz");
    let redis = serve::RedisServer::start(&program, &dir);
    let service = Serve::start(
        &["--store", &redis.url, "--any-org"],
        &dir.join("serve.log"),
    );
    assert_eq!(
        ready_becomes(service.admin, 200).await,
        json!({"store": "ok", "keys": "ok"})
    );

    serve::signal(redis.child.id(), "STOP");
    let paused = ready_becomes(service.admin, 503).await;
    assert_eq!(paused, json!({"store": "unavailable", "keys": "ok"}));
    let body = delivery("while-paused");
    let reply = request(
        service.webhook,
        "POST",
        "/",
        &json_headers(signed_headers(&body)),
        &body,
    )
    .await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("retry-after"), Some("60"));
    assert_eq!(
        reply.json(),
        json!({"error": "deduplication store unavailable"})
    );
    serve::signal(redis.child.id(), "CONT");

    assert_eq!(ready_becomes(service.admin, 200).await["store"], "ok");
    let reply = request(
        service.webhook,
        "POST",
        "/",
        &json_headers(signed_headers(&body)),
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let log = service.log_text();
    assert!(log.contains("store did not answer within"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A store that cannot be used stops the start: a clear error, a non-zero exit, no address
/// line.
#[test]
fn an_unusable_store_stops_the_start() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redis = format!("redis://127.0.0.1:{closed}/");
    let dir = temporary_dir("unusable");
    let missing = format!("sqlite:{}", dir.join("no/such/dir/state.db").display());
    for (store, says) in [
        (redis.as_str(), "--store redis://127.0.0.1"),
        (missing.as_str(), "--store sqlite:"),
    ] {
        let output = serve::command(&["--store", store, "--any-org"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{store}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with(&format!("serve: {says}")), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
