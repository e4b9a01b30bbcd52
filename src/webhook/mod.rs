//! Receiving Adobe I/O Events deliveries safely (cargo feature `webhook`).
//!
//! Adobe I/O Events delivers at least once, in no particular order, signs every delivery, and
//! checks a webhook with a challenge when it is registered. This module holds what a receiver
//! needs for that, with no HTTP server of its own (bring yours; the crate makes no network
//! calls, except [`Receiver::with_key_source`] fetching keys through your client, or through
//! `HttpsKeySource` with the `fetch` feature, and the journal consumer and IMS token provider
//! of the `fetch` feature):
//!
//! - [`Verifier`]: checks the two RSA signatures of a delivery over the raw body, and that
//!   the body is for us (a recipient client id it names is ours; the organisation when
//!   configured; no journal page, at most 20 events). It holds the
//!   public keys by key path, remembers when each was fetched, and says which key URLs a
//!   delivery needs that it lacks or holds for longer than 24 hours
//!   ([`Verifier::missing_keys`]); [`public_key_url`] builds those URLs and refuses any key
//!   path that would leave `https://static.adobeioevents.com`.
//! - [`challenge_response`] and [`validation_request`]: the two ways Adobe checks a webhook
//!   when it is registered.
//! - [`DeliveryHeaders`]: the typed `x-adobe-*` delivery headers (event id, retry count, ...).
//! - [`DedupStore`] (an asynchronous, fallible store with a two-phase claim: in flight,
//!   then done or released; [`MemoryStore`] in memory, or a store replicas share),
//!   [`Deduplicator`] (the bounded table under it) and [`RunTracker`]: at-least-once,
//!   unordered delivery made safe to act on. [`RunStore`] puts the tracker's decision behind
//!   an asynchronous store ([`MemoryRunStore`] in memory); with the `redis` feature,
//!   `RedisStore` is both stores in Redis, shared by the replicas of a service.
//! - [`JournalPage`], [`next_link`] and [`read_journal_response`]: paging the I/O Events
//!   journal; [`JournalUrl`] builds its request URLs (`since`, `seek`, `latest`, `limit`).
//! - With the `fetch` feature, `JournalConsumer`: catching up from the journal page by page
//!   (`Retry-After` honoured, `410 Gone` a typed error with the ways to reset), positions
//!   saved in a [`Checkpoint`] once the application acknowledges a page, events deduplicated
//!   through the same [`DedupStore`] as the receiver; `ImsTokenProvider` for its OAuth
//!   Server-to-Server tokens.
//! - [`KeySource`] and [`Receiver::with_key_source`]: keys fetched as deliveries need them,
//!   one fetch per key path however many deliveries wait, failures remembered, key paths
//!   never seen rate-limited, the last good key kept while a refresh fails.
//! - [`Receiver`]: all of the above behind `&self`, framework-agnostic: the pure
//!   [`Receiver::check`] (verify and parse, no runtime needed) and the asynchronous
//!   [`Receiver::handle`] (with the store, each call bounded by a timeout that turns into
//!   503). `examples/webhook.rs` wires it into an axum server.
//!
//! ```
//! use aep_flow_run::webhook::{Checked, Receiver, Received, Verifier};
//!
//! let receiver = Receiver::new(Verifier::new("my-client-id"));
//!
//! // Registration: Adobe's challenge is answered with its value.
//! let Checked::Answered(reception) = receiver.check("GET", "challenge=8ec8d794", [], b"") else {
//!     panic!()
//! };
//! assert_eq!(reception.response.status, 200);
//! assert_eq!(reception.response.body, "8ec8d794");
//!
//! // A delivery without signatures is refused (400), and never parsed.
//! let Checked::Answered(reception) =
//!     receiver.check("POST", "", [("content-type", "application/json")], b"{}")
//! else {
//!     panic!()
//! };
//! assert_eq!(reception.response.status, 400);
//! assert!(matches!(reception.received, Received::Rejected(_)));
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

mod challenge;
mod checkpoint;
#[cfg(feature = "fetch")]
mod client;
#[cfg(feature = "fetch")]
mod clock;
mod deadline;
mod dedup;
mod error;
#[cfg(feature = "fetch")]
mod fetch;
mod headers;
mod journal;
#[cfg(feature = "fetch")]
mod journal_consumer;
mod journal_url;
mod key_source;
mod keys;
mod pem;
mod receiver;
mod recipient;
#[cfg(feature = "redis")]
mod redis_store;
mod run_store;
#[cfg(feature = "fetch")]
mod token;
mod tracker;
mod verify;

pub use challenge::{challenge_response, validation_request, validation_url, ValidationRequest};
pub use checkpoint::{Checkpoint, CheckpointError, CheckpointFuture, MemoryCheckpoint};
#[cfg(feature = "fetch")]
pub use client::HttpsClient;
#[cfg(feature = "fetch")]
pub use clock::{Clock, Sleep, SystemClock};
pub use dedup::{Claim, DedupStore, Deduplicator, EventIdStore, MemoryStore, StoreFuture};
pub use error::{StoreError, WebhookError};
#[cfg(feature = "fetch")]
pub use fetch::HttpsKeySource;
#[cfg(feature = "http")]
pub use headers::header_pairs;
pub use headers::{header_names, DeliveryHeaders};
pub use journal::{next_link, read_journal_response, JournalPage, JournalResponse, PageInfo};
#[cfg(feature = "fetch")]
pub use journal_consumer::{
    JournalBatch, JournalConsumer, JournalError, JournalEvent, JournalReset, JournalSettings,
    Polled, RESET_CHOICES,
};
pub use journal_url::{JournalStart, JournalUrl, JournalUrlError};
pub use key_source::{KeyFetchError, KeyFetchSettings, KeyFuture, KeySource};
pub use keys::{public_key_url, MAX_KEY_AGE, PUBLIC_KEY_BASE_URL};
pub use receiver::{
    Checked, Delivered, Received, Receiver, ReceiverSettings, Reception, Response,
    MAX_DELIVERY_BYTES, MAX_EVENT_ID_LEN,
};
#[cfg(feature = "redis")]
pub use redis_store::{RedisSettings, RedisStore};
pub use run_store::{MemoryRunStore, RunStore};
#[cfg(feature = "fetch")]
pub use token::{
    AccessToken, ImsCredentials, ImsTokenProvider, StaticToken, TokenError, TokenFuture,
    TokenProvider, IMS_TOKEN_URL,
};
pub use tracker::{RunChange, RunTracker};
pub use verify::{Verifier, MAX_DELIVERY_EVENTS};
