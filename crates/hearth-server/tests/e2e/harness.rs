//! Starts a real server on 127.0.0.1:0 with a fresh database (SQLite in a temp dir, or a fresh
//! PostgreSQL database when TEST_PG_URL is set) and cheap password hashing.

use std::net::SocketAddr;
use std::path::PathBuf;

use hearth_client::Client;
use hearth_core::{Argon2Profile, Core, Settings};
use hearth_server::{ServerOptions, TlsMode};
use hearth_store::blob::BlobStore;
use hearth_store::testing::{fresh_postgres_db, fresh_sqlite_db, pg_url, TestDbGuard};
use serde_json::Value;

pub const APP_ID: &str = "42709";
pub const EMAIL: &str = "alice@example.com";
pub const PASSWORD: &str = "correct horse";

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub core: Core,
    pub dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
    _sqlite_dir: Option<tempfile::TempDir>,
    _pg: Option<TestDbGuard>,
    _blobs: Option<tempfile::TempDir>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn test_settings() -> Settings {
    Settings {
        argon2: Argon2Profile::Fast,
        ..Settings::default()
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}, TlsMode::Off).await
    }

    pub async fn with_settings(f: impl FnOnce(&mut Settings)) -> TestServer {
        TestServer::start_with(f, TlsMode::Off).await
    }

    /// A second server process on the same PostgreSQL database as `other` (scale-out).
    pub async fn second_node(other: &TestServer) -> TestServer {
        let db = hearth_store::Db::connect(&other.db_url())
            .await
            .expect("second node db");
        let core = Core::new(
            db,
            other.core.settings().clone(),
            other.core.blobs().clone(),
        );
        TestServer::serve(core, TlsMode::Off, None, None).await
    }

    pub async fn start_with(f: impl FnOnce(&mut Settings), tls: TlsMode) -> TestServer {
        TestServer::start_on(f, tls, None).await
    }

    /// A server whose blobs live in `blobs` (e.g. a store on a file system that can lose
    /// power) instead of a fresh local store.
    pub async fn with_blob_store(blobs: std::sync::Arc<dyn BlobStore>) -> TestServer {
        TestServer::start_on(|_| {}, TlsMode::Off, Some(blobs)).await
    }

    async fn start_on(
        f: impl FnOnce(&mut Settings),
        tls: TlsMode,
        blob_store: Option<std::sync::Arc<dyn BlobStore>>,
    ) -> TestServer {
        let mut settings = test_settings();
        f(&mut settings);
        let (db, sqlite_dir, pg) = match pg_url() {
            Some(url) => {
                let (db, guard) = fresh_postgres_db(&url)
                    .await
                    .expect("fresh PostgreSQL database");
                (db, None, Some(guard))
            }
            None => {
                let (db, dir) = fresh_sqlite_db().await;
                (db, Some(dir), None)
            }
        };
        let blobs = tempfile::tempdir().unwrap();
        let store = match blob_store {
            Some(store) => store,
            None => {
                std::sync::Arc::new(hearth_store::blob::LocalBlobStore::new(blobs.path()).unwrap())
            }
        };
        let core = Core::new(db, settings, store);
        core.bootstrap().await.expect("bootstrap");
        core.create_user(EMAIL, PASSWORD, "Alice", "Liddell", false)
            .await
            .expect("test user");
        let mut server = TestServer::serve(core, tls, sqlite_dir, pg).await;
        server._blobs = Some(blobs);
        server
    }

    async fn serve(
        core: Core,
        tls: TlsMode,
        sqlite_dir: Option<tempfile::TempDir>,
        pg: Option<TestDbGuard>,
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let tls = match tls {
            TlsMode::SelfSigned { .. } => TlsMode::SelfSigned {
                cert_out: dir.path().join("cert.pem"),
            },
            other => other,
        };
        let opts = ServerOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls,
            cors_origins: vec!["https://app.example".into()],
        };
        let server = hearth_server::bind(&opts, core.clone())
            .await
            .expect("bind");
        let addr = server.local_addr().unwrap();
        core.start_jobs();
        let task = tokio::spawn(async move {
            let _ = server.run().await;
        });
        TestServer {
            addr,
            base: format!("http://{addr}"),
            core,
            dir,
            task,
            _sqlite_dir: sqlite_dir,
            _pg: pg,
            _blobs: None,
        }
    }

    /// A URL another process would use to open this server's database.
    pub fn db_url(&self) -> String {
        match (&self._pg, &self._sqlite_dir) {
            (Some(guard), _) => {
                hearth_store::testing::with_database(&pg_url().unwrap(), guard.name()).unwrap()
            }
            (None, Some(dir)) => format!("sqlite://{}", dir.path().join("hearth.db").display()),
            (None, None) => unreachable!("a test server has a database"),
        }
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client logged in as the test user with a token of `version`.
    pub async fn login(&self, version: u8) -> Client {
        let c = self.client();
        c.login(APP_ID, None, EMAIL, PASSWORD, version)
            .await
            .expect("login");
        c
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base, path_and_query)
    }
}

/// GET a URL; returns (status, content-type, body).
pub async fn get(url: &str) -> (u16, String, String) {
    let r = reqwest::get(url).await.expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

/// POST an urlencoded body.
pub async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The MediaFire error code of a client result.
pub fn code<T: std::fmt::Debug>(r: Result<T, hearth_client::ClientError>) -> u16 {
    match r {
        Err(e) => e.code().unwrap_or_else(|| panic!("not an API error: {e}")),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}
