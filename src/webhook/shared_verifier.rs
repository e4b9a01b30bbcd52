//! The verifier a receiver and its key fetcher share, swapped whole when it changes.

use std::sync::{Arc, RwLock};

use super::Verifier;
use crate::sync::ReadWrite;

/// The verifier, replaced whole when it changes: a reader clones the `Arc` and lets go of
/// the lock at once, so no lock is held across verification.
#[derive(Debug)]
pub(crate) struct SharedVerifier(RwLock<Arc<Verifier>>);

impl SharedVerifier {
    pub(crate) fn new(verifier: Verifier) -> Self {
        SharedVerifier(RwLock::new(Arc::new(verifier)))
    }

    pub(crate) fn get(&self) -> Arc<Verifier> {
        self.0.read_locked().clone()
    }

    /// Runs `change` on a copy, which then replaces the verifier.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut Verifier) -> R) -> R {
        let mut slot = self.0.write_locked();
        let mut verifier = Verifier::clone(&slot);
        let result = change(&mut verifier);
        *slot = Arc::new(verifier);
        result
    }
}
