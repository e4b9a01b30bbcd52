//! Public keys from a directory, each under its key path (`DIR/prod/keys/pub-key-1.pem` for
//! `x-adobe-public-key1-path: /prod/keys/pub-key-1.pem`), read when a delivery first needs
//! them and again once they are as old as the verifier keeps keys. Kept in this one file so
//! that the library's `DirKeySource` (issue 33) replaces it whole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use aep_flow_run::store::DedupStore;
use aep_flow_run::webhook::Receiver;

/// How long a key path whose file was missing is not looked for again.
const FAILED_KEY_PAUSE: Duration = Duration::from_secs(300);
/// The most failed key paths remembered.
const FAILED_KEYS_KEPT: usize = 1024;

/// The keys directory, and the key paths recently not found there.
pub struct KeysDir {
    dir: PathBuf,
    failed: Mutex<HashMap<String, Instant>>,
}

impl KeysDir {
    pub fn new(dir: PathBuf) -> Self {
        KeysDir {
            dir,
            failed: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the directory can be read (for `/readyz`).
    pub fn readable(&self) -> bool {
        std::fs::read_dir(&self.dir).is_ok()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the keys a delivery's headers name that the receiver lacks or holds stale.
    pub fn load_missing<S: DedupStore>(&self, receiver: &Receiver<S>, headers: &[(&str, &str)]) {
        let urls = receiver
            .verifier()
            .missing_keys(headers.iter().copied(), SystemTime::now());
        for url in urls {
            // `missing_keys` only lists paths `public_key_url` accepted: plain, absolute, no `..`.
            let key_path = url.path();
            if self.recently_failed(key_path) {
                continue;
            }
            let file = self.dir.join(key_path.trim_start_matches('/'));
            let loaded = std::fs::read_to_string(&file)
                .map_err(|error| error.to_string())
                .and_then(|pem| {
                    receiver
                        .add_public_key_pem(key_path, &pem)
                        .map_err(|error| error.to_string())
                });
            if let Err(error) = loaded {
                tracing::warn!(key_path = ?key_path, file = %file.display(), %error, "public key not loaded");
                let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                if failed.len() >= FAILED_KEYS_KEPT {
                    failed.retain(|_, at| at.elapsed() < FAILED_KEY_PAUSE);
                }
                if failed.len() < FAILED_KEYS_KEPT {
                    failed.insert(key_path.to_owned(), Instant::now());
                }
            }
        }
    }

    fn recently_failed(&self, key_path: &str) -> bool {
        let failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed
            .get(key_path)
            .is_some_and(|at| at.elapsed() < FAILED_KEY_PAUSE)
    }
}
