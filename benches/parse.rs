//! Parsing cost against serde_json's own baselines on the same bytes.
//!
//! Each group measures `parse_*` beside `serde_json::from_slice::<Value>` (a full untyped
//! tree) and `serde_json::from_slice::<IgnoredAny>` (only reading the JSON). The figures that
//! matter are the ratios inside a group; DESIGN.md's target for `parse_notification` on the
//! founding payloads is at most 0.35x Value and at most 2x IgnoredAny.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde::de::IgnoredAny;
use serde_json::Value;

const SUCCESS: &[u8] =
    include_bytes!("../fixtures/adobe-docs/io-event-sources-flow-run-success.json");
const FAILED: &[u8] =
    include_bytes!("../fixtures/adobe-docs/message-list-sources-flow-run-failed.json");
const API_RUNS: &[u8] =
    include_bytes!("../fixtures/adobe-docs/api-runs-sources-success-with-errors.json");

fn minified(body: &[u8]) -> Vec<u8> {
    let value: Value = serde_json::from_slice(body).expect("fixture is JSON");
    serde_json::to_vec(&value).expect("serialisable")
}

/// Benchmarks `parse` beside the two serde_json baselines on `body`.
fn compare<T>(c: &mut Criterion, group: &str, body: &[u8], parse: fn(&[u8]) -> T) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("aep_flow_run", body.len()), |b| {
        b.iter(|| parse(black_box(body)))
    });
    group.bench_function(BenchmarkId::new("serde_json_value", body.len()), |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap())
    });
    group.bench_function(
        BenchmarkId::new("serde_json_ignored_any", body.len()),
        |b| b.iter(|| serde_json::from_slice::<IgnoredAny>(black_box(body)).unwrap()),
    );
    group.finish();
}

fn notification(body: &[u8]) -> aep_flow_run::Notification {
    aep_flow_run::parse_notification(body).unwrap()
}

fn notifications(body: &[u8]) -> Vec<aep_flow_run::Notification> {
    aep_flow_run::parse_notifications(body).unwrap()
}

fn runs(body: &[u8]) -> Vec<aep_flow_run::FlowRun> {
    aep_flow_run::parse_runs(body).unwrap()
}

/// A batch delivery of `count` copies of the success event, each with its own id.
fn batch(count: usize) -> Vec<u8> {
    let event: Value = serde_json::from_slice(SUCCESS).unwrap();
    let items: Vec<Value> = (0..count)
        .map(|i| {
            let mut item = event.clone();
            item["event_id"] = Value::from(format!("event-{i}"));
            item
        })
        .collect();
    serde_json::to_vec(&items).unwrap()
}

/// A Flow Service run list of `count` runs.
fn run_list(count: usize) -> Vec<u8> {
    let list: Value = serde_json::from_slice(API_RUNS).unwrap();
    let run = list["items"][0].clone();
    let items: Vec<Value> = (0..count)
        .map(|i| {
            let mut item = run.clone();
            item["id"] = Value::from(format!("run-{i}"));
            item
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "items": items, "_links": {} })).unwrap()
}

fn founding_payloads(c: &mut Criterion) {
    compare(c, "io_event_success_pretty", SUCCESS, notification);
    compare(
        c,
        "io_event_success_minified",
        &minified(SUCCESS),
        notification,
    );
    compare(c, "message_list_failed_pretty", FAILED, notification);
    compare(
        c,
        "message_list_failed_minified",
        &minified(FAILED),
        notification,
    );
}

fn large_bodies(c: &mut Criterion) {
    compare(c, "batch_20", &batch(20), notifications);
    // The I/O Events batch limit is 2 MB.
    let per_item = batch(1).len();
    compare(c, "batch_2mb", &batch(2_000_000 / per_item), notifications);
    compare(c, "api_list_1000_runs", &run_list(1000), runs);
}

criterion_group!(benches, founding_payloads, large_bodies);
criterion_main!(benches);
