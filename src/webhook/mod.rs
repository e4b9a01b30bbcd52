//! Receiving Adobe I/O Events deliveries safely (cargo feature `webhook`).
//!
//! Adobe I/O Events delivers at least once, in no particular order, signs every delivery, and
//! checks a webhook with a challenge when it is registered. This module holds what a receiver
//! needs for that, with no HTTP stack of its own (the crate makes no network calls: bring
//! your own server and client):
//!
//! - [`Verifier`]: checks the two RSA signatures of a delivery over the raw body, and that
//!   the body's recipient client id (every element's, in a batch) is ours. It holds the
//!   public keys by key path, remembers when each was fetched, and says which key URLs a
//!   delivery needs that it lacks or holds for longer than 24 hours
//!   ([`Verifier::missing_keys`]); [`public_key_url`] builds those URLs and refuses any key
//!   path that would leave `https://static.adobeioevents.com`.
//! - [`challenge_response`] and [`validation_request`]: the two ways Adobe checks a webhook
//!   when it is registered.
//! - [`DeliveryHeaders`]: the typed `x-adobe-*` delivery headers (event id, retry count, ...).
//! - [`Deduplicator`] (behind the [`EventIdStore`] trait, so replicas can share a store) and
//!   [`RunTracker`]: at-least-once, unordered delivery made safe to act on.
//! - [`JournalPage`], [`next_link`] and [`read_journal_response`]: paging the I/O Events
//!   journal.
//! - [`Receiver`]: all of the above in one framework-agnostic `handle(method, query, headers,
//!   body)` that returns the status and body to answer with, testable without a server.
//!   `examples/webhook.rs` wires it into an axum server.
//!
//! ```
//! use aep_flow_run::webhook::{Receiver, Received, Verifier};
//!
//! let verifier = Verifier::new("my-client-id");
//! let mut receiver = Receiver::new(verifier);
//!
//! // Registration: Adobe's challenge is answered with its value.
//! let reception = receiver.handle("GET", "challenge=8ec8d794", [], b"");
//! assert_eq!(reception.response.status, 200);
//! assert_eq!(reception.response.body, "8ec8d794");
//!
//! // A delivery without signatures is refused (400), and never parsed.
//! let reception = receiver.handle("POST", "", [("content-type", "application/json")], b"{}");
//! assert_eq!(reception.response.status, 400);
//! assert!(matches!(reception.received, Received::Rejected(_)));
//! ```
//!
//! # Cryptography
//!
//! Signatures are RSA PKCS#1 v1.5 with SHA-256, checked with the RustCrypto crates (`rsa`,
//! `sha2`; `base64` for the headers, `subtle` for constant-time comparison). They are pure
//! Rust: the feature builds on a fresh machine with no C compiler, assembler or CMake (which
//! `ring` and `aws-lc-rs` need), and they are maintained by the RustCrypto project. The
//! known timing weakness of the `rsa` crate (RUSTSEC-2023-0071, "Marvin") concerns
//! *decryption* with a private key; verifying signatures uses public keys only and is not
//! affected. Keys must be 2048 to 4096 bits.

mod challenge;
mod dedup;
mod error;
mod headers;
mod journal;
mod keys;
mod receiver;
mod recipient;
mod tracker;
mod verify;

pub use challenge::{challenge_response, validation_request, validation_url, ValidationRequest};
pub use dedup::{Deduplicator, EventIdStore};
pub use error::WebhookError;
#[cfg(feature = "http")]
pub use headers::header_pairs;
pub use headers::{header_names, DeliveryHeaders};
pub use journal::{next_link, read_journal_response, JournalPage, JournalResponse, PageInfo};
pub use keys::{public_key_url, MAX_KEY_AGE, PUBLIC_KEY_BASE_URL};
pub use receiver::{Delivered, Received, Receiver, Reception, Response, MAX_DELIVERY_BYTES};
pub use tracker::{RunChange, RunTracker};
pub use verify::Verifier;
