//! `parse_events` over real bodies Adobe publishes: flow runs, alerts, audit events and other
//! products' events, alone and mixed, with their round trips.

use aep_flow_run::{
    parse_events, parse_notification, parse_notifications, parse_runs, AlertStatus, Error, Event,
    EventCode, Format, Notification, Status,
};

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::every_fixture;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_published_body_gives_its_events_and_reads_back_from_what_it_writes() {
    let mut counts = [0usize; 3];
    for (name, body) in every_fixture() {
        let events = parse_events(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!events.is_empty(), "{name}");
        for event in &events {
            counts[match event {
                Event::FlowRun(_) => 0,
                Event::Alert(_) => 1,
                _ => 2,
            }] += 1;
            let written = serde_json::to_vec(event).unwrap();
            let back = parse_events(&written).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(back, std::slice::from_ref(event), "{name}");
            let through_serde: Event = serde_json::from_slice(&written).unwrap();
            assert_eq!(&through_serde, event, "{name}");
        }
        // A body of runs only gives what parse_notifications gives.
        if let Ok(notifications) = parse_notifications(&body) {
            let runs: Vec<_> = events
                .iter()
                .filter_map(Event::as_flow_run)
                .cloned()
                .collect();
            assert_eq!(runs, notifications, "{name}");
        }
    }
    assert_eq!(counts, [32, 5, 21]);
}

#[test]
fn threshold_alerts_are_typed() {
    let events = parse_events(&fixture("events/alert-profile-flow-run-delay-firing.json")).unwrap();
    let [Event::Alert(alert)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(alert.name.as_deref(), Some("profile_batch_flow_run_delay"));
    assert_eq!(alert.status, Some(AlertStatus::Firing));
    assert!(alert.is_firing());
    assert_eq!(alert.value, Some(serde_json::json!("152")));
    assert_eq!(
        alert.flow_run_id.as_deref(),
        Some("ed32fbbe-a73c-4a0b-8685-01369c8dedf5")
    );
    let created = alert.created_at.as_ref().and_then(|t| t.to_utc()).unwrap();
    assert_eq!(created.to_rfc3339(), "2023-09-05T23:59:38.867+00:00");
    let events = parse_events(&fixture("adobe-docs/not-a-run-alert-sources-delay.json")).unwrap();
    let Event::Alert(alert) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(alert.event_code, EventCode::AlertError);
    // Still no notification: parse_notifications keeps its meaning.
    assert!(matches!(
        parse_notifications(&fixture("adobe-docs/not-a-run-alert-sources-delay.json")),
        Err(Error::Unrecognized { .. })
    ));
}

#[test]
fn a_mixed_batch_loses_nothing() {
    // One flow-run envelope, one CloudEvent of another product, one alert in an envelope.
    let run =
        String::from_utf8(fixture("adobe-docs/io-event-sources-flow-run-success.json")).unwrap();
    let body = format!(
        r#"[{run},
            {{"specversion": "1.0", "type": "com.adobe.other", "id": "ce-1", "data": {{"key": "k", "value": {{}}}}}},
            {{"event_id": "al-1", "event": {{"id": "a", "status": "FIRING", "name": "delay", "message": "late"}}}}]"#
    );
    let events = parse_events(body.as_bytes()).unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.kind().as_str(), e.event_id()))
        .collect();
    assert_eq!(
        summary,
        [
            ("flow_run", Some("aec55616-1715-487f-8044-ba648cc8ffee")),
            ("other", Some("ce-1")),
            ("alert", Some("al-1")),
        ]
    );
    let Event::Other(other) = &events[1] else {
        panic!()
    };
    assert_eq!(other.event_code.as_deref(), Some("com.adobe.other"));
    assert_eq!(other.format, Format::CloudEvent);
    assert_eq!(other.element()["data"]["key"], "k");
    assert!(events[0].as_flow_run().unwrap().is_success());
    // parse_notifications keeps refusing the body, saying where.
    let error = parse_notifications(body.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("at `[1].data`"), "{error}");
}

#[test]
fn a_journal_page_of_other_products_keeps_positions() {
    let events =
        parse_events(&fixture("events/journal-aem-asset-created-two-events.json")).unwrap();
    let positions: Vec<_> = events.iter().map(Event::journal_position).collect();
    assert_eq!(
        positions,
        [
            Some("camel:5aeb25cc-1b15-4f26-a082-9c213005dba8:ff244403-ca7c-4993-bbda-3c8915ce0b32"),
            Some("moose:e7ba778b-dace-4994-96e7-da80e7125233:2159b72c-e284-4899-b572-08da250e3614"),
        ]
    );
    assert!(events.iter().all(|e| e.kind().as_str() == "other"));
}

#[test]
fn audit_events_carry_no_event_id_of_their_own() {
    // All the audit examples share one `id`: it is the audit record's, not an I/O Events id.
    let events = parse_events(&fixture("events/audit-dataset-delete.json")).unwrap();
    assert_eq!(events[0].event_id(), None);
    assert_eq!(events[0].event_code(), Some("audit_events_info"));
}

#[test]
fn adobes_streaming_alert_repeats_a_key_and_still_parses() {
    let body = fixture("events/alert-run-sources-streaming-completed.json");
    let notification = parse_notification(&body).unwrap();
    assert_eq!(
        notification.run.provider_ref_id.as_deref(),
        Some("1697576400000-1697580000000")
    );
    assert_eq!(notification.run.status(), Some(&Status::PartialSuccess));
    let run: aep_flow_run::FlowRun = serde_json::from_slice(&body).unwrap();
    assert_eq!(run, notification.run);
}

#[test]
fn post_runs_answers_are_run_lists() {
    let runs = parse_runs(&fixture("events/api-runs-create-on-demand.json")).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].id.as_deref(),
        Some("3fb0418e-1804-45d6-8d56-dd51f05c0baf")
    );
    assert_eq!(
        runs[0].etag.as_deref(),
        Some("\"1100c53e-0000-0200-0000-627138980000\"")
    );
}

#[test]
fn what_the_crate_writes_it_reads_back() {
    for name in [
        "adobe-docs/io-event-sources-flow-run-success.json",
        "adobe-docs/message-list-sources-flow-run-failed.json",
        "edge-cases/cloudevent-flow-run-failed.json",
        "edge-cases/journal-page.json",
        "edge-cases/io-event-new-field-names.json",
    ] {
        for notification in parse_notifications(&fixture(name)).unwrap() {
            let written = serde_json::to_vec(&notification).unwrap();
            assert_eq!(
                parse_notification(&written).unwrap(),
                notification,
                "{name}"
            );
            let back: Notification = serde_json::from_slice(&written).unwrap();
            assert_eq!(back, notification, "{name}");
        }
    }
    // A raw body deserialises as parse_notification reads it.
    let body = fixture("adobe-docs/io-event-sources-flow-run-success.json");
    let through_serde: Notification = serde_json::from_slice(&body).unwrap();
    assert_eq!(through_serde, parse_notification(&body).unwrap());
}

#[test]
fn bad_input_is_an_error_that_says_where() {
    assert!(matches!(
        parse_events(b"{\"a\": "),
        Err(Error::Syntax { .. })
    ));
    assert!(matches!(
        parse_events(b"42"),
        Err(Error::Unrecognized { .. })
    ));
    // A value of the wrong type in a field of a run, beside another event.
    let body = br#"[{"key": 1}, {"event_id": "e", "event": {"metrics": {"sizeSummary": {"inputBytes": true}}}}]"#;
    match parse_events(body) {
        Err(Error::InvalidField { path, .. }) => {
            assert_eq!(path, "[1].event.metrics.sizeSummary.inputBytes")
        }
        other => panic!("{other:?}"),
    }
    // ... and in an alert.
    let body = br#"[{"key": 1}, {"id": "a", "status": "FIRING", "name": "delay", "flowId": 7}]"#;
    match parse_events(body) {
        Err(Error::InvalidField { path, .. }) => assert_eq!(path, "[1].flowId"),
        other => panic!("{other:?}"),
    }
    // Another product's event may hold anything, whatever its keys.
    let body = br#"[{"id": 5, "createdAt": true, "metrics": "n/a"}, 7, "x"]"#;
    let events = parse_events(body).unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.kind().as_str() == "other"));
    assert_eq!(parse_events(b"[]").unwrap(), []);
}

/// Findings of a review, each kept as a case.
#[test]
fn an_object_of_two_shapes_is_kept_whole_not_emptied() {
    // A run beside an empty list: refused as a notification, kept whole as an event.
    for body in [
        &br#"{"messages": [], "event": {"id": "r", "metrics": {}}}"#[..],
        br#"{"events": [], "event": {"id": "r", "metrics": {}}}"#,
        br#"{"items": [], "messages": [{"value": {"metrics": {}}}]}"#,
        br#"{"specversion": "1.0", "metrics": {}}"#,
    ] {
        let text = String::from_utf8_lossy(body);
        let events = parse_events(body).unwrap_or_else(|e| panic!("{text}: {e}"));
        let [Event::Other(other)] = &events[..] else {
            panic!("{text}: {events:?}")
        };
        assert_eq!(
            other.element(),
            serde_json::from_slice::<serde_json::Value>(body).unwrap()
        );
        assert!(parse_notifications(body).is_err(), "{text}");
    }
}

#[test]
fn odd_fields_of_another_event_do_not_fail_the_body() {
    let body = br#"[{"messages": [{"version": 5, "value": {"k": 1}}]},
        {"event_id": "e", "event": {"id": "r", "metrics": {}}}]"#;
    let events = parse_events(body).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind().as_str(), "other");
    assert_eq!(events[1].event_id(), Some("e"));
}

#[test]
fn a_run_list_item_reads_back_through_serde() {
    let events = parse_events(br#"{"items": [{"id": "r1", "etag": "e"}]}"#).unwrap();
    let Event::FlowRun(notification) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(notification.format, Format::RunListItem);
    let written = serde_json::to_vec(notification).unwrap();
    let back: Notification = serde_json::from_slice(&written).unwrap();
    assert_eq!(&back, notification);
}

#[test]
fn a_repeated_key_reads_the_same_through_every_entry_point() {
    let body = br#"{"id": "a", "metrics": {"recordSummary": {"inputRecordCount": true, "inputRecordCount": 5},
        "customSummary": {"k": 1, "k": 2}}}"#;
    let run = &parse_runs(body).unwrap()[0];
    assert_eq!(run.input_records(), Some(5));
    assert_eq!(run.metrics.custom_summary["k"], 2);
    assert_eq!(parse_notification(body).unwrap().run, *run);
    assert_eq!(
        parse_events(body).unwrap()[0].as_flow_run().unwrap().run,
        *run
    );
    // A streaming `Deserialize` reads each value as it comes, so there the earlier values of
    // a repeated key must be of the right type too; the last one still wins.
    let body = br#"{"id": "a", "metrics": {"recordSummary": {"inputRecordCount": 4, "inputRecordCount": 5},
        "customSummary": {"k": 1, "k": 2}}}"#;
    let through_serde: aep_flow_run::FlowRun = serde_json::from_slice(body).unwrap();
    assert_eq!(through_serde, *run);
}

#[test]
fn journal_positions_stay_with_any_event() {
    let body =
        br#"{"events": [{"position": "p1", "event": null}, {"position": "p2", "event": "text"},
        {"position": "p3", "event": {"items": [{"id": "r"}]}}]}"#;
    let events = parse_events(body).unwrap();
    let positions: Vec<_> = events.iter().map(Event::journal_position).collect();
    assert_eq!(positions, [Some("p1"), Some("p2"), Some("p3")]);
    for event in &events {
        let written = serde_json::to_vec(event).unwrap();
        assert_eq!(parse_events(&written).unwrap(), std::slice::from_ref(event));
    }
}

/// An alert that stands on its own is read in the one pass straight from its text; serde's
/// `Deserialize` reads it through the value route. Both give the same alert and write it
/// back the same, whatever its ids, envelope-like keys, repeated keys or escapes.
#[test]
fn a_bare_alert_reads_the_same_on_both_routes() {
    const ALERT: &str = r#""status":"FIRING","name":"n","id":"i""#;
    for body in [
        format!(
            r#"{{{ALERT},"event_id":"e","recipient_client_id":"r","z":{{"b":1,"a":2,"b":3}}}}"#
        ),
        format!(r#"{{{ALERT},"event_id":5,"eventid":"e2","x":1E2,"y":-0}}"#),
        format!(r#"{{{ALERT},"eventid":"e2","event_id":"e1"}}"#),
        format!(r#"{{{ALERT},"event":null,"data":{{"k":1}},"messages":"m"}}"#),
        format!(r#"{{{ALERT},"header":{{"_adobeio":{{"eventCode":"c"}},"u":1}}}}"#),
        format!(r#"{{{ALERT},"event_id":"a","event_id":"b"}}"#),
        format!(r#"{{{ALERT},"event\u005fid":"e","s":"\u00e9\ud83d\ude00"}}"#),
        format!(r#"{{{ALERT},"metrics":{{"foo":1}},"items":{{}}}}"#),
        r#"{"status":"BOGUS","name":"n","status":"FIRING"}"#.to_owned(),
    ] {
        for text in [body.clone(), format!("[{body}, {body}]")] {
            let one_pass = parse_events(text.as_bytes()).unwrap();
            let through_serde: Vec<Event> = match text.starts_with('[') {
                true => serde_json::from_str(&text).unwrap(),
                false => vec![serde_json::from_str(&text).unwrap()],
            };
            assert!(matches!(one_pass[0], Event::Alert(_)), "{text}");
            assert_eq!(one_pass, through_serde, "{text}");
            assert_eq!(
                serde_json::to_string(&one_pass).unwrap(),
                serde_json::to_string(&through_serde).unwrap(),
                "{text}"
            );
        }
    }
}

/// Another event keeps its element as it came on both routes, a repeated key included.
#[test]
fn another_event_with_a_repeated_key_reads_the_same_on_both_routes() {
    for body in [
        r#"{"a":1,"a":2}"#,
        r#"{"a":{"x":1,"x":2},"b":{"d":1,"c":2}}"#,
    ] {
        let one_pass = parse_events(body.as_bytes()).unwrap();
        let through_serde: Event = serde_json::from_str(body).unwrap();
        assert_eq!(one_pass, [through_serde], "{body}");
        assert_eq!(serde_json::to_string(&one_pass[0]).unwrap(), body);
    }
}
