//! Events told apart by what Adobe's documents say they are, not by their shape: real bodies
//! that look like a run list, a run, an alert or a CloudEvent without being one (see
//! `fixtures/published/README.md`), and what each gives.

use aep_flow_run::{
    parse_events, parse_notification, parse_notifications, parse_runs, Event, Format, OtherEvent,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The one event of a body, which must be another event.
fn the_other_event(body: &[u8]) -> OtherEvent {
    let events = parse_events(body).unwrap();
    match &events[..] {
        [Event::Other(other)] => other.clone(),
        _ => panic!("{events:?}"),
    }
}

#[test]
fn a_flow_service_flow_in_a_list_is_no_run() {
    let body = fixture("published/other-flow-service-get-flow.json");
    let flow = the_other_event(&body);
    assert_eq!(flow.format, Format::RunListItem);
    assert_eq!(
        flow.element()["flowSpec"]["id"],
        "14518937-270c-4525-bdec-c2ba7cce3860"
    );
    assert_eq!(flow.element()["lastRunDetails"]["state"], "success");
    let error = parse_runs(&body).unwrap_err().to_string();
    assert!(
        error.contains("expected a flow run at `items[0]`"),
        "{error}"
    );
    assert!(parse_notifications(&body).is_err());
    // Written back as the list of one it came in, the flow's text as it came.
    let written = serde_json::to_string(&flow).unwrap();
    assert!(written.starts_with(r#"{"items":[{"#), "{written}");
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.contains(flow.element_text()));
}

#[test]
fn a_destination_configuration_is_no_alert_and_no_run() {
    let body = fixture("published/other-destination-sdk-configuration.json");
    let configuration = the_other_event(&body);
    assert_eq!(configuration.element()["status"], "TEST");
    assert_eq!(configuration.element()["name"], "Moviestar");
    assert_eq!(configuration.format, Format::BareRun);
    let list = fixture("published/other-destination-sdk-configuration-list.json");
    let item = the_other_event(&list);
    assert_eq!(item.format, Format::RunListItem);
    assert_eq!(item.element(), configuration.element());
    assert!(parse_runs(&list).is_err());
}

#[test]
fn a_segmentation_job_with_metrics_of_its_own_is_no_run() {
    let body = fixture("published/other-segment-job.json");
    let job = the_other_event(&body);
    assert_eq!(job.element()["status"], "SUCCEEDED");
    assert_eq!(
        job.element()["metrics"]["totalTime"]["startTimeInMs"],
        1579304313411u64
    );
    assert!(parse_notification(&body).is_err());
    assert!(parse_runs(&body).is_err());
}

#[test]
fn a_flow_service_patch_answer_is_no_run() {
    let body = fixture("published/other-flow-service-patch-flow.json");
    let answer = the_other_event(&body);
    assert_eq!(
        answer.element()["id"],
        "2edc08ac-4df5-4fe6-936f-81a19ce92f5c"
    );
    // Only an item of a run list is a run by carrying run fields alone.
    assert!(parse_runs(&body).is_err());
    let as_list = format!(r#"{{"items": [{}]}}"#, std::str::from_utf8(&body).unwrap());
    assert_eq!(parse_runs(as_list.as_bytes()).unwrap().len(), 1);
}

#[test]
fn a_cloud_event_is_one_whatever_its_data_holds() {
    let body = fixture("published/cloudevent-java-sdk-string-data.json");
    let event = the_other_event(&body);
    assert_eq!(event.format, Format::CloudEvent);
    assert_eq!(
        event.event_id.as_deref(),
        Some("0b3f509d-d5b5-46e0-8c56-c9902d9d361f")
    );
    assert_eq!(
        event.event_code.as_deref(),
        Some("com.adobe.events.egqa.code1")
    );
    for data in [r#""data": [1, 2], "#, r#""data": null, "#, ""] {
        let body = format!(
            r#"{{"specversion": "1.0", "id": "ce-1", {data}"type": "com.example.t", "source": "urn:s", "eventid": "io-1"}}"#
        );
        let event = the_other_event(body.as_bytes());
        assert_eq!(event.format, Format::CloudEvent, "{body}");
        // The I/O Events id comes first, as for a run.
        assert_eq!(event.event_id.as_deref(), Some("io-1"), "{body}");
        assert_eq!(event.event_code.as_deref(), Some("com.example.t"), "{body}");
    }
}

#[test]
fn ids_are_written_back_under_the_names_they_came_in() {
    let body = fixture("edge-cases/io-event-new-field-names.json");
    let notification = parse_notification(&body).unwrap();
    let written = serde_json::to_value(&notification).unwrap();
    assert_eq!(
        written["eventid"],
        notification.event_id.as_deref().unwrap()
    );
    assert!(written.get("event_id").is_none(), "{written}");
    assert!(written.get("recipientclientid").is_some(), "{written}");
    assert!(written.get("recipient_client_id").is_none(), "{written}");
}

#[test]
fn a_journal_entrys_other_members_are_kept() {
    let body = fixture("events/journal-sdk-sample-response.json");
    let entry = the_other_event(&body);
    assert_eq!(entry.journal_entry["body"], "json_payload");
    let written = serde_json::to_value(&entry).unwrap();
    assert_eq!(written["events"][0]["body"], "json_payload");
    assert_eq!(
        written["events"][0]["position"],
        "cursor_position_of_this_event"
    );
    // A run's entry keeps them too, on both routes.
    let page = br#"{"events": [{"position": "p1", "event": {"event_id": "e", "event": {"id": "r", "metrics": {}}}, "body": {"b": 1, "a": 2}}]}"#;
    for notification in [
        parse_notification(page).unwrap(),
        parse_events(page).unwrap()[0]
            .as_flow_run()
            .unwrap()
            .clone(),
    ] {
        assert_eq!(notification.journal_entry["body"]["b"], 1);
        let written = serde_json::to_string(&notification).unwrap();
        assert!(written.contains(r#""body":{"b":1,"a":2}"#), "{written}");
    }
}

#[test]
fn another_event_is_written_back_as_it_came() {
    let body = fixture("events/audit-dataset-delete.json");
    let event = the_other_event(&body);
    let written = serde_json::to_string(&event).unwrap();
    assert_eq!(written, std::str::from_utf8(&body).unwrap().trim_end());
}
