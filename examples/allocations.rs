//! Counts the heap work of parsing one notification: the allocations `parse_notification`
//! makes, and the heap the [`Notification`](aep_flow_run::Notification) it returns keeps,
//! for each founding payload (or each file given as an argument, which must hold exactly one
//! notification).
//!
//! ```text
//! cargo run --release --example allocations [FILE ...]
//! ```
//!
//! - `allocations`: calls to `alloc` and `realloc` during one `parse_notification`, including
//!   those of values that were freed before it returned.
//! - `heap kept`: the bytes of heap that the returned `Notification` owns (its strings,
//!   lists, boxes and maps), counted while it is alive. The `Notification`'s own inline bytes
//!   (`size_of::<Notification>()`, printed below the table) are not counted: they live
//!   wherever the caller keeps the value, on the stack here.
//! - `Value kept`: the same for `serde_json::Value` of the body. DESIGN.md's bound is a heap
//!   no larger than that (`kept <= Value`); the example exits 1 when a body breaks it.

use aep_flow_run::Notification;

#[path = "support/heap_probe.rs"]
mod heap_probe;

use heap_probe::{measure, HeapProbe};

#[global_allocator]
static PROBE: HeapProbe = HeapProbe;

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        files = [
            "fixtures/adobe-docs/io-event-sources-flow-run-success.json",
            "fixtures/adobe-docs/message-list-sources-flow-run-failed.json",
        ]
        .map(String::from)
        .to_vec();
    }
    println!(
        "{:<64} {:>7} {:>12} {:>10} {:>11} {:>14}",
        "body", "bytes", "allocations", "heap kept", "Value kept", "kept <= Value"
    );
    let mut over = false;
    for file in files {
        let body = match std::fs::read(&file) {
            Ok(body) => body,
            Err(error) => {
                eprintln!("allocations: cannot read {file}: {error}");
                std::process::exit(2);
            }
        };
        // A first parse, not counted, so that nothing initialised once per process (there
        // should be nothing) is counted as kept by the notification.
        drop(aep_flow_run::parse_notification(&body));
        let (parsed, heap) = measure(|| aep_flow_run::parse_notification(&body));
        let (made, kept) = (heap.allocations, heap.kept);
        let (value, value_heap) = measure(|| serde_json::from_slice::<serde_json::Value>(&body));
        drop(value);
        match parsed {
            Ok(notification) => {
                let within = kept <= value_heap.kept;
                over |= !within;
                println!(
                    "{file:<64} {:>7} {made:>12} {kept:>10} {:>11} {:>14}",
                    body.len(),
                    value_heap.kept,
                    if within { "yes" } else { "NO" }
                );
                drop(notification);
            }
            Err(error) => println!("{file:<64} {:>7} error: {error}", body.len()),
        }
    }
    println!(
        "(not counted above: a Notification's own {} inline bytes, on the caller's stack)",
        std::mem::size_of::<Notification>()
    );
    if over {
        std::process::exit(1);
    }
}
