//! Paging: which run states and alerts page someone, and the outbox where a store records
//! the pages owed in the same step as the state that calls for them ([`PageStore`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{AlertSummary, RunSummary, StoreError};
use crate::pluggable::forward_impls;
use crate::{BoxFuture, Outcome};

/// Which run states page someone. A store given rules (`with_paging`, or the `paging`
/// field of its settings) records a page owed whenever the latest state of a run turns
/// alarming, and a "recovered" page when a flow that paged has a run that turns fine again,
/// a run that started no earlier than the newest run that paged (runs are placed by when
/// they started, else were created, else arrived): an older run's success that arrives
/// after a newer run's failure recovers nothing.
///
/// - **Alarming**: a failed run, or a partial success where at least
///   [`failed_percent`](Self::failed_percent) % of the input records failed.
/// - **Fine**: a success, or a partial success below that share.
/// - Anything else (pending, unknown) neither pages nor recovers.
///
/// A run pages once when it turns alarming: a newer state of a run that was already
/// alarming pages no more.
///
/// ```
/// use aep_flow_run::store::PageRules;
///
/// let rules = PageRules::new(10);
/// assert_eq!(rules.failed_percent, 10);
/// assert_eq!(PageRules::default(), rules);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageRules {
    /// The share of input records that must fail for a partial success to page, in percent
    /// (default 10; 0 pages every partial success, above 100 none).
    pub failed_percent: u32,
}

impl Default for PageRules {
    fn default() -> Self {
        PageRules::new(10)
    }
}

impl PageRules {
    /// Rules paging partial successes from `failed_percent` % of input records failed.
    pub fn new(failed_percent: u32) -> Self {
        PageRules { failed_percent }
    }

    /// Whether a run state pages (it is alarming): a failure, or a partial success with at
    /// least the share of failed records.
    pub fn is_alarming(&self, run: &RunSummary) -> bool {
        self.class(Some(run)) == PageClass::Alarming
    }

    /// The class of a run state (`None`: no state before).
    pub(crate) fn class(&self, run: Option<&RunSummary>) -> PageClass {
        let Some(run) = run else {
            return PageClass::Neither;
        };
        match run.outcome {
            Outcome::Failed => PageClass::Alarming,
            Outcome::PartialSuccess if self.too_many_failed(run) => PageClass::Alarming,
            Outcome::Success | Outcome::PartialSuccess => PageClass::Fine,
            _ => PageClass::Neither,
        }
    }

    fn too_many_failed(&self, run: &RunSummary) -> bool {
        let failed = u128::from(run.failed_records.unwrap_or(0));
        let input = u128::from(run.input_records.unwrap_or(0));
        // No input count: the failed records alone decide.
        failed > 0 && failed * 100 >= u128::from(self.failed_percent) * input.max(failed)
    }
}

/// How a run state counts for paging; stores keep it with the state (Redis: as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageClass {
    Alarming,
    Fine,
    Neither,
}

impl PageClass {
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PageClass::Alarming => "alarm",
            PageClass::Fine => "fine",
            PageClass::Neither => "",
        }
    }
}

/// The page a kept run state calls for, from its class, the class of the state it replaced,
/// where its run stands among its flow's runs ([`RunSummary::started_or_seen`]), and
/// `paged_at`: where the newest run that paged its flow stands, while the flow has not
/// recovered. A fine run recovers the flow only when it stands no earlier than that run: an
/// older run's success arriving late recovers nothing. The stores apply this one rule (the
/// Redis script mirrors it).
pub(crate) fn page_for_run(
    now: PageClass,
    before: PageClass,
    run_at: i64,
    paged_at: Option<i64>,
) -> Option<PageKind> {
    match now {
        PageClass::Alarming if before != PageClass::Alarming => Some(PageKind::Failed),
        PageClass::Fine if paged_at.is_some_and(|paged_at| run_at >= paged_at) => {
            Some(PageKind::Recovered)
        }
        _ => None,
    }
}

/// A flow's `paged_at` after `page` is recorded: a recovery clears it; a failure or an
/// alert moves it to where what paged stands, when that is later than before.
pub(crate) fn paged_after(before: Option<i64>, page: &OwedPage) -> Option<i64> {
    let stands_at = page.stands_at()?;
    Some(before.map_or(stands_at, |before| before.max(stands_at)))
}

/// What a page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PageKind {
    /// A run turned alarming (failed, or too many records failed).
    Failed,
    /// An alert started firing.
    Alert,
    /// A flow that paged has a run that is fine again.
    Recovered,
}

/// One page owed, as the outbox keeps it until it is sent (or dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OwedPage {
    /// Its place in the outbox: pages are recorded in increasing order (filled in by the
    /// store when read; not part of the JSON a store keeps).
    #[serde(skip)]
    pub sequence: u64,
    /// The flow it is about (empty for none).
    pub flow_id: String,
    /// What it says.
    pub kind: PageKind,
    /// The run state that called for it ([`PageKind::Failed`], [`PageKind::Recovered`]).
    pub run: Option<RunSummary>,
    /// The alert that called for it ([`PageKind::Alert`]).
    pub alert: Option<AlertSummary>,
    /// When it was recorded, epoch milliseconds.
    pub recorded_at: i64,
}

impl OwedPage {
    /// A page about a run state.
    pub(crate) fn run(kind: PageKind, run: &RunSummary) -> Self {
        OwedPage {
            sequence: 0,
            flow_id: run.flow_id.clone().unwrap_or_default(),
            kind,
            run: Some(run.clone()),
            alert: None,
            recorded_at: run.seen_at,
        }
    }

    /// A page about an alert that started firing.
    pub(crate) fn alert(alert: &AlertSummary) -> Self {
        OwedPage {
            sequence: 0,
            flow_id: alert.flow_id.clone().unwrap_or_default(),
            kind: PageKind::Alert,
            run: None,
            alert: Some(alert.clone()),
            recorded_at: alert.seen_at,
        }
    }

    /// Where what called for it stands among its flow's runs: a run by
    /// [`RunSummary::started_or_seen`], an alert by when its condition began (else when it
    /// was recorded); `None` for a recovery.
    pub(crate) fn stands_at(&self) -> Option<i64> {
        match (self.kind, &self.run, &self.alert) {
            (PageKind::Recovered, _, _) => None,
            (_, Some(run), _) => Some(run.started_or_seen()),
            (_, None, Some(alert)) => Some(alert.created_at.unwrap_or(alert.seen_at)),
            (_, None, None) => Some(self.recorded_at),
        }
    }

    /// As a store keeps it.
    #[cfg_attr(not(any(feature = "redis", feature = "sqlite")), allow(dead_code))]
    pub(crate) fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(self)
            .map_err(|error| StoreError::unavailable("page not written", error))
    }

    /// Read back from a store, with its sequence number.
    #[cfg_attr(not(any(feature = "redis", feature = "sqlite")), allow(dead_code))]
    pub(crate) fn from_json(sequence: u64, json: &str) -> Result<Self, StoreError> {
        let mut page: OwedPage = serde_json::from_str(json)
            .map_err(|error| StoreError::unavailable("page unreadable", error))?;
        page.sequence = sequence;
        Ok(page)
    }
}

/// The pages owed for one flow, claimed to be sent: every page recorded since its last page
/// was sent, oldest first. The sender makes one message of them and settles them together
/// ([`PageStore::settle_pages`] through the last sequence number).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagesDue {
    /// The flow.
    pub flow_id: String,
    /// Its pages owed, oldest first (never empty).
    pub pages: Vec<OwedPage>,
    /// When the flow's last page was sent, epoch milliseconds.
    pub last_sent_at: Option<i64>,
}

impl PagesDue {
    /// The sequence number of the last page: what [`PageStore::settle_pages`] takes.
    pub fn through(&self) -> u64 {
        self.pages.last().map_or(0, |page| page.sequence)
    }
}

/// What the sender did with pages it claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settled {
    /// Delivered (the URL answered 2xx): they leave the outbox, and the flow's cooldown
    /// starts.
    Sent,
    /// Given up on (too old): they leave the outbox; the cooldown does not start.
    Dropped,
    /// Not delivered: they stay, and no one claims them for `after` (the sender's backoff).
    Retry {
        /// How long until they may be claimed again.
        after: Duration,
    },
}

/// The pages a store owes and the alerts firing, beside its [`RunStore`](super::RunStore).
///
/// [`RunStore::observe`](super::RunStore::observe) records what a delivery says about runs
/// and alerts in one step (one SQLite transaction, one Redis script) and, with paging rules,
/// the pages they call for in that same step: a page owed is never lost between the state
/// and the outbox. A sender then [claims](Self::claim_pages) the flows whose pages are due,
/// under a lease (so that replicas never both send one), posts one message per flow, and
/// [settles](Self::settle_pages) them.
///
/// At most one message per flow per cooldown: the pages of a flow recorded while its
/// cooldown runs wait, and go together when it ends, unless one of them is a
/// [`PageKind::Recovered`], which is due at once.
pub trait PageStore: Send + Sync {
    /// The alerts firing now, newest first.
    fn firing_alerts<'a>(&'a self) -> BoxFuture<'a, Result<Vec<AlertSummary>, StoreError>>;

    /// Claims for `holder`, for `lease`, the flows whose pages are due: pages owed, no claim
    /// or retry wait running, and the cooldown since the flow's last page over (or a
    /// recovery among them).
    fn claim_pages<'a>(
        &'a self,
        holder: &'a str,
        lease: Duration,
        cooldown: Duration,
    ) -> BoxFuture<'a, Result<Vec<PagesDue>, StoreError>>;

    /// Settles a flow's pages through sequence number `through`, claimed by `holder`;
    /// `false` when `holder` no longer holds the claim (it ran out and another took it).
    fn settle_pages<'a>(
        &'a self,
        holder: &'a str,
        flow_id: &'a str,
        through: u64,
        settled: Settled,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

forward_impls!(PageStore {
    fn firing_alerts<'a>(&'a self) -> BoxFuture<'a, Result<Vec<AlertSummary>, StoreError>>;
    fn claim_pages<'a>(&'a self, holder: &'a str, lease: Duration, cooldown: Duration) -> BoxFuture<'a, Result<Vec<PagesDue>, StoreError>>;
    fn settle_pages<'a>(&'a self, holder: &'a str, flow_id: &'a str, through: u64, settled: Settled) -> BoxFuture<'a, Result<bool, StoreError>>;
});

/// Milliseconds of a duration, saturating.
pub(crate) fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Whether a flow's pages are due at `now`: no wait running, and the cooldown over or a
/// recovery among them.
pub(crate) fn due(
    until: i64,
    last_sent: Option<i64>,
    cooldown: Duration,
    recovered: bool,
    now: i64,
) -> bool {
    let cooled = last_sent.is_none_or(|sent| sent.saturating_add(duration_millis(cooldown)) <= now);
    until <= now && (cooled || recovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_successes_page_from_the_share_of_failed_records() {
        let body =
            std::fs::read("fixtures/adobe-docs/io-event-sources-flow-run-success.json").unwrap();
        let notification = crate::parse_notification(&body).unwrap();
        let mut run = RunSummary::of(&notification, std::time::SystemTime::now()).unwrap();
        let rules = PageRules::new(10);
        assert_eq!(rules.class(Some(&run)), PageClass::Fine);
        run.outcome = Outcome::PartialSuccess;
        (run.input_records, run.failed_records) = (Some(100), Some(9));
        assert!(!rules.is_alarming(&run));
        run.failed_records = Some(10);
        assert!(rules.is_alarming(&run));
        run.outcome = Outcome::Failed;
        assert!(rules.is_alarming(&run));
        assert_eq!(
            page_for_run(PageClass::Alarming, PageClass::Alarming, 5, None),
            None
        );
        assert_eq!(
            page_for_run(PageClass::Alarming, PageClass::Fine, 5, Some(9)),
            Some(PageKind::Failed)
        );
        assert_eq!(
            page_for_run(PageClass::Fine, PageClass::Alarming, 5, None),
            None
        );
        // Recovered by a run that stands no earlier than the newest that paged, only.
        assert_eq!(
            page_for_run(PageClass::Fine, PageClass::Neither, 5, Some(5)),
            Some(PageKind::Recovered)
        );
        assert_eq!(
            page_for_run(PageClass::Fine, PageClass::Neither, 4, Some(5)),
            None
        );
        let failed = OwedPage::run(PageKind::Failed, &run);
        assert_eq!(paged_after(None, &failed), Some(run.started_or_seen()));
        assert_eq!(paged_after(Some(i64::MAX), &failed), Some(i64::MAX));
        let recovered = OwedPage::run(PageKind::Recovered, &run);
        assert_eq!(paged_after(Some(7), &recovered), None);
        assert!(due(0, Some(1_000), Duration::from_secs(1), false, 2_000));
        assert!(!due(0, Some(1_500), Duration::from_secs(1), false, 2_000));
        assert!(due(0, Some(1_500), Duration::from_secs(1), true, 2_000));
        assert!(!due(2_001, None, Duration::ZERO, true, 2_000));
    }
}
