//! What the events of a body hold, beside what `serde_json::Value` holds for the same body
//! (DESIGN.md: never more), counted by a counting allocator while each result is alive.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use aep_flow_run::{parse_events, Event};
use counting_alloc::heap_kept;
use serde_json::Value;

/// The heap `parse` holds for its result, while the result is alive.
fn held_by<T>(parse: impl FnOnce() -> T) -> isize {
    let mut result = None;
    let held = heap_kept(|| result = Some(parse()));
    drop(result);
    held
}

/// A batch of `count` small runs, each with its own ids.
fn small_runs(count: usize) -> Vec<u8> {
    let runs: Vec<String> = (0..count)
        .map(|i| {
            format!(
                r#"{{"event_id":"ev-{i}","event":{{"id":"run-{i}","flowId":"flow-1","createdAt":1700000000000,"metrics":{{"statusSummary":{{"status":"success"}}}}}}}}"#
            )
        })
        .collect();
    format!("[{}]", runs.join(",")).into_bytes()
}

/// A batch of `count` runs that carry nothing but their id and an empty `metrics`: the
/// body where an event's inline size weighs most against `Value`.
fn bare_runs(count: usize) -> Vec<u8> {
    let runs: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"id":"run-{i}","metrics":{{}}}}"#))
        .collect();
    format!("[{}]", runs.join(",")).into_bytes()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn events_hold_no_more_than_a_value_of_the_same_body() {
    let bodies = [
        // The worst case for the events: a run that is nothing but an id weighs an
        // `Event`'s inline size against `Value`'s few small allocations.
        ("1,000 bare minimal runs", bare_runs(1000)),
        ("1,000 small runs", small_runs(1000)),
        (
            "success event",
            fixture("adobe-docs/io-event-sources-flow-run-success.json"),
        ),
        (
            "failed message list",
            fixture("adobe-docs/message-list-sources-flow-run-failed.json"),
        ),
        (
            "journal page of other events",
            fixture("events/journal-aem-asset-created-two-events.json"),
        ),
        ("mixed batch", fixture("edge-cases/batch-mixed-shapes.json")),
    ];
    let mut report = Vec::new();
    for (name, body) in &bodies {
        let events = held_by(|| parse_events(body).unwrap());
        let value = held_by(|| serde_json::from_slice::<Value>(body).unwrap());
        report.push(format!(
            "{name}: events {events} bytes, Value {value} bytes ({:.2}x), body {} bytes, Event {} bytes inline",
            events as f64 / value as f64,
            body.len(),
            std::mem::size_of::<Event>()
        ));
        assert!(events <= value, "{}", report.join("\n"));
    }
    println!("{}", report.join("\n"));
}
