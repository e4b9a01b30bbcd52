//! Parsing from a thread-local's destructor, as a logger or a pool flushing at thread exit
//! might: the crate's own per-thread buffers may be gone by then, and parsing must still
//! work (an access to a destroyed thread-local panics, and a panic there aborts the process).

use std::cell::RefCell;

use aep_flow_run::parse_runs;

const BODY: &[u8] = br#"{"id": "r", "metrics": {}, "slaCreatedAt": 1, "x": {"b": 1, "a": 2}}"#;

struct ParsesOnDrop(RefCell<Option<std::sync::mpsc::Sender<String>>>);

impl Drop for ParsesOnDrop {
    fn drop(&mut self) {
        let runs = parse_runs(BODY).expect("the body parses");
        let written = serde_json::to_string(&runs[0]).expect("the run writes");
        if let Some(sender) = self.0.borrow_mut().take() {
            let _ = sender.send(written);
        }
    }
}

thread_local! {
    static LATE: ParsesOnDrop = const { ParsesOnDrop(RefCell::new(None)) };
}

#[test]
fn a_parse_in_a_thread_locals_drop_works() {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // This thread-local is set up before the crate's, so that it is destroyed after
        // them (thread-locals go in the reverse order of their first use).
        LATE.with(|late| *late.0.borrow_mut() = Some(sender));
        parse_runs(BODY).unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(
        receiver.recv().unwrap(),
        r#"{"id":"r","slaCreatedAt":1,"x":{"b":1,"a":2}}"#
    );
}
