//! Deliveries per second through `aep-flow-run serve`: one replica in memory, one on a
//! SQLite file, one on Redis, and two replicas sharing Redis, side by side in one run.
//!
//! ```text
//! cargo build --release -p aep-flow-run-cli --bin aep-flow-run --example serve_load
//! target/release/examples/serve_load --redis redis://127.0.0.1:6379/ \
//!     [--deliveries 4000] [--connections 8]
//! ```
//!
//! It starts the `aep-flow-run` binary of the same profile (so build both together), signs `--deliveries` copies of the corpus success event (each with its own
//! event id, and one of 500 runs, with newer states as it goes) with the test key of
//! `fixtures/webhook` (test use only), sends them over `--connections` keep-alive HTTP/1.1
//! connections to 127.0.0.1 (spread over the replicas), and prints deliveries per second and
//! latency for each setup. Without `--redis`, only memory and SQLite are measured. Every
//! delivery must be answered 200; the server's machine runs the load too, so the figures are
//! for comparing setups on one machine, not capacities.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CLIENT_ID: &str = "e2e-client";
const WARM_UP: usize = 300;

struct Options {
    redis: Option<String>,
    deliveries: usize,
    connections: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        redis: None,
        deliveries: 4000,
        connections: 8,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--redis" => options.redis = Some(value()?),
            "--deliveries" => {
                options.deliveries = value()?.parse().map_err(|_| "invalid --deliveries")?
            }
            "--connections" => {
                options.connections = value()?.parse().map_err(|_| "invalid --connections")?
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    options.connections = options.connections.max(1);
    Ok(options)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn key_pair() -> RsaKeyPair {
    let pem = std::fs::read_to_string(root().join("fixtures/webhook/private/test-key-1.pem"))
        .expect("the test key");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64");
    RsaKeyPair::from_pkcs8(&der).expect("an RSA PKCS#8 key")
}

/// Each delivery as the bytes of a whole HTTP/1.1 request (keep-alive).
fn requests(count: usize) -> Vec<Vec<u8>> {
    let template: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("fixtures/adobe-docs/io-event-sources-flow-run-success.json"))
            .expect("the corpus success event"),
    )
    .expect("JSON");
    let pair = Arc::new(key_pair());
    let threads = 2;
    let chunks: Vec<_> = (0..threads)
        .map(|thread| {
            let (template, pair) = (template.clone(), pair.clone());
            std::thread::spawn(move || {
                let random = SystemRandom::new();
                let mut out = Vec::new();
                for index in (thread..count).step_by(threads) {
                    let mut body = template.clone();
                    body["event_id"] = format!("load-{index}").into();
                    body["recipient_client_id"] = CLIENT_ID.into();
                    body["event"]["id"] = format!("run-{}", index % 500).into();
                    body["event"]["updatedAt"] = (1_700_000_000_000u64 + index as u64).into();
                    let body = serde_json::to_vec(&body).unwrap();
                    let mut signature = vec![0; pair.public().modulus_len()];
                    pair.sign(&RSA_PKCS1_SHA256, &random, &body, &mut signature)
                        .expect("signing");
                    let signature = base64::engine::general_purpose::STANDARD.encode(signature);
                    let mut request = format!(
                        "POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\n\
                         content-type: application/json\r\ncontent-length: {}\r\n\
                         x-adobe-digital-signature-1: {signature}\r\n\
                         x-adobe-digital-signature-2: {signature}\r\n\
                         x-adobe-public-key1-path: /e2e/pub-key-1.pem\r\n\
                         x-adobe-public-key2-path: /e2e/pub-key-2.pem\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    request.extend_from_slice(&body);
                    out.push((index, request));
                }
                out
            })
        })
        .collect();
    let mut all: Vec<(usize, Vec<u8>)> = chunks
        .into_iter()
        .flat_map(|chunk| chunk.join().unwrap())
        .collect();
    all.sort_by_key(|(index, _)| *index);
    all.into_iter().map(|(_, request)| request).collect()
}

struct Replica(Child, SocketAddr);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(binary: &Path, store: &str, prefix: &str) -> Replica {
    let mut command = Command::new(binary);
    command
        .args([
            "serve",
            "--port",
            "0",
            "--admin-port",
            "0",
            "--any-org",
            "--json",
        ])
        .args([
            "--client-id",
            CLIENT_ID,
            "--store",
            store,
            "--redis-prefix",
            prefix,
        ])
        .arg("--keys")
        .arg(root().join("fixtures/webhook/keys"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("aep-flow-run serve starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let address = first
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_once('/'))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .0
        .parse()
        .unwrap();
    // Keep reading its event lines, as a consumer of --json would.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    Replica(child, address)
}

/// Sends `requests` in order over one keep-alive connection; the latency of each.
async fn send_all(address: SocketAddr, requests: Vec<Arc<Vec<u8>>>) -> Vec<Duration> {
    let stream = TcpStream::connect(address).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut latencies = Vec::with_capacity(requests.len());
    let mut line = String::new();
    for request in requests {
        let sent = Instant::now();
        write.write_all(&request).await.expect("send");
        line.clear();
        read.read_line(&mut line).await.expect("status line");
        let status = line.split(' ').nth(1).unwrap_or("").to_owned();
        let mut length = 0usize;
        loop {
            line.clear();
            read.read_line(&mut line).await.expect("header");
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await.expect("body");
        assert_eq!(
            status,
            "200",
            "delivery refused: {}",
            String::from_utf8_lossy(&body)
        );
        latencies.push(sent.elapsed());
    }
    latencies
}

/// Sends `requests` over `connections` connections spread over `addresses`.
async fn load(addresses: &[SocketAddr], requests: &[Arc<Vec<u8>>], connections: usize) -> Report {
    let mut shares = vec![Vec::new(); connections];
    for (index, request) in requests.iter().enumerate() {
        shares[index % connections].push(request.clone());
    }
    let started = Instant::now();
    let tasks: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(index, share)| tokio::spawn(send_all(addresses[index % addresses.len()], share)))
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Report {
        deliveries: requests.len(),
        elapsed,
        p50: latencies[latencies.len() / 2],
        p99: latencies[latencies.len() * 99 / 100],
    }
}

struct Report {
    deliveries: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Report {
    fn per_second(&self) -> f64 {
        self.deliveries as f64 / self.elapsed.as_secs_f64()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("serve_load: {message}");
            eprintln!(
                "usage: serve_load [--redis redis://HOST:PORT/] [--deliveries N] \
                 [--connections C]"
            );
            std::process::exit(2);
        }
    };
    let exe = std::env::current_exe().unwrap();
    let binary: PathBuf = exe.parent().unwrap().parent().unwrap().join("aep-flow-run");
    assert!(
        binary.is_file(),
        "{} is missing: cargo build --release -p aep-flow-run-cli --bin aep-flow-run",
        binary.display()
    );
    eprintln!(
        "signing {} deliveries of the corpus success event...",
        WARM_UP + options.deliveries
    );
    let all: Vec<Arc<Vec<u8>>> = requests(WARM_UP + options.deliveries)
        .into_iter()
        .map(Arc::new)
        .collect();
    let (warm_up, measured) = all.split_at(WARM_UP);

    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let dir = std::env::temp_dir().join(format!("aep-serve-load-{stamp}"));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite:{}", dir.join("state.db").display());
    let mut setups: Vec<(&str, usize, String)> = vec![
        ("1 replica, in memory", 1, "memory".to_owned()),
        ("1 replica, SQLite", 1, sqlite),
    ];
    if let Some(url) = &options.redis {
        setups.push(("1 replica, Redis", 1, url.clone()));
        setups.push(("2 replicas, one Redis", 2, url.clone()));
    }
    println!(
        "{} deliveries (one event each, {} bytes), {} connections, after {WARM_UP} to warm up",
        options.deliveries,
        measured[0].len(),
        options.connections
    );
    let mut baseline = None;
    for (index, (name, count, url)) in setups.iter().enumerate() {
        let prefix = format!("load:{stamp}:{index}:");
        let replicas: Vec<Replica> = (0..*count).map(|_| start(&binary, url, &prefix)).collect();
        let addresses: Vec<SocketAddr> = replicas.iter().map(|r| r.1).collect();
        load(&addresses, warm_up, options.connections).await;
        let report = load(&addresses, measured, options.connections).await;
        let rate = report.per_second();
        let ratio = match baseline {
            None => {
                baseline = Some(rate);
                String::new()
            }
            Some(base) => format!(" ({:.2}x the in-memory replica)", rate / base),
        };
        println!(
            "{name:>22}: {rate:>8.0} deliveries/s{ratio}, p50 {:.2} ms, p99 {:.2} ms",
            report.p50.as_secs_f64() * 1e3,
            report.p99.as_secs_f64() * 1e3
        );
        drop(replicas);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
