//! The smallest correct Adobe I/O Events webhook on axum, through `Receiver::handle_http`.
//!
//! ```text
//! cargo run --features http --example axum -- --keys DIR --client-id ID --org ORG@AdobeOrg [--port PORT]
//! ```
//!
//! It listens on 127.0.0.1 (`--port`, default 8080; 0 picks one) and prints
//! `listening on http://127.0.0.1:PORT/`. Keys come from `DIR/<key path>` (`DirKeySource`),
//! message lists and alerts must be the organisation's, bodies are read up to the receiver's
//! limit (2 MB). Handled events and refusals are `tracing` events on standard error.

use std::sync::Arc;

use aep_flow_run::webhook::WebhookError;
use aep_flow_run::webhook::{DirKeySource, KeyFetchSettings, Received, Receiver, Verifier};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Router;

async fn webhook(State(receiver): State<Arc<Receiver>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limit = receiver.settings().max_body_bytes;
    // A body above the limit (announced or not) is never read whole; nor is a broken one.
    let Ok(body) = to_bytes(body, limit).await else {
        let refused = receiver.refuse(WebhookError::BodyTooLarge { limit });
        return refused.to_http().map(Body::from);
    };
    let request = Request::from_parts(parts, body);
    let (response, received) = receiver
        .handle_http(&request, |events| async move {
            for incoming in &events {
                let event = incoming.event.event_id().unwrap_or(incoming.key.as_str());
                let code = incoming.event.event_code().unwrap_or("-");
                tracing::info!(event, code, "handled");
            }
            true // false: the events are given back, and Adobe delivers them again
        })
        .await;
    if let Received::Refused(error) = &received {
        tracing::warn!(status = error.status_code(), %error, "refused");
    }
    response.into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let (mut keys, mut client_id, mut org, mut port) = (None, None, None, "8080".to_owned());
    let mut args = std::env::args().skip(1);
    while let (Some(flag), Some(value)) = (args.next(), args.next()) {
        match flag.as_str() {
            "--keys" => keys = Some(value),
            "--client-id" => client_id = Some(value),
            "--org" => org = Some(value),
            "--port" => port = value,
            _ => return Err(format!("unknown option {flag}").into()),
        }
    }
    let usage = "usage: axum --keys DIR --client-id ID --org ORG@AdobeOrg [--port PORT]";
    let (Some(keys), Some(client_id), Some(org)) = (keys, client_id, org) else {
        return Err(usage.into());
    };
    let verifier = Verifier::new(client_id).with_organization(org);
    let receiver = Receiver::new(verifier)
        .with_key_source(DirKeySource::new(keys)?, KeyFetchSettings::default());
    let app = Router::new()
        .route("/", axum::routing::any(webhook))
        .with_state(Arc::new(receiver));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.parse()?)).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
