//! The event codes that say what a notification reports.

use crate::json::open_enum;

open_enum! {
/// What a notification reports: `header._adobeio.eventCode` of an I/O event or alert, the
/// `_eventNotificationMeta.type` of a message, the `type` of a CloudEvent.
///
/// Recognised ignoring ASCII case; any other code is kept as it came in
/// [`EventCode::Other`].
///
/// ```
/// use aep_flow_run::EventCode;
///
/// // What payloads carry, and what the documentation's prose says, are one code.
/// assert_eq!(EventCode::from("sources_flow_run_failed"), EventCode::FlowRunFailure);
/// assert_eq!(EventCode::from("sources_flow_run_failure"), EventCode::FlowRunFailure);
/// assert_eq!(EventCode::FlowRunFailure.as_str(), "sources_flow_run_failed");
/// assert_eq!(
///     EventCode::from("identity_ingestion_info"),
///     EventCode::Other("identity_ingestion_info".into())
/// );
/// ```
pub enum EventCode expecting "an event code string" {
    /// `sources_flow_run_success`: a sources flow run completed.
    FlowRunSuccess = "sources_flow_run_success",
    /// `sources_flow_run_failed` (also spelled `sources_flow_run_failure` in Adobe's prose):
    /// a sources flow run failed.
    FlowRunFailure = "sources_flow_run_failed" | "sources_flow_run_failure",
    /// `source_flow_run_info`: an informational observability alert about a sources flow
    /// (a run started or finished); the run's status tells the outcome.
    AlertInfo = "source_flow_run_info",
    /// `source_flow_run_error`: an observability alert about a problem with a sources flow:
    /// a failed run, or a threshold crossed (delay, error rate) for an [`Alert`](crate::Alert).
    AlertError = "source_flow_run_error",
    /// The payload carried no event code (a bare run without a header).
    Missing = "",
}
}

// The enum is declared by `open_enum!`, whose derive list has no `Default`.
#[allow(clippy::derivable_impls)]
impl Default for EventCode {
    fn default() -> Self {
        EventCode::Missing
    }
}

impl EventCode {
    /// The code in a run's I/O Events header, or [`EventCode::Missing`].
    pub(crate) fn of_run(run: &crate::FlowRun) -> Self {
        run.header_event_code()
            .map(EventCode::from)
            .unwrap_or_default()
    }

    /// `Some(true)` for the success code, `Some(false)` for the failure and error codes, `None`
    /// for codes that do not tell the outcome (info, missing, unknown).
    pub(crate) fn outcome_hint(&self) -> Option<bool> {
        match self {
            EventCode::FlowRunSuccess => Some(true),
            EventCode::FlowRunFailure | EventCode::AlertError => Some(false),
            _ => None,
        }
    }
}
