//! `SqliteStore` (feature `sqlite`) on real files with the bundled SQLite: the two-phase claim
//! as the other stores give it, shared by two stores on one file (two processes), claims
//! abandoned only by their owner, huge durations, and one winner among concurrent claims.
#![cfg(feature = "sqlite")]

use std::sync::Arc;
use std::time::Duration;

use aep_flow_run::store::{Claim, DedupStore, EventKey, SqliteSettings, SqliteStore};

const LEASE: Duration = Duration::from_secs(60);
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

fn file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("aep-sqlite-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.db")
}

fn keys(names: &[&str]) -> Vec<EventKey> {
    names.iter().map(|name| EventKey::from(*name)).collect()
}

#[tokio::test]
async fn two_stores_on_one_file_share_claims_and_abandon_only_their_own() {
    let path = file("shared");
    let one = SqliteStore::open(&path, SqliteSettings::default()).unwrap();
    let two = SqliteStore::open(&path, SqliteSettings::default()).unwrap();
    let batch = keys(&["a", "b"]);
    assert_eq!(
        one.claim(&batch, LEASE).await.unwrap(),
        [Claim::Claimed, Claim::Claimed]
    );
    assert_eq!(
        two.claim(&batch, LEASE).await.unwrap(),
        [Claim::InFlight, Claim::InFlight]
    );
    // Not its claims: nothing is given up.
    two.abandon(&batch).await.unwrap();
    assert_eq!(
        two.claim(&keys(&["a"]), LEASE).await.unwrap(),
        [Claim::InFlight]
    );
    one.complete(&keys(&["a"]), KEEP).await.unwrap();
    one.abandon(&keys(&["b"])).await.unwrap();
    assert_eq!(
        two.claim(&batch, LEASE).await.unwrap(),
        [Claim::Done, Claim::Claimed]
    );
    // A claim whose lease ran out is new again.
    one.claim(&keys(&["c"]), Duration::from_millis(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        two.claim(&keys(&["c"]), LEASE).await.unwrap(),
        [Claim::Claimed]
    );
    // Durations past the end of time are the end of time, not a panic.
    one.claim(&keys(&["d"]), Duration::MAX).await.unwrap();
    one.complete(&keys(&["d"]), Duration::MAX).await.unwrap();
    assert_eq!(
        two.claim(&keys(&["d"]), LEASE).await.unwrap(),
        [Claim::Done]
    );
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_many_concurrent_claims_wins() {
    let path = file("concurrent");
    let store = Arc::new(SqliteStore::open(&path, SqliteSettings::default()).unwrap());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim(&keys(&["same"]), LEASE).await.unwrap()[0] })
        })
        .collect();
    let mut claimed = 0;
    for task in tasks {
        if task.await.unwrap() == Claim::Claimed {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
