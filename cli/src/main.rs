//! `aep-flow-run`: Adobe Experience Platform flow runs from the command line.
//!
//! - `inspect`: what a delivery body, journal page or API answer says, event by event.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod inspect;

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Inspect(args) => inspect::run(args),
    }
}
