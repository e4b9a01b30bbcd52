//! Adversarial bodies of a given size, shared by the hostile-input tests and the benchmark
//! that shows their cost stays linear in the size.

/// A named body generator: `(name, build(size_in_bytes))`.
pub type Generator = (&'static str, fn(usize) -> Vec<u8>);

/// Every adversarial shape.
pub const GENERATORS: &[Generator] = &[
    ("tiny objects in a batch", tiny_objects),
    ("unknown keys in one run", unknown_keys),
    ("one long string", long_string),
    ("a number with thousands of digits", long_number),
    ("every escape form", escapes),
    ("nested arrays past the depth limit", nested_arrays),
    ("a long list of activities", many_activities),
    ("unknown attributes beside an envelope", envelope_attributes),
    ("unknown attributes beside messages", message_attributes),
];

fn repeat_to(size: usize, head: &str, item: &str, separator: &str, tail: &str) -> Vec<u8> {
    let mut body = String::with_capacity(size + item.len());
    body.push_str(head);
    let mut first = true;
    while body.len() + item.len() + tail.len() < size {
        if !first {
            body.push_str(separator);
        }
        body.push_str(item);
        first = false;
    }
    body.push_str(tail);
    body.into_bytes()
}

fn tiny_objects(size: usize) -> Vec<u8> {
    repeat_to(size, "[", "{}", ",", "]")
}

fn unknown_keys(size: usize) -> Vec<u8> {
    let mut body = String::from(r#"{"metrics": {}"#);
    let mut index = 0u64;
    while body.len() + 24 < size {
        body.push_str(&format!(r#","k{index}": {index}"#));
        index += 1;
    }
    body.push('}');
    body.into_bytes()
}

fn long_string(size: usize) -> Vec<u8> {
    let text = "a".repeat(size.saturating_sub(64));
    format!(r#"{{"event_id": "{text}", "event": {{"metrics": {{}}}}}}"#).into_bytes()
}

fn long_number(size: usize) -> Vec<u8> {
    let digits = "9".repeat(size.saturating_sub(96) / 2);
    format!(
        r#"{{"metrics": {{"sizeSummary": {{}}, "customSummary": {{"n": {digits}}}}}, "x": 1.{digits}}}"#
    )
    .into_bytes()
}

fn escapes(size: usize) -> Vec<u8> {
    let item = r#"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00\ud800"#;
    // Each item ends with a lone leading surrogate (followed by the next item's `\"`), which
    // serde_json refuses in a string it reads: the body must be an error, found at the first
    // item.
    repeat_to(size, r#"{"metrics": {}, "id": ""#, item, "", r#""}"#)
}

fn nested_arrays(size: usize) -> Vec<u8> {
    let depth = size / 2;
    format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
}

fn many_activities(size: usize) -> Vec<u8> {
    repeat_to(
        size,
        r#"{"event_id": "e", "event": {"metrics": {}, "activities": ["#,
        r#"{"id": "a", "statusSummary": {"status": "failed", "errors": [{"code": "CONNECTOR-1001-500"}]}}"#,
        ",",
        "]}}",
    )
}

fn stray_keys(size: usize, head: &str, tail: &str) -> Vec<u8> {
    let mut body = String::from(head);
    let mut index = 0u64;
    while body.len() + tail.len() + 24 < size {
        body.push_str(&format!(r#""s{index}": {index}, "#));
        index += 1;
    }
    body.push_str(tail);
    body.into_bytes()
}

fn envelope_attributes(size: usize) -> Vec<u8> {
    stray_keys(size, "{", r#""event_id": "e", "event": {"metrics": {}}}"#)
}

fn message_attributes(size: usize) -> Vec<u8> {
    let message = r#"{"_eventNotificationMeta": {"type": "sources_flow_run_failed"}, "value": {"metrics": {}}}"#;
    stray_keys(
        size,
        "[{",
        &format!(r#""messages": [{message}, {message}, {message}]}}]"#),
    )
}
