//! The HTTPS client of the journal consumer and the IMS token provider (feature `fetch`):
//! one request per connection, HTTP/1.1 over rustls on ring, `https` URLs only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::RootCertStore;
use url::Url;

use super::tls::{self, InvalidRoot};

/// An HTTPS client for Adobe's key host, journal and IMS endpoints: HTTP/1.1, TLS by rustls on ring
/// trusting the Mozilla roots of `webpki-roots` (and roots given), `https` URLs only, no
/// redirects followed, bodies bounded, every exchange bounded by a timeout (default 30 s).
///
/// TLS runs on the process-default rustls provider when the application installed one
/// (`rustls::crypto::CryptoProvider::install_default`, aws-lc-rs for post-quantum key
/// exchange, say), else on ring. [`with_root_pem`](Self::with_root_pem) and
/// [`with_root_der`](Self::with_root_der) trust a private root (a corporate proxy's, or a
/// test server's) without naming a rustls type. [`with_resolve`](Self::with_resolve)
/// connects a host name to a fixed address instead of the one DNS gives (as
/// `curl --resolve` does): the request and the certificate check are for the name still.
/// Tests use both with a local TLS server.
///
/// ```
/// use aep_flow_run::journal::{HttpsClient, InvalidRoot};
///
/// let client = HttpsClient::new().with_timeout(std::time::Duration::from_secs(10));
/// // A root that does not read is an error, never a panic.
/// let refused: Result<HttpsClient, InvalidRoot> = client.with_root_pem("not a certificate");
/// assert!(refused.is_err());
/// ```
#[derive(Debug, Clone)]
pub struct HttpsClient {
    tls: Arc<rustls::ClientConfig>,
    /// The roots `tls` trusts, kept to add more.
    roots: RootCertStore,
    resolve: HashMap<String, SocketAddr>,
    timeout: Duration,
}

impl Default for HttpsClient {
    fn default() -> Self {
        HttpsClient::new()
    }
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    /// The response body is larger than the limit the caller gave.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// No response: what failed (never what was sent).
    Failed(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::TooLarge { limit } => {
                write!(f, "the response body is larger than {limit} bytes")
            }
            SendError::Failed(reason) => f.write_str(reason),
        }
    }
}

impl From<String> for SendError {
    fn from(reason: String) -> Self {
        SendError::Failed(reason)
    }
}

/// A response: status, the headers the callers read, and the body.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

impl HttpsClient {
    /// A client trusting the Mozilla roots (`webpki-roots`).
    pub fn new() -> Self {
        let roots = tls::mozilla_roots();
        HttpsClient {
            tls: tls::client_config(roots.clone()),
            roots,
            resolve: HashMap::new(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Trusts the root certificates of `pem` too (one `-----BEGIN CERTIFICATE-----` block,
    /// or a bundle of them): a corporate proxy's root, or a test server's. The roots trusted
    /// before stay trusted. An error says which certificate does not read.
    pub fn with_root_pem(mut self, pem: &str) -> Result<Self, InvalidRoot> {
        tls::add_pem(&mut self.roots, pem)?;
        self.tls = tls::client_config(self.roots.clone());
        Ok(self)
    }

    /// Trusts the root certificate `der` (DER bytes) too; see
    /// [`with_root_pem`](Self::with_root_pem).
    pub fn with_root_der(mut self, der: &[u8]) -> Result<Self, InvalidRoot> {
        tls::add_der(&mut self.roots, der)?;
        self.tls = tls::client_config(self.roots.clone());
        Ok(self)
    }

    /// Connects to `address` for `host` instead of the address DNS gives.
    pub fn with_resolve(mut self, host: &str, address: SocketAddr) -> Self {
        self.resolve.insert(host.to_ascii_lowercase(), address);
        self
    }

    /// The longest one exchange (connection, request, response body) may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Posts a JSON body to an `https` URL and gives the answer's status (its body is read,
    /// up to 64 KiB, and dropped): for incoming webhooks, such as a chat's. The error says
    /// what failed, never what was sent.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), aep_flow_run::BoxError> {
    /// use aep_flow_run::journal::HttpsClient;
    ///
    /// let url = url::Url::parse("https://hooks.example.com/services/T0/B0/x")?;
    /// let status = HttpsClient::new().post_json(&url, r#"{"text": "hello"}"#.to_owned()).await?;
    /// assert!((200..300).contains(&status));
    /// # Ok(()) }
    /// ```
    pub async fn post_json(&self, url: &Url, json: String) -> Result<u16, crate::BoxError> {
        let body = Some(("application/json", json));
        match self
            .send(http::Method::POST, url, &[], body, 64 * 1024)
            .await
        {
            Ok(fetched) => Ok(fetched.status),
            Err(error) => Err(error.to_string().into()),
        }
    }

    /// Sends one request and reads the response, its body bounded by `max_body` bytes.
    /// The error says what failed, never what was sent (a form may hold a secret).
    pub(crate) async fn send(
        &self,
        method: http::Method,
        url: &Url,
        headers: &[(http::HeaderName, String)],
        body: Option<(&'static str, String)>,
        max_body: usize,
    ) -> Result<Fetched, SendError> {
        let exchange = self.exchange(method, url, headers, body, max_body);
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Failed(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    async fn exchange(
        &self,
        method: http::Method,
        url: &Url,
        headers: &[(http::HeaderName, String)],
        body: Option<(&'static str, String)>,
        max_body: usize,
    ) -> Result<Fetched, SendError> {
        if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
            return Err("only https URLs without credentials are fetched"
                .to_owned()
                .into());
        }
        let host = url
            .host_str()
            .ok_or_else(|| "the URL has no host".to_owned())?;
        let mut sender = self
            .connect(host, url.port_or_known_default().unwrap_or(443))
            .await?;
        let request = request(method, url, host, headers, body)?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| format!("HTTP: {error}"))?;
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, max_body)
            .collect()
            .await
            .map_err(|error| {
                if error.is::<http_body_util::LengthLimitError>() {
                    SendError::TooLarge { limit: max_body }
                } else {
                    SendError::Failed(format!("reading the response body: {error}"))
                }
            })?
            .to_bytes();
        Ok(Fetched {
            status,
            headers: parts.headers,
            body,
        })
    }

    /// A TLS connection to `host`, ready for one HTTP/1.1 request.
    async fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, SendError> {
        let address = match self.resolve.get(&host.to_ascii_lowercase()) {
            Some(address) => *address,
            None => tokio::net::lookup_host((host, port))
                .await
                .map_err(|error| format!("resolving {host}: {error}"))?
                .next()
                .ok_or_else(|| format!("{host} has no address"))?,
        };
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|error| format!("connecting: {error}"))?;
        let name = ServerName::try_from(host.to_owned()).map_err(|error| format!("{error}"))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|error| format!("TLS: {error}"))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|error| format!("HTTP: {error}"))?;
        let limit = self.timeout;
        tokio::spawn(async move {
            let _ = tokio::time::timeout(limit, connection).await;
        });
        Ok(sender)
    }
}

/// The request for `url`, with its `Host` and the caller's headers and body.
fn request(
    method: http::Method,
    url: &Url,
    host: &str,
    headers: &[(http::HeaderName, String)],
    body: Option<(&'static str, String)>,
) -> Result<http::Request<Full<Bytes>>, SendError> {
    let host_header = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut request = http::Request::builder()
        .method(method)
        .uri(target)
        .header(http::header::HOST, host_header)
        .header(http::header::USER_AGENT, "aep-flow-run")
        .header(http::header::CONNECTION, "close");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let content = match body {
        Some((content_type, content)) => {
            request = request.header(http::header::CONTENT_TYPE, content_type);
            Bytes::from(content)
        }
        None => Bytes::new(),
    };
    Ok(request
        .body(Full::new(content))
        .map_err(|error| format!("request: {error}"))?)
}
