//! Receiving Adobe I/O Events deliveries safely (cargo feature `webhook`): one request in,
//! one answer out.
//!
//! Adobe I/O Events delivers at least once, in no particular order, signs every delivery, and
//! checks a webhook with a challenge when it is registered. This module holds what an
//! endpoint needs for that, with no HTTP server of its own (bring yours):
//!
//! - [`Receiver`]: the endpoint, framework-agnostic, `Send + Sync` behind `&self`.
//!   [`Receiver::handle`] takes a request's method, query, headers and body and gives the
//!   [`Answer`] to send, with what was [`Received`]: a challenge, a validation request, or
//!   a delivery's events ([`Incoming`](crate::store::Incoming), each claimed in the
//!   receiver's [`DedupStore`](crate::store::DedupStore)), or a refusal. After handling the
//!   new events, [`Receiver::complete`] them (or [`Receiver::abandon`] them and answer 503).
//!   With the `http` feature, [`Receiver::handle_http`] does the whole exchange on
//!   `http::Request` and `http::Response`.
//! - [`Verifier`]: the two RSA signatures of a delivery over the raw body, and whom the body
//!   is for (a recipient client id it names is ours; for alerts and message lists, which
//!   name none, the organisation you set; no journal page, at most 20 events).
//! - Keys: [`public_key_url`] builds Adobe's key URLs and refuses any key path that would
//!   leave `https://static.adobeioevents.com`; a [`KeySource`] fetches them as deliveries
//!   need them ([`Receiver::with_key_source`]: one fetch per key path however many
//!   deliveries wait, only for a request that could be genuine, failures remembered): from
//!   a directory laid out by key path with [`DirKeySource`], over HTTPS with
//!   `HttpsKeySource` (feature `fetch`).
//! - [`challenge_response`] and [`validation_request`]: the two ways Adobe checks a webhook
//!   when it is registered; [`DeliveryHeaders`]: the typed `x-adobe-*` headers.
//!
//! Refusals are [`WebhookError`]s, each with the status Adobe must see
//! ([`WebhookError::status_code`]): never a 2xx for an event the application did not get,
//! never a 4xx for a genuine delivery that could not be handled yet (503, retried). An
//! answer's body names the failed check only ([`WebhookError::check`]); the detail (a
//! store's error, why a key fetch failed) goes to `tracing` events, and the library prints
//! nothing.
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
//! #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
//! use aep_flow_run::webhook::{Receiver, Received, Verifier};
//!
//! let receiver = Receiver::new(Verifier::new("my-client-id"));
//!
//! // Registration: Adobe's challenge is answered with its value.
//! let answer = block_on(receiver.handle("GET", "challenge=8ec8d794", [], b""));
//! assert_eq!((answer.status, answer.body.as_str()), (200, "8ec8d794"));
//!
//! // A delivery without signatures is refused (400), and never parsed.
//! let answer = block_on(receiver.handle("POST", "", [("content-type", "application/json")], b"{}"));
//! assert_eq!(answer.status, 400);
//! assert!(matches!(answer.received, Received::Refused(_)));
//! ```
//!
//! # Cryptography
//!
//! Signatures are RSA PKCS#1 v1.5 with SHA-256, verified with `ring` (`base64` for the
//! headers, `subtle` for constant-time comparison of ids). `ring` was chosen over
//! `aws-lc-rs` (as fast here: about 21 us per RSA-2048 verification, against 300 us for the
//! pure-Rust `rsa` crate used before): it builds with a C compiler alone (no CMake, no Go),
//! is a single crate with no further dependencies, and is what rustls users already build.
//! Keys must be RSA of 2048 to 4096 bits, in SubjectPublicKeyInfo or PKCS#1 PEM.

mod answer;
mod challenge;
mod error;
mod headers;
mod keys;
mod pem;
mod receiver;
mod recipient;
mod shared_verifier;
mod verify;

pub use answer::{Answer, Received};
pub use challenge::{challenge_response, validation_request, validation_url, ValidationRequest};
pub use error::WebhookError;
#[cfg(feature = "http")]
pub use headers::header_pairs;
pub use headers::{header_names, DeliveryHeaders};
#[cfg(feature = "fetch")]
pub use keys::HttpsKeySource;
pub use keys::{
    public_key_url, DirKeySource, KeyFetchSettings, KeySource, MAX_KEY_AGE, PUBLIC_KEY_BASE_URL,
};
pub use receiver::{Receiver, ReceiverSettings, MAX_DELIVERY_BYTES};
pub(crate) use shared_verifier::SharedVerifier;
pub use verify::{Verifier, MAX_DELIVERY_EVENTS, MAX_DELIVERY_MESSAGES};
