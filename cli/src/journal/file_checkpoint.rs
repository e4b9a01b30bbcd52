//! A checkpoint in a file: the position, written to a temporary file then renamed, so that a
//! crash leaves the old position or the new one. (The library's `FileCheckpoint`, which
//! fsyncs, replaces it when it lands.)

use std::io;
use std::path::PathBuf;

use aep_flow_run::store::{Checkpoint, StoreError};
use aep_flow_run::BoxFuture;

/// The position of one journal in a file.
pub struct FileCheckpoint(PathBuf);

impl FileCheckpoint {
    /// The checkpoint in the file at `path`.
    pub fn new(path: PathBuf) -> Self {
        FileCheckpoint(path)
    }
}

impl Checkpoint for FileCheckpoint {
    fn load<'a>(&'a self, _journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        let loaded = match std::fs::read_to_string(&self.0) {
            Ok(text) => Ok(Some(text.trim().to_owned()).filter(|p| !p.is_empty())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(StoreError::unavailable(self.0.display().to_string(), error)),
        };
        Box::pin(std::future::ready(loaded))
    }

    fn save<'a>(
        &'a self,
        _journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let temporary = self.0.with_extension("tmp");
        let saved = std::fs::write(&temporary, position)
            .and_then(|()| std::fs::rename(&temporary, &self.0))
            .map_err(|error| StoreError::unavailable(self.0.display().to_string(), error));
        Box::pin(std::future::ready(saved))
    }
}
