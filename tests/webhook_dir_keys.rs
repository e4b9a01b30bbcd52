//! `DirKeySource`: the keys of a directory laid out by key path, plugged into a receiver,
//! read again when a file changes, and never read from outside the directory.
#![cfg(feature = "webhook")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use aep_flow_run::url::Url;
use aep_flow_run::webhook::{
    DirKeySource, KeyFetchSettings, KeySource, Received, Receiver, Verifier, WebhookError,
};
use serde_json::json;

#[path = "support/webhook_sign.rs"]
mod webhook_sign;
use webhook_sign::{fixture, pairs, sign};

const CLIENT_ID: &str = "dir-client";

/// A fresh directory of its own for a test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aep-dir-keys-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn body(event_id: &str) -> Vec<u8> {
    json!({"event_id": event_id, "recipient_client_id": CLIENT_ID,
           "event": {"id": "run-1", "metrics": {}}})
    .to_string()
    .into_bytes()
}

/// The four signature headers: both signatures by test key `signer`, the key paths given.
fn headers(body: &[u8], signer: u8, paths: [&str; 2]) -> Vec<(String, String)> {
    vec![
        ("x-adobe-digital-signature-1".into(), sign(signer, body)),
        ("x-adobe-digital-signature-2".into(), sign(signer, body)),
        ("x-adobe-public-key1-path".into(), paths[0].into()),
        ("x-adobe-public-key2-path".into(), paths[1].into()),
    ]
}

fn receiver(source: DirKeySource) -> Receiver {
    Receiver::new(Verifier::new(CLIENT_ID)).with_key_source(source, KeyFetchSettings::default())
}

async fn post(receiver: &Receiver, body: &[u8], headers: &[(String, String)]) -> (u16, Received) {
    let answer = receiver.handle("POST", "", pairs(headers), body).await;
    (answer.status, answer.received)
}

fn key_url(path: &str) -> Url {
    aep_flow_run::webhook::public_key_url(path).unwrap()
}

#[tokio::test]
async fn deliveries_verify_with_the_keys_of_the_fixture_directory() {
    let keys =
        DirKeySource::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/webhook/keys"))
            .unwrap();
    assert_eq!(keys.refresh_after(), Duration::from_secs(1));
    let receiver = receiver(keys);
    let first = body("dir-1");
    let signed = headers(&first, 1, ["/e2e/pub-key-1.pem", "/e2e/pub-key-2.pem"]);
    let (status, received) = post(&receiver, &first, &signed).await;
    assert_eq!(status, 200, "{received:?}");
    assert!(matches!(received, Received::Delivery { ref events, .. } if events.len() == 1));
    // The PKCS#1 form of the same key reads too.
    let body = body("dir-pkcs1");
    let signed = headers(&body, 1, ["/e2e/pub-key-1.pkcs1.pem", "/e2e/missing.pem"]);
    assert_eq!(post(&receiver, &body, &signed).await.0, 200);
}

/// Issue 33: a key file replaced (a rotation) is read again, without a restart.
#[tokio::test]
async fn a_replaced_key_file_is_used_for_the_next_delivery() {
    let dir = scratch("replaced");
    let key = dir.join("prod/keys/current.pem");
    write(&key, &fixture("keys/e2e/pub-key-1.pem"));
    // Read again at every delivery that needs the key (instead of once a second), so that
    // the test waits for nothing.
    let receiver = receiver(
        DirKeySource::new(&dir)
            .unwrap()
            .with_recheck(Duration::ZERO),
    );
    // Both pairs name the one key path, so that each verifies, or fails, with its key.
    let paths = ["/prod/keys/current.pem", "/prod/keys/current.pem"];

    let first = body("rotation-1");
    assert_eq!(
        post(&receiver, &first, &headers(&first, 1, paths)).await.0,
        200
    );

    // The file now holds key 2: deliveries signed with key 1 no longer verify, key 2's do.
    write(&key, &fixture("keys/e2e/pub-key-2.pem"));
    let second = body("rotation-2");
    let (status, received) = post(&receiver, &second, &headers(&second, 1, paths)).await;
    assert_eq!(status, 403);
    assert_eq!(received, Received::Refused(WebhookError::SignatureMismatch));
    assert_eq!(
        post(&receiver, &second, &headers(&second, 2, paths))
            .await
            .0,
        200
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A symlink that leads out of the directory is refused, whatever it points to; one inside
/// it (as a Kubernetes secret mount lays keys out) is followed.
#[cfg(unix)]
#[tokio::test]
async fn symlinks_are_followed_only_inside_the_directory() {
    let base = scratch("symlinks");
    let dir = base.join("keys");
    let outside = base.join("outside");
    write(
        &outside.join("pub-key-1.pem"),
        &fixture("keys/e2e/pub-key-1.pem"),
    );
    write(
        &dir.join("..data/pub-key-1.pem"),
        &fixture("keys/e2e/pub-key-1.pem"),
    );
    std::fs::create_dir_all(dir.join("e2e")).unwrap();
    std::os::unix::fs::symlink(outside.join("pub-key-1.pem"), dir.join("e2e/escape.pem")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("mounted")).unwrap();
    std::os::unix::fs::symlink("../..data/pub-key-1.pem", dir.join("e2e/inside.pem")).unwrap();
    let source = DirKeySource::new(&dir).unwrap();

    for escaping in ["/e2e/escape.pem", "/mounted/pub-key-1.pem"] {
        let error = source
            .fetch(&key_url(escaping))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("leads out of the keys directory"),
            "{escaping}: {error}"
        );
    }
    assert_eq!(
        source.fetch(&key_url("/e2e/inside.pem")).await.unwrap(),
        fixture("keys/e2e/pub-key-1.pem")
    );

    // Through a receiver: the escaping key is unavailable (503, Adobe retries), the check
    // named and the file's path left out of the answer.
    let receiver = receiver(source);
    let body = body("escape");
    let answer = receiver
        .handle(
            "POST",
            "",
            pairs(&headers(
                &body,
                1,
                ["/e2e/escape.pem", "/mounted/pub-key-1.pem"],
            )),
            &body,
        )
        .await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(!answer.body.contains("outside"), "{}", answer.body);
    let Received::Refused(WebhookError::KeyUnavailable { reason, source, .. }) = answer.received
    else {
        panic!("{:?}", answer.received)
    };
    assert_eq!(reason, "the key source failed");
    assert!(source
        .unwrap()
        .to_string()
        .contains("leads out of the keys directory"));
    let inside = ["/e2e/inside.pem", "/e2e/escape.pem"];
    assert_eq!(
        post(&receiver, &body, &headers(&body, 1, inside)).await.0,
        200
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[tokio::test]
async fn only_key_paths_of_adobes_host_and_small_regular_files_are_read() {
    let dir = scratch("files");
    write(&dir.join("big.pem"), &"A".repeat(20_000));
    std::fs::create_dir_all(dir.join("a-directory.pem")).unwrap();
    let source = DirKeySource::new(&dir).unwrap();
    let error = |url: &str| {
        let url = Url::parse(url).unwrap();
        let mut future = std::pin::pin!(source.fetch(&url));
        match future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
        {
            std::task::Poll::Ready(result) => result.unwrap_err().to_string(),
            std::task::Poll::Pending => panic!("a directory read waits for nothing"),
        }
    };
    use std::future::Future;
    assert!(error("https://static.adobeioevents.com/big.pem").contains("larger than 16384 bytes"));
    assert!(
        error("https://static.adobeioevents.com/a-directory.pem").contains("not a regular file")
    );
    assert!(error("https://static.adobeioevents.com/absent.pem").contains("absent.pem"));
    // Not a key URL a receiver asks for: refused before any file is looked at.
    for url in [
        "https://evil.example/big.pem",
        "https://static.adobeioevents.com/big.pem?x=1",
        "http://static.adobeioevents.com/big.pem",
    ] {
        assert!(
            error(url).starts_with("refused key URL"),
            "{url}: {}",
            error(url)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_directory_that_is_not_there_is_an_error_at_start_up() {
    let missing = std::env::temp_dir().join("aep-dir-keys-surely-not-there");
    let error = DirKeySource::new(&missing).unwrap_err().to_string();
    assert!(error.starts_with("keys directory "), "{error}");
    assert!(error.contains("aep-dir-keys-surely-not-there"), "{error}");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let error = DirKeySource::new(&file).unwrap_err().to_string();
    assert!(error.ends_with("not a directory"), "{error}");
}
