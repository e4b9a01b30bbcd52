//! Keys from a directory laid out by key path: the reference service's keys, a mounted
//! secret, a directory a deployment tool fills.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::{public_key_url, KeySource, PUBLIC_KEY_BASE_URL};
use crate::{BoxError, BoxFuture};

/// The largest key file read: a 4096-bit PEM key is under 1 KB.
const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;

/// How often a key file is read again by default, when deliveries need its key.
const RECHECK: Duration = Duration::from_secs(1);

/// A [`KeySource`] that serves the key of a key path from a directory: the key for
/// `x-adobe-public-key1-path: /prod/keys/pub-key-1.pem` is the file
/// `DIR/prod/keys/pub-key-1.pem` (the layout of `fixtures/webhook/keys`). Plug it into a
/// receiver with [`Receiver::with_key_source`](crate::webhook::Receiver::with_key_source).
///
/// - **Changes are picked up.** A key is read when a delivery first needs it and read again,
///   when deliveries need it, once it is a second old ([`with_recheck`](Self::with_recheck)):
///   a key file replaced (a rotation) is used within a second, without a restart. A key
///   whose file is removed or becomes unreadable is used as long as a key that could not be
///   refreshed is ([`KeyFetchSettings`](crate::webhook::KeyFetchSettings)); restart, or
///   [`Verifier::remove_key`](crate::webhook::Verifier::remove_key) through
///   [`Receiver::update_verifier`](crate::webhook::Receiver::update_verifier), to stop
///   trusting it at once.
/// - **Never outside the directory.** Key paths are plain (checked by
///   [`public_key_url`]: no `..`, no `//`, ASCII letters, digits and `-._~/` only), and the
///   file is resolved with every symlink followed and must still lie inside the directory (a
///   symlink within it, as a Kubernetes secret mount makes, is fine; one leading out is
///   refused and logged). Only regular files of at most 16 KB are read.
/// - The receiver's fetching rules apply as to any source: one read per key path however
///   many deliveries wait, a missing file not looked for again for a while, key paths never
///   seen before rate-limited. Reads are blocking file calls (a few microseconds).
///
/// ```
/// use aep_flow_run::webhook::{DirKeySource, KeyFetchSettings, Receiver, Verifier};
///
/// let keys = DirKeySource::new("fixtures/webhook/keys")?;
/// let receiver = Receiver::new(Verifier::new("my-client-id").with_organization("ORG@AdobeOrg"))
///     .with_key_source(keys, KeyFetchSettings::default());
/// # let _ = receiver;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DirKeySource {
    dir: PathBuf,
    recheck: Duration,
}

impl DirKeySource {
    /// Keys from the directory `dir`; an error when it is no directory that can be read
    /// (a typo in a setting is found at start-up, not at the first delivery).
    pub fn new(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        let metadata = fs::metadata(&dir).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("keys directory {}: {error}", dir.display()),
            )
        })?;
        if !metadata.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("keys directory {}: not a directory", dir.display()),
            ));
        }
        Ok(DirKeySource {
            dir,
            recheck: RECHECK,
        })
    }

    /// Reads a key file again, when deliveries need its key, once the key read is `recheck`
    /// old (default 1 s; at most 24 hours).
    pub fn with_recheck(mut self, recheck: Duration) -> Self {
        self.recheck = recheck;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PEM text of the key for `key_path`, from the file it names inside the directory.
    fn read(&self, key_path: &str) -> Result<String, BoxError> {
        let root = fs::canonicalize(&self.dir)
            .map_err(|error| format!("keys directory {}: {error}", self.dir.display()))?;
        let file = root.join(key_path.trim_start_matches('/'));
        let resolved = fs::canonicalize(&file)
            .map_err(|error| format!("key file {}: {error}", file.display()))?;
        if !resolved.starts_with(&root) {
            tracing::warn!(
                key_path,
                file = %file.display(),
                resolved = %resolved.display(),
                "key file refused: it leads out of the keys directory"
            );
            return Err(format!(
                "key file {} leads out of the keys directory (to {})",
                file.display(),
                resolved.display()
            )
            .into());
        }
        let metadata = fs::metadata(&resolved)
            .map_err(|error| format!("key file {}: {error}", resolved.display()))?;
        if !metadata.is_file() {
            return Err(format!("key file {}: not a regular file", resolved.display()).into());
        }
        let mut pem = String::new();
        File::open(&resolved)
            .and_then(|file| file.take(MAX_KEY_FILE_BYTES + 1).read_to_string(&mut pem))
            .map_err(|error| format!("key file {}: {error}", resolved.display()))?;
        if pem.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(format!(
                "key file {}: larger than {MAX_KEY_FILE_BYTES} bytes",
                resolved.display()
            )
            .into());
        }
        Ok(pem)
    }
}

impl KeySource for DirKeySource {
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<String, BoxError>> {
        // Only the URLs a receiver asks for: Adobe's key host and a plain key path.
        let key_path = url
            .as_str()
            .strip_prefix(PUBLIC_KEY_BASE_URL)
            .filter(|path| public_key_url(path).is_ok_and(|checked| checked == *url));
        let read = match key_path {
            Some(key_path) => self.read(key_path),
            None => Err(
                format!("refused key URL {url}: not a key path of {PUBLIC_KEY_BASE_URL}").into(),
            ),
        };
        Box::pin(std::future::ready(read))
    }

    fn refresh_after(&self) -> Duration {
        self.recheck
    }
}
