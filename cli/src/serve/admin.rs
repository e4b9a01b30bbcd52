//! The admin port (never the webhook's): the status page `/`, `/metrics`, `/healthz`,
//! `/readyz`, `/api/flows`.

use std::sync::Arc;
use std::time::Duration;

use aep_flow_run::store::{AlertSummary, FlowRuns, PageRules, StoreError};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::metrics::Metrics;
use super::stores::{chain, Stores};

/// How many runs of each flow `/api/flows` lists.
pub const RUNS_PER_FLOW: usize = 20;
/// The longest `/readyz` waits for the store.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What the admin port reads.
pub struct Admin {
    pub stores: Stores,
    pub metrics: Arc<Metrics>,
    /// The keys directory, when keys are not fetched.
    pub keys_dir: Option<std::path::PathBuf>,
    /// What the status page shows as failing.
    pub rules: PageRules,
}

/// The admin routes.
pub fn router(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/", get(status_page))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/api/flows", get(flows))
        .with_state(admin)
}

async fn metrics(State(admin): State<Arc<Admin>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        admin.metrics.render(),
    )
        .into_response()
}

/// 200 when the store answers and keys can be had, else 503 saying which.
async fn ready(State(admin): State<Arc<Admin>>) -> Response {
    let store = match tokio::time::timeout(READY_TIMEOUT, admin.stores.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(chain(&error)),
        Err(_) => Err(format!("no answer within {} s", READY_TIMEOUT.as_secs())),
    };
    let keys = match &admin.keys_dir {
        Some(dir) if std::fs::read_dir(dir).is_err() => {
            Err(format!("{} cannot be read", dir.display()))
        }
        // Fetched keys: asked for when a delivery needs them, never to probe.
        _ => Ok(()),
    };
    let status = if store.is_ok() && keys.is_ok() {
        StatusCode::OK
    } else {
        if let Err(error) = &store {
            tracing::warn!(%error, "not ready: the store does not answer");
        }
        if let Err(error) = &keys {
            tracing::warn!(%error, "not ready: no keys");
        }
        StatusCode::SERVICE_UNAVAILABLE
    };
    // The answer names the checks only; the reasons are in the logs.
    let body = serde_json::json!({
        "store": if store.is_ok() { "ok" } else { "unavailable" },
        "keys": if keys.is_ok() { "ok" } else { "unavailable" },
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The latest runs of every flow, as JSON: `{"flows": [{"flowId", "runs": [...]}],
/// "alerts": [...]}` (the alerts firing).
async fn flows(State(admin): State<Arc<Admin>>) -> Response {
    match listed(&admin).await {
        Ok((flows, alerts)) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "flows": flows, "alerts": alerts }).to_string(),
        )
            .into_response(),
        Err(()) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"store unavailable"}"#,
        )
            .into_response(),
    }
}

/// The status page, as HTML.
async fn status_page(State(admin): State<Arc<Admin>>) -> Response {
    match listed(&admin).await {
        Ok((flows, alerts)) => {
            let page = super::page::StatusPage {
                flows: &flows,
                alerts: &alerts,
                rules: admin.rules,
                now: super::page::now_millis(),
            };
            Html(page.render()).into_response()
        }
        Err(()) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html("<!DOCTYPE html><title>aep-flow-run</title><meta http-equiv=\"refresh\" content=\"10\"><p>The store does not answer: see the logs. This page tries again every 10 s.</p>"),
        )
            .into_response(),
    }
}

/// The latest runs of every flow and the alerts firing; on a failure, counted and logged.
async fn listed(admin: &Admin) -> Result<(Vec<FlowRuns>, Vec<AlertSummary>), ()> {
    let read = async {
        let flows = admin.stores.runs.flows(RUNS_PER_FLOW).await?;
        let alerts = admin.stores.pages.firing_alerts().await?;
        Ok::<_, StoreError>((flows, alerts))
    };
    match tokio::time::timeout(super::monitor::STORE_TIMEOUT, read).await {
        Ok(Ok(listed)) => Ok(listed),
        failed => {
            let error = match failed {
                Ok(Err(error)) => chain(&error),
                _ => "timed out".to_owned(),
            };
            admin
                .metrics
                .count("aep_store_errors_total", &[("operation", "flows")]);
            tracing::warn!(%error, "flows not listed");
            Err(())
        }
    }
}
