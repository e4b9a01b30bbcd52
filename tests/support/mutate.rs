//! Structure-aware inputs: a corpus payload edited at the JSON level. Shared by the
//! `parse_json` fuzz target and its stable replay, so both build the same bodies.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Map, Value};

/// The payloads the edits start from: the corpus and the project's edge cases.
const FIXTURES: &[&[u8]] = &[
    include_bytes!("../../fixtures/adobe-docs/io-event-sources-flow-run-success.json"),
    include_bytes!("../../fixtures/adobe-docs/message-list-sources-flow-run-failed.json"),
    include_bytes!("../../fixtures/adobe-docs/alert-run-sources-failure.json"),
    include_bytes!("../../fixtures/adobe-docs/alert-run-identity-success.json"),
    include_bytes!("../../fixtures/adobe-docs/api-runs-sources-success-with-errors.json"),
    include_bytes!("../../fixtures/adobe-docs/api-runs-destination-batch-success.json"),
    include_bytes!("../../fixtures/adobe-docs/not-a-run-io-event-ingestion-load-failure.json"),
    include_bytes!("../../fixtures/edge-cases/cloudevent-flow-run-failed.json"),
    include_bytes!("../../fixtures/edge-cases/batch-mixed-shapes.json"),
    include_bytes!("../../fixtures/edge-cases/journal-page.json"),
];

/// Field names Adobe uses, so that inserted keys hit the typed paths.
const KEYS: &[&str] = &[
    "event",
    "event_id",
    "eventid",
    "data",
    "specversion",
    "type",
    "time",
    "items",
    "events",
    "messages",
    "value",
    "position",
    "id",
    "flowId",
    "metrics",
    "activities",
    "header",
    "_adobeio",
    "eventCode",
    "statusSummary",
    "status",
    "errors",
    "extensions",
    "code",
    "recordSummary",
    "failedInfo",
    "inputRecordCount",
    "sizeSummary",
    "inputBytes",
    "durationSummary",
    "startedAtUTC",
    "fileSummary",
    "manifest",
    "fileInfo",
    "createdAt",
    "recipient_client_id",
    "_eventNotificationMeta",
    "sourceInfo",
    "reference",
    "ids",
];

/// A payload and the edits to make to it.
#[derive(Debug, Arbitrary)]
pub struct Mutation {
    fixture: u8,
    edits: Vec<Edit>,
    pretty: bool,
}

#[derive(Debug, Arbitrary)]
struct Edit {
    /// Each step picks a child of the current value (index modulo its length).
    path: Vec<u8>,
    action: Action,
}

#[derive(Debug, Arbitrary)]
enum Action {
    Replace(Json),
    Remove,
    Insert(u8, Json),
}

/// A small JSON value.
#[derive(Debug)]
pub struct Json(Value);

impl<'a> Arbitrary<'a> for Json {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        json(u, 3).map(Json)
    }
}

fn json(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let choice = if depth == 0 {
        u.int_in_range(0..=5)?
    } else {
        u.int_in_range(0..=7)?
    };
    Ok(match choice {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => Value::from(*u.choose(&[-1i64, 0, 1590512053, 1597213529158, 87473822])?),
        4 => Value::from(u.arbitrary::<f64>()?),
        5 => Value::String(u.arbitrary::<String>()?),
        6 => Value::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| json(u, depth - 1))
                .collect::<arbitrary::Result<_>>()?,
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                map.insert(u.choose(KEYS)?.to_string(), json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

impl Mutation {
    /// Reads a mutation the way the fuzz target does.
    pub fn from_bytes(bytes: &[u8]) -> Option<Mutation> {
        Mutation::arbitrary_take_rest(Unstructured::new(bytes)).ok()
    }

    /// The edited payload, as bytes.
    pub fn body(&self) -> Vec<u8> {
        let fixture = FIXTURES[usize::from(self.fixture) % FIXTURES.len()];
        let mut value: Value = serde_json::from_slice(fixture).expect("fixtures are JSON");
        for edit in &self.edits {
            apply(&mut value, &edit.path, &edit.action);
        }
        let written = if self.pretty {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        };
        written.expect("a Value always serialises")
    }
}

fn apply(value: &mut Value, path: &[u8], action: &Action) {
    let Some((step, rest)) = path.split_first() else {
        if let Action::Replace(Json(new)) = action {
            *value = new.clone();
        }
        return;
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let index = usize::from(*step) % map.len();
            let key = map.keys().nth(index).cloned().unwrap_or_default();
            match (rest.is_empty(), action) {
                (true, Action::Remove) => {
                    map.remove(&key);
                }
                (true, Action::Insert(name, Json(new))) => {
                    map.insert(
                        KEYS[usize::from(*name) % KEYS.len()].to_owned(),
                        new.clone(),
                    );
                }
                _ => {
                    if let Some(child) = map.get_mut(&key) {
                        apply(child, rest, action);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let index = usize::from(*step) % items.len();
            match (rest.is_empty(), action) {
                (true, Action::Remove) => {
                    items.remove(index);
                }
                (true, Action::Insert(_, Json(new))) => items.insert(index, new.clone()),
                _ => apply(&mut items[index], rest, action),
            }
        }
        _ => {
            if let Action::Replace(Json(new)) = action {
                *value = new.clone();
            }
        }
    }
}
