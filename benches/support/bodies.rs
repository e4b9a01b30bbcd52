//! The bodies that `benches/parse.rs` and `examples/ratios.rs` measure, built from the
//! fixtures: one copy for both, so that the example's ratios are taken on the same bytes as
//! the bench's groups.

// Each includer uses the part it needs.
#![allow(dead_code)]

use serde_json::Value;

pub const SUCCESS: &[u8] =
    include_bytes!("../../fixtures/adobe-docs/io-event-sources-flow-run-success.json");
pub const FAILED: &[u8] =
    include_bytes!("../../fixtures/adobe-docs/message-list-sources-flow-run-failed.json");
pub const ALERT: &[u8] =
    include_bytes!("../../fixtures/adobe-docs/not-a-run-alert-error-rate.json");
pub const API_RUNS: &[u8] =
    include_bytes!("../../fixtures/adobe-docs/api-runs-sources-success-with-errors.json");
pub const AUDIT: &[u8] = include_bytes!("../../fixtures/events/audit-dataset-delete.json");
pub const CLOUD_EVENT: &[u8] =
    include_bytes!("../../fixtures/events/cloudevents-marketo-change-segment.json");
pub const JOURNAL_OF_OTHERS: &[u8] =
    include_bytes!("../../fixtures/events/journal-aem-asset-created-two-events.json");

/// The body without whitespace between its tokens, its keys in the order they came.
/// (Written back from a serde_json `Value`, its keys would come sorted, an order Adobe's bodies
/// never have: the `sorted_keys` group measures that case on its own.)
pub fn minified(body: &[u8]) -> Vec<u8> {
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
pub fn sorted_keys(body: &[u8]) -> Vec<u8> {
    let value: Value = serde_json::from_slice(body).expect("fixture is JSON");
    serde_json::to_vec(&value).expect("serialisable")
}

/// `text` with the first `"key":"old"` (minified) given `new` as its value.
pub fn with_string(text: &[u8], key: &str, old: &str, new: &str) -> Vec<u8> {
    let from = format!(r#""{key}":"{old}""#);
    let to = format!(r#""{key}":"{new}""#);
    let text = std::str::from_utf8(text).expect("fixture is UTF-8");
    assert!(text.contains(&from), "no {from} in the fixture");
    text.replacen(&from, &to, 1).into_bytes()
}

/// `count` copies of the success event (minified), each with its own id.
pub fn success_events(count: usize) -> Vec<Vec<u8>> {
    let event: Value = serde_json::from_slice(SUCCESS).unwrap();
    let id = event["event_id"].as_str().unwrap();
    let event = minified(SUCCESS);
    (0..count)
        .map(|i| with_string(&event, "event_id", id, &format!("event-{i}")))
        .collect()
}

/// A batch delivery of `count` copies of the success event (minified), each with its own id.
pub fn batch(count: usize) -> Vec<u8> {
    let items = success_events(count);
    let body = [b"[".as_slice(), &items.join(b",".as_slice()), b"]"].concat();
    assert_eq!(
        serde_json::from_slice::<Vec<Value>>(&body).unwrap().len(),
        count
    );
    body
}

/// A Flow Service run list of `count` runs (minified), each with its own id.
pub fn run_list(count: usize) -> Vec<u8> {
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

/// A batch of 20 (minified): 16 runs, 2 alerts, an audit event and another product's
/// CloudEvent, the alerts and the others spread among the runs.
pub fn mixed_batch_20() -> Vec<u8> {
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

/// A journal page of two events from another product (AEM assets, minified): no run, no
/// alert.
pub fn journal_of_others() -> Vec<u8> {
    minified(JOURNAL_OF_OTHERS)
}
