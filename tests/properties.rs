//! Generated runs and values: whatever the crate reads, it writes back and reads again the
//! same.

#[path = "support/checks.rs"]
mod checks;

use aep_flow_run::{parse_runs, Count, ErrorCode, EventCode, FlowRun, Status, Timestamp};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Every form Adobe sends a count in: a number (with `-1` for unknown) or a string of digits.
fn count() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(-1)),
        (0u64..10_000_000_000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..1_000_000).prop_map(|n| Value::String(n.to_string())),
    ]
}

/// Every form Adobe sends a time in: epoch milliseconds, epoch seconds, placeholders, strings
/// of digits, RFC 3339.
fn time() -> impl Strategy<Value = Value> {
    prop_oneof![
        (1_000_000_000_000i64..4_000_000_000_000).prop_map(Value::from),
        (1_000_000_000i64..4_000_000_000).prop_map(Value::from),
        Just(json!(0)),
        Just(json!(87473822)),
        any::<i64>().prop_map(Value::from),
        (1_000_000_000_000u64..4_000_000_000_000).prop_map(|n| Value::String(n.to_string())),
        Just(json!("2023-09-01T00:46:54.661Z")),
        Just(json!("2020-08-12T08:25:29+02:00")),
    ]
}

fn text() -> impl Strategy<Value = Value> {
    "[a-zA-Z0-9 _./:@{}-]{0,24}".prop_map(Value::String)
}

fn code() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("CONNECTOR-1001-500")),
        Just(json!("connector-2001-500")),
        Just(json!("ACTIVATION_BATCH-0000-FAILED")),
        Just(json!("133")),
        "[A-Z]{3,8}-[0-9]{3,4}-[1-5][0-9]{2}".prop_map(Value::String),
    ]
}

fn status() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("success")),
        Just(json!("failed")),
        Just(json!("inProgress")),
        Just(json!("Processing")),
        "[a-zA-Z]{1,12}".prop_map(Value::String),
    ]
}

/// A value of any JSON type, for fields the crate does not model.
fn unknown() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text(),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Unknown fields, named so they can never collide with a known one.
fn unknown_fields() -> impl Strategy<Value = Map<String, Value>> {
    btree_map("x[A-Z][a-z]{0,6}", unknown(), 0..3).prop_map(|map| map.into_iter().collect())
}

/// An object from optional known fields plus unknown ones.
fn object(known: Vec<(&'static str, Option<Value>)>, extra: Map<String, Value>) -> Value {
    let mut map: Map<String, Value> = known
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?)))
        .collect();
    map.extend(extra);
    Value::Object(map)
}

fn error_entry() -> impl Strategy<Value = Value> {
    (
        code(),
        proptest::option::of(text()),
        proptest::option::of(count()),
        unknown_fields(),
    )
        .prop_map(|(code, message, records, extra)| {
            object(
                vec![
                    ("code", Some(code)),
                    ("message", message),
                    ("recordCount", records),
                ],
                extra,
            )
        })
}

/// The five summaries (and latency), as a run or an activity carries them.
fn summaries() -> impl Strategy<Value = Vec<(&'static str, Option<Value>)>> {
    let duration = (
        proptest::option::of(time()),
        proptest::option::of(time()),
        unknown_fields(),
    )
        .prop_map(|(started, completed, extra)| {
            object(
                vec![("startedAtUTC", started), ("completedAtUTC", completed)],
                extra,
            )
        });
    let size = (
        proptest::option::of(count()),
        proptest::option::of(count()),
        unknown_fields(),
    )
        .prop_map(|(input, output, extra)| {
            object(vec![("inputBytes", input), ("outputBytes", output)], extra)
        });
    let records = (
        proptest::option::of(count()),
        proptest::option::of(count()),
        vec(error_entry(), 0..2),
        unknown_fields(),
    )
        .prop_map(|(input, failed, failed_info, extra)| {
            object(
                vec![
                    ("inputRecordCount", input),
                    ("failedRecordCount", failed),
                    ("failedInfo", Some(Value::Array(failed_info))),
                ],
                extra,
            )
        });
    let files =
        (proptest::option::of(count()), proptest::option::of(text())).prop_map(|(input, link)| {
            let manifest = link.map(|link| json!({"manifest": {"fileInfo": link}}));
            object(
                vec![("inputFileCount", input), ("extensions", manifest)],
                Map::new(),
            )
        });
    let status = (
        proptest::option::of(status()),
        vec(error_entry(), 0..3),
        vec(error_entry(), 0..2),
        unknown_fields(),
    )
        .prop_map(|(status, errors, extension_errors, extra)| {
            object(
                vec![
                    ("status", status),
                    ("errors", Some(Value::Array(errors))),
                    ("extensions", Some(json!({ "errors": extension_errors }))),
                ],
                extra,
            )
        });
    let latency =
        proptest::option::of(count()).prop_map(|avg| object(vec![("avgMs", avg)], Map::new()));
    (
        proptest::option::of(duration),
        proptest::option::of(latency),
        proptest::option::of(size),
        proptest::option::of(records),
        proptest::option::of(files),
        proptest::option::of(status),
    )
        .prop_map(|(duration, latency, size, records, files, status)| {
            vec![
                ("durationSummary", duration),
                ("latencySummary", latency),
                ("sizeSummary", size),
                ("recordSummary", records),
                ("fileSummary", files),
                ("statusSummary", status),
            ]
        })
}

fn activity() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(text()),
        proptest::option::of(time()),
        summaries(),
        unknown_fields(),
    )
        .prop_map(|(id, updated, mut fields, extra)| {
            fields.push(("id", id));
            fields.push(("updatedAtUTC", updated));
            object(fields, extra)
        })
}

/// A whole RUN object: always with a `metrics` object, so it reads as a run.
fn run() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(time()),
        summaries(),
        unknown_fields(),
        vec(activity(), 0..3),
        unknown_fields(),
    )
        .prop_map(
            |(id, flow, created, metrics, metrics_extra, activities, extra)| {
                object(
                    vec![
                        ("id", id),
                        ("flowId", flow),
                        ("createdAt", created),
                        ("metrics", Some(object(metrics, metrics_extra))),
                        ("activities", Some(Value::Array(activities))),
                    ],
                    extra,
                )
            },
        )
}

/// Removes `null`, `{}` and `[]` members, which the round-trip contract lets stand for
/// absent, and writes known enum values in their documented spelling.
fn normalise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                normalise(member);
                if key == "status" {
                    if let Value::String(text) = member {
                        *text = Status::from(text.as_str()).as_str().to_owned();
                    }
                }
                if key == "code" {
                    if let Value::String(text) = member {
                        *text = ErrorCode::from(text.as_str()).as_str().to_owned();
                    }
                }
            }
            map.retain(|_, member| !is_empty(member));
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A generated run reads, writes back to the same JSON, and reads again to the same run.
    #[test]
    fn generated_runs_round_trip(wire in run()) {
        let body = serde_json::to_vec(&wire).unwrap();
        let runs = parse_runs(&body).unwrap();
        prop_assert_eq!(runs.len(), 1);
        let run: &FlowRun = &runs[0];

        let mut written = serde_json::to_value(run).unwrap();
        let mut expected = wire.clone();
        normalise(&mut written);
        normalise(&mut expected);
        prop_assert_eq!(written, expected);

        checks::check_run_round_trip(run);
        checks::check_body(&body);
    }

    /// Open enums keep any string: unknown values verbatim, known ones in their spelling.
    #[test]
    fn open_enums_keep_any_string(text in any::<String>()) {
        let code = ErrorCode::from(text.as_str());
        match &code {
            ErrorCode::Other(kept) => prop_assert_eq!(kept, &text),
            known => prop_assert!(known.as_str().eq_ignore_ascii_case(&text)),
        }
        let status = Status::from(text.as_str());
        if let Status::Other(kept) = &status {
            prop_assert_eq!(kept, &text);
        }
        let event = EventCode::from(text.as_str());
        if let EventCode::Other(kept) = &event {
            prop_assert_eq!(kept, &text);
        }
        for (written, read) in [
            (serde_json::to_string(&code).unwrap(), serde_json::to_value(&code).unwrap()),
            (serde_json::to_string(&status).unwrap(), serde_json::to_value(&status).unwrap()),
            (serde_json::to_string(&event).unwrap(), serde_json::to_value(&event).unwrap()),
        ] {
            prop_assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), read);
        }
        prop_assert_eq!(serde_json::from_value::<ErrorCode>(serde_json::to_value(&code).unwrap()).unwrap(), code);
        prop_assert_eq!(serde_json::from_value::<Status>(serde_json::to_value(&status).unwrap()).unwrap(), status);
        prop_assert_eq!(serde_json::from_value::<EventCode>(serde_json::to_value(&event).unwrap()).unwrap(), event);
    }

    /// Counts and timestamps write back exactly the number or string they were read from.
    #[test]
    fn counts_and_timestamps_keep_their_wire_value(number in any::<i64>(), big in any::<u64>()) {
        for wire in [json!(number), json!(big), Value::String(number.to_string())] {
            let count: Count = serde_json::from_value(wire.clone()).unwrap();
            prop_assert_eq!(serde_json::to_value(&count).unwrap(), wire.clone());
            let timestamp: Timestamp = serde_json::from_value(wire.clone()).unwrap();
            prop_assert_eq!(serde_json::to_value(&timestamp).unwrap(), wire);
        }
        let count: Count = serde_json::from_value(json!(number)).unwrap();
        prop_assert_eq!(count.get(), u64::try_from(number).ok());
        let timestamp = Timestamp::from_millis(number);
        if let Some(time) = timestamp.to_utc() {
            prop_assert!(time.timestamp_millis() >= 978_307_200_000);
        }
    }
}
