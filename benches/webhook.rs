//! A verified delivery against one bare `ring` verification, side by side (DESIGN.md,
//! "Performance targets": at most 1.5x), and handling throughput on one thread and two.
//!
//! ```text
//! cargo bench --features webhook --bench webhook
//! ```
//!
//! - `verified_delivery/ring_verify`: one RSA-2048 PKCS#1 v1.5 SHA-256 verification by
//!   `ring` of the corpus success event (3.3 KB), its key given as PKCS#1 DER;
//! - `verified_delivery/receiver`: the same body through `Receiver::handle` (both signature
//!   headers read, signature 1 verified, recipient and shape checked, parsed, its event
//!   claimed in the in-memory store) and `Receiver::abandon` (the claim released, so that
//!   every iteration is a new event, as a first delivery is);
//! - `throughput/threads_N`: the same delivery on N threads sharing one receiver, the time
//!   given per delivery (so the 2-thread figure is half the 1-thread one when handling scales
//!   perfectly).

use std::future::Future;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use aep_flow_run::webhook::{Received, Receiver};
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

#[path = "../tests/support/webhook_sign.rs"]
mod webhook_sign;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The DER body of a PEM file.
fn pem_der(pem: &[u8]) -> Vec<u8> {
    let text: String = String::from_utf8_lossy(pem)
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// Polls a future that must be ready at once (the in-memory store never waits).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the in-memory store never waits"),
    }
}

struct Setup {
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    receiver: Receiver,
}

fn setup() -> Setup {
    let body = read("fixtures/adobe-docs/io-event-sources-flow-run-success.json");
    let headers = webhook_sign::signed_headers(&body);
    Setup {
        body,
        headers,
        receiver: Receiver::new(webhook_sign::test_verifier("bench-client")),
    }
}

/// One delivery, new each time: handled, then its claim released.
fn deliver(receiver: &Receiver, headers: &[(String, String)], body: &[u8]) {
    let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let reception = now(receiver.handle("POST", "", pairs, body));
    let Received::Delivery { events, .. } = &reception.received else {
        panic!("{} {}", reception.status, reception.body);
    };
    assert!(!events[0].duplicate);
    now(receiver.abandon(events)).unwrap();
    black_box(reception);
}

fn verified_delivery(c: &mut Criterion) {
    let Setup {
        body,
        headers,
        receiver,
    } = setup();
    let key = pem_der(&read("fixtures/webhook/keys/e2e/pub-key-1.pkcs1.pem"));
    let signature = base64::engine::general_purpose::STANDARD
        .decode(&headers[0].1)
        .unwrap();
    let mut group = c.benchmark_group("verified_delivery");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("ring_verify", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, black_box(&key[..]))
                .verify(black_box(&body), black_box(&signature))
                .unwrap()
        })
    });
    group.bench_function("receiver", |b| {
        b.iter(|| deliver(&receiver, black_box(&headers), black_box(&body)))
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let Setup {
        body,
        headers,
        receiver,
    } = setup();
    // One event per thread (two threads delivering one event would find it in flight).
    let other = String::from_utf8(body.clone())
        .unwrap()
        .replace(
            "aec55616-1715-487f-8044-ba648cc8ffee",
            "aec55616-1715-487f-8044-ba648cc8ff02",
        )
        .into_bytes();
    assert_ne!(other, body);
    let deliveries = [
        (headers, body),
        (webhook_sign::signed_headers(&other), other),
    ];
    let shared = Arc::new((receiver, deliveries));
    let mut group = c.benchmark_group("throughput");
    group.measurement_time(Duration::from_secs(5));
    for threads in [1u32, 2] {
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter_custom(|iterations| {
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for thread in 0..threads as usize {
                        let shared = shared.clone();
                        scope.spawn(move || {
                            let (receiver, deliveries) = &*shared;
                            let (headers, body) = &deliveries[thread];
                            for _ in 0..iterations {
                                deliver(receiver, headers, body);
                            }
                        });
                    }
                });
                start.elapsed() / threads
            })
        });
    }
    group.finish();
}

criterion_group!(benches, verified_delivery, throughput);
criterion_main!(benches);
