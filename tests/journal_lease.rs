//! One consumer at a time reads a journal (the checkpoint's reading lease), and a consumer
//! knows where it resumes before its first poll: in memory, and between replicas on a real
//! Redis server (`AEP_TEST_REDIS_URL`), against the local journal of
//! tests/support/journal_server.rs with test clocks (no test sleeps).
#![cfg(feature = "fetch")]

use std::sync::Arc;
use std::time::Duration;

use aep_flow_run::journal::{
    AccessToken, JournalConsumer, JournalPage, JournalSettings, Polled, StaticToken,
};
use aep_flow_run::store::{Checkpoint, DedupStore, MemoryStore};
use aep_flow_run::url::Url;
use serde_json::Value;

#[path = "support/journal_server.rs"]
mod journal_server;
#[path = "support/redis_env.rs"]
mod redis_env;
#[path = "support/test_tls.rs"]
mod test_tls;

use journal_server::{fixture_entries, start, Server, TestClock, JOURNAL_URL};

/// Four events, two a page: positions `.0` `.1` on the first page, `camel:` `moose:` on the
/// second.
fn entries() -> Vec<(String, Value)> {
    let mut entries = fixture_entries("fixtures/edge-cases/journal-page.json");
    entries.extend(fixture_entries(
        "fixtures/events/journal-aem-asset-created-two-events.json",
    ));
    entries
}

fn consumer(
    server: &Server,
    checkpoint: Arc<dyn Checkpoint>,
    store: Arc<dyn DedupStore>,
) -> (JournalConsumer, Arc<TestClock>) {
    let clock = TestClock::new();
    let mut settings = JournalSettings::default();
    settings.limit = Some(2);
    let consumer = JournalConsumer::new(
        Url::parse(JOURNAL_URL).unwrap(),
        "my-client-id",
        StaticToken(AccessToken::new("tok-static")),
    )
    .unwrap()
    .with_client(server.client())
    .with_clock(clock.clone())
    .with_settings(settings)
    .with_checkpoint(checkpoint)
    .with_store(store);
    (consumer, clock)
}

async fn page(consumer: &mut JournalConsumer) -> JournalPage {
    match consumer.poll().await {
        Ok(Polled::Page(page)) => page,
        other => panic!("expected a page, got {other:?}"),
    }
}

/// The positions of a page's events.
fn positions(page: &JournalPage) -> Vec<String> {
    page.events
        .iter()
        .map(|incoming| incoming.event.journal_position().unwrap().to_owned())
        .collect()
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// Issue 33: `position()` was `None` until the first poll, though the checkpoint held one.
#[tokio::test]
async fn the_position_to_resume_from_is_known_before_the_first_poll() {
    let server = start(entries()).await;
    let store = Arc::new(MemoryStore::default());
    store.save(JOURNAL_URL, "rabbit:a1b2c3d4.1").await.unwrap();
    let (mut resuming, _) = consumer(&server, store.clone(), store.clone());
    assert_eq!(resuming.position(), None);
    assert_eq!(resuming.load().await.unwrap(), Some("rabbit:a1b2c3d4.1"));
    assert_eq!(resuming.position(), Some("rabbit:a1b2c3d4.1"));
    assert!(server.take_sinces().is_empty(), "load reads no journal");

    let second = page(&mut resuming).await;
    assert_eq!(server.take_sinces(), [some("rabbit:a1b2c3d4.1")]);
    assert!(positions(&second)[0].starts_with("camel:"));

    // With nothing saved, load says so, and the first poll starts from the start.
    let empty = Arc::new(MemoryStore::default());
    let (mut fresh, _) = consumer(&server, empty.clone(), empty);
    assert_eq!(fresh.load().await.unwrap(), None);
    let first = page(&mut fresh).await;
    assert_eq!(
        positions(&first),
        ["rabbit:a1b2c3d4.0", "rabbit:a1b2c3d4.1"]
    );
    assert_eq!(server.take_sinces(), [None]);
}

/// Two consumers (two replicas' worth) on one store: one reads while the other waits,
/// then the other takes over from the position saved, once the first stops.
async fn take_turns(
    server: &Server,
    one: (Arc<dyn Checkpoint>, Arc<dyn DedupStore>),
    two: (Arc<dyn Checkpoint>, Arc<dyn DedupStore>),
) {
    let (mut a, _) = consumer(server, one.0.clone(), one.1);
    let (mut b, b_clock) = consumer(server, two.0.clone(), two.1);

    let first = page(&mut a).await;
    assert_eq!(server.take_sinces(), [None]);
    // B reads nothing while A holds the lease, and waits what is left of it.
    let Polled::ReadElsewhere { retry_after } = b.poll().await.unwrap() else {
        panic!("B read while A holds the lease")
    };
    assert!(retry_after > Duration::from_secs(50) && retry_after <= Duration::from_secs(60));
    assert!(server.take_sinces().is_empty(), "B sent no request");
    a.complete(&first).await.unwrap();
    assert_eq!(
        one.0.load(JOURNAL_URL).await.unwrap().as_deref(),
        Some("rabbit:a1b2c3d4.1")
    );
    assert!(matches!(
        b.poll().await.unwrap(),
        Polled::ReadElsewhere { .. }
    ));
    assert_eq!(
        b_clock.take_sleeps(),
        [retry_after],
        "B waited out the lease once"
    );

    // A stops: B takes over at its next poll, from A's position.
    a.stop().await.unwrap();
    let second = page(&mut b).await;
    assert_eq!(server.take_sinces(), [some("rabbit:a1b2c3d4.1")]);
    assert!(positions(&second)[0].starts_with("camel:"));
    assert!(second.events.iter().all(|incoming| !incoming.duplicate));
    b.complete(&second).await.unwrap();
    let saved = two.0.load(JOURNAL_URL).await.unwrap().unwrap();
    assert!(saved.starts_with("moose:"), "{saved}");
    // Now A waits.
    assert!(matches!(
        a.poll().await.unwrap(),
        Polled::ReadElsewhere { .. }
    ));
    assert!(server.take_sinces().is_empty());
}

/// A lease setting out of bounds is brought within 1 s to 24 hours, never an overflow.
#[tokio::test]
async fn a_reader_lease_out_of_bounds_is_clamped() {
    let server = start(entries()).await;
    let store = Arc::new(MemoryStore::default());
    let (a, _) = consumer(&server, store.clone(), store.clone());
    let mut settings = JournalSettings::default();
    settings.reader_lease = Duration::MAX;
    let mut a = a.with_settings(settings);
    page(&mut a).await;
    let (b, _) = consumer(&server, store.clone(), store);
    let mut settings = JournalSettings::default();
    settings.reader_lease = Duration::ZERO;
    let mut b = b.with_settings(settings);
    let Polled::ReadElsewhere { retry_after } = b.poll().await.unwrap() else {
        panic!("B read while A holds the lease")
    };
    // A holds it for 24 hours; B waits what its own lease allows (1 s), then looks again.
    assert_eq!(retry_after, Duration::from_secs(1));
    assert!(matches!(
        b.poll().await.unwrap(),
        Polled::ReadElsewhere { .. }
    ));
}

#[tokio::test]
async fn consumers_sharing_a_memory_store_read_one_at_a_time() {
    let server = start(entries()).await;
    let store = Arc::new(MemoryStore::default());
    take_turns(
        &server,
        (store.clone(), store.clone()),
        (store.clone(), store),
    )
    .await;
}

/// A connection to the test Redis server, and two stores on one fresh prefix (two
/// replicas); `None` (skip) where there is no test server outside CI.
#[cfg(feature = "redis")]
async fn redis_replicas(
    test: &str,
) -> Option<(
    redis::aio::MultiplexedConnection,
    Arc<aep_flow_run::store::RedisStore>,
    Arc<aep_flow_run::store::RedisStore>,
)> {
    use aep_flow_run::store::{RedisSettings, RedisStore};
    let url = redis_env::redis_url(test)?;
    let mut settings = RedisSettings::default();
    settings.prefix = redis_env::unique_prefix(test);
    let one = RedisStore::connect(&url, settings.clone()).await.unwrap();
    let two = RedisStore::connect(&url, settings).await.unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let connection = client.get_multiplexed_async_connection().await.unwrap();
    Some((connection, Arc::new(one), Arc::new(two)))
}

/// Issue 33: `RedisStore` was no `Checkpoint`, so replicas could not share a position, and
/// nothing kept two of them from reading the same journal.
#[cfg(feature = "redis")]
#[tokio::test]
async fn replicas_on_redis_share_the_position_and_read_one_at_a_time() {
    let Some((mut connection, one, two)) = redis_replicas("journal-lease").await else {
        return;
    };
    let server = start(entries()).await;
    take_turns(
        &server,
        (one.clone(), one.clone()),
        (two.clone(), two.clone()),
    )
    .await;

    // The keys, as documented.
    let saved: String = redis::cmd("GET")
        .arg(one.position_key(JOURNAL_URL))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(saved.starts_with("moose:"), "{saved}");
    let holder: Option<String> = redis::cmd("GET")
        .arg(one.lease_key(JOURNAL_URL))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(holder.unwrap().starts_with("consumer-"));
}

/// A consumer whose lease ran out while it handled a page, and was taken over, saves
/// nothing over the new reader's position: the events it handled are recorded as done (the
/// next reader sees them as duplicates), and its next poll waits.
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_reader_that_lost_its_lease_saves_no_position() {
    use aep_flow_run::store::Lease;
    let Some((mut connection, one, two)) = redis_replicas("journal-lost-lease").await else {
        return;
    };
    let server = start(entries()).await;
    let (mut a, _) = consumer(&server, one.clone(), one.clone());
    let first = page(&mut a).await;

    // A's lease runs out (as if A had been paused longer than the lease), and another
    // consumer takes it.
    let _: i64 = redis::cmd("DEL")
        .arg(one.lease_key(JOURNAL_URL))
        .query_async(&mut connection)
        .await
        .unwrap();
    let minute = Duration::from_secs(60);
    assert_eq!(
        two.lease(JOURNAL_URL, "other", minute).await.unwrap(),
        Lease::Held
    );

    a.complete(&first).await.unwrap();
    assert_eq!(
        one.load(JOURNAL_URL).await.unwrap(),
        None,
        "A saved nothing"
    );
    assert!(!one
        .save_leased(JOURNAL_URL, "not-the-holder", "p", minute)
        .await
        .unwrap());
    assert!(matches!(
        a.poll().await.unwrap(),
        Polled::ReadElsewhere { .. }
    ));

    // The other consumer stops; B reads from the saved position (none: the start), and the
    // events A handled are duplicates.
    two.end_lease(JOURNAL_URL, "other").await.unwrap();
    server.take_sinces();
    let (mut b, _) = consumer(&server, two.clone(), two.clone());
    let again = page(&mut b).await;
    assert_eq!(server.take_sinces(), [None]);
    assert_eq!(positions(&again), positions(&first));
    assert!(again.events.iter().all(|incoming| incoming.duplicate));
    b.complete(&again).await.unwrap();
    assert_eq!(
        two.load(JOURNAL_URL).await.unwrap().as_deref(),
        Some("rabbit:a1b2c3d4.1")
    );
}
