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

const SUCCESS: &[u8] =
    include_bytes!("../fixtures/adobe-docs/io-event-sources-flow-run-success.json");
const FAILED: &[u8] =
    include_bytes!("../fixtures/adobe-docs/message-list-sources-flow-run-failed.json");
const ALERT: &[u8] = include_bytes!("../fixtures/adobe-docs/not-a-run-alert-error-rate.json");
const API_RUNS: &[u8] =
    include_bytes!("../fixtures/adobe-docs/api-runs-sources-success-with-errors.json");
const AUDIT: &[u8] = include_bytes!("../fixtures/events/audit-dataset-delete.json");
const CLOUD_EVENT: &[u8] =
    include_bytes!("../fixtures/events/cloudevents-marketo-change-segment.json");
const JOURNAL_OF_OTHERS: &[u8] =
    include_bytes!("../fixtures/events/journal-aem-asset-created-two-events.json");

/// The body without whitespace between its tokens, its keys in the order they came.
/// (Written back from a serde_json `Value`, its keys would come sorted, an order Adobe's bodies
/// never have: the `sorted_keys` group measures that case on its own.)
fn minified(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped) = (false, false);
    for &byte in body {
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if !byte.is_ascii_whitespace() {
            in_string = byte == b'"';
            out.push(byte);
        }
    }
    let before: Value = serde_json::from_slice(body).expect("fixture is JSON");
    let after: Value = serde_json::from_slice(&out).expect("minified body is JSON");
    assert_eq!(before, after, "minifying changed the body");
    out
}

/// The body with its keys sorted, as serde_json writes a `Value` back.
fn sorted_keys(body: &[u8]) -> Vec<u8> {
    let value: Value = serde_json::from_slice(body).expect("fixture is JSON");
    serde_json::to_vec(&value).expect("serialisable")
}

/// `text` with the first `"key":"old"` (minified) given `new` as its value.
fn with_string(text: &[u8], key: &str, old: &str, new: &str) -> Vec<u8> {
    let from = format!(r#""{key}":"{old}""#);
    let to = format!(r#""{key}":"{new}""#);
    let text = std::str::from_utf8(text).expect("fixture is UTF-8");
    assert!(text.contains(&from), "no {from} in the fixture");
    text.replacen(&from, &to, 1).into_bytes()
}

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

/// `count` copies of the success event (minified), each with its own id.
fn success_events(count: usize) -> Vec<Vec<u8>> {
    let event: Value = serde_json::from_slice(SUCCESS).unwrap();
    let id = event["event_id"].as_str().unwrap();
    let event = minified(SUCCESS);
    (0..count)
        .map(|i| with_string(&event, "event_id", id, &format!("event-{i}")))
        .collect()
}

/// A batch delivery of `count` copies of the success event (minified), each with its own id.
fn batch(count: usize) -> Vec<u8> {
    let items = success_events(count);
    let body = [b"[".as_slice(), &items.join(b",".as_slice()), b"]"].concat();
    assert_eq!(
        serde_json::from_slice::<Vec<Value>>(&body).unwrap().len(),
        count
    );
    body
}

/// A Flow Service run list of `count` runs (minified), each with its own id.
fn run_list(count: usize) -> Vec<u8> {
    let list: Value = serde_json::from_slice(API_RUNS).unwrap();
    let id = list["items"][0]["id"].as_str().unwrap();
    // The fixture lists one run: `{"items":[RUN],"_links":...}`.
    let text = minified(API_RUNS);
    let (start, links) = (b"{\"items\":[".len(), b"],\"_links\":");
    let end = text
        .windows(links.len())
        .position(|window| window == links)
        .unwrap();
    let run = &text[start..end];
    let items: Vec<Vec<u8>> = (0..count)
        .map(|i| with_string(run, "id", id, &format!("run-{i}")))
        .collect();
    let body = [
        b"{\"items\":[".as_slice(),
        &items.join(b",".as_slice()),
        b"],\"_links\":{}}",
    ]
    .concat();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        count
    );
    body
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
        &minified(JOURNAL_OF_OTHERS),
        parse_events,
    );
    compare(c, "events_batch_20_minified", &batch(20), parse_events);
}

/// A batch of 20 (minified): 16 runs, 2 alerts, an audit event and another product's
/// CloudEvent, the alerts and the others spread among the runs.
fn mixed_batch_20() -> Vec<u8> {
    let runs = success_events(16);
    let mut elements: Vec<&[u8]> = runs.iter().map(Vec::as_slice).collect();
    let (alert, audit, cloud_event) = (minified(ALERT), minified(AUDIT), minified(CLOUD_EVENT));
    elements.insert(3, &alert);
    elements.insert(8, &audit);
    elements.insert(12, &alert);
    elements.insert(17, &cloud_event);
    let body = [b"[".as_slice(), &elements.join(b",".as_slice()), b"]"].concat();
    assert_eq!(aep_flow_run::parse_events(&body).unwrap().len(), 20);
    body
}

criterion_group!(benches, founding_payloads, large_bodies, events);
criterion_main!(benches);
