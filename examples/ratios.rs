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

use std::hint::black_box;
use std::time::Instant;

/// The two founding payloads of DESIGN.md's performance target.
const BODIES: [&str; 2] = [
    "fixtures/adobe-docs/io-event-sources-flow-run-success.json",
    "fixtures/adobe-docs/message-list-sources-flow-run-failed.json",
];

/// Calls per timing: long enough to dwarf the clock, short enough for many rounds.
const CALLS: u32 = 3_000;

/// Mean microseconds per call of `parse`.
fn time(parse: &dyn Fn()) -> f64 {
    let start = Instant::now();
    for _ in 0..CALLS {
        parse();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS)
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
    println!(
        "{:<48} {:>9} {:>10} {:>11}",
        "body", "ours", "vs Value", "vs Ignored"
    );
    for path in BODIES {
        let body = std::fs::read(path)?;
        aep_flow_run::parse_notification(&body)?;
        let ours = || {
            black_box(aep_flow_run::parse_notification(black_box(&body)).ok());
        };
        let value = || {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).ok());
        };
        let ignored = || {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&body)).ok());
        };
        let (mut times, mut to_value, mut to_ignored) = (vec![], vec![], vec![]);
        for _ in 0..rounds {
            let (mine, theirs, bare) = (time(&ours), time(&value), time(&ignored));
            times.push(mine);
            to_value.push(mine / theirs);
            to_ignored.push(mine / bare);
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        println!(
            "{name:<48} {:>7.2}µs {:>9.3}x {:>10.2}x",
            median(times),
            median(to_value),
            median(to_ignored)
        );
    }
    Ok(())
}
