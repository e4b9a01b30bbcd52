//! Checking that a delivery comes from Adobe I/O Events and is meant for us.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use url::Url;

use super::headers::header_names::{
    DIGITAL_SIGNATURE_1, DIGITAL_SIGNATURE_2, PUBLIC_KEY_1_PATH, PUBLIC_KEY_2_PATH,
};
use super::keys::{public_key_url, MAX_KEY_AGE};
use super::pem::{read_public_key, BASE64};
use super::recipient::{check_body, OrganizationPolicy, Policy};
use super::WebhookError;
use crate::text::clip;

/// The longest signature header read: a 4096-bit signature is 684 base64 characters.
const MAX_SIGNATURE_LEN: usize = 1024;

/// The lengths of an RSA signature by a key of 2048 to 4096 bits, in bytes.
const SIGNATURE_BYTES: std::ops::RangeInclusive<usize> = 256..=512;

/// The most events a delivery may hold by default: Adobe's batches hold at most 20.
pub const MAX_DELIVERY_EVENTS: usize = 20;

/// The most messages the message lists of one delivery may hold together. A message list is
/// one event of a batch, so its messages are not held to [`MAX_DELIVERY_EVENTS`]; they are
/// bounded by the body's size instead: one message per 128 bytes of the largest body
/// ([`MAX_DELIVERY_BYTES`](super::MAX_DELIVERY_BYTES)), where the smallest run message Adobe
/// sends is over 1 KB. They are counted as the body is read, before it is parsed.
pub const MAX_DELIVERY_MESSAGES: usize = super::MAX_DELIVERY_BYTES / 128;

/// Verifies Adobe I/O Events deliveries: the recipient client id they must be meant for,
/// and the public keys that sign them, by key path.
///
/// A delivery carries two signatures (`x-adobe-digital-signature-1` and `-2`, base64 RSA
/// PKCS#1 v1.5 SHA-256 over the raw body) and the paths of the two keys that made them
/// (`x-adobe-public-key1-path`, `-key2-path`). It is authentic when signature 1 verifies
/// with key 1 *or* signature 2 with key 2 (this is how Adobe rotates keys), and its body is
/// for us: a recipient client id it names (`recipient_client_id` or `recipientclientid`; in
/// a batch, every element's) is ours. A journal page is refused (Adobe never delivers
/// one), and so is a batch of more than [`MAX_DELIVERY_EVENTS`] elements
/// ([`with_max_events`](Self::with_max_events)) or message lists of more than
/// [`MAX_DELIVERY_MESSAGES`] messages.
///
/// # Bodies that name no recipient: the organisation
///
/// Adobe's message lists and alerts name no recipient client id, only an organisation
/// (`imsOrgId`). Anyone with an Adobe organisation can register your webhook's URL, and
/// Adobe signs what it sends them as it signs what it sends you, so the signature alone does
/// not say such a body is yours. Choose:
///
/// - [`with_organization`](Self::with_organization)`("XXXX@AdobeOrg")` (recommended): such a
///   body is accepted only when every `imsOrgId` in it is yours; another organisation's is
///   refused ([`WebhookError::OrganizationMismatch`], 403: not yours, Adobe need not retry).
/// - [`with_any_organization`](Self::with_any_organization): such a body is accepted on its
///   signature alone. Risk: another Adobe customer who registers your URL gets their alerts
///   and message lists handled as yours (their failed runs page your on-call).
/// - neither (the default): such a body is refused
///   ([`WebhookError::OrganizationNotSet`]) with `503`, so that Adobe retries it for 24
///   hours: once the organisation is set, the retries are accepted. Risk: until then, your own
///   alerts wait (and a registration that receives little else may be marked unstable).
///
/// Signatures are verified with `ring` (RSA PKCS#1 v1.5, SHA-256, keys of 2048 to 4096 bits).
///
/// **All four headers are required**, as Adobe's Java SDK requires them: Adobe always sends
/// both pairs, so a delivery missing one is not as Adobe sends it, and is refused with
/// [`WebhookError::MissingHeader`] even when the other pair would verify.
///
/// Keys are fetched by the caller (or by a [`Receiver`](super::Receiver) given a
/// [`KeySource`](super::KeySource)) from
/// [`public_key_url`]`(key_path)`, and kept at most [`MAX_KEY_AGE`] (24 h, as Adobe asks):
/// [`Verifier::missing_keys`] lists the URLs a delivery needs that the verifier lacks or holds
/// stale, and a stale key no longer verifies ([`WebhookError::StaleKey`]).
///
/// ```
/// use std::time::SystemTime;
/// use aep_flow_run::webhook::{Verifier, WebhookError};
///
/// let verifier = Verifier::new("my-client-id");
/// // A signature of a 2048-bit key: 256 bytes, in base64.
/// let signature = format!("{}==", "A".repeat(342));
/// let headers = [
///     ("x-adobe-digital-signature-1", signature.as_str()),
///     ("X-Adobe-Digital-Signature-2", signature.as_str()),
///     ("x-adobe-public-key1-path", "/prod/keys/pub-key-1.pem"),
///     ("x-adobe-public-key2-path", "/prod/keys/pub-key-2.pem"),
/// ];
/// // Which keys to fetch before this delivery can verify:
/// let urls = verifier.missing_keys(headers, SystemTime::now());
/// assert_eq!(urls[0].as_str(), "https://static.adobeioevents.com/prod/keys/pub-key-1.pem");
/// // Until then it cannot.
/// let error = verifier.verify(br#"{"recipient_client_id": "my-client-id"}"#, headers).unwrap_err();
/// assert!(matches!(error, WebhookError::UnknownKey { .. }));
/// assert_eq!(error.status_code(), 503); // Adobe retries; by then the key is here.
/// ```
///
/// `Debug` shows the key paths, sizes and fetch times, never key material.
#[derive(Clone)]
pub struct Verifier {
    recipient_client_id: String,
    organization: Organization,
    max_events: usize,
    keys: HashMap<String, StoredKey>,
    max_key_age: Duration,
}

#[derive(Clone)]
struct StoredKey {
    /// The PKCS#1 `RSAPublicKey` DER, as `ring` reads it.
    der: Arc<[u8]>,
    bits: usize,
    /// When it was fetched; `None` for a key added by hand, trusted until removed.
    fetched_at: Option<SystemTime>,
}

/// Which organisation a body that names no recipient client id must name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Organization {
    Unset,
    One(String),
    Any,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Keys<'a>(&'a HashMap<String, StoredKey>);

        impl fmt::Debug for Keys<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut paths: Vec<_> = self.0.iter().collect();
                paths.sort_by(|a, b| a.0.cmp(b.0));
                f.debug_map()
                    .entries(paths.into_iter().map(|(path, key)| {
                        let held = match key.fetched_at {
                            Some(at) => format!("{}-bit RSA key fetched at {at:?}", key.bits),
                            None => format!("{}-bit RSA key added by hand", key.bits),
                        };
                        (path, held)
                    }))
                    .finish()
            }
        }

        f.debug_struct("Verifier")
            .field("recipient_client_id", &self.recipient_client_id)
            .field("ims_org", &self.organization)
            .field("max_events", &self.max_events)
            .field("keys", &Keys(&self.keys))
            .field("max_key_age", &self.max_key_age)
            .finish()
    }
}

/// The four signature headers of a delivery.
struct SignatureHeaders<'a> {
    signatures: [&'a str; 2],
    key_paths: [&'a str; 2],
}

const SIGNATURE_NAMES: [&str; 2] = [DIGITAL_SIGNATURE_1, DIGITAL_SIGNATURE_2];

impl<'a> SignatureHeaders<'a> {
    /// Reads the four headers (names ignoring ASCII case, values trimmed); each must come
    /// exactly once and not be empty.
    fn read<I>(headers: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let names = [
            DIGITAL_SIGNATURE_1,
            DIGITAL_SIGNATURE_2,
            PUBLIC_KEY_1_PATH,
            PUBLIC_KEY_2_PATH,
        ];
        let mut values: [Option<&str>; 4] = [None; 4];
        for (name, value) in headers {
            if let Some(slot) = names.iter().position(|n| name.eq_ignore_ascii_case(n)) {
                if values[slot].is_some() {
                    return Err(WebhookError::DuplicateHeader { name: names[slot] });
                }
                values[slot] = Some(value.trim());
            }
        }
        let mut present = [""; 4];
        for (slot, value) in values.into_iter().enumerate() {
            match value {
                Some(value) if !value.is_empty() => present[slot] = value,
                _ => return Err(WebhookError::MissingHeader { name: names[slot] }),
            }
        }
        Ok(SignatureHeaders {
            signatures: [present[0], present[1]],
            key_paths: [present[2], present[3]],
        })
    }
}

impl Verifier {
    /// A verifier for deliveries meant for `recipient_client_id` (the client id, or API key,
    /// of the Adobe Developer Console project that registered the webhook), with no keys yet.
    pub fn new(recipient_client_id: impl Into<String>) -> Self {
        Verifier {
            recipient_client_id: recipient_client_id.into(),
            organization: Organization::Unset,
            max_events: MAX_DELIVERY_EVENTS,
            keys: HashMap::new(),
            max_key_age: MAX_KEY_AGE,
        }
    }

    /// Accepts a body that names no recipient client id (Adobe's message lists and alerts
    /// name none) only when every `imsOrgId` in it is `organization` (`XXXX@AdobeOrg`, your
    /// organisation), and it holds one; see [the type's documentation](Self#bodies-that-name-no-recipient-the-organisation).
    pub fn with_organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Organization::One(organization.into());
        self
    }

    /// Accepts a body that names no recipient client id on its signature alone, from any
    /// organisation. Another Adobe customer who registers your URL then gets their alerts
    /// handled as yours: prefer [`with_organization`](Self::with_organization).
    pub fn with_any_organization(mut self) -> Self {
        self.organization = Organization::Any;
        self
    }

    /// Refuses a batch of more than `max_events` elements
    /// ([`WebhookError::TooManyEvents`]); the default is Adobe's 20
    /// ([`MAX_DELIVERY_EVENTS`]).
    pub fn with_max_events(mut self, max_events: usize) -> Self {
        self.max_events = max_events;
        self
    }

    /// The organisation checked, when set.
    pub fn organization(&self) -> Option<&str> {
        match &self.organization {
            Organization::One(organization) => Some(organization),
            _ => None,
        }
    }

    /// Whether bodies that name no recipient client id are accepted from any organisation
    /// ([`with_any_organization`](Self::with_any_organization)).
    pub fn accepts_any_organization(&self) -> bool {
        self.organization == Organization::Any
    }

    /// The most elements a batch may hold.
    pub fn max_events(&self) -> usize {
        self.max_events
    }

    /// Keeps keys for at most `max_key_age` instead of 24 hours; longer is capped at
    /// [`MAX_KEY_AGE`].
    pub fn with_max_key_age(mut self, max_key_age: Duration) -> Self {
        self.max_key_age = max_key_age.min(MAX_KEY_AGE);
        self
    }

    /// The recipient client id deliveries must name.
    pub fn recipient_client_id(&self) -> &str {
        &self.recipient_client_id
    }

    /// How long a fetched key is used after it was fetched (a key added by hand is used
    /// until it is removed).
    pub fn max_key_age(&self) -> Duration {
        self.max_key_age
    }

    /// Registers the PEM (SubjectPublicKeyInfo, `-----BEGIN PUBLIC KEY-----`; PKCS#1
    /// `BEGIN RSA PUBLIC KEY` is accepted too) key served at this key path, trusted until it
    /// is removed ([`remove_key`](Self::remove_key)) or replaced: a key added by hand never
    /// goes stale by age (keys fetched from a [`KeySource`](super::KeySource), and those
    /// given to [`add_public_key_pem_at`](Self::add_public_key_pem_at), do).
    ///
    /// The key path must pass [`public_key_url`]; the key must be RSA of 2048 to 4096 bits.
    /// A key already held for the path is replaced.
    pub fn add_public_key_pem(&mut self, key_path: &str, pem: &str) -> Result<(), WebhookError> {
        self.insert_key(key_path, pem, None)
    }

    /// Registers a key fetched at `fetched_at` (from a cache shared with other replicas, or
    /// in tests): it is used for [`max_key_age`](Self::max_key_age) from then, and then
    /// refused as stale until it is fetched again.
    pub fn add_public_key_pem_at(
        &mut self,
        key_path: &str,
        pem: &str,
        fetched_at: SystemTime,
    ) -> Result<(), WebhookError> {
        self.insert_key(key_path, pem, Some(fetched_at))
    }

    fn insert_key(
        &mut self,
        key_path: &str,
        pem: &str,
        fetched_at: Option<SystemTime>,
    ) -> Result<(), WebhookError> {
        public_key_url(key_path)?;
        let invalid = |reason: String| WebhookError::InvalidPublicKey {
            key_path: key_path.to_owned(),
            reason,
        };
        let key = read_public_key(pem).map_err(invalid)?;
        self.keys.insert(
            key_path.to_owned(),
            StoredKey {
                der: key.pkcs1.into(),
                bits: key.bits,
                fetched_at,
            },
        );
        Ok(())
    }

    /// Counts a held key as fetched at `fetched_at` (the last good key kept while its refresh
    /// fails).
    pub(crate) fn extend_key(&mut self, key_path: &str, fetched_at: SystemTime) {
        if let Some(key) = self.keys.get_mut(key_path) {
            if key.fetched_at.is_some() {
                key.fetched_at = Some(fetched_at);
            }
        }
    }

    /// Forgets the key of a key path; `true` when one was held.
    pub fn remove_key(&mut self, key_path: &str) -> bool {
        self.keys.remove(key_path).is_some()
    }

    /// Forgets every fetched key older than the maximum age at `now` (keys added by hand
    /// stay); returns how many.
    pub fn remove_stale_keys(&mut self, now: SystemTime) -> usize {
        let before = self.keys.len();
        let max_age = self.max_key_age;
        self.keys
            .retain(|_, key| key.fetched_at.is_none_or(|at| age(at, now) <= max_age));
        before - self.keys.len()
    }

    /// The key paths held, in no particular order.
    pub fn key_paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.keys().map(String::as_str)
    }

    /// When the key of a key path was fetched, if one is held that was fetched (`None` for
    /// a key added by hand, too: see [`has_key`](Self::has_key)).
    pub fn key_fetched_at(&self, key_path: &str) -> Option<SystemTime> {
        self.keys.get(key_path).and_then(|key| key.fetched_at)
    }

    /// Whether a key is held for the key path, fresh or not.
    pub fn has_key(&self, key_path: &str) -> bool {
        self.keys.contains_key(key_path)
    }

    /// Whether a key is held for `key_path` that was added by hand, or fetched at most
    /// `max_age` before `now`.
    pub(crate) fn held_within(&self, key_path: &str, now: SystemTime, max_age: Duration) -> bool {
        self.keys
            .get(key_path)
            .is_some_and(|key| key.fetched_at.is_none_or(|at| age(at, now) <= max_age))
    }

    /// The key URLs this delivery's headers name that the verifier lacks or holds stale at
    /// `now`: fetch these, add them, and the delivery can be verified. At most two, in key
    /// order, without repeats.
    ///
    /// The headers must pass [`verify`](Self::verify)'s rule first: all four signature
    /// headers, each exactly once (names ignoring ASCII case); otherwise nothing is to be
    /// fetched (verification refuses the delivery anyway), so that one unsigned request
    /// cannot make a service fetch many keys. A pair whose signature is no base64 of an RSA
    /// signature's length (256 to 512 bytes), and key paths that [`public_key_url`] refuses,
    /// are left out too.
    pub fn missing_keys<'a, I>(&self, headers: I, now: SystemTime) -> Vec<Url>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.keys_due(headers, now, self.max_key_age)
    }

    /// [`missing_keys`](Self::missing_keys), counting a key fetched longer than
    /// `refresh_after` ago as due (a key source asked more often than keys go stale).
    pub(crate) fn keys_due<'a, I>(
        &self,
        headers: I,
        now: SystemTime,
        refresh_after: Duration,
    ) -> Vec<Url>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let Ok(headers) = SignatureHeaders::read(headers) else {
            return Vec::new();
        };
        let mut urls: Vec<Url> = Vec::with_capacity(2);
        for (signature, path) in headers.signatures.into_iter().zip(headers.key_paths) {
            // A pair whose signature could never verify needs no key.
            if self.held_within(path, now, refresh_after) || !plausible_signature(signature) {
                continue;
            }
            if let Ok(url) = public_key_url(path) {
                if !urls.contains(&url) {
                    urls.push(url);
                }
            }
        }
        urls
    }

    /// Ok when signature 1 verifies with key 1 or signature 2 with key 2, over the raw body,
    /// and the body is for us (see the type's documentation: a recipient client id it names
    /// is ours, every element's for a batch; the organisation when configured). Header
    /// names are matched case-insensitively. Keys older than the maximum age are refused
    /// ([`WebhookError::StaleKey`]); see [`verify_at`](Self::verify_at).
    ///
    /// When neither pair verifies, the error is the most telling of the two failures: a
    /// refused key path, then a missing or stale key (fetch it: [`missing_keys`](Self::missing_keys)),
    /// then a signature mismatch, then a signature that is no base64; pair 1's on a tie.
    pub fn verify<'a, I>(&self, body: &[u8], headers: I) -> Result<(), WebhookError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.verify_at(body, headers, SystemTime::now())
    }

    /// [`verify`](Self::verify), judging key age at `now`.
    pub fn verify_at<'a, I>(
        &self,
        body: &[u8],
        headers: I,
        now: SystemTime,
    ) -> Result<(), WebhookError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let headers = SignatureHeaders::read(headers)?;
        let pairs = SIGNATURE_NAMES
            .into_iter()
            .zip(headers.signatures)
            .zip(headers.key_paths);
        let mut worst: Option<WebhookError> = None;
        for ((signature_header, signature), key_path) in pairs {
            match self.check_pair(body, signature_header, signature, key_path, now) {
                Ok(()) => return check_body(body, self.policy()),
                Err(failure) => {
                    if worst.as_ref().is_none_or(|w| rank(&failure) > rank(w)) {
                        worst = Some(failure);
                    }
                }
            }
        }
        Err(worst.unwrap_or(WebhookError::SignatureMismatch))
    }

    fn policy(&self) -> Policy<'_> {
        Policy {
            recipient: &self.recipient_client_id,
            organization: match &self.organization {
                Organization::Unset => OrganizationPolicy::Unset,
                Organization::One(organization) => OrganizationPolicy::One(organization),
                Organization::Any => OrganizationPolicy::Any,
            },
            max_events: self.max_events,
            max_messages: MAX_DELIVERY_MESSAGES,
        }
    }

    fn check_pair(
        &self,
        body: &[u8],
        signature_header: &'static str,
        signature: &str,
        key_path: &str,
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        public_key_url(key_path)?;
        let not_base64 = || WebhookError::InvalidSignatureEncoding {
            header: signature_header,
        };
        if signature.len() > MAX_SIGNATURE_LEN {
            return Err(not_base64());
        }
        let signature = BASE64.decode(signature).map_err(|_| not_base64())?;
        // No key of 2048 to 4096 bits makes a signature of another length: no key to fetch.
        if !SIGNATURE_BYTES.contains(&signature.len()) {
            return Err(WebhookError::SignatureMismatch);
        }
        let key = self
            .keys
            .get(key_path)
            .ok_or_else(|| WebhookError::UnknownKey {
                key_path: clip(key_path, 200),
            })?;
        if let Some(fetched_at) = key.fetched_at {
            let key_age = age(fetched_at, now);
            if key_age > self.max_key_age {
                return Err(WebhookError::StaleKey {
                    key_path: clip(key_path, 200),
                    age: key_age,
                });
            }
        }
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &*key.der)
            .verify(body, &signature)
            .map_err(|_| WebhookError::SignatureMismatch)
    }
}

/// Whether a signature header could hold an RSA signature of 2048 to 4096 bits: base64 of
/// 256 to 512 bytes. Checked before any key is fetched for its pair.
fn plausible_signature(signature: &str) -> bool {
    signature.len() <= MAX_SIGNATURE_LEN
        && BASE64
            .decode(signature)
            .is_ok_and(|bytes| SIGNATURE_BYTES.contains(&bytes.len()))
}

/// How long ago `then` was at `now` (zero when the clock went back).
fn age(then: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or(Duration::ZERO)
}

/// How telling a pair's failure is, to pick the one to report.
fn rank(error: &WebhookError) -> u8 {
    match error {
        WebhookError::InvalidKeyPath { .. } => 4,
        WebhookError::UnknownKey { .. } | WebhookError::StaleKey { .. } => 3,
        WebhookError::SignatureMismatch => 2,
        _ => 1,
    }
}
