//! The examples as a user runs them: their binaries, built by `cargo test` beside the test
//! binaries, and the address line a service prints first.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::io::{AsyncBufRead, Lines};

/// `target/<profile>/examples/<name>`; a panic saying how to build it when it is missing.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile.join("examples").join(name);
    assert!(
        binary.exists(),
        "examples/{name} was not built beside the tests (cargo test --workspace \
         --all-features builds it; or cargo build --all-features --example {name})"
    );
    binary
}

/// Reads a service's first line, `listening on http://127.0.0.1:PORT/`: its address.
pub async fn address_line(lines: &mut Lines<impl AsyncBufRead + Unpin>) -> SocketAddr {
    let limit = std::time::Duration::from_secs(20);
    let first = tokio::time::timeout(limit, lines.next_line())
        .await
        .expect("an address line within 20 s")
        .unwrap()
        .expect("an address line before the output ends");
    let address: SocketAddr = first
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("first line {first:?}"))
        .parse()
        .unwrap();
    assert!(address.ip().is_loopback() && address.port() != 0);
    address
}
