//! The pages owed and the alerts firing in the SQLite file: [`PageStore`] for
//! [`SqliteStore`]. `observe` records a run's page in the transaction of its state
//! ([`record_run_page`]), and keeps alerts with their pages ([`observe_alert`]) in that same
//! transaction.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::alert_summary::stored_alerts;
use super::pages::{due, page_for_run, paged_after};
use super::sqlite::{until, Flush, SqliteStore};
use super::{AlertSummary, OwedPage, PageKind, PageRules, PageStore, PagesDue, RunSummary};
use super::{Settled, StoreError};
use crate::BoxFuture;

fn unwritable(error: StoreError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(error))
}

fn unreadable(error: StoreError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(error))
}

/// Where the newest run that paged a flow stands, while it has not recovered.
fn paged_at(connection: &Connection, flow_id: &str) -> rusqlite::Result<Option<i64>> {
    Ok(connection
        .prepare_cached("SELECT paged_at FROM pagers WHERE flow_id = ?1")?
        .query_row([flow_id], |row| row.get(0))
        .optional()?
        .flatten())
}

/// Records the page a kept run state calls for, if any, in the caller's transaction.
pub(super) fn record_run_page(
    connection: &Connection,
    rules: &PageRules,
    run: &RunSummary,
    before: Option<&RunSummary>,
) -> rusqlite::Result<()> {
    let flow_id = run.flow_id.clone().unwrap_or_default();
    let paged_at = paged_at(connection, &flow_id)?;
    let (now, was) = (rules.class(Some(run)), rules.class(before));
    match page_for_run(now, was, run.started_or_seen(), paged_at) {
        Some(kind) => push_page(connection, &OwedPage::run(kind, run), paged_at),
        None => Ok(()),
    }
}

/// Adds a page to the outbox and moves its flow's `paged_at` (`before`: the flow's now).
fn push_page(
    connection: &Connection,
    page: &OwedPage,
    before: Option<i64>,
) -> rusqlite::Result<()> {
    let recovered = page.kind == PageKind::Recovered;
    connection
        .prepare_cached("INSERT INTO pages (flow_id, recovered, page) VALUES (?1, ?2, ?3)")?
        .execute(params![
            page.flow_id,
            recovered,
            page.to_json().map_err(unwritable)?
        ])?;
    connection
        .prepare_cached(
            "INSERT INTO pagers (flow_id, paged_at) VALUES (?1, ?2) \
             ON CONFLICT (flow_id) DO UPDATE SET paged_at = excluded.paged_at",
        )?
        .execute(params![page.flow_id, paged_after(before, page)])?;
    Ok(())
}

/// Keeps a firing alert (its page recorded once, when `paging`), or ends one, in the
/// caller's transaction.
pub(super) fn observe_alert(
    connection: &Connection,
    alert: &AlertSummary,
    paging: bool,
) -> rusqlite::Result<()> {
    if !alert.firing {
        connection
            .prepare_cached("DELETE FROM alerts WHERE alert_id = ?1")?
            .execute([&alert.alert_id])?;
        return Ok(());
    }
    let json = serde_json::to_string(alert)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
    let added = connection
        .prepare_cached(
            "INSERT OR IGNORE INTO alerts (alert_id, seen_ms, alert) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![alert.alert_id, alert.seen_at, json])?;
    if added == 1 && paging {
        let page = OwedPage::alert(alert);
        let before = paged_at(connection, &page.flow_id)?;
        push_page(connection, &page, before)?;
    }
    Ok(())
}

/// Claims one flow for `holder` and reads its pages.
fn claim_flow(
    connection: &Connection,
    flow_id: String,
    holder: &str,
    until_ms: i64,
    last_sent_at: Option<i64>,
) -> rusqlite::Result<PagesDue> {
    connection
        .prepare_cached("UPDATE pagers SET holder = ?2, until_ms = ?3 WHERE flow_id = ?1")?
        .execute(params![flow_id, holder, until_ms])?;
    let mut query =
        connection.prepare_cached("SELECT seq, page FROM pages WHERE flow_id = ?1 ORDER BY seq")?;
    let rows = query.query_map([&flow_id], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut pages = Vec::new();
    for row in rows {
        let (sequence, json) = row?;
        let sequence = u64::try_from(sequence).unwrap_or(0);
        pages.push(OwedPage::from_json(sequence, &json).map_err(unreadable)?);
    }
    Ok(PagesDue {
        flow_id,
        pages,
        last_sent_at,
    })
}

fn claim(
    connection: &Connection,
    holder: &str,
    lease: Duration,
    cooldown: Duration,
    now: i64,
) -> rusqlite::Result<Vec<PagesDue>> {
    let mut query = connection.prepare_cached(
        "SELECT p.flow_id, MAX(p.recovered), g.sent_ms, COALESCE(g.until_ms, 0) \
         FROM pages p LEFT JOIN pagers g ON g.flow_id = p.flow_id GROUP BY p.flow_id",
    )?;
    let flows = query
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    flows
        .into_iter()
        .filter(|(_, recovered, sent, until_ms)| due(*until_ms, *sent, cooldown, *recovered, now))
        .map(|(flow_id, _, sent, _)| {
            claim_flow(connection, flow_id, holder, until(now, lease), sent)
        })
        .collect()
}

fn settle(
    connection: &Connection,
    holder: &str,
    flow_id: &str,
    through: u64,
    settled: Settled,
    now: i64,
) -> rusqlite::Result<bool> {
    let held: Option<Option<String>> = connection
        .prepare_cached("SELECT holder FROM pagers WHERE flow_id = ?1")?
        .query_row([flow_id], |row| row.get(0))
        .optional()?;
    if held.flatten().as_deref() != Some(holder) {
        return Ok(false);
    }
    let sent = match settled {
        Settled::Retry { after } => {
            connection
                .prepare_cached("UPDATE pagers SET until_ms = ?2 WHERE flow_id = ?1")?
                .execute(params![flow_id, until(now, after)])?;
            return Ok(true);
        }
        Settled::Sent => Some(now),
        Settled::Dropped => None,
    };
    let through = i64::try_from(through).unwrap_or(i64::MAX);
    connection
        .prepare_cached("DELETE FROM pages WHERE flow_id = ?1 AND seq <= ?2")?
        .execute(params![flow_id, through])?;
    connection
        .prepare_cached(
            "UPDATE pagers SET holder = NULL, until_ms = 0, sent_ms = COALESCE(?2, sent_ms) \
             WHERE flow_id = ?1",
        )?
        .execute(params![flow_id, sent])?;
    Ok(true)
}

impl PageStore for SqliteStore {
    fn firing_alerts<'a>(&'a self) -> BoxFuture<'a, Result<Vec<AlertSummary>, StoreError>> {
        let found = self.call(Flush::Cache, |connection, _| {
            let mut query = connection.prepare_cached("SELECT alert FROM alerts")?;
            let rows = query.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
        });
        Box::pin(async move { stored_alerts(&found.await?) })
    }

    fn claim_pages<'a>(
        &'a self,
        holder: &'a str,
        lease: Duration,
        cooldown: Duration,
    ) -> BoxFuture<'a, Result<Vec<PagesDue>, StoreError>> {
        let holder = holder.to_owned();
        self.call(Flush::Cache, move |connection, now| {
            claim(connection, &holder, lease, cooldown, now)
        })
    }

    fn settle_pages<'a>(
        &'a self,
        holder: &'a str,
        flow_id: &'a str,
        through: u64,
        settled: Settled,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let (holder, flow_id) = (holder.to_owned(), flow_id.to_owned());
        self.call(Flush::Disk, move |connection, now| {
            settle(connection, &holder, &flow_id, through, settled, now)
        })
    }
}
