//! The everyday questions, each one call: status, times, duration, counts, totals, errors
//! once per problem, codes by their wire names.

use aep_flow_run::{
    parse_notification, parse_runs, Count, CountTotal, ErrorCode, ErrorSite, Outcome, Status,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn a_notification_answers_the_everyday_questions_in_one_call() {
    let n = parse_notification(&fixture(
        "adobe-docs/io-event-sources-flow-run-success.json",
    ))
    .unwrap();
    // Before: n.run.metrics.record_summary.input_record_count.as_ref().and_then(|c| c.get())
    assert_eq!(n.input_records(), Some(100));
    assert_eq!(n.output_records(), Some(70));
    assert_eq!(n.failed_records(), None);
    assert_eq!(
        (n.input_bytes(), n.output_bytes()),
        (Some(2048), Some(1024))
    );
    assert_eq!((n.input_files(), n.output_files()), (Some(10), Some(10)));
    assert_eq!(n.status(), Some(&Status::Success));
    // Adobe's own example carries epoch seconds.
    assert_eq!(
        n.started_at().unwrap().to_rfc3339(),
        "2020-05-26T16:54:13+00:00"
    );
    assert_eq!(n.completed_at(), n.started_at());
    assert_eq!(n.duration().unwrap().num_seconds(), 0);
    assert_eq!(n.run.input_records(), n.input_records());
}

#[test]
fn unknown_counts_never_print_as_numbers_and_totals_say_what_they_miss() {
    let body = fixture("adobe-docs/message-list-sources-flow-run-failed.json");
    let n = parse_notification(&body).unwrap();
    let bytes = n.run.metrics.size_summary.input_bytes.as_ref().unwrap();
    assert!(bytes.is_unknown());
    assert_eq!(bytes.to_string(), "unknown");
    assert_eq!(bytes.wire().to_string(), "-1");
    assert_eq!(n.input_bytes(), None);
    assert_eq!(Count::default(), Count::UNKNOWN);

    // A total over a run list and one unknown count: never 349 for "350 and one unknown".
    let runs = parse_runs(&fixture(
        "adobe-docs/api-runs-destination-batch-success.json",
    ))
    .unwrap();
    let mut total: CountTotal = runs
        .iter()
        .map(|run| run.metrics.record_summary.input_record_count.as_ref())
        .collect();
    assert_eq!(total.known, 7_823_447);
    assert!(total.is_complete());
    total.add(Some(&Count::UNKNOWN));
    assert_eq!(total.to_string(), "7823447 (+1 unknown)");
}

#[test]
fn errors_come_once_per_problem() {
    let n = parse_notification(&fixture("adobe-docs/alert-run-sources-failure.json")).unwrap();
    let all: Vec<_> = n.errors().collect();
    let problems = n.distinct_errors();
    assert!(all.len() > problems.len(), "{} entries", all.len());
    let codes: Vec<_> = problems.iter().map(|p| p.error.code.as_str()).collect();
    assert_eq!(codes, ["CONNECTOR-1001-500", "2200"]);
    // The run repeats its activity's copy error, with or without a final period.
    let copy = &problems[0];
    assert_eq!(copy.occurrences(), 2);
    assert_eq!(copy.found[0].activity_index, None);
    assert_eq!(copy.found[1].activity_index, Some(0));
    assert_eq!(copy.found[0].site, ErrorSite::Status);
    assert_eq!(
        problems.iter().map(|p| p.occurrences()).sum::<usize>(),
        all.len()
    );
}

#[test]
fn error_codes_go_by_their_wire_names_too() {
    assert_eq!(ErrorCode::CONNECTOR_1001_500, ErrorCode::CopyFromSource);
    assert_eq!(ErrorCode::CONNECTOR_2001_500.as_str(), "CONNECTOR-2001-500");
    let code: ErrorCode = "CONNECTOR-1001-500".parse().unwrap();
    assert!(matches!(code, ErrorCode::CONNECTOR_1001_500));
}

#[test]
fn a_failure_on_either_side_is_a_failure() {
    let body = br#"{"event_id": "e", "event": {"metrics": {"statusSummary": {"status": "failed"}},
        "header": {"_adobeio": {"eventCode": "sources_flow_run_success"}}}}"#;
    let n = parse_notification(body).unwrap();
    assert_eq!(n.outcome(), Outcome::Failed);
    let body = br#"{"event_id": "e", "event": {"metrics": {"statusSummary": {"status": "success"}},
        "header": {"_adobeio": {"eventCode": "sources_flow_run_failed"}}}}"#;
    assert_eq!(parse_notification(body).unwrap().outcome(), Outcome::Failed);
    let body = br#"{"event_id": "e", "event": {"metrics": {},
        "header": {"_adobeio": {"eventCode": "sources_flow_run_success"}}}}"#;
    assert_eq!(
        parse_notification(body).unwrap().outcome(),
        Outcome::Success
    );
}
