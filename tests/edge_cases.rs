//! The project's own fixtures (`fixtures/edge-cases`): the corpus runs in the delivery shapes
//! Adobe documents but gives no example of (CloudEvents, batches, journal pages, the newer id
//! field names) and a run that sends its numbers as strings.

use std::path::Path;

use aep_flow_run::{
    parse_notification, parse_notifications, parse_runs, Count, Error, ErrorCode, EventCode,
    Format, Outcome, Status,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/edge-cases")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn count(count: &Option<Count>) -> Option<u64> {
    count.as_ref().and_then(Count::get)
}

#[test]
fn cloud_event_takes_code_id_time_and_recipient_from_its_attributes() {
    let notification = parse_notification(&fixture("cloudevent-flow-run-failed.json")).unwrap();
    assert_eq!(notification.format, Format::CloudEvent);
    assert_eq!(notification.event_code, EventCode::FlowRunFailure);
    assert_eq!(
        notification.event_id.as_deref(),
        Some("4f0c4f63-5c1e-4bb2-bf4e-d25f0b3e6d8a")
    );
    assert_eq!(
        notification.recipient_client_id.as_deref(),
        Some("my-client-id")
    );
    let published = notification
        .published_at
        .as_ref()
        .unwrap()
        .to_utc()
        .unwrap();
    assert_eq!(published.timestamp_millis(), 1597434157622);
    // The attributes not promoted to fields stay in the envelope, the CloudEvent id among them
    // because `eventid` gave the event id.
    assert_eq!(notification.envelope["specversion"], "1.0");
    assert_eq!(notification.envelope["datacontenttype"], "application/json");
    assert_eq!(
        notification.envelope["id"],
        "4f0c4f63-5c1e-4bb2-bf4e-d25f0b3e6d8a"
    );
    assert!(!notification.envelope.contains_key("type"));
    assert_eq!(
        notification.run.id.as_deref(),
        Some("d9024c32-2174-4271-824c-322174627101")
    );
    assert_eq!(notification.outcome(), Outcome::Failed);
    let codes: Vec<_> = notification
        .errors()
        .map(|e| e.error.code.clone())
        .collect();
    assert_eq!(
        codes,
        [
            ErrorCode::ProcessToPlatform,
            ErrorCode::ProcessToPlatform,
            ErrorCode::Other("133".into())
        ]
    );
}

#[test]
fn newer_id_field_names_fill_the_same_fields() {
    let notification = parse_notification(&fixture("io-event-new-field-names.json")).unwrap();
    assert_eq!(notification.format, Format::IoEvent);
    assert_eq!(
        notification.event_id.as_deref(),
        Some("aec55616-1715-487f-8044-ba648cc8ffee")
    );
    assert_eq!(
        notification.recipient_client_id.as_deref(),
        Some("my-client-id")
    );
    assert!(notification.envelope.is_empty());
    assert_eq!(notification.event_code, EventCode::FlowRunSuccess);
}

#[test]
fn batch_of_mixed_shapes_gives_one_notification_per_item_in_order() {
    let body = fixture("batch-mixed-shapes.json");
    let notifications = parse_notifications(&body).unwrap();
    let summary: Vec<_> = notifications
        .iter()
        .map(|n| (n.format, n.event_code.clone(), n.is_success()))
        .collect();
    assert_eq!(
        summary,
        [
            (Format::IoEvent, EventCode::FlowRunSuccess, true),
            (Format::CloudEvent, EventCode::FlowRunFailure, false),
            (Format::BareRun, EventCode::AlertError, false),
        ]
    );
    assert_eq!(
        notifications[2].run.flow_name.as_deref(),
        Some("Dataflow - wx_medallia_export_combined.csv")
    );
    assert_eq!(
        parse_notification(&body),
        Err(Error::NotSingle { count: 3 })
    );
}

#[test]
fn journal_page_gives_each_event_with_its_position() {
    let notifications = parse_notifications(&fixture("journal-page.json")).unwrap();
    let positions: Vec<_> = notifications
        .iter()
        .map(|n| (n.journal_position.as_deref(), n.format))
        .collect();
    assert_eq!(
        positions,
        [
            (Some("rabbit:a1b2c3d4.0"), Format::IoEvent),
            (Some("rabbit:a1b2c3d4.1"), Format::CloudEvent)
        ]
    );
    assert_eq!(
        notifications[0].recipient_client_id.as_deref(),
        Some("my-client-id")
    );
}

#[test]
fn numbers_sent_as_strings_are_read_and_written_back_as_strings() {
    let body = fixture("run-numbers-as-strings.json");
    let run = parse_runs(&body).unwrap().remove(0);
    let records = &run.metrics.record_summary;
    assert_eq!(count(&records.input_record_count), Some(100));
    assert_eq!(count(&records.failed_record_count), Some(1));
    assert_eq!(count(&run.metrics.size_summary.input_bytes), Some(2048));
    assert_eq!(count(&run.metrics.size_summary.output_bytes), None);
    assert_eq!(
        run.created_at.as_ref().and_then(|t| t.to_millis()),
        Some(1597213529158)
    );
    assert_eq!(
        run.updated_at.as_ref().and_then(|t| t.to_millis()),
        Some(1597213530760)
    );
    assert_eq!(run.duration().map(|d| d.num_seconds()), Some(60));
    assert_eq!(run.status(), Some(&Status::Success));
    // One failed record in a success: partial ingestion, even without an error entry.
    assert_eq!(run.outcome(), Outcome::PartialSuccess);
    assert_eq!(run.extra["futureField"]["nested"][2], 3);

    let written = serde_json::to_value(&run).unwrap();
    assert_eq!(written["createdAt"], "1597213529158");
    assert_eq!(written["metrics"]["sizeSummary"]["inputBytes"], "2048");
    assert_eq!(written["metrics"]["sizeSummary"]["outputBytes"], -1);
    // Sent as "SUCCESS", written back as sent.
    assert_eq!(written["metrics"]["statusSummary"]["status"], "SUCCESS");
    assert!(written.get("activities").is_none());
}
