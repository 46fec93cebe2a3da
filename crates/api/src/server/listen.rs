//! The accept loop: at most `max_connections` open at once (the next ones wait in the
//! kernel's backlog); a connection must send its first byte, then its request headers, within
//! `header_read_timeout` or it is cut (idle and slow-header attacks); HTTP/1 only (a reverse
//! proxy speaks HTTP/2 to browsers); a graceful shutdown that lets open requests finish.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// How long open requests may take to finish after a shutdown signal.
    pub drain: Duration,
}

pub async fn serve(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<std::net::SocketAddr>(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper's header timer starts with the first byte: a socket that sends nothing is
            // timed here.
            let mut first = [0u8; 1];
            match tokio::time::timeout(limits.header_read_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return drop(permit),
            }
            // hyper's HTTP/1 server itself: the auto builder would still wait for an HTTP/2
            // preface without any timeout.
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(limits.drain) => tracing::warn!("shutdown: requests still open after {:?}, closing them", limits.drain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::SocketAddr;
    use std::time::Instant;

    async fn start(limits: Limits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        tokio::spawn(serve(listener, router, limits, std::future::pending()));
        addr
    }

    fn get(addr: SocketAddr) -> String {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slow_headers_are_cut_off() {
        let addr = start(Limits { max_connections: 8, header_read_timeout: Duration::from_millis(300), drain: Duration::from_secs(1) }).await;
        let t = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
            let t = Instant::now();
            let mut buf = [0u8; 256];
            let n = s.read(&mut buf).unwrap_or(0);
            (t.elapsed(), n)
        });
        let (waited, _) = t.await.unwrap();
        assert!(waited < Duration::from_secs(5), "the connection was closed after the header timeout, not held: {waited:?}");
        assert!(tokio::task::spawn_blocking(move || get(addr)).await.unwrap().contains("200 OK"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn silent_connections_are_cut_and_free_their_place() {
        let addr = start(Limits { max_connections: 2, header_read_timeout: Duration::from_millis(300), drain: Duration::from_secs(1) }).await;
        let silent: Vec<_> = (0..2).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        let half_h2 = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"PRI * HTTP/2.0\r\n").unwrap();
            s
        });
        let t = Instant::now();
        let resp = tokio::task::spawn_blocking(move || get(addr)).await.unwrap();
        assert!(resp.contains("200 OK"), "{resp}");
        assert!(t.elapsed() < Duration::from_secs(5), "served once the silent ones were cut: {:?}", t.elapsed());
        drop((silent, half_h2.await.unwrap()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_beyond_the_limit_wait_for_a_free_one() {
        let addr = start(Limits { max_connections: 1, header_read_timeout: Duration::from_secs(30), drain: Duration::from_secs(1) }).await;
        let holder = std::net::TcpStream::connect(addr).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let second = tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            (get(addr), t.elapsed())
        });
        tokio::time::sleep(Duration::from_millis(600)).await;
        drop(holder);
        let (resp, waited) = second.await.unwrap();
        assert!(resp.contains("200 OK"), "{resp}");
        assert!(waited >= Duration::from_millis(500), "served only once the first connection closed: {waited:?}");
    }
}
