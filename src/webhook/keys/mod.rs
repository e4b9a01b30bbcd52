//! Where the keys that sign deliveries come from: Adobe's key host, and a [`KeySource`]
//! that fetches them as deliveries need them (from a directory, or over HTTPS).

mod dir;
mod fetcher;
#[cfg(feature = "fetch")]
mod https;
mod source;
mod url;

pub use dir::DirKeySource;
pub(crate) use fetcher::KeyFetcher;
#[cfg(feature = "fetch")]
pub use https::HttpsKeySource;
pub use source::{KeyFetchSettings, KeySource};
pub use url::{public_key_url, MAX_KEY_AGE, PUBLIC_KEY_BASE_URL};
