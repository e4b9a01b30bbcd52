//! A tiny HTTP server on 127.0.0.1 standing in for a chat's incoming webhook: it answers each
//! POST with the next status of its script (then 200), and keeps every body it was sent with
//! the status it answered. Stopped when dropped.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request the sink received: the status it answered, and the JSON body.
#[derive(Debug, Clone)]
pub struct Received {
    pub status: u16,
    pub body: serde_json::Value,
}

#[derive(Default)]
struct State {
    script: VecDeque<u16>,
    received: Vec<Received>,
}

pub struct Sink {
    pub address: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Sink {
    /// A sink on a port the system picks.
    pub fn start(script: &[u16]) -> Sink {
        Sink::on(TcpListener::bind("127.0.0.1:0").unwrap(), script)
    }

    /// A sink on a given port (one that was free).
    pub fn start_on(port: u16, script: &[u16]) -> Sink {
        Sink::on(TcpListener::bind(("127.0.0.1", port)).unwrap(), script)
    }

    fn on(listener: TcpListener, script: &[u16]) -> Sink {
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            script: script.iter().copied().collect(),
            received: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (served, stopping) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    answer(stream, &served);
                }
            }
        });
        Sink {
            address,
            state,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/test", self.address)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The bodies answered 2xx: the pages delivered.
    pub fn delivered(&self) -> Vec<serde_json::Value> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .map(|r| r.body)
            .collect()
    }

    /// Waits until `count` pages were delivered (within `limit`), and gives them.
    pub fn wait_delivered(&self, count: usize, limit: Duration) -> Vec<serde_json::Value> {
        let started = Instant::now();
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(
                started.elapsed() < limit,
                "{} of {count} pages delivered within {limit:?}: {:?}",
                delivered.len(),
                self.received()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
    }
}

/// Reads one request, answers it with the script's next status, and records it.
fn answer(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let status = {
        let mut state = state.lock().unwrap();
        let status = state.script.pop_front().unwrap_or(200);
        let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        state.received.push(Received { status, body });
        status
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Status\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
    );
}
