//! Accepting and keeping connections, with limits that hold against slow and idle clients.
//!
//! Each connection is in one of three phases: **idle** (no request in flight, nothing being
//! read), **headers** (bytes of a request head are arriving) or **busy** (a request is being
//! answered). An idle connection is closed after `idle_timeout`, one in the headers phase after
//! `header_read_timeout` (slowloris); a busy one is bounded by the request timeout of its
//! handler. At `max_connections`, a new connection displaces the connection that has been idle
//! or reading headers the longest, so that a flood of idle sockets cannot lock out health
//! checks or real clients; the same happens when the process runs out of file descriptors.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;

pub use crate::runtime::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Headers,
    Busy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    phase: Phase,
    since: Instant,
    in_flight: usize,
}

/// One connection's phase, shared by its reader, its requests, its watchdog and the acceptor.
struct Conn {
    state: Mutex<State>,
    /// The phase changed (the watchdog recomputes its deadline).
    changed: Notify,
    /// Close now (displaced, timed out or shutting down).
    close: Notify,
}

impl Conn {
    fn new() -> Conn {
        Conn {
            // Waiting for the first request head is reading headers: a client that connects
            // and sends nothing gets `header_read_timeout`, not `idle_timeout`.
            state: Mutex::new(State {
                phase: Phase::Headers,
                since: Instant::now(),
                in_flight: 0,
            }),
            changed: Notify::new(),
            close: Notify::new(),
        }
    }

    fn state(&self) -> State {
        *self.state.lock().expect("connection state lock")
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        let mut s = self.state.lock().expect("connection state lock");
        let before = *s;
        f(&mut s);
        if *s != before {
            drop(s);
            self.changed.notify_one();
        }
    }

    /// Bytes arrived: an idle connection starts reading a request head.
    fn bytes_read(&self) {
        let s = self.state();
        if s.phase == Phase::Idle {
            self.update(|s| {
                if s.phase == Phase::Idle {
                    s.phase = Phase::Headers;
                    s.since = Instant::now();
                }
            });
        }
    }

    fn request_started(&self) {
        self.update(|s| {
            s.in_flight += 1;
            s.phase = Phase::Busy;
        });
    }

    fn request_finished(&self) {
        self.update(|s| {
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.phase = Phase::Idle;
                s.since = Instant::now();
            }
        });
    }

    /// Resolves when the connection has been idle or reading headers for too long.
    async fn watchdog(&self, limits: Limits) {
        loop {
            let s = self.state();
            let deadline = match s.phase {
                Phase::Idle => s.since + limits.idle_timeout,
                Phase::Headers => s.since + limits.header_read_timeout,
                Phase::Busy => {
                    self.changed.notified().await;
                    continue;
                }
            };
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    if self.state() == s {
                        return;
                    }
                }
                _ = self.changed.notified() => {}
            }
        }
    }
}

/// Every open connection, for displacement at the limit.
#[derive(Default)]
struct Table {
    next: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Table {
    fn len(&self) -> usize {
        self.conns.lock().expect("connection table lock").len()
    }

    fn insert(&self, conn: Arc<Conn>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns
            .lock()
            .expect("connection table lock")
            .insert(id, conn);
        id
    }

    fn remove(&self, id: u64) {
        self.conns
            .lock()
            .expect("connection table lock")
            .remove(&id);
    }

    /// Closes the connection that has waited longest without a request in flight; false when
    /// every connection is busy.
    fn displace_one(&self) -> bool {
        let conns = self.conns.lock().expect("connection table lock");
        let victim = conns
            .iter()
            .map(|(id, c)| (id, c, c.state()))
            .filter(|(_, _, s)| s.phase != Phase::Busy)
            .min_by_key(|(_, _, s)| s.since);
        match victim {
            Some((id, conn, _)) => {
                tracing::debug!(connection = id, "displacing an idle connection");
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn close_all(&self) {
        for conn in self.conns.lock().expect("connection table lock").values() {
            conn.close.notify_one();
        }
    }
}

/// The socket, telling its connection when request bytes arrive.
struct TrackedIo {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
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

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A response body that marks its request finished when it is done or dropped.
struct TrackedBody {
    inner: Body,
    _guard: InFlight,
}

struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

impl hyper::body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// What answers a request: given the peer's address in `ConnectInfo`.
pub trait Handler: Clone + Send + Sync + 'static {
    /// Answers one request (on a clone of the handler).
    fn call(self, req: Request<Body>) -> impl Future<Output = Response<Body>> + Send + 'static;
}

fn is_out_of_descriptors(e: &io::Error) -> bool {
    // EMFILE (per process) and ENFILE (system-wide).
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// Serves `listener` with `handler` until `shutdown` resolves, then lets requests in flight
/// finish (at most `drain`).
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: H,
    limits: impl Fn() -> Limits + Send + 'static,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) {
    let table = Arc::new(Table::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) if is_out_of_descriptors(&e) => {
                tracing::warn!(error = %e, "out of file descriptors; displacing an idle connection");
                if !table.displace_one() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                continue;
            }
        };
        let limits = limits();
        if table.len() >= limits.max_connections && !table.displace_one() {
            tracing::warn!(%peer, "connection limit reached with every connection busy; refused");
            continue;
        }
        spawn_connection(stream, peer, &handler, &table, &graceful, limits);
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(drain) => {
            tracing::warn!("requests still in flight after the drain period; closing");
            table.close_all();
        }
    }
}

/// Serves one connection in its own task, tracked in `table`, until it ends, times out, is
/// displaced or the server shuts down.
fn spawn_connection<H: Handler>(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    handler: &H,
    table: &Arc<Table>,
    graceful: &hyper_util::server::graceful::GracefulShutdown,
    limits: Limits,
) {
    let _ = stream.set_nodelay(true);
    let conn = Arc::new(Conn::new());
    let id = table.insert(conn.clone());
    let io = TokioIo::new(TrackedIo {
        inner: stream,
        conn: conn.clone(),
    });
    let service = {
        let conn = conn.clone();
        let handler = handler.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            conn.request_started();
            let guard = InFlight(conn.clone());
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            let answer = handler.clone().call(req);
            async move {
                let resp = answer.await;
                Ok::<_, Infallible>(resp.map(|inner| TrackedBody {
                    inner,
                    _guard: guard,
                }))
            }
        })
    };
    let watched = {
        let builder = Builder::new(TokioExecutor::new());
        graceful.watch(builder.serve_connection(io, service).into_owned())
    };
    let table = table.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = watched => {}
            _ = conn.watchdog(limits) => tracing::debug!(%peer, "connection timed out"),
            _ = conn.close.notified() => {}
        }
        table.remove(id);
    });
}
