//! A [`KeySource`] over HTTPS (feature `fetch`): tokio, hyper and rustls on ring.

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use super::{public_key_url, KeySource, PUBLIC_KEY_BASE_URL};
use crate::journal::{HttpsClient, InvalidRoot, SendError};
use crate::{BoxError, BoxFuture};

/// The host of Adobe's keys: the only host this source connects to, and the name its TLS
/// certificate must carry.
const HOST: &str = "static.adobeioevents.com";

/// The largest key response read: a 4096-bit PEM key is under 1 KB.
const MAX_KEY_BYTES: usize = 16 * 1024;

/// Fetches Adobe's public keys from `https://static.adobeioevents.com` over HTTPS (HTTP/1.1,
/// TLS by rustls, trusting the Mozilla roots of `webpki-roots`: the [`HttpsClient`]), for
/// [`Receiver::with_key_source`](crate::webhook::Receiver::with_key_source). Needs a tokio
/// runtime.
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
    /// The journal's HTTPS client, for one host only.
    client: HttpsClient,
}

impl Default for HttpsKeySource {
    fn default() -> Self {
        HttpsKeySource::new()
    }
}

impl HttpsKeySource {
    /// A source trusting the Mozilla roots (`webpki-roots`).
    pub fn new() -> Self {
        HttpsKeySource::from_client(HttpsClient::new())
    }

    /// Trusts the root certificates of `pem` too (a corporate proxy's root, or a test
    /// server's); see [`HttpsClient::with_root_pem`].
    pub fn with_root_pem(mut self, pem: &str) -> Result<Self, InvalidRoot> {
        self.client = self.client.with_root_pem(pem)?;
        Ok(self)
    }

    /// Trusts the root certificate `der` (DER bytes) too; see [`HttpsClient::with_root_der`].
    pub fn with_root_der(mut self, der: &[u8]) -> Result<Self, InvalidRoot> {
        self.client = self.client.with_root_der(der)?;
        Ok(self)
    }

    fn from_client(client: HttpsClient) -> Self {
        // The connection is given up after a while whatever happens to the request (whose
        // caller bounds its own wait).
        let client = client.with_timeout(Duration::from_secs(30));
        HttpsKeySource { client }
    }

    /// Connects to `address` instead of the address DNS gives for
    /// `static.adobeioevents.com` (as `curl --resolve` does: for tests, or a fixed address).
    /// The request and the certificate check are for `static.adobeioevents.com` still.
    pub fn with_resolve(mut self, address: SocketAddr) -> Self {
        self.client = self.client.with_resolve(HOST, address);
        self
    }

    async fn get(&self, url: &Url) -> Result<String, BoxError> {
        // Only ever Adobe's key host, with a key path that stays there.
        let allowed = url
            .as_str()
            .strip_prefix(PUBLIC_KEY_BASE_URL)
            .is_some_and(|path| public_key_url(path).is_ok_and(|checked| checked == *url));
        if !allowed {
            return Err(format!("refused to fetch {url}").into());
        }
        let response = self
            .client
            .send(http::Method::GET, url, &[], None, MAX_KEY_BYTES)
            .await
            .map_err(|error| match error {
                SendError::TooLarge { .. } => format!("reading the key: {error}"),
                SendError::Failed(reason) => reason,
            })?;
        if response.status != 200 {
            let status = response.status;
            return Err(format!("status {status} (redirects are not followed)").into());
        }
        Ok(String::from_utf8(response.body.to_vec()).map_err(|_| "the key is no text")?)
    }
}

impl KeySource for HttpsKeySource {
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<String, BoxError>> {
        Box::pin(self.get(url))
    }
}
