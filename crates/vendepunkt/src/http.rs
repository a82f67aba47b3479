//! The HTTP/1.1 accept loop (instead of `axum::serve`).
//!
//! `axum::serve` serves each connection with hyper-util's `auto` builder, which first reads
//! the connection preface to tell HTTP/1.1 from HTTP/2 and hands it back to hyper as a
//! 24-byte prefix. hyper then reads the rest of the request into a buffer that already holds
//! those bytes, and its 8 KiB read buffer grows to 16 KiB — for the whole life of the
//! connection. With thousands of open live-update streams that was the largest single part
//! of the server's memory (measured with heaptrack; see docs/BENCHMARKS.md). Browsers reach
//! this server over HTTP/1.1 (directly, or through a TLS proxy, which speaks HTTP/1.1 to it),
//! so the server speaks HTTP/1.1 only and skips the detection.
//!
//! Everything else is as with `axum::serve`: one task per connection, the peer address as
//! [`ConnectInfo`], and on shutdown no new connections while open ones finish (the caller
//! bounds how long it waits).

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Serves `app` on `listener` until `shutdown` completes, then waits for open connections.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, as axum::serve does.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
