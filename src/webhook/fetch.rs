//! A [`KeySource`] over HTTPS (feature `fetch`): tokio, hyper and rustls on ring.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use url::Url;

use super::key_source::{KeyFetchError, KeyFuture, KeySource};
use super::keys::{public_key_url, PUBLIC_KEY_BASE_URL};

/// The host of Adobe's keys: the only host this source connects to, and the name its TLS
/// certificate must carry.
const HOST: &str = "static.adobeioevents.com";

/// The largest key response read: a 4096-bit PEM key is under 1 KB.
const MAX_KEY_BYTES: usize = 16 * 1024;

/// Fetches Adobe's public keys from `https://static.adobeioevents.com` over HTTPS (HTTP/1.1,
/// TLS by rustls on ring, trusting the Mozilla roots of `webpki-roots`), for
/// [`Receiver::with_key_source`](super::Receiver::with_key_source). Needs a tokio runtime.
///
/// It never connects anywhere else: a URL that is not `https://static.adobeioevents.com` + a
/// key path [`public_key_url`] accepts is refused before any connection, redirects are not
/// followed (any status but 200 is an error), and the certificate must be valid for
/// `static.adobeioevents.com`. Responses above 16 KB or that are no text are refused.
///
/// ```no_run
/// use aep_flow_run::webhook::{HttpsKeySource, KeyFetchSettings, Receiver, Verifier};
///
/// let receiver = Receiver::new(Verifier::new("my-client-id"))
///     .with_key_source(HttpsKeySource::new(), KeyFetchSettings::default());
/// ```
#[derive(Debug, Clone)]
pub struct HttpsKeySource {
    tls: Arc<rustls::ClientConfig>,
    connect_to: Option<SocketAddr>,
}

impl Default for HttpsKeySource {
    fn default() -> Self {
        HttpsKeySource::new()
    }
}

impl HttpsKeySource {
    /// A source trusting the Mozilla roots (`webpki-roots`).
    pub fn new() -> Self {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        HttpsKeySource::with_roots(roots)
    }

    /// A source trusting `roots` instead (a private root in tests, or a corporate proxy's).
    pub fn with_roots(roots: rustls::RootCertStore) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        HttpsKeySource {
            tls: Arc::new(tls),
            connect_to: None,
        }
    }

    /// Connects to `address` instead of the address DNS gives for
    /// `static.adobeioevents.com` (as `curl --resolve` does: for tests, or a fixed address).
    /// The request and the certificate check are for `static.adobeioevents.com` still.
    pub fn resolve_to(mut self, address: SocketAddr) -> Self {
        self.connect_to = Some(address);
        self
    }

    async fn get(&self, url: &Url) -> Result<String, KeyFetchError> {
        let fail = |what: &str, error: &dyn std::fmt::Display| {
            KeyFetchError::new(format!("{what}: {error}"))
        };
        // Only ever Adobe's key host, with a key path that stays there.
        let key_path = url
            .as_str()
            .strip_prefix(PUBLIC_KEY_BASE_URL)
            .filter(|path| public_key_url(path).is_ok_and(|checked| checked == *url))
            .ok_or_else(|| KeyFetchError::new(format!("refused to fetch {url}")))?;
        let address = match self.connect_to {
            Some(address) => address,
            None => tokio::net::lookup_host((HOST, 443))
                .await
                .map_err(|error| fail("resolving static.adobeioevents.com", &error))?
                .next()
                .ok_or_else(|| KeyFetchError::new("static.adobeioevents.com has no address"))?,
        };
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|error| fail("connecting", &error))?;
        let name = ServerName::try_from(HOST).expect("a valid DNS name");
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|error| fail("TLS", &error))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|error| fail("HTTP", &error))?;
        // The connection is driven beside the request, and given up after a while whatever
        // happens to the request (whose caller bounds its own wait).
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(30), connection).await;
        });
        let request = http::Request::get(key_path)
            .header(http::header::HOST, HOST)
            .header(http::header::USER_AGENT, "aep-flow-run")
            .header(http::header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(|error| fail("request", &error))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| fail("HTTP", &error))?;
        if response.status() != http::StatusCode::OK {
            return Err(KeyFetchError::new(format!(
                "status {} (redirects are not followed)",
                response.status().as_u16()
            )));
        }
        let body = Limited::new(response.into_body(), MAX_KEY_BYTES)
            .collect()
            .await
            .map_err(|error| fail("reading the key", &*error))?
            .to_bytes();
        String::from_utf8(body.to_vec()).map_err(|_| KeyFetchError::new("the key is no text"))
    }
}

impl KeySource for HttpsKeySource {
    fn fetch<'a>(&'a self, url: &'a Url) -> KeyFuture<'a> {
        Box::pin(self.get(url))
    }
}
