//! The run-store contract, asked of every store alike: `MemoryStore`, `SqliteStore` (feature
//! `sqlite`, the bundled SQLite on a real file) and `RedisStore` (feature `redis`, against the
//! real server of `AEP_TEST_REDIS_URL`): what a state changed, the summary it replaced, the
//! latest state, and the latest runs of every flow, newest first.
#![cfg(feature = "webhook")]

use aep_flow_run::store::{FlowRuns, MemoryStore, Observed, RunChange, RunStore};
use aep_flow_run::{parse_notification, Notification, Outcome, Status};
use serde_json::json;

#[cfg(feature = "redis")]
#[path = "support/redis_env.rs"]
mod redis_env;

fn notification(run: &str, flow: &str, updated: u64, status: &str, input: u64) -> Notification {
    let mut body = json!({
        "event_id": format!("{run}-{updated}"),
        "event": {
            "id": run, "flowId": flow, "updatedAt": updated,
            "metrics": {"recordSummary": {"inputRecordCount": input},
                        "statusSummary": {"status": status}},
            "header": {"_adobeio": {"eventCode": "sources_flow_run_success"}}
        }
    });
    if status == "failed" {
        body["event"]["header"]["_adobeio"]["eventCode"] = json!("sources_flow_run_failed");
        body["event"]["metrics"]["statusSummary"]["errors"] =
            json!([{"code": "CONNECTOR-2001-500"}, {"code": "CONNECTOR-2001-500"}]);
    }
    parse_notification(body.to_string().as_bytes()).unwrap()
}

fn changes(observed: &[Observed]) -> Vec<(RunChange, Option<u64>)> {
    observed
        .iter()
        .map(|o| {
            (
                o.change.clone(),
                o.before.as_ref().and_then(|b| b.input_records),
            )
        })
        .collect()
}

/// The contract, on a store that has seen nothing of these runs.
async fn contract(store: &dyn RunStore) {
    let started = notification("r1", "f1", 1_800_000_000_000, "inProgress", 10);
    let done = notification("r1", "f1", 1_800_000_060_000, "success", 25);
    let other = notification("r2", "f2", 1_800_000_120_000, "failed", 3);
    let third = notification("r3", "f1", 1_700_000_000_000, "success", 1);
    let observed = store
        .observe(&[&started, &done, &started, &done], &[])
        .await
        .unwrap();
    assert_eq!(
        changes(&observed),
        [
            (RunChange::New, None),
            (
                RunChange::StatusChanged {
                    from: Some(Status::InProgress),
                    to: Some(Status::Success)
                },
                Some(10)
            ),
            (RunChange::Stale, None),
            (RunChange::Duplicate, None),
        ]
    );
    let observed = store.observe(&[&other, &third], &[]).await.unwrap();
    assert_eq!(
        changes(&observed),
        [(RunChange::New, None), (RunChange::New, None)]
    );
    assert_eq!(store.latest("r1").await.unwrap(), Some(done.run.clone()));

    let flows: Vec<FlowRuns> = store.flows(20).await.unwrap();
    let listed: Vec<(&str, Vec<&str>)> = flows
        .iter()
        .map(|flow| {
            (
                flow.flow_id.as_str(),
                flow.runs.iter().map(|run| run.run_id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(listed, [("f2", vec!["r2"]), ("f1", vec!["r1", "r3"])]);
    let failed = &flows[0].runs[0];
    assert_eq!(failed.outcome, Outcome::Failed);
    assert_eq!(
        failed.event_code.as_deref(),
        Some("sources_flow_run_failed")
    );
    assert_eq!(failed.error_codes, ["CONNECTOR-2001-500"]);
    assert_eq!(failed.updated_at, Some(1_800_000_120_000));
    assert_eq!(flows[1].runs[0].input_records, Some(25));
    assert_eq!(store.flows(1).await.unwrap()[1].runs.len(), 1);
}

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    contract(&MemoryStore::default()).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn the_sqlite_store_keeps_the_contract_and_its_state_across_reopening() {
    use aep_flow_run::store::{SqliteSettings, SqliteStore};

    let dir = std::env::temp_dir().join(format!("aep-run-stores-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.db");
    {
        let store = SqliteStore::open(&path, SqliteSettings::default()).unwrap();
        contract(&store).await;
    }
    let store = SqliteStore::open(&path, SqliteSettings::default()).unwrap();
    let again = notification("r1", "f1", 1_800_000_060_000, "success", 25);
    assert_eq!(
        changes(&store.observe(&[&again], &[]).await.unwrap()),
        [(RunChange::Duplicate, None)]
    );
    assert_eq!(store.flows(20).await.unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_store_keeps_the_contract() {
    use aep_flow_run::store::{RedisSettings, RedisStore};

    let Some(url) = redis_env::redis_url("run_stores") else {
        return;
    };
    let mut settings = RedisSettings::default();
    settings.prefix = redis_env::unique_prefix("run_stores");
    let store = RedisStore::connect(&url, settings).await.unwrap();
    contract(&store).await;
}
