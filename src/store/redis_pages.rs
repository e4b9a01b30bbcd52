//! The pages owed and the alerts firing in Redis: [`PageStore`] for [`RedisStore`], one
//! script per call. The observe script records the run states and the alerts of a delivery,
//! with the pages they call for, by the rules of [`PAGE_RULES`].
//!
//! Keys under the prefix `P`: `P pages:` *flow* (a sorted set of the flow's pages owed, by
//! sequence number, each member `"<sequence> <page JSON>"`), `P page-seq` (the last
//! sequence number), `P pages-due` (the set of flows with pages owed), `P pager:` *flow* (a
//! hash: `paged-at` where the newest run that paged stands, until the flow recovers; `sent`
//! when its last page was sent; `holder` and `until` of the sender's claim or retry wait)
//! and `P alerts` (a hash of the firing alerts by id). None expires: pages leave when they
//! are sent or dropped.

use std::time::{Duration, SystemTime};

use redis::Script;

use super::alert_summary::stored_alerts;
use super::pages::{duration_millis, PageClass};
use super::redis::RedisStore;
use super::summary::epoch_millis;
use super::{AlertSummary, OwedPage, PageKind, PageRules, PageStore, PagesDue, RunSummary};
use super::{Settled, StoreError};
use crate::{Alert, BoxFuture};

/// The paging rules of the observe script, mirrored from `pages.rs` (the same contract
/// test runs on every store); put before it.
pub(super) const PAGE_RULES: &str = r"
-- pages::page_for_run: a run turning alarming pages; a fine run recovers its flow when it
-- stands (run_at) no earlier than the newest run that paged (paged_at, false when the flow
-- has not paged since it last recovered). Both are epoch milliseconds, exact as Lua numbers.
local function page_for_run(class, before, run_at, paged_at)
  if class == 'alarm' and before ~= 'alarm' then return 'failed' end
  if class == 'fine' and paged_at and tonumber(run_at) >= tonumber(paged_at) then
    return 'recovered'
  end
  return nil
end
-- Adds a page to a flow's outbox, and moves the flow's paged_at as pages::paged_after does:
-- a recovery (stands_at nil) clears it, anything else raises it to stands_at.
local function push_page(prefix, flow, page, stands_at)
  local seq = redis.call('INCR', prefix .. 'page-seq')
  redis.call('ZADD', prefix .. 'pages:' .. flow, seq, seq .. ' ' .. page)
  redis.call('SADD', prefix .. 'pages-due', flow)
  local pager = prefix .. 'pager:' .. flow
  if not stands_at then
    redis.call('HDEL', pager, 'paged-at')
    return
  end
  local before = tonumber(redis.call('HGET', pager, 'paged-at') or '')
  if not before or before < tonumber(stands_at) then
    redis.call('HSET', pager, 'paged-at', stands_at)
  end
end
-- From ARGV[from], six values per alert: its id, '1' when firing, its summary JSON, its
-- flow id, its page JSON and where it stands. A firing alert is kept (and pages, when
-- paging) once; any other state ends it.
local function observe_alerts(prefix, paging, from)
  for b = from, #ARGV, 6 do
    local id, alert, flow, page = ARGV[b], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
    if ARGV[b + 1] == '1' then
      if redis.call('HSETNX', prefix .. 'alerts', id, alert) == 1 and paging then
        push_page(prefix, flow, page, ARGV[b + 5])
      end
    else
      redis.call('HDEL', prefix .. 'alerts', id)
    end
  end
end
";

// ARGV[1] the prefix, ARGV[2] the holder, ARGV[3] now (ms), ARGV[4] the claim's end (ms),
// ARGV[5] the cooldown (ms). For each flow claimed: its id, when its last page was sent
// ('' for never), how many pages, then the pages. A recovery is due at once: serde writes
// its kind as `"kind":"recovered"`.
const CLAIM_PAGES: &str = r#"
local prefix, holder, now, lease_end, cooldown = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local out = {}
for _, flow in ipairs(redis.call('SMEMBERS', prefix .. 'pages-due')) do
  local pages = redis.call('ZRANGE', prefix .. 'pages:' .. flow, 0, -1)
  if #pages == 0 then
    redis.call('SREM', prefix .. 'pages-due', flow)
  else
    local pager = prefix .. 'pager:' .. flow
    local state = redis.call('HMGET', pager, 'until', 'sent')
    local recovered = false
    for _, page in ipairs(pages) do
      if string.find(page, '"kind":"recovered"', 1, true) then recovered = true end
    end
    local cooled = (not state[2]) or tonumber(state[2]) + cooldown <= now
    if tonumber(state[1] or '0') <= now and (cooled or recovered) then
      redis.call('HSET', pager, 'holder', holder, 'until', lease_end)
      out[#out + 1] = flow
      out[#out + 1] = state[2] or ''
      out[#out + 1] = tostring(#pages)
      for _, page in ipairs(pages) do out[#out + 1] = page end
    end
  end
end
return out
"#;

// ARGV[1] the prefix, ARGV[2] the holder, ARGV[3] the flow, ARGV[4] through which sequence
// number, ARGV[5] 'sent', 'dropped' or 'retry', ARGV[6] now (ms), ARGV[7] the retry's end.
const SETTLE_PAGES: &str = r"
local pager = ARGV[1] .. 'pager:' .. ARGV[3]
if redis.call('HGET', pager, 'holder') ~= ARGV[2] then return 0 end
if ARGV[5] == 'retry' then
  redis.call('HSET', pager, 'until', ARGV[7])
  return 1
end
local pages = ARGV[1] .. 'pages:' .. ARGV[3]
redis.call('ZREMRANGEBYSCORE', pages, '-inf', ARGV[4])
if redis.call('ZCARD', pages) == 0 then redis.call('SREM', ARGV[1] .. 'pages-due', ARGV[3]) end
if ARGV[5] == 'sent' then redis.call('HSET', pager, 'sent', ARGV[6]) end
redis.call('HDEL', pager, 'holder')
redis.call('HSET', pager, 'until', '0')
return 1
";

fn scripts() -> &'static [Script; 2] {
    static SCRIPTS: std::sync::OnceLock<[Script; 2]> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| [Script::new(CLAIM_PAGES), Script::new(SETTLE_PAGES)])
}

/// The paging class of a run state, the page it would call for (`''` for neither) and where
/// its run stands, as the observe script takes them.
pub(super) fn run_page(
    rules: Option<&PageRules>,
    run: &RunSummary,
) -> Result<[String; 3], StoreError> {
    let class = rules.map_or(PageClass::Neither, |rules| rules.class(Some(run)));
    let page = match class {
        PageClass::Alarming => OwedPage::run(PageKind::Failed, run).to_json()?,
        PageClass::Fine => OwedPage::run(PageKind::Recovered, run).to_json()?,
        PageClass::Neither => String::new(),
    };
    let run_at = run.started_or_seen().to_string();
    Ok([class.as_str().to_owned(), page, run_at])
}

/// The six values of each alert the observe script takes (see `observe_alerts` in
/// [`PAGE_RULES`]); alerts without an id are left out.
pub(super) fn alert_args(alerts: &[&Alert], seen: SystemTime) -> Result<Vec<String>, StoreError> {
    let mut args = Vec::new();
    for alert in alerts
        .iter()
        .filter_map(|alert| AlertSummary::of(alert, seen))
    {
        let json = serde_json::to_string(&alert)
            .map_err(|error| StoreError::unavailable("alert not written", error))?;
        let page = OwedPage::alert(&alert);
        let stands_at = page.stands_at().unwrap_or(alert.seen_at);
        args.extend([
            alert.alert_id.clone(),
            if alert.firing { "1" } else { "0" }.to_owned(),
            json,
            page.flow_id.clone(),
            page.to_json()?,
            stands_at.to_string(),
        ]);
    }
    Ok(args)
}

/// Reads the claim script's answer.
fn claimed(found: Vec<String>) -> Result<Vec<PagesDue>, StoreError> {
    let mut found = found.into_iter();
    let mut due = Vec::new();
    while let Some(flow_id) = found.next() {
        let last_sent_at = found.next().and_then(|sent| sent.parse().ok());
        let count: usize = found.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let pages = found
            .by_ref()
            .take(count)
            .map(|member| {
                let (sequence, json) = member.split_once(' ').unwrap_or(("0", &member));
                OwedPage::from_json(sequence.parse().unwrap_or(0), json)
            })
            .collect::<Result<Vec<_>, _>>()?;
        due.push(PagesDue {
            flow_id,
            pages,
            last_sent_at,
        });
    }
    Ok(due)
}

impl PageStore for RedisStore {
    fn firing_alerts<'a>(&'a self) -> BoxFuture<'a, Result<Vec<AlertSummary>, StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection();
            let key = format!("{}alerts", self.settings().prefix);
            let found: Vec<String> = self
                .bounded(async move {
                    redis::cmd("HVALS")
                        .arg(key)
                        .query_async(&mut connection)
                        .await
                })
                .await?;
            stored_alerts(&found)
        })
    }

    fn claim_pages<'a>(
        &'a self,
        holder: &'a str,
        lease: Duration,
        cooldown: Duration,
    ) -> BoxFuture<'a, Result<Vec<PagesDue>, StoreError>> {
        Box::pin(async move {
            let now = epoch_millis(SystemTime::now());
            let args = [
                self.settings().prefix.clone(),
                holder.to_owned(),
                now.to_string(),
                now.saturating_add(duration_millis(lease)).to_string(),
                duration_millis(cooldown).to_string(),
            ];
            claimed(self.run_script(&scripts()[0], Vec::new(), &args).await?)
        })
    }

    fn settle_pages<'a>(
        &'a self,
        holder: &'a str,
        flow_id: &'a str,
        through: u64,
        settled: Settled,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let now = epoch_millis(SystemTime::now());
            let (mode, retry_end) = match settled {
                Settled::Sent => ("sent", 0),
                Settled::Dropped => ("dropped", 0),
                Settled::Retry { after } => ("retry", now.saturating_add(duration_millis(after))),
            };
            let args = [
                self.settings().prefix.clone(),
                holder.to_owned(),
                flow_id.to_owned(),
                through.to_string(),
                mode.to_owned(),
                now.to_string(),
                retry_end.to_string(),
            ];
            let settled: i64 = self.run_script(&scripts()[1], Vec::new(), &args).await?;
            Ok(settled == 1)
        })
    }
}
