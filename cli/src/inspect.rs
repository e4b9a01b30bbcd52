//! `aep-flow-run inspect`: what a delivery body says, every flow run, alert and other event
//! in it.
//!
//! Reads FILE; standard input for `-`, or when something is piped in; with neither (a
//! terminal, or an empty standard input), a bundled example (Adobe's failed-run message
//! list). Prints a summary per flow run, a few lines per alert and one line per other event;
//! with `--json`, one JSON object per line (flow runs in the normalised form). A Flow Service
//! run list is shown run by run. Exits with status 1 and a message on a body that cannot be
//! read, and quietly when its output is closed early (`inspect big.json | head`).

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use aep_flow_run::{parse_events, Alert, Event, Notification, OtherEvent, Timestamp};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

const BUNDLED: &[u8] =
    include_bytes!("../../fixtures/adobe-docs/message-list-sources-flow-run-failed.json");

/// The arguments of `inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per event instead of a summary.
    #[arg(long)]
    json: bool,
    /// The body to read (`-` for standard input); without it, standard input when something
    /// is piped in, else a bundled example.
    file: Option<PathBuf>,
}

/// Runs `inspect`.
pub fn run(args: Args) -> ExitCode {
    let body = match read_body(args.file.as_deref()) {
        Ok(body) => body,
        Err(message) => {
            eprintln!("inspect: {message}");
            return ExitCode::from(2);
        }
    };
    let events = match parse_events(&body) {
        Ok(events) => events,
        Err(error) => {
            eprintln!("inspect: {error}");
            return ExitCode::FAILURE;
        }
    };
    if events.is_empty() {
        eprintln!("inspect: the body holds no event (an empty batch or journal page)");
    }
    let mut out = io::stdout().lock();
    match print_all(&mut out, &events, args.json).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): nothing more to say.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("inspect: {error}");
            ExitCode::FAILURE
        }
    }
}

fn read_body(file: Option<&std::path::Path>) -> Result<Vec<u8>, String> {
    match file {
        Some(path) if path.as_os_str() == "-" => read_stdin(),
        Some(path) => {
            std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
        }
        // A script's or CI's standard input may be empty (`< /dev/null`, or none at all):
        // then, as from a terminal, the bundled example.
        None if !io::stdin().is_terminal() => match read_stdin()? {
            body if body.iter().all(u8::is_ascii_whitespace) => Ok(bundled()),
            body => Ok(body),
        },
        None => Ok(bundled()),
    }
}

fn bundled() -> Vec<u8> {
    eprintln!(
        "(no input: showing Adobe's example of a failed run; pass a file, or pipe a body in)"
    );
    BUNDLED.to_vec()
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    io::stdin()
        .read_to_end(&mut body)
        .map_err(|error| format!("cannot read standard input: {error}"))?;
    Ok(body)
}

fn print_all(out: &mut impl Write, events: &[Event], json: bool) -> io::Result<()> {
    for (index, event) in events.iter().enumerate() {
        if json {
            let line = match event {
                Event::FlowRun(notification) => serde_json::to_string(&notification.normalized()),
                Event::Alert(alert) => serde_json::to_string(&alert_json(alert)),
                Event::Other(other) => serde_json::to_string(&other_json(other)),
                _ => continue,
            };
            writeln!(out, "{}", line.map_err(io::Error::other)?)?;
            continue;
        }
        if index > 0 && !matches!(event, Event::Other(_)) {
            writeln!(out)?;
        }
        match event {
            Event::FlowRun(notification) => print_summary(out, notification)?,
            Event::Alert(alert) => print_alert(out, alert)?,
            Event::Other(other) => print_other(out, other)?,
            _ => {}
        }
    }
    Ok(())
}

fn alert_json(alert: &Alert) -> serde_json::Value {
    serde_json::json!({
        "kind": "alert",
        "eventId": alert.event_id,
        "eventCode": alert.event_code.as_str(),
        "name": alert.name,
        "status": alert.status.as_ref().map(|s| s.as_str()),
        "severity": alert.severity,
        "message": alert.message,
        "value": alert.value,
        "flowId": alert.flow_id,
        "flowRunId": alert.flow_run_id,
        "createdAt": alert.created_at.as_ref().and_then(Timestamp::to_utc).map(|t| t.to_rfc3339()),
        "resolvedAt": alert.resolved_at.as_ref().and_then(Timestamp::to_utc).map(|t| t.to_rfc3339()),
    })
}

fn other_json(other: &OtherEvent) -> serde_json::Value {
    serde_json::json!({
        "kind": "other",
        "eventId": other.event_id,
        "eventCode": other.event_code,
        "format": other.format,
    })
}

fn print_alert(out: &mut impl Write, alert: &Alert) -> io::Result<()> {
    let status = alert.status.as_ref().map_or("-", |status| status.as_str());
    let name = alert.name.as_deref().unwrap_or("(unnamed alert)");
    writeln!(out, "alert {name}: {status} ({:?})", alert.format)?;
    if let Some(id) = &alert.event_id {
        writeln!(out, "  event     {id}")?;
    }
    if let Some(message) = &alert.message {
        writeln!(out, "  message   {message}")?;
    }
    writeln!(
        out,
        "  flow      {}   run {}",
        alert.flow_id.as_deref().unwrap_or("-"),
        alert.flow_run_id.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "  created   {}   resolved {}   severity {}",
        or_dash(alert.created_at.as_ref().and_then(Timestamp::to_utc)),
        or_dash(alert.resolved_at.as_ref().and_then(Timestamp::to_utc)),
        alert.severity.as_deref().unwrap_or("-")
    )
}

fn print_other(out: &mut impl Write, other: &OtherEvent) -> io::Result<()> {
    writeln!(
        out,
        "other {} ({:?}) event {}",
        other.event_code.as_deref().unwrap_or("(no event code)"),
        other.format,
        other.event_id.as_deref().unwrap_or("-")
    )
}

fn print_summary(out: &mut impl Write, notification: &Notification) -> io::Result<()> {
    let run = &notification.run;
    let metrics = &run.metrics;
    let outcome = notification.outcome().to_string().to_uppercase();
    let code = match notification.event_code.as_str() {
        "" => "(no event code)",
        code => code,
    };
    writeln!(out, "{code}: {outcome} ({:?})", notification.format)?;
    if let Some(id) = &notification.event_id {
        writeln!(out, "  event     {id}")?;
    }
    let flow = match (&run.flow_name, &run.flow_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        (None, Some(id)) => id.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => "-".to_owned(),
    };
    writeln!(out, "  flow      {flow}")?;
    writeln!(out, "  run       {}", run.id.as_deref().unwrap_or("-"))?;
    if let Some(sandbox) = &run.sandbox_name {
        writeln!(out, "  sandbox   {sandbox}")?;
    }
    let millis = |time: DateTime<Utc>| time.to_rfc3339_opts(SecondsFormat::Millis, true);
    let seconds =
        |duration: TimeDelta| format!("{:.3}s", duration.num_milliseconds() as f64 / 1000.0);
    writeln!(
        out,
        "  started   {}   completed {}   duration {}",
        or_dash(notification.started_at().map(millis)),
        or_dash(notification.completed_at().map(millis)),
        or_dash(notification.duration().map(seconds)),
    )?;
    // Counts print `unknown` for Adobe's -1, and `-` when absent.
    let (records, size, files) = (
        &metrics.record_summary,
        &metrics.size_summary,
        &metrics.file_summary,
    );
    writeln!(
        out,
        "  records   in {}   out {}   failed {}",
        or_dash(records.input_record_count.as_ref()),
        or_dash(records.output_record_count.as_ref()),
        or_dash(records.failed_record_count.as_ref()),
    )?;
    writeln!(
        out,
        "  bytes     in {}   out {}",
        or_dash(size.input_bytes.as_ref()),
        or_dash(size.output_bytes.as_ref()),
    )?;
    writeln!(
        out,
        "  files     in {}   out {}",
        or_dash(files.input_file_count.as_ref()),
        or_dash(files.output_file_count.as_ref()),
    )?;
    let problems = notification.distinct_errors();
    if problems.is_empty() {
        return writeln!(out, "  errors    none");
    }
    writeln!(out, "  errors    {}", problems.len())?;
    for problem in problems {
        let error = problem.error;
        let places: Vec<String> = problem.found.iter().map(|found| found.path()).collect();
        writeln!(
            out,
            "    {}  {}  (at {})",
            error.code,
            error.message.as_deref().unwrap_or(""),
            places.join(", ")
        )?;
        if let Some(meaning) = error.code.description() {
            writeln!(out, "      meaning: {meaning}")?;
        } else if let Some(parts) = error.code.parts() {
            writeln!(
                out,
                "      {} error {} (status {})",
                parts.family, parts.number, parts.status
            )?;
        }
    }
    Ok(())
}

fn or_dash(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| value.to_string())
}
