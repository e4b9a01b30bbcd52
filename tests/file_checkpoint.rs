//! `FileCheckpoint`: journal positions in a file that a crash never leaves half written, and
//! that a symlink planted beside it cannot redirect.
#![cfg(feature = "webhook")]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use aep_flow_run::store::{Checkpoint, FileCheckpoint, StoreError};

/// The variable that turns [`writer_process`] into a writer saving positions forever.
const WRITER_VAR: &str = "AEP_TEST_CHECKPOINT_WRITER";
const JOURNAL: &str = "https://events-va6.adobe.io/events/organizations/o/integrations/i/r";

/// The checkpoint's calls are file calls: ready at the first poll.
fn now<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("a file checkpoint waits for nothing"),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("aep-file-checkpoint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The number at the end of a position `p<N>`.
fn number(position: &str) -> u64 {
    position.trim_start_matches('p').parse().unwrap()
}

/// Not a test of its own: run by [`a_crash_at_any_moment_leaves_the_old_positions_or_the_new`]
/// as a child process, it saves `p<N+1>`, `p<N+2>`, ... after the position found, until it
/// is killed.
#[test]
fn writer_process() {
    let Some(path) = std::env::var_os(WRITER_VAR) else {
        return;
    };
    let checkpoint = FileCheckpoint::new(PathBuf::from(path));
    let mut next = now(checkpoint.load(JOURNAL))
        .unwrap()
        .map_or(0, |p| number(&p))
        + 1;
    loop {
        now(checkpoint.save(JOURNAL, &format!("p{next}"))).unwrap();
        now(checkpoint.save("another-journal", "kept")).unwrap();
        next += 1;
    }
}

/// Issue 33: the example's checkpoint wrote through a fixed `.tmp` name and never flushed.
/// Here a writer process is killed (SIGKILL) at whatever moment it is in, ten times: every
/// time, the file reads as a whole JSON object holding a position at least as new as one
/// seen saved before the kill, and the journal saved beside it, and saving goes on.
#[test]
fn a_crash_at_any_moment_leaves_the_old_positions_or_the_new() {
    let dir = scratch("crash");
    let path = dir.join("positions.json");
    let mut last = 0;
    for round in 0..10 {
        let mut writer = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "writer_process",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(WRITER_VAR, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the writer has saved a few positions past the last one seen (reading
        // while it writes: every read sees a whole file), then kill it mid-stride.
        let target = last + 3 + round;
        let started = Instant::now();
        loop {
            let reader = FileCheckpoint::new(&path);
            if let Some(position) = now(reader.load(JOURNAL)).unwrap() {
                if number(&position) >= target {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the writer saved nothing for a minute"
            );
            std::thread::yield_now();
        }
        writer.kill().unwrap();
        writer.wait().unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        let positions: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("round {round}: {text:?} is no JSON: {error}"));
        let reader = FileCheckpoint::new(&path);
        let position = now(reader.load(JOURNAL)).unwrap().unwrap();
        assert!(number(&position) >= target, "round {round}: {position}");
        assert_eq!(positions["another-journal"], "kept");
        last = number(&position);
    }
    // What a kill left behind between the two steps is never read, and saving goes on.
    let checkpoint = FileCheckpoint::new(&path);
    now(checkpoint.save(JOURNAL, "p-final")).unwrap();
    assert_eq!(
        now(checkpoint.load(JOURNAL)).unwrap().as_deref(),
        Some("p-final")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 33: a symlink planted at the example checkpoint's fixed temporary name
/// (`positions.tmp`) made it write into the file the symlink pointed to. Here a symlink
/// planted there is never used, and one planted at the path itself is refused: its target
/// is neither read nor written, and the error says why.
#[cfg(unix)]
#[test]
fn a_planted_symlink_is_never_followed() {
    let dir = scratch("symlink");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "do not touch").unwrap();
    let path = dir.join("positions.json");
    std::os::unix::fs::symlink(&victim, dir.join("positions.tmp")).unwrap();
    let checkpoint = FileCheckpoint::new(&path);
    now(checkpoint.save(JOURNAL, "rabbit:a1b2c3d4.7")).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not touch");
    assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(
        now(checkpoint.load(JOURNAL)).unwrap().as_deref(),
        Some("rabbit:a1b2c3d4.7")
    );

    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let error = now(checkpoint.save(JOURNAL, "rabbit:a1b2c3d4.8")).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a symlink, neither read nor written"),
        "{error}"
    );
    assert!(now(checkpoint.load(JOURNAL)).is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not touch");
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".tmp") && name != "positions.tmp")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn journals_are_kept_apart_and_a_damaged_file_is_an_error_saying_where() {
    let dir = scratch("journals");
    let path = dir.join("positions.json");
    let checkpoint = FileCheckpoint::new(&path);
    assert_eq!(checkpoint.path(), path);
    assert_eq!(now(checkpoint.load("a")).unwrap(), None);
    now(checkpoint.save("a", "p1")).unwrap();
    now(checkpoint.save("b", "q1")).unwrap();
    now(checkpoint.save("a", "p2")).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        serde_json::json!({"a": "p2", "b": "q1"})
    );

    std::fs::write(&path, "{\"a\": \"p2\", \"b\":").unwrap();
    let error = now(checkpoint.load("a")).unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }));
    let text = error.to_string();
    assert!(text.contains("positions.json"), "{text}");
    assert!(
        text.contains("not a JSON object of journal positions"),
        "{text}"
    );
    // A save over a damaged file fails too, rather than forget the other journals.
    assert!(now(checkpoint.save("a", "p3")).is_err());

    // A directory that is not there: an error, no panic.
    let nowhere = FileCheckpoint::new(Path::new(&dir).join("missing/positions.json"));
    let error = now(nowhere.save("a", "p1")).unwrap_err().to_string();
    assert!(error.contains("not written"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
