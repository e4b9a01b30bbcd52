//! What bodies cost in memory before they are handed over (issue #28, findings 2 and 15): a
//! global allocator counts the heap the whole process holds, and its peak.
//!
//! One test function only: the counts are process-wide, and another test running meanwhile
//! would add to them.
#![cfg(feature = "webhook")]

use std::future::Future;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};

use aep_flow_run::webhook::{Answer, Receiver};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::peak_above_now;
#[path = "support/webhook_sign.rs"]
mod webhook_sign;
use webhook_sign::{pairs, signed_headers, test_verifier};

/// Handles a request with the in-memory store, which never waits.
fn handle(receiver: &Receiver, headers: &[(String, String)], body: &[u8]) -> Answer {
    let mut handling = std::pin::pin!(receiver.handle("POST", "", pairs(headers), body));
    match handling
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(answer) => answer,
        Poll::Pending => panic!("the in-memory store never waits"),
    }
}

const MB: usize = 1024 * 1024;

/// Unsigned `{"validationUrl": ...}` bodies of 2 MB, of the shapes that cost the most as a
/// `serde_json::Value`.
fn validation_bodies() -> Vec<Vec<u8>> {
    let fill = |head: &str, item: &dyn Fn(usize) -> String, tail: &str| {
        let mut body = head.to_owned();
        let mut n = 0;
        while body.len() < 2 * MB - 64 {
            if n > 0 {
                body.push(',');
            }
            body.push_str(&item(n));
            n += 1;
        }
        body.push_str(tail);
        body.into_bytes()
    };
    let numbers = fill(r#"{"validationUrl": ["#, &|_| "1".to_owned(), "]}");
    let members = fill(r#"{"validationUrl": {"#, &|n| format!(r#""k{n}":0"#), "}}");
    let arrays = fill(r#"{"validationUrl": ["#, &|_| "[]".to_owned(), "]}");
    let escaped = fill(
        r#"{"validationUrl": ["#,
        &|_| r#""\u0041""#.to_owned(),
        "]}",
    );
    let text = format!(r#"{{"validationUrl": "{}"}}"#, "x".repeat(2 * MB - 32));
    let long_escaped = format!(
        r#"{{"validationUrl": "{}"}}"#,
        r"\u0041".repeat(2 * MB / 6 - 8)
    );
    vec![
        numbers.clone(),
        members,
        arrays,
        escaped,
        text.into_bytes(),
        long_escaped.into_bytes(),
        numbers.clone(),
        numbers,
    ]
}

#[test]
fn bodies_cost_no_memory_before_they_are_handed_over() {
    // Finding 2: on 3f6dca2 a `validationUrl` value was read into a `serde_json::Value`
    // before any check: eight such bodies at once raised the peak by hundreds of MB.
    let receiver = Arc::new(Receiver::new(test_verifier("me")));
    let bodies = validation_bodies();
    assert_eq!(bodies.len(), 8);
    assert!(bodies.iter().all(|body| body.len() <= 2 * MB));
    // One at a time first: what each body costs.
    let single_peaks: Vec<usize> = bodies
        .iter()
        .map(|body| peak_above_now(|| drop(handle(&receiver, &[], body))) / 1024)
        .collect();
    eprintln!("each unsigned 2 MB validation body alone: peak {single_peaks:?} KB");
    let barrier = Arc::new(Barrier::new(bodies.len()));
    let mut statuses = Vec::new();
    let validation_peak = peak_above_now(|| {
        let threads: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let (receiver, barrier) = (receiver.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    handle(&receiver, &[], &body).status
                })
            })
            .collect();
        statuses = threads.into_iter().map(|t| t.join().unwrap()).collect();
    });
    eprintln!(
        "eight unsigned 2 MB validation bodies: peak {} KB",
        validation_peak / 1024
    );

    // Finding 15: on 3f6dca2 a signed message list of 2 MiB of tiny messages was parsed
    // whole (287 MB) before its messages were counted.
    let receiver = Receiver::new(test_verifier("me").with_organization("O@AdobeOrg"));
    let mut tiny = String::from(r#"[{"imsOrgId": "O@AdobeOrg", "messages": ["#);
    while tiny.len() < 2 * MB - 8 {
        tiny.push_str("{},");
    }
    tiny.push_str("{}]}]");
    let headers = signed_headers(tiny.as_bytes());
    let mut status = 0;
    let tiny_peak = peak_above_now(|| status = handle(&receiver, &headers, tiny.as_bytes()).status);
    eprintln!(
        "2 MiB of tiny messages, signed: peak {} KB",
        tiny_peak / 1024
    );

    // Finding 11: on 3f6dca2 a 4 MiB journal page of 130,462 tiny events took 700 MB. A
    // page is at most 1.5 MiB now, and its entries are counted before any is parsed.
    let mut page = String::from(r#"{"events": ["#);
    while page.len() < aep_flow_run::journal::MAX_PAGE_BYTES - 64 {
        page.push_str(r#"{"position":"p","event":{}},"#);
    }
    page.push_str(r#"{"position":"p","event":{}}]}"#);
    let request =
        url::Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r")
            .unwrap();
    let mut read = None;
    let page_peak = peak_above_now(|| {
        read = Some(aep_flow_run::journal::read_journal_response(
            200,
            None,
            &request,
            page.as_bytes(),
            "me",
        ))
    });
    eprintln!(
        "a 1.5 MiB journal page of tiny events: peak {} KB",
        page_peak / 1024
    );

    assert!(
        matches!(
            read,
            Some(Err(aep_flow_run::journal::JournalError::Malformed { .. }))
        ),
        "{read:?}"
    );
    assert!(page_peak <= 16 * MB, "the page took {} MB", page_peak / MB);
    assert!(
        single_peaks.iter().all(|&kb| kb <= 4 * 1024),
        "{single_peaks:?} KB"
    );
    assert!(
        validation_peak <= 64 * MB,
        "eight unsigned bodies took {} MB",
        validation_peak / MB
    );
    // No signature: refused, and none is a validation request (a URL over 2 KB is none).
    assert_eq!(statuses, [400; 8]);
    assert!(
        tiny_peak <= 16 * MB,
        "2 MiB of tiny messages took {} MB",
        tiny_peak / MB
    );
    assert_eq!(status, 413);
}
