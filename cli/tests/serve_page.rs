//! The status page in a real browser: headless Chromium (Debian package `chromium`) loads
//! `/` from the built binary after real signed deliveries (successes, a failure with error
//! codes, partial successes above and below the threshold, a firing alert), and its DOM is
//! checked: the alert on top, failing flows first then by latest activity, the error codes
//! with their meaning, the charts, text from outside escaped. A screenshot is written to
//! `target/status-page.png`.
//!
//! Without Chromium the test is skipped with a loud message; under CI (`CI=true`) it fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde_json::{json, Value};

#[path = "support/http.rs"]
mod http;
#[path = "../../tests/support/redis_env.rs"]
mod redis_env;
#[path = "support/serve.rs"]
mod serve;
#[path = "../../tests/support/webhook_sign.rs"]
mod webhook_sign;

use http::{get, json_headers, request};
use serve::{repository, temporary_dir, Serve, CLIENT_ID};
use webhook_sign::signed_headers;

/// The browser: `AEP_TEST_CHROMIUM`, else `chromium` or `chromium-browser` on the `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AEP_TEST_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| [dir.join("chromium"), dir.join("chromium-browser")])
        .find(|candidate| candidate.is_file())
}

/// Runs headless Chromium on `url` with `action` (`--dump-dom`, `--screenshot=...`) in a
/// fresh profile, and gives its standard output.
fn run_chromium(browser: &Path, profile: &Path, action: &[&str], url: &str) -> String {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(action)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A run delivered as an I/O Events envelope, `minutes_ago` minutes old, 5 minutes long.
fn run(flow: (&str, &str), id: &str, minutes_ago: u64, status: &str, records: [u64; 3]) -> Value {
    let updated = now_millis() - minutes_ago * 60_000;
    let millis_text = |millis: u64| {
        chrono::DateTime::from_timestamp_millis(millis as i64)
            .unwrap()
            .to_rfc3339()
    };
    let mut event = json!({
        "id": id, "flowId": flow.0, "flowName": flow.1, "updatedAt": updated,
        "metrics": {
            "durationSummary": {"startedAtUTC": millis_text(updated - 300_000),
                                "completedAtUTC": millis_text(updated)},
            "recordSummary": {"inputRecordCount": records[0], "outputRecordCount": records[1],
                              "failedRecordCount": records[2]},
            "statusSummary": {"status": status}
        }
    });
    if status != "success" {
        event["metrics"]["statusSummary"]["errors"] = json!([
            {"code": "CONNECTOR-1001-500", "message": "<img src=x onerror=alert(1)>"},
            {"code": "CONNECTOR-2001-500", "message": "mapping failed"}
        ]);
    }
    json!({"event_id": format!("event-{id}"), "recipient_client_id": CLIENT_ID, "event": event})
}

async fn deliver(service: &Serve, body: &Value) {
    let body = serde_json::to_vec(body).unwrap();
    let reply = request(
        service.webhook,
        "POST",
        "/",
        &json_headers(signed_headers(&body)),
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

const CRM: (&str, &str) = ("crm-flow", "Nightly CRM import");
const WEB: (&str, &str) = ("web-flow", "Web events");
const LOYALTY: (&str, &str) = ("loyalty-flow", "Loyalty <b>points</b> & \"tiers\"");
const CATALOG: (&str, &str) = ("catalog-flow", "Product catalog");

/// What the test delivers: CRM failing (older), Loyalty a partial success with 30 % failed
/// (failing, newer), Web fine and newest, Catalog a partial success with 1 failed of 500
/// (fine, oldest); a firing alert.
fn deliveries() -> Vec<Value> {
    let mut bodies = Vec::new();
    for n in 0..6 {
        bodies.push(run(
            CRM,
            &format!("crm-{n}"),
            200 - n * 30,
            "success",
            [1000 + n * 50, 1000 + n * 50, 0],
        ));
        bodies.push(run(
            WEB,
            &format!("web-{n}"),
            60 - n * 10,
            "success",
            [300 + n * 40, 300 + n * 40, 0],
        ));
    }
    bodies.push(run(CRM, "crm-failed", 20, "failed", [900, 0, 900]));
    bodies.push(run(
        LOYALTY,
        "loyalty-1",
        15,
        "partialSuccess",
        [100, 70, 30],
    ));
    bodies.push(run(
        CATALOG,
        "catalog-1",
        300,
        "partialSuccess",
        [500, 499, 1],
    ));
    bodies.push(
        json!({"id": "alert-7", "status": "FIRING", "name": "sources_ingestion_error_rate_exceeded",
        "message": "Sources Ingestion Error Rate Exceeded is above 1%. The current value is 30%.",
        "severity": "high", "flowId": "loyalty-flow", "createdAt": "2026-12-01T04:27:44.922Z",
        "header": {"_adobeio": {"eventCode": "source_flow_run_error"}}}),
    );
    bodies
}

/// Where each text first appears in `dom`.
fn position(dom: &str, text: &str) -> usize {
    dom.find(text)
        .unwrap_or_else(|| panic!("{text:?} is not on the page"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_in_chromium_shows_alerts_and_failing_flows_first() {
    let Some(browser) = chromium() else {
        if redis_env::in_ci() {
            panic!("chromium is missing: CI must run the status page test (.ci/run installs it)");
        }
        eprintln!(
            "\n\n=== serve_page: SKIPPED, chromium is not installed \
             (apt-get install chromium, or set AEP_TEST_CHROMIUM) ===\n\n"
        );
        return;
    };
    let dir = temporary_dir("status-page");
    let service = Serve::start(&["--store", "memory", "--any-org"], &dir.join("serve.log"));
    for body in deliveries() {
        deliver(&service, &body).await;
    }
    // The server's own answer: HTML, escaped, refreshing itself, no external asset.
    let page = get(service.admin, "/").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.body.contains("<meta http-equiv=\"refresh\""));
    assert!(!page.body.contains("<script") && !page.body.contains("src=\"http"));
    assert!(page
        .body
        .contains("Loyalty &lt;b&gt;points&lt;/b&gt; &amp; &quot;tiers&quot;"));

    let url = format!("http://{}/", service.admin);
    let dom = run_chromium(&browser, &dir.join("profile-dom"), &["--dump-dom"], &url);
    // The alert on top, then the flows: failing first (newest first), then the fine ones.
    let order: Vec<usize> = [
        "Alerts firing",
        "sources_ingestion_error_rate_exceeded",
        "loyalty-flow",
        "crm-flow",
        "web-flow",
        "catalog-flow",
    ]
    .iter()
    .map(|text| position(&dom, text))
    .collect();
    assert!(
        order.windows(2).all(|pair| pair[0] < pair[1]),
        "order {order:?}:\n{dom}"
    );
    for expected in [
        "2 failing",
        "1 alert firing",
        "CONNECTOR-1001-500",
        "Error while data is being copied from a source.",
        "Error while copied data is processed to Platform",
        "FAILED",
        "PARTIAL",
        "5 min 0 s",
        "<caption>",
        "scope=\"row\"",
    ] {
        assert!(
            dom.contains(expected),
            "{expected:?} not in the DOM:\n{dom}"
        );
    }
    // Names from outside are text, never markup.
    assert!(dom.contains("Loyalty &lt;b&gt;points&lt;/b&gt;"), "{dom}");
    assert!(!dom.contains("<b>points</b>"));
    // One chart per flow, the CRM one with its 7 runs.
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 4);
    assert!(dom.contains("aria-label=\"7 runs, 1 failed\""), "{dom}");

    let screenshot = repository().join("target/status-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let shot = format!("--screenshot={}", screenshot.display());
    run_chromium(
        &browser,
        &dir.join("profile-shot"),
        &[&shot, "--window-size=1280,900", "--hide-scrollbars"],
        &url,
    );
    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    println!("status page screenshot: {}", screenshot.display());
}
