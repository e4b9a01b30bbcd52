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
//!   wherever the caller keeps the value, on the stack here. The target is a heap kept no
//!   larger than the body it was read from (`kept <= body`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use aep_flow_run::Notification;

/// The system allocator, counting calls and live bytes.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are the
// only addition. (The crate itself forbids unsafe code; a global allocator needs it.)
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size(), Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(new_size, Relaxed);
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

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
        "{:<64} {:>7} {:>12} {:>10} {:>13}",
        "body", "bytes", "allocations", "heap kept", "kept <= body"
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
        let (allocations, live) = (ALLOCATIONS.load(Relaxed), LIVE_BYTES.load(Relaxed));
        let parsed = aep_flow_run::parse_notification(&body);
        let made = ALLOCATIONS.load(Relaxed) - allocations;
        let kept = LIVE_BYTES.load(Relaxed).saturating_sub(live);
        match parsed {
            Ok(notification) => {
                let within = kept <= body.len();
                over |= !within;
                println!(
                    "{file:<64} {:>7} {made:>12} {kept:>10} {:>13}",
                    body.len(),
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
