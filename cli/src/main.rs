//! `aep-flow-run`: Adobe Experience Platform flow runs from the command line.
//!
//! - `inspect`: what a delivery body, journal page or API answer says, event by event.
//! - `journal`: catch up from an I/O Events journal, one line per event.
//! - `serve`: the monitor: receives deliveries, follows the journal, keeps the latest state
//!   of every flow, and exposes metrics and health.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod aio;
mod inspect;
mod journal;
mod serve;

/// Adobe Experience Platform flow runs: read them, receive them, watch them.
#[derive(Debug, Parser)]
#[command(name = "aep-flow-run", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print what a body says: every flow run, alert and other event in it.
    Inspect(inspect::Args),
    /// Catch up from an I/O Events journal: one line per event, from a start to the end.
    Journal(journal::Args),
    /// Run the monitor: receive Adobe's deliveries, follow the journal, serve metrics.
    Serve(Box<serve::Args>),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Inspect(args) => inspect::run(args),
        Command::Journal(args) => journal::run(args),
        Command::Serve(args) => serve::run(*args),
    }
}
