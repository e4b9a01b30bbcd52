//! JSONTestSuite (`../shared/jsontestsuite/test_parsing`): no input makes a parse function
//! panic, and every body the suite marks as invalid JSON (`n_*`) is an error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use aep_flow_run::{parse_events, parse_notification, parse_notifications, parse_runs, Event};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/jsontestsuite/test_parsing")
}

/// The outcome of one parse function on one body: `Ok(true)` for `Ok`, `Ok(false)` for `Err`,
/// and the panic message when it panicked.
fn run_guarded<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<bool, String> {
    catch_unwind(AssertUnwindSafe(|| f().is_ok())).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic".to_owned())
    })
}

#[test]
fn no_input_of_the_suite_panics_and_invalid_json_is_an_error() {
    let dir = suite_dir();
    if !dir.is_dir() {
        eprintln!("skipping: JSONTestSuite folder {} not found", dir.display());
        return;
    }

    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();

    let (mut seen, mut invalid, mut valid) = (0usize, 0usize, 0usize);
    let mut panics = Vec::new();
    let mut accepted_invalid = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read(path).unwrap();
        seen += 1;
        let results = [
            (
                "parse_notification",
                run_guarded(|| parse_notification(&body)),
            ),
            (
                "parse_notifications",
                run_guarded(|| parse_notifications(&body)),
            ),
            ("parse_runs", run_guarded(|| parse_runs(&body))),
            ("parse_events", run_guarded(|| parse_events(&body))),
        ];
        for (function, result) in &results {
            match result {
                Err(message) => panics.push(format!("{name}: {function} panicked: {message}")),
                Ok(true) if name.starts_with("n_") => {
                    accepted_invalid.push(format!("{name}: {function} returned Ok"))
                }
                Ok(_) => {}
            }
        }
        if name.starts_with("n_") {
            invalid += 1;
        } else if name.starts_with("y_") {
            valid += 1;
        }
    }

    eprintln!("JSONTestSuite: {seen} files seen ({invalid} n_*, {valid} y_*)");

    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(
        accepted_invalid.is_empty(),
        "invalid JSON accepted:\n{}",
        accepted_invalid.join("\n")
    );
    assert!(seen > 300, "only {seen} files in {}", dir.display());
    assert!(
        invalid > 0 && valid > 0,
        "{invalid} n_* and {valid} y_* files"
    );
}

/// The valid bodies of the suite are JSON but no flow run: none of them may come out as a
/// notification or a run, half-filled or not.
#[test]
fn valid_json_of_the_suite_is_no_run() {
    let dir = suite_dir();
    if !dir.is_dir() {
        eprintln!("skipping: JSONTestSuite folder {} not found", dir.display());
        return;
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("y_") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        checked += 1;
        // `[]` (and arrays of nothing) is an empty delivery, which is fine.
        if let Ok(notifications) = parse_notifications(&body) {
            assert!(notifications.is_empty(), "{name}: {notifications:?}");
        }
        assert!(parse_notification(&body).is_err(), "{name}");
        if let Ok(runs) = parse_runs(&body) {
            assert!(runs.is_empty(), "{name}: {runs:?}");
        }
        // Valid JSON that is no run may be another event, never a flow run.
        if let Ok(events) = parse_events(&body) {
            assert!(
                !events.iter().any(|e| matches!(e, Event::FlowRun(_))),
                "{name}: {events:?}"
            );
        }
    }
    assert!(checked > 90, "only {checked} y_* files");
}
