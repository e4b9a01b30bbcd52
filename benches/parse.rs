//! Parsing cost against serde_json's own baselines on the same bytes.
//!
//! Each group measures `parse_*` beside `serde_json::from_slice::<Value>` (a full untyped
//! tree) and `serde_json::from_slice::<IgnoredAny>` (only reading the JSON). The figures that
//! matter are the ratios inside a group; DESIGN.md's target for `parse_notification` on the
//! founding payloads is at most 0.35x Value and at most 2x IgnoredAny.

use std::fmt::Debug;
use std::hint::black_box;

use aep_flow_run::{parse_events, parse_notification, parse_notifications, parse_runs};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde::de::IgnoredAny;
use serde_json::Value;

#[path = "support/bodies.rs"]
mod bodies;

use bodies::{
    batch, journal_of_others, minified, mixed_batch_20, run_list, sorted_keys, ALERT, FAILED,
    SUCCESS,
};

/// Benchmarks `parse` beside the two serde_json baselines on `body`.
fn compare<T, E: Debug>(
    c: &mut Criterion,
    group: &str,
    body: &[u8],
    parse: fn(&[u8]) -> Result<T, E>,
) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("aep_flow_run", body.len()), |b| {
        b.iter(|| parse_and_drop(parse, body))
    });
    group.bench_function(BenchmarkId::new("serde_json_value", body.len()), |b| {
        b.iter(|| parse_and_drop(|body| serde_json::from_slice::<Value>(body), body))
    });
    group.bench_function(
        BenchmarkId::new("serde_json_ignored_any", body.len()),
        |b| b.iter(|| parse_and_drop(|body| serde_json::from_slice::<IgnoredAny>(body), body)),
    );
    group.finish();
}

/// One timed call, the same for all three: parse, look at the result where it lies, drop it.
/// Each parser comes as an opaque function pointer, so that none is inlined into the loop.
/// Handing the result to criterion instead would time a move of it as well, which costs
/// nothing for `Value` (32 bytes) and is a copy of 1.7 KB for a `Notification`.
fn parse_and_drop<T, E: Debug>(parse: fn(&[u8]) -> Result<T, E>, body: &[u8]) {
    let parsed = black_box(parse)(black_box(body));
    black_box(parsed.as_ref().expect("the body parses"));
}

fn founding_payloads(c: &mut Criterion) {
    compare(c, "io_event_success_pretty", SUCCESS, parse_notification);
    compare(
        c,
        "io_event_success_minified",
        &minified(SUCCESS),
        parse_notification,
    );
    compare(c, "message_list_failed_pretty", FAILED, parse_notification);
    compare(
        c,
        "message_list_failed_minified",
        &minified(FAILED),
        parse_notification,
    );
    // Keys in another order than Adobe's: each is read out and matched by name.
    compare(
        c,
        "io_event_success_sorted_keys",
        &sorted_keys(SUCCESS),
        parse_notification,
    );
}

fn large_bodies(c: &mut Criterion) {
    compare(c, "batch_20", &batch(20), parse_notifications);
    // The I/O Events batch limit is 2 MB.
    let per_item = batch(1).len();
    compare(
        c,
        "batch_2mb",
        &batch(2_000_000 / per_item),
        parse_notifications,
    );
    compare(c, "api_list_1000_runs", &run_list(1000), parse_runs);
}

/// `parse_events` beside `parse_notifications` on the same body of runs (DESIGN.md: within 5%).
fn events_beside_notifications(c: &mut Criterion, group: &str, body: &[u8]) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("parse_notifications", body.len()), |b| {
        b.iter(|| parse_and_drop(parse_notifications, body))
    });
    group.bench_function(BenchmarkId::new("parse_events", body.len()), |b| {
        b.iter(|| parse_and_drop(parse_events, body))
    });
    group.finish();
}

fn events(c: &mut Criterion) {
    events_beside_notifications(c, "events_io_event_success", SUCCESS);
    events_beside_notifications(c, "events_message_list_failed", FAILED);
    events_beside_notifications(c, "events_batch_20", &batch(20));
    // A batch that mixes runs with an alert and another product's event takes the value
    // route: compared with reading the same body into a `Value`.
    let mixed = [
        b"[".as_slice(),
        &minified(SUCCESS),
        b",",
        &minified(ALERT),
        b",{\"specversion\":\"1.0\",\"type\":\"com.adobe.other\",\"id\":\"x\",\"data\":{}}]",
    ]
    .concat();
    compare(c, "events_mixed_batch", &mixed, parse_events);
    compare(c, "events_mixed_batch_20", &mixed_batch_20(), parse_events);
    compare(
        c,
        "events_journal_page_of_others",
        &journal_of_others(),
        parse_events,
    );
    compare(c, "events_batch_20_minified", &batch(20), parse_events);
}

criterion_group!(benches, founding_payloads, large_bodies, events);
criterion_main!(benches);
