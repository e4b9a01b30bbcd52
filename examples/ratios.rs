//! The speed ratios of DESIGN.md, measured in paired rounds so that a noisy machine moves
//! them less than it moves absolute times, and over several processes so that one address
//! layout does not decide them.
//!
//! ```text
//! cargo run --release --example ratios [PROCESSES] [ROUNDS]
//! ```
//!
//! Each round times `parse_notification`, `serde_json::from_slice::<Value>` and
//! `serde_json::from_slice::<IgnoredAny>` back to back on the same bytes, and divides ours by
//! each baseline; a process takes the median over its rounds (11 unless given): a slow spell
//! of the machine that lasts a round or two moves both sides of that round's ratio and is
//! then outvoted.
//!
//! The example runs that in fresh processes of itself (9 unless given) and prints the median
//! over them, with the lowest and highest. One process is not enough: where the kernel
//! places the heap, the stack and the code (address-space randomisation) moves `Value`'s
//! time by up to 25% on this machine, from one process to the next and for the whole of
//! each, and with it any ratio a single process gives (the spread shows in the range;
//! `setarch -R` makes it vanish). `cargo bench --bench parse` (criterion) is one process,
//! and gives one draw of it.
//!
//! The last column is a floor, also as a fraction of `Value`'s time: what any parse into
//! owned values costs before it matches a key or fills a field. It is the bare read
//! (`IgnoredAny`) plus the allocator's work for the blocks `parse_notification` allocates:
//! the same sizes, in the same order, allocated and then freed (recorded once per body by
//! [`heap_probe`], and replayed as byte buffers each round). Its distance to 0.35x is what
//! DESIGN.md's target leaves for everything else.

use std::hint::black_box;
use std::process::Command;
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

/// Set in the processes the example starts of itself: they measure and print one line per
/// body.
const ONE_PROCESS: &str = "AEP_FLOW_RUN_RATIOS_ONE_PROCESS";

/// A count from the command line, or `default`.
fn count_arg(position: usize, name: &str, default: usize) -> Result<usize, String> {
    match std::env::args().nth(position) {
        None => Ok(default),
        Some(text) => match text.parse() {
            Ok(count) if count > 0 => Ok(count),
            _ => Err(format!(
                "{name} must be a whole number above 0, not {text:?}"
            )),
        },
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let processes = count_arg(1, "PROCESSES", 9)?;
    let rounds = count_arg(2, "ROUNDS", 11)?;
    if std::env::var_os(ONE_PROCESS).is_some() {
        return measure_here(rounds);
    }
    println!(
        "median over {processes} processes of each one's median of {rounds} paired rounds \
         of {CALLS} calls (lowest to highest process in brackets)"
    );
    // Per body: the four figures of each process.
    let mut figures: Vec<(String, [Vec<f64>; 4])> = Vec::new();
    for _ in 0..processes {
        let output = Command::new(std::env::current_exe()?)
            .args(["1", &rounds.to_string()])
            .env(ONE_PROCESS, "1")
            .output()?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
        }
        for (index, line) in String::from_utf8(output.stdout)?.lines().enumerate() {
            let mut parts = line.split('\t');
            let name = parts.next().unwrap_or_default().to_owned();
            let values = parts.map(str::parse).collect::<Result<Vec<f64>, _>>()?;
            if index == figures.len() {
                figures.push((name, Default::default()));
            }
            for (column, value) in figures[index].1.iter_mut().zip(values) {
                column.push(value);
            }
        }
    }
    println!(
        "{:<44} {:>9} {:>22} {:>20} {:>22}",
        "body", "ours", "vs Value", "vs Ignored", "floor vs Value"
    );
    for (name, [ours, to_value, to_ignored, floor]) in figures {
        let spread = |values: &[f64]| {
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(0.0, f64::max);
            format!("{:.3}x [{low:.2}-{high:.2}]", median(values.to_vec()))
        };
        println!(
            "{name:<44} {:>7.2}µs {:>22} {:>20} {:>22}",
            median(ours),
            spread(&to_value),
            spread(&to_ignored),
            spread(&floor),
        );
    }
    Ok(())
}

/// Measures in this process and prints, per body, its name, our time in microseconds and the
/// three ratios, separated by tabs.
fn measure_here(rounds: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    for path in BODIES {
        let body = std::fs::read(path)?;
        let (parsed, heap) = measure(|| aep_flow_run::parse_notification(&body));
        drop(parsed?);
        let mut ours = || {
            let parsed = aep_flow_run::parse_notification(black_box(&body));
            black_box(parsed.as_ref().ok());
        };
        let mut value = || {
            let parsed = serde_json::from_slice::<serde_json::Value>(black_box(&body));
            black_box(parsed.as_ref().ok());
        };
        let mut ignored = || {
            let parsed = serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&body));
            black_box(parsed.as_ref().ok());
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
    for row in rows {
        let floor = (median(row.ignored) + median(row.allocating)) / median(row.value);
        println!(
            "{}\t{}\t{}\t{}\t{floor}",
            row.name,
            median(row.ours),
            median(row.to_value),
            median(row.to_ignored),
        );
    }
    Ok(())
}
