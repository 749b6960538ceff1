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
