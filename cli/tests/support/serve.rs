//! `aep-flow-run serve` as a user runs it: the built binary on 127.0.0.1 ports it picks,
//! its standard output read line by line (the address line, then the `--json` lines), its
//! standard error kept in a file. Killed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

pub const CLIENT_ID: &str = "e2e-client";
/// How long any one wait of these tests may take.
pub const LIMIT: Duration = Duration::from_secs(20);

/// The repository's root.
pub fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

pub fn fixtures() -> PathBuf {
    repository().join("fixtures")
}

/// A fresh directory for one test's files.
pub fn temporary_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aep-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `serve`.
pub struct Serve {
    pub child: Child,
    pub webhook: SocketAddr,
    pub admin: SocketAddr,
    lines: Receiver<String>,
    pub log: PathBuf,
}

/// The command line every test starts from: loopback ports picked by the system, the test
/// client id and keys.
pub fn command(extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aep-flow-run"));
    command
        .arg("serve")
        .args([
            "--port",
            "0",
            "--admin-port",
            "0",
            "--client-id",
            CLIENT_ID,
            "--keys",
        ])
        .arg(fixtures().join("webhook/keys"))
        .args(extra)
        .env_remove("AEP_ORG_ID")
        .env_remove("AEP_STORE");
    command
}

impl Serve {
    /// Starts `serve` with `extra` flags and waits for its address line.
    pub fn start(extra: &[&str], log: &Path) -> Serve {
        Serve::spawn(command(extra), log)
    }

    /// Starts a prepared command and waits for its address line.
    pub fn spawn(mut command: Command, log: &Path) -> Serve {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let first = match lines.recv_timeout(LIMIT) {
            Ok(first) => first,
            Err(_) => panic!(
                "no address line; standard error:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            ),
        };
        let (webhook, admin) = addresses(&first);
        assert!(webhook.ip().is_loopback() && admin.ip().is_loopback());
        Serve {
            child,
            webhook,
            admin,
            lines,
            log: log.to_owned(),
        }
    }

    /// The next line on standard output, if one comes within `wait`.
    pub fn next_line(&self, wait: Duration) -> Option<String> {
        self.lines.recv_timeout(wait).ok()
    }

    /// The next `count` lines, as JSON.
    pub fn json_lines(&self, count: usize) -> Vec<serde_json::Value> {
        (0..count)
            .map(|_| {
                let line = self.next_line(LIMIT).expect("a line on standard output");
                serde_json::from_str(&line).unwrap_or_else(|error| panic!("{line:?}: {error}"))
            })
            .collect()
    }

    /// Standard error so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a signal by name (`TERM`, `KILL`, `STOP`, `CONT`).
    pub fn signal(&self, name: &str) {
        signal(self.child.id(), name);
    }

    /// Waits for the process to end (within `LIMIT`).
    pub fn wait(&mut self) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < LIMIT, "serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `listening on http://A/ (admin http://B/)`.
pub fn addresses(first: &str) -> (SocketAddr, SocketAddr) {
    let parse = || {
        let rest = first.strip_prefix("listening on http://")?;
        let (webhook, admin) = rest.split_once("/ (admin http://")?;
        Some((
            webhook.parse().ok()?,
            admin.strip_suffix("/)")?.parse().ok()?,
        ))
    };
    parse().unwrap_or_else(|| panic!("unexpected first line {first:?}"))
}

pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} {pid}");
}

/// A `redis-server` of the test's own on a free loopback port (no persistence), killed when
/// dropped.
pub struct RedisServer {
    pub child: Child,
    pub url: String,
}

impl RedisServer {
    /// Starts `program` with its files in `dir`, and waits until it answers `PING`.
    pub fn start(program: &Path, dir: &Path) -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        };
        let started = Instant::now();
        while !pong(port) {
            assert!(started.elapsed() < LIMIT, "redis-server did not answer");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pong(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0u8; 5];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG"
}
