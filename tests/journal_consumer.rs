//! The journal consumer (feature `fetch`) against a local journal that answers as Adobe
//! documents (tests/support/journal_server.rs), over TLS on 127.0.0.1, with a test clock:
//! no test sleeps.
#![cfg(feature = "fetch")]

use std::sync::Arc;
use std::time::Duration;

use aep_flow_run::journal::{
    AccessToken, JournalConsumer, JournalError, JournalPage, JournalSettings, JournalStart, Polled,
    StaticToken,
};
use aep_flow_run::store::{Checkpoint, Claim, DedupStore, EventKey, MemoryStore, StoreError};
use aep_flow_run::webhook::{Answer, Received, Receiver, ReceiverSettings};
use aep_flow_run::BoxFuture;
use aep_flow_run::EventKind;
use serde_json::{json, Value};
use url::Url;

#[path = "support/journal_server.rs"]
mod journal_server;
#[path = "support/test_tls.rs"]
mod test_tls;
#[path = "support/webhook_sign.rs"]
mod webhook_sign;

use journal_server::{
    fixture_entries, secs, start, Reply, Server, TestClock, JOURNAL_PATH, JOURNAL_URL,
};

const RUN_ID: &str = "aec55616-1715-487f-8044-ba648cc8ffee";
const CLOUD_RUN_ID: &str = "4f0c4f63-5c1e-4bb2-bf4e-d25f0b3e6d8a";
const CAMEL: &str =
    "camel:5aeb25cc-1b15-4f26-a082-9c213005dba8:ff244403-ca7c-4993-bbda-3c8915ce0b32";
const MOOSE: &str =
    "moose:e7ba778b-dace-4994-96e7-da80e7125233:2159b72c-e284-4899-b572-08da250e3614";
const REPEAT: &str = "rabbit:a1b2c3d4.7";

/// The journal of these tests: two flow runs (journal-page.json), two AEM events without
/// an event id (journal-aem-asset-created-two-events.json), an alert, and the first run
/// again at a later position (Adobe may repeat an event).
fn entries() -> Vec<(String, Value)> {
    let mut entries = fixture_entries("fixtures/edge-cases/journal-page.json");
    entries.extend(fixture_entries(
        "fixtures/events/journal-aem-asset-created-two-events.json",
    ));
    let alert: Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/events/alert-identity-flow-run-delay-inactive.json"),
        )
        .unwrap(),
    )
    .unwrap();
    entries.push((
        "alert:0001".to_owned(),
        json!({"event_id": "alert-evt-1", "event": alert, "recipient_client_id": "my-client-id"}),
    ));
    let repeat = entries[0].1.clone();
    entries.push((REPEAT.to_owned(), repeat));
    entries
}

fn settings(limit: u32) -> JournalSettings {
    let mut settings = JournalSettings::default();
    settings.limit = Some(limit);
    settings
}

fn consumer(server: &Server, clock: &Arc<TestClock>, limit: u32) -> JournalConsumer {
    JournalConsumer::new(
        Url::parse(JOURNAL_URL).unwrap(),
        "my-client-id",
        StaticToken(AccessToken::new("tok-static")),
    )
    .unwrap()
    .with_org_id("ORG@AdobeOrg")
    .with_client(server.client())
    .with_clock(clock.clone())
    .with_settings(settings(limit))
}

async fn page(consumer: &mut JournalConsumer) -> JournalPage {
    match consumer.poll().await {
        Ok(Polled::Page(page)) => page,
        other => panic!("expected a page, got {other:?}"),
    }
}

/// (event id, kind, duplicate) of each event of a page.
fn summary(page: &JournalPage) -> Vec<(Option<String>, EventKind, bool)> {
    page.events
        .iter()
        .map(|event| {
            (
                event.event.event_id().map(str::to_owned),
                event.event.kind(),
                event.duplicate,
            )
        })
        .collect()
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// The positions of a memory store without its reading lease (the trait's defaults), as a
/// checkpoint for one process (a file) has none.
struct Unleased(Arc<MemoryStore>);

impl Checkpoint for Unleased {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        self.0.load(journal)
    }

    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.save(journal, position)
    }
}

#[tokio::test]
async fn catches_up_page_by_page_following_relative_links() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let checkpoint = Arc::new(MemoryStore::default());
    let mut consumer = consumer(&server, &clock, 3).with_checkpoint(checkpoint.clone());

    let first = page(&mut consumer).await;
    assert_eq!(
        summary(&first),
        [
            (some(RUN_ID), EventKind::FlowRun, false),
            (some(CLOUD_RUN_ID), EventKind::FlowRun, false),
            (None, EventKind::Other, false),
        ]
    );
    assert_eq!(
        first.events[2].key,
        format!("my-client-id/position:{CAMEL}")
    );
    assert_eq!(first.count, Some(3));
    assert_eq!(first.position.as_deref(), Some(CAMEL));
    let run = first.events[0].event.as_flow_run().unwrap();
    assert_eq!(run.journal_position.as_deref(), Some("rabbit:a1b2c3d4.0"));
    assert_eq!(
        run.run.id.as_deref(),
        Some("933cf9f4-cf01-4d75-bcf9-f4cf010d750a")
    );
    // Not acknowledged: nothing saved yet.
    assert_eq!(checkpoint.position(JOURNAL_URL), None);
    consumer.complete(&first).await.unwrap();
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(CAMEL));
    assert_eq!(consumer.position(), Some(CAMEL));

    // The second page mixes another event, an alert and the first run repeated.
    let second = page(&mut consumer).await;
    assert_eq!(
        summary(&second),
        [
            (None, EventKind::Other, false),
            (some("alert-evt-1"), EventKind::Alert, false),
            (some(RUN_ID), EventKind::FlowRun, true),
        ]
    );
    assert_eq!(second.new_events().count(), 2);
    assert_eq!(
        second.url.query(),
        Some(&*format!("since={}&limit=3", enc(CAMEL)))
    );
    consumer.complete(&second).await.unwrap();
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(REPEAT));
    // Acknowledging twice is refused.
    assert_eq!(
        consumer.complete(&second).await,
        Err(JournalError::NotPending)
    );

    // The end: 204 with Retry-After 10, and the next poll waits it out first.
    assert!(matches!(
        consumer.poll().await.unwrap(),
        Polled::CaughtUp { retry_after: Some(wait), .. } if wait == secs(10)
    ));
    // The three requests so far were each a second after the one before.
    assert_eq!(clock.take_sleeps(), [secs(1), secs(1)]);
    assert!(matches!(consumer.poll().await, Ok(Polled::CaughtUp { .. })));
    assert_eq!(clock.take_sleeps(), [secs(10)]);

    let requests = server.state().journal_requests.clone();
    let targets: Vec<&str> = requests.iter().map(|seen| seen.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            format!("{JOURNAL_PATH}?limit=3"),
            format!("{JOURNAL_PATH}?since={}&limit=3", enc(CAMEL)),
            format!("{JOURNAL_PATH}?since={}&limit=3", enc(REPEAT)),
            format!("{JOURNAL_PATH}?since={}&limit=3", enc(REPEAT)),
        ]
    );
    for seen in &requests {
        assert_eq!(seen.method, "GET");
        assert_eq!(seen.header("authorization"), Some("Bearer tok-static"));
        assert_eq!(seen.header("x-api-key"), Some("my-client-id"));
        assert_eq!(seen.header("x-ims-org-id"), Some("ORG@AdobeOrg"));
        assert_eq!(seen.header("host"), Some("events-va6.adobe.io"));
    }
}

fn enc(position: &str) -> String {
    url::form_urlencoded::byte_serialize(position.as_bytes()).collect()
}

#[tokio::test]
async fn an_event_repeated_on_one_page_is_handed_over_once() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 10);
    let only = page(&mut consumer).await;
    assert_eq!(only.events.len(), 6);
    let new: Vec<_> = only.new_events().map(|event| event.event_id()).collect();
    assert_eq!(
        new,
        [
            Some(RUN_ID),
            Some(CLOUD_RUN_ID),
            None,
            None,
            Some("alert-evt-1")
        ]
    );
    assert!(only.events[5].duplicate);
    assert_eq!(only.events[5].key, only.events[0].key);
    consumer.complete(&only).await.unwrap();
    assert!(matches!(consumer.poll().await, Ok(Polled::CaughtUp { .. })));
}

#[tokio::test]
async fn a_restart_resumes_after_the_last_acknowledged_page() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let checkpoint = Arc::new(MemoryStore::default());
    // The process dies: its reading lease dies with it, as in a checkpoint for one process.
    let mut first_run =
        consumer(&server, &clock, 2).with_checkpoint(Arc::new(Unleased(checkpoint.clone())));
    let one = page(&mut first_run).await;
    first_run.complete(&one).await.unwrap();
    // The second page is read, and the process dies before handling it.
    let two = page(&mut first_run).await;
    assert_eq!(two.position.as_deref(), Some(MOOSE));
    drop(first_run);
    assert_eq!(
        checkpoint.position(JOURNAL_URL).as_deref(),
        Some("rabbit:a1b2c3d4.1")
    );
    server.take_sinces();

    // A new process (a new in-memory deduplication store, the same checkpoint) starts
    // after the first page and gets the second page again: nothing lost, nothing older.
    let mut second_run = consumer(&server, &clock, 2)
        .with_checkpoint(Arc::new(Unleased(checkpoint.clone())))
        .with_start(JournalStart::Latest);
    let again = page(&mut second_run).await;
    assert_eq!(summary(&again), summary(&two));
    assert_eq!(server.take_sinces(), [some("rabbit:a1b2c3d4.1")]);
    second_run.complete(&again).await.unwrap();
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(MOOSE));

    // Polling without acknowledging reads the same page again.
    let three = page(&mut second_run).await;
    let three_again = page(&mut second_run).await;
    assert_eq!(summary(&three), summary(&three_again));
    assert!(three_again.events.iter().all(|event| !event.duplicate));
    assert_eq!(server.take_sinces(), [some(MOOSE), some(MOOSE)]);
    // The stale copy cannot be acknowledged; the current one can.
    assert_eq!(
        second_run.complete(&three).await,
        Err(JournalError::NotPending)
    );
    second_run.complete(&three_again).await.unwrap();
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(REPEAT));
}

#[tokio::test]
async fn latest_starts_at_the_end_and_its_position_is_kept() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let checkpoint = Arc::new(MemoryStore::default());
    let mut consumer = consumer(&server, &clock, 2)
        .with_checkpoint(checkpoint.clone())
        .with_start(JournalStart::Latest);
    assert!(matches!(
        consumer.poll().await.unwrap(),
        Polled::CaughtUp { retry_after: Some(wait), .. } if wait == secs(10)
    ));
    // The 204's next link carries the end position: saved, so a restart does not jump.
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(REPEAT));
    let requests = server.state().journal_requests.clone();
    assert_eq!(
        requests[0].target,
        format!("{JOURNAL_PATH}?latest=true&limit=2")
    );
    // A new event arrives; the next poll (after the wait) reads it with `since`.
    server.state().entries.push((
        "rabbit:a1b2c3d4.8".to_owned(),
        json!({"event_id": "late-1", "event": {"id": "run-9", "metrics": {}}}),
    ));
    let late = page(&mut consumer).await;
    assert_eq!(clock.take_sleeps(), [secs(10)]);
    assert_eq!(
        summary(&late),
        [(some("late-1"), EventKind::FlowRun, false)]
    );
    assert_eq!(server.take_sinces(), [None, some(REPEAT)]);
}

#[tokio::test]
async fn waits_honour_retry_after_and_back_off_on_server_errors() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    server.journal_fault(Reply::new(429, "slow down").header("retry-after", "7"));
    server.journal_fault(Reply::new(503, "unavailable"));
    server.journal_fault(Reply::new(502, "bad gateway"));
    server.journal_fault(Reply::new(500, "oops").header("retry-after", "30"));
    let first = page(&mut consumer).await;
    assert_eq!(first.events.len(), 3);
    // 429: its Retry-After; then 1 s, 2 s, and 4 s raised to the Retry-After of 30 s.
    assert_eq!(clock.take_sleeps(), [secs(7), secs(1), secs(2), secs(30)]);
    assert_eq!(server.take_sinces(), [None, None, None, None, None]);

    // A 429 without Retry-After waits the default; one past the maximum is cut to it.
    consumer.complete(&first).await.unwrap();
    server.journal_fault(Reply::new(429, ""));
    server.journal_fault(Reply::new(429, "").header("retry-after", "86400"));
    page(&mut consumer).await;
    // A second after the last request first (pages are read a second apart).
    assert_eq!(clock.take_sleeps(), [secs(1), secs(10), secs(300)]);
}

#[tokio::test]
async fn server_errors_in_a_row_give_up_without_moving() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut settings = settings(3);
    settings.max_attempts = 3;
    let mut consumer = consumer(&server, &clock, 3).with_settings(settings);
    let first = page(&mut consumer).await;
    consumer.complete(&first).await.unwrap();
    for _ in 0..3 {
        server.journal_fault(Reply::new(500, "internal error"));
    }
    let error = consumer.poll().await.unwrap_err();
    let url = format!("{JOURNAL_URL}?since={}&limit=3", enc(CAMEL));
    assert_eq!(
        error,
        JournalError::Unavailable {
            url: url.clone(),
            attempts: 3,
            reason: "status 500: internal error".to_owned(),
        }
    );
    assert_eq!(
        error.to_string(),
        format!("journal unavailable at {url} after 3 attempts: status 500: internal error")
    );
    // A second after the last request, then 1 s and 2 s of backoff.
    assert_eq!(clock.take_sleeps(), [secs(1), secs(1), secs(2)]);
    assert_eq!(consumer.position(), Some(CAMEL));
    // The journal is back: the same page is read.
    let second = page(&mut consumer).await;
    assert_eq!(second.url.as_str(), url);
}

#[tokio::test]
async fn an_expired_position_is_410_with_the_reset_choices() {
    let server = start(entries()).await;
    server.state().expired.push("rabbit:old".to_owned());
    let clock = TestClock::new();
    let checkpoint = Arc::new(MemoryStore::default());
    checkpoint.save(JOURNAL_URL, "rabbit:old").await.unwrap();
    let mut consumer = consumer(&server, &clock, 3).with_checkpoint(checkpoint.clone());
    let error = consumer.poll().await.unwrap_err();
    let JournalError::Expired {
        url,
        position,
        message,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(url, &format!("{JOURNAL_URL}?since=rabbit%3Aold&limit=3"));
    assert_eq!(position.as_deref(), Some("rabbit:old"));
    assert_eq!(
        message,
        r#"{"message": "Events at position rabbit:old have expired."}"#
    );
    assert!(error
        .to_string()
        .starts_with("journal position rabbit:old has expired: "));
    // Polling again gives the same error: nothing skipped silently.
    assert!(matches!(
        consumer.poll().await,
        Err(JournalError::Expired { .. })
    ));
    assert_eq!(
        checkpoint.position(JOURNAL_URL).as_deref(),
        Some("rabbit:old")
    );

    // Reset to the oldest event: read from the start, saved once acknowledged.
    consumer.reset(JournalStart::Oldest).await.unwrap();
    let first = page(&mut consumer).await;
    assert_eq!(first.events[0].event.event_id(), Some(RUN_ID));
    consumer.complete(&first).await.unwrap();
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(CAMEL));
    // A reset by seek goes out as `seek`, and one that cannot be built is refused.
    consumer
        .reset(JournalStart::Seek("-PT2H".to_owned()))
        .await
        .unwrap();
    let _ = consumer.poll().await;
    let last = server
        .state()
        .journal_requests
        .last()
        .unwrap()
        .target
        .clone();
    assert_eq!(last, format!("{JOURNAL_PATH}?seek=-PT2H&limit=3"));
    assert!(matches!(
        consumer
            .reset(JournalStart::Seek("two hours".to_owned()))
            .await,
        Err(JournalError::InvalidSeek(_))
    ));
}

#[tokio::test]
async fn a_malformed_page_is_an_error_with_its_position_never_a_gap() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    let first = page(&mut consumer).await;
    consumer.complete(&first).await.unwrap();
    let url = format!("{JOURNAL_URL}?since={}&limit=3", enc(CAMEL));
    let link = format!("<{JOURNAL_PATH}?since=far-ahead>; rel=\"next\"");

    server.journal_fault(Reply::new(200, "<html>maintenance</html>").header("link", &link));
    let error = consumer.poll().await.unwrap_err();
    let JournalError::Malformed {
        url: at,
        position,
        reason,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(at, &url);
    assert_eq!(position.as_deref(), Some(CAMEL));
    assert!(
        reason.contains("invalid JSON at line 1, column 1"),
        "{reason}"
    );
    assert!(error.to_string().starts_with(&format!(
        "malformed journal page at {url} (after position {CAMEL}): "
    )));

    // Valid JSON that is no page, and a page with an event of the wrong shape.
    server.journal_fault(Reply::new(200, r#"{"items": []}"#).header("link", &link));
    let error = consumer.poll().await.unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("not a journal page: no `events` array"),
        "{error}"
    );
    server.journal_fault(
        Reply::new(
            200,
            r#"{"events": [{"position": "p9", "event": {"event_id": "x", "event": {"id": "r", "metrics": {"recordSummary": {"inputRecordCount": true}}}}}]}"#,
        )
        .header("link", &link),
    );
    let error = consumer.poll().await.unwrap_err();
    assert!(
        matches!(&error, JournalError::Malformed { reason, .. } if reason.contains("inputRecordCount")),
        "{error}"
    );
    // Nothing moved: the page is read from the same place once the journal is right.
    assert_eq!(consumer.position(), Some(CAMEL));
    let second = page(&mut consumer).await;
    assert_eq!(second.url.as_str(), url);
    assert_eq!(second.events[1].event.event_id(), Some("alert-evt-1"));
}

#[tokio::test]
async fn a_link_to_another_origin_is_refused() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    let body = r#"{"events": [], "_page": {"count": 0}}"#;
    for (link, resolved) in [
        (
            "<https://evil.example/steal?since=x>; rel=\"next\"",
            "https://evil.example/steal?since=x",
        ),
        (
            "<https://events-va6.adobe.io:8443/events>; rel=next",
            "https://events-va6.adobe.io:8443/events",
        ),
        ("<//evil.example/x>; rel=next", "https://evil.example/x"),
    ] {
        server.journal_fault(Reply::new(200, body).header("link", link));
        assert_eq!(
            consumer.poll().await,
            Err(JournalError::ForeignLink {
                url: format!("{JOURNAL_URL}?limit=3"),
                link: resolved.to_owned(),
            })
        );
    }
    // On a 204 as well.
    server.journal_fault(
        Reply::new(204, "")
            .header("retry-after", "10")
            .header("link", "<http://events-va6.adobe.io/x>; rel=\"next\""),
    );
    assert!(matches!(
        consumer.poll().await,
        Err(JournalError::ForeignLink { .. })
    ));
    assert_eq!(consumer.position(), None);
    assert_eq!(server.take_sinces(), [None, None, None, None]);
    let first = page(&mut consumer).await;
    assert_eq!(first.events.len(), 3);
}

#[tokio::test]
async fn other_statuses_are_errors_saying_what_and_where() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    server.journal_fault(Reply::new(403, r#"{"message": "forbidden"}"#));
    let error = consumer.poll().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            r#"journal request {JOURNAL_URL}?limit=3 answered 403: {{"message": "forbidden"}}"#
        )
    );
}

/// The webhook, on `store`, for the entries of these tests (whose times are from 2020: no
/// limit on an event's age).
fn webhook(store: &Arc<MemoryStore>) -> Receiver<Arc<MemoryStore>> {
    let mut settings = ReceiverSettings::default();
    settings.max_event_age = None;
    Receiver::new(webhook_sign::test_verifier("my-client-id"))
        .with_store(store.clone())
        .with_settings(settings)
}

/// The journal entry at `index`, delivered to the webhook signed.
async fn deliver(receiver: &Receiver<Arc<MemoryStore>>, index: usize) -> Answer {
    let delivery = serde_json::to_vec(&entries()[index].1).unwrap();
    let headers = webhook_sign::signed_headers(&delivery);
    receiver
        .handle("POST", "", webhook_sign::pairs(&headers), &delivery)
        .await
}

/// The webhook and the journal share one deduplication store.
#[tokio::test]
async fn events_the_webhook_handled_are_not_handled_again() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let store = Arc::new(MemoryStore::new(1000));
    let receiver = webhook(&store);

    // The webhook handles the first run.
    let reception = deliver(&receiver, 0).await;
    assert_eq!(reception.status, 200);
    let Received::Delivery { events, .. } = &reception.received else {
        panic!("{:?}", reception.received)
    };
    receiver.complete(events).await.unwrap();

    let mut consumer = consumer(&server, &clock, 3).with_store(store.clone());
    let first = page(&mut consumer).await;
    assert_eq!(
        summary(&first),
        [
            (some(RUN_ID), EventKind::FlowRun, true),
            (some(CLOUD_RUN_ID), EventKind::FlowRun, false),
            (None, EventKind::Other, false),
        ]
    );
    consumer.complete(&first).await.unwrap();
    // The other way round: the second run, handled from the journal, is a duplicate when
    // its (late) delivery comes.
    let reception = deliver(&receiver, 1).await;
    let Received::Delivery { events, .. } = &reception.received else {
        panic!("{:?}", reception.received)
    };
    assert!(events[0].duplicate);
    let answer: Value = serde_json::from_str(&reception.body).unwrap();
    assert_eq!(answer, json!({"received": 1, "new": 0, "duplicates": 1}));
}

#[tokio::test]
async fn an_event_the_webhook_is_handling_is_waited_for() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let store = Arc::new(MemoryStore::new(1000));
    let receiver = webhook(&store);
    // Claimed by the webhook, not yet completed.
    let reception = deliver(&receiver, 1).await;
    let Received::Delivery { events, .. } = &reception.received else {
        panic!("{:?}", reception.received)
    };
    let mut settings = settings(3);
    settings.lease = secs(20);
    let mut consumer = consumer(&server, &clock, 3)
        .with_store(store.clone())
        .with_settings(settings);
    let error = consumer.poll().await.unwrap_err();
    assert_eq!(
        error,
        JournalError::EventInFlight {
            url: format!("{JOURNAL_URL}?limit=3"),
            key: format!("my-client-id/id:{CLOUD_RUN_ID}"),
        }
    );
    // It waited 5 s between readings of the page, for a lease and a wait.
    assert_eq!(clock.take_sleeps(), vec![secs(5); 4]);
    // The first run of the page, claimed meanwhile, was given back each time.
    let run_key = [EventKey::from(format!("my-client-id/id:{RUN_ID}"))];
    assert_eq!(
        store.claim(&run_key, secs(1)).await.unwrap(),
        [Claim::Claimed]
    );
    store.abandon(&run_key).await.unwrap();
    // The webhook finishes: the page is read, the run flagged as handled.
    receiver.complete(events).await.unwrap();
    let first = page(&mut consumer).await;
    assert!(first.events[1].duplicate);
    assert!(!first.events[0].duplicate);
}

#[tokio::test]
async fn a_journal_that_cannot_be_reached_is_retried_then_reported() {
    // A port nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut settings = settings(3);
    settings.max_attempts = 4;
    let mut consumer = consumer(&server, &clock, 3)
        .with_client(
            server
                .client()
                .with_resolve(journal_server::JOURNAL_HOST, address),
        )
        .with_settings(settings);
    let error = consumer.poll().await.unwrap_err();
    let JournalError::Unavailable {
        url,
        attempts,
        reason,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(url, &format!("{JOURNAL_URL}?limit=3"));
    assert_eq!(*attempts, 4);
    assert!(reason.starts_with("connecting: "), "{reason}");
    assert_eq!(clock.take_sleeps(), [secs(1), secs(2), secs(4)]);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    // The test clock starts at 1 800 000 000 s: 2027-01-15T08:00:00Z.
    server
        .journal_fault(Reply::new(429, "").header("retry-after", "Fri, 15 Jan 2027 08:00:42 GMT"));
    page(&mut consumer).await;
    assert_eq!(clock.take_sleeps(), [secs(42)]);
}

/// A checkpoint store that fails while `down` is set.
#[derive(Default)]
struct FlakyCheckpoint {
    inner: MemoryStore,
    down: std::sync::atomic::AtomicBool,
}

impl Checkpoint for FlakyCheckpoint {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        self.inner.load(journal)
    }

    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Box::pin(std::future::ready(Err(StoreError::other(
                "connection refused",
            ))));
        }
        self.inner.save(journal, position)
    }
}

#[tokio::test]
async fn a_failed_checkpoint_leaves_the_page_to_acknowledge_again() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let checkpoint = Arc::new(FlakyCheckpoint::default());
    let mut consumer = consumer(&server, &clock, 3).with_checkpoint(checkpoint.clone());
    let first = page(&mut consumer).await;
    checkpoint
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let error = consumer.complete(&first).await.unwrap_err();
    assert_eq!(error.to_string(), "store unavailable: connection refused");
    assert_eq!(consumer.position(), None);
    checkpoint
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    consumer.complete(&first).await.unwrap();
    assert_eq!(consumer.position(), Some(CAMEL));
    assert_eq!(
        checkpoint.inner.position(JOURNAL_URL).as_deref(),
        Some(CAMEL)
    );
    let second = page(&mut consumer).await;
    assert_eq!(second.events[1].event.event_id(), Some("alert-evt-1"));
}

#[tokio::test]
async fn handled_events_are_remembered_for_the_keep_window() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let store = Arc::new(MemoryStore::new(1000));
    let mut settings = settings(3);
    settings.keep = Duration::from_secs(30 * 24 * 3600); // brought down to 7 days
    let mut consumer = consumer(&server, &clock, 3)
        .with_store(store.clone())
        .with_settings(settings);
    let first = page(&mut consumer).await;
    let now = std::time::SystemTime::now();
    // Claimed, not done yet: in flight for the lease.
    let run_key = format!("my-client-id/id:{RUN_ID}");
    assert!(store.events().contains(&run_key, now));
    consumer.complete(&first).await.unwrap();
    let day = Duration::from_secs(24 * 3600);
    let table = store.events();
    assert!(table.contains(&run_key, now + 7 * day - Duration::from_secs(60)));
    assert!(!table.contains(&run_key, now + 7 * day + Duration::from_secs(60)));
    assert!(table.contains(&format!("my-client-id/position:{CAMEL}"), now + 6 * day));
}

/// A store whose claims fail.
struct FailingStore(MemoryStore);

impl DedupStore for FailingStore {
    fn claim<'a>(
        &'a self,
        _keys: &'a [EventKey],
        _lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claim>, StoreError>> {
        Box::pin(std::future::ready(Err(StoreError::other("redis down"))))
    }

    fn complete<'a>(
        &'a self,
        keys: &'a [EventKey],
        keep: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.complete(keys, keep)
    }

    fn abandon<'a>(&'a self, keys: &'a [EventKey]) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.abandon(keys)
    }
}

#[tokio::test]
async fn a_failing_store_is_an_error_and_gives_back_its_claims() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let store = Arc::new(FailingStore(MemoryStore::new(100)));
    let mut consumer = consumer(&server, &clock, 3).with_store(store.clone());
    let error = consumer.poll().await.unwrap_err();
    assert_eq!(error.to_string(), "store unavailable: redis down");
    // Nothing was claimed.
    assert!(store.0.events().is_empty());
    assert_eq!(consumer.position(), None);
}

fn fixture_text(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The documented response bodies, served verbatim with the `Link` headers the journaling
/// guide shows.
#[tokio::test]
async fn the_documented_bodies_read_as_they_are() {
    let server = start(Vec::new()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 2);
    let link = format!(
        "<{JOURNAL_PATH}?since={}&limit=2>; rel=\"next\"",
        enc(MOOSE)
    );
    server.journal_fault(
        Reply::new(
            200,
            fixture_text("fixtures/events/journal-aem-asset-created-two-events.json"),
        )
        .header("link", &link),
    );
    let aem = page(&mut consumer).await;
    assert_eq!(
        summary(&aem),
        [
            (None, EventKind::Other, false),
            (None, EventKind::Other, false)
        ]
    );
    let positions: Vec<_> = aem
        .events
        .iter()
        .map(|event| event.event.journal_position())
        .collect();
    assert_eq!(positions, [Some(CAMEL), Some(MOOSE)]);
    assert_eq!(aem.last.as_deref(), Some(MOOSE));
    consumer.complete(&aem).await.unwrap();
    assert_eq!(consumer.position(), Some(MOOSE));

    // The SDK's sample: placeholders, `body` beside `event`, an extra `link` object; no
    // Link header this time, so the next request is built from `_page.last`.
    server.journal_fault(Reply::new(
        200,
        fixture_text("fixtures/events/journal-sdk-sample-response.json"),
    ));
    let sample = page(&mut consumer).await;
    assert_eq!(sample.events.len(), 1);
    assert_eq!(
        sample.events[0].key,
        "my-client-id/position:cursor_position_of_this_event"
    );
    assert_eq!(
        sample.position.as_deref(),
        Some("cursor_position_of_this_event")
    );
    consumer.complete(&sample).await.unwrap();
    server.journal_fault(Reply::new(204, "").header("retry-after", "3"));
    assert!(matches!(
        consumer.poll().await.unwrap(),
        Polled::CaughtUp { retry_after: Some(wait), .. } if wait == secs(3)
    ));
    assert_eq!(
        server.take_sinces(),
        [None, some(MOOSE), some("cursor_position_of_this_event")]
    );
}

#[tokio::test]
async fn a_page_larger_than_the_limit_is_malformed_not_skipped() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut settings = settings(3);
    settings.max_page_bytes = 1000;
    let mut consumer = consumer(&server, &clock, 3).with_settings(settings);
    assert_eq!(
        consumer.poll().await,
        Err(JournalError::Malformed {
            url: format!("{JOURNAL_URL}?limit=3"),
            position: None,
            reason: "the response body is larger than 1000 bytes".to_owned(),
        })
    );
    assert_eq!(clock.take_sleeps(), Vec::<Duration>::new());
    assert_eq!(server.take_sinces(), [None]);
}

/// Issue #28, finding 11: on 3f6dca2 `Retry-After: 0` on a `429` or a `204` was honoured
/// as it was (1,148 and 2,071 requests in a few seconds).
#[tokio::test]
async fn finding_11_requests_are_a_second_apart_whatever_retry_after_says() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    server.journal_fault(Reply::new(429, "").header("retry-after", "0"));
    let link = format!("<{JOURNAL_PATH}?limit=3>; rel=\"next\"");
    server.journal_fault(
        Reply::new(204, "")
            .header("retry-after", "0")
            .header("link", &link),
    );
    assert!(matches!(
        consumer.poll().await.unwrap(),
        Polled::CaughtUp { retry_after: Some(wait), .. } if wait == secs(1)
    ));
    assert_eq!(clock.take_sleeps(), [secs(1)]);
    let first = page(&mut consumer).await;
    assert_eq!(first.events.len(), 3);
    assert_eq!(clock.take_sleeps(), [secs(1)]);
    // Pages are read a second apart too.
    consumer.complete(&first).await.unwrap();
    page(&mut consumer).await;
    assert_eq!(clock.take_sleeps(), [secs(1)]);
}

/// Issue #28, finding 11: on 3f6dca2 `429`s were retried without limit.
#[tokio::test]
async fn finding_11_too_many_429s_in_a_row_are_an_error() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    for _ in 0..21 {
        server.journal_fault(Reply::new(429, "").header("retry-after", "2"));
    }
    match consumer.poll().await {
        Err(JournalError::Unavailable { attempts, .. }) => assert_eq!(attempts, 21),
        other => panic!("{other:?}"),
    }
    assert_eq!(clock.take_sleeps(), vec![secs(2); 20]);
    assert_eq!(consumer.position(), None);
}

/// Issue #28, finding 11: on 3f6dca2 an empty page with no `next` link and no position was
/// handed over as a page, and the next poll asked again at once, for ever.
#[tokio::test]
async fn finding_11_an_empty_page_with_nowhere_to_go_is_caught_up() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut consumer = consumer(&server, &clock, 3);
    server.journal_fault(Reply::new(200, r#"{"events": [], "_page": {"count": 0}}"#));
    let caught_up = consumer.poll().await.unwrap();
    let Polled::CaughtUp { next, retry_after } = caught_up else {
        panic!("{caught_up:?}")
    };
    assert_eq!(retry_after, Some(secs(10)));
    assert_eq!(next.unwrap().as_str(), format!("{JOURNAL_URL}?limit=3"));
    page(&mut consumer).await;
    assert_eq!(clock.take_sleeps(), [secs(10)]);
}

/// Issue #28, finding 11: on 3f6dca2 a page was read up to 4 MiB, and a 3 MB position was
/// saved and sent back for ever; a `204` moved the saved position.
#[tokio::test]
async fn finding_11_pages_and_positions_are_bounded_and_a_204_moves_nothing_saved() {
    assert_eq!(JournalSettings::default().max_page_bytes, 1536 * 1024);
    let server = start(entries()).await;
    let clock = TestClock::new();
    let checkpoint = Arc::new(MemoryStore::default());
    let mut consumer = consumer(&server, &clock, 3).with_checkpoint(checkpoint.clone());
    let padding = "x".repeat(1600 * 1024);
    let link = format!("<{JOURNAL_PATH}?since=p9&limit=3>; rel=\"next\"");
    server.journal_fault(
        Reply::new(200, format!(r#"{{"events": [], "pad": "{padding}"}}"#)).header("link", &link),
    );
    assert!(matches!(
        consumer.poll().await,
        Err(JournalError::Malformed { reason, .. }) if reason.contains("larger than 1572864 bytes")
    ));

    let first = page(&mut consumer).await;
    consumer.complete(&first).await.unwrap();
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(CAMEL));
    // A 204 naming another position: caught up, and the saved position stays.
    let elsewhere = format!("<{JOURNAL_PATH}?since=later&limit=3>; rel=\"next\"");
    server.journal_fault(Reply::new(204, "").header("link", &elsewhere));
    assert!(matches!(consumer.poll().await, Ok(Polled::CaughtUp { .. })));
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(CAMEL));
    // A position longer than 1 KB is refused, never followed nor saved.
    let long = "p".repeat(3000);
    let huge = format!("<{JOURNAL_PATH}?since={long}&limit=3>; rel=\"next\"");
    server.journal_fault(Reply::new(204, "").header("link", &huge));
    assert!(matches!(
        consumer.poll().await,
        Err(JournalError::Malformed { reason, .. }) if reason.contains("3000 bytes")
    ));
    assert_eq!(checkpoint.position(JOURNAL_URL).as_deref(), Some(CAMEL));
}

/// Issue #28, finding 7: on 3f6dca2 a `Retry-After` of 18446744073709551615 s under a
/// `max_wait` of `Duration::MAX` panicked the consumer (`SystemTime + Duration`).
#[tokio::test]
async fn finding_7_endless_waits_and_settings_are_no_panic() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let mut settings = settings(3);
    settings.max_wait = Duration::MAX;
    settings.lease = Duration::MAX;
    settings.keep = Duration::MAX;
    settings.store_timeout = Duration::MAX;
    let mut consumer = consumer(&server, &clock, 3).with_settings(settings);
    let link = format!("<{JOURNAL_PATH}?limit=3>; rel=\"next\"");
    server.journal_fault(
        Reply::new(204, "")
            .header("retry-after", "18446744073709551615")
            .header("link", &link),
    );
    assert!(matches!(
        consumer.poll().await,
        Ok(Polled::CaughtUp { retry_after: Some(wait), .. }) if wait == Duration::from_secs(u64::MAX)
    ));
}

/// Issue #28, finding 11: a position over 1 KB saved before positions were bounded is not
/// sent back to the journal.
#[tokio::test]
async fn finding_11_a_saved_position_over_a_kilobyte_is_not_sent() {
    let server = start(entries()).await;
    let clock = TestClock::new();
    let checkpoint = Arc::new(MemoryStore::default());
    checkpoint
        .save(JOURNAL_URL, &"p".repeat(3 * 1024 * 1024))
        .await
        .unwrap();
    let mut consumer = consumer(&server, &clock, 3).with_checkpoint(checkpoint);
    assert!(matches!(
        consumer.poll().await,
        Err(JournalError::Malformed { reason, .. }) if reason.contains("3145728 bytes")
    ));
    assert!(server.state().journal_requests.is_empty());
}
