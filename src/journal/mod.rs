//! Catching up from the Adobe I/O Events journal (cargo feature `webhook`; the consumer
//! needs `fetch`).
//!
//! The journal keeps 7 days of a registration's events, in order, paged with
//! `Link: <...>; rel="next"`. A page's body is read by [`parse_events`](crate::parse_events)
//! like any delivery body.
//!
//! - [`read_journal_response`] reads one response (status, `Link`, body) into [`Polled`]: a
//!   [`JournalPage`] or caught up; [`next_link`] follows a `Link` header on the request's
//!   origin only; [`JournalUrl`] builds request URLs (`since`, `seek`, `latest`, `limit`).
//! - With the `fetch` feature, [`JournalConsumer`] does it all: it pages from a
//!   [`JournalStart`] or the position saved in a [`Checkpoint`](crate::store::Checkpoint),
//!   waits as the journal asks, claims every event in the webhook's
//!   [`DedupStore`](crate::store::DedupStore) (so that an event is handled once whichever
//!   path brings it first), and saves the position when the application completes a page.
//!   [`ImsTokenProvider`] gets its OAuth Server-to-Server tokens from Adobe IMS, over
//!   [`HttpsClient`]; [`Clock`] lets tests wait for nothing.
//!
//! Errors are [`JournalError`]s.

#[cfg(feature = "fetch")]
mod client;
#[cfg(feature = "fetch")]
mod clock;
#[cfg(feature = "fetch")]
mod consumer;
mod error;
mod link;
mod page;
#[cfg(feature = "fetch")]
mod settings;
#[cfg(feature = "fetch")]
mod tls;
#[cfg(feature = "fetch")]
mod token;
mod url;

#[cfg(feature = "fetch")]
pub use client::HttpsClient;
#[cfg(feature = "fetch")]
pub(crate) use client::SendError;
#[cfg(feature = "fetch")]
pub use clock::{Clock, SystemClock};
#[cfg(feature = "fetch")]
pub use consumer::JournalConsumer;
pub use error::JournalError;
pub use link::next_link;
pub use page::{read_journal_response, JournalPage, Polled};
#[cfg(feature = "fetch")]
pub use settings::{JournalSettings, MAX_PAGE_BYTES};
#[cfg(feature = "fetch")]
pub use tls::InvalidRoot;
#[cfg(feature = "fetch")]
pub use token::{
    AccessToken, ImsCredentials, ImsTokenProvider, StaticToken, TokenProvider, IMS_TOKEN_URL,
};
pub use url::{JournalStart, JournalUrl};
