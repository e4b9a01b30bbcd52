//! Following the journal in the background: from the checkpoint (or the oldest event) to the
//! end, then each new page as it comes, handing events over through the same store and
//! monitor as the webhook, so that each event is handled once whichever path brings it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aep_flow_run::journal::{JournalConsumer, JournalError, JournalPage, JournalStart, Polled};
use aep_flow_run::Event;
use tokio::sync::watch;

use super::listener::stopped;
use super::metrics::Metrics;
use super::monitor::{Monitor, Source};
use super::stores::chain;

/// The first wait after a failed poll, doubled up to the longest.
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Follows the journal until `stop` turns true (a page being handled is finished first).
pub async fn follow(
    mut consumer: JournalConsumer,
    monitor: Arc<Monitor>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let polled = tokio::select! {
            polled = consumer.poll() => polled,
            _ = stopped(&mut stop) => return,
        };
        let failed = match polled {
            Ok(Polled::Page(page)) => handle_page(&mut consumer, &monitor, &metrics, &page).await,
            Ok(Polled::CaughtUp { .. }) => {
                metrics.journal_lag(Duration::ZERO);
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(error @ JournalError::Expired { .. }) => {
                // The position is older than the journal keeps: read what it still holds.
                tracing::warn!(error = ?error.to_string(), "journal position expired: reading from the oldest event");
                consumer
                    .reset(JournalStart::Oldest)
                    .await
                    .map_err(|error| chain(&error))
            }
            Err(error) => Err(chain(&error)),
        };
        match failed {
            Ok(()) => backoff = FIRST_BACKOFF,
            Err(error) => {
                metrics.count("aep_journal_errors_total", &[]);
                tracing::warn!(error = ?error, wait_secs = backoff.as_secs(), "journal poll failed");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stopped(&mut stop) => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Hands a page's new events to the monitor, then completes the page (its position is
/// saved); gives it back when they could not be handled.
async fn handle_page(
    consumer: &mut JournalConsumer,
    monitor: &Monitor,
    metrics: &Metrics,
    page: &JournalPage,
) -> Result<(), String> {
    if let Err(error) = monitor.handle(&page.events, Source::Journal).await {
        let _ = consumer.abandon(page).await;
        return Err(chain(&error));
    }
    consumer.complete(page).await.map_err(|error| {
        metrics.count(
            "aep_store_errors_total",
            &[("operation", "journal_complete")],
        );
        chain(&error)
    })?;
    metrics.count("aep_journal_pages_total", &[]);
    if let Some(newest) = page
        .events
        .iter()
        .filter_map(|incoming| event_time(&incoming.event))
        .max()
    {
        metrics.journal_lag(SystemTime::now().duration_since(newest).unwrap_or_default());
    }
    tracing::info!(
        events = page.events.len(),
        new = page.new_events().count(),
        position = ?page.position,
        "journal page"
    );
    Ok(())
}

/// When an event was published (or its run or alert last changed), if it says.
fn event_time(event: &Event) -> Option<SystemTime> {
    let time = match event {
        Event::FlowRun(notification) => notification
            .published_at
            .as_ref()
            .or(notification.run.updated_at.as_ref()),
        Event::Alert(alert) => alert.published_at.as_ref().or(alert.created_at.as_ref()),
        _ => None,
    }?;
    let millis = u64::try_from(time.to_millis()?).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(millis))
}
