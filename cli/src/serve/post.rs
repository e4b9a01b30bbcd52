//! Posting a page: JSON to the `--notify` URL, `https` through the library's client (its
//! roots and TLS), plain `http` for a relay on the same host or network.

use std::time::Duration;

use aep_flow_run::journal::HttpsClient;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use url::Url;

/// The longest one post may take, connecting included.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer's body read (and dropped).
const ANSWER_LIMIT: usize = 64 * 1024;

/// Posts JSON to a URL and gives the status it answered.
#[derive(Clone)]
pub struct Poster {
    https: HttpsClient,
}

impl Poster {
    pub fn new() -> Self {
        Poster {
            https: HttpsClient::new().with_timeout(POST_TIMEOUT),
        }
    }

    /// The status `url` answered to `json`, or what failed.
    pub async fn post(&self, url: &Url, json: String) -> Result<u16, String> {
        if url.scheme() == "https" {
            return self
                .https
                .post_json(url, json)
                .await
                .map_err(|error| error.to_string());
        }
        match tokio::time::timeout(POST_TIMEOUT, post_http(url, json)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {} s", POST_TIMEOUT.as_secs())),
        }
    }
}

/// One HTTP/1.1 POST over plain TCP.
async fn post_http(url: &Url, json: String) -> Result<u16, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|error| format!("connecting to {host}:{port}: {error}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|error| format!("HTTP: {error}"))?;
    tokio::spawn(async move {
        let _ = tokio::time::timeout(POST_TIMEOUT, connection).await;
    });
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let request = hyper::Request::post(target)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, "aep-flow-run")
        .header(hyper::header::CONNECTION, "close")
        .body(Full::new(Bytes::from(json)))
        .map_err(|error| format!("HTTP: {error}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| format!("HTTP: {error}"))?;
    let status = response.status().as_u16();
    // Read what is sent back (bounded), so that the connection ends cleanly.
    let _ = Limited::new(response.into_body(), ANSWER_LIMIT)
        .collect()
        .await;
    Ok(status)
}
