//! What `aep-flow-run serve` keeps: the SQLite file across a SIGKILL (handled events, run
//! states, the journal position), the journal followed beside the webhook with one window,
//! and `/metrics` and `/api/flows` read back against what was delivered.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "support/http.rs"]
mod http;
#[path = "../../tests/support/journal_server.rs"]
mod journal_server;
#[path = "support/serve.rs"]
mod serve;
#[path = "../../tests/support/test_tls.rs"]
mod test_tls;
#[path = "../../tests/support/webhook_sign.rs"]
mod webhook_sign;

use http::{get, json_headers, metric_samples, request, Reply};
use journal_server::{fixture_entries, Server, IMS_HOST, JOURNAL_HOST, JOURNAL_URL, TOKEN_URL};
use serve::{temporary_dir, Serve, CLIENT_ID, LIMIT};
use webhook_sign::signed_headers;

async fn post_signed(server: std::net::SocketAddr, body: &[u8]) -> Reply {
    request(
        server,
        "POST",
        "/",
        &json_headers(signed_headers(body)),
        body,
    )
    .await
}

/// A run of flow `flow` delivered as an I/O Events envelope.
fn run_delivery(event_id: &str, run: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event_id": event_id,
        "recipient_client_id": CLIENT_ID,
        "event": run,
    }))
    .unwrap()
}

fn run_state(id: &str, flow: &str, updated: u64, status: &str, records: [u64; 3]) -> Value {
    let mut run = json!({
        "id": id, "flowId": flow, "updatedAt": updated,
        "metrics": {
            "recordSummary": {"inputRecordCount": records[0], "outputRecordCount": records[1],
                "failedRecordCount": records[2]},
            "statusSummary": {"status": status}
        }
    });
    if status == "failed" {
        run["metrics"]["statusSummary"]["errors"] =
            json!([{"code": "CONNECTOR-1001-500", "message": "copy failed"}]);
    }
    run
}

/// `serve` against the local journal: the environment of its credentials and test TLS.
fn with_journal(command: &mut std::process::Command, server: &Server, dir: &Path) {
    let root = dir.join("root.der");
    std::fs::write(&root, server.root_der()).unwrap();
    command
        .args(["--journal", JOURNAL_URL])
        .env("AIO_CLIENT_ID", CLIENT_ID)
        .env("AIO_CLIENT_SECRET", "s3cret-of-the-test")
        .env("AIO_IMS_URL", TOKEN_URL)
        .env("AIO_CA_DER", &root)
        .env(
            "AIO_RESOLVE",
            format!("{JOURNAL_HOST}={0},{IMS_HOST}={0}", server.address),
        );
}

/// Waits until the journal was asked for what follows `position`: the page before was
/// completed (its position saved).
fn wait_for_since(server: &Server, position: &str) {
    let started = Instant::now();
    while !server
        .state()
        .journal_requests
        .iter()
        .any(|seen| seen.since().as_deref() == Some(position))
    {
        assert!(
            started.elapsed() < LIMIT,
            "the journal was never read after {position}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The issue's restart: SIGKILL, restart on the same file: a repeated delivery is a
/// duplicate, run states and the journal position are still known. The journal and the
/// webhook share one store: an event the journal handed over is a duplicate on the webhook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_file_keeps_events_runs_and_the_journal_position_across_sigkill() {
    let entries = fixture_entries("fixtures/edge-cases/journal-page.json");
    let last = entries.last().unwrap().0.clone();
    let journal_event_id = entries[0].1["event_id"].as_str().unwrap().to_owned();
    let journal_run = entries[0].1["event"]["id"].as_str().unwrap().to_owned();
    let server = journal_server::start(entries.clone()).await;
    let dir = temporary_dir("sqlite-restart");
    let store = format!("sqlite:{}", dir.join("state.db").display());
    let start = || {
        let mut command = serve::command(&["--store", &store, "--any-org", "--json"]);
        with_journal(&mut command, &server, &dir);
        Serve::spawn(command, &dir.join("serve.log"))
    };

    let service = start();
    // The journal is read from its start: one line per event.
    let lines = service.json_lines(entries.len());
    assert_eq!(
        lines[0],
        json!({"processed": journal_event_id, "kind": "flow_run"})
    );
    wait_for_since(&server, &last);
    // The webhook delivers an event the journal handed over: a duplicate (one window).
    let mut replay = entries[0].1.clone();
    replay["recipient_client_id"] = json!(CLIENT_ID);
    let replay = serde_json::to_vec(&replay).unwrap();
    let reply = post_signed(service.webhook, &replay).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"received": 1, "new": 0, "duplicates": 1})
    );
    let body = run_delivery(
        "restart-1",
        run_state(
            "run-restart",
            "flow-restart",
            1_800_000_000_000,
            "failed",
            [5, 4, 1],
        ),
    );
    let reply = post_signed(service.webhook, &body).await;
    assert_eq!(
        reply.json(),
        json!({"received": 1, "new": 1, "duplicates": 0})
    );
    assert_eq!(
        service.json_lines(1),
        [json!({"processed": "restart-1", "kind": "flow_run"})]
    );
    let before = get(service.admin, "/api/flows").await.json();

    // SIGKILL: no shutdown of any kind.
    let mut killed = service;
    killed.signal("KILL");
    assert!(!killed.wait().success());
    drop(killed);
    server.take_sinces();

    let service = start();
    let reply = post_signed(service.webhook, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"received": 1, "new": 0, "duplicates": 1})
    );
    // The journal goes on after the saved position: nothing is handed over again.
    wait_for_since(&server, &last);
    assert_eq!(server.take_sinces().first(), Some(&Some(last.clone())));
    let fresh = run_delivery(
        "restart-2",
        run_state(
            "run-restart-2",
            "flow-restart",
            1_800_000_060_000,
            "success",
            [1, 1, 0],
        ),
    );
    assert_eq!(post_signed(service.webhook, &fresh).await.status, 200);
    assert_eq!(
        service.json_lines(1),
        [json!({"processed": "restart-2", "kind": "flow_run"})]
    );
    // The run states were kept: every flow and run listed before is listed after.
    let after = get(service.admin, "/api/flows").await.json();
    let runs = |flows: &Value| -> BTreeMap<String, Value> {
        flows["flows"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|flow| flow["runs"].as_array().unwrap().clone())
            .map(|run| (run["runId"].as_str().unwrap().to_owned(), run))
            .collect()
    };
    let (before, after) = (runs(&before), runs(&after));
    assert!(before.contains_key(&journal_run), "{before:?}");
    for (run_id, run) in &before {
        assert_eq!(after.get(run_id), Some(run), "{run_id}");
    }
    assert_eq!(after["run-restart"]["outcome"], "failed");
    assert_eq!(
        after["run-restart"]["errorCodes"],
        json!(["CONNECTOR-1001-500"])
    );
    assert_eq!(after["run-restart-2"]["outcome"], "success");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `/metrics` read back against what was delivered: deliveries by answer, events new and
/// duplicate, each run counted once when it ends, records added by difference, refusals by
/// check, handling time; and `/api/flows` in order of activity.
#[tokio::test]
async fn metrics_and_flows_say_what_was_delivered() {
    let dir = temporary_dir("metrics");
    let service = Serve::start(&["--store", "memory", "--any-org"], &dir.join("serve.log"));
    let deliveries = [
        run_delivery(
            "m-1",
            run_state("r1", "f1", 1_800_000_000_000, "inProgress", [10, 0, 0]),
        ),
        run_delivery(
            "m-2",
            run_state("r1", "f1", 1_800_000_060_000, "success", [25, 25, 0]),
        ),
        // The same state again, in another event: counted as an event, not as a run.
        run_delivery(
            "m-3",
            run_state("r1", "f1", 1_800_000_060_000, "success", [25, 25, 0]),
        ),
        run_delivery(
            "m-4",
            run_state("r2", "f2", 1_800_000_120_000, "failed", [7, 4, 3]),
        ),
        // An older state of r1, late: ignored.
        run_delivery(
            "m-5",
            run_state("r1", "f1", 1_800_000_030_000, "inProgress", [20, 0, 0]),
        ),
    ];
    for body in &deliveries {
        let reply = post_signed(service.webhook, body).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let repeat = post_signed(service.webhook, &deliveries[0]).await;
    assert_eq!(repeat.json()["duplicates"], 1);
    let mut forged = signed_headers(&deliveries[3]);
    forged[0].1 = forged[1].1.clone();
    forged[1].1 = webhook_sign::sign(1, b"another body");
    let reply = request(
        service.webhook,
        "POST",
        "/",
        &forged,
        b"{\"tampered\": true}",
    )
    .await;
    assert_eq!(reply.status, 403);

    let metrics = get(service.admin, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let samples = metric_samples(&metrics.body);
    let value = |sample: &str| samples.get(sample).copied().unwrap_or(0.0);
    assert_eq!(value(r#"aep_webhook_deliveries_total{status="200"}"#), 6.0);
    assert_eq!(value(r#"aep_webhook_deliveries_total{status="403"}"#), 1.0);
    assert_eq!(
        value(r#"aep_webhook_events_total{kind="flow_run",result="new"}"#),
        5.0
    );
    assert_eq!(
        value(r#"aep_webhook_events_total{kind="flow_run",result="duplicate"}"#),
        1.0
    );
    assert_eq!(
        value(r#"aep_webhook_refusals_total{check="signature_mismatch"}"#),
        1.0
    );
    assert_eq!(
        value(r#"aep_flow_runs_total{flow_id="f1",outcome="success"}"#),
        1.0
    );
    assert_eq!(
        value(r#"aep_flow_runs_total{flow_id="f2",outcome="failed"}"#),
        1.0
    );
    assert_eq!(
        samples
            .keys()
            .filter(|s| s.starts_with("aep_flow_runs_total"))
            .count(),
        2,
        "{}",
        metrics.body
    );
    // r1: 10 in, then 25 (adds 15), then nothing more; r2: 7 in, 4 out, 3 failed.
    assert_eq!(
        value(r#"aep_flow_run_records_total{flow_id="f1",kind="input"}"#),
        25.0
    );
    assert_eq!(
        value(r#"aep_flow_run_records_total{flow_id="f1",kind="output"}"#),
        25.0
    );
    assert_eq!(
        value(r#"aep_flow_run_records_total{flow_id="f2",kind="input"}"#),
        7.0
    );
    assert_eq!(
        value(r#"aep_flow_run_records_total{flow_id="f2",kind="failed"}"#),
        3.0
    );
    assert_eq!(value("aep_webhook_handling_seconds_count"), 7.0);
    assert_eq!(
        value(r#"aep_webhook_handling_seconds_bucket{le="+Inf"}"#),
        7.0
    );

    let flows = get(service.admin, "/api/flows").await.json();
    let listed: Vec<(&str, &str, &str)> = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|flow| {
            let latest = &flow["runs"][0];
            (
                flow["flowId"].as_str().unwrap(),
                latest["runId"].as_str().unwrap(),
                latest["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [("f2", "r2", "failed"), ("f1", "r1", "success")]);
    assert_eq!(flows["flows"][0]["runs"][0]["failedRecords"], 3);
    assert_eq!(get(service.admin, "/healthz").await.status, 200);
    let ready = get(service.admin, "/readyz").await;
    assert_eq!(
        (ready.status, ready.json()),
        (200, json!({"store": "ok", "keys": "ok"}))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
