//! Invariants every input must keep, shared by the fuzz targets (`fuzz/`) and the stable
//! replay test (`tests/fuzz_replay.rs`), so CI checks on stable what fuzzing checked.

use aep_flow_run::{
    parse_notification, parse_notifications, parse_runs, Error, FlowRun, Notification,
};

/// Runs all three parse functions on `body` and checks that they agree with each other and
/// that whatever they read serialises and reads back equal. Panics on a violation.
pub fn check_body(body: &[u8]) {
    let all = parse_notifications(body);
    let one = parse_notification(body);
    let runs = parse_runs(body);
    check_reader_agrees(
        body,
        [all.as_ref().err(), one.as_ref().err(), runs.as_ref().err()],
    );
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
pub fn check_reader_agrees(body: &[u8], errors: [Option<&Error>; 3]) {
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
