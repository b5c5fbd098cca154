//! The accept loop: HTTP/1.1 over TCP (or TLS), one task per connection, graceful shutdown, and
//! real connection resets for the fault rules that need them.
//!
//! A handler asks for a reset by answering with the [`AbortConnection`] marker; the connection's
//! service then fails, hyper drops the connection without writing anything, and the socket is
//! closed with `SO_LINGER` 0, so the peer sees a TCP RST ("connection reset by peer"), as with
//! Toxiproxy's `reset_peer` and WireMock's `CONNECTION_RESET_BY_PEER`.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::app::AbortConnection;

/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long open connections get to finish after shutdown is asked.
const DRAIN: Duration = Duration::from_secs(5);

/// A TCP stream that is reset (RST) instead of closed when its connection was aborted.
struct Abortable {
    inner: TcpStream,
    abort: Arc<AtomicBool>,
}

impl Drop for Abortable {
    fn drop(&mut self) {
        if self.abort.load(Ordering::SeqCst)
            && let Err(e) = self.inner.set_zero_linger()
        {
            tracing::debug!(error = %e, "cannot set SO_LINGER 0");
        }
    }
}

impl AsyncRead for Abortable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Abortable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `router` on `listener` until `shutdown` turns true, then lets open connections finish
/// (at most [`DRAIN`]).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let shutdown = shutdown.clone();
        conns.spawn(async move {
            let abort = Arc::new(AtomicBool::new(false));
            let io = Abortable {
                inner: stream,
                abort: abort.clone(),
            };
            match tls {
                None => connection(TokioIo::new(io), peer, router, abort, shutdown).await,
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(io)).await {
                        Ok(Ok(tls_io)) => {
                            connection(TokioIo::new(tls_io), peer, router, abort, shutdown).await
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let drained =
        tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
        conns.abort_all();
    }
}

async fn connection<I>(
    io: TokioIo<I>,
    peer: SocketAddr,
    router: Router,
    abort: Arc<AtomicBool>,
    mut shutdown: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let router = router.clone();
        let abort = abort.clone();
        async move {
            req.extensions_mut().insert(ConnectInfo(peer));
            let resp = match router.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if resp.extensions().get::<AbortConnection>().is_some() {
                abort.store(true, Ordering::SeqCst);
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "injected connection reset",
                ));
            }
            Ok::<_, io::Error>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        // A client that never finishes its request head does not hold a connection forever.
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
