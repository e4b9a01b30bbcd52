//! A local Adobe I/O Events journal and IMS token endpoint over TLS on 127.0.0.1, serving
//! what Adobe documents: pages with relative `Link: rel="next"` paths, `204` with
//! `Retry-After` at the end, `410 Gone` for an expired position; faults queued by the test
//! (`429`, `5xx`, garbage, foreign links) come before the next regular answer. The client
//! trusts a test root made here and resolves both host names to the server.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aep_flow_run::journal::{Clock, HttpsClient};
use aep_flow_run::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use rustls::pki_types::CertificateDer;
use serde_json::{json, Value};

pub const JOURNAL_HOST: &str = "events-va6.adobe.io";
pub const IMS_HOST: &str = "ims-na1.adobelogin.com";
pub const JOURNAL_PATH: &str = "/events/organizations/o/integrations/i/r";
pub const JOURNAL_URL: &str = "https://events-va6.adobe.io/events/organizations/o/integrations/i/r";
pub const TOKEN_URL: &str = "https://ims-na1.adobelogin.com/ims/token/v3";

/// An answer the test queues ahead of the regular ones.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `since` of the request, decoded.
    pub fn since(&self) -> Option<String> {
        let url = url::Url::parse(&format!("https://x{}", self.target)).unwrap();
        url.query_pairs()
            .find(|(name, _)| name == "since")
            .map(|(_, value)| value.into_owned())
    }
}

#[derive(Default)]
pub struct State {
    /// The journal: (position, event) in order.
    pub entries: Vec<(String, Value)>,
    /// Positions answered with 410 Gone.
    pub expired: Vec<String>,
    /// Answers to journal requests before the regular ones.
    pub journal_faults: VecDeque<Reply>,
    /// Answers to token requests before the regular ones (a token `tok-N` for 24 h).
    pub token_faults: VecDeque<Reply>,
    /// Journal answers 401 to this many requests bearing `Bearer tok-1`.
    pub reject_first_token: bool,
    pub journal_requests: Vec<Seen>,
    pub token_requests: Vec<Seen>,
    pub tokens_issued: u32,
}

pub struct Server {
    pub address: SocketAddr,
    root: CertificateDer<'static>,
    pub state: Arc<Mutex<State>>,
}

impl Server {
    /// A client trusting the server's root, with both names resolved to it.
    pub fn client(&self) -> HttpsClient {
        HttpsClient::new()
            .with_root_der(&self.root)
            .unwrap()
            .with_resolve(JOURNAL_HOST, self.address)
            .with_resolve(IMS_HOST, self.address)
    }

    /// The test root, DER.
    pub fn root_der(&self) -> Vec<u8> {
        self.root.to_vec()
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn journal_fault(&self, reply: Reply) {
        self.state().journal_faults.push_back(reply);
    }

    pub fn token_fault(&self, reply: Reply) {
        self.state().token_faults.push_back(reply);
    }

    /// The `since` of every journal request so far (`None` for none), and forgets them.
    pub fn take_sinces(&self) -> Vec<Option<String>> {
        std::mem::take(&mut self.state().journal_requests)
            .iter()
            .map(Seen::since)
            .collect()
    }
}

pub async fn start(entries: Vec<(String, Value)>) -> Server {
    let tls = super::test_tls::for_hosts(&[JOURNAL_HOST, IMS_HOST]);
    let acceptor = tls.acceptor.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = Arc::new(Mutex::new(State {
        entries,
        ..State::default()
    }));
    let shared = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let state = shared.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(serve(&state, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Server {
        address,
        root: tls.root.clone(),
        state,
    }
}

async fn serve(
    state: &Mutex<State>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let seen = Seen {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let mut state = state.lock().unwrap();
    let reply = if parts.uri.path() == "/ims/token/v3" {
        state.token_requests.push(seen);
        match state.token_faults.pop_front() {
            Some(reply) => reply,
            None => {
                state.tokens_issued += 1;
                let token = format!("tok-{}", state.tokens_issued);
                Reply::new(
                    200,
                    json!({"access_token": token, "token_type": "bearer", "expires_in": 86399})
                        .to_string(),
                )
                .header("content-type", "application/json")
            }
        }
    } else if parts.uri.path() == JOURNAL_PATH {
        let rejected =
            state.reject_first_token && seen.header("authorization") == Some("Bearer tok-1");
        let since = seen.since();
        let target = seen.target.clone();
        state.journal_requests.push(seen);
        if rejected {
            Reply::new(
                401,
                r#"{"error_code":"401013","message":"Oauth token is not valid"}"#,
            )
        } else if let Some(reply) = state.journal_faults.pop_front() {
            reply
        } else {
            journal_answer(&state, &target, since)
        }
    } else {
        Reply::new(404, "not found")
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = http::StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

fn link_to(since: &str, limit: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("since", since);
    if let Some(limit) = limit {
        query.append_pair("limit", limit);
    }
    format!("{JOURNAL_PATH}?{}", query.finish())
}

/// The regular answer, as the journal gives it.
fn journal_answer(state: &State, target: &str, since: Option<String>) -> Reply {
    let url = url::Url::parse(&format!("https://x{target}")).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let limit = param("limit");
    let count: usize = limit.as_deref().map_or(3, |l| l.parse().unwrap());
    let end = |since: Option<&str>| {
        // 204: the next link is the current request (or where `latest` put us).
        let next = match since {
            Some(since) => link_to(since, limit.as_deref()),
            None => target.to_owned(),
        };
        let validate = next.replacen(JOURNAL_PATH, &format!("{JOURNAL_PATH}/validate"), 1);
        Reply::new(204, "").header("retry-after", "10").header(
            "link",
            &format!("<{next}>; rel=\"next\", <{validate}>; rel=\"validate\""),
        )
    };
    if param("latest").as_deref() == Some("true") {
        let last = state.entries.last().map(|(position, _)| position.as_str());
        return end(last);
    }
    let start = match &since {
        None => 0,
        Some(since) if state.expired.contains(since) => {
            return Reply::new(
                410,
                format!(r#"{{"message": "Events at position {since} have expired."}}"#),
            )
        }
        Some(since) => match state.entries.iter().position(|(p, _)| p == since) {
            Some(index) => index + 1,
            None => return Reply::new(400, "unknown position"),
        },
    };
    let page: Vec<&(String, Value)> = state.entries.iter().skip(start).take(count).collect();
    let Some((last, _)) = page.last() else {
        return end(since.as_deref());
    };
    let body = json!({
        "events": page.iter().map(|(position, event)| json!({"position": position, "event": event})).collect::<Vec<_>>(),
        "_page": {"last": last, "count": page.len()},
    });
    Reply::new(200, body.to_string())
        .header("content-type", "application/json")
        .header(
            "link",
            &format!("<{}>; rel=\"next\"", link_to(last, limit.as_deref())),
        )
}

/// A clock whose sleeps return at once, recorded, and move its time on.
pub struct TestClock {
    now: Mutex<SystemTime>,
    slept: Mutex<Vec<Duration>>,
}

impl TestClock {
    pub fn new() -> Arc<Self> {
        Arc::new(TestClock {
            now: Mutex::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
            slept: Mutex::new(Vec::new()),
        })
    }

    /// The waits asked for so far, and forgets them.
    pub fn take_sleeps(&self) -> Vec<Duration> {
        std::mem::take(&mut self.slept.lock().unwrap())
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.slept.lock().unwrap().push(duration);
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

pub fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// The events of a journal fixture, as (position, event).
pub fn fixture_entries(path: &str) -> Vec<(String, Value)> {
    let package = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // From the library's tests or the CLI's (`cli/`, one below the repository's root).
    let root = match package.join("fixtures").is_dir() {
        true => package,
        false => package.parent().unwrap(),
    };
    let file = root.join(path);
    let page: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["position"].as_str().unwrap().to_owned(),
                entry["event"].clone(),
            )
        })
        .collect()
}
