//! The webhook's connections: HTTP/1.1, headers and body each within the read timeout, at
//! most so many at once and a share of them per peer address, and a drain on shutdown.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// How many connections, and from whom.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub peer_connections: usize,
    pub read_timeout: Duration,
}

/// The connections open now.
#[derive(Default)]
struct Open {
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
    closed: Notify,
}

/// A connection's place, given back when it closes.
struct Slot {
    open: Arc<Open>,
    peer: IpAddr,
}

impl Open {
    fn counts(&self) -> std::sync::MutexGuard<'_, (usize, HashMap<IpAddr, usize>)> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A slot for a connection from `peer`, unless the service or the peer holds its share.
    fn take(self: &Arc<Self>, peer: IpAddr, limits: &Limits) -> Option<Slot> {
        let mut counts = self.counts();
        let (total, by_peer) = &mut *counts;
        let held = by_peer.get(&peer).copied().unwrap_or(0);
        if *total >= limits.max_connections || held >= limits.peer_connections {
            return None;
        }
        *total += 1;
        by_peer.insert(peer, held + 1);
        Some(Slot {
            open: Arc::clone(self),
            peer,
        })
    }

    fn total(&self) -> usize {
        self.counts().0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.counts();
        let (total, by_peer) = &mut *counts;
        *total = total.saturating_sub(1);
        if let Some(held) = by_peer.get_mut(&self.peer) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                by_peer.remove(&self.peer);
            }
        }
        drop(counts);
        self.open.closed.notify_waiters();
    }
}

/// Serves `router` on `listener` until `stop` turns true; then stops accepting, asks every
/// connection to finish the request it is on, and waits up to `drain` for them. Gives how
/// many were still open when the wait ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    drain: Duration,
) -> usize {
    let service = TowerToHyperService::new(router);
    let open = Arc::new(Open::default());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // Out of file descriptors, a connection reset before accept, ...: keep serving.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Some(slot) = open.take(peer.ip(), &limits) else {
            tokio::spawn(busy(stream));
            continue;
        };
        let connection = http.serve_connection(TokioIo::new(stream), service.clone());
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped(&mut stop) => {
                    // Finish the request under way (its answer included), then close.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    let waited = tokio::time::timeout(drain, async {
        loop {
            let closed = open.closed.notified();
            if open.total() == 0 {
                return;
            }
            closed.await;
        }
    })
    .await;
    if waited.is_err() {
        open.total()
    } else {
        0
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// `503` with `Retry-After` to a connection over the limits, then closed. Reads (and drops)
/// what the client sent for a moment, so that closing does not reset the connection before
/// the client reads the answer.
async fn busy(mut stream: TcpStream) {
    let busy = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 5\r\n\
        content-length: 0\r\nconnection: close\r\n\r\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(busy).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut left: usize = 64 * 1024;
        while left > 0 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => left = left.saturating_sub(n),
            }
        }
        Ok::<(), std::io::Error>(())
    })
    .await;
}
