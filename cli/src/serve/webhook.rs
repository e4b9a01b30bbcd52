//! The webhook port: one request in, one answer out, as the webhook contract says.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aep_flow_run::store::{DedupStore, Incoming};
use aep_flow_run::webhook::{Answer, Received, Receiver, WebhookError};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::metrics::Metrics;
use super::monitor::{Monitor, Source};
use super::stores::chain;

/// What the webhook's requests share.
pub struct Webhook {
    pub receiver: Receiver<Arc<dyn DedupStore>>,
    pub monitor: Arc<Monitor>,
    pub metrics: Arc<Metrics>,
    pub read_timeout: Duration,
}

/// The webhook's routes: `/` and `/webhook` answer alike.
pub fn router(webhook: Arc<Webhook>) -> Router {
    Router::new()
        .route("/", any(receive))
        .route("/webhook", any(receive))
        .with_state(webhook)
}

/// Why a body was not read.
enum Unread {
    TooLarge,
    Malformed,
    Slow,
}

async fn receive(
    State(webhook): State<Arc<Webhook>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limit = webhook.receiver.settings().max_body_bytes;
    let body = match read_body(&webhook, &headers, body, limit).await {
        Ok(body) => body,
        Err(Unread::TooLarge) => {
            let answer = webhook
                .receiver
                .refuse(WebhookError::BodyTooLarge { limit });
            return webhook.finish(&method, answer, Instant::now());
        }
        Err(unread) => return webhook.unread(&method, unread),
    };
    let started = Instant::now();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let mut answer = webhook
        .receiver
        .handle(
            method.as_str(),
            query.as_deref().unwrap_or(""),
            pairs.iter().copied(),
            &body,
        )
        .await;
    match &answer.received {
        Received::Delivery { events, .. } => {
            if let Err(refusal) = webhook.deliver(events).await {
                answer = webhook.receiver.refuse(refusal);
            }
        }
        Received::Refused(error @ WebhookError::Store(_)) => webhook.store_error("claim", error),
        _ => {}
    }
    webhook.finish(&method, answer, started)
}

/// Reads at most `limit` bytes (a chunked body announces no length) within the read
/// timeout; an announced oversized body is refused before any of it is read.
async fn read_body(
    webhook: &Webhook,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, Unread> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(Unread::TooLarge);
    }
    match tokio::time::timeout(webhook.read_timeout, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        // Only a body past the limit is 413; a malformed one (bad chunk framing) is 400.
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(Unread::TooLarge)
        }
        Ok(Err(_)) => Err(Unread::Malformed),
        Err(_) => Err(Unread::Slow),
    }
}

impl Webhook {
    /// Hands a delivery's new events to the monitor, then records them as done. Handled but
    /// not recorded (the store failed just then): the claims stay, and recording is retried
    /// in the background until the lease runs out, so that Adobe's retry is a duplicate.
    async fn deliver(self: &Arc<Self>, events: &[Incoming]) -> Result<(), WebhookError> {
        if let Err(error) = self.monitor.handle(events, Source::Webhook).await {
            tracing::warn!(error = %chain(&error), "run state not recorded: the delivery is given back");
            if let Err(error) = self.receiver.abandon(events).await {
                self.store_error("abandon", &error);
            }
            return Err(WebhookError::Store(error));
        }
        if let Err(error) = self.receiver.complete(events).await {
            self.store_error("complete", &error);
            let (later, handled) = (Arc::clone(self), events.to_vec());
            tokio::spawn(async move { later.record_later(&handled).await });
            return Err(error);
        }
        Ok(())
    }

    /// Records handled events as done, again every 200 ms until it works or the lease has
    /// run out (then Adobe's next retry hands them over again: at least once).
    async fn record_later(&self, events: &[Incoming]) {
        let until = Instant::now() + self.receiver.settings().lease;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            match self.receiver.complete(events).await {
                Ok(()) => return,
                Err(error) if Instant::now() >= until => {
                    tracing::error!(error = %chain(&error), "handled events not recorded as done");
                    return;
                }
                Err(_) => {}
            }
        }
    }

    fn store_error(&self, operation: &str, error: &WebhookError) {
        self.metrics
            .count("aep_store_errors_total", &[("operation", operation)]);
        tracing::warn!(operation, error = %chain(error), "store call failed");
    }

    /// Logs and counts an answer, and turns it into a response.
    fn finish(&self, method: &Method, answer: Answer, started: Instant) -> Response {
        if *method == Method::POST {
            let status = answer.status.to_string();
            self.metrics
                .count("aep_webhook_deliveries_total", &[("status", &status)]);
            self.metrics.handling_time(started.elapsed());
        }
        if let Received::Refused(error) = &answer.received {
            self.metrics.count(
                "aep_webhook_refusals_total",
                &[("check", &check_name(error))],
            );
        }
        report(&answer);
        response(answer)
    }

    /// The answer to a body that could not be read.
    fn unread(&self, method: &Method, unread: Unread) -> Response {
        let (status, message) = match unread {
            Unread::Slow => (StatusCode::REQUEST_TIMEOUT, "body not received in time"),
            _ => (StatusCode::BAD_REQUEST, "malformed request body"),
        };
        if *method == Method::POST {
            let code = status.as_u16().to_string();
            self.metrics
                .count("aep_webhook_deliveries_total", &[("status", &code)]);
        }
        tracing::info!(status = status.as_u16(), "refused: {message}");
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({"error": message}).to_string(),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    }
}

/// The name of the check a refusal failed, for the metric's label: `signature_mismatch`, ...
fn check_name(error: &WebhookError) -> String {
    let debug = format!("{error:?}");
    let variant: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let mut name = String::with_capacity(variant.len() + 4);
    for (index, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// Logs what a request brought. Text from the request (a challenge, a validation URL, ids)
/// is logged through `Debug`, which escapes control characters, so that no request can
/// forge a log line.
fn report(answer: &Answer) {
    match &answer.received {
        Received::Challenge(challenge) => {
            tracing::info!(challenge = ?challenge, "challenge answered")
        }
        Received::Validation(request) => match request.url() {
            Some(url) => tracing::info!(
                url = ?url.as_str(),
                "validation request: confirm by fetching the URL (check the host first)"
            ),
            None => {
                tracing::warn!(url = ?request.validation_url, "validation request with an unusable URL")
            }
        },
        Received::Delivery { headers, events } => {
            let duplicates = events.iter().filter(|incoming| incoming.duplicate).count();
            tracing::info!(
                events = events.len(),
                duplicates,
                attempt = headers.attempt(),
                status = answer.status,
                "delivery"
            );
        }
        Received::Unreadable { error, .. } => {
            tracing::warn!(error = ?error.to_string(), "authentic delivery that cannot be read")
        }
        Received::Refused(error) => tracing::info!(
            status = answer.status,
            check = %check_name(error),
            error = ?chain(error),
            "refused"
        ),
        other => tracing::info!(received = ?other, "request"),
    }
}

fn response(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.content_type),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(seconds) = answer.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_named_by_their_check() {
        assert_eq!(
            check_name(&WebhookError::SignatureMismatch),
            "signature_mismatch"
        );
        assert_eq!(
            check_name(&WebhookError::MissingHeader { name: "x" }),
            "missing_header"
        );
    }
}
