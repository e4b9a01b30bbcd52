//! The field policy of DESIGN.md on the project's own edge cases: null is absent, unknown
//! fields are kept and written back, numbers may come as strings, a wrong value names its
//! path, enums are open and case-insensitive, every delivery shape is told apart, and broken
//! bodies are errors, never panics.

use std::borrow::Cow;

use aep_flow_run::{
    parse_notification, parse_notifications, parse_runs, Error, ErrorCode, EventCode, FlowRun,
    Format, Notification, Status,
};
use chrono::SecondsFormat;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The `InvalidField` path and message of a result, or a panic saying what came instead.
fn invalid_field<T: std::fmt::Debug>(result: Result<T, Error>) -> (String, String) {
    match result {
        Err(Error::InvalidField { path, message, .. }) => (path, message),
        other => panic!("expected Error::InvalidField, got {other:?}"),
    }
}

fn is_syntax<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Syntax { .. }))
}

fn utc_text(run: &FlowRun) -> Option<String> {
    run.created_at
        .as_ref()?
        .to_utc()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// Asserts all three parse functions give `Error::Syntax` on a body.
fn assert_syntax_everywhere(label: &str, body: &[u8]) {
    let one = parse_notification(body);
    assert!(is_syntax(&one), "{label}: parse_notification gave {one:?}");
    let all = parse_notifications(body);
    assert!(is_syntax(&all), "{label}: parse_notifications gave {all:?}");
    let runs = parse_runs(body);
    assert!(is_syntax(&runs), "{label}: parse_runs gave {runs:?}");
}

// ---------------------------------------------------------------------------------------------
// null, absent, unknown fields
// ---------------------------------------------------------------------------------------------

#[test]
fn null_is_the_same_as_absent() {
    let with_nulls = br#"{"event_id": "e-1", "recipient_client_id": null, "event": {
        "id": "run-1", "flowId": null, "createdAt": null, "predecessors": null,
        "metrics": {
            "durationSummary": null,
            "sizeSummary": {"inputBytes": null, "outputBytes": 5},
            "recordSummary": {"failedInfo": null, "inputRecordCount": null},
            "fileSummary": {"extensions": null},
            "statusSummary": {"status": "success", "errors": null, "extensions": {"errors": null, "batchId": null}}
        },
        "activities": [{"id": "a-1", "name": null, "updatedAtUTC": null, "statusSummary": null, "sourceInfo": null,
                        "recordSummary": {"failedInfo": [{"code": "X-1-400", "message": null, "recordCount": null}]}}],
        "header": null
    }}"#;
    let without = br#"{"event_id": "e-1", "event": {
        "id": "run-1",
        "metrics": {
            "sizeSummary": {"outputBytes": 5},
            "recordSummary": {},
            "fileSummary": {},
            "statusSummary": {"status": "success", "extensions": {}}
        },
        "activities": [{"id": "a-1", "recordSummary": {"failedInfo": [{"code": "X-1-400"}]}}]
    }}"#;
    let a = parse_notification(with_nulls).unwrap();
    let b = parse_notification(without).unwrap();
    assert_eq!(a.run, b.run);
    assert_eq!(a.event_id, b.event_id);
    assert_eq!(a.format, b.format);
    assert_eq!(a.recipient_client_id, None);
    assert_eq!(a.run.flow_id, None);
    assert_eq!(a.run.created_at, None);
    assert_eq!(a.run.metrics.size_summary.input_bytes, None);
    assert_eq!(
        a.run
            .metrics
            .size_summary
            .output_bytes
            .as_ref()
            .unwrap()
            .get(),
        Some(5)
    );
    assert!(a.run.metrics.status_summary.errors.is_empty());
    assert_eq!(a.run.activities[0].name, None);
    assert_eq!(
        a.run.activities[0].record_summary.failed_info[0].message,
        None
    );
    assert!(a.run.header.is_none());
    assert!(a.run.extra.is_empty());
    assert!(a.run.activities[0].extra.is_empty());
    assert_eq!(
        serde_json::to_value(&a.run).unwrap(),
        serde_json::to_value(&b.run).unwrap()
    );

    // null in place of an array or object never is a type error.
    let runs = parse_runs(br#"{"metrics": null, "activities": [], "id": null}"#).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0], FlowRun::default());
}

/// A null envelope attribute is absent too: the notification equals the one without it.
#[test]
fn null_envelope_attributes_are_the_same_as_absent() {
    let with_null = br#"{"event_id": "e-1", "recipient_client_id": null, "eventid": null, "event": {"id": "r", "metrics": {}}}"#;
    let without = br#"{"event_id": "e-1", "event": {"id": "r", "metrics": {}}}"#;
    let a = parse_notification(with_null).unwrap();
    let b = parse_notification(without).unwrap();
    assert!(
        a.envelope.is_empty(),
        "envelope keeps nulls: {:?}",
        a.envelope
    );
    assert_eq!(a, b);
}

const UNKNOWN_EVERYWHERE: &[u8] = br#"{"event_id": "e-1", "event": {
    "id": "run-1",
    "runX": {"nested": [1, 2]},
    "metrics": {
        "metricsX": "m",
        "durationSummary": {"startedAtUTC": 1597213529158, "durationX": 1},
        "latencySummary": {"avgMs": 3, "latencyX": 2},
        "sizeSummary": {"inputBytes": 10, "sizeX": true},
        "recordSummary": {"inputRecordCount": 4, "recordX": [3],
            "failedInfo": [{"code": "INGEST-1212-400", "failedInfoX": "f"}]},
        "fileSummary": {"inputFileCount": 1, "fileX": {"k": "v"},
            "extensions": {"manifest": {"fileInfo": "https://example.com/f", "manifestX": 7}, "fileExtX": 8}},
        "statusSummary": {"status": "failed", "statusX": null, "statusY": 0,
            "errors": [{"code": "CONNECTOR-1001-500", "message": "m", "errorX": {"deep": true}}],
            "extensions": {"extX": "x", "errors": [{"code": "133", "extErrorX": 9}]}}
    },
    "activities": [{
        "id": "a-1",
        "activityX": "a",
        "recordSummary": {"activityRecordX": 5},
        "statusSummary": {"status": "failed", "errors": [{"code": "2200", "activityErrorX": 6}]},
        "sourceInfo": [{"id": "s", "connectionX": 1, "reference": {"type": "Batch", "ids": ["b"], "referenceX": 2}}]
    }],
    "header": {"_adobeio": {"eventCode": "sources_flow_run_failed", "adobeioX": 1}, "headerX": 2}
}}"#;

#[test]
fn unknown_fields_are_kept_at_every_level() {
    let n = parse_notification(UNKNOWN_EVERYWHERE).unwrap();
    let run = &n.run;
    assert_eq!(run.extra.len(), 1);
    assert_eq!(run.extra["runX"], json!({"nested": [1, 2]}));
    let m = &run.metrics;
    assert_eq!(m.extra["metricsX"], "m");
    assert_eq!(m.duration_summary.extra["durationX"], 1);
    assert_eq!(m.latency_summary.extra["latencyX"], 2);
    assert_eq!(m.size_summary.extra["sizeX"], true);
    assert_eq!(m.record_summary.extra["recordX"], json!([3]));
    assert_eq!(m.record_summary.failed_info[0].extra["failedInfoX"], "f");
    assert_eq!(m.file_summary.extra["fileX"], json!({"k": "v"}));
    assert_eq!(m.file_summary.extensions.extra["fileExtX"], 8);
    assert_eq!(
        m.file_summary.extensions.manifest.as_ref().unwrap().extra["manifestX"],
        7
    );
    assert_eq!(m.status_summary.extra["statusY"], 0);
    assert_eq!(
        m.status_summary.errors[0].extra["errorX"],
        json!({"deep": true})
    );
    assert_eq!(m.status_summary.errors[0].extra.len(), 1);
    assert_eq!(m.status_summary.extensions.extra["extX"], "x");
    assert_eq!(m.status_summary.extensions.errors[0].extra["extErrorX"], 9);
    let a = &run.activities[0];
    assert_eq!(a.extra["activityX"], "a");
    assert_eq!(a.record_summary.extra["activityRecordX"], 5);
    assert_eq!(a.status_summary.errors[0].extra["activityErrorX"], 6);
    assert_eq!(a.source_info[0].extra["connectionX"], 1);
    assert_eq!(
        a.source_info[0].reference.as_ref().unwrap().extra["referenceX"],
        2
    );
    let header = run.header.as_ref().unwrap();
    assert_eq!(header.extra["headerX"], 2);
    assert_eq!(header.adobeio.as_ref().unwrap().extra["adobeioX"], 1);
    // Known fields are not duplicated into `extra`.
    assert!(!run.extra.contains_key("metrics"));
    assert!(!m.size_summary.extra.contains_key("inputBytes"));
    assert!(!a.extra.contains_key("id"));
}

#[test]
fn unknown_fields_are_written_back() {
    let n = parse_notification(UNKNOWN_EVERYWHERE).unwrap();
    let written = serde_json::to_value(&n.run).unwrap();
    let original: Value =
        serde_json::from_slice::<Value>(UNKNOWN_EVERYWHERE).unwrap()["event"].clone();
    assert_eq!(written["runX"], json!({"nested": [1, 2]}));
    assert_eq!(written["metrics"]["metricsX"], "m");
    assert_eq!(written["metrics"]["durationSummary"]["durationX"], 1);
    assert_eq!(written["metrics"]["latencySummary"]["latencyX"], 2);
    assert_eq!(written["metrics"]["sizeSummary"]["sizeX"], true);
    assert_eq!(
        written["metrics"]["recordSummary"]["failedInfo"][0]["failedInfoX"],
        "f"
    );
    assert_eq!(
        written["metrics"]["fileSummary"]["extensions"]["fileExtX"],
        8
    );
    assert_eq!(
        written["metrics"]["statusSummary"]["errors"][0]["errorX"],
        json!({"deep": true})
    );
    assert_eq!(
        written["metrics"]["statusSummary"]["extensions"]["errors"][0]["extErrorX"],
        9
    );
    assert_eq!(written["activities"][0]["activityX"], "a");
    assert_eq!(
        written["activities"][0]["statusSummary"]["errors"][0]["activityErrorX"],
        6
    );
    assert_eq!(
        written["activities"][0]["sourceInfo"][0]["reference"]["referenceX"],
        2
    );
    assert_eq!(written["header"]["_adobeio"]["adobeioX"], 1);
    // And it reads back as the same run.
    let back: FlowRun = serde_json::from_value(written.clone()).unwrap();
    assert_eq!(back, n.run);
    // Everything else equal too (the one null member may be dropped).
    let mut original = original;
    original["metrics"]["statusSummary"]
        .as_object_mut()
        .unwrap()
        .remove("statusX");
    let mut written = written;
    if let Some(status) = written["metrics"]["statusSummary"].as_object_mut() {
        status.remove("statusX");
    }
    assert_eq!(written, original);
}

// ---------------------------------------------------------------------------------------------
// Numbers as strings, wrong values
// ---------------------------------------------------------------------------------------------

#[test]
fn counts_and_timestamps_sent_as_strings_are_read_and_written_back_as_strings() {
    let body = br#"{"event_id": "e", "event": {"id": "r", "createdAt": "1597213529158",
        "updatedAt": "1590512053",
        "metrics": {"sizeSummary": {"inputBytes": "2048", "outputBytes": "-1"},
                    "recordSummary": {"inputRecordCount": "100", "failedRecordCount": 0}},
        "activities": [{"id": "a", "updatedAtUTC": "1597434157529"}]}}"#;
    let n = parse_notification(body).unwrap();
    let run = &n.run;
    let size = &run.metrics.size_summary;
    assert_eq!(size.input_bytes.as_ref().unwrap().get(), Some(2048));
    assert_eq!(size.output_bytes.as_ref().unwrap().get(), None);
    assert!(size.output_bytes.as_ref().unwrap().is_unknown());
    assert_eq!(
        run.metrics
            .record_summary
            .input_record_count
            .as_ref()
            .unwrap()
            .get(),
        Some(100)
    );
    assert_eq!(utc_text(run).as_deref(), Some("2020-08-12T06:25:29.158Z"));
    assert_eq!(
        run.updated_at
            .as_ref()
            .unwrap()
            .to_utc()
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        "2020-05-26T16:54:13Z"
    );
    assert_eq!(
        run.activities[0]
            .updated_at_utc
            .as_ref()
            .unwrap()
            .to_millis(),
        Some(1597434157529)
    );

    let written = serde_json::to_value(run).unwrap();
    assert_eq!(written["createdAt"], json!("1597213529158"));
    assert_eq!(written["updatedAt"], json!("1590512053"));
    assert_eq!(
        written["metrics"]["sizeSummary"]["inputBytes"],
        json!("2048")
    );
    assert_eq!(
        written["metrics"]["sizeSummary"]["outputBytes"],
        json!("-1")
    );
    assert_eq!(
        written["metrics"]["recordSummary"]["inputRecordCount"],
        json!("100")
    );
    assert_eq!(
        written["metrics"]["recordSummary"]["failedRecordCount"],
        json!(0)
    );
    assert_eq!(
        written["activities"][0]["updatedAtUTC"],
        json!("1597434157529")
    );
}

#[test]
fn a_count_that_is_no_integer_names_its_path() {
    for bad in [r#""abc""#, "1.5", "true", r#"{}"#, r#""12a""#, r#""""#] {
        let body = format!(
            r#"{{"event_id": "e", "event": {{"id": "r", "metrics": {{"sizeSummary": {{"inputBytes": {bad}}}}}}}}}"#
        );
        let (path, message) = invalid_field(parse_notification(body.as_bytes()));
        assert_eq!(path, "event.metrics.sizeSummary.inputBytes", "for {bad}");
        assert!(!message.is_empty());
        let (path, _) = invalid_field(parse_notifications(body.as_bytes()));
        assert_eq!(path, "event.metrics.sizeSummary.inputBytes", "for {bad}");
    }
    let error = parse_notification(
        br#"{"event_id": "e", "event": {"metrics": {"sizeSummary": {"inputBytes": "abc"}}}}"#,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`event.metrics.sizeSummary.inputBytes`"),
        "{error}"
    );
}

#[test]
fn a_wrong_count_deeper_in_a_run_names_its_path() {
    let (path, _) = invalid_field(parse_notification(
        br#"{"event_id": "e", "event": {"id": "r", "activities": [{"id": "a"},
            {"id": "b", "recordSummary": {"failedInfo": [{"code": "X", "recordCount": 1.5}]}}]}}"#,
    ));
    assert_eq!(
        path,
        "event.activities[1].recordSummary.failedInfo[0].recordCount"
    );

    let (path, _) = invalid_field(parse_runs(
        br#"{"items": [{"id": "r", "metrics": {"fileSummary": {"inputFileCount": "ten"}}}]}"#,
    ));
    assert_eq!(path, "items[0].metrics.fileSummary.inputFileCount");

    let (path, _) = invalid_field(parse_notification(
        br#"{"id": "r", "metrics": {"recordSummary": {"inputRecordCount": "x"}}}"#,
    ));
    assert_eq!(path, "metrics.recordSummary.inputRecordCount");
}

#[test]
fn a_wrong_count_in_a_batch_names_the_element() {
    let body = br#"[
        {"event_id": "a", "event": {"id": "r1", "metrics": {"sizeSummary": {"inputBytes": 1}}}},
        {"event_id": "b", "event": {"id": "r2", "metrics": {"sizeSummary": {"inputBytes": "abc"}}}}
    ]"#;
    let (path, _) = invalid_field(parse_notifications(body));
    assert_eq!(path, "[1].event.metrics.sizeSummary.inputBytes");
    let (path, _) = invalid_field(parse_notification(body));
    assert_eq!(path, "[1].event.metrics.sizeSummary.inputBytes");
}

#[test]
fn a_timestamp_that_is_no_time_names_its_path() {
    for bad in [r#""yesterday""#, "true", "1.5", "[]"] {
        let body = format!(
            r#"{{"event_id": "e", "event": {{"id": "r", "createdAt": {bad}, "metrics": {{}}}}}}"#
        );
        let (path, _) = invalid_field(parse_notification(body.as_bytes()));
        assert_eq!(path, "event.createdAt", "for {bad}");
    }
    let (path, _) = invalid_field(parse_notification(
        br#"{"event_id": "e", "event": {"metrics": {"durationSummary": {"startedAtUTC": "noon"}}}}"#,
    ));
    assert_eq!(path, "event.metrics.durationSummary.startedAtUTC");
}

#[test]
fn a_value_of_the_wrong_type_names_its_path() {
    let cases: &[(&[u8], &str)] = &[
        (br#"{"event_id": "e", "event": {"id": "r", "metrics": "x"}}"#, "event.metrics"),
        (
            br#"{"event_id": "e", "event": {"id": "r", "metrics": {"statusSummary": "failed"}}}"#,
            "event.metrics.statusSummary",
        ),
        (
            br#"{"event_id": "e", "event": {"id": "r", "metrics": {"statusSummary": {"errors": "boom"}}}}"#,
            "event.metrics.statusSummary.errors",
        ),
        (
            br#"{"event_id": "e", "event": {"id": 5, "metrics": {}}}"#,
            "event.id",
        ),
        (
            br#"{"event_id": "e", "event": {"id": "r", "activities": [{"id": "a", "sizeSummary": []}]}}"#,
            "event.activities[0].sizeSummary",
        ),
        (
            br#"{"event_id": "e", "event": {"id": "r", "metrics": {"statusSummary": {"status": 3}}}}"#,
            "event.metrics.statusSummary.status",
        ),
        (
            br#"{"event_id": "e", "event": {"id": "r", "metrics": {"statusSummary": {"errors": [{"code": 133}]}}}}"#,
            "event.metrics.statusSummary.errors[0].code",
        ),
    ];
    for (body, expected) in cases {
        let (path, message) = invalid_field(parse_notification(body));
        assert_eq!(&path, expected, "{}", String::from_utf8_lossy(body));
        assert!(!message.is_empty());
    }
}

#[test]
fn a_repeated_key_takes_its_last_value() {
    // As `JSON.parse` and `serde_json::Value` read it: Adobe's own streaming-source alert
    // repeats `providerRefId`.
    let run_id = |body: &[u8]| parse_notification(body).unwrap().run.id;
    assert_eq!(
        run_id(br#"{"event_id": "e", "event": {"id": "a", "id": "b", "metrics": {}}}"#),
        Some("b".to_owned())
    );
    let n = parse_notification(br#"{"event_id": "e", "event": {"metrics": {}, "zz": 1, "zz": 2}}"#)
        .unwrap();
    assert_eq!(n.run.extra["zz"], 2);
    assert_eq!(n.run.extra.len(), 1);
    let n = parse_notification(br#"{"event_id": "e", "event_id": "f", "event": {"metrics": {}}}"#)
        .unwrap();
    assert_eq!(n.event_id.as_deref(), Some("f"));
    let n = parse_notification(
        br#"{"event_id": "e", "event": {"metrics": {"sizeSummary": {"inputBytes": 1, "inputBytes": 2}}}}"#,
    )
    .unwrap();
    assert_eq!(n.run.metrics.size_summary.input_bytes, Some(2.into()));
    let n = parse_notification(
        br#"{"event_id": "e", "event": {"metrics": {"statusSummary": {"errors": [{"code": "A", "code": "B"}]}}}}"#,
    )
    .unwrap();
    assert_eq!(n.run.metrics.status_summary.errors[0].code.as_str(), "B");
    let runs =
        parse_runs(br#"{"items": [{"id": "a"}], "items": [{"id": "b"}, {"id": "c"}]}"#).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id.as_deref(), Some("b"));
    // The last value decides the field's type: a wrong one is still an error, with its path.
    let (path, _) = invalid_field(parse_notification(
        br#"{"event_id": "e", "event": {"id": "a", "id": 5, "metrics": {}}}"#,
    ));
    assert_eq!(path, "event.id");
}

#[test]
fn known_keys_are_recognised_however_they_are_written() {
    let plain = br#"{"id": "r", "flowId": "f", "createdAt": 5,
        "metrics": {"sizeSummary": {"inputBytes": 1, "outputBytes": 2}}}"#;
    let expected = &parse_runs(plain).unwrap()[0];
    assert_eq!(expected.flow_id.as_deref(), Some("f"));
    assert_eq!(expected.metrics.size_summary.output_bytes, Some(2.into()));

    let variants: &[&[u8]] = &[
        // the reverse of the declared order, at both levels
        br#"{"metrics": {"sizeSummary": {"outputBytes": 2, "inputBytes": 1}},
            "createdAt": 5, "flowId": "f", "id": "r"}"#,
        // escaped names
        br#"{"\u0069d": "r", "fl\u006fwId": "f", "createdAt": 5,
            "metrics": {"sizeSummary": {"inputBytes": 1, "output\u0042ytes": 2}}}"#,
        // minified, and with whitespace before the colons
        br#"{"id":"r","flowId":"f","createdAt":5,"metrics":{"sizeSummary":{"inputBytes":1,"outputBytes":2}}}"#,
        br#"{"id" : "r", "flowId"	:"f", "createdAt"
            : 5, "metrics" :{"sizeSummary" : {"inputBytes" : 1, "outputBytes" : 2}}}"#,
    ];
    for body in variants {
        let text = String::from_utf8_lossy(body);
        assert_eq!(&parse_runs(body).unwrap()[0], expected, "{text}");
        let through_serde: FlowRun = serde_json::from_slice(body).unwrap();
        assert_eq!(&through_serde, expected, "{text}");
    }

    // A name that only starts like a known one is an unknown field.
    let run = &parse_runs(br#"{"id": "r", "idx": 1, "id2": 2, "flowIdentity": 3, "metrics": {}}"#)
        .unwrap()[0];
    assert_eq!(run.id.as_deref(), Some("r"));
    assert_eq!(run.flow_id, None);
    assert_eq!(
        run.extra.keys().collect::<Vec<_>>(),
        ["idx", "id2", "flowIdentity"]
    );

    // An escaped name is the same key as the plain one, in either order: the last one wins.
    for body in [
        br#"{"id": "r", "\u0069d": "s", "metrics": {}}"#,
        br#"{"\u0069d": "r", "id": "s", "metrics": {}}"#,
    ] {
        assert_eq!(parse_runs(body).unwrap()[0].id.as_deref(), Some("s"));
    }
}

// ---------------------------------------------------------------------------------------------
// Open enums
// ---------------------------------------------------------------------------------------------

fn run_with_status(status: &str) -> FlowRun {
    let body =
        format!(r#"{{"id": "r", "metrics": {{"statusSummary": {{"status": "{status}"}}}}}}"#);
    parse_runs(body.as_bytes()).unwrap().remove(0)
}

#[test]
fn status_case_variants_are_recognised_and_unknown_ones_kept() {
    assert_eq!(run_with_status("Failed").status(), Some(&Status::Failed));
    assert_eq!(run_with_status("FAILED").status(), Some(&Status::Failed));
    assert_eq!(run_with_status("SUCCESS").status(), Some(&Status::Success));
    assert_eq!(run_with_status("success").status(), Some(&Status::Success));
    assert_eq!(
        run_with_status("INPROGRESS").status(),
        Some(&Status::InProgress)
    );

    let weird = run_with_status("weird");
    assert_eq!(weird.status(), Some(&Status::Other("weird".to_owned())));
    assert_eq!(
        serde_json::to_value(&weird).unwrap()["metrics"]["statusSummary"]["status"],
        "weird"
    );
    let shouting = run_with_status("WeIrD");
    assert_eq!(shouting.status(), Some(&Status::Other("WeIrD".to_owned())));

    // A case variant of a known value is written back as it came, while it still holds
    // that value; a value set since is written in its documented spelling.
    let mut failed = run_with_status("Failed");
    let written = serde_json::to_value(&failed).unwrap();
    assert_eq!(written["metrics"]["statusSummary"]["status"], "Failed");
    assert_eq!(failed.outcome(), aep_flow_run::Outcome::Failed);
    failed.metrics.status_summary.status = Some(Status::Success);
    let written = serde_json::to_value(&failed).unwrap();
    assert_eq!(written["metrics"]["statusSummary"]["status"], "success");
}

#[test]
fn event_codes_are_open_and_case_insensitive() {
    assert_eq!(
        EventCode::from("sources_flow_run_failure"),
        EventCode::FlowRunFailure
    );
    assert_eq!(
        EventCode::from("sources_flow_run_failed"),
        EventCode::FlowRunFailure
    );
    assert_eq!(
        EventCode::from("SOURCES_FLOW_RUN_SUCCESS"),
        EventCode::FlowRunSuccess
    );

    let body = br#"{"event_id": "e", "event": {"id": "r", "metrics": {"statusSummary": {"status": "failed"}},
        "header": {"_adobeio": {"eventCode": "sources_flow_run_failure"}}}}"#;
    let n = parse_notification(body).unwrap();
    assert_eq!(n.event_code, EventCode::FlowRunFailure);
    assert!(!n.is_success());
    assert_eq!(n.run.header_event_code(), Some("sources_flow_run_failure"));
    // The run's header keeps the code as it came.
    assert_eq!(
        serde_json::to_value(&n.run).unwrap()["header"]["_adobeio"]["eventCode"],
        "sources_flow_run_failure"
    );

    let body = br#"{"event_id": "e", "event": {"id": "r", "metrics": {"statusSummary": {"status": "success"}},
        "header": {"_adobeio": {"eventCode": "my_custom_code"}}}}"#;
    let n = parse_notification(body).unwrap();
    assert_eq!(n.event_code, EventCode::Other("my_custom_code".to_owned()));
    assert_eq!(n.event_code.as_str(), "my_custom_code");
    assert!(n.is_success(), "unknown code: by the run's status");
    let text = serde_json::to_string(&n).unwrap();
    assert!(text.contains("\"my_custom_code\""), "{text}");
    let back: Notification = serde_json::from_str(&text).unwrap();
    assert_eq!(back, n);
}

#[test]
fn error_codes_are_open_and_case_insensitive() {
    let code: ErrorCode = "connector-2001-500".parse().unwrap();
    assert_eq!(code, ErrorCode::ProcessToPlatform);
    let code: ErrorCode = "Connector-1001-500".parse().unwrap();
    assert_eq!(code, ErrorCode::CopyFromSource);
    let code: ErrorCode = "".parse().unwrap();
    assert_eq!(code, ErrorCode::Other(String::new()));
    let code: ErrorCode = "CONNECTOR-9999-500".parse().unwrap();
    assert_eq!(code, ErrorCode::Other("CONNECTOR-9999-500".to_owned()));
    let parts = code.parts().unwrap();
    assert_eq!(
        (parts.family, parts.number, parts.status),
        ("CONNECTOR", 9999, 500)
    );

    // Odd codes in a run are kept verbatim and written back.
    let runs = parse_runs(
        br#"{"id": "r", "metrics": {"statusSummary": {"errors": [
            {"code": "ACTIVATION_BATCH-0000-FAILED"}, {"code": "2200"}, {"code": "connector-2001-500"}]}}}"#,
    )
    .unwrap();
    let errors = &runs[0].metrics.status_summary.errors;
    assert_eq!(
        errors[0].code,
        ErrorCode::Other("ACTIVATION_BATCH-0000-FAILED".to_owned())
    );
    assert_eq!(errors[1].code, ErrorCode::Other("2200".to_owned()));
    assert_eq!(errors[2].code, ErrorCode::ProcessToPlatform);
    let written = serde_json::to_value(&runs[0]).unwrap();
    assert_eq!(
        written["metrics"]["statusSummary"]["errors"][0]["code"],
        "ACTIVATION_BATCH-0000-FAILED"
    );
    assert_eq!(
        written["metrics"]["statusSummary"]["errors"][1]["code"],
        "2200"
    );
}

// ---------------------------------------------------------------------------------------------
// Delivery shapes
// ---------------------------------------------------------------------------------------------

const RUN: &str = r#"{"id": "run-1", "flowId": "flow-1", "metrics": {"statusSummary": {"status": "failed",
    "errors": [{"code": "CONNECTOR-1001-500"}]}}}"#;

#[test]
fn cloud_event_with_the_new_extension_names() {
    let body = format!(
        r#"{{"specversion": "1.0", "type": "sources_flow_run_failed", "source": "urn:uuid:abc",
            "id": "ce-1", "time": "2024-05-01T10:00:00Z", "datacontenttype": "application/json",
            "eventid": "ce-1", "recipientclientid": "client-9", "data": {RUN}}}"#
    );
    let n = parse_notification(body.as_bytes()).unwrap();
    assert_eq!(n.format, Format::CloudEvent);
    assert_eq!(n.event_id.as_deref(), Some("ce-1"));
    assert_eq!(n.event_code, EventCode::FlowRunFailure);
    assert_eq!(n.recipient_client_id.as_deref(), Some("client-9"));
    let published = n.published_at.as_ref().unwrap();
    assert_eq!(
        published
            .to_utc()
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        "2024-05-01T10:00:00Z"
    );
    assert_eq!(
        serde_json::to_value(published).unwrap(),
        "2024-05-01T10:00:00Z"
    );
    assert_eq!(n.envelope["source"], "urn:uuid:abc");
    assert_eq!(n.run.id.as_deref(), Some("run-1"));
    assert_eq!(n.run.flow_id.as_deref(), Some("flow-1"));
    assert_eq!(
        n.run.metrics.status_summary.errors[0].code,
        ErrorCode::CopyFromSource
    );
    assert!(!n.is_success());
    // The envelope's fields do not leak into the run.
    assert!(n.run.extra.is_empty());
}

#[test]
fn cloud_event_with_the_old_extension_names() {
    let body = format!(
        r#"{{"specversion": "1.0", "type": "sources_flow_run_success", "id": "ce-2",
            "time": "2024-05-01T10:00:00.250+02:00", "event_id": "ce-2",
            "recipient_client_id": "client-8", "data": {RUN}}}"#
    );
    let n = parse_notification(body.as_bytes()).unwrap();
    assert_eq!(n.format, Format::CloudEvent);
    assert_eq!(n.event_id.as_deref(), Some("ce-2"));
    assert_eq!(n.event_code, EventCode::FlowRunSuccess);
    assert_eq!(n.recipient_client_id.as_deref(), Some("client-8"));
    assert_eq!(
        n.published_at.as_ref().unwrap().to_millis(),
        Some(1714550400250)
    );
}

#[test]
fn io_event_envelope_with_the_new_names() {
    let body = br#"{"eventid": "ev-2", "recipientclientid": "client-2", "event": {"id": "run-2",
        "activities": [], "header": {"_adobeio": {"eventCode": "sources_flow_run_success"}}}}"#;
    let n = parse_notification(body).unwrap();
    assert_eq!(n.format, Format::IoEvent);
    assert_eq!(n.event_id.as_deref(), Some("ev-2"));
    assert_eq!(n.recipient_client_id.as_deref(), Some("client-2"));
    assert_eq!(n.event_code, EventCode::FlowRunSuccess);
    assert_eq!(n.run.id.as_deref(), Some("run-2"));

    let body = br#"{"event_id": "ev-3", "recipient_client_id": "client-3", "event": {"id": "run-3", "metrics": {}}}"#;
    let n = parse_notification(body).unwrap();
    assert_eq!(n.format, Format::IoEvent);
    assert_eq!(n.event_id.as_deref(), Some("ev-3"));
    assert_eq!(n.recipient_client_id.as_deref(), Some("client-3"));
    assert_eq!(n.event_code, EventCode::Missing);

    // Old and new names side by side.
    let body = br#"{"event_id": "ev-4", "eventid": "ev-4", "recipient_client_id": "c", "recipientclientid": "c",
        "event": {"id": "run-4", "metrics": {}}}"#;
    let n = parse_notification(body).unwrap();
    assert_eq!(n.event_id.as_deref(), Some("ev-4"));
    assert_eq!(n.recipient_client_id.as_deref(), Some("c"));
}

#[test]
fn batch_of_mixed_shapes() {
    let body = format!(
        r#"[
          {{"event_id": "b-1", "recipient_client_id": "client", "event": {{"id": "run-a", "metrics": {{}},
             "header": {{"_adobeio": {{"eventCode": "sources_flow_run_success"}}}}}}}},
          {{"specversion": "1.0", "type": "sources_flow_run_failed", "id": "b-2", "recipientclientid": "client",
             "time": "2024-05-01T10:00:00Z", "data": {RUN}}},
          {{"id": "run-c", "flowName": "Flow C", "activities": [],
             "metrics": {{"statusSummary": {{"status": "inProgress"}}}},
             "header": {{"_adobeio": {{"eventCode": "source_flow_run_info"}}}}}}
        ]"#
    );
    let all = parse_notifications(body.as_bytes()).unwrap();
    assert_eq!(all.len(), 3);
    let formats: Vec<Format> = all.iter().map(|n| n.format).collect();
    assert_eq!(
        formats,
        [Format::IoEvent, Format::CloudEvent, Format::BareRun]
    );
    let ids: Vec<Option<&str>> = all.iter().map(|n| n.event_id.as_deref()).collect();
    assert_eq!(ids, [Some("b-1"), Some("b-2"), None]);
    let codes: Vec<&EventCode> = all.iter().map(|n| &n.event_code).collect();
    assert_eq!(
        codes,
        [
            &EventCode::FlowRunSuccess,
            &EventCode::FlowRunFailure,
            &EventCode::AlertInfo
        ]
    );
    let runs: Vec<Option<&str>> = all.iter().map(|n| n.run.id.as_deref()).collect();
    assert_eq!(runs, [Some("run-a"), Some("run-1"), Some("run-c")]);
    assert_eq!(all[0].recipient_client_id.as_deref(), Some("client"));
    assert_eq!(all[1].recipient_client_id.as_deref(), Some("client"));
    assert_eq!(all[2].run.flow_name.as_deref(), Some("Flow C"));
    assert_eq!(all[2].run.status(), Some(&Status::InProgress));

    match parse_notification(body.as_bytes()) {
        Err(Error::NotSingle { count }) => assert_eq!(count, 3),
        other => panic!("expected NotSingle, got {other:?}"),
    }
}

#[test]
fn journal_page() {
    let body = br#"{"events": [
        {"position": "p1", "event": {"event_id": "j-1", "event": {"id": "run-1", "metrics": {}}}},
        {"position": "p2", "event": {"id": "run-2", "activities": [], "header": {"_adobeio": {"eventCode": "source_flow_run_error"}}}}
      ], "_page": {"last": "p2", "count": 2}}"#;
    let all = parse_notifications(body).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].journal_position.as_deref(), Some("p1"));
    assert_eq!(all[0].event_id.as_deref(), Some("j-1"));
    assert_eq!(all[0].format, Format::IoEvent);
    assert_eq!(all[0].run.id.as_deref(), Some("run-1"));
    assert_eq!(all[1].journal_position.as_deref(), Some("p2"));
    assert_eq!(all[1].format, Format::BareRun);
    assert_eq!(all[1].event_code, EventCode::AlertError);

    let single = br#"{"events":[{"position":"p1","event":{"event_id":"j","event":{"id":"r","metrics":{}}}}],"_page":{}}"#;
    let n = parse_notification(single).unwrap();
    assert_eq!(n.journal_position.as_deref(), Some("p1"));
    assert_eq!(n.event_id.as_deref(), Some("j"));
    assert_eq!(n.run.id.as_deref(), Some("r"));

    let empty = parse_notifications(br#"{"events": [], "_page": {}}"#).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn empty_and_several_notifications() {
    assert_eq!(
        parse_notifications(b"[]").unwrap(),
        Vec::<Notification>::new()
    );
    assert_eq!(
        parse_notifications(b" [ ] \n").unwrap(),
        Vec::<Notification>::new()
    );
    assert_eq!(
        parse_notification(b"[]"),
        Err(Error::NotSingle { count: 0 })
    );
    assert_eq!(
        parse_notification(b"[]").unwrap_err().to_string(),
        "expected exactly one notification, found 0"
    );

    let two = br#"[{"event_id": "a", "event": {"id": "1", "metrics": {}}},
                   {"event_id": "b", "event": {"id": "2", "metrics": {}}}]"#;
    assert_eq!(parse_notifications(two).unwrap().len(), 2);
    assert_eq!(parse_notification(two), Err(Error::NotSingle { count: 2 }));
}

// ---------------------------------------------------------------------------------------------
// Broken bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_and_whitespace_bodies_are_syntax_errors() {
    assert_syntax_everywhere("empty", b"");
    assert_syntax_everywhere("whitespace", b" \n\t\r ");
}

#[test]
fn truncated_json_is_a_syntax_error() {
    let full = br#"{"event_id": "e", "event": {"id": "r", "metrics": {"sizeSummary": {"inputBytes": 2048}}}}"#;
    assert!(parse_notification(full).is_ok());
    for cut in [1, 10, 30, 60, full.len() - 1] {
        assert_syntax_everywhere(&format!("cut at {cut}"), &full[..cut]);
    }
    assert_syntax_everywhere("trailing bytes", br#"{"id": "r", "metrics": {}} x"#);
}

#[test]
fn invalid_utf8_is_a_syntax_error() {
    assert_syntax_everywhere("0xff in a string", b"{\"id\": \"\xff\"}");
    assert_syntax_everywhere(
        "0xff in a run",
        b"{\"event_id\": \"e\", \"event\": {\"id\": \"r\xff\", \"metrics\": {}}}",
    );
    assert_syntax_everywhere(
        "lone continuation byte",
        b"{\"id\": \"\x80\", \"metrics\": {}}",
    );
    assert_syntax_everywhere("truncated sequence", b"[\"\xe2\x82\"]");
}

#[test]
fn deep_nesting_of_objects_is_a_syntax_error() {
    let deep = format!("{}1{}", r#"{"a":"#.repeat(200), "}".repeat(200));
    assert_syntax_everywhere("200 nested objects", deep.as_bytes());
    let in_run = format!(
        r#"{{"id": "r", "metrics": {{}}, "deep": {}1{}}}"#,
        r#"{"a":"#.repeat(200),
        "}".repeat(200)
    );
    assert_syntax_everywhere("200 nested objects in a run", in_run.as_bytes());
}

#[test]
fn deep_nesting_of_arrays_is_valid_json_without_a_run() {
    // 200 levels is valid JSON: the elements that are not objects are skipped without
    // descending, so serde_json's recursion limit never applies and the answer is that the
    // batch holds no notification, naming the element.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for error in [
        parse_notification(deep.as_bytes()).unwrap_err(),
        parse_notifications(deep.as_bytes()).unwrap_err(),
    ] {
        match error {
            Error::Unrecognized { path, found, .. } => {
                assert_eq!(path, "[0]");
                assert_eq!(found, "an array of 1 element");
            }
            other => panic!("expected Unrecognized, got {other:?}"),
        }
    }
}

#[test]
fn deep_nesting_never_panics() {
    for depth in [127, 128, 129, 200, 5000] {
        for (open, close) in [("[", "]"), (r#"{"a":"#, "}")] {
            let body = format!("{}{}", open.repeat(depth), close.repeat(depth));
            let body = body.as_bytes();
            assert!(parse_notification(body).is_err(), "depth {depth}");
            assert!(parse_notifications(body).is_err(), "depth {depth}");
            assert!(parse_runs(body).is_err(), "depth {depth}");
        }
    }
}

#[test]
fn an_object_without_a_run_is_unrecognized() {
    let body = br#"{"id":"x","status":"y"}"#;
    let error = parse_notification(body).unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected a flow-run notification, found an object with keys id, status"
    );
    match error {
        Error::Unrecognized { path, found, .. } => {
            assert_eq!(path, "");
            assert_eq!(found, "an object with keys id, status");
        }
        other => panic!("expected Unrecognized, got {other:?}"),
    }
    assert_eq!(
        parse_notifications(body).unwrap_err().to_string(),
        "expected a flow-run notification, found an object with keys id, status"
    );
    assert!(matches!(parse_runs(body), Err(Error::Unrecognized { .. })));

    // `id`, `status` or `createdAt` alone make no run.
    for body in [
        &br#"{"id": "x", "createdAt": 1597213529158}"#[..],
        br#"{"status": "success"}"#,
        br#"{"metrics": "x-but-no"}"#,
    ] {
        assert!(
            parse_notification(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // A run nested in a batch names its place.
    match parse_notifications(
        br#"[{"event_id": "a", "event": {"id": "r", "metrics": {}}}, {"id": "x"}]"#,
    ) {
        Err(Error::Unrecognized { path, found, .. }) => {
            assert_eq!(path, "[1]");
            assert_eq!(found, "an object with key id");
        }
        other => panic!("expected Unrecognized, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Time and links
// ---------------------------------------------------------------------------------------------

/// `createdAt` of a bare run carrying `value`, read back as RFC 3339 (or `None`).
fn created_at(value: &str) -> Option<String> {
    let body = format!(r#"{{"id": "r", "metrics": {{}}, "createdAt": {value}}}"#);
    let runs = parse_runs(body.as_bytes()).unwrap_or_else(|e| panic!("{value}: {e}"));
    let run = &runs[0];
    // The wire value is always kept.
    let written = serde_json::to_value(run).unwrap();
    assert_eq!(
        written["createdAt"],
        serde_json::from_str::<Value>(value).unwrap(),
        "{value}"
    );
    utc_text(run)
}

#[test]
fn timestamps_read_as_documented() {
    // 13 digits are milliseconds, 10 digits seconds.
    assert_eq!(
        created_at("1597213529158").as_deref(),
        Some("2020-08-12T06:25:29.158Z")
    );
    assert_eq!(
        created_at("1590512053").as_deref(),
        Some("2020-05-26T16:54:13Z")
    );
    // 0, negative and implausible values (before 2001 in either reading) give None.
    assert_eq!(created_at("0"), None);
    assert_eq!(created_at("-1"), None);
    assert_eq!(created_at("-1597213529158"), None);
    assert_eq!(created_at("87473822"), None);
    assert_eq!(created_at("978307199"), None);
    assert_eq!(created_at("978307199999"), None);
    assert_eq!(
        created_at("978307200").as_deref(),
        Some("2001-01-01T00:00:00Z")
    );
    assert_eq!(
        created_at("978307200000").as_deref(),
        Some("2001-01-01T00:00:00Z")
    );
    // RFC 3339 strings are parsed.
    assert_eq!(
        created_at(r#""2023-09-01T00:46:54.661Z""#).as_deref(),
        Some("2023-09-01T00:46:54.661Z")
    );
    assert_eq!(
        created_at(r#""2023-09-01T02:46:54+02:00""#).as_deref(),
        Some("2023-09-01T00:46:54Z")
    );
}

#[test]
fn links_are_urls_where_they_parse_and_text_where_they_do_not() {
    let body = br#"{"id": "r", "activities": [{"id": "a",
        "fileSummary": {"extensions": {"manifest": {"fileInfo": "bucket1/not a url", "pathPrefix": "bucket1/"}}},
        "statusSummary": {"extensions": {"manifest": {
            "failedRecords": "https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=row_errors",
            "sampleErrors": "::"}}}}]}"#;
    let run = parse_runs(body).unwrap().remove(0);
    let file = run.activities[0]
        .file_summary
        .extensions
        .manifest
        .as_ref()
        .unwrap();
    let file_info = file.file_info.as_ref().unwrap();
    assert_eq!(file_info.url(), None);
    assert_eq!(file_info.as_str(), "bucket1/not a url");
    let status = run.activities[0]
        .status_summary
        .extensions
        .manifest
        .as_ref()
        .unwrap();
    let failed = status.failed_records.as_ref().unwrap().url().unwrap();
    assert_eq!(failed.host_str(), Some("platform.adobe.io"));
    assert_eq!(failed.query(), Some("path=row_errors"));
    assert_eq!(status.sample_errors.as_ref().unwrap().url(), None);

    let written = serde_json::to_value(&run).unwrap();
    let activity = &written["activities"][0];
    assert_eq!(
        activity["fileSummary"]["extensions"]["manifest"]["fileInfo"],
        "bucket1/not a url"
    );
    assert_eq!(
        activity["statusSummary"]["extensions"]["manifest"]["sampleErrors"],
        "::"
    );
    assert_eq!(
        activity["statusSummary"]["extensions"]["manifest"]["failedRecords"],
        "https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=row_errors"
    );

    // A link that is no string is a wrong type, with its path.
    let (path, _) = invalid_field(parse_runs(
        br#"{"id": "r", "metrics": {"fileSummary": {"extensions": {"manifest": {"fileInfo": 5}}}}}"#,
    ));
    assert_eq!(path, "metrics.fileSummary.extensions.manifest.fileInfo");
}

// --- Cases found in review ---------------------------------------------------------------------

#[test]
fn a_run_that_also_holds_a_list_container_is_ambiguous_not_dropped() {
    for body in [
        &br#"{"id":"r","metrics":{},"events":[]}"#[..],
        br#"{"id":"r","metrics":{},"messages":[]}"#,
        br#"{"id":"r","activities":[],"event":{"metrics":{}}}"#,
    ] {
        match parse_notifications(body).unwrap_err() {
            Error::Unrecognized { path, expected, .. } => {
                assert_eq!(path, "");
                assert!(expected.contains("one shape"), "{expected}");
            }
            other => panic!("expected Unrecognized, got {other:?}"),
        }
    }
}

#[test]
fn event_and_data_are_told_apart_whatever_their_order() {
    let cloud_event = br#"{"specversion":"1.0","type":"sources_flow_run_success","id":"c",
        "event":{"note":1},"data":{"id":"run","metrics":{}}}"#;
    let notification = parse_notification(cloud_event).unwrap();
    assert_eq!(notification.format, Format::CloudEvent);
    assert_eq!(notification.run.id.as_deref(), Some("run"));
    assert_eq!(notification.envelope["event"]["note"], 1);

    let envelope = br#"{"event_id":"e","data":{"note":2},"event":{"id":"run","metrics":{}}}"#;
    let notification = parse_notification(envelope).unwrap();
    assert_eq!(notification.format, Format::IoEvent);
    assert_eq!(notification.run.id.as_deref(), Some("run"));
    assert_eq!(notification.envelope["data"]["note"], 2);
}

/// Run field names on an envelope, beside its run, belong to the envelope: they are kept
/// there as they came, and the run is the one under `event` (or `data`).
#[test]
fn run_fields_beside_an_envelopes_run_stay_in_the_envelope() {
    let envelope =
        br#"{"event_id":"e","id":"stray","flowId":"f0","event":{"id":"run","metrics":{}}}"#;
    let notification = parse_notification(envelope).unwrap();
    assert_eq!(notification.format, Format::IoEvent);
    assert_eq!(notification.run.id.as_deref(), Some("run"));
    assert_eq!(notification.run.flow_id, None);
    assert_eq!(notification.envelope["id"], "stray");
    assert_eq!(notification.envelope["flowId"], "f0");

    let batch = br#"[{"event_id":"e1","flowId":"f1","event":{"id":"r1","metrics":{}}},
        {"event_id":"e2","event":{"id":"r2","metrics":{}}}]"#;
    let notifications = parse_notifications(batch).unwrap();
    assert_eq!(notifications[0].envelope["flowId"], "f1");
    // The first object's stray field does not carry over to the next.
    assert!(!notifications[1].envelope.contains_key("flowId"));
    assert_eq!(notifications[1].run.id.as_deref(), Some("r2"));
}

#[test]
fn id_attributes_become_fields_or_stay_where_they_stood() {
    fn keys(envelope: &aep_flow_run::Extra) -> Vec<&str> {
        envelope.keys().collect()
    }
    // An I/O event takes the first string spelling of each id; a second spelling, or an id
    // that is no string, stays in the envelope in its place.
    let body = br#"{"eventid":"x","source":"s","event_id":"e","recipientclientid":"c",
        "event":{"id":"r","metrics":{}},"recipient_client_id":7}"#;
    let notification = parse_notification(body).unwrap();
    assert_eq!(notification.event_id.as_deref(), Some("e"));
    assert_eq!(notification.recipient_client_id.as_deref(), Some("c"));
    assert_eq!(
        keys(&notification.envelope),
        ["eventid", "source", "recipient_client_id"]
    );
    assert_eq!(notification.envelope["recipient_client_id"], 7);

    // A message list keeps every attribute, ids included, in the order it came.
    let body = br#"{"type":"t","event_id":"e","source":"s","eventid":"x",
        "messages":[{"value":{"id":"r","metrics":{}}}],"subject":"u"}"#;
    let notification = parse_notification(body).unwrap();
    assert_eq!(notification.event_id, None);
    assert_eq!(
        keys(&notification.envelope),
        ["type", "event_id", "source", "eventid", "subject"]
    );
    assert_eq!(notification.envelope["eventid"], "x");

    // A bare run keeps them among its fields, and its notification has copies.
    let body = br#"{"recipient_client_id":"c","id":"r","event_id":"e","metrics":{},"time":"t"}"#;
    let notification = parse_notification(body).unwrap();
    assert_eq!(notification.event_id.as_deref(), Some("e"));
    assert_eq!(notification.recipient_client_id.as_deref(), Some("c"));
    assert_eq!(
        keys(&notification.run.extra),
        ["recipient_client_id", "event_id", "time"]
    );

    // Given twice, however each was written, an id takes its last value.
    for (body, id) in [
        (
            &br#"{"event_id":"a","event_id":"b","event":{"metrics":{}}}"#[..],
            Some("b"),
        ),
        (
            br#"{"event_id":1,"event_id":"b","event":{"metrics":{}}}"#,
            Some("b"),
        ),
        (
            br#"{"event_id":"a","event_id":null,"event":{"metrics":{}}}"#,
            None,
        ),
    ] {
        assert_eq!(parse_notification(body).unwrap().event_id.as_deref(), id);
    }
}

#[test]
fn each_batch_element_reads_as_it_would_alone() {
    // The elements of a batch are read one after the other into one scratch object, emptied
    // in place between them: nothing of one may show in the next, whatever the two shapes.
    let objects = [
        r#"{"event_id":"e1","flowId":"f1","event":{"id":"r1","metrics":{}}}"#,
        r#"{"specversion":"1.0","id":"c1","type":"t","data":{"id":"r2","metrics":{}},"event":{"id":"x"}}"#,
        r#"{"messages":[{"value":{"id":"r3","activities":[]}},{"timestamp":1,"value":{"id":"r4","metrics":{}}}],"note":["n"]}"#,
        r#"{"id":"r5","metrics":{},"event_id":"e5","data":{"k":1}}"#,
        r#"{"event":{"id":"r6","metrics":{}},"data":{"id":"d","flowId":"f"}}"#,
        r#"{"event_id":"e7","event":null,"id":"r7","activities":[{"id":"a"}]}"#,
    ];
    for first in objects {
        for second in objects {
            let alone: Vec<Notification> = [first, second]
                .iter()
                .flat_map(|object| parse_notifications(object.as_bytes()).unwrap())
                .collect();
            let batch = format!("[{first},{second}]");
            assert_eq!(
                parse_notifications(batch.as_bytes()).unwrap(),
                alone,
                "{batch}"
            );
        }
    }
}

#[test]
fn a_syntax_error_after_the_first_bad_element_is_still_a_syntax_error() {
    for body in [&br#"[{"x":1}, {"bad json"#[..], br#"{"id":"x"} trailing"#] {
        assert!(
            matches!(parse_notifications(body), Err(Error::Syntax { .. })),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn null_list_elements_are_skipped_not_invented() {
    let body = br#"{"metrics":{"fileSummary":{"activityRefs":["a",null]},
        "statusSummary":{"status":"failed","errors":[null,{"code":"133"}]}},"activities":[null]}"#;
    let run = parse_runs(body).unwrap().remove(0);
    assert_eq!(run.metrics.file_summary.activity_refs, ["a"]);
    assert!(run.activities.is_empty());
    let codes: Vec<_> = run.errors().map(|e| e.error.code.as_str()).collect();
    assert_eq!(codes, ["133"]);
}

#[test]
fn a_null_journal_position_is_no_position() {
    let body = br#"{"events":[{"position":null,"event":{"event_id":"e","event":{"metrics":{}}}}]}"#;
    assert_eq!(parse_notification(body).unwrap().journal_position, None);
}

#[test]
fn error_messages_show_a_bounded_escaped_key_list() {
    let long = "k".repeat(1000);
    let body =
        format!(r#"{{"a\nINFO forged":1,"{long}":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}}"#);
    let message = parse_notification(body.as_bytes()).unwrap_err().to_string();
    assert!(message.contains(r"a\nINFO forged"), "{message}");
    assert!(!message.contains('\n'));
    assert!(message.len() < 300, "{} bytes", message.len());
    assert!(message.ends_with(", …"), "{message}");
}

#[test]
fn implausible_rfc3339_times_give_none_like_numbers() {
    let times: Vec<Option<i64>> = [
        "1970-01-01T00:00:01Z",
        "2300-01-01T00:00:00Z",
        "2020-08-12T06:25:29.158Z",
    ]
    .into_iter()
    .map(|text| {
        serde_json::from_value::<aep_flow_run::Timestamp>(serde_json::Value::from(text))
            .unwrap()
            .to_millis()
    })
    .collect();
    assert_eq!(times, [None, None, Some(1597213529158)]);
}

#[test]
fn duration_falls_back_to_the_stop_time_and_is_never_negative() {
    let run = |summary: &str| {
        let body = format!(r#"{{"metrics":{{"durationSummary":{summary}}}}}"#);
        parse_runs(body.as_bytes())
            .unwrap()
            .remove(0)
            .duration()
            .map(|d| d.num_seconds())
    };
    assert_eq!(
        run(r#"{"startedAtUTC":1597213529000,"completedAtUTC":0,"stoppedAtUTC":1597213589000}"#),
        Some(60)
    );
    assert_eq!(
        run(r#"{"startedAtUTC":1597213589000,"completedAtUTC":1597213529000}"#),
        None
    );
}

/// A message's own fields are typed in `Notification::message`, its unknown ones kept there;
/// the list object's fields go to the envelope of each of its messages; all of it reads back.
#[test]
fn message_fields_and_list_fields() {
    let body = br#"[{"batch": 7, "messages": [
        {"msgType": "eventNotification", "schema": {"name": "run-notification", "version": "1.0", "x": 1},
         "_eventNotificationMeta": {"category": "Platform Notifications", "type": "sources_flow_run_success", "y": 2},
         "timestamp": 1597434157622, "note": "own", "value": {"id": "r1", "metrics": {}}},
        {"value": {"id": "r2", "activities": []}, "_eventNotificationMeta": null}
    ]}]"#;
    let notifications = parse_notifications(body).unwrap();
    let [first, second] = &notifications[..] else {
        panic!("expected two notifications, got {notifications:?}");
    };
    let message = first.message_info.as_ref().unwrap();
    assert_eq!(first.event_code, EventCode::FlowRunSuccess);
    assert_eq!(message.msg_type.as_deref(), Some("eventNotification"));
    assert_eq!(message.schema.as_ref().unwrap().extra["x"], 1);
    let meta = message.event_notification_meta.as_ref().unwrap();
    assert_eq!(meta.category.as_deref(), Some("Platform Notifications"));
    assert_eq!(meta.extra["y"], 2);
    assert_eq!(message.extra["note"], "own");
    assert_eq!(first.envelope["batch"], 7);
    // The second message has none of those fields; it shares the list object's.
    let message = second.message_info.as_ref().unwrap();
    assert_eq!(message.event_notification_meta, None);
    assert!(message.extra.is_empty());
    assert_eq!(second.envelope["batch"], 7);
    assert_eq!(second.event_code, EventCode::Missing);
    for notification in &notifications {
        let text = serde_json::to_string(notification).unwrap();
        assert_eq!(
            &serde_json::from_str::<Notification>(&text).unwrap(),
            notification
        );
    }
    // A repeated `timestamp` or `value` takes its last value like any repeated key.
    let twice = br#"[{"messages": [{"timestamp": 1, "timestamp": 1597434157622, "value": {"metrics": {}}}]}]"#;
    let n = parse_notification(twice).unwrap();
    assert_eq!(n.published_at.unwrap().to_string(), "1597434157622");
}

/// Values Adobe repeats in every payload borrow the crate's static copy; any other value, a
/// case variant among them, is owned exactly as it came, and both write back unchanged.
#[test]
fn well_known_values_are_borrowed_and_others_kept_as_they_came() {
    /// The value, when it is borrowed rather than owned.
    fn borrowed(value: &Option<Cow<'static, str>>) -> Option<&'static str> {
        match value {
            Some(Cow::Borrowed(text)) => Some(text),
            _ => None,
        }
    }
    let body = std::fs::read("fixtures/adobe-docs/message-list-sources-flow-run-failed.json")
        .expect("fixture");
    let notification = parse_notification(&body).unwrap();
    let message = notification.message_info.as_ref().unwrap();
    assert_eq!(borrowed(&message.msg_type), Some("eventNotification"));
    assert_eq!(borrowed(&message.version), Some("1.0"));
    assert_eq!(borrowed(&message.provider), Some("FlowService"));
    let schema = message.schema.as_ref().unwrap();
    assert_eq!(borrowed(&schema.name), Some("run-notification"));
    assert_eq!(borrowed(&schema.version), Some("1.0"));
    let meta = message.event_notification_meta.as_ref().unwrap();
    assert_eq!(borrowed(&meta.category), Some("Platform Notifications"));
    assert_eq!(borrowed(&meta.event_type), Some("sources_flow_run_failed"));
    let target = &notification.run.activities[0].target_info[0];
    assert_eq!(borrowed(&target.kind), Some("TargetConnection"));
    let reference = target.reference.as_ref().unwrap();
    assert_eq!(borrowed(&reference.kind), Some("Batch"));
    let written = serde_json::to_value(&notification).unwrap();
    assert_eq!(written["messages"][0]["provider"], "FlowService");
    assert_eq!(
        written["messages"][0]["value"]["activities"][0]["targetInfo"][0]["type"],
        "TargetConnection"
    );

    let text = String::from_utf8(body).unwrap();
    let varied = text
        .replace(r#""FlowService""#, r#""flowService""#)
        .replace(r#""TargetConnection""#, r#""Target Connection""#);
    let notification = parse_notification(varied.as_bytes()).unwrap();
    let message = notification.message_info.as_ref().unwrap();
    assert!(matches!(&message.provider, Some(Cow::Owned(text)) if text == "flowService"));
    let target = &notification.run.activities[0].target_info[0];
    assert!(matches!(&target.kind, Some(Cow::Owned(text)) if text == "Target Connection"));
    let written = serde_json::to_value(&notification).unwrap();
    assert_eq!(written["messages"][0]["provider"], "flowService");
    assert_eq!(
        written["messages"][0]["value"]["activities"][0]["targetInfo"][0]["type"],
        "Target Connection"
    );
}
