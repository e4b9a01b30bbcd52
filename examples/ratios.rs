//! The speed ratios of DESIGN.md, measured in paired rounds so that a noisy machine moves
//! them less than it moves absolute times, and over several processes so that one address
//! layout does not decide them.
//!
//! ```text
//! cargo run --release --example ratios [PROCESSES] [ROUNDS]
//! ```
//!
//! Each row is a body, the bytes `benches/parse.rs` measures (both build them with
//! `benches/support/bodies.rs`), and the function that parses it; the target it answers is
//! DESIGN.md's, third round (the letters are its order):
//!
//! | row | body | parsed with | target |
//! |---|---|---|---|
//! | `success event, pretty` | the founding success event, as in its fixture (3.3 KB) | `parse_notification` | ≤ 0.35x `Value`, ≤ 2x `IgnoredAny` |
//! | `failed message list, pretty` | the founding failed message list, as in its fixture (3.4 KB) | `parse_notification` | (d) ≤ 0.35x `Value` |
//! | `failed message list, minified` | the same without whitespace (1.9 KB) | `parse_notification` | (d) ≤ 0.35x `Value` |
//! | `mixed batch of 20, minified` | 16 runs, 2 alerts, an audit event and another product's CloudEvent (35.8 KB) | `parse_events` | (a) ≤ 0.45x `Value` |
//! | `journal page of others, minified` | a journal page of two AEM events: no run, no alert (1.6 KB) | `parse_events` | (b) ≤ 0.5x `Value` |
//! | `batch of 20 runs, minified` | 20 copies of the success event, each with its own id (41 KB) | `parse_events` | (c) ≤ 2x `IgnoredAny` |
//!
//! Each round times the row's function, `serde_json::from_slice::<Value>` and
//! `serde_json::from_slice::<IgnoredAny>` back to back on the same bytes, and divides ours by
//! each baseline; a process takes the median over its rounds (11 unless given): a slow spell
//! of the machine that lasts a round or two moves both sides of that round's ratio and is
//! then outvoted. A timing is 3,000 calls, or for a body above 4 KB as many calls as make
//! about the same bytes (300 for the batch of 20 runs), so that the large bodies do not take
//! ten times as long.
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
//! (`IgnoredAny`) plus the allocator's work for the blocks the row's function allocates:
//! the same sizes, in the same order, allocated and then freed (recorded once per body by
//! [`heap_probe`], and replayed as byte buffers each round). Its distance to the row's target
//! is what DESIGN.md leaves for everything else.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

#[path = "../benches/support/bodies.rs"]
mod bodies;
#[path = "support/heap_probe.rs"]
mod heap_probe;

use heap_probe::{measure, HeapProbe, SIZES_KEPT};

#[global_allocator]
static PROBE: HeapProbe = HeapProbe;

/// Calls per timing for a body of at most [`BYTES`]: long enough to dwarf the clock, short
/// enough for many rounds.
const CALLS: usize = 3_000;

/// Above this size, a body gets fewer calls per timing than [`CALLS`]: as many as make
/// `CALLS * BYTES` bytes.
const BYTES: usize = 4_096;

/// A parse function as a row calls it: the result looked at where it lies, then dropped;
/// false if the body did not parse.
type Parse = fn(&[u8]) -> bool;

/// Builds a row's body.
type Build = fn() -> Vec<u8>;

/// `parse` on `body`, the same wrapping for ours and both baselines.
fn parse_and_drop<T, E>(parse: fn(&[u8]) -> Result<T, E>, body: &[u8]) -> bool {
    let parsed = parse(black_box(body));
    black_box(parsed.as_ref().ok()).is_some()
}

fn notification(body: &[u8]) -> bool {
    parse_and_drop(aep_flow_run::parse_notification, body)
}

fn events(body: &[u8]) -> bool {
    parse_and_drop(aep_flow_run::parse_events, body)
}

fn value(body: &[u8]) -> bool {
    parse_and_drop(
        |body| serde_json::from_slice::<serde_json::Value>(body),
        body,
    )
}

fn ignored(body: &[u8]) -> bool {
    parse_and_drop(
        |body| serde_json::from_slice::<serde::de::IgnoredAny>(body),
        body,
    )
}

/// The rows, in the order they are measured and printed: name, body (built when its row's
/// turn comes), our parse function.
///
/// Each body is built just before its row is measured, not all of them up front: building
/// the large ones (minifying, checking through a `Value`, parsing the mixed batch once)
/// leaves the heap in another state, and that alone moved `Value`'s time on the failed
/// message list by a fifth (0.29x became 0.36x, our time unchanged). Built in turn, the
/// founding rows give what the example gave when it measured only them.
fn all_rows() -> Vec<(&'static str, Build, Parse)> {
    use bodies::{batch, journal_of_others, minified, mixed_batch_20, FAILED, SUCCESS};
    vec![
        ("success event, pretty", || SUCCESS.to_vec(), notification),
        (
            "failed message list, pretty",
            || FAILED.to_vec(),
            notification,
        ),
        (
            "failed message list, minified",
            || minified(FAILED),
            notification,
        ),
        ("mixed batch of 20, minified", mixed_batch_20, events),
        (
            "journal page of others, minified",
            journal_of_others,
            events,
        ),
        ("batch of 20 runs, minified", || batch(20), events),
    ]
}

/// Mean microseconds per call of `parse`, over `calls` calls.
fn time(calls: usize, parse: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        parse();
    }
    start.elapsed().as_secs_f64() * 1e6 / calls as f64
}

/// The timings of one body, in microseconds per call, one entry per round.
#[derive(Default)]
struct Row {
    name: &'static str,
    /// Calls per timing.
    calls: usize,
    /// The sizes of the blocks the row's function allocates for this body.
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
         of {CALLS} calls, fewer above {BYTES} bytes (lowest to highest process in brackets)"
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
        "{:<34} {:>9} {:>22} {:>20} {:>22}",
        "body", "ours", "vs Value", "vs Ignored", "floor vs Value"
    );
    for (name, [ours, to_value, to_ignored, floor]) in figures {
        let spread = |values: &[f64]| {
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(0.0, f64::max);
            format!("{:.3}x [{low:.2}-{high:.2}]", median(values.to_vec()))
        };
        println!(
            "{name:<34} {:>7.2}µs {:>22} {:>20} {:>22}",
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
    for (name, build, parse) in all_rows() {
        let body = build();
        let (parsed, heap) = measure(|| parse(&body));
        if !parsed {
            return Err(format!("{name}: the body does not parse").into());
        }
        if heap.allocations > SIZES_KEPT {
            return Err(format!(
                "{name}: {} allocations, more than the {SIZES_KEPT} sizes the probe keeps",
                heap.allocations
            )
            .into());
        }
        let calls = (CALLS * BYTES / body.len()).clamp(1, CALLS);
        let mut row = Row {
            name,
            calls,
            sizes: heap.sizes,
            ..Row::default()
        };
        for _ in 0..rounds {
            let mine = time(calls, &mut || {
                parse(&body);
            });
            let theirs = time(calls, &mut || {
                value(&body);
            });
            let bare = time(calls, &mut || {
                ignored(&body);
            });
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
        row.allocating = (0..rounds)
            .map(|_| time(row.calls, &mut allocate))
            .collect();
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
