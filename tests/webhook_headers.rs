//! `DeliveryHeaders`: the typed delivery metadata, from pairs and from `http::HeaderMap`.
#![cfg(feature = "webhook")]

use aep_flow_run::webhook::{header_names, DeliveryHeaders, WebhookError};
use aep_flow_run::EventCode;

#[test]
fn all_fields_any_case() {
    let headers = DeliveryHeaders::from_pairs([
        ("X-ADOBE-EVENT-ID", "ev-1"),
        ("x-adobe-retry-count", " 4 "),
        ("X-Adobe-Delivery-Id", "d-1"),
        ("x-adobe-event-code", "SOURCES_FLOW_RUN_FAILURE"),
        ("x-adobe-provider", "acme-provider"),
        ("X-Request-Id", "req-1"),
        ("x-unrelated", "ignored"),
    ])
    .unwrap();
    assert_eq!(headers.event_id.as_deref(), Some("ev-1"));
    assert_eq!(headers.retry_count, 4);
    assert_eq!(headers.attempt(), 5);
    assert!(headers.is_retry());
    assert_eq!(headers.delivery_id.as_deref(), Some("d-1"));
    assert_eq!(headers.event_code, Some(EventCode::FlowRunFailure));
    assert_eq!(headers.provider.as_deref(), Some("acme-provider"));
    assert_eq!(headers.request_id.as_deref(), Some("req-1"));
    assert_eq!(header_names::RETRY_COUNT, "x-adobe-retry-count");
}

#[test]
fn absent_retry_count_is_the_first_attempt() {
    let headers = DeliveryHeaders::from_pairs([("x-adobe-event-id", "ev-1")]).unwrap();
    assert_eq!(headers.retry_count, 0);
    assert_eq!(headers.attempt(), 1);
    assert!(!headers.is_retry());
    assert_eq!(
        DeliveryHeaders::from_pairs([]).unwrap(),
        DeliveryHeaders::default()
    );
    // Empty values count as absent.
    assert_eq!(
        DeliveryHeaders::from_pairs([("x-adobe-retry-count", ""), ("x-adobe-event-id", " ")])
            .unwrap(),
        DeliveryHeaders::default()
    );
}

#[test]
fn malformed_headers_say_which() {
    for bad in ["-1", "one", "1.5", "99999999999"] {
        assert_eq!(
            DeliveryHeaders::from_pairs([("x-adobe-retry-count", bad)]),
            Err(WebhookError::InvalidHeader {
                name: "x-adobe-retry-count",
                reason: "not a non-negative integer"
            }),
            "{bad}"
        );
    }
    assert_eq!(
        DeliveryHeaders::from_pairs([("x-adobe-event-id", "a"), ("X-Adobe-Event-Id", "b")]),
        Err(WebhookError::DuplicateHeader {
            name: "x-adobe-event-id"
        })
    );
}

#[cfg(feature = "http")]
#[test]
fn from_an_http_header_map() {
    use aep_flow_run::webhook::header_pairs;
    use http::{HeaderMap, HeaderValue};

    let mut map = HeaderMap::new();
    map.insert("x-adobe-event-id", HeaderValue::from_static("ev-9"));
    map.insert("x-adobe-retry-count", HeaderValue::from_static("2"));
    map.insert("x-request-id", HeaderValue::from_static("req-9"));
    let headers = DeliveryHeaders::try_from(&map).unwrap();
    assert_eq!(headers.event_id.as_deref(), Some("ev-9"));
    assert_eq!(headers.retry_count, 2);
    assert_eq!(headers.request_id.as_deref(), Some("req-9"));
    assert_eq!(header_pairs(&map).count(), 3);

    map.append("x-adobe-retry-count", HeaderValue::from_static("3"));
    assert_eq!(
        DeliveryHeaders::try_from(&map),
        Err(WebhookError::DuplicateHeader {
            name: "x-adobe-retry-count"
        })
    );

    let mut opaque = HeaderMap::new();
    opaque.insert(
        "x-adobe-provider",
        HeaderValue::from_bytes(b"caf\xe9").unwrap(),
    );
    assert_eq!(
        DeliveryHeaders::try_from(&opaque),
        Err(WebhookError::InvalidHeader {
            name: "x-adobe-provider",
            reason: "not visible ASCII"
        })
    );
    assert_eq!(header_pairs(&opaque).count(), 0);
}
