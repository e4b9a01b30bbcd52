//! Every parse gives back all the heap it takes: whatever the parse functions (and `FlowRun`'s
//! `Deserialize`) return, or fail with, frees everything once dropped.
//!
//! The parse skips dropping values it expects to own nothing (the spare element a list is
//! filled through, the scratch object each top-level object is read into), to keep a second
//! copy of their drop code out of the instruction cache; this test checks that expectation.
//! A global allocator counts, per thread, the bytes allocated minus those freed around each
//! call.

use std::path::{Path, PathBuf};

use aep_flow_run::{parse_notification, parse_notifications, parse_runs, FlowRun};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::heap_kept;

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("fixture directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
}

/// Bodies whose lists hold `null` elements, which a list skips: the spare element then stays
/// as it was, and must still own nothing when the list ends.
const NULL_ELEMENTS: &[&str] = &[
    r#"{"id": "r", "activities": [null, {"id": "a", "statusSummary": {"errors": [null, {"code": "CONNECTOR-1001-500", "message": "m"}, null]}}, null]}"#,
    r#"{"id": "r", "metrics": {"recordSummary": {"failedInfo": [null], "targetSummaries": [{"id": "t"}, null]}}}"#,
    r#"{"id": "r", "activities": [{"targetInfo": [null, {"id": "c", "reference": {"ids": [null, "b1"]}}]}]}"#,
    r#"[{"messages": [null, {"value": {"id": "r", "metrics": {}}}, null]}]"#,
    r#"{"events": [null, {"position": "p", "event": {"event": {"id": "r", "metrics": {}}}}]}"#,
    r#"{"items": [null, {"id": "r", "metrics": {}}]}"#,
];

/// Bodies that leave something in the scratch object a body's objects are read into, or stop
/// half way through it: run fields beside an envelope's run, a CloudEvent `id`, bare runs in
/// a batch, an `event` and a `data` in one object, a field of the wrong type deep in a run,
/// a batch that fails after its first element, messages in an object of two shapes, and
/// list elements (a first message, a later message, an activity) that fail half way.
const SCRATCH_LEFTOVERS: &[&str] = &[
    r#"{"event_id": "e", "id": "stray", "event": {"id": "r", "metrics": {}}}"#,
    r#"{"event_id": "e", "note": ["x"], "event": {"id": "r", "metrics": {}}}"#,
    r#"{"specversion": "1.0", "id": "c1", "type": "t", "data": {"id": "r", "metrics": {}}, "event": {"id": "other"}}"#,
    r#"[{"id": "r1", "metrics": {}, "x": "y"}, {"event": {"id": "r2", "activities": []}, "data": {"id": "d"}}, {"id": "r3", "metrics": {}}]"#,
    r#"{"id": "r", "metrics": {"recordSummary": {"failedInfo": [{"code": "c"}], "inputRecordCount": true}}}"#,
    r#"[{"event": {"id": "r1", "metrics": {}}}, {"event": {"id": "r2", "metrics": {"fileSummary": []}}}]"#,
    r#"[{"event": {"id": "r1", "metrics": {}}}, {"id": "no run", "extra": {"a": 1}}]"#,
    r#"{"events": [{"position": "p1", "event": {"event": {"id": "r", "metrics": {}}}}, {"position": "p2", "event": {"id": "no run", "x": ["y"]}}]}"#,
    r#"{"messages": [{"value": {"id": "r1", "metrics": {}}}, {"value": {"id": "no run", "etag": "e"}}]}"#,
    r#"{"items": [{"id": "r1", "metrics": {}}, {"id": "no run", "etag": "e"}]}"#,
    r#"{"messages": [{"value": {"id": "r", "etag": "e", "metrics": {}}}], "items": []}"#,
    r#"{"messages": [{"value": {"id": "r", "etag": "e", "metrics": {"sizeSummary": {"inputBytes": true}}}}]}"#,
    r#"[{"messages": [{"value": {"id": "r1", "metrics": {}}}, {"value": {"id": "r2", "etag": "e", "metrics": {"sizeSummary": {"inputBytes": true}}}}]}]"#,
    r#"{"id": "r", "activities": [{"id": "a1"}, {"id": "a2", "sizeSummary": {"inputBytes": true}}]}"#,
    r#"{"messages": [{"imsOrgId": "org", "value": {"id": "r1", "etag": 5}}]}"#,
    r#"[{"messages": [{"value": {"id": "r1", "metrics": {}}}, {"value": {"id": "r2", "etag": "e""#,
    r#"[{"event": null, "x": ["y"]}, {"event_id": "e", "event": null, "id": "r", "metrics": {}}]"#,
    r#"{"event": {"id": "r", "metrics": {}}, "data": {"id": "d", "flowId": "f"}}"#,
];

#[test]
fn parsing_then_dropping_frees_everything() {
    let mut files = Vec::new();
    json_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut files,
    );
    assert!(files.len() >= 20, "fixtures missing: {}", files.len());
    let mut bodies: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|path| {
            let body = std::fs::read(path).expect("fixture");
            (path.display().to_string(), body)
        })
        .collect();
    bodies.extend(
        NULL_ELEMENTS
            .iter()
            .chain(SCRATCH_LEFTOVERS)
            .map(|body| (body.to_string(), body.as_bytes().to_vec())),
    );

    for (name, body) in &bodies {
        // Each function twice: the first call may set up something kept for the thread (the
        // crate keeps one buffer for unknown fields, which grows to the largest body's, up to
        // 64 KB; the standard library might keep something too); a leak shows on both.
        for call in 0..2 {
            let kept = [
                heap_kept(|| drop(parse_notification(body))),
                heap_kept(|| drop(parse_notifications(body))),
                heap_kept(|| drop(parse_runs(body))),
                // The public `Deserialize` impls fill lists through serde's visitors, with
                // the same spare element.
                heap_kept(|| drop(serde_json::from_slice::<FlowRun>(body))),
            ];
            if call == 0 {
                let most = kept.iter().copied().max().unwrap_or_default();
                assert!(
                    most <= 80 * 1024,
                    "{name}: heap kept after dropping: {kept:?}"
                );
            } else {
                assert_eq!(kept, [0; 4], "{name}: heap kept after dropping");
            }
        }
    }
    // The bodies with null elements are deliveries, read past their nulls, not refused text.
    for body in NULL_ELEMENTS {
        let read = parse_notifications(body.as_bytes()).map(|found| found.len());
        assert!(
            matches!(read, Ok(1)) || parse_runs(body.as_bytes()).is_ok(),
            "{body}: {read:?}"
        );
    }
}
