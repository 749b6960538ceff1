//! The listener: plain HTTP, TLS (rustls, ring provider), or both on one port. With TLS on,
//! each connection is sniffed: a first byte of 0x16 (a TLS handshake record) means TLS,
//! anything else plain HTTP — mediafire-shell logs in over https and makes every other call
//! over http to the same host:port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::{router, ServerOptions, TlsMode};
use hearth_core::Core;

/// What a handler learns about the connection.
#[derive(Clone, Copy, Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub tls: bool,
}

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
}

/// Binds the port (port 0 picks a free one) and prepares TLS.
pub async fn bind(opts: &ServerOptions, core: Core) -> anyhow::Result<Server> {
    let tls = match &opts.tls {
        TlsMode::Off => None,
        mode => Some(TlsAcceptor::from(Arc::new(tls_config(mode)?))),
    };
    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding {}", opts.listen))?;
    Ok(Server {
        listener,
        app: router(core, &opts.cors_origins),
        tls,
    })
}

fn tls_config(mode: &TlsMode) -> anyhow::Result<rustls::ServerConfig> {
    let (certs, key) = match mode {
        TlsMode::Off => unreachable!("no TLS config without TLS"),
        TlsMode::Files { cert, key } => {
            let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
                std::fs::File::open(cert).with_context(|| format!("opening {}", cert.display()))?,
            ))
            .collect::<Result<Vec<_>, _>>()?;
            let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
                std::fs::File::open(key).with_context(|| format!("opening {}", key.display()))?,
            ))?
            .context("no private key in the key file")?;
            (certs, key)
        }
        TlsMode::SelfSigned { cert_out } => {
            let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
            let generated = rcgen::generate_simple_self_signed(names)?;
            if let Some(dir) = cert_out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(cert_out, generated.cert.pem())
                .with_context(|| format!("writing {}", cert_out.display()))?;
            let key =
                rustls::pki_types::PrivateKeyDer::try_from(generated.key_pair.serialize_der())
                    .map_err(|e| anyhow::anyhow!("self-signed key: {e}"))?;
            (vec![generated.cert.der().clone()], key)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

impl Server {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until the task is dropped.
    pub async fn run(self) -> anyhow::Result<()> {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let app = self.app.clone();
            let tls = self.tls.clone();
            tokio::spawn(async move {
                if let Err(e) = serve_connection(stream, peer, app, tls).await {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
            });
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<TlsAcceptor>,
) -> anyhow::Result<()> {
    let local = stream.local_addr()?;
    let is_tls = match &tls {
        Some(_) => {
            let mut first = [0u8; 1];
            let n = tokio::time::timeout(Duration::from_secs(30), stream.peek(&mut first))
                .await
                .context("no first byte")??;
            n == 1 && first[0] == 0x16
        }
        None => false,
    };
    let info = ConnInfo {
        peer,
        local,
        tls: is_tls,
    };
    let service = app.map_request(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(info);
        req.map(axum::body::Body::new)
    });
    let service = TowerToHyperService::new(service);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.keep_alive(true);
    match (is_tls, tls) {
        (true, Some(acceptor)) => {
            let stream = tokio::time::timeout(Duration::from_secs(30), acceptor.accept(stream))
                .await
                .context("TLS handshake timed out")??;
            http.serve_connection(TokioIo::new(stream), service).await?;
        }
        _ => {
            http.serve_connection(TokioIo::new(stream), service).await?;
        }
    }
    Ok(())
}
