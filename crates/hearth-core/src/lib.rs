//! hearth-core: the rules of the product — who may do what — with no HTTP and no SQL text.
//!
//! Every public operation returns `Result<_, ApiError>` with a code from the error table;
//! unexpected failures are logged here and surface as 100 (`ERROR_INTERNAL`).

pub mod accounts;
pub mod bulk;
pub mod device;
pub mod downloads;
pub mod file_query;
pub mod files;
pub mod folder_query;
pub mod gc;
pub mod jobs;
pub mod links;
pub mod patch;
pub mod ratelimit;
pub mod safe_fetch;
pub mod session_cache;
pub mod sessions;
pub mod settings;
pub mod time_fmt;
pub mod tree;
pub mod uploads;
pub mod vcdiff;
pub mod web_uploads;

use std::sync::Arc;

use hearth_api::errors::{codes, ApiError};
use hearth_store::Db;

pub use settings::{Argon2Profile, Limits, Settings};

/// The domain service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Core {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    settings: Settings,
    rate: ratelimit::RateLimiter,
    /// The in-memory session table of the single-process SQLite mode; `None` on PostgreSQL,
    /// where several nodes share sessions through the database.
    sessions: Option<Arc<session_cache::SessionCache>>,
    /// Where file contents live (content-addressed by SHA-256).
    blobs: Arc<dyn hearth_store::blob::BlobStore>,
    /// The link-signing secret once read (it never changes after it is first stored).
    link_secret: tokio::sync::OnceCell<Vec<u8>>,
}

impl Core {
    pub fn new(db: Db, settings: Settings, blobs: Arc<dyn hearth_store::blob::BlobStore>) -> Core {
        let sessions = (db.dialect() == hearth_store::Dialect::Sqlite)
            .then(|| session_cache::SessionCache::new(db.clone()));
        Core {
            inner: Arc::new(Inner {
                db,
                settings,
                rate: ratelimit::RateLimiter::default(),
                sessions,
                blobs,
                link_secret: tokio::sync::OnceCell::new(),
            }),
        }
    }

    pub(crate) fn blob_store(&self) -> &Arc<dyn hearth_store::blob::BlobStore> {
        &self.inner.blobs
    }

    pub(crate) fn session_cache(&self) -> Option<&Arc<session_cache::SessionCache>> {
        self.inner.sessions.as_ref()
    }

    /// Saves session key state still held in memory (call before shutting down).
    pub async fn flush_sessions(&self) -> anyhow::Result<()> {
        match self.session_cache() {
            Some(c) => c.flush().await,
            None => Ok(()),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn rate_limiter(&self) -> &ratelimit::RateLimiter {
        &self.inner.rate
    }
}

/// Turns an unexpected failure into 100 after logging what really happened: clients only ever
/// see the table's code and message.
pub(crate) fn internal(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %err, "internal error");
    ApiError::new(codes::INTERNAL)
}

pub(crate) fn now_us() -> i64 {
    hearth_store::now_us()
}
