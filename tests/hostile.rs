//! 2 MB adversarial bodies (the I/O Events batch limit) give a value or an error, never a
//! panic; their cost is measured in `benches/hostile.rs`.

#[path = "support/checks.rs"]
mod checks;
#[path = "support/hostile.rs"]
mod hostile;

use aep_flow_run::{parse_notifications, parse_runs, Error};

const TWO_MB: usize = 2 * 1024 * 1024;

#[test]
fn every_adversarial_body_gives_a_value_or_an_error() {
    for (name, build) in hostile::GENERATORS {
        let body = build(TWO_MB);
        assert!(body.len() <= TWO_MB + 256, "{name}: {} bytes", body.len());
        let outcome = std::panic::catch_unwind(|| checks::check_body(&body));
        assert!(outcome.is_ok(), "{name} panicked");
    }
}

#[test]
fn what_each_adversarial_body_gives() {
    let read = |build: fn(usize) -> Vec<u8>| parse_notifications(&build(TWO_MB));
    let [tiny, keys, string, number, escapes, nested, activities, envelope, messages] =
        <[_; 9]>::try_from(
            hostile::GENERATORS
                .iter()
                .map(|(_, build)| read(*build))
                .collect::<Vec<_>>(),
        )
        .unwrap();

    // `{}` is no notification: the first element is named.
    assert!(matches!(tiny, Err(Error::Unrecognized { ref path, .. }) if path == "[0]"));
    // Tens of thousands of unknown fields are all kept.
    let keys = keys.unwrap();
    assert!(
        keys[0].run.extra.len() > 50_000,
        "{}",
        keys[0].run.extra.len()
    );
    assert_eq!(keys[0].run.extra["k0"], 0);
    // A 2 MB event id is kept whole.
    assert!(string.unwrap()[0].event_id.as_ref().unwrap().len() > 2_000_000);
    // A number with two million digits in an unknown field reads as a float (infinite ones are
    // refused by serde_json).
    assert!(matches!(number, Ok(_) | Err(Error::Syntax { .. })));
    // The lone surrogate at the end of the escapes is invalid JSON.
    assert!(matches!(escapes, Err(Error::Syntax { .. })), "{escapes:?}");
    // Arrays nested a million deep are valid JSON without a run.
    assert!(matches!(nested, Err(Error::Unrecognized { .. })));
    // Tens of thousands of stray envelope attributes are kept, each once.
    let envelope = envelope.unwrap();
    assert!(envelope[0].envelope.len() > 50_000);
    let messages = messages.unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[2].envelope.len(), messages[0].envelope.len());
    let activities = activities.unwrap();
    assert!(activities[0].run.activities.len() > 10_000);
    assert_eq!(
        activities[0].errors().count(),
        activities[0].run.activities.len()
    );
}

#[test]
fn a_repeated_key_takes_its_last_value_at_every_size() {
    for count in [2usize, 17, 50_000] {
        let mut body = String::from(r#"{"metrics": {}"#);
        for index in 0..count {
            body.push_str(&format!(r#","k{index}": 1"#));
        }
        body.push_str(r#","k0": 2}"#);
        let runs = parse_runs(body.as_bytes()).unwrap();
        assert_eq!(runs[0].extra["k0"], 2, "{count}");
        assert_eq!(runs[0].extra.len(), count, "{count}");
    }
}
