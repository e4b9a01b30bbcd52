//! The speed ratios of DESIGN.md, measured in paired rounds so that a noisy machine moves
//! them less than it moves absolute times.
//!
//! ```text
//! cargo run --release --example ratios [ROUNDS]
//! ```
//!
//! Each round times `parse_notification`, `serde_json::from_slice::<Value>` and
//! `serde_json::from_slice::<IgnoredAny>` back to back on the same bytes, and divides ours by
//! each baseline. The figures printed are the medians over the rounds (21 unless given):
//! a slow spell of the machine that lasts a round or two moves both sides of that round's
//! ratio and is then outvoted. `cargo bench --bench parse` (criterion) gives the absolute
//! times with their confidence intervals; this gives the ratios a reader should quote.
//!
//! The last column is a floor, also as a fraction of `Value`'s time: what any parse into
//! owned values costs before it matches a key or fills a field. It is the bare read
//! (`IgnoredAny`) plus the allocator's work for the blocks `parse_notification` allocates:
//! the same sizes, in the same order, allocated and then freed (recorded once per body by
//! [`heap_probe`], and replayed as byte buffers each round). Its distance to 0.35x is what
//! DESIGN.md's target leaves for everything else.

use std::hint::black_box;
use std::time::Instant;

#[path = "support/heap_probe.rs"]
mod heap_probe;

use heap_probe::{measure, HeapProbe};

#[global_allocator]
static PROBE: HeapProbe = HeapProbe;

/// The two founding payloads of DESIGN.md's performance target.
const BODIES: [&str; 2] = [
    "fixtures/adobe-docs/io-event-sources-flow-run-success.json",
    "fixtures/adobe-docs/message-list-sources-flow-run-failed.json",
];

/// Calls per timing: long enough to dwarf the clock, short enough for many rounds.
const CALLS: u32 = 3_000;

/// Mean microseconds per call of `parse`.
fn time(parse: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..CALLS {
        parse();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS)
}

/// The timings of one body, in microseconds per call, one entry per round.
#[derive(Default)]
struct Row {
    name: &'static str,
    /// The sizes of the blocks `parse_notification` allocates for this body.
    sizes: Vec<usize>,
    ours: Vec<f64>,
    value: Vec<f64>,
    ignored: Vec<f64>,
    to_value: Vec<f64>,
    to_ignored: Vec<f64>,
    allocating: Vec<f64>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(rounds) => rounds.parse()?,
        None => 21,
    };
    if rounds == 0 {
        return Err("ROUNDS must be at least 1".into());
    }
    println!("median of {rounds} paired rounds of {CALLS} calls each");
    let mut rows = Vec::new();
    for path in BODIES {
        let body = std::fs::read(path)?;
        let (parsed, heap) = measure(|| aep_flow_run::parse_notification(&body));
        drop(parsed?);
        let mut ours = || {
            black_box(aep_flow_run::parse_notification(black_box(&body)).ok());
        };
        let mut value = || {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).ok());
        };
        let mut ignored = || {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&body)).ok());
        };
        let mut row = Row {
            name: path.rsplit('/').next().unwrap_or(path),
            sizes: heap.sizes,
            ..Row::default()
        };
        for _ in 0..rounds {
            let (mine, theirs, bare) = (time(&mut ours), time(&mut value), time(&mut ignored));
            row.ours.push(mine);
            row.value.push(theirs);
            row.ignored.push(bare);
            row.to_value.push(mine / theirs);
            row.to_ignored.push(mine / bare);
        }
        rows.push(row);
    }
    // The allocator's share of the floor is timed after all the pairs: the blocks it leaves
    // free change how fast `Value` allocates later (by up to 15% on this machine).
    for row in &mut rows {
        let mut blocks: Vec<Vec<u8>> = Vec::with_capacity(row.sizes.len());
        let sizes = &row.sizes;
        let mut allocate = || {
            blocks.extend(sizes.iter().map(|&size| Vec::with_capacity(size)));
            black_box(&blocks);
            blocks.clear();
        };
        row.allocating = (0..rounds).map(|_| time(&mut allocate)).collect();
    }
    println!(
        "{:<48} {:>9} {:>10} {:>11} {:>16}",
        "body", "ours", "vs Value", "vs Ignored", "floor vs Value"
    );
    for row in rows {
        let floor = (median(row.ignored) + median(row.allocating)) / median(row.value);
        println!(
            "{:<48} {:>7.2}µs {:>9.3}x {:>10.2}x {floor:>15.3}x",
            row.name,
            median(row.ours),
            median(row.to_value),
            median(row.to_ignored),
        );
    }
    Ok(())
}
