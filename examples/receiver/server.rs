//! The accept loop: HTTP/1.1 connections served within the receiver's [`Limits`].
//!
//! `axum::serve` has neither a header read timeout nor a connection limit, so idle or
//! slow connections could pile up until the process ran out of file descriptors and
//! answered nobody. Here each connection must send its request head within
//! `limits.header_read` (also between keep-alive requests) and in at most
//! `limits.head_bytes`, at most `limits.connections` are open at once (further ones wait
//! in the listen backlog until a slot frees), and on shutdown the loop stops accepting,
//! lets open requests finish, then waits for handlers still running past their deadline.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{Admission, Limits};

/// The smallest read buffer hyper accepts (it panics below), and so the smallest bound on
/// a request head.
const MIN_HEAD_BYTES: usize = 8 * 1024;

/// How often the counted refusals are summed up in the log.
pub const REJECTION_REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` resolves, then drains: open requests
/// are answered and the handlers `admission` let in run to their end.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    admission: Admission,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Arc::new(Semaphore::new(limits.connections.clamp(1, Semaphore::MAX_PERMITS)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_buf_size(limits.head_bytes.max(MIN_HEAD_BYTES));
    let graceful = GracefulShutdown::new();
    let reporter = tokio::spawn(report_rejections(admission.clone()));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&connections).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed, so a slot always comes.
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors, most likely: wait for some to close rather
                // than spin on the error.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts and clients that hang up: routine, and not worth a line each.
                tracing::debug!(%error, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("no longer accepting; finishing the requests in progress");
    graceful.shutdown().await;
    admission.drained().await;
    reporter.abort();
    admission.report_rejections();
}

/// Sums up the refused requests once per [`REJECTION_REPORT_INTERVAL`], so that the last
/// burst is reported even when no refusal follows it.
async fn report_rejections(admission: Admission) {
    let mut ticks = tokio::time::interval(REJECTION_REPORT_INTERVAL);
    loop {
        ticks.tick().await;
        admission.report_rejections();
    }
}
