//! Where keys come from: a [`KeySource`], and how often it may be asked.

use std::time::Duration;

use url::Url;

use super::MAX_KEY_AGE;
use crate::pluggable::forward_impls;
use crate::{BoxError, BoxFuture};

/// Fetches a public key: plug in any HTTP client.
///
/// The URL is always `https://static.adobeioevents.com` + a key path that
/// [`public_key_url`](super::public_key_url) accepted; an implementation must not follow
/// redirects to another host, should refuse bodies larger than a few kilobytes, and should
/// answer an error for any status other than 200. Its error, any error, is kept as the
/// source of [`WebhookError::KeyUnavailable`](crate::webhook::WebhookError::KeyUnavailable).
pub trait KeySource: Send + Sync {
    /// GETs `url` and gives the body (the PEM text).
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<String, BoxError>>;

    /// How long a key this source gave is used before the source is asked for it again
    /// (when a delivery needs it): by default, and at most, [`MAX_KEY_AGE`] (24 hours, as
    /// Adobe asks). A source that sees changes cheaply says less:
    /// [`DirKeySource`](crate::webhook::DirKeySource) is asked again after a second, so that
    /// a key file replaced is used within a second.
    fn refresh_after(&self) -> Duration {
        MAX_KEY_AGE
    }
}

forward_impls!(KeySource {
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<String, BoxError>>;
    fn refresh_after(&self) -> Duration;
});

/// How keys are fetched; see [`Receiver::with_key_source`](crate::webhook::Receiver::with_key_source).
///
/// There is no limit on how many new key paths may be fetched: a request reaches a fetch
/// only once everything but its signature has been checked, each path is fetched once
/// however many requests name it, and a failed path is not fetched again for
/// [`retry_after_failure`](Self::retry_after_failure). A budget of new paths would be spent
/// by strangers naming random paths before a genuine new key could be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyFetchSettings {
    /// The longest one fetch may take (default 3 s); the delivery waiting for it gets 503.
    pub timeout: Duration,
    /// How long a key path whose fetch failed is not fetched again (default 5 minutes);
    /// a held key whose refresh failed is used that much longer.
    pub retry_after_failure: Duration,
    /// The most failed key paths remembered (default 1024); beyond that, the one due
    /// soonest is forgotten first (a full table never stops a new path from being fetched).
    pub max_failed_paths: usize,
}

impl Default for KeyFetchSettings {
    fn default() -> Self {
        KeyFetchSettings {
            timeout: Duration::from_secs(3),
            retry_after_failure: Duration::from_secs(300),
            max_failed_paths: 1024,
        }
    }
}
