//! A plain HTTP/1.1 client for the end-to-end tests: one request per connection
//! (`Connection: close`), the whole reply read, chunked bodies decoded, every wait bounded.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The longest any step may take.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A response: status, headers, and the body (chunks decoded).
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

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole response.
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

pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
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

/// Sends a POST with `framing` in its head, then `size` bytes of body in 64 KB pieces, each
/// passed through `frame`; gives the reply, which may come before the body is all sent.
pub async fn stream_body(
    server: SocketAddr,
    framing: &str,
    size: usize,
    frame: fn(&[u8]) -> Vec<u8>,
    trailer: &'static [u8],
) -> Reply {
    let mut stream = timeout(LIMIT, TcpStream::connect(server))
        .await
        .unwrap()
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {server}\r\nconnection: close\r\ncontent-type: application/json\r\n{framing}\r\n\r\n"
    );
    timeout(LIMIT, stream.write_all(head.as_bytes()))
        .await
        .unwrap()
        .unwrap();
    let (reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        let block = vec![b' '; 64 * 1024];
        let mut left = size;
        while left > 0 {
            let n = left.min(block.len());
            match timeout(LIMIT, writer.write_all(&frame(&block[..n]))).await {
                Ok(Ok(())) => left -= n,
                _ => break,
            }
        }
        let _ = timeout(LIMIT, writer.write_all(trailer)).await;
        // Keep the write side open until the reply is read, as a client does: a half-closed
        // connection may be closed by the server before it answers.
        std::future::pending::<()>().await;
        drop(writer);
    });
    let reply = read_reply(reader).await;
    sending.abort();
    reply
}

/// `piece` as one chunk of a chunked body.
pub fn chunk(piece: &[u8]) -> Vec<u8> {
    let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
    chunk.extend_from_slice(piece);
    chunk.extend_from_slice(b"\r\n");
    chunk
}
