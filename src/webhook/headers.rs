//! The delivery headers Adobe I/O Events sends with each delivery.

use crate::EventCode;

use super::WebhookError;

/// The names of the headers Adobe I/O Events sends, lower case (header names are matched
/// ignoring ASCII case everywhere in this module).
pub mod header_names {
    /// Base64 RSA SHA-256 signature of the body made with key 1.
    pub const DIGITAL_SIGNATURE_1: &str = "x-adobe-digital-signature-1";
    /// Base64 RSA SHA-256 signature of the body made with key 2.
    pub const DIGITAL_SIGNATURE_2: &str = "x-adobe-digital-signature-2";
    /// Path of public key 1 under `https://static.adobeioevents.com`.
    pub const PUBLIC_KEY_1_PATH: &str = "x-adobe-public-key1-path";
    /// Path of public key 2 under `https://static.adobeioevents.com`.
    pub const PUBLIC_KEY_2_PATH: &str = "x-adobe-public-key2-path";
    /// The event id (also in the body); the same on every redelivery.
    pub const EVENT_ID: &str = "x-adobe-event-id";
    /// How many times the delivery was retried; absent on the first attempt.
    pub const RETRY_COUNT: &str = "x-adobe-retry-count";
    /// The id of this delivery attempt.
    pub const DELIVERY_ID: &str = "x-adobe-delivery-id";
    /// The event code.
    pub const EVENT_CODE: &str = "x-adobe-event-code";
    /// The event provider id.
    pub const PROVIDER: &str = "x-adobe-provider";
    /// The request id, for Adobe support.
    pub const REQUEST_ID: &str = "x-request-id";
}

use header_names::{DELIVERY_ID, EVENT_CODE, EVENT_ID, PROVIDER, REQUEST_ID, RETRY_COUNT};

/// The metadata headers of a delivery, typed.
///
/// ```
/// use aep_flow_run::webhook::DeliveryHeaders;
/// use aep_flow_run::EventCode;
///
/// let headers = DeliveryHeaders::from_pairs([
///     ("X-Adobe-Event-Id", "aec55616-1715-487f-8044-ba648cc8ffee"),
///     ("x-adobe-retry-count", "2"),
///     ("x-adobe-event-code", "sources_flow_run_failed"),
///     ("content-type", "application/json"),
/// ])?;
/// assert_eq!(headers.event_id.as_deref(), Some("aec55616-1715-487f-8044-ba648cc8ffee"));
/// assert_eq!(headers.event_code, Some(EventCode::FlowRunFailure));
/// assert!(headers.is_retry());
/// assert_eq!(DeliveryHeaders::from_pairs([])?.retry_count, 0); // first attempt
/// # Ok::<(), aep_flow_run::webhook::WebhookError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryHeaders {
    /// `x-adobe-event-id`: the event id, the same on every redelivery (for a batch, Adobe
    /// may send none; each event carries its own in the body).
    pub event_id: Option<String>,
    /// `x-adobe-retry-count`: how many times this delivery was retried; `0` (the header is
    /// absent) on the first attempt.
    pub retry_count: u32,
    /// `x-adobe-delivery-id`: the id of this delivery attempt.
    pub delivery_id: Option<String>,
    /// `x-adobe-event-code`: the event code.
    pub event_code: Option<EventCode>,
    /// `x-adobe-provider`: the event provider.
    pub provider: Option<String>,
    /// `x-request-id`: the request id, for Adobe support.
    pub request_id: Option<String>,
}

impl DeliveryHeaders {
    /// Reads the delivery headers from name-value pairs; names are matched ignoring ASCII
    /// case, values are trimmed, empty values count as absent, other headers are ignored.
    ///
    /// Errors: a header given twice ([`WebhookError::DuplicateHeader`]), a retry count that is
    /// no non-negative integer ([`WebhookError::InvalidHeader`]).
    pub fn from_pairs<'a, I>(headers: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut out = DeliveryHeaders::default();
        let mut retry_count: Option<&str> = None;
        for (name, value) in headers {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let set = |slot: &mut Option<String>, name: &'static str| {
                if slot.is_some() {
                    return Err(WebhookError::DuplicateHeader { name });
                }
                *slot = Some(value.to_owned());
                Ok(())
            };
            if name.eq_ignore_ascii_case(EVENT_ID) {
                set(&mut out.event_id, EVENT_ID)?;
            } else if name.eq_ignore_ascii_case(DELIVERY_ID) {
                set(&mut out.delivery_id, DELIVERY_ID)?;
            } else if name.eq_ignore_ascii_case(PROVIDER) {
                set(&mut out.provider, PROVIDER)?;
            } else if name.eq_ignore_ascii_case(REQUEST_ID) {
                set(&mut out.request_id, REQUEST_ID)?;
            } else if name.eq_ignore_ascii_case(EVENT_CODE) {
                if out.event_code.is_some() {
                    return Err(WebhookError::DuplicateHeader { name: EVENT_CODE });
                }
                out.event_code = Some(EventCode::from(value));
            } else if name.eq_ignore_ascii_case(RETRY_COUNT) {
                if retry_count.is_some() {
                    return Err(WebhookError::DuplicateHeader { name: RETRY_COUNT });
                }
                retry_count = Some(value);
            }
        }
        if let Some(count) = retry_count {
            out.retry_count = count.parse().map_err(|_| WebhookError::InvalidHeader {
                name: RETRY_COUNT,
                reason: "not a non-negative integer",
            })?;
        }
        Ok(out)
    }

    /// Whether this is a redelivery (the retry count is above zero).
    pub fn is_retry(&self) -> bool {
        self.retry_count > 0
    }

    /// Which attempt this is: 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.retry_count.saturating_add(1)
    }
}

/// The headers of an `http::HeaderMap` as name-value pairs, for
/// [`Verifier::verify`](super::Verifier::verify) and [`DeliveryHeaders::from_pairs`]. Values
/// that are not visible ASCII are left out.
///
/// ```
/// let mut map = http::HeaderMap::new();
/// map.insert("x-adobe-event-id", "e1".parse().unwrap());
/// let pairs: Vec<_> = aep_flow_run::webhook::header_pairs(&map).collect();
/// assert_eq!(pairs, [("x-adobe-event-id", "e1")]);
/// ```
#[cfg(feature = "http")]
pub fn header_pairs(headers: &http::HeaderMap) -> impl Iterator<Item = (&str, &str)> + '_ {
    headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
}

/// Reads the delivery headers of an `http::HeaderMap`; see [`DeliveryHeaders::from_pairs`].
/// A delivery header whose value is not visible ASCII is [`WebhookError::InvalidHeader`].
#[cfg(feature = "http")]
impl TryFrom<&http::HeaderMap> for DeliveryHeaders {
    type Error = WebhookError;

    fn try_from(headers: &http::HeaderMap) -> Result<Self, WebhookError> {
        for name in [
            EVENT_ID,
            RETRY_COUNT,
            DELIVERY_ID,
            EVENT_CODE,
            PROVIDER,
            REQUEST_ID,
        ] {
            if headers
                .get_all(name)
                .iter()
                .any(|value| value.to_str().is_err())
            {
                return Err(WebhookError::InvalidHeader {
                    name,
                    reason: "not visible ASCII",
                });
            }
        }
        DeliveryHeaders::from_pairs(header_pairs(headers))
    }
}
