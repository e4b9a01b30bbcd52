//! Paging (`serve --notify URL`), against a local sink (a tiny HTTP server on 127.0.0.1):
//! a page survives two server errors and arrives once; a firing alert pages; a recovery
//! pages; the cooldown holds further failures and the next page says how many came; a
//! SIGKILL between recording a page and sending it loses nothing; two replicas on Redis
//! send a page once.

use std::time::Duration;

use serde_json::{json, Value};

#[path = "support/http.rs"]
mod http;
#[path = "../../tests/support/redis_env.rs"]
mod redis_env;
#[path = "support/serve.rs"]
mod serve;
#[path = "support/sink.rs"]
mod sink;
#[path = "../../tests/support/webhook_sign.rs"]
mod webhook_sign;

use http::{get, json_headers, metric_samples, request};
use serve::{temporary_dir, Serve, CLIENT_ID, LIMIT};
use sink::Sink;
use webhook_sign::signed_headers;

/// Posts a signed body; it must be answered 200.
async fn deliver(service: &Serve, body: Value) {
    let body = serde_json::to_vec(&body).unwrap();
    let headers = json_headers(signed_headers(&body));
    let reply = request(service.webhook, "POST", "/", &headers, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// A run of `flow` as an I/O Events envelope: `failed` has two error codes.
fn run(event_id: &str, run: &str, flow: &str, updated: u64, status: &str) -> Value {
    let mut event = json!({
        "id": run, "flowId": flow, "updatedAt": updated,
        "metrics": {
            "recordSummary": {"inputRecordCount": 40, "outputRecordCount": 0, "failedRecordCount": 40},
            "statusSummary": {"status": status}
        }
    });
    if status == "failed" {
        event["metrics"]["statusSummary"]["errors"] = json!([
            {"code": "CONNECTOR-1001-500", "message": "copy failed"},
            {"code": "CONNECTOR-2001-500", "message": "mapping failed"}
        ]);
    } else {
        event["metrics"]["recordSummary"] =
            json!({"inputRecordCount": 40, "outputRecordCount": 40, "failedRecordCount": 0});
    }
    json!({"event_id": event_id, "recipient_client_id": CLIENT_ID, "event": event})
}

fn text(page: &Value) -> &str {
    page["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {page}"))
}

/// Waits `quiet` and checks that no further request came.
fn assert_quiet(sink: &Sink, received: usize, quiet: Duration) {
    std::thread::sleep(quiet);
    assert_eq!(sink.received().len(), received, "{:?}", sink.received());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_pages_once_through_two_server_errors_then_an_alert_and_a_recovery() {
    let sink = Sink::start(&[500, 500]);
    let dir = temporary_dir("paging-retry");
    let url = sink.url();
    let flags = [
        "--store",
        "memory",
        "--any-org",
        "--notify",
        &url,
        "--public-url",
    ];
    let mut flags = flags.to_vec();
    flags.push("https://status.example.com/aep");
    let service = Serve::start(&flags, &dir.join("serve.log"));

    deliver(
        &service,
        run("e1", "run-1", "flow-a", 1_800_000_000_000, "failed"),
    )
    .await;
    let pages = sink.wait_delivered(1, LIMIT);
    let page = text(&pages[0]);
    for expected in [
        "FAILED",
        "flow-a",
        "run-1",
        "CONNECTOR-1001-500",
        "Error while data is being copied from a source.",
        "CONNECTOR-2001-500",
        "Records in/out/failed: 40/0/40",
        "https://status.example.com/aep",
    ] {
        assert!(page.contains(expected), "{expected:?} not in {page}");
    }
    assert_eq!(pages[0]["blocks"][0]["type"], "section");
    assert_eq!(sink.received().len(), 3, "two 500s, then the 200");

    // A firing alert pages (its own flow); a success of flow-a pages "recovered" at once.
    let alert = json!({"id": "alert-1", "status": "FIRING", "name": "sources_flow_run_delay",
        "message": "Flow run is delayed", "flowId": "flow-b", "createdAt": "2026-12-01T04:27:44.922Z",
        "header": {"_adobeio": {"eventCode": "source_flow_run_error"}}});
    deliver(&service, alert).await;
    deliver(
        &service,
        run("e2", "run-2", "flow-a", 1_800_000_100_000, "success"),
    )
    .await;
    let pages = sink.wait_delivered(3, LIMIT);
    let texts: Vec<&str> = pages[1..].iter().map(text).collect();
    assert!(
        texts.iter().any(|t| t.contains("ALERT FIRING")
            && t.contains("sources_flow_run_delay")
            && t.contains("flow-b")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("RECOVERED") && t.contains("flow-a") && t.contains("run-2")),
        "{texts:?}"
    );
    assert_quiet(&sink, 5, Duration::from_millis(1200));
    let samples = metric_samples(&get(service.admin, "/metrics").await.body);
    assert_eq!(
        samples.get("aep_pages_sent_total"),
        Some(&3.0),
        "{samples:?}"
    );
    assert_eq!(
        samples.get("aep_pages_failed_total"),
        Some(&2.0),
        "{samples:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_holds_failures_and_the_next_page_says_how_many_more() {
    let sink = Sink::start(&[]);
    let dir = temporary_dir("paging-cooldown");
    let url = sink.url();
    let service = Serve::start(
        &[
            "--store",
            "memory",
            "--any-org",
            "--notify",
            &url,
            "--notify-cooldown-secs",
            "2",
        ],
        &dir.join("serve.log"),
    );
    deliver(
        &service,
        run("c1", "run-1", "flow-c", 1_800_000_000_000, "failed"),
    )
    .await;
    sink.wait_delivered(1, LIMIT);
    deliver(
        &service,
        run("c2", "run-2", "flow-c", 1_800_000_001_000, "failed"),
    )
    .await;
    deliver(
        &service,
        run("c3", "run-3", "flow-c", 1_800_000_002_000, "failed"),
    )
    .await;
    // Within the cooldown: nothing more.
    assert_quiet(&sink, 1, Duration::from_millis(1000));
    let pages = sink.wait_delivered(2, LIMIT);
    let page = text(&pages[1]);
    assert!(
        page.contains("run-3") && page.contains("1 more failure of this flow"),
        "{page}"
    );
    assert_quiet(&sink, 2, Duration::from_millis(800));
}

/// The page is recorded with the run state before the delivery is answered; the sink is
/// down; serve is killed; with the sink up, the restarted serve sends it, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_recorded_before_a_sigkill_is_sent_after_the_restart() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hooks/test");
    let dir = temporary_dir("paging-kill");
    let store = format!("sqlite:{}", dir.join("state.db").display());
    let flags = [
        "--store",
        store.as_str(),
        "--any-org",
        "--notify",
        url.as_str(),
    ];
    let mut service = Serve::start(&flags, &dir.join("serve.log"));
    deliver(
        &service,
        run("k1", "run-1", "flow-k", 1_800_000_000_000, "failed"),
    )
    .await;
    let started = std::time::Instant::now();
    while !service.log_text().contains("page not delivered") {
        assert!(
            started.elapsed() < LIMIT,
            "no delivery attempt: {}",
            service.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    service.signal("KILL");
    service.wait();
    let sink = Sink::start_on(port, &[]);
    let service = Serve::start(&flags, &dir.join("serve.log"));
    let pages = sink.wait_delivered(1, LIMIT);
    assert!(text(&pages[0]).contains("run-1"), "{}", pages[0]);
    assert_quiet(&sink, 1, Duration::from_millis(1200));
    drop(service);
}

/// Two replicas on one Redis both look at the outbox: each page is sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_redis_send_each_page_once() {
    let Some(redis) = redis_env::redis_url("serve_paging") else {
        return;
    };
    let sink = Sink::start(&[]);
    let dir = temporary_dir("paging-replicas");
    let prefix = redis_env::unique_prefix("paging");
    let url = sink.url();
    let flags = [
        "--store",
        redis.as_str(),
        "--redis-prefix",
        prefix.as_str(),
        "--any-org",
        "--notify",
        url.as_str(),
    ];
    let one = Serve::start(&flags, &dir.join("one.log"));
    let two = Serve::start(&flags, &dir.join("two.log"));
    deliver(
        &one,
        run("r1", "run-1", "flow-r", 1_800_000_000_000, "failed"),
    )
    .await;
    deliver(
        &two,
        run("r2", "run-2", "flow-s", 1_800_000_000_000, "failed"),
    )
    .await;
    // The same failure again, to the other replica: a duplicate, no second page.
    deliver(
        &two,
        run("r1", "run-1", "flow-r", 1_800_000_000_000, "failed"),
    )
    .await;
    let pages = sink.wait_delivered(2, LIMIT);
    assert_quiet(&sink, 2, Duration::from_millis(1500));
    let mut runs: Vec<bool> = ["run-1", "run-2"]
        .iter()
        .map(|run| pages.iter().any(|page| text(page).contains(run)))
        .collect();
    runs.dedup();
    assert_eq!(runs, [true]);
    // Both replicas show the same flows on their status page.
    for replica in [&one, &two] {
        let page = get(replica.admin, "/").await.body;
        assert!(page.contains("2 failing"), "{page}");
        assert!(page.contains("flow-r") && page.contains("flow-s"), "{page}");
    }
}
