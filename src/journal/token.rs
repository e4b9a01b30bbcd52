//! Access tokens for the journal: a provider trait, and Adobe IMS's OAuth Server-to-Server
//! (client credentials) call (feature `fetch`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use url::Url;

use super::client::HttpsClient;
use super::clock::{Clock, SystemClock};
use super::JournalError;
use crate::pluggable::forward_impls;
use crate::text::clip;
use crate::BoxFuture;

/// The IMS token endpoint (North America; Adobe's documented default).
pub const IMS_TOKEN_URL: &str = "https://ims-na1.adobelogin.com/ims/token/v3";

/// The largest token response read.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// The longest a token is used, whatever `expires_in` says: IMS's tokens live 24 hours,
/// and a token used past its real end is answered 401, then renewed.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A bearer token. Its `Debug` shows no secret; [`secret`](Self::secret) gives it to put in
/// an `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// A token from its text.
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    /// The token itself.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// Gives the bearer token for journal calls: cached and renewed by the provider. A provider
/// that cannot give one fails with [`JournalError::Token`].
pub trait TokenProvider: Send + Sync {
    /// A token valid for a while yet.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, JournalError>>;

    /// Forgets the cached token (a call was answered 401 with it): the next
    /// [`token`](Self::token) asks for a new one.
    fn invalidate(&self) {}
}

forward_impls!(TokenProvider {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, JournalError>>;
    fn invalidate(&self);
});

/// A fixed token (one obtained elsewhere, or for tests).
#[derive(Debug, Clone)]
pub struct StaticToken(pub AccessToken);

impl TokenProvider for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, JournalError>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }
}

/// An OAuth Server-to-Server credential of the Adobe Developer Console: client id, client
/// secret and scopes. Its `Debug` shows no secret.
#[derive(Clone)]
pub struct ImsCredentials {
    client_id: String,
    client_secret: String,
    scopes: String,
}

impl ImsCredentials {
    /// A credential; `scopes` comma-separated, as the Console lists them (for the journal,
    /// at least `adobeio_api`, plus what the project's APIs need).
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        scopes: impl Into<String>,
    ) -> Self {
        ImsCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: scopes.into(),
        }
    }

    /// The client id (also the `x-api-key` of journal calls).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

impl fmt::Debug for ImsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImsCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Tokens from Adobe IMS by the client-credentials grant: `POST` to the token endpoint
/// ([`IMS_TOKEN_URL`] unless [`with_endpoint`](Self::with_endpoint) says otherwise) with the
/// form `grant_type=client_credentials`, `client_id`, `client_secret`, `scope`. IMS gives no
/// refresh token: a token (valid 24 hours) is cached and a new one asked for when it is
/// within [`with_renew_before`](Self::with_renew_before) of its expiry (1 hour by default, or half its
/// lifetime when that is shorter), so calls never go out with a token about to expire. One
/// request at a time: callers waiting meanwhile get the token it brings.
///
/// ```no_run
/// use aep_flow_run::journal::{ImsCredentials, ImsTokenProvider};
///
/// let credentials = ImsCredentials::new(
///     std::env::var("AIO_CLIENT_ID")?,
///     std::env::var("AIO_CLIENT_SECRET")?,
///     "adobeio_api,openid,AdobeID",
/// );
/// let tokens = ImsTokenProvider::new(credentials);
/// # Ok::<(), std::env::VarError>(())
/// ```
pub struct ImsTokenProvider {
    credentials: ImsCredentials,
    endpoint: Url,
    client: HttpsClient,
    clock: Arc<dyn Clock>,
    renew_before: Duration,
    cached: tokio::sync::Mutex<Option<Cached>>,
    /// Set by `invalidate` (which cannot wait for the mutex): the cached token is not used.
    stale: std::sync::atomic::AtomicBool,
}

struct Cached {
    token: AccessToken,
    renew_at: SystemTime,
}

impl fmt::Debug for ImsTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImsTokenProvider")
            .field("credentials", &self.credentials)
            .field("endpoint", &self.endpoint.as_str())
            .field("renew_before", &self.renew_before)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ImsErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

impl ImsTokenProvider {
    /// A provider for `credentials`, asking [`IMS_TOKEN_URL`] over [`HttpsClient::new`].
    pub fn new(credentials: ImsCredentials) -> Self {
        ImsTokenProvider {
            credentials,
            endpoint: Url::parse(IMS_TOKEN_URL).expect("a valid URL"),
            client: HttpsClient::new(),
            clock: Arc::new(SystemClock),
            renew_before: Duration::from_secs(3600),
            cached: tokio::sync::Mutex::new(None),
            stale: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Asks another token endpoint (another IMS region, or a test server); it must be
    /// `https` (the client fetches nothing else).
    pub fn with_endpoint(mut self, endpoint: Url) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Uses `client` (other roots, a fixed address).
    pub fn with_client(mut self, client: HttpsClient) -> Self {
        self.client = client;
        self
    }

    /// Uses `clock` to decide when a token is due (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Renews a token this long before it expires (at most half its lifetime before).
    pub fn with_renew_before(mut self, margin: Duration) -> Self {
        self.renew_before = margin;
        self
    }

    fn endpoint_name(&self) -> String {
        let mut endpoint = self.endpoint.clone();
        endpoint.set_query(None);
        endpoint.to_string()
    }

    async fn get(&self) -> Result<AccessToken, JournalError> {
        let mut cached = self.cached.lock().await;
        let stale = self.stale.swap(false, std::sync::atomic::Ordering::SeqCst);
        if let Some(current) = cached.as_ref().filter(|_| !stale) {
            if self.clock.now() < current.renew_at {
                return Ok(current.token.clone());
            }
        }
        *cached = None;
        let fresh = self.request().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    async fn request(&self) -> Result<Cached, JournalError> {
        let endpoint = self.endpoint_name();
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.credentials.client_id)
            .append_pair("client_secret", &self.credentials.client_secret)
            .append_pair("scope", &self.credentials.scopes)
            .finish();
        let asked_at = self.clock.now();
        let response = self
            .client
            .send(
                http::Method::POST,
                &self.endpoint,
                &[(http::header::ACCEPT, "application/json".to_owned())],
                Some(("application/x-www-form-urlencoded", form)),
                MAX_TOKEN_BYTES,
            )
            .await
            .map_err(|error| JournalError::Token {
                endpoint: endpoint.clone(),
                status: None,
                reason: error.to_string(),
            })?;
        if response.status != 200 {
            let reason = refusal_text(&response.body, &self.credentials.client_secret);
            return Err(JournalError::Token {
                endpoint,
                status: Some(response.status),
                reason,
            });
        }
        let (token, lifetime) =
            read_token(&response.body).map_err(|reason| JournalError::Token {
                endpoint,
                status: None,
                reason: format!("no usable token: {reason}"),
            })?;
        let margin = self.renew_before.min(lifetime / 2);
        Ok(Cached {
            token,
            renew_at: crate::deadline::time_after(asked_at, lifetime - margin),
        })
    }
}

/// What IMS said when it refused: its `error` and `error_description`, with the client
/// secret taken out wherever it is echoed (as sent in the form, or decoded). Nothing else of
/// the body is kept: an endpoint that echoes the form would put the secret there, cut
/// anywhere.
fn refusal_text(body: &[u8], secret: &str) -> String {
    let message = match serde_json::from_slice::<ImsErrorBody>(body) {
        Ok(ImsErrorBody {
            error: Some(error),
            error_description,
        }) => match error_description {
            Some(description) => format!("{error}: {description}"),
            None => error,
        },
        _ => format!("no IMS error in the answer ({} bytes)", body.len()),
    };
    clip(&redact(&message, secret), 300)
}

/// `text` without `secret`, in any of the spellings an endpoint may echo it in: as it is,
/// form-encoded, or percent-encoded.
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let mut redacted = text.to_owned();
    for spelling in [secret, form.as_str(), percent.as_str()] {
        redacted = redacted.replace(spelling, "<redacted>");
    }
    redacted
}

/// The token and its lifetime from a `200`'s body, or what is wrong with it.
fn read_token(body: &[u8]) -> Result<(AccessToken, Duration), &'static str> {
    let body: TokenResponse =
        serde_json::from_slice(body).map_err(|_| "the body is no JSON token response")?;
    let token = body
        .access_token
        .filter(|token| !token.is_empty())
        .ok_or("no `access_token`")?;
    if token.bytes().any(|byte| !(0x21..0x7f).contains(&byte)) {
        return Err("the `access_token` holds characters a header cannot");
    }
    if let Some(kind) = &body.token_type {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err("the `token_type` is not bearer");
        }
    }
    let lifetime = match &body.expires_in {
        Some(serde_json::Value::Number(seconds)) => seconds.as_u64(),
        Some(serde_json::Value::String(seconds)) => seconds.parse().ok(),
        _ => None,
    }
    .filter(|&seconds| seconds > 0)
    .ok_or("no positive `expires_in`")?;
    let lifetime = Duration::from_secs(lifetime).min(MAX_TOKEN_LIFETIME);
    Ok((AccessToken(token), lifetime))
}

impl TokenProvider for ImsTokenProvider {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, JournalError>> {
        Box::pin(self.get())
    }

    fn invalidate(&self) {
        self.stale.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_taken_out_of_what_the_endpoint_echoes() {
        let secret = "p8e-S3cr3t+/=&x y";
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_secret", secret)
            .finish();
        let echoed = serde_json::json!({
            "error": "invalid_client",
            "error_description": format!("bad form {form}; secret {secret}"),
        });
        let text = refusal_text(echoed.to_string().as_bytes(), secret);
        assert!(!text.contains("S3cr3t"), "{text}");
        assert!(text.starts_with("invalid_client: bad form client_secret=<redacted>"));
        // A body that is no IMS error is not echoed at all.
        let text = refusal_text(format!("grant_type=x&{form}").as_bytes(), secret);
        assert_eq!(
            text,
            format!("no IMS error in the answer ({} bytes)", 13 + form.len())
        );
    }

    #[test]
    fn an_endless_expiry_is_a_day_not_a_panic() {
        let body = br#"{"access_token": "t", "expires_in": 18446744073709551615}"#;
        let (_, lifetime) = read_token(body).unwrap();
        assert_eq!(lifetime, MAX_TOKEN_LIFETIME);
    }
}
