//! HTTP/1.1 by hand over loopback, to see exactly what the service answers: one request per
//! connection (`Connection: close`), every wait bounded.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body {:?} is not JSON: {error}", self.body))
    }
}

/// Sends one request and reads the whole response.
pub async fn request(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Reply {
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = timeout(LIMIT, TcpStream::connect(address))
        .await
        .unwrap()
        .unwrap();
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    timeout(LIMIT, stream.write_all(&bytes))
        .await
        .unwrap()
        .unwrap();
    read_reply(stream).await
}

/// `GET path` on the admin port.
pub async fn get(address: SocketAddr, path: &str) -> Reply {
    request(address, "GET", path, &[], b"").await
}

/// Reads a response until the server closes; a reset after the response arrived (the
/// server refused to read the rest of a large body) ends the read too.
pub async fn read_reply(mut stream: impl AsyncReadExt + Unpin) -> Reply {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match timeout(LIMIT, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => raw.extend_from_slice(&chunk[..n]),
            Ok(Err(_)) if !raw.is_empty() => break,
            Ok(Err(error)) => panic!("reading the response: {error}"),
            Err(_) => panic!("no complete response within {LIMIT:?}"),
        }
    }
    parse_reply(&raw)
}

pub fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    } else if let Some((_, length)) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        let length: usize = length.parse().unwrap();
        assert_eq!(body.len(), length, "truncated response body");
    }
    Reply {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
    panic!("too many chunks");
}

pub fn json_headers(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers.push(("content-type".into(), "application/json".into()));
    headers
}

/// Reads the Prometheus text of `/metrics` into (sample with labels, value).
pub fn metric_samples(text: &str) -> std::collections::BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (sample, value) = line.rsplit_once(' ').expect("sample value");
            (sample.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}
