//! Every payload of the corpus (`fixtures/adobe-docs/*.json`), read with the real values it
//! carries: ids, codes, counts, times, links and errors, as the file name says it must be read.

use std::path::Path;

use aep_flow_run::{
    parse_notification, parse_notifications, parse_runs, Activity, Count, Error, ErrorCode,
    EventCode, FlowRun, Format, Link, Notification, Outcome, Status, Timestamp,
};
use chrono::{SecondsFormat, TimeDelta};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/adobe-docs")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The one notification of a fixture, after checking that both entry points agree on it.
fn single(name: &str) -> Notification {
    let body = fixture(name);
    let one = parse_notification(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
    let all = parse_notifications(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(all.len(), 1, "{name}: one notification expected");
    assert_eq!(
        all[0], one,
        "{name}: parse_notification and parse_notifications disagree"
    );
    one
}

fn runs(name: &str) -> Vec<FlowRun> {
    let body = fixture(name);
    parse_runs(&body).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn count(c: &Option<Count>) -> Option<u64> {
    c.as_ref().and_then(Count::get)
}

/// The wire value of a count, as serialisation writes it back.
fn count_wire(c: &Option<Count>) -> serde_json::Value {
    serde_json::to_value(c.as_ref().expect("count present")).unwrap()
}

/// The wire value of a timestamp, as serialisation writes it back.
fn wire(t: &Option<Timestamp>) -> serde_json::Value {
    serde_json::to_value(t.as_ref().expect("timestamp present")).unwrap()
}

fn utc(t: &Option<Timestamp>) -> Option<String> {
    t.as_ref()
        .expect("timestamp present")
        .to_utc()
        .map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn link_host(link: &Option<Link>) -> Option<String> {
    link.as_ref()
        .expect("link present")
        .url()
        .expect("link parses as a URL")
        .host_str()
        .map(str::to_owned)
}

fn ids(activities: &[Activity]) -> Vec<&str> {
    activities
        .iter()
        .map(|a| a.id.as_deref().expect("activity id"))
        .collect()
}

fn names(activities: &[Activity]) -> Vec<Option<&str>> {
    activities.iter().map(|a| a.name.as_deref()).collect()
}

/// `(path, code, activity id)` of every error the run carries.
fn error_list(run: &FlowRun) -> Vec<(String, ErrorCode, Option<String>)> {
    run.errors()
        .map(|found| {
            (
                found.path(),
                found.error.code.clone(),
                found.activity_id.map(str::to_owned),
            )
        })
        .collect()
}

fn other(code: &str) -> ErrorCode {
    ErrorCode::Other(code.to_owned())
}

fn expect_unrecognized(result: Result<impl std::fmt::Debug, Error>) -> (String, String) {
    match result {
        Err(Error::Unrecognized { path, found, .. }) => (path, found),
        other => panic!("expected Error::Unrecognized, got {other:?}"),
    }
}

const ALL_FIXTURES: &[&str] = &[
    "alert-run-identity-start.json",
    "alert-run-identity-success.json",
    "alert-run-sources-failure.json",
    "alert-run-sources-start.json",
    "alert-run-sources-success.json",
    "api-runs-dataflow-named-activities.json",
    "api-runs-destination-batch-failure.json",
    "api-runs-destination-batch-success.json",
    "api-runs-sources-success-with-errors.json",
    "io-event-sources-flow-run-success-2020.json",
    "io-event-sources-flow-run-success.json",
    "message-list-sources-flow-run-failed.json",
    "not-a-run-alert-error-rate.json",
    "not-a-run-alert-sources-delay.json",
    "not-a-run-io-event-ingestion-load-failure.json",
];

/// Every corpus file has a test below: a new file must get one.
#[test]
fn every_fixture_is_covered() {
    let mut found: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/adobe-docs exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    found.sort();
    assert_eq!(found, ALL_FIXTURES);
}

/// Every file behaves as its name prefix says.
#[test]
fn every_fixture_is_handled_as_its_prefix_says() {
    for name in ALL_FIXTURES {
        let body = fixture(name);
        if name.starts_with("io-event-")
            || name.starts_with("alert-run-")
            || name.starts_with("message-list-")
        {
            let notifications = parse_notifications(&body).unwrap();
            assert_eq!(notifications.len(), 1, "{name}");
            assert!(notifications[0].run.id.is_some(), "{name}: run without id");
        } else if name.starts_with("api-runs-") {
            let runs = parse_runs(&body).unwrap();
            let items = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["items"]
                .as_array()
                .unwrap()
                .len();
            assert_eq!(runs.len(), items, "{name}");
        } else if name.starts_with("not-a-run-") {
            expect_unrecognized(parse_notification(&body));
            expect_unrecognized(parse_notifications(&body));
            expect_unrecognized(parse_runs(&body));
        } else {
            panic!("unexpected fixture prefix: {name}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// io-event-*
// ---------------------------------------------------------------------------------------------

/// What the current and the 2020 revision of the success event share.
fn check_io_event_success(n: &Notification, ims_org: &str, provider: &str, file_host: &str) {
    assert_eq!(
        n.event_id.as_deref(),
        Some("aec55616-1715-487f-8044-ba648cc8ffee")
    );
    assert_eq!(n.event_code, EventCode::FlowRunSuccess);
    assert_eq!(n.event_code.as_str(), "sources_flow_run_success");
    assert_eq!(n.format, Format::IoEvent);
    assert_eq!(n.recipient_client_id, None);
    assert_eq!(n.journal_position, None);
    assert!(n.is_success());
    assert_eq!(n.outcome(), Outcome::Success);

    let run = &n.run;
    assert_eq!(
        run.id.as_deref(),
        Some("933cf9f4-cf01-4d75-bcf9-f4cf010d750a")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("1c6f1047-dcaf-48fe-af10-47dcaf08feaf")
    );
    assert_eq!(run.flow_name, None);
    assert_eq!(run.sandbox_name.as_deref(), Some("prod"));
    assert_eq!(
        run.sandbox_id.as_deref(),
        Some("7127a4f0-def8-11e9-83ce-e79494b1c2a5")
    );
    assert_eq!(run.ims_org_id.as_deref(), Some(ims_org));
    assert_eq!(run.provider_ref_id.as_deref(), Some("test1234"));
    assert_eq!(
        run.etag.as_deref(),
        Some("\"5100ec97-0000-0200-0000-5f338b5b0000\"")
    );
    assert_eq!(run.created_by.as_deref(), Some("{CREATED_BY}"));
    assert_eq!(run.updated_by.as_deref(), Some("{UPDATED_BY}"));
    assert_eq!(run.created_client.as_deref(), Some("{CREATED_CLIENT}"));
    assert_eq!(run.updated_client.as_deref(), Some("{UPDATED_CLIENT}"));

    assert_eq!(wire(&run.created_at), json!(1597213529158u64));
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2020-08-12T06:25:29.158Z")
    );
    assert_eq!(wire(&run.updated_at), json!(1597213530760u64));
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2020-08-12T06:25:30.760Z")
    );

    // Unknown run fields are kept; `header` is modelled.
    assert_eq!(run.extra.len(), 3);
    assert_eq!(run.extra["slaCreatedAt"], json!(1597213531124u64));
    assert_eq!(run.extra["processStartTime"], json!(1597213531213u64));
    assert_eq!(run.extra["transformedTime"], json!(1597213531214u64));
    assert!(!run.extra.contains_key("header"));
    let adobeio = run.header.as_ref().unwrap().adobeio.as_ref().unwrap();
    assert_eq!(adobeio.ims_org_id.as_deref(), Some(ims_org));
    assert_eq!(adobeio.provider_metadata.as_deref(), Some(provider));
    assert_eq!(
        adobeio.event_code.as_deref(),
        Some("sources_flow_run_success")
    );
    assert_eq!(run.header_event_code(), Some("sources_flow_run_success"));

    // Metrics: the 10-digit seconds of Adobe's example.
    let m = &run.metrics;
    assert_eq!(wire(&m.duration_summary.started_at_utc), json!(1590512053));
    assert_eq!(
        utc(&m.duration_summary.started_at_utc).as_deref(),
        Some("2020-05-26T16:54:13Z")
    );
    assert_eq!(
        utc(&m.duration_summary.completed_at_utc).as_deref(),
        Some("2020-05-26T16:54:13Z")
    );
    assert_eq!(run.duration(), Some(TimeDelta::zero()));
    assert_eq!(count(&m.size_summary.input_bytes), Some(2048));
    assert_eq!(count(&m.size_summary.output_bytes), Some(1024));
    assert_eq!(count(&m.record_summary.input_record_count), Some(100));
    assert_eq!(count(&m.record_summary.output_record_count), Some(70));
    assert_eq!(m.record_summary.failed_record_count, None);
    assert_eq!(count(&m.file_summary.input_file_count), Some(10));
    assert_eq!(count(&m.file_summary.output_file_count), Some(10));
    assert_eq!(m.status_summary.status, Some(Status::Success));
    assert_eq!(run.status(), Some(&Status::Success));
    assert!(m.status_summary.errors.is_empty());
    assert_eq!(run.errors().count(), 0);
    assert_eq!(run.outcome(), Outcome::Success);

    // Activities.
    assert_eq!(run.activities.len(), 2);
    assert_eq!(ids(&run.activities), ["copyActivity", "promotionActivity"]);
    assert_eq!(names(&run.activities), [None, None]);

    let copy = &run.activities[0];
    assert_eq!(wire(&copy.updated_at_utc), json!(87473822));
    assert_eq!(
        utc(&copy.updated_at_utc),
        None,
        "87473822 is no plausible time"
    );
    assert_eq!(
        utc(&copy.duration_summary.started_at_utc).as_deref(),
        Some("2020-05-26T16:54:13Z")
    );
    assert_eq!(count(&copy.size_summary.input_bytes), Some(2048));
    assert_eq!(count(&copy.size_summary.output_bytes), Some(1098));
    assert_eq!(count(&copy.record_summary.input_record_count), Some(100));
    assert_eq!(count(&copy.record_summary.output_record_count), Some(100));
    assert_eq!(count(&copy.file_summary.input_file_count), Some(10));
    assert_eq!(copy.status(), Some(&Status::Success));
    let ext = &copy.status_summary.extensions;
    assert_eq!(ext.batch_id, None);
    assert_eq!(ext.error_detail, None);
    assert_eq!(ext.extra.len(), 2);
    assert_eq!(ext.extra["adf/pipeline/id"], "abcd");
    assert_eq!(ext.extra["adf/run/id"], "1234");
    assert!(ext.extra.get("adf/pipeline/id").is_some());
    assert_eq!(copy.source_info.len(), 1);
    assert!(copy.target_info.is_empty());
    let source = &copy.source_info[0];
    assert_eq!(source.id.as_deref(), Some("sourceConnectionId1"));
    assert_eq!(source.kind.as_deref(), Some("SourceConnection"));
    let reference = source.reference.as_ref().unwrap();
    assert_eq!(reference.kind.as_deref(), Some("AdfRunId"));
    assert!(reference.ids.is_empty());

    let promotion = &run.activities[1];
    assert_eq!(utc(&promotion.updated_at_utc), None);
    assert_eq!(promotion.duration_summary.started_at_utc, None);
    assert_eq!(
        wire(&promotion.duration_summary.completed_at_utc),
        json!(1590512053)
    );
    assert_eq!(count(&promotion.size_summary.input_bytes), Some(1098));
    assert_eq!(count(&promotion.size_summary.output_bytes), Some(1024));
    assert_eq!(promotion.record_summary.input_record_count, None);
    assert_eq!(count(&promotion.file_summary.output_file_count), Some(10));
    let manifest = promotion.file_summary.extensions.manifest.as_ref().unwrap();
    assert_eq!(link_host(&manifest.file_info).as_deref(), Some(file_host));
    let url = manifest.file_info.as_ref().unwrap().url().unwrap();
    assert_eq!(
        url.path(),
        "/data/foundation/export/batches/01E4TSJNM2H5M74J0XB8MFWDHK/meta"
    );
    assert_eq!(url.query(), Some("path=input_files"));
    assert_eq!(manifest.failed_records, None);
    let ext = &promotion.status_summary.extensions;
    assert_eq!(ext.batch_id.as_deref(), Some("b1"));
    assert_eq!(ext.extra.len(), 1);
    assert_eq!(ext.extra["acp_request_id"], "1234");
    assert!(promotion.source_info.is_empty());
    let target = &promotion.target_info[0];
    assert_eq!(target.id.as_deref(), Some("targetConnectionId1"));
    assert_eq!(target.kind.as_deref(), Some("TargetConnection"));
    assert_eq!(
        target.reference.as_ref().unwrap().kind.as_deref(),
        Some("batch")
    );
}

#[test]
fn io_event_sources_flow_run_success() {
    let n = single("io-event-sources-flow-run-success.json");
    check_io_event_success(
        &n,
        "{ORG_ID}",
        "platform_notifications",
        "platform.adobe.io",
    );
}

#[test]
fn io_event_sources_flow_run_success_2020() {
    let n = single("io-event-sources-flow-run-success-2020.json");
    check_io_event_success(
        &n,
        "{IMS_ORG}",
        "aep_observability_catalog_events",
        "platform-int.adobe.io",
    );
}

// ---------------------------------------------------------------------------------------------
// message-list-*
// ---------------------------------------------------------------------------------------------

#[test]
fn message_list_sources_flow_run_failed() {
    let body = fixture("message-list-sources-flow-run-failed.json");
    let all = parse_notifications(&body).unwrap();
    assert_eq!(all.len(), 1);
    let n = parse_notification(&body).unwrap();
    assert_eq!(all[0], n);

    assert_eq!(n.format, Format::Message);
    assert_eq!(n.event_code, EventCode::FlowRunFailure);
    assert_eq!(n.event_code.as_str(), "sources_flow_run_failed");
    assert_eq!(wire(&n.published_at), json!(1597434157622u64));
    assert_eq!(
        utc(&n.published_at).as_deref(),
        Some("2020-08-14T19:42:37.622Z")
    );
    assert_eq!(n.recipient_client_id, None);
    // The message's own fields are typed; the list object has no other field to share.
    assert!(n.envelope.is_empty(), "{:?}", n.envelope);
    let message = n.message_info.as_ref().unwrap();
    assert_eq!(message.provider.as_deref(), Some("FlowService"));
    assert_eq!(message.msg_type.as_deref(), Some("eventNotification"));
    assert_eq!(message.version.as_deref(), Some("1.0"));
    assert_eq!(message.ims_org_id.as_deref(), Some("{ORG_ID}"));
    let schema = message.schema.as_ref().unwrap();
    assert_eq!(schema.name.as_deref(), Some("run-notification"));
    assert_eq!(schema.version.as_deref(), Some("1.0"));
    let meta = message.event_notification_meta.as_ref().unwrap();
    assert_eq!(meta.category.as_deref(), Some("Platform Notifications"));
    assert_eq!(meta.event_type.as_deref(), Some("sources_flow_run_failed"));
    assert!(message.extra.is_empty());
    assert!(!n.is_success());
    assert_eq!(n.outcome(), Outcome::Failed);

    let run = &n.run;
    assert_eq!(
        run.id.as_deref(),
        Some("d9024c32-2174-4271-824c-322174627101")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("cf4fce79-8822-456d-8fce-798822556dc6")
    );
    assert_eq!(run.flow_name, None);
    assert_eq!(run.sandbox_name.as_deref(), Some("prod"));
    assert_eq!(
        run.sandbox_id.as_deref(),
        Some("e49ebb00-d0fa-11e9-b164-ed6a398c8b35")
    );
    assert_eq!(run.ims_org_id.as_deref(), Some("{ORG_ID}"));
    assert_eq!(run.provider_ref_id, None);
    assert_eq!(
        run.etag.as_deref(),
        Some("\"0c003dbf-0000-0200-0000-5f36e92d0000\"")
    );
    assert_eq!(wire(&run.created_at), json!(1597434147259u64));
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2020-08-14T19:42:27.259Z")
    );
    assert_eq!(wire(&run.updated_at), json!(1597434157567u64));
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2020-08-14T19:42:37.567Z")
    );
    assert!(run.header.is_none());
    assert!(run.extra.is_empty());

    // Metrics: `-1` is unknown, never a number to sum.
    let m = &run.metrics;
    assert_eq!(
        utc(&m.duration_summary.started_at_utc).as_deref(),
        Some("2020-08-14T19:42:27.190Z")
    );
    assert_eq!(m.duration_summary.completed_at_utc, None);
    assert_eq!(run.duration(), None);
    let input_bytes = m.size_summary.input_bytes.as_ref().unwrap();
    assert_eq!(input_bytes.get(), None);
    assert!(input_bytes.is_unknown());
    assert_eq!(count_wire(&m.size_summary.input_bytes), json!(-1));
    let input_files = m.file_summary.input_file_count.as_ref().unwrap();
    assert_eq!(input_files.get(), None);
    assert!(input_files.is_unknown());
    assert_eq!(m.record_summary.input_record_count, None);
    assert_eq!(m.status_summary.status, Some(Status::Failed));
    assert_eq!(m.status_summary.errors.len(), 1);
    let run_error = &m.status_summary.errors[0];
    assert_eq!(run_error.code, ErrorCode::ProcessToPlatform);
    assert_eq!(run_error.code.as_str(), "CONNECTOR-2001-500");
    assert_eq!(
        run_error.message.as_deref(),
        Some("Error in processing (parsing, validation or transformation) the copied data.")
    );
    assert_eq!(
        run_error.code.description(),
        Some("Error while copied data is processed to Platform (parsing, validation or transformation).")
    );
    assert_eq!(run.outcome(), Outcome::Failed);

    // The activity.
    assert_eq!(ids(&run.activities), ["promotionActivity"]);
    assert_eq!(names(&run.activities), [None]);
    let a = &run.activities[0];
    assert_eq!(wire(&a.updated_at_utc), json!(1597434157529u64));
    assert_eq!(
        utc(&a.updated_at_utc).as_deref(),
        Some("2020-08-14T19:42:37.529Z")
    );
    assert_eq!(
        a.duration_summary.duration(),
        Some(TimeDelta::milliseconds(1597434157212 - 1597434147190))
    );
    assert!(a.size_summary.input_bytes.as_ref().unwrap().is_unknown());
    assert!(a
        .file_summary
        .input_file_count
        .as_ref()
        .unwrap()
        .is_unknown());
    let manifest = a.file_summary.extensions.manifest.as_ref().unwrap();
    assert_eq!(
        link_host(&manifest.file_info).as_deref(),
        Some("platform-stage.adobe.io")
    );
    assert_eq!(a.status(), Some(&Status::Failed));
    assert_eq!(a.status_summary.errors.len(), 1);
    assert_eq!(
        a.status_summary.errors[0].code,
        ErrorCode::ProcessToPlatform
    );
    let ext_errors = &a.status_summary.extensions.errors;
    assert_eq!(ext_errors.len(), 1);
    assert_eq!(ext_errors[0].code, other("133"));
    assert_eq!(ext_errors[0].code.parts(), None);
    assert_eq!(ext_errors[0].code.description(), None);
    assert_eq!(
        ext_errors[0].message.as_deref(),
        Some("We are unable to locate any files uploaded for this batch. Please upload files to ingest.")
    );
    let target = &a.target_info[0];
    assert_eq!(
        target.id.as_deref(),
        Some("e88737aa-27b8-4795-8737-aa27b8f7959e")
    );
    let reference = target.reference.as_ref().unwrap();
    assert_eq!(reference.kind.as_deref(), Some("Batch"));
    assert_eq!(reference.ids, ["6f6a900f-e40d-4f0e-9bb9-b614436c3465"]);

    // Every error, once, with where it stands.
    assert_eq!(
        error_list(run),
        [
            (
                "metrics.statusSummary.errors[0]".to_owned(),
                ErrorCode::ProcessToPlatform,
                None
            ),
            (
                "activities[0].statusSummary.errors[0]".to_owned(),
                ErrorCode::ProcessToPlatform,
                Some("promotionActivity".to_owned())
            ),
            (
                "activities[0].statusSummary.extensions.errors[0]".to_owned(),
                other("133"),
                Some("promotionActivity".to_owned())
            ),
        ]
    );
    assert_eq!(n.errors().count(), 3);
    assert_eq!(
        run.error_codes(),
        [&ErrorCode::ProcessToPlatform, &other("133")]
    );
}

// ---------------------------------------------------------------------------------------------
// alert-run-*
// ---------------------------------------------------------------------------------------------

fn check_alert_header(run: &FlowRun, ims_org: &str, code: &str) {
    let adobeio = run.header.as_ref().unwrap().adobeio.as_ref().unwrap();
    assert_eq!(adobeio.ims_org_id.as_deref(), Some(ims_org));
    assert_eq!(
        adobeio.provider_metadata.as_deref(),
        Some("aep_observability_catalog_events")
    );
    assert_eq!(adobeio.event_code.as_deref(), Some(code));
    assert_eq!(run.ims_org_id.as_deref(), Some(ims_org));
    assert_eq!(
        run.created_by.as_deref(),
        Some("acp_foundation_connectors@AdobeID")
    );
    assert_eq!(
        run.updated_client.as_deref(),
        Some("acp_foundation_connectors")
    );
}

#[test]
fn alert_run_identity_start() {
    let n = single("alert-run-identity-start.json");
    assert_eq!(n.format, Format::BareRun);
    assert_eq!(n.event_id, None);
    assert_eq!(
        n.event_code,
        EventCode::Other("identity_ingestion_info".to_owned())
    );
    assert_eq!(n.event_code.as_str(), "identity_ingestion_info");
    // An info code says nothing: the status (in progress) does.
    assert!(!n.is_success());
    assert_eq!(n.outcome(), Outcome::Pending);

    let run = &n.run;
    assert_eq!(
        run.id.as_deref(),
        Some("3c41c35b-d11e-40f1-9566-a5e762c28b59")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("ab14a8fe-52f9-4ef9-91fc-fd8f4d7087bc")
    );
    assert_eq!(run.flow_name.as_deref(), Some("Datalake to UIS Flow"));
    assert_eq!(run.sandbox_name.as_deref(), Some("prod"));
    assert_eq!(
        run.provider_ref_id.as_deref(),
        Some("64f22aaf0b0eba2866deff2a")
    );
    check_alert_header(
        run,
        "91A31FD26373ECA90A495C89@AdobeOrg",
        "identity_ingestion_info",
    );
    assert_eq!(wire(&run.created_at), json!(1693592240366u64));
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2023-09-01T18:17:20.366Z")
    );
    assert_eq!(utc(&run.updated_at), utc(&run.created_at));
    assert_eq!(run.status(), Some(&Status::InProgress));
    assert!(run.status().unwrap().is_pending());
    assert!(run.activities.is_empty());
    assert_eq!(run.errors().count(), 0);
    assert_eq!(run.duration(), None);
    assert!(run.extra.is_empty());
}

#[test]
fn alert_run_identity_success() {
    let n = single("alert-run-identity-success.json");
    assert_eq!(n.format, Format::BareRun);
    assert_eq!(n.event_id, None);
    assert_eq!(
        n.event_code,
        EventCode::Other("identity_ingestion_info".to_owned())
    );
    assert!(n.is_success(), "info code: success by the run's status");
    assert_eq!(n.outcome(), Outcome::Success);

    let run = &n.run;
    assert_eq!(
        run.id.as_deref(),
        Some("1a1dd6ad-a033-4e1f-a5be-1fa2c2698ca4")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("4306c3e6-2f53-46d5-9c65-dfc53259e15a")
    );
    assert_eq!(run.flow_name.as_deref(), Some("Datalake to UIS Flow"));
    assert_eq!(run.sandbox_name.as_deref(), Some("prod"));
    check_alert_header(
        run,
        "5BD3248D541C319B0A4C98C6@AdobeOrg",
        "identity_ingestion_info",
    );
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2023-09-11T21:03:16.663Z")
    );
    assert_eq!(wire(&run.updated_at), json!(1694467528023u64));
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2023-09-11T21:25:28.023Z")
    );

    assert_eq!(run.predecessors.len(), 1);
    let p = &run.predecessors[0];
    assert_eq!(
        p.flow_id.as_deref(),
        Some("b167066f-eeb4-49f7-b88d-06c1751102bc")
    );
    assert_eq!(
        p.flow_run_id.as_deref(),
        Some("e2af312c-6465-47d1-92bc-e21f26c4a8df")
    );
    let spec = p.flow_spec.as_ref().unwrap();
    assert_eq!(
        spec.id.as_deref(),
        Some("9753525b-82c7-4dce-8a9b-5ccfce2b9876")
    );
    assert_eq!(spec.version.as_deref(), Some("1.0"));

    let r = &run.metrics.record_summary;
    assert_eq!(count(&r.input_record_count), Some(1));
    assert_eq!(count(&r.created_record_count), Some(0));
    assert_eq!(count(&r.updated_record_count), Some(1));
    assert_eq!(count(&r.output_record_count), Some(0));
    assert_eq!(count(&r.skipped_record_count), Some(0));
    assert_eq!(count(&r.failed_record_count), Some(0));
    assert_eq!(count(&r.deleted_record_count), Some(0));
    assert!(!r.failed_record_count.as_ref().unwrap().is_unknown());
    assert_eq!(r.target_summaries.len(), 2);
    let t0 = &r.target_summaries[0];
    assert_eq!(
        t0.id.as_deref(),
        Some("4c4810e6-a595-4667-852a-bf75e1b02e8a")
    );
    assert_eq!(count(&t0.updated_record_count), Some(1));
    assert_eq!(count(&t0.deleted_record_count), Some(0));
    let t1 = &r.target_summaries[1];
    assert_eq!(
        t1.id.as_deref(),
        Some("4d5afd86-cb3a-459d-9c0b-81a0599d5a7d")
    );
    assert_eq!(count(&t1.updated_record_count), Some(0));
    assert_eq!(t1.deleted_record_count, None);
    assert_eq!(
        run.duration(),
        Some(TimeDelta::milliseconds(1694467520000 - 1694466196065))
    );
    assert_eq!(run.status(), Some(&Status::Success));

    assert_eq!(
        ids(&run.activities),
        ["46382888-2f46-11eb-adc1-0242ac120002"]
    );
    assert_eq!(names(&run.activities), [Some("UIS Batch Activity")]);
    let a = &run.activities[0];
    assert_eq!(wire(&a.updated_at_utc), json!(0));
    assert_eq!(utc(&a.updated_at_utc), None, "0 is a placeholder");
    assert_eq!(count(&a.record_summary.updated_record_count), Some(1));
    assert_eq!(a.size_summary.input_bytes, None);
    assert_eq!(a.status(), Some(&Status::Success));
    assert!(a.status_summary.extensions.extra.is_empty());
    assert_eq!(run.errors().count(), 0);
}

#[test]
fn alert_run_sources_failure() {
    let n = single("alert-run-sources-failure.json");
    assert_eq!(n.format, Format::BareRun);
    assert_eq!(n.event_id, None);
    assert_eq!(n.event_code, EventCode::AlertError);
    assert_eq!(n.event_code.as_str(), "source_flow_run_error");
    assert!(!n.is_success());
    assert_eq!(n.outcome(), Outcome::Failed);

    let run = &n.run;
    assert_eq!(
        run.id.as_deref(),
        Some("f0b809c5-603d-4d6e-9600-977cb2e277b4")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("c0cb4b5b-367f-4946-a6cc-f7ccfe005b89")
    );
    assert_eq!(
        run.flow_name.as_deref(),
        Some("Dataflow - wx_medallia_export_combined.csv")
    );
    assert_eq!(run.sandbox_name.as_deref(), Some("dev"));
    assert_eq!(
        run.provider_ref_id.as_deref(),
        Some("M-c0cb4b5b-367f-4946-a6cc-f7ccfe005b89-incremental-0:911c77de-7d0c-4d10-a3cb-26020efd1171")
    );
    check_alert_header(
        run,
        "4353388057AC8D357F000101@AdobeOrg",
        "source_flow_run_error",
    );
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2023-09-01T03:20:38.769Z")
    );
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2023-09-01T03:44:47.893Z")
    );
    assert_eq!(
        run.duration(),
        Some(TimeDelta::milliseconds(1693539869854 - 1693538422921))
    );

    let status = &run.metrics.status_summary;
    assert_eq!(status.status, Some(Status::Failed));
    assert_eq!(
        status.activity_refs,
        ["4f008a00-3a04-11eb-adc1-0242ac120002"]
    );
    assert_eq!(status.errors[0].code, ErrorCode::CopyFromSource);
    assert_eq!(
        status.errors[0].message.as_deref(),
        Some("Error in copying the data from Source.")
    );
    assert_eq!(
        ErrorCode::CopyFromSource.description(),
        Some("Error while data is being copied from a source.")
    );
    let failed = &run.metrics.record_summary.failed_info;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].code, other("2200"));
    assert_eq!(failed[0].code.parts(), None);
    assert!(failed[0]
        .message
        .as_deref()
        .unwrap()
        .starts_with("A connection attempt failed"));

    assert_eq!(names(&run.activities), [Some("SFTP Copy Activity")]);
    let a = &run.activities[0];
    assert_eq!(utc(&a.updated_at_utc), None);
    assert_eq!(a.status(), Some(&Status::Failed));
    assert_eq!(
        a.status_summary.errors[0].message.as_deref(),
        Some("Error in copying the data from Source")
    );
    let ext = &a.status_summary.extensions;
    assert!(ext
        .error_detail
        .as_deref()
        .unwrap()
        .starts_with("ErrorCode=SftpNetworkIssue,'Type=Microsoft.DataTransfer"));
    assert!(ext
        .error_detail
        .as_deref()
        .unwrap()
        .ends_with("Source=Renci.SshNet,'"));
    assert_eq!(ext.errors.len(), 1);
    assert_eq!(ext.errors[0].code, other("2200"));

    let act = Some("4f008a00-3a04-11eb-adc1-0242ac120002".to_owned());
    assert_eq!(
        error_list(run),
        [
            (
                "metrics.statusSummary.errors[0]".to_owned(),
                ErrorCode::CopyFromSource,
                None
            ),
            (
                "metrics.recordSummary.failedInfo[0]".to_owned(),
                other("2200"),
                None
            ),
            (
                "activities[0].statusSummary.errors[0]".to_owned(),
                ErrorCode::CopyFromSource,
                act.clone()
            ),
            (
                "activities[0].statusSummary.extensions.errors[0]".to_owned(),
                other("2200"),
                act.clone()
            ),
            (
                "activities[0].recordSummary.failedInfo[0]".to_owned(),
                other("2200"),
                act
            ),
        ]
    );
    assert_eq!(
        run.error_codes(),
        [&ErrorCode::CopyFromSource, &other("2200")]
    );
}

#[test]
fn alert_run_sources_start() {
    let n = single("alert-run-sources-start.json");
    assert_eq!(n.format, Format::BareRun);
    assert_eq!(n.event_id, None);
    assert_eq!(n.event_code, EventCode::AlertInfo);
    assert_eq!(n.event_code.as_str(), "source_flow_run_info");
    assert!(!n.is_success(), "a started run has not succeeded");
    assert_eq!(n.outcome(), Outcome::Pending);

    let run = &n.run;
    assert_eq!(
        run.id.as_deref(),
        Some("66643b20-dc76-4b04-bacf-93bee162683c")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("05222685-e2b7-4367-a5a2-db4d7acda43d")
    );
    assert_eq!(
        run.flow_name.as_deref(),
        Some("Sales plan- weekly_plan.csv")
    );
    assert_eq!(run.sandbox_name.as_deref(), Some("dev"));
    check_alert_header(
        run,
        "A565899B544AA2E80A4C98BC@AdobeOrg",
        "source_flow_run_info",
    );
    assert_eq!(wire(&run.created_at), json!(1693339079768u64));
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2023-08-29T19:57:59.768Z")
    );
    assert_eq!(run.status(), Some(&Status::InProgress));
    assert!(run.activities.is_empty());
    assert_eq!(run.outcome(), Outcome::Pending);
}

#[test]
fn alert_run_sources_success() {
    let n = single("alert-run-sources-success.json");
    assert_eq!(n.format, Format::BareRun);
    assert_eq!(n.event_code, EventCode::AlertInfo);
    assert!(n.is_success(), "info code: success by the run's status");
    assert_eq!(n.outcome(), Outcome::Success);

    let run = &n.run;
    assert_eq!(
        run.id.as_deref(),
        Some("e3b63e78-b9fb-4e58-bac6-b7497e7bde04")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("cd9b4bbc-c1c6-4630-859e-49776afb483b")
    );
    assert_eq!(run.flow_name.as_deref(), Some("Employee - Stolz Maria DB"));
    assert_eq!(run.sandbox_name.as_deref(), Some("mlb-enablement"));
    check_alert_header(
        run,
        "A65F776A5245B01B0A490D44@AdobeOrg",
        "source_flow_run_info",
    );
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2023-09-11T23:24:22.038Z")
    );
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2023-09-11T23:29:45.756Z")
    );
    // Zero is a known count, unlike -1.
    assert_eq!(count(&run.metrics.size_summary.input_bytes), Some(0));
    assert_eq!(
        count(&run.metrics.record_summary.input_record_count),
        Some(0)
    );
    assert_eq!(
        run.duration(),
        Some(TimeDelta::milliseconds(1694474676869 - 1694474649498))
    );
    assert_eq!(names(&run.activities), [Some("Maria DB Copy Activity")]);
    assert_eq!(
        ids(&run.activities),
        ["4f008a00-3a04-11eb-adc1-0242ac120002"]
    );
    let a = &run.activities[0];
    assert_eq!(wire(&a.updated_at_utc), json!(0));
    assert_eq!(utc(&a.updated_at_utc), None);
    assert_eq!(count(&a.size_summary.input_bytes), Some(0));
    assert_eq!(a.status(), Some(&Status::Success));
    assert_eq!(run.errors().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// api-runs-*
// ---------------------------------------------------------------------------------------------

/// A run list is no delivery: parse_notifications says so instead of guessing.
fn check_not_a_notification(name: &str) {
    let body = fixture(name);
    let (_, found) = expect_unrecognized(parse_notifications(&body));
    assert!(!found.is_empty(), "{name}: found says nothing");
    assert!(found.contains("items"), "{name}: found = {found:?}");
    expect_unrecognized(parse_notification(&body));
}

#[test]
fn api_runs_dataflow_named_activities() {
    check_not_a_notification("api-runs-dataflow-named-activities.json");
    let runs = runs("api-runs-dataflow-named-activities.json");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        run.id.as_deref(),
        Some("65b7cfcc-6b2e-47c8-8194-13005b792752")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("f00c8762-df2f-432b-a7d7-38999fef5e8e")
    );
    assert_eq!(run.sandbox_id.as_deref(), Some("{SANDBOX_ID}"));
    assert_eq!(run.sandbox_name.as_deref(), Some("prod"));
    assert_eq!(run.ims_org_id.as_deref(), Some("{ORG_ID}"));
    assert!(run.header.is_none());
    assert_eq!(run.header_event_code(), None);
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2020-12-09T13:23:48.894Z")
    );
    assert_eq!(wire(&run.updated_at), json!(1607520276948u64));
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2020-12-09T13:24:36.948Z")
    );
    let m = &run.metrics;
    assert_eq!(count(&m.size_summary.input_bytes), Some(87885));
    assert_eq!(count(&m.size_summary.output_bytes), Some(56730));
    assert_eq!(count(&m.record_summary.input_record_count), Some(26758));
    assert_eq!(count(&m.record_summary.output_record_count), Some(26758));
    assert_eq!(count(&m.record_summary.failed_record_count), Some(0));
    assert_eq!(count(&m.file_summary.input_file_count), Some(11));
    assert_eq!(
        m.file_summary.activity_refs,
        ["37b34f84-1ada-11eb-adc1-0242ac120002"]
    );
    assert_eq!(
        run.duration(),
        Some(TimeDelta::milliseconds(1607520262413 - 1607520205922))
    );
    assert_eq!(run.status(), Some(&Status::Success));
    assert_eq!(run.outcome(), Outcome::Success);
    assert_eq!(run.errors().count(), 0);

    assert_eq!(
        ids(&run.activities),
        [
            "4f008a00-3a04-11eb-adc1-0242ac120002",
            "37b34f84-1ada-11eb-adc1-0242ac120002"
        ]
    );
    assert_eq!(
        names(&run.activities),
        [Some("Copy Activity"), Some("Promotion Activity")]
    );
    let copy = &run.activities[0];
    assert_eq!(count(&copy.size_summary.output_bytes), Some(87885));
    assert_eq!(utc(&copy.updated_at_utc), None);
    let promotion = &run.activities[1];
    assert_eq!(count(&promotion.size_summary.input_bytes), Some(26758));
    assert_eq!(count(&promotion.file_summary.output_file_count), Some(2));
    assert_eq!(
        count(&promotion.record_summary.failed_record_count),
        Some(0)
    );
    let manifest = promotion.file_summary.extensions.manifest.as_ref().unwrap();
    assert_eq!(
        link_host(&manifest.file_info).as_deref(),
        Some("platform.adobe.io")
    );
    assert!(manifest
        .file_info
        .as_ref()
        .unwrap()
        .as_str()
        .contains("/batches/01ES3TRN69E9W2DZ770XCGYAH1/meta"));
    assert_eq!(manifest.path_prefix.as_deref(), Some("bucket1/csv_test/"));
}

#[test]
fn api_runs_destination_batch_failure() {
    check_not_a_notification("api-runs-destination-batch-failure.json");
    let runs = runs("api-runs-destination-batch-failure.json");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        run.id.as_deref(),
        Some("850a3a02-ba0d-452a-aeb3-e9fcc8361342")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("df8d079d-11eb-466a-9731-6b5948a009e4")
    );
    assert_eq!(run.created_by.as_deref(), Some("exampleOrg@AdobeID"));
    assert_eq!(run.updated_by.as_deref(), Some("example_org@AdobeID"));
    assert_eq!(run.created_client.as_deref(), Some("example client"));
    assert_eq!(
        run.ims_org_id.as_deref(),
        Some("F0935E09512D2C270A490D4D@AdobeOrg")
    );
    assert_eq!(
        run.provider_ref_id.as_deref(),
        Some("65f8c71e5b58a54be7b97f93e11a8a8f")
    );
    let spec = run.flow_spec.as_ref().unwrap();
    assert_eq!(
        spec.id.as_deref(),
        Some("71471eba-b620-49e4-90fd-23f1fa0174d8")
    );
    assert_eq!(spec.version.as_deref(), Some("1.0"));
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2022-06-09T14:32:05.699Z")
    );
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2022-06-09T16:16:29.756Z")
    );

    let r = &run.metrics.record_summary;
    assert_eq!(r.input_record_count, None);
    assert_eq!(r.source_summaries.len(), 1);
    let source = &r.source_summaries[0];
    assert_eq!(
        source.id.as_deref(),
        Some("1d6b7dc0-6d54-464e-abb3-54fb9701cb29")
    );
    assert_eq!(count(&source.input_record_count), Some(0));
    assert_eq!(count(&source.skipped_record_count), Some(0));
    assert_eq!(source.entity_summaries.len(), 1);
    assert_eq!(
        source.entity_summaries[0].id.as_deref(),
        Some("segment:cfa5dadb-fd73-4bab-a470-f88323c55ec7")
    );
    assert_eq!(
        count(&source.entity_summaries[0].skipped_record_count),
        Some(0)
    );
    assert_eq!(r.failed_info.len(), 1);
    let code = &r.failed_info[0].code;
    assert_eq!(code, &other("ACTIVATION_BATCH-0000-FAILED"));
    assert_eq!(code.as_str(), "ACTIVATION_BATCH-0000-FAILED");
    assert_eq!(code.parts(), None);
    assert_eq!(code.description(), None);
    assert_eq!(r.failed_info[0].message.as_deref(), Some("Job aborted."));

    let status = &run.metrics.status_summary;
    assert_eq!(status.status, Some(Status::Failed));
    assert_eq!(
        status.activity_refs,
        ["c4f238e3-7334-4933-8b56-64d7ea43ea54"]
    );
    assert_eq!(run.outcome(), Outcome::Failed);

    assert_eq!(
        names(&run.activities),
        [Some("Activation Batch XdmProcessor Activity")]
    );
    let act = Some("c4f238e3-7334-4933-8b56-64d7ea43ea54".to_owned());
    let code = other("ACTIVATION_BATCH-0000-FAILED");
    assert_eq!(
        error_list(run),
        [
            (
                "metrics.statusSummary.errors[0]".to_owned(),
                code.clone(),
                None
            ),
            (
                "metrics.recordSummary.failedInfo[0]".to_owned(),
                code.clone(),
                None
            ),
            (
                "activities[0].statusSummary.errors[0]".to_owned(),
                code.clone(),
                act.clone()
            ),
            (
                "activities[0].recordSummary.failedInfo[0]".to_owned(),
                code.clone(),
                act
            ),
        ]
    );
    assert_eq!(run.error_codes(), [&code]);
}

#[test]
fn api_runs_destination_batch_success() {
    check_not_a_notification("api-runs-destination-batch-success.json");
    let runs = runs("api-runs-destination-batch-success.json");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        run.id.as_deref(),
        Some("e80e24c1-82de-48de-8352-b2d0fca1c392")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("df8d079d-11eb-466a-9731-6b5948a009e4")
    );
    assert_eq!(
        run.provider_ref_id.as_deref(),
        Some("fd3319ed56fdf9417d63d364a07b0105")
    );
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2022-07-28T14:28:48.378Z")
    );
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2022-07-28T14:37:26.995Z")
    );

    let m = &run.metrics;
    assert_eq!(count(&m.size_summary.input_bytes), Some(855202780));
    assert_eq!(count(&m.size_summary.output_bytes), Some(855202780));
    assert_eq!(count(&m.file_summary.input_file_count), Some(2));
    assert_eq!(count(&m.file_summary.output_file_count), Some(2));
    let r = &m.record_summary;
    assert_eq!(count(&r.input_record_count), Some(7823447));
    assert_eq!(count(&r.created_record_count), Some(7808223));
    assert_eq!(count(&r.output_record_count), Some(7808223));
    assert_eq!(count(&r.skipped_record_count), Some(15224));
    assert_eq!(r.failed_record_count, None);

    assert_eq!(r.skipped_info.len(), 1);
    let skipped = &r.skipped_info[0];
    assert_eq!(skipped.code, other("ACTIVATION_BATCH-0000-SKIP"));
    assert_eq!(skipped.code.parts(), None);
    assert_eq!(count(&skipped.count), Some(15224));
    assert_eq!(
        skipped.message.as_deref(),
        Some("Records didn't match attribute filter.")
    );

    let source = &r.source_summaries[0];
    assert_eq!(
        source.id.as_deref(),
        Some("1d6b7dc0-6d54-464e-abb3-54fb9701cb29")
    );
    assert_eq!(count(&source.input_record_count), Some(7823447));
    assert_eq!(count(&source.skipped_record_count), Some(15224));
    assert_eq!(
        source.entity_summaries[0].id.as_deref(),
        Some("segment:b1cbaff7-e7c6-417e-ab54-71d302595785")
    );
    assert_eq!(
        count(&source.entity_summaries[0].input_record_count),
        Some(7823447)
    );
    assert_eq!(r.target_summaries.len(), 1);
    let target = &r.target_summaries[0];
    assert_eq!(
        target.id.as_deref(),
        Some("f876fe0d-4f6d-42e4-954c-bee1baa323eb")
    );
    assert_eq!(count(&target.created_record_count), Some(7808223));
    assert_eq!(
        target.entity_summaries[0].id.as_deref(),
        Some("segment:b1cbaff7-e7c6-417e-ab54-71d302595785")
    );
    assert_eq!(
        count(&target.entity_summaries[0].output_record_count),
        Some(7808223)
    );

    assert_eq!(m.status_summary.status, Some(Status::Success));
    assert_eq!(
        m.status_summary.activity_refs,
        ["c4f238e3-7334-4933-8b56-64d7ea43ea54"]
    );
    // Skipped records are no errors.
    assert_eq!(run.errors().count(), 0);
    assert_eq!(run.outcome(), Outcome::Success);
    assert_eq!(
        run.duration(),
        Some(TimeDelta::milliseconds(1659018929923 - 1659018529865))
    );

    assert_eq!(
        names(&run.activities),
        [
            Some("Activation Batch XdmProcessor Activity"),
            Some("Activation Batch Publisher Activity")
        ]
    );
    assert_eq!(
        ids(&run.activities),
        [
            "c4f238e3-7334-4933-8b56-64d7ea43ea54",
            "51d82b36-6b8f-11eb-9439-0242ac130002"
        ]
    );
    let processor = &run.activities[0];
    assert_eq!(
        count(&processor.record_summary.skipped_record_count),
        Some(15224)
    );
    assert_eq!(
        count(&processor.record_summary.skipped_info[0].count),
        Some(15224)
    );
    let ext = &processor.status_summary.extensions;
    assert_eq!(ext.batch_id, None, "`incremental.batchId` is not `batchId`");
    assert_eq!(ext.extra.len(), 4);
    assert_eq!(
        ext.extra["incremental.batchId"],
        "01G91S0ZGJ35TG4BQSAEA5VV5A,01G91R672VMKQWQS72BJ6PQJ3H"
    );
    assert_eq!(ext.extra["snapshot.batchId"], "01G91QNJWFWD2588D4G4GZP9G1");
    assert_eq!(ext.extra["snapshot.datasetId"], "605dbe4e89b61819495e4dff");
    assert!(ext.extra.contains_key("incremental.datasetId"));
    let publisher = &run.activities[1];
    assert_eq!(publisher.size_summary.input_bytes, None);
    assert_eq!(count(&publisher.size_summary.output_bytes), Some(855202780));
    assert_eq!(count(&publisher.file_summary.output_file_count), Some(2));
    assert_eq!(
        count(&publisher.record_summary.skipped_record_count),
        Some(0)
    );
    assert_eq!(
        utc(&publisher.duration_summary.started_at_utc).as_deref(),
        Some("2022-07-28T14:32:47.812Z")
    );
}

#[test]
fn api_runs_sources_success_with_errors() {
    check_not_a_notification("api-runs-sources-success-with-errors.json");
    let runs = runs("api-runs-sources-success-with-errors.json");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        run.id.as_deref(),
        Some("9830305a-985f-47d0-b030-5a985fd7d004")
    );
    assert_eq!(
        run.flow_id.as_deref(),
        Some("c9cef9cb-c934-4467-8ef9-cbc934546741")
    );
    assert_eq!(
        run.sandbox_id.as_deref(),
        Some("1bd86660-c5da-11e9-93d4-6d5fc3a66a8e")
    );
    assert_eq!(run.ims_org_id, None);
    assert_eq!(
        utc(&run.created_at).as_deref(),
        Some("2020-08-05T19:34:39.576Z")
    );
    assert_eq!(
        utc(&run.updated_at).as_deref(),
        Some("2020-08-05T19:35:13.526Z")
    );

    let m = &run.metrics;
    assert_eq!(count(&m.size_summary.input_bytes), Some(24012));
    assert_eq!(count(&m.size_summary.output_bytes), Some(17128));
    assert_eq!(count(&m.record_summary.input_record_count), Some(100));
    assert_eq!(count(&m.record_summary.output_record_count), Some(99));
    assert_eq!(count(&m.record_summary.failed_record_count), Some(1));
    assert_eq!(m.file_summary.activity_refs, ["promotionActivity"]);
    assert_eq!(m.status_summary.activity_refs, ["promotionActivity"]);
    assert_eq!(m.status_summary.status, Some(Status::Success));
    // Partial ingestion: a success with errors.
    assert_eq!(run.outcome(), Outcome::PartialSuccess);
    assert_eq!(
        run.duration(),
        Some(TimeDelta::milliseconds(1596656113306 - 1596656058198))
    );

    assert_eq!(ids(&run.activities), ["copyActivity", "promotionActivity"]);
    let copy = &run.activities[0];
    assert_eq!(
        utc(&copy.updated_at_utc).as_deref(),
        Some("2020-08-05T19:34:55.088Z")
    );
    let window = &copy.duration_summary.extensions;
    assert_eq!(window.len(), 2);
    assert_eq!(window["windowStart"], json!(1596653708000u64));
    assert_eq!(window["windowEnd"], json!(1596655508000u64));
    assert_eq!(copy.status_summary.extensions.extra["type"], "one-time");
    assert_eq!(copy.record_summary.input_record_count, None);
    let source = &copy.source_info[0];
    assert_eq!(
        source.id.as_deref(),
        Some("c0e18602-f9ea-44f9-a186-02f9ea64f9ac")
    );
    let reference = source.reference.as_ref().unwrap();
    assert_eq!(reference.kind.as_deref(), Some("AdfRunId"));
    assert_eq!(reference.ids, ["8a8eb0cc-e283-4605-ac70-65a5adb1baef"]);

    let promotion = &run.activities[1];
    assert_eq!(count(&promotion.file_summary.input_file_count), Some(2));
    assert_eq!(count(&promotion.file_summary.output_file_count), Some(1));
    assert_eq!(
        count(&promotion.record_summary.failed_record_count),
        Some(1)
    );
    let file_manifest = promotion.file_summary.extensions.manifest.as_ref().unwrap();
    assert_eq!(
        link_host(&file_manifest.file_info).as_deref(),
        Some("platform.adobe.io")
    );
    let ext = &promotion.status_summary.extensions;
    let manifest = ext.manifest.as_ref().unwrap();
    let failed_records = manifest.failed_records.as_ref().unwrap().url().unwrap();
    assert_eq!(failed_records.host_str(), Some("platform.adobe.io"));
    assert_eq!(
        failed_records.path(),
        "/data/foundation/export/batches/01EF01X41KJD82Y9ZX6ET54PCZ/meta"
    );
    assert_eq!(failed_records.query(), Some("path=row_errors"));
    let samples = manifest.sample_errors.as_ref().unwrap().url().unwrap();
    assert_eq!(samples.query(), Some("path=row_error_samples.json"));
    assert_eq!(manifest.file_info, None);

    assert_eq!(ext.errors.len(), 2);
    let ingest = &ext.errors[0];
    assert_eq!(ingest.code, other("INGEST-1212-400"));
    let parts = ingest.code.parts().unwrap();
    assert_eq!(
        (parts.family, parts.number, parts.status),
        ("INGEST", 1212, 400)
    );
    assert_eq!(ingest.record_count, None);
    assert!(ingest
        .message
        .as_deref()
        .unwrap()
        .starts_with("Encountered 1 errors in the data. Successfully ingested 99 rows."));
    let mapper = &ext.errors[1];
    assert_eq!(mapper.code, other("MAPPER-3700-400"));
    let parts = mapper.code.parts().unwrap();
    assert_eq!(
        (parts.family, parts.number, parts.status),
        ("MAPPER", 3700, 400)
    );
    assert_eq!(count(&mapper.record_count), Some(1));
    assert_eq!(mapper.message.as_deref(), Some("Mapper Transform Error"));
    // The CONNECTOR codes split too.
    let parts = ErrorCode::ProcessToPlatform.parts().unwrap();
    assert_eq!(
        (parts.family, parts.number, parts.status),
        ("CONNECTOR", 2001, 500)
    );

    let target = &promotion.target_info[0];
    assert_eq!(
        target.id.as_deref(),
        Some("47166b83-01c7-4b65-966b-8301c70b6562")
    );
    assert_eq!(
        target.reference.as_ref().unwrap().ids,
        ["01EF01X41KJD82Y9ZX6ET54PCZ"]
    );

    let act = Some("promotionActivity".to_owned());
    assert_eq!(
        error_list(run),
        [
            (
                "metrics.statusSummary.errors[0]".to_owned(),
                ErrorCode::ProcessToPlatform,
                None
            ),
            (
                "activities[1].statusSummary.errors[0]".to_owned(),
                ErrorCode::ProcessToPlatform,
                act.clone()
            ),
            (
                "activities[1].statusSummary.extensions.errors[0]".to_owned(),
                other("INGEST-1212-400"),
                act.clone()
            ),
            (
                "activities[1].statusSummary.extensions.errors[1]".to_owned(),
                other("MAPPER-3700-400"),
                act
            ),
        ]
    );

    // As a notification (a bare run without header), the outcome is the run's.
    let n = Notification::from_run(run.clone());
    assert_eq!(n.format, Format::BareRun);
    assert_eq!(n.outcome(), Outcome::PartialSuccess);
    assert!(n.is_success(), "partial ingestion is a success");
}

// ---------------------------------------------------------------------------------------------
// not-a-run-*
// ---------------------------------------------------------------------------------------------

#[test]
fn not_a_run_alert_error_rate() {
    let body = fixture("not-a-run-alert-error-rate.json");
    for result in [
        expect_unrecognized(parse_notification(&body)),
        expect_unrecognized(parse_notifications(&body)),
    ] {
        let (path, found) = result;
        assert_eq!(path, "");
        assert!(
            found.starts_with("an object with keys id, status, name, message"),
            "found = {found:?}"
        );
    }
    let (path, found) = expect_unrecognized(parse_runs(&body));
    assert_eq!(path, "");
    assert!(
        found.starts_with("an object with keys id, status, name, message"),
        "found = {found:?}"
    );
    let message = parse_notification(&body).unwrap_err().to_string();
    assert!(
        message.starts_with(
            "expected a flow-run notification, found an object with keys id, status, name, message"
        ),
        "{message}"
    );
}

#[test]
fn not_a_run_alert_sources_delay() {
    let body = fixture("not-a-run-alert-sources-delay.json");
    for (path, found) in [
        expect_unrecognized(parse_notification(&body)),
        expect_unrecognized(parse_notifications(&body)),
        expect_unrecognized(parse_runs(&body)),
    ] {
        assert_eq!(path, "");
        assert!(
            found.starts_with("an object with keys id, status, name, message"),
            "found = {found:?}"
        );
    }
}

#[test]
fn not_a_run_io_event_ingestion_load_failure() {
    let body = fixture("not-a-run-io-event-ingestion-load-failure.json");
    for (path, found) in [
        expect_unrecognized(parse_notification(&body)),
        expect_unrecognized(parse_notifications(&body)),
    ] {
        assert_eq!(path, "event");
        assert!(found.contains("xdm:ingestionId"), "found = {found:?}");
        assert!(
            found.starts_with("an object with keys xdm:ingestionId"),
            "found = {found:?}"
        );
    }
    let message = parse_notifications(&body).unwrap_err().to_string();
    assert!(message.contains("`event`"), "{message}");
    assert!(message.contains("xdm:ingestionId"), "{message}");
    let (_, found) = expect_unrecognized(parse_runs(&body));
    assert!(
        found.starts_with("an object with keys"),
        "found = {found:?}"
    );
}
