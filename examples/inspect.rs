//! Prints what a flow-run notification body says.
//!
//! ```text
//! cargo run --example inspect [--json] [FILE | -]
//! ```
//!
//! Reads FILE, or standard input for `-`; with neither, reads a bundled example (Adobe's
//! failed-run message list), so the command works the same from a terminal, a script or CI. Prints a summary per notification, or
//! with `--json` one normalised JSON object per line. A Flow Service run list is shown run by
//! run. Exits with status 1 and a message on a body that holds no flow run.

use std::io::Read;
use std::process::ExitCode;

use aep_flow_run::{
    parse_notifications, parse_runs, Count, Error, Notification, Outcome, Timestamp,
};

const BUNDLED: &[u8] =
    include_bytes!("../fixtures/adobe-docs/message-list-sources-flow-run-failed.json");

fn main() -> ExitCode {
    let mut json = false;
    let mut file = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                println!("usage: inspect [--json] [FILE | -]");
                return ExitCode::SUCCESS;
            }
            "-" if file.is_none() => file = Some(arg),
            _ if arg.starts_with('-') => {
                eprintln!("inspect: unknown option {arg:?}; usage: inspect [--json] [FILE | -]");
                return ExitCode::from(2);
            }
            _ if file.is_none() => file = Some(arg),
            _ => {
                eprintln!("inspect: unexpected argument {arg:?}; usage: inspect [--json] [FILE]");
                return ExitCode::from(2);
            }
        }
    }

    let body = match read_body(file.as_deref()) {
        Ok(body) => body,
        Err(message) => {
            eprintln!("inspect: {message}");
            return ExitCode::from(2);
        }
    };

    let notifications = match notifications_or_runs(&body) {
        Ok(notifications) => notifications,
        Err(error) => {
            eprintln!("inspect: {error}");
            return ExitCode::FAILURE;
        }
    };

    if notifications.is_empty() {
        eprintln!("inspect: the body holds no notification (an empty batch or journal page)");
    }
    for (index, notification) in notifications.iter().enumerate() {
        if json {
            match serde_json::to_string(notification) {
                Ok(line) => println!("{line}"),
                Err(error) => {
                    eprintln!("inspect: {error}");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            if index > 0 {
                println!();
            }
            print_summary(notification);
        }
    }
    ExitCode::SUCCESS
}

fn read_body(file: Option<&str>) -> Result<Vec<u8>, String> {
    match file {
        Some("-") => read_stdin(),
        Some(path) => std::fs::read(path).map_err(|error| format!("cannot read {path}: {error}")),
        // Not standard input by default: a script's or CI's stdin may be empty, or a pipe that
        // never closes.
        None => {
            eprintln!("(no input: showing Adobe's example of a failed run; pass a file, or - for standard input)");
            Ok(BUNDLED.to_vec())
        }
    }
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|error| format!("cannot read standard input: {error}"))?;
    Ok(body)
}

/// A delivery's notifications, or the runs of a Flow Service run list, one notification each.
fn notifications_or_runs(body: &[u8]) -> Result<Vec<Notification>, Error> {
    match parse_notifications(body) {
        Err(error @ Error::Unrecognized { .. }) => match parse_runs(body) {
            Ok(runs) => Ok(runs.into_iter().map(Notification::from_run).collect()),
            Err(_) => Err(error),
        },
        other => other,
    }
}

fn print_summary(notification: &Notification) {
    let run = &notification.run;
    let metrics = &run.metrics;
    let outcome = match notification.outcome() {
        Outcome::Success => "SUCCESS",
        Outcome::PartialSuccess => "SUCCESS WITH ERRORS",
        Outcome::Failed => "FAILED",
        Outcome::Pending => "IN PROGRESS",
        _ => "UNKNOWN",
    };
    let code = match notification.event_code.as_str() {
        "" => "(no event code)",
        code => code,
    };
    println!("{code}: {outcome} ({:?})", notification.format);
    if let Some(id) = &notification.event_id {
        println!("  event     {id}");
    }
    let flow = match (&run.flow_name, &run.flow_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        (None, Some(id)) => id.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => "-".to_owned(),
    };
    println!("  flow      {flow}");
    println!("  run       {}", run.id.as_deref().unwrap_or("-"));
    if let Some(sandbox) = &run.sandbox_name {
        println!("  sandbox   {sandbox}");
    }
    let duration = &metrics.duration_summary;
    println!(
        "  started   {}   completed {}   duration {}",
        time(duration.started_at_utc.as_ref()),
        time(duration.completed_at_utc.as_ref()),
        run.duration()
            .map(|d| format!("{:.3}s", d.num_milliseconds() as f64 / 1000.0))
            .unwrap_or_else(|| "-".to_owned()),
    );
    let records = &metrics.record_summary;
    println!(
        "  records   in {}   out {}   failed {}",
        count(records.input_record_count.as_ref()),
        count(records.output_record_count.as_ref()),
        count(records.failed_record_count.as_ref()),
    );
    let size = &metrics.size_summary;
    println!(
        "  bytes     in {}   out {}",
        count(size.input_bytes.as_ref()),
        count(size.output_bytes.as_ref()),
    );
    let files = &metrics.file_summary;
    println!(
        "  files     in {}   out {}",
        count(files.input_file_count.as_ref()),
        count(files.output_file_count.as_ref()),
    );
    let errors: Vec<_> = notification.errors().collect();
    if errors.is_empty() {
        println!("  errors    none");
        return;
    }
    println!("  errors    {}", errors.len());
    for found in errors {
        let error = found.error;
        println!(
            "    {}  {}  {}",
            found.path(),
            error.code,
            error.message.as_deref().unwrap_or("")
        );
        if let Some(meaning) = error.code.description() {
            println!("      meaning: {meaning}");
        } else if let Some(parts) = error.code.parts() {
            println!(
                "      {} error {} (status {})",
                parts.family, parts.number, parts.status
            );
        }
    }
}

fn time(timestamp: Option<&Timestamp>) -> String {
    match timestamp {
        None => "-".to_owned(),
        Some(timestamp) => match timestamp.to_utc() {
            Some(time) => time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            None => format!("{timestamp} (not a time)"),
        },
    }
}

fn count(count: Option<&Count>) -> String {
    match count {
        None => "-".to_owned(),
        Some(count) => match count.get() {
            Some(value) => value.to_string(),
            None => "unknown".to_owned(),
        },
    }
}
