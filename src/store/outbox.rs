//! The pages owed and the alerts firing, in memory: the [`PageStore`](super::PageStore) half
//! of [`MemoryStore`](super::MemoryStore).

use std::collections::HashMap;
use std::time::Duration;

use super::alert_summary::newest_first;
use super::pages::{due, duration_millis, page_for_run, paged_after};
use super::{AlertSummary, OwedPage, PageKind, PageRules, PagesDue, RunSummary, Settled};

/// Every flow's pages owed and paging state, and the alerts firing.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    next_sequence: u64,
    flows: HashMap<String, FlowPages>,
    alerts: HashMap<String, AlertSummary>,
}

/// One flow's pages owed, and what its sender needs to know.
#[derive(Debug, Default)]
struct FlowPages {
    pages: Vec<OwedPage>,
    /// Where the newest run (or alert) that paged stands, while the flow has not recovered
    /// since ([`page_for_run`]).
    paged_at: Option<i64>,
    last_sent: Option<i64>,
    holder: Option<String>,
    /// No claim before this time (a claim's lease, or a retry's wait).
    until: i64,
}

impl Outbox {
    /// Records the page a kept run state calls for, if any (`before`: the state it replaced).
    pub(crate) fn observe_run(
        &mut self,
        rules: &PageRules,
        run: &RunSummary,
        before: Option<&RunSummary>,
    ) {
        let flow_id = run.flow_id.clone().unwrap_or_default();
        let paged_at = self.flows.get(&flow_id).and_then(|flow| flow.paged_at);
        let (now, was) = (rules.class(Some(run)), rules.class(before));
        if let Some(kind) = page_for_run(now, was, run.started_or_seen(), paged_at) {
            self.push(OwedPage::run(kind, run));
        }
    }

    /// Keeps a firing alert (recording its page once, when `paging`), or ends one.
    pub(crate) fn observe_alert(&mut self, alert: AlertSummary, paging: bool) {
        if !alert.firing {
            self.alerts.remove(&alert.alert_id);
            return;
        }
        if self.alerts.contains_key(&alert.alert_id) {
            return;
        }
        if paging {
            self.push(OwedPage::alert(&alert));
        }
        self.alerts.insert(alert.alert_id.clone(), alert);
    }

    fn push(&mut self, mut page: OwedPage) {
        self.next_sequence += 1;
        page.sequence = self.next_sequence;
        let flow = self.flows.entry(page.flow_id.clone()).or_default();
        flow.paged_at = paged_after(flow.paged_at, &page);
        flow.pages.push(page);
    }

    /// The alerts firing, newest first.
    pub(crate) fn firing(&self) -> Vec<AlertSummary> {
        newest_first(self.alerts.values().cloned().collect())
    }

    /// Claims the flows whose pages are due at `now` for `holder`.
    pub(crate) fn claim(
        &mut self,
        holder: &str,
        lease: Duration,
        cooldown: Duration,
        now: i64,
    ) -> Vec<PagesDue> {
        let mut claimed = Vec::new();
        for (flow_id, flow) in &mut self.flows {
            let recovered = flow
                .pages
                .iter()
                .any(|page| page.kind == PageKind::Recovered);
            if flow.pages.is_empty() || !due(flow.until, flow.last_sent, cooldown, recovered, now) {
                continue;
            }
            flow.holder = Some(holder.to_owned());
            flow.until = now.saturating_add(duration_millis(lease));
            claimed.push(PagesDue {
                flow_id: flow_id.clone(),
                pages: flow.pages.clone(),
                last_sent_at: flow.last_sent,
            });
        }
        claimed
    }

    /// Settles a flow's pages through `through` for `holder`; `false` when it holds no claim.
    pub(crate) fn settle(
        &mut self,
        holder: &str,
        flow_id: &str,
        through: u64,
        settled: Settled,
        now: i64,
    ) -> bool {
        let Some(flow) = self.flows.get_mut(flow_id) else {
            return false;
        };
        if flow.holder.as_deref() != Some(holder) {
            return false;
        }
        match settled {
            Settled::Retry { after } => {
                flow.until = now.saturating_add(duration_millis(after));
                return true;
            }
            Settled::Sent => flow.last_sent = Some(now),
            Settled::Dropped => {}
        }
        flow.pages.retain(|page| page.sequence > through);
        flow.holder = None;
        flow.until = 0;
        true
    }
}
