//! Write-back keeps what came, for every body in `fixtures/`: each event written alone gives
//! back the element it was read from with the same leaf paths (key spellings included) and
//! values (a status `"SUCCESS"` stays `"SUCCESS"`), and the fields the model does not know in
//! the order they came; an event that is neither a run nor an alert gives back its element
//! with every key in order.
//!
//! The elements are found here with a reading of the shapes of this test's own: an element
//! of a batch, one message of a message list with the list object's other members, one
//! entry of a journal page, one item of a run list, or the body. (A page's own members, such
//! as `_page` and a list's `_links`, belong to no event.)

use std::fmt;

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::every_fixture;

use aep_flow_run::{parse_events, parse_runs, Event};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// JSON that keeps the order of keys: a repeated key keeps its first place and last value,
/// as the crate reads it.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Leaf(serde_json::Value),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;

        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members: Vec<(String, Json)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Json>()? {
                    match members.iter_mut().find(|(name, _)| *name == key) {
                        Some(member) => member.1 = value,
                        None => members.push((key, value)),
                    }
                }
                Ok(Json::Object(members))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut elements = Vec::new();
                while let Some(element) = seq.next_element()? {
                    elements.push(element);
                }
                Ok(Json::Array(elements))
            }

            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Leaf(v.into()))
            }

            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Leaf(v.into()))
            }

            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Leaf(v.into()))
            }

            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(Json::Leaf(v.into()))
            }

            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Leaf(v.into()))
            }

            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Leaf(serde_json::Value::Null))
            }
        }

        deserializer.deserialize_any(JsonVisitor)
    }
}

impl Json {
    fn member(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(name, _)| name == key).map(|m| &m.1),
            _ => None,
        }
    }

    fn object(members: Vec<(&str, Json)>) -> Json {
        Json::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// Whether it is `null`, `{}` or `[]`: the forms of "absent" the field policy allows.
    fn is_empty(&self) -> bool {
        match self {
            Json::Object(members) => members.iter().all(|(_, value)| value.is_empty()),
            Json::Array(elements) => elements.is_empty(),
            Json::Leaf(value) => value.is_null(),
        }
    }

    /// Every leaf with its path, empty members left out.
    fn leaves(&self, path: &str, out: &mut Vec<(String, serde_json::Value)>) {
        match self {
            Json::Object(members) => {
                for (key, value) in members.iter().filter(|(_, value)| !value.is_empty()) {
                    value.leaves(&format!("{path}.{key}"), out);
                }
            }
            Json::Array(elements) => {
                for (index, element) in elements.iter().enumerate() {
                    element.leaves(&format!("{path}[{index}]"), out);
                }
            }
            Json::Leaf(value) => out.push((path.to_owned(), value.clone())),
        }
    }

    /// Each object's keys in order, by path, empty members left out; with `all` unset, only
    /// the keys the model does not know.
    fn key_orders(&self, path: &str, all: bool, out: &mut Vec<(String, Vec<String>)>) {
        match self {
            Json::Object(members) => {
                let present = members.iter().filter(|(_, value)| !value.is_empty());
                let keys = present
                    .clone()
                    .map(|(key, _)| key.clone())
                    .filter(|key| all || !known_keys().contains(key))
                    .collect();
                out.push((path.to_owned(), keys));
                for (key, value) in present {
                    value.key_orders(&format!("{path}.{key}"), all, out);
                }
            }
            Json::Array(elements) => {
                for (index, element) in elements.iter().enumerate() {
                    element.key_orders(&format!("{path}[{index}]"), all, out);
                }
            }
            Json::Leaf(_) => {}
        }
    }
}

/// The keys of an element the model knows, written in the model's order: every wire name
/// its objects declare (read from `src/model`, each a line `"name" => field: Type,`), and
/// the keys of the shapes around them.
fn known_keys() -> &'static [String] {
    static KNOWN: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KNOWN.get_or_init(|| {
        let model = format!("{}/src/model", env!("CARGO_MANIFEST_DIR"));
        let mut known: Vec<String> = SHAPE_KEYS.iter().map(|key| key.to_string()).collect();
        for entry in std::fs::read_dir(model).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines().map(str::trim) {
                if let Some((name, _)) = line
                    .strip_prefix('"')
                    .and_then(|rest| rest.split_once("\" =>"))
                {
                    known.push(name.to_owned());
                }
            }
        }
        known
    })
}

/// The keys of the shapes around the model's objects.
const SHAPE_KEYS: &[&str] = &[
    "event_id",
    "eventid",
    "recipient_client_id",
    "recipientclientid",
    "event",
    "data",
    "id",
    "type",
    "time",
    "timestamp",
    "value",
    "position",
    "messages",
    "events",
    "items",
    "metrics",
];

/// The elements of a body, each as the event read from it writes it back.
fn elements(body: &Json) -> Vec<Json> {
    match body {
        Json::Array(elements) => elements.iter().flat_map(element_units).collect(),
        Json::Object(_) => {
            if let Some(Json::Array(entries)) = body.member("events") {
                return entries
                    .iter()
                    .flat_map(|entry| {
                        let event = entry
                            .member("event")
                            .cloned()
                            .unwrap_or(Json::Leaf(serde_json::Value::Null));
                        element_units(&event)
                            .into_iter()
                            .map(|unit| {
                                let mut entry = entry.clone();
                                if let Json::Object(members) = &mut entry {
                                    for member in members.iter_mut().filter(|m| m.0 == "event") {
                                        member.1 = unit.clone();
                                    }
                                }
                                Json::object(vec![("events", Json::Array(vec![entry]))])
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect();
            }
            if let Some(Json::Array(items)) = body.member("items") {
                return items
                    .iter()
                    .map(|item| Json::object(vec![("items", Json::Array(vec![item.clone()]))]))
                    .collect();
            }
            element_units(body)
        }
        Json::Leaf(_) => Vec::new(),
    }
}

/// One element of a batch: a message list object gives one per message.
fn element_units(element: &Json) -> Vec<Json> {
    match element.member("messages") {
        Some(Json::Array(messages)) => messages
            .iter()
            .map(|message| {
                let mut one = element.clone();
                if let Json::Object(members) = &mut one {
                    for member in members.iter_mut().filter(|m| m.0 == "messages") {
                        member.1 = Json::Array(vec![message.clone()]);
                    }
                }
                one
            })
            .collect(),
        _ => vec![element.clone()],
    }
}

/// What differs between an element and what its event writes, if anything.
fn differences(original: &Json, written: &Json, all_keys: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    original.leaves("", &mut before);
    written.leaves("", &mut after);
    for leaf in before.iter().filter(|leaf| !after.contains(leaf)) {
        problems.push(format!("lost or changed: {} = {}", leaf.0, leaf.1));
    }
    for leaf in after.iter().filter(|leaf| !before.contains(leaf)) {
        problems.push(format!("added: {} = {}", leaf.0, leaf.1));
    }
    let (mut before, mut after) = (Vec::new(), Vec::new());
    original.key_orders("", all_keys, &mut before);
    written.key_orders("", all_keys, &mut after);
    for (path, keys) in before {
        if let Some((_, written_keys)) = after.iter().find(|(p, _)| *p == path) {
            let kept: Vec<&String> = written_keys.iter().filter(|k| keys.contains(k)).collect();
            if kept != keys.iter().collect::<Vec<_>>() {
                problems.push(format!(
                    "key order at `{path}`: {keys:?} came, {kept:?} written"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_body_writes_back_what_it_read() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, body) in every_fixture() {
        let json: Json = serde_json::from_slice(&body).unwrap();
        let events = parse_events(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let originals = elements(&json);
        assert_eq!(
            events.len(),
            originals.len(),
            "{name}: one event per element"
        );
        for (index, (event, original)) in events.iter().zip(&originals).enumerate() {
            let written: Json =
                serde_json::from_str(&serde_json::to_string(event).unwrap()).unwrap();
            let all_keys = matches!(event, Event::Other(_));
            for problem in differences(original, &written, all_keys) {
                failures.push(format!("{name} #{index}: {problem}"));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every event of every body: a body losing one fails the count above.
    assert!(checked >= 58, "{checked}");
}

/// An unknown field keeps its text, and what is written back is what `Extra::get` reads:
/// a key repeated inside it keeps its first place and its last value.
#[test]
fn a_repeated_key_inside_an_unknown_field_is_written_once() {
    let body = br#"{"id": "r", "metrics": {}, "x": {"a": 1, "b": 0, "a": 2}}"#;
    for run in [
        parse_runs(body).unwrap().remove(0),
        serde_json::from_slice::<aep_flow_run::FlowRun>(body).unwrap(),
    ] {
        assert_eq!(run.extra["x"], serde_json::json!({"a": 2, "b": 0}));
        let written = serde_json::to_string(&run).unwrap();
        assert!(written.ends_with(r#""x":{"a":2,"b":0}}"#), "{written}");
    }
}

/// Read through serde (`Deserialize`) rather than the parse functions, unknown fields keep
/// their order at every depth too.
#[test]
fn serde_deserialize_keeps_key_order_at_depth() {
    let body = r#"{"id": "r", "metrics": {}, "x": {"b": 1, "a": [{"z": 0, "y": 1}]}}"#;
    let run: aep_flow_run::FlowRun = serde_json::from_str(body).unwrap();
    assert_eq!(
        serde_json::to_string(&run).unwrap(),
        r#"{"id":"r","x":{"b":1,"a":[{"z":0,"y":1}]}}"#
    );
    let extra: aep_flow_run::Extra = serde_json::from_str(r#"{"x": {"b": 1, "a": 2}}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&extra).unwrap(),
        r#"{"x":{"b":1,"a":2}}"#
    );
}

/// A value changed through `Extra::get_mut` is written as changed, even where `Value`
/// calls the two equal (`-0.0 == 0.0`).
#[test]
fn a_changed_unknown_value_is_written_as_changed() {
    let mut run = parse_runs(br#"{"id": "r", "metrics": {}, "x": -0.0, "y": {"b": 1, "a": 2}}"#)
        .unwrap()
        .remove(0);
    *run.extra.get_mut("x").unwrap() = serde_json::json!(0.0);
    let _ = run.extra.get_mut("y");
    assert_eq!(
        serde_json::to_string(&run).unwrap(),
        r#"{"id":"r","x":0.0,"y":{"b":1,"a":2}}"#
    );
}

/// A lone surrogate is no string: refused in an unknown field as anywhere else, not kept
/// as text that reads as `null` and cannot be written back.
#[test]
fn a_lone_surrogate_in_an_unknown_field_is_refused() {
    for body in [
        r#"{"id": "r", "metrics": {}, "x": "\ud800"}"#,
        r#"{"id": "r", "metrics": {}, "x": {"y": ["\udc00"]}}"#,
    ] {
        assert!(parse_runs(body.as_bytes()).is_err(), "{body}");
        assert!(parse_events(body.as_bytes()).is_err(), "{body}");
    }
    // A surrogate pair is a character.
    let run = parse_runs(br#"{"id": "r", "metrics": {}, "x": "\ud83d\ude00"}"#).unwrap();
    assert_eq!(run[0].extra["x"], "\u{1f600}");
}
