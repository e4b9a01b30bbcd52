//! `aep-flow-run journal`: catch up from an Adobe I/O Events journal, print one line per
//! event, and stop.
//!
//! The journal URL is the registration's "Journaling" URL in the Developer Console; the
//! credential an OAuth Server-to-Server one, from the environment (see [`crate::aio`]).
//! `--since POSITION`, `--seek -PT2H` or `--latest` say where to start (default: the oldest
//! event, or the checkpoint's position); `--limit N` the page size; `--checkpoint FILE`
//! keeps the position in a file between runs; `--json` prints one JSON object per line.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use aep_flow_run::journal::{JournalError, JournalSettings, JournalStart, Polled};
use aep_flow_run::store::FileCheckpoint;
use aep_flow_run::Event;
use url::Url;

/// The arguments of `journal`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Credentials from AIO_CLIENT_ID, AIO_CLIENT_SECRET, AIO_SCOPES, \
    AIO_ORG_ID, AIO_IMS_URL."
)]
pub struct Args {
    /// The registration's journal URL.
    journal: Url,
    /// Start after this position.
    #[arg(long, value_name = "POSITION")]
    since: Option<String>,
    /// Start this far back (an ISO 8601 duration such as -PT2H).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    seek: Option<String>,
    /// Start at the end of the journal.
    #[arg(long)]
    latest: bool,
    /// The most events per page.
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Keep the position in FILE between runs.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// One JSON object per event.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Where to start; at most one of `--since`, `--seek`, `--latest`.
    fn start(&self) -> Result<JournalStart, String> {
        let mut starts = Vec::new();
        if let Some(position) = &self.since {
            starts.push(("--since", JournalStart::Since(position.clone())));
        }
        if let Some(duration) = &self.seek {
            starts.push(("--seek", JournalStart::Seek(duration.clone())));
        }
        if self.latest {
            starts.push(("--latest", JournalStart::Latest));
        }
        match starts.len() {
            0 => Ok(JournalStart::Oldest),
            1 => Ok(starts.remove(0).1),
            _ => Err(format!(
                "{} cannot be combined with another start (--since, --seek, --latest)",
                starts[1].0
            )),
        }
    }
}

/// Runs `journal`.
pub fn run(args: Args) -> ExitCode {
    let start = match args.start() {
        Ok(start) => start,
        Err(message) => {
            eprintln!("journal: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("journal: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(catch_up(args, start)) {
        Ok(count) => {
            eprintln!("journal: caught up, {count} new events");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("journal: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn catch_up(args: Args, start: JournalStart) -> Result<u64, String> {
    let mut settings = JournalSettings::default();
    settings.limit = args.limit;
    let mut consumer = crate::aio::consumer(args.journal, start, settings)?;
    if let Some(path) = args.checkpoint {
        consumer = consumer.with_checkpoint(Arc::new(FileCheckpoint::new(path)));
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut count = 0;
    loop {
        match consumer.poll().await {
            Ok(Polled::Page(page)) => {
                for event in page.new_events() {
                    count += 1;
                    let written = if args.json {
                        writeln!(out, "{}", json_line(event))
                    } else {
                        writeln!(out, "{}", line(event))
                    };
                    // Output closed (piped into `head`): stop without acknowledging.
                    if written.is_err() {
                        return Ok(count);
                    }
                }
                consumer
                    .complete(&page)
                    .await
                    .map_err(|error| error.to_string())?;
            }
            Ok(Polled::CaughtUp { .. }) => return Ok(count),
            Ok(_) => {}
            Err(error @ JournalError::Expired { .. }) => {
                return Err(format!(
                    "{error}\n  start again with no option (the oldest), --latest, or --seek -P6D"
                ))
            }
            Err(error) => return Err(error.to_string()),
        }
    }
}

/// One line for an event: its position, kind, code, and what it says.
fn line(event: &Event) -> String {
    let position = event.journal_position().unwrap_or("-");
    let id = event.event_id().unwrap_or("-");
    match event {
        Event::FlowRun(notification) => {
            let outcome = notification.outcome().to_string().to_uppercase();
            let run = &notification.run;
            format!(
                "{position}  flow run {}: {outcome}  run {}  flow {}  errors {}  event {id}",
                event.event_code().unwrap_or("(no event code)"),
                run.id.as_deref().unwrap_or("-"),
                run.flow_id.as_deref().unwrap_or("-"),
                notification.distinct_errors().len(),
            )
        }
        Event::Alert(alert) => format!(
            "{position}  alert {}: {}  flow {}  run {}  event {id}",
            alert.name.as_deref().unwrap_or("(unnamed alert)"),
            alert.status.as_ref().map_or("-", |status| status.as_str()),
            alert.flow_id.as_deref().unwrap_or("-"),
            alert.flow_run_id.as_deref().unwrap_or("-"),
        ),
        _ => format!(
            "{position}  other {}  event {id}",
            event.event_code().unwrap_or("(no event code)")
        ),
    }
}

/// One JSON object for an event: the event as it came, with its position and kind.
fn json_line(event: &Event) -> serde_json::Value {
    let element = match event {
        Event::FlowRun(notification) => serde_json::to_value(notification.normalized()),
        Event::Alert(alert) => serde_json::to_value(alert),
        Event::Other(other) => Ok(other.element()),
        _ => Ok(serde_json::Value::Null),
    }
    .unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "position": event.journal_position(),
        "kind": event.kind().as_str(),
        "eventId": event.event_id(),
        "eventCode": event.event_code(),
        "event": element,
    })
}
