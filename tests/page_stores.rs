//! The page-store contract, asked of every store alike (`MemoryStore`, `SqliteStore` on a
//! real file, `RedisStore` against the real server of `AEP_TEST_REDIS_URL`): which run
//! states and alerts record a page, one claim at a time, the cooldown, and recoveries (in
//! run order, not arrival order).
#![cfg(feature = "webhook")]

use std::time::Duration;

use aep_flow_run::store::{MemoryStore, PageKind, PageRules, PageStore, RunStore, Settled};
use aep_flow_run::{parse_events, parse_notification, Event, Notification};
use serde_json::json;

#[cfg(feature = "redis")]
#[path = "support/redis_env.rs"]
mod redis_env;

/// A run of `flow` with `input` records read and `failed` failed.
fn run(run: &str, flow: &str, updated: u64, status: &str, input: u64, failed: u64) -> Notification {
    parse_notification(
        run_body(run, flow, updated, status, input, failed)
            .to_string()
            .as_bytes(),
    )
    .unwrap()
}

/// A run of `flow` that started at `started` (epoch seconds, as Adobe sends
/// `startedAtUTC`), updated a minute later.
fn run_started(run: &str, flow: &str, started: u64, status: &str) -> Notification {
    let mut body = run_body(run, flow, (started + 60) * 1000, status, 1, 0);
    body["event"]["metrics"]["durationSummary"] = json!({"startedAtUTC": started});
    parse_notification(body.to_string().as_bytes()).unwrap()
}

fn run_body(
    run: &str,
    flow: &str,
    updated: u64,
    status: &str,
    input: u64,
    failed: u64,
) -> serde_json::Value {
    let mut body = json!({
        "event_id": format!("{run}-{updated}"),
        "event": {
            "id": run, "flowId": flow, "updatedAt": updated,
            "metrics": {"recordSummary": {"inputRecordCount": input, "failedRecordCount": failed},
                        "statusSummary": {"status": status}},
        }
    });
    if status == "failed" {
        body["event"]["metrics"]["statusSummary"]["errors"] =
            json!([{"code": "CONNECTOR-1001-500", "message": "copy failed"}]);
    }
    body
}

/// The corpus alert, `FIRING` or `INACTIVE`.
fn alert(firing: bool) -> aep_flow_run::Alert {
    let body = std::fs::read("fixtures/adobe-docs/not-a-run-alert-error-rate.json").unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    json["status"] = json!(if firing { "FIRING" } else { "INACTIVE" });
    let Event::Alert(alert) = parse_events(json.to_string().as_bytes()).unwrap().remove(0) else {
        panic!("an alert")
    };
    alert
}

/// What each due flow's pages are, sorted by flow.
fn kinds(due: &[aep_flow_run::store::PagesDue]) -> Vec<(String, Vec<PageKind>)> {
    let mut kinds: Vec<_> = due
        .iter()
        .map(|flow| {
            (
                flow.flow_id.clone(),
                flow.pages.iter().map(|p| p.kind).collect(),
            )
        })
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    kinds
}

const LEASE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

async fn contract<S: RunStore + PageStore>(store: &S) {
    let flow_of_alert = alert(true).flow_id.clone().unwrap();
    store
        .observe(
            &[
                &run("r1", "f1", 1_800_000_000_000, "failed", 10, 10),
                // A newer state of a run that already paged pages no more.
                &run("r1", "f1", 1_800_000_001_000, "failed", 12, 12),
                &run("r2", "f1", 1_800_000_002_000, "success", 5, 0),
                // 5 % failed: below the rule's 10 %; 20 %: a page.
                &run("r3", "f2", 1_800_000_003_000, "partialSuccess", 100, 5),
                &run("r4", "f2", 1_800_000_004_000, "partialSuccess", 100, 20),
            ],
            &[&alert(true), &alert(true)],
        )
        .await
        .unwrap();
    let firing = store.firing_alerts().await.unwrap();
    assert_eq!(firing.len(), 1);
    assert_eq!(
        firing[0].name.as_deref(),
        Some("sources_ingestion_error_rate_exceeded")
    );

    let due = store.claim_pages("a", LEASE, HOUR).await.unwrap();
    let mut expected = vec![
        ("f1".to_owned(), vec![PageKind::Failed, PageKind::Recovered]),
        ("f2".to_owned(), vec![PageKind::Failed]),
        (flow_of_alert.clone(), vec![PageKind::Alert]),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(kinds(&due), expected);
    let f2 = due.iter().find(|flow| flow.flow_id == "f2").unwrap();
    assert_eq!(f2.pages[0].run.as_ref().unwrap().run_id, "r4");
    // Claimed: no one else gets them; only the holder settles.
    assert!(store
        .claim_pages("b", LEASE, HOUR)
        .await
        .unwrap()
        .is_empty());
    assert!(!store
        .settle_pages("b", "f2", f2.through(), Settled::Sent)
        .await
        .unwrap());
    for flow in &due {
        assert!(store
            .settle_pages("a", &flow.flow_id, flow.through(), Settled::Sent)
            .await
            .unwrap());
    }
    // The alert ends; a new failure waits for the cooldown, a recovery does not.
    store
        .observe(
            &[&run("r5", "f1", 1_800_000_005_000, "failed", 1, 1)],
            &[&alert(false)],
        )
        .await
        .unwrap();
    assert!(store.firing_alerts().await.unwrap().is_empty());
    assert!(store
        .claim_pages("b", LEASE, HOUR)
        .await
        .unwrap()
        .is_empty());
    let due = store.claim_pages("b", LEASE, Duration::ZERO).await.unwrap();
    assert_eq!(kinds(&due), [("f1".to_owned(), vec![PageKind::Failed])]);
    // A retry waits, then the pages are claimed again, by anyone.
    let retry = Settled::Retry {
        after: Duration::from_millis(300),
    };
    assert!(store
        .settle_pages("b", "f1", due[0].through(), retry)
        .await
        .unwrap());
    assert!(store
        .claim_pages("c", LEASE, Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
    store
        .observe(&[&run("r6", "f1", 1_800_000_006_000, "success", 1, 0)], &[])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let due = store.claim_pages("c", LEASE, HOUR).await.unwrap();
    assert_eq!(
        kinds(&due),
        [("f1".to_owned(), vec![PageKind::Failed, PageKind::Recovered])]
    );
    assert!(store
        .settle_pages("c", "f1", due[0].through(), Settled::Dropped)
        .await
        .unwrap());
    assert!(store
        .claim_pages("c", LEASE, Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
    recovery_follows_run_order(store).await;
}

/// An older run's success arriving after a newer run's failure recovers nothing; a run
/// started later does.
async fn recovery_follows_run_order<S: RunStore + PageStore>(store: &S) {
    let newer = run_started("n1", "f3", 1_800_000_600, "failed");
    let older = run_started("o1", "f3", 1_800_000_000, "success");
    store.observe(&[&newer], &[]).await.unwrap();
    store.observe(&[&older], &[]).await.unwrap();
    let due = store.claim_pages("d", LEASE, Duration::ZERO).await.unwrap();
    assert_eq!(kinds(&due), [("f3".to_owned(), vec![PageKind::Failed])]);
    let failed = due[0].pages[0].run.as_ref().unwrap();
    assert_eq!(failed.started_at, Some(1_800_000_600_000));
    assert!(store
        .settle_pages("d", "f3", due[0].through(), Settled::Sent)
        .await
        .unwrap());
    let later = run_started("l1", "f3", 1_800_001_200, "success");
    store.observe(&[&later], &[]).await.unwrap();
    // A recovery, due at once despite the cooldown.
    let due = store.claim_pages("d", LEASE, HOUR).await.unwrap();
    assert_eq!(kinds(&due), [("f3".to_owned(), vec![PageKind::Recovered])]);
    assert_eq!(due[0].pages[0].run.as_ref().unwrap().run_id, "l1");
}

#[tokio::test]
async fn the_memory_store_keeps_the_page_contract() {
    contract(&MemoryStore::default().with_paging(PageRules::new(10))).await;
}

#[tokio::test]
async fn without_rules_no_page_is_recorded_but_alerts_are_kept() {
    let store = MemoryStore::default();
    store
        .observe(
            &[&run("r1", "f1", 1_800_000_000_000, "failed", 1, 1)],
            &[&alert(true)],
        )
        .await
        .unwrap();
    assert_eq!(store.firing_alerts().await.unwrap().len(), 1);
    assert!(store
        .claim_pages("a", LEASE, Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
}

/// A SQLite store that pages, on `state.db` in a directory of its own; remove the directory
/// when done.
#[cfg(feature = "sqlite")]
fn sqlite_store(test: &str) -> (aep_flow_run::store::SqliteStore, std::path::PathBuf) {
    use aep_flow_run::store::{SqliteSettings, SqliteStore};

    let dir = std::env::temp_dir().join(format!("aep-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.db");
    let mut settings = SqliteSettings::default();
    settings.paging = Some(PageRules::new(10));
    (SqliteStore::open(&path, settings).unwrap(), dir)
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn the_sqlite_store_keeps_the_page_contract() {
    let (store, dir) = sqlite_store("page-stores");
    contract(&store).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_store_keeps_the_page_contract() {
    use aep_flow_run::store::{RedisSettings, RedisStore};

    let Some(url) = redis_env::redis_url("page_stores") else {
        return;
    };
    let mut settings = RedisSettings::default();
    settings.prefix = redis_env::unique_prefix("page_stores");
    settings.paging = Some(PageRules::new(10));
    contract(&RedisStore::connect(&url, settings).await.unwrap()).await;
}
