//! The load generator: N concurrent HTTP/1.1 keep-alive connections, each sending requests one
//! after another for a fixed time. Both sides of a comparison use this same code.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

/// One open connection.
pub struct Conn {
    sender: http1::SendRequest<Empty<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn open(addr: &str) -> Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
        })
    }

    /// GET `path_and_query`; returns the status and the whole body.
    pub async fn get(&mut self, path_and_query: &str) -> Result<(u16, Bytes)> {
        let req = http::Request::get(path_and_query)
            .header("host", &self.host)
            .body(Empty::new())?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

pub struct Outcome {
    pub requests: u64,
    pub seconds: f64,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Runs `clients` workers until `duration` has passed. `worker(i, deadline)` loops on its own
/// connection until the deadline and returns how many requests succeeded; any failed request is
/// an error that stops the run: a benchmark that counts errors as throughput measures nothing.
pub async fn run<F, Fut>(clients: usize, duration: Duration, worker: F) -> Result<Outcome>
where
    F: Fn(usize, Instant) -> Fut,
    Fut: Future<Output = Result<u64>> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(worker(i, deadline)))
        .collect();
    let mut requests = 0;
    for t in tasks {
        requests += t.await.context("worker panicked")??;
    }
    let seconds = started.elapsed().as_secs_f64();
    if requests == 0 {
        bail!("no request completed");
    }
    Ok(Outcome { requests, seconds })
}

// ---------------------------------------------------------------------------------------------
// Requests with bodies (`bench data`): uploads, PUTs and downloads read to the end.

/// A request body held in memory as pieces that are sent as they are (no copy), with an exact
/// length. Building one costs nothing measurable, so the client side of a transfer is only
/// the socket writes.
pub struct Chunks {
    parts: std::collections::VecDeque<Bytes>,
    len: u64,
}

impl Chunks {
    pub fn empty() -> Chunks {
        Chunks {
            parts: Default::default(),
            len: 0,
        }
    }

    /// `prefix` and then `data`, cut into pieces of `piece` bytes.
    pub fn pieces(prefix: &[Bytes], data: &Bytes, piece: usize) -> Chunks {
        let mut parts: std::collections::VecDeque<Bytes> = prefix.iter().cloned().collect();
        let mut at = 0;
        while at < data.len() {
            let end = (at + piece).min(data.len());
            parts.push_back(data.slice(at..end));
            at = end;
        }
        let len = parts.iter().map(|b| b.len() as u64).sum();
        Chunks { parts, len }
    }

    pub fn len(&self) -> u64 {
        self.len
    }
}

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        let next = self.parts.pop_front();
        if let Some(b) = &next {
            self.len -= b.len() as u64;
        }
        std::task::Poll::Ready(next.map(|b| Ok(hyper::body::Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.len)
    }
}

/// One open connection that sends requests with bodies.
pub struct BodyConn {
    sender: http1::SendRequest<Chunks>,
    host: String,
}

impl BodyConn {
    pub async fn open(addr: &str) -> Result<BodyConn> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(BodyConn {
            sender,
            host: addr.to_string(),
        })
    }

    /// `method path_and_query` with `headers` and `body` (its Content-Length is set); returns
    /// the status and the whole answer body.
    pub async fn send(
        &mut self,
        method: http::Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Chunks,
    ) -> Result<(u16, Bytes)> {
        let mut req = http::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", &self.host)
            .header("content-length", body.len());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body)?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    /// GET `path_and_query`, reading the answer body to its end and discarding it piece by
    /// piece (nothing is kept); returns the status and the number of body bytes.
    pub async fn get_discard(&mut self, path_and_query: &str) -> Result<(u16, u64)> {
        let req = http::Request::get(path_and_query)
            .header("host", &self.host)
            .body(Chunks::empty())?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut n = 0u64;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                n += data.len() as u64;
            }
        }
        Ok((status, n))
    }
}

/// The numbered jobs of [`run_jobs`], shared by its workers.
#[derive(Clone)]
pub struct Jobs {
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
    total: u64,
}

impl Jobs {
    /// The next job number in `0..total`, or `None` when all are taken.
    pub fn next(&self) -> Option<u64> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (i < self.total).then_some(i)
    }
}

/// Runs `clients` workers over `total` numbered jobs until all are done: `worker(i, jobs)`
/// takes job numbers from `jobs` one after another on its own connection and returns how many
/// it completed. Any failed job is an error that stops the run.
pub async fn run_jobs<F, Fut>(clients: usize, total: u64, worker: F) -> Result<Outcome>
where
    F: Fn(usize, Jobs) -> Fut,
    Fut: Future<Output = Result<u64>> + Send + 'static,
{
    let jobs = Jobs {
        next: Default::default(),
        total,
    };
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(worker(i, jobs.clone())))
        .collect();
    let mut requests = 0;
    for t in tasks {
        requests += t.await.context("worker panicked")??;
    }
    let seconds = started.elapsed().as_secs_f64();
    if requests != total {
        bail!("{requests} of {total} jobs completed");
    }
    Ok(Outcome { requests, seconds })
}
