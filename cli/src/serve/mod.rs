//! `aep-flow-run serve`: the monitor a team deploys. Receives Adobe I/O Events deliveries on
//! the webhook port, follows the journal (`--journal`), keeps the latest state of every run
//! in one store (SQLite by default, Redis for replicas, or memory), answers the status page
//! `/`, `/metrics`, `/healthz`, `/readyz` and `/api/flows` on the admin port, and pages
//! (`--notify`) failures and firing alerts. SIGTERM (or Ctrl-C) stops
//! accepting, lets the deliveries in flight finish (at most 10 s) and exits 0.
//!
//! Files by concept: `config` (flags), `stores` (the store from `--store`), `keys` (keys from
//! a directory), `webhook` (one request in, one answer out), `listener` (connections, limits,
//! drain), `monitor` (what is done with new events), `journal_task`, `admin`, `page` (the
//! status page), `pager` (the sender of pages) with `page_message` (what a page says) and
//! `post` (posting it), `metrics`, `logging`.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aep_flow_run::journal::{JournalConsumer, JournalSettings, JournalStart};
use aep_flow_run::store::DedupStore;
use aep_flow_run::webhook::{
    DirKeySource, HttpsKeySource, KeyFetchSettings, Receiver, ReceiverSettings, Verifier,
};
use tokio::net::TcpListener;
use tokio::sync::watch;

mod admin;
mod config;
mod journal_task;
mod listener;
mod logging;
mod metrics;
mod monitor;
mod page;
mod page_message;
mod pager;
mod post;
mod stores;
mod webhook;

pub use config::Args;
use config::{Config, Keys};
use metrics::Metrics;
use monitor::Monitor;
use stores::Stores;

/// The longest SIGTERM waits for deliveries in flight.
const DRAIN: Duration = Duration::from_secs(10);
/// How long handled events are remembered: the journal's retention, so that the webhook and
/// the journal recognise each other's events.
const KEEP: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Runs `serve`: exit status 2 for a bad flag, 1 when it cannot start, 0 after SIGTERM.
pub fn run(args: Args) -> ExitCode {
    let config = match args.check() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("serve: {message}");
            return ExitCode::from(2);
        }
    };
    logging::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("serve: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> ExitCode {
    let opened = match open(&config).await {
        Ok(opened) => opened,
        Err((status, message)) => {
            eprintln!("serve: {message}");
            return status;
        }
    };
    let (stop, stopping) = watch::channel(false);
    let tasks = start(&config, opened, stopping);
    terminated().await;
    tracing::info!("stopping: no new connections, deliveries in flight finish (at most 10 s)");
    let _ = stop.send(true);
    tasks.drained().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// What `serve` opens before it says where it listens: a failure stops the start.
struct Opened {
    stores: Stores,
    receiver: Receiver<Arc<dyn DedupStore>>,
    consumer: Option<JournalConsumer>,
    webhook: TcpListener,
    admin: TcpListener,
    /// Where the status page is, as pages link it.
    status_page: String,
}

/// Opens the store, prepares the journal consumer, binds both ports, and prints the address
/// line; or the exit status and what went wrong.
async fn open(config: &Config) -> Result<Opened, (ExitCode, String)> {
    let stores = Stores::open(config)
        .await
        .map_err(|message| (ExitCode::FAILURE, message))?;
    let receiver =
        receiver(config, stores.dedup.clone()).map_err(|message| (ExitCode::from(2), message))?;
    let consumer = match &config.journal {
        Some(url) => Some(
            journal_consumer(url, &stores, config)
                .map_err(|message| (ExitCode::from(2), format!("--journal: {message}")))?,
        ),
        None => None,
    };
    let webhook = bind(config.port).await;
    let admin = bind(config.admin_port).await;
    let (webhook, admin) = webhook
        .and_then(|webhook| Ok((webhook, admin?)))
        .map_err(|message| (ExitCode::FAILURE, message))?;
    let (Ok(webhook_address), Ok(admin_address)) = (webhook.local_addr(), admin.local_addr())
    else {
        return Err((
            ExitCode::FAILURE,
            "the listening addresses are unknown".to_owned(),
        ));
    };
    println!("listening on http://{webhook_address}/ (admin http://{admin_address}/)");
    log_start(config);
    let status_page = match &config.public_url {
        Some(url) => url.to_string(),
        None => format!("http://{admin_address}/"),
    };
    Ok(Opened {
        stores,
        receiver,
        consumer,
        webhook,
        admin,
        status_page,
    })
}

/// The tasks `serve` runs until it is stopped.
struct Tasks {
    webhook: tokio::task::JoinHandle<usize>,
    journal: Option<tokio::task::JoinHandle<()>>,
    pager: Option<tokio::task::JoinHandle<()>>,
    admin: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts the webhook, the admin port and the journal task, each stopping when `stopping`
/// turns true.
fn start(config: &Config, opened: Opened, stopping: watch::Receiver<bool>) -> Tasks {
    let metrics = Arc::new(Metrics::default());
    let pages_recorded = Arc::new(tokio::sync::Notify::new());
    let monitor = Arc::new(Monitor {
        runs: opened.stores.runs.clone(),
        pages_recorded: pages_recorded.clone(),
        metrics: metrics.clone(),
        json: config.json,
    });
    let pager = config.notify.as_ref().map(|url| {
        let pager = pager::Pager {
            pages: opened.stores.pages.clone(),
            url: url.clone(),
            status_page: opened.status_page.clone(),
            cooldown: config.notify_cooldown,
            metrics: metrics.clone(),
            poster: post::Poster::new(),
            holder: pager::holder_name(),
        };
        tokio::spawn(pager::run(pager, pages_recorded, stopping.clone()))
    });
    let keys_dir = match &config.keys {
        Keys::Dir(dir) => Some(dir.clone()),
        Keys::Fetch => None,
    };
    let webhook = Arc::new(webhook::Webhook {
        receiver: opened.receiver,
        monitor: monitor.clone(),
        metrics: metrics.clone(),
        read_timeout: config.read_timeout,
    });
    let admin = Arc::new(admin::Admin {
        stores: opened.stores,
        metrics: metrics.clone(),
        keys_dir,
        rules: config.page_rules,
    });
    let mut admin_stopping = stopping.clone();
    let admin = tokio::spawn(
        axum::serve(opened.admin, admin::router(admin))
            .with_graceful_shutdown(async move { listener::stopped(&mut admin_stopping).await })
            .into_future(),
    );
    let journal = opened.consumer.map(|consumer| {
        let follow = journal_task::follow(consumer, monitor, metrics, stopping.clone());
        tokio::spawn(follow)
    });
    let limits = listener::Limits {
        max_connections: config.max_connections,
        peer_connections: config.peer_connections,
        read_timeout: config.read_timeout,
    };
    let router = webhook::router(webhook);
    let webhook = tokio::spawn(listener::serve(
        opened.webhook,
        router,
        limits,
        stopping,
        DRAIN,
    ));
    Tasks {
        webhook,
        journal,
        pager,
        admin,
    }
}

impl Tasks {
    /// Waits for the deliveries in flight (at most the drain), the journal's page in hand,
    /// and the admin port.
    async fn drained(self) {
        if let Ok(left) = self.webhook.await {
            if left > 0 {
                tracing::warn!(
                    connections = left,
                    "connections still open after the drain: closed"
                );
            }
        }
        if let Some(task) = self.journal {
            let _ = tokio::time::timeout(DRAIN, task).await;
        }
        // A page in flight finishes (a post is bounded); one not yet sent stays owed.
        if let Some(task) = self.pager {
            let _ = tokio::time::timeout(DRAIN, task).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.admin).await;
    }
}

/// The receiver: the client id, the organisation, the keys, the lease, and a week's memory.
/// The receiver, with its keys from the directory or from Adobe's key host; an error when the
/// keys directory cannot be read.
fn receiver(
    config: &Config,
    store: Arc<dyn DedupStore>,
) -> Result<Receiver<Arc<dyn DedupStore>>, String> {
    // `--any-org` is the explicit opt-in: without `--org`, the start was refused otherwise.
    let verifier = match &config.org {
        Some(org) => Verifier::new(config.client_id.clone()).with_organization(org.clone()),
        None => Verifier::new(config.client_id.clone()).with_any_organization(),
    };
    let mut settings = ReceiverSettings::default();
    settings.lease = config.lease;
    settings.keep = KEEP;
    let receiver = Receiver::new(verifier)
        .with_store(store)
        .with_settings(settings);
    Ok(match &config.keys {
        Keys::Fetch => receiver.with_key_source(HttpsKeySource::new(), KeyFetchSettings::default()),
        Keys::Dir(dir) => {
            let keys = DirKeySource::new(dir).map_err(|error| format!("--keys: {error}"))?;
            receiver.with_key_source(keys, KeyFetchSettings::default())
        }
    })
}

/// The journal consumer: the environment's credentials, the shared store and checkpoint.
fn journal_consumer(
    url: &url::Url,
    stores: &Stores,
    config: &Config,
) -> Result<JournalConsumer, String> {
    // Events are remembered by the registration's client id: a journal read with another
    // credential would not recognise what the webhook handled.
    if std::env::var("AIO_CLIENT_ID").is_ok_and(|id| id != config.client_id) {
        tracing::warn!(
            "AIO_CLIENT_ID is not --client-id: the journal and the webhook will not recognise \
             each other's events; use the registration's credential"
        );
    }
    let mut settings = JournalSettings::default();
    settings.keep = KEEP;
    Ok(
        crate::aio::consumer(url.clone(), JournalStart::Oldest, settings)?
            .with_store(stores.dedup.clone())
            .with_checkpoint(stores.checkpoint.clone()),
    )
}

async fn bind(port: u16) -> Result<TcpListener, String> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpListener::bind(address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))
}

fn log_start(config: &Config) {
    let keys = match &config.keys {
        Keys::Dir(dir) => format!("keys in {}", dir.display()),
        Keys::Fetch => "keys fetched from https://static.adobeioevents.com".to_owned(),
    };
    tracing::info!(
        client_id = ?config.client_id,
        organisation = ?config.org,
        %keys,
        store = %Stores::describe(config),
        journal = ?config.journal.as_ref().map(url::Url::as_str),
        notify = config.notify.is_some(),
        lease_secs = config.lease.as_secs(),
        "serving"
    );
    if config.org.is_none() {
        tracing::warn!(
            "--any-org: bodies that name no recipient (message lists, alerts) are accepted \
             from any organisation; set --org to accept only yours"
        );
    }
}

/// Waits for SIGTERM or SIGINT.
async fn terminated() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
