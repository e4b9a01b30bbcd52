//! Catch up from an Adobe I/O Events journal: read every page from a start to the end of the
//! journal, print one line per event, and stop.
//!
//! ```text
//! AIO_CLIENT_ID=... AIO_CLIENT_SECRET=... AIO_ORG_ID=...@AdobeOrg \
//!   cargo run --example journal --features fetch -- JOURNAL_URL [options]
//! ```
//!
//! The journal URL is the registration's "Journaling" URL in the Developer Console. The
//! credential is an OAuth Server-to-Server one: `AIO_CLIENT_ID`, `AIO_CLIENT_SECRET`,
//! `AIO_SCOPES` (default `adobeio_api`), `AIO_ORG_ID` (sent as `x-ims-org-id`), and
//! `AIO_IMS_URL` for another IMS token endpoint.
//!
//! For tests, `AIO_CA_DER` names a DER certificate to trust besides the Mozilla roots,
//! and `AIO_RESOLVE` (`host=address:port,...`) connects host names to fixed addresses, as
//! `curl --cacert --resolve` do.
//!
//! Options: `--since POSITION`, `--seek -PT2H`, `--latest` (default: the oldest event, or
//! the checkpoint's position); `--limit N`; `--checkpoint FILE` to keep the position in a
//! file between runs (`FileCheckpoint`: crash-safe); `--json` for one JSON object per line.
//!
//! Standard output holds the events; diagnostics are `tracing` events on standard error
//! (`RUST_LOG` filters them, default `info`).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use aep_flow_run::journal::{
    HttpsClient, ImsCredentials, ImsTokenProvider, JournalConsumer, JournalError, JournalSettings,
    JournalStart, Polled,
};
use aep_flow_run::store::FileCheckpoint;
use aep_flow_run::url::Url;
use aep_flow_run::Event;

const USAGE: &str = "usage: journal JOURNAL_URL [--since POSITION | --seek DURATION | --latest] \
[--limit N] [--checkpoint FILE] [--json]  (credentials from AIO_CLIENT_ID, AIO_CLIENT_SECRET, \
AIO_SCOPES, AIO_ORG_ID, AIO_IMS_URL)";

struct Options {
    journal: Url,
    start: JournalStart,
    limit: Option<u32>,
    checkpoint: Option<PathBuf>,
    json: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            // The command line's answer, not a diagnostic.
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
            tracing::error!(%error, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(catch_up(options)) {
        Ok(count) => {
            tracing::info!("caught up, {count} new events");
            ExitCode::SUCCESS
        }
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut journal = None;
    let mut start = JournalStart::Oldest;
    let mut limit = None;
    let mut checkpoint = None;
    let mut json = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let given = match arg.as_str() {
            "--since" => Some(JournalStart::Since(value("--since")?)),
            "--seek" => Some(JournalStart::Seek(value("--seek")?)),
            "--latest" => Some(JournalStart::Latest),
            _ => None,
        };
        if let Some(given) = given {
            if start != JournalStart::Oldest {
                return Err(format!(
                    "{arg} cannot be combined with another start (--since, --seek, --latest)"
                ));
            }
            start = given;
            continue;
        }
        match arg.as_str() {
            "--limit" => {
                let text = value("--limit")?;
                limit = Some(
                    text.parse()
                        .map_err(|_| format!("invalid limit {text:?}"))?,
                );
            }
            "--checkpoint" => checkpoint = Some(PathBuf::from(value("--checkpoint")?)),
            "--json" => json = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other:?}; {USAGE}"))
            }
            other if journal.is_none() => {
                journal = Some(Url::parse(other).map_err(|error| format!("{other:?}: {error}"))?)
            }
            other => return Err(format!("unexpected argument {other:?}; {USAGE}")),
        }
    }
    Ok(Options {
        journal: journal.ok_or_else(|| USAGE.to_owned())?,
        start,
        limit,
        checkpoint,
        json,
    })
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} (see --help)"))
}

async fn catch_up(options: Options) -> Result<u64, String> {
    let client_id = env("AIO_CLIENT_ID")?;
    let credentials = ImsCredentials::new(
        client_id.clone(),
        env("AIO_CLIENT_SECRET")?,
        std::env::var("AIO_SCOPES").unwrap_or_else(|_| "adobeio_api".to_owned()),
    );
    let client = client()?;
    let mut tokens = ImsTokenProvider::new(credentials).with_client(client.clone());
    if let Ok(endpoint) = std::env::var("AIO_IMS_URL") {
        tokens = tokens
            .with_endpoint(Url::parse(&endpoint).map_err(|error| format!("AIO_IMS_URL: {error}"))?);
    }
    let mut settings = JournalSettings::default();
    settings.limit = options.limit;
    let mut consumer = JournalConsumer::new(options.journal, client_id, tokens)
        .map_err(|error| error.to_string())?
        .with_start(options.start)
        .with_settings(settings)
        .with_client(client);
    if let Ok(org_id) = std::env::var("AIO_ORG_ID") {
        consumer = consumer.with_org_id(org_id);
    }
    if let Some(path) = options.checkpoint {
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
                    let written = if options.json {
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

/// The HTTPS client, with the test overrides of `AIO_CA_DER` and `AIO_RESOLVE`.
fn client() -> Result<HttpsClient, String> {
    let mut client = match std::env::var_os("AIO_CA_DER") {
        Some(path) => {
            let der = std::fs::read(&path)
                .map_err(|error| format!("AIO_CA_DER {}: {error}", path.to_string_lossy()))?;
            HttpsClient::new()
                .with_root_der(&der)
                .map_err(|error| format!("AIO_CA_DER: {error}"))?
        }
        None => HttpsClient::new(),
    };
    if let Ok(list) = std::env::var("AIO_RESOLVE") {
        for entry in list.split(',').filter(|entry| !entry.is_empty()) {
            let (host, address) = entry
                .split_once('=')
                .ok_or_else(|| format!("AIO_RESOLVE: {entry:?} is no host=address:port"))?;
            let address = address
                .parse()
                .map_err(|error| format!("AIO_RESOLVE: {address:?}: {error}"))?;
            client = client.with_resolve(host, address);
        }
    }
    Ok(client)
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
        Event::Other(other) => Ok(other.element.clone()),
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
