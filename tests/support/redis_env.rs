//! Where the tests that need a real Redis find it: `AEP_TEST_REDIS_URL` (`.ci/run` starts a
//! `redis-server` on a free loopback port and sets it). Without it, those tests fail under
//! `CI` and are skipped (with a line saying so) elsewhere.
#![allow(dead_code)]

/// The variable that names the test Redis server.
pub const REDIS_URL_VAR: &str = "AEP_TEST_REDIS_URL";

/// Whether this run is CI's (`CI` set to anything but empty, `0` or `false`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"))
}

/// The test Redis server's URL; `None` (skip) outside CI when it is not set; a panic in CI.
pub fn redis_url(test: &str) -> Option<String> {
    match std::env::var(REDIS_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if in_ci() => panic!(
            "{test}: {REDIS_URL_VAR} is not set, and CI must run the Redis tests against a real \
             server (.ci/run starts one: is redis-server installed?)"
        ),
        _ => {
            eprintln!(
                "{test}: skipped, {REDIS_URL_VAR} is not set \
                 (start redis-server and set {REDIS_URL_VAR}=redis://127.0.0.1:PORT/)"
            );
            None
        }
    }
}

/// The `redis-server` program for tests that run their own server: `AEP_TEST_REDIS_SERVER`,
/// else `redis-server` on the `PATH`; `None` (skip) outside CI when there is none, a panic in
/// CI.
pub fn redis_server(test: &str) -> Option<std::path::PathBuf> {
    let program = std::env::var_os("AEP_TEST_REDIS_SERVER")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join("redis-server"))
                    .find(|candidate| candidate.is_file())
            })
        });
    match program {
        Some(program) => Some(program),
        None if in_ci() => panic!(
            "{test}: no redis-server (on the PATH or in AEP_TEST_REDIS_SERVER), and CI must run \
             this test (.ci/run installs it)"
        ),
        None => {
            eprintln!("{test}: skipped, no redis-server on the PATH");
            None
        }
    }
}

/// A prefix no other test run uses.
pub fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test:{test}:{nanos}:{}:", std::process::id())
}
