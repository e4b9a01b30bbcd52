//! The I/O Events journal: pages, `Link: <...>; rel="next"`, and the 204 end of journal.
#![cfg(feature = "webhook")]

use aep_flow_run::journal::{next_link, read_journal_response, JournalError, JournalPage, Polled};
use aep_flow_run::EventKind;
use url::Url;

const PAGE: &[u8] = br#"{
  "events": [
    {"position": "v2:p1", "event": {"event_id": "e1", "recipient_client_id": "me",
      "event": {"id": "run-1", "metrics": {"statusSummary": {"status": "success"}},
                "header": {"_adobeio": {"eventCode": "sources_flow_run_success"}}}}},
    {"position": "v2:p2", "event": {"specversion": "1.0", "type": "sources_flow_run_failed",
      "id": "e2", "data": {"id": "run-2", "activities": []}}}
  ],
  "_page": {"last": "v2:p2", "count": 2}
}"#;

fn request_url() -> Url {
    Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r?limit=2")
        .unwrap()
}

/// A `200` of the journal, read as a page.
fn page(body: &[u8]) -> Result<JournalPage, JournalError> {
    match read_journal_response(200, None, &request_url(), body, "my-client-id")? {
        Polled::Page(page) => Ok(page),
        other => panic!("a 200 is a page: {other:?}"),
    }
}

#[test]
fn a_page_with_its_positions_and_next_link() {
    let link = "</events/organizations/o/integrations/i/r?since=v2:p2&limit=2>; rel=\"next\"";
    let Polled::Page(page) =
        read_journal_response(200, Some(link), &request_url(), PAGE, "my-client-id").unwrap()
    else {
        panic!("expected a page")
    };
    let positions: Vec<_> = page
        .events
        .iter()
        .map(|incoming| {
            (
                incoming.event.event_id().unwrap(),
                incoming.event.journal_position().unwrap(),
                incoming.key.as_str(),
            )
        })
        .collect();
    assert_eq!(
        positions,
        [
            ("e1", "v2:p1", "my-client-id/id:e1"),
            ("e2", "v2:p2", "my-client-id/id:e2")
        ]
    );
    assert_eq!(page.last.as_deref(), Some("v2:p2"));
    assert_eq!(page.count, Some(2));
    assert_eq!(page.position.as_deref(), Some("v2:p2"));
    assert_eq!(page.url, request_url());
    assert_eq!(
        page.next.unwrap().as_str(),
        "https://events-va6.adobe.io/events/organizations/o/integrations/i/r?since=v2:p2&limit=2"
    );
}

/// The reader users call and the consumer read a page the same way: every event of it,
/// alerts and other events included (the public reader once refused a page with an alert).
#[test]
fn a_page_holding_an_alert_reads_as_every_event() {
    let body = br#"{"events": [
        {"position": "p1", "event": {"event_id": "e1", "event": {"id": "run-1", "metrics": {}}}},
        {"position": "p2", "event": {"event_id": "e2", "event": {"id": "alert-1",
            "status": "FIRING", "name": "Sources Flow Run Delay", "message": "late",
            "flowId": "f-1", "createdAt": 1700000000000}}}
    ], "_page": {"last": "p2", "count": 2}}"#;
    let page = page(body).unwrap();
    let kinds: Vec<_> = page.events.iter().map(|i| i.event.kind()).collect();
    assert_eq!(kinds, [EventKind::FlowRun, EventKind::Alert]);
    assert_eq!(page.events[1].event.journal_position(), Some("p2"));
}

#[test]
fn no_content_is_the_end_of_the_journal_for_now() {
    let link = "<https://events-va6.adobe.io/events/organizations/o/integrations/i/r?since=v2:p2>; rel=\"next\"";
    assert_eq!(
        read_journal_response(204, Some(link), &request_url(), b"", "my-client-id").unwrap(),
        Polled::CaughtUp {
            next: Some(
                Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r?since=v2:p2")
                    .unwrap()
            ),
            retry_after: None,
        }
    );
    assert_eq!(
        read_journal_response(204, None, &request_url(), b"", "my-client-id").unwrap(),
        Polled::CaughtUp {
            next: None,
            retry_after: None
        }
    );
    assert!(matches!(
        read_journal_response(401, None, &request_url(), b"{}", "my-client-id"),
        Err(JournalError::Status { status: 401, .. })
    ));
}

#[test]
fn pages_are_checked() {
    // An entry whose event is no object is kept as an other event, as any body reads it.
    let odd = page(b"{\"events\": [{\"position\": 1, \"event\": 5}]}").unwrap();
    assert_eq!(odd.events[0].event.kind(), EventKind::Other);
    assert!(page(b"[]").is_err());
    assert!(page(b"{\"_page\": {}}").is_err());
    assert!(page(b"{\"events\": [], \"_page\": \"x\"}").is_err());
    let empty = page(b"{\"events\": []}").unwrap();
    assert!(empty.events.is_empty() && empty.position.is_none());
    // Without `_page`, the last event's position is where to resume.
    let mut without_page = String::from_utf8(PAGE.to_vec()).unwrap();
    let cut = without_page.find(",\n  \"_page\"").unwrap();
    without_page.replace_range(cut..without_page.rfind('}').unwrap(), "\n");
    assert_eq!(
        page(without_page.as_bytes()).unwrap().position.as_deref(),
        Some("v2:p2")
    );
}

#[test]
fn link_header_values() {
    let base = request_url();
    let next = |value: &str| next_link(value, &base).unwrap().map(String::from);
    // Several links; rel unquoted, several types, any case; relative targets.
    assert_eq!(
        next("<https://a.example/first>; rel=first, <?since=p3>; rel=\"prev NEXT\"").as_deref(),
        Some("https://events-va6.adobe.io/events/organizations/o/integrations/i/r?since=p3")
    );
    assert_eq!(
        next("<page2>;rel=next").as_deref(),
        Some("https://events-va6.adobe.io/events/organizations/o/integrations/i/page2")
    );
    assert_eq!(next("<https://a.example/x>; rel=\"last\""), None);
    assert_eq!(next("https://a.example/x; rel=next"), None);
    assert_eq!(next("<unterminated; rel=next"), None);
    assert_eq!(next("<x>; rel=\"unterminated"), None);
    assert_eq!(next(""), None);
}

/// Issue 25, finding 8: `next_link` followed a link anywhere; a journal client sends its
/// bearer token to wherever it points.
#[test]
fn next_links_stay_on_the_requests_origin() {
    let base = request_url();
    for link in [
        "<http://evil.example/x>; rel=next",
        "<https://user:pw@evil.example:8443/x>; rel=next",
        "<https://169.254.169.254/latest>; rel=next",
        "<https://events-va6.adobe.io:8443/x>; rel=next",
        "<http://events-va6.adobe.io/x>; rel=next",
        "<https://user@events-va6.adobe.io/x>; rel=next",
        "<//evil.example/x>; rel=next",
        "<mailto:a@b.example>; rel=next",
    ] {
        assert!(
            matches!(
                next_link(link, &base),
                Err(JournalError::ForeignLink { .. })
            ),
            "{link}: {:?}",
            next_link(link, &base)
        );
    }
    // The explicit default port is the same origin.
    assert_eq!(
        next_link(
            "<https://events-va6.adobe.io:443/x?since=p>; rel=next",
            &base
        )
        .unwrap()
        .map(String::from)
        .as_deref(),
        Some("https://events-va6.adobe.io/x?since=p")
    );
    // A journal response carrying a foreign link is refused as a whole.
    assert!(matches!(
        read_journal_response(
            204,
            Some("<https://evil.example/>; rel=next"),
            &base,
            b"",
            "my-client-id"
        ),
        Err(JournalError::ForeignLink { .. })
    ));
}
