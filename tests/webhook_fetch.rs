//! `HttpsKeySource` (feature `fetch`) against a local TLS server presenting a test
//! certificate for `static.adobeioevents.com` (issued by a test root made here); the client
//! trusts that root and resolves the name to 127.0.0.1. Nothing leaves the machine.
#![cfg(feature = "fetch")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aep_flow_run::webhook::{
    HttpsKeySource, KeyFetchSettings, KeySource, Received, Receiver, Verifier, WebhookError,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

#[path = "support/test_tls.rs"]
mod test_tls;
#[path = "support/webhook_sign.rs"]
mod webhook_sign;
use webhook_sign::{fixture, pairs, signed_headers, KEY_1_PATH, KEY_2_PATH};

struct TestHost {
    address: SocketAddr,
    root_pem: String,
    /// The request targets the host received, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

/// A TLS server for `static.adobeioevents.com` on 127.0.0.1 serving the test keys, a
/// redirect, garbage, a body too large, and a path that never answers.
async fn key_host() -> TestHost {
    let tls = test_tls::for_hosts(&["static.adobeioevents.com"]);
    let acceptor = tls.acceptor.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if tls.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                seen.lock().unwrap().push(target.clone());
                let (status, extra, body) = match target.as_str() {
                    KEY_1_PATH => ("200 OK", "", fixture("keys/e2e/pub-key-1.pem")),
                    KEY_2_PATH => ("200 OK", "", fixture("keys/e2e/pub-key-2.pem")),
                    "/redirect.pem" => (
                        "302 Found",
                        "location: https://evil.example/key.pem\r\n",
                        String::new(),
                    ),
                    "/garbage.pem" => ("200 OK", "", "<html>maintenance</html>".to_owned()),
                    "/huge.pem" => ("200 OK", "", "A".repeat(1 << 20)),
                    "/slow.pem" => {
                        std::future::pending::<()>().await;
                        unreachable!()
                    }
                    _ => ("404 Not Found", "", String::new()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    TestHost {
        address,
        root_pem: tls.root_pem.clone(),
        requests,
    }
}

fn source(host: &TestHost) -> HttpsKeySource {
    HttpsKeySource::new()
        .with_root_pem(&host.root_pem)
        .unwrap()
        .with_resolve(host.address)
}

fn url(path: &str) -> Url {
    Url::parse(&format!("https://static.adobeioevents.com{path}")).unwrap()
}

#[tokio::test]
async fn keys_come_from_the_key_host_and_nothing_else_is_accepted() {
    let host = key_host().await;
    let source = source(&host);
    assert_eq!(
        source.fetch(&url(KEY_1_PATH)).await.unwrap(),
        fixture("keys/e2e/pub-key-1.pem")
    );
    let error = |path: &'static str| {
        let source = source.clone();
        async move { source.fetch(&url(path)).await.unwrap_err().to_string() }
    };
    assert_eq!(
        error("/redirect.pem").await,
        "status 302 (redirects are not followed)"
    );
    assert_eq!(
        error("/missing.pem").await,
        "status 404 (redirects are not followed)"
    );
    assert!(error("/huge.pem").await.starts_with("reading the key"));
    // Another host, or a path that would leave it, is refused without connecting.
    for other in [
        "https://evil.example/key.pem",
        "http://static.adobeioevents.com/e2e/pub-key-1.pem",
        "https://static.adobeioevents.com:8443/e2e/pub-key-1.pem",
        "https://user@static.adobeioevents.com/e2e/pub-key-1.pem",
        "https://static.adobeioevents.com/e2e/pub-key-1.pem?x=1",
        "https://static.adobeioevents.com.evil.example/e2e/pub-key-1.pem",
    ] {
        let reason = source
            .fetch(&Url::parse(other).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(reason.starts_with("refused to fetch"), "{other}: {reason}");
    }
    assert_eq!(
        host.requests.lock().unwrap().clone(),
        [KEY_1_PATH, "/redirect.pem", "/missing.pem", "/huge.pem"]
    );
    // The production roots do not trust the test certificate.
    let production = HttpsKeySource::new().with_resolve(host.address);
    let reason = production
        .fetch(&url(KEY_1_PATH))
        .await
        .unwrap_err()
        .to_string();
    assert!(reason.starts_with("TLS"), "{reason}");
}

#[tokio::test]
async fn concurrent_deliveries_fetch_each_key_once_over_https() {
    let host = key_host().await;
    let receiver = Arc::new(
        Receiver::new(Verifier::new("me"))
            .with_key_source(source(&host), KeyFetchSettings::default()),
    );
    let mut tasks = Vec::new();
    for n in 0..8 {
        let receiver = receiver.clone();
        tasks.push(tokio::spawn(async move {
            let body = serde_json::to_vec(&json!({"event_id": format!("t{n}"),
                "recipient_client_id": "me", "event": {"id": "r", "metrics": {}}}))
            .unwrap();
            let headers = signed_headers(&body);
            receiver
                .handle("POST", "", pairs(&headers), &body)
                .await
                .status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(
        host.requests.lock().unwrap().clone(),
        [KEY_1_PATH, KEY_2_PATH]
    );
}

#[tokio::test]
async fn a_garbage_or_slow_key_host_is_503_and_remembered() {
    let host = key_host().await;
    let mut settings = KeyFetchSettings::default();
    settings.timeout = std::time::Duration::from_millis(300);
    let receiver = Receiver::new(Verifier::new("me")).with_key_source(source(&host), settings);
    let body =
        br#"{"event_id": "g", "recipient_client_id": "me", "event": {"id": "r", "metrics": {}}}"#;
    let mut headers = signed_headers(body);
    headers[2].1 = "/garbage.pem".into();
    headers[3].1 = "/slow.pem".into();
    for _ in 0..3 {
        let reception = receiver.handle("POST", "", pairs(&headers), body).await;
        assert_eq!(reception.status, 503);
        let Received::Refused(
            error @ WebhookError::KeyUnavailable {
                key_path, reason, ..
            },
        ) = &reception.received
        else {
            panic!("{:?}", reception.received)
        };
        assert_eq!(key_path, "/garbage.pem");
        let source = std::error::Error::source(error).map(ToString::to_string);
        assert!(
            source
                .as_deref()
                .is_some_and(|s| s.contains("invalid public key"))
                || reason.contains("not fetched again"),
            "{reason}: {source:?}"
        );
    }
    // Each failed path was asked for once.
    assert_eq!(
        host.requests.lock().unwrap().clone(),
        ["/garbage.pem", "/slow.pem"]
    );
}
