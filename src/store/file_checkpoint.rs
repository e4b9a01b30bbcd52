//! Journal positions in a file that survives restarts and crashes.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Checkpoint, StoreError};
use crate::sync::Lock;
use crate::BoxFuture;

/// The largest checkpoint file read: positions are at most a few hundred bytes each.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A [`Checkpoint`] in a file: the position of each journal, as a JSON object
/// (`{"<journal>": "<position>"}`), for a consumer that runs in one process and must resume
/// where it stopped after a restart or a crash.
///
/// A save never leaves a half-written file: the new content goes to a temporary file created
/// beside the target under a random name (exclusively: an existing file or a symlink planted
/// there makes it fail, never followed), is flushed to disk, then renamed over the target,
/// and the directory is flushed so that the rename itself survives a power cut. A crash at
/// any point leaves the old positions or the new ones. A crash between the two steps may
/// leave a `.<name>.<random>.tmp` file beside the target, which is never read. A symlink at
/// the path is an error, never followed: what it points to is neither read nor written.
///
/// Reads and writes are blocking file calls on the calling thread (a write is two `fsync`s,
/// a few milliseconds on most disks): a consumer saves once a page. For replicas sharing one
/// journal, use [`RedisStore`](super::RedisStore), which also lets one replica at a time read.
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
/// #         std::task::Poll::Ready(v) => v, _ => unreachable!() } }
/// use aep_flow_run::store::{Checkpoint, FileCheckpoint};
///
/// # let dir = std::env::temp_dir().join(format!("aep-doc-checkpoint-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let checkpoint = FileCheckpoint::new(dir.join("journal-position.json"));
/// assert_eq!(block_on(checkpoint.load("my-journal"))?, None);
/// block_on(checkpoint.save("my-journal", "rabbit:a1b2c3d4.7"))?;
/// // A new process (a new value) reads it back.
/// let again = FileCheckpoint::new(dir.join("journal-position.json"));
/// assert_eq!(block_on(again.load("my-journal"))?.as_deref(), Some("rabbit:a1b2c3d4.7"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileCheckpoint {
    path: PathBuf,
    /// Held across a save's read, change and write, so that two saves of this process do not
    /// lose each other's journal.
    writing: Mutex<()>,
}

impl FileCheckpoint {
    /// Positions kept in the file at `path` (created by the first save; its directory must
    /// exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileCheckpoint {
            path: path.into(),
            writing: Mutex::new(()),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn failed(&self, what: &str, error: io::Error) -> StoreError {
        StoreError::unavailable(format!("checkpoint {}: {what}", self.path.display()), error)
    }

    /// The positions in the file; none when there is no file yet. A symlink at the path is
    /// refused, never followed.
    fn read(&self) -> Result<BTreeMap<String, String>, StoreError> {
        if fs::symlink_metadata(&self.path).is_ok_and(|metadata| metadata.file_type().is_symlink())
        {
            return Err(StoreError::other(format!(
                "checkpoint {}: a symlink, neither read nor written (give the file's own path)",
                self.path.display()
            )));
        }
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(error) => return Err(self.failed("cannot be opened", error)),
        };
        let mut text = String::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|error| self.failed("cannot be read", error))?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(StoreError::other(format!(
                "checkpoint {}: larger than {MAX_FILE_BYTES} bytes",
                self.path.display()
            )));
        }
        if text.trim().is_empty() {
            return Ok(BTreeMap::new());
        }
        serde_json::from_str(&text).map_err(|error| {
            StoreError::unavailable(
                format!(
                    "checkpoint {}: not a JSON object of journal positions",
                    self.path.display()
                ),
                error,
            )
        })
    }

    /// Writes `positions` over the file: temporary file, fsync, rename, fsync of the
    /// directory.
    fn write(&self, positions: &BTreeMap<String, String>) -> Result<(), StoreError> {
        let mut text = serde_json::to_string_pretty(positions)
            .map_err(|error| StoreError::unavailable("checkpoint not written", error))?;
        text.push('\n');
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = self.path.file_name().ok_or_else(|| {
            StoreError::other(format!("checkpoint {}: no file name", self.path.display()))
        })?;
        let temporary = directory.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            random_suffix()?
        ));
        let written = write_new(&temporary, text.as_bytes())
            .and_then(|()| fs::rename(&temporary, &self.path));
        if let Err(error) = written {
            let _ = fs::remove_file(&temporary);
            return Err(self.failed("not written", error));
        }
        sync_directory(directory).map_err(|error| self.failed("directory not flushed", error))
    }
}

/// Creates `path` (never an existing file, never through a symlink), writes `bytes` and
/// flushes them to disk.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes a directory's entries (the rename) to disk, where the system allows opening a
/// directory.
fn sync_directory(directory: &Path) -> io::Result<()> {
    if cfg!(unix) {
        File::open(directory)?.sync_all()
    } else {
        Ok(())
    }
}

/// 16 random hex digits, so that no one can plant a file at the temporary name beforehand.
fn random_suffix() -> Result<String, StoreError> {
    let mut seed = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| StoreError::other("no random numbers for a temporary file name"))?;
    Ok(seed.iter().map(|byte| format!("{byte:02x}")).collect())
}

impl Checkpoint for FileCheckpoint {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        let loaded = self.read().map(|mut positions| positions.remove(journal));
        Box::pin(std::future::ready(loaded))
    }

    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let _writing = self.writing.locked();
        let saved = self.read().and_then(|mut positions| {
            positions.insert(journal.to_owned(), position.to_owned());
            self.write(&positions)
        });
        Box::pin(std::future::ready(saved))
    }
}
