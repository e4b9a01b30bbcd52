//! Counts the heap work of parsing: allocations per parse, and the heap a parsed
//! notification keeps, for each founding payload (or the files given as arguments).
//!
//! ```text
//! cargo run --release --example allocations [FILE ...]
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

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
        "{:<64} {:>7} {:>12} {:>12}",
        "body", "bytes", "allocations", "kept bytes"
    );
    for file in files {
        let body = match std::fs::read(&file) {
            Ok(body) => body,
            Err(error) => {
                eprintln!("allocations: cannot read {file}: {error}");
                std::process::exit(2);
            }
        };
        let (allocations, live) = (ALLOCATIONS.load(Relaxed), LIVE_BYTES.load(Relaxed));
        let parsed = aep_flow_run::parse_notifications(&body);
        let made = ALLOCATIONS.load(Relaxed) - allocations;
        let kept = LIVE_BYTES.load(Relaxed).saturating_sub(live);
        match parsed {
            Ok(_) => println!("{file:<64} {:>7} {made:>12} {kept:>12}", body.len()),
            Err(error) => println!("{file:<64} {:>7} error: {error}", body.len()),
        }
    }
}
