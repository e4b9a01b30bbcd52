//! The round-trip contract: serialising a `FlowRun` gives back the RUN object it was read from,
//! equal as JSON values up to `null`, `{}` and `[]` standing for an absent field; and the
//! typed values survive serialise -> deserialise unchanged.

use std::path::Path;

use aep_flow_run::{parse_notifications, parse_runs, FlowRun, Notification};
use serde_json::Value;

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/adobe-docs")
}

/// Every corpus file with its name, sorted, for a given prefix.
fn fixtures(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/adobe-docs exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter_map(|path| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            name.starts_with(prefix)
                .then(|| (name, std::fs::read(&path).unwrap()))
        })
        .collect();
    out.sort();
    out
}

fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(list) => list.is_empty(),
        _ => false,
    }
}

/// Removes, recursively, object members whose value is `null`, `{}` or `[]`, until stable.
fn normalise(mut value: Value) -> Value {
    fn pass(value: &mut Value) -> bool {
        let mut changed = false;
        match value {
            Value::Object(map) => {
                for member in map.values_mut() {
                    changed |= pass(member);
                }
                let before = map.len();
                map.retain(|_, member| !is_empty_value(member));
                changed |= map.len() != before;
            }
            Value::Array(list) => {
                for element in list.iter_mut() {
                    changed |= pass(element);
                }
            }
            _ => {}
        }
        changed
    }
    while pass(&mut value) {}
    value
}

/// Every run of the corpus with the RUN object it came from, and the notifications.
struct Case {
    label: String,
    run: FlowRun,
    original: Value,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (name, body) in fixtures("api-runs-") {
        let value: Value = serde_json::from_slice(&body).unwrap();
        let runs = parse_runs(&body).unwrap();
        let items = value["items"].as_array().unwrap();
        assert_eq!(runs.len(), items.len(), "{name}");
        for (i, (run, item)) in runs.into_iter().zip(items).enumerate() {
            out.push(Case {
                label: format!("{name} items[{i}]"),
                run,
                original: item.clone(),
            });
        }
    }
    for (name, notification, original) in notification_cases() {
        out.push(Case {
            label: name,
            run: notification.run,
            original,
        });
    }
    out
}

/// `(file, notification, original RUN object)` for every non-API, non-not-a-run file.
fn notification_cases() -> Vec<(String, Notification, Value)> {
    let mut out = Vec::new();
    for prefix in ["io-event-", "message-list-", "alert-run-"] {
        for (name, body) in fixtures(prefix) {
            let value: Value = serde_json::from_slice(&body).unwrap();
            let notifications = parse_notifications(&body).unwrap();
            let originals: Vec<Value> = match prefix {
                "io-event-" => vec![value["event"].clone()],
                "message-list-" => value
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|list| list["messages"].as_array().unwrap().iter())
                    .map(|message| message["value"].clone())
                    .collect(),
                _ => vec![value.clone()],
            };
            assert_eq!(notifications.len(), originals.len(), "{name}");
            for (i, (notification, original)) in
                notifications.into_iter().zip(originals).enumerate()
            {
                out.push((format!("{name} #{i}"), notification, original));
            }
        }
    }
    out
}

#[test]
fn the_corpus_holds_every_expected_case() {
    let cases = cases();
    // 4 API files with one item each, 2 I/O events, 1 message, 5 alerts.
    assert_eq!(
        cases.len(),
        12,
        "{:?}",
        cases.iter().map(|c| &c.label).collect::<Vec<_>>()
    );
    for case in &cases {
        assert!(
            case.original.is_object(),
            "{}: RUN is an object",
            case.label
        );
        assert_eq!(
            case.run.id.as_deref(),
            case.original["id"].as_str(),
            "{}",
            case.label
        );
    }
}

#[test]
fn normalise_removes_empty_members_until_stable() {
    let value = serde_json::json!({
        "a": null, "b": {}, "c": [], "d": {"e": {"f": null}, "g": [{}]},
        "h": [null, {}, 1], "i": 0, "j": "", "k": false
    });
    assert_eq!(
        normalise(value),
        serde_json::json!({"d": {"g": [{}]}, "h": [null, {}, 1], "i": 0, "j": "", "k": false})
    );
}

#[test]
fn serialising_a_run_gives_back_the_run_object() {
    let mut failures = Vec::new();
    for case in cases() {
        let written = serde_json::to_value(&case.run).unwrap();
        let written = normalise(written);
        let original = normalise(case.original.clone());
        if written != original {
            failures.push(format!(
                "{}:\n  written:  {written}\n  original: {original}",
                case.label
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn serialised_runs_read_back_equal() {
    for case in cases() {
        let value = serde_json::to_value(&case.run).unwrap();
        let back: FlowRun =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{}: {e}", case.label));
        assert_eq!(back, case.run, "{}", case.label);

        let text = serde_json::to_string(&case.run).unwrap();
        let back: FlowRun =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", case.label));
        assert_eq!(back, case.run, "{}", case.label);

        // parse_runs reads the written run as a bare run too.
        let again = parse_runs(text.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", case.label));
        assert_eq!(again.len(), 1, "{}", case.label);
        assert_eq!(again[0], case.run, "{}", case.label);

        // A second round trip writes the same JSON.
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            value,
            "{}",
            case.label
        );
    }
}

#[test]
fn notifications_survive_a_json_round_trip() {
    let cases = notification_cases();
    assert_eq!(cases.len(), 8);
    for (label, notification, _) in cases {
        let text = serde_json::to_string(&notification).unwrap();
        let back: Notification =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{label}: {e}\n{text}"));
        assert_eq!(back, notification, "{label}");
        assert_eq!(back.event_code, notification.event_code, "{label}");
        assert_eq!(back.format, notification.format, "{label}");
        assert_eq!(back.is_success(), notification.is_success(), "{label}");
        assert_eq!(back.outcome(), notification.outcome(), "{label}");
    }
}
