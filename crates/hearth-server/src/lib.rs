//! hearth-server: the HTTP(S) front. One route takes every API call raw (no extractors: the
//! signature needs the received bytes), authenticates it, runs one handler and writes the
//! envelope. Also `/healthz`. No SQL here.

pub mod api;
pub mod download;
pub mod handlers;
pub mod listener;
pub mod pages;
pub mod params;
pub mod widget;
pub mod zip_stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use hearth_core::Core;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// How the listener speaks TLS.
#[derive(Clone, Debug, Default)]
pub enum TlsMode {
    /// Plain HTTP only.
    #[default]
    Off,
    /// Certificate and key from PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// A self-signed certificate for 127.0.0.1/localhost, written as PEM to `cert_out`.
    SelfSigned { cert_out: PathBuf },
}

#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub listen: SocketAddr,
    pub tls: TlsMode,
    /// Origins allowed for browser clients; empty = no CORS headers. `*` only when listed.
    pub cors_origins: Vec<String>,
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    /// Origins allowed for browser clients (CORS and the login widget).
    pub browser_origins: Vec<String>,
}

impl AppState {
    /// Whether the login widget may hand a token to a page of `origin`.
    pub fn widget_origin_allowed(&self, origin: &str) -> bool {
        !origin.is_empty() && self.browser_origins.iter().any(|o| o == "*" || o == origin)
    }
}

/// The whole HTTP application, without the listener (tests may drive it directly).
pub fn router(core: Core, cors_origins: &[String]) -> Router {
    let state = Arc::new(AppState {
        core,
        browser_origins: cors_origins.to_vec(),
    });
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            handlers::user::set_avatar::DEFAULT_AVATAR_PATH,
            get(|| async {
                (
                    [(http::header::CONTENT_TYPE, "image/png")],
                    &include_bytes!("default-avatar.png")[..],
                )
            }),
        )
        .route(download::ROUTE, get(download::serve))
        .route(pages::FILE_ROUTE, get(pages::file).post(pages::file))
        .route(pages::FOLDER_ROUTE, get(pages::folder))
        .route(pages::ROOT_ROUTE, get(pages::legacy))
        .route(pages::DOWNLOAD_PHP_ROUTE, get(pages::legacy))
        .route("/auth/mediafire_login.js", get(widget::script))
        .route(
            "/auth/mediafire_login.php",
            get(widget::page).post(widget::page),
        )
        .fallback(api::entry)
        .with_state(state);
    if !cors_origins.is_empty() {
        let origin = if cors_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(cors_origins.iter().filter_map(|o| o.parse().ok()))
        };
        app = app.layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods(Any)
                .allow_headers(Any),
        );
    }
    app
}

pub use listener::{bind, Server};
