//! Invariants every input must keep, shared by the fuzz targets (`fuzz/`) and the stable
//! replay test (`tests/fuzz_replay.rs`), so CI checks on stable what fuzzing checked.

use aep_flow_run::{
    parse_events, parse_notification, parse_notifications, parse_runs, Error, Event, FlowRun,
    Notification,
};

/// Runs the four parse functions on `body` and checks that they agree with each other and
/// that whatever they read serialises and reads back equal. Panics on a violation.
pub fn check_body(body: &[u8]) {
    let all = parse_notifications(body);
    let one = parse_notification(body);
    let runs = parse_runs(body);
    let events = parse_events(body);
    check_reader_agrees(
        body,
        [
            all.as_ref().err(),
            one.as_ref().err(),
            runs.as_ref().err(),
            events.as_ref().err(),
        ],
    );
    check_events(&all, &events);
    match &all {
        Ok(list) if list.len() == 1 => assert_eq!(one.as_ref().ok(), list.first()),
        Ok(list) => assert_eq!(one, Err(Error::NotSingle { count: list.len() })),
        Err(error) => assert_eq!(one.as_ref().err(), Some(error)),
    }
    if let Ok(list) = &all {
        for notification in list {
            check_round_trip(notification);
            check_run_round_trip(&notification.run);
        }
    }
    if let Ok(runs) = &runs {
        for run in runs {
            check_run_round_trip(run);
        }
    }
}

/// The crate's reader accepts exactly the JSON serde_json accepts: a body read without error
/// is JSON; a syntax error is one serde_json finds too when it reads every value (it checks
/// less in values it skips: number ranges, lone surrogates, nesting); and the error the crate
/// gives should its reader and serde_json ever disagree never comes.
pub fn check_reader_agrees(body: &[u8], errors: [Option<&Error>; 4]) {
    let skims = std::str::from_utf8(body).is_ok()
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
    let reads = serde_json::from_slice::<serde_json::Value>(body).is_ok();
    for error in errors {
        match error {
            None => assert!(skims, "a body that is no JSON was read"),
            Some(Error::Syntax { message, .. }) => {
                assert!(
                    !message.contains("serde_json accepts"),
                    "the reader refused JSON serde_json accepts"
                );
                assert!(!reads, "valid JSON refused as a syntax error: {message}");
            }
            Some(_) => {}
        }
    }
}

/// `parse_events` gives every notification `parse_notifications` gives, in order, and fails
/// on the same syntax; each event it gives is written back as an element that reads back
/// equal.
pub fn check_events(all: &Result<Vec<Notification>, Error>, events: &Result<Vec<Event>, Error>) {
    match (all, events) {
        (Ok(notifications), Ok(events)) => {
            let runs: Vec<&Notification> = events.iter().filter_map(Event::as_flow_run).collect();
            assert_eq!(runs.len(), events.len(), "a body of runs gave other events");
            assert!(runs.iter().copied().eq(notifications.iter()));
        }
        (Ok(_), Err(error)) => panic!("parse_events refused a body of runs: {error}"),
        (Err(Error::Syntax { .. }), other) => {
            assert!(matches!(other, Err(Error::Syntax { .. })), "{other:?}")
        }
        _ => {}
    }
    if let Ok(events) = events {
        for event in events {
            let bytes = serde_json::to_vec(event).expect("an event always serialises");
            let written = String::from_utf8_lossy(&bytes);
            let again = parse_events(&bytes)
                .unwrap_or_else(|e| panic!("a written event reads back: {e}\n{written}"));
            assert_eq!(again, std::slice::from_ref(event), "{written}");
        }
    }
}

/// A run written out reads back equal.
pub fn check_run_round_trip(run: &FlowRun) {
    let bytes = serde_json::to_vec(run).expect("a run always serialises");
    let again: FlowRun = serde_json::from_slice(&bytes).expect("a serialised run reads back");
    assert_eq!(
        &again,
        run,
        "run round trip through {}",
        String::from_utf8_lossy(&bytes)
    );
}

/// A notification written out (the normalised form) reads back equal.
pub fn check_round_trip(notification: &Notification) {
    let bytes = serde_json::to_vec(notification).expect("a notification always serialises");
    let again: Notification =
        serde_json::from_slice(&bytes).expect("a serialised notification reads back");
    assert_eq!(&again, notification);
}
