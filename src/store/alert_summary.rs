//! What a store keeps of a firing alert, for status pages and pages.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::summary::epoch_millis;
use crate::Alert;

/// A firing observability alert as a [`PageStore`](super::PageStore) keeps it: firing from
/// the first `FIRING` state of its id until a state of the same id that is not `FIRING`
/// (`INACTIVE`, resolved) arrives. Times are epoch milliseconds; it serialises as a JSON
/// object with camelCase names.
///
/// ```
/// use std::time::SystemTime;
/// use aep_flow_run::store::AlertSummary;
/// use aep_flow_run::{parse_events, Event};
///
/// let body = std::fs::read("fixtures/adobe-docs/not-a-run-alert-error-rate.json")?;
/// let Event::Alert(alert) = &parse_events(&body)?[0] else { panic!("an alert") };
/// let summary = AlertSummary::of(alert, SystemTime::now()).unwrap();
/// assert_eq!(summary.name.as_deref(), Some("sources_ingestion_error_rate_exceeded"));
/// assert!(!summary.firing);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AlertSummary {
    /// The alert's id: its `FIRING` and `INACTIVE` states share it.
    pub alert_id: String,
    /// The rule (`sources_ingestion_error_rate_exceeded`, ...).
    pub name: Option<String>,
    /// Whether its condition holds (`FIRING`).
    pub firing: bool,
    /// The flow it is about.
    pub flow_id: Option<String>,
    /// The run it is about, if one.
    pub flow_run_id: Option<String>,
    /// `high`, `medium`, `low`.
    pub severity: Option<String>,
    /// The text Adobe shows.
    pub message: Option<String>,
    /// When the condition began.
    pub created_at: Option<i64>,
    /// When this state was recorded.
    pub seen_at: i64,
}

impl AlertSummary {
    /// The summary of an alert, recorded at `seen`; `None` for an alert without an id (its
    /// end could never be matched to it).
    pub fn of(alert: &Alert, seen: SystemTime) -> Option<Self> {
        Some(AlertSummary {
            alert_id: alert.id.clone().filter(|id| !id.is_empty())?,
            name: alert.name.clone(),
            firing: alert.is_firing(),
            flow_id: alert.flow_id.clone(),
            flow_run_id: alert.flow_run_id.clone(),
            severity: alert.severity.clone(),
            message: alert.message.clone(),
            created_at: alert.created_at.as_ref().and_then(|time| time.to_millis()),
            seen_at: epoch_millis(seen),
        })
    }
}

/// Alerts newest first (the id breaks ties), as every store lists them.
pub(crate) fn newest_first(mut alerts: Vec<AlertSummary>) -> Vec<AlertSummary> {
    alerts.sort_by(|a, b| b.seen_at.cmp(&a.seen_at).then(a.alert_id.cmp(&b.alert_id)));
    alerts
}

/// Alerts a store kept as JSON, read back newest first.
#[cfg(any(feature = "redis", feature = "sqlite"))]
pub(crate) fn stored_alerts(stored: &[String]) -> Result<Vec<AlertSummary>, super::StoreError> {
    let alerts = stored
        .iter()
        .map(|json| serde_json::from_str(json))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| super::StoreError::unavailable("alert unreadable", error))?;
    Ok(newest_first(alerts))
}
