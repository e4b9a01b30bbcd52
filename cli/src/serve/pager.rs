//! The sender of pages (`--notify`): claims the flows whose pages are due from the store's
//! outbox, posts one message per flow, and settles them: sent on a 2xx, retried with backoff
//! otherwise, dropped with an error log once the oldest is a day old. The claim is a lease
//! in the store, so replicas never both send a page; a process killed after recording a
//! page sends it after its restart (or another replica does).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aep_flow_run::store::{PageStore, PagesDue, Settled};
use tokio::sync::{watch, Notify};
use url::Url;

use super::metrics::Metrics;
use super::monitor::STORE_TIMEOUT;
use super::page::now_millis;
use super::page_message;
use super::post::Poster;
use super::stores::chain;

/// How long a claim holds a flow's pages: longer than a post may take.
const LEASE: Duration = Duration::from_secs(60);
/// How often the outbox is looked at when nothing was recorded (cooldowns end, retries
/// come due, other replicas record).
const POLL: Duration = Duration::from_millis(500);
/// The first retry's wait, doubled for each failure up to the last.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const LAST_RETRY: Duration = Duration::from_secs(300);
/// How long a page is retried before it is dropped.
const GIVE_UP: Duration = Duration::from_secs(24 * 60 * 60);

/// What the sender needs.
pub struct Pager {
    pub pages: Arc<dyn PageStore>,
    pub url: Url,
    /// The link pages give.
    pub status_page: String,
    pub cooldown: Duration,
    pub metrics: Arc<Metrics>,
    pub poster: Poster,
    /// This process's name in the store's claims.
    pub holder: String,
}

/// Sends pages until `stopping` turns true; looks at once when `recorded` is told.
pub async fn run(pager: Pager, recorded: Arc<Notify>, mut stopping: watch::Receiver<bool>) {
    let mut failures: HashMap<String, u32> = HashMap::new();
    loop {
        pager.round(&mut failures).await;
        tokio::select! {
            _ = recorded.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = super::listener::stopped(&mut stopping) => return,
        }
    }
}

/// A name for this process's claims: unique among replicas and restarts.
pub fn holder_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

impl Pager {
    /// Claims what is due and sends it, flow by flow.
    async fn round(&self, failures: &mut HashMap<String, u32>) {
        let claim = self.pages.claim_pages(&self.holder, LEASE, self.cooldown);
        let due = match tokio::time::timeout(STORE_TIMEOUT, claim).await {
            Ok(Ok(due)) => due,
            failed => {
                let error = match failed {
                    Ok(Err(error)) => chain(&error),
                    _ => "timed out".to_owned(),
                };
                self.metrics
                    .count("aep_store_errors_total", &[("operation", "claim_pages")]);
                tracing::warn!(%error, "pages not claimed");
                return;
            }
        };
        for flow in due {
            let settled = self.send(&flow, failures).await;
            let settle =
                self.pages
                    .settle_pages(&self.holder, &flow.flow_id, flow.through(), settled);
            match tokio::time::timeout(STORE_TIMEOUT, settle).await {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => tracing::warn!(
                    flow = ?flow.flow_id,
                    "the claim on a flow's pages ran out before they were settled"
                ),
                _ => self
                    .metrics
                    .count("aep_store_errors_total", &[("operation", "settle_pages")]),
            }
        }
    }

    /// Posts one flow's pages, and says how they are settled.
    async fn send(&self, due: &PagesDue, failures: &mut HashMap<String, u32>) -> Settled {
        let message = page_message::compose(due, &self.status_page).to_string();
        let error = match self.poster.post(&self.url, message).await {
            Ok(status) if (200..300).contains(&status) => {
                failures.remove(&due.flow_id);
                self.metrics.add("aep_pages_sent_total", &[], 1);
                tracing::info!(flow = ?due.flow_id, pages = due.pages.len(), "page sent");
                return Settled::Sent;
            }
            Ok(status) => format!("the URL answered {status}"),
            Err(error) => error,
        };
        self.metrics.add("aep_pages_failed_total", &[], 1);
        let oldest = due.pages.first().map_or(0, |page| page.recorded_at);
        let age = now_millis().saturating_sub(oldest);
        if age > i64::try_from(GIVE_UP.as_millis()).unwrap_or(i64::MAX) {
            failures.remove(&due.flow_id);
            self.metrics.add("aep_pages_dropped_total", &[], 1);
            tracing::error!(flow = ?due.flow_id, pages = due.pages.len(), %error,
                "pages dropped: not delivered for 24 hours");
            return Settled::Dropped;
        }
        let failed = failures.entry(due.flow_id.clone()).or_insert(0);
        *failed = failed.saturating_add(1);
        let after = retry_after(*failed);
        tracing::warn!(flow = ?due.flow_id, %error, retry_in_ms = after.as_millis() as u64,
            "page not delivered");
        Settled::Retry { after }
    }
}

/// The wait after the `failures`-th failure in a row: doubling from the first retry's.
fn retry_after(failures: u32) -> Duration {
    let doubled = FIRST_RETRY.saturating_mul(1 << failures.saturating_sub(1).min(16));
    doubled.min(LAST_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_five_minutes() {
        assert_eq!(retry_after(1), Duration::from_millis(500));
        assert_eq!(retry_after(2), Duration::from_secs(1));
        assert_eq!(retry_after(4), Duration::from_secs(4));
        assert_eq!(retry_after(40), Duration::from_secs(300));
    }
}
