//! What the tests of the real binary share: starting `hearth` on a data directory (and a
//! PostgreSQL database) with settings from the environment, as an operator would.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the server when the test ends, however it ends.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn hearth(data: &Path, db_url: Option<&str>, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    // Settings through the environment, as an operator would; nothing else leaks in.
    for (k, _) in std::env::vars() {
        if k.starts_with("HEARTH_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HEARTH_DATA_DIR", data)
        .env("HEARTH_ARGON2_PROFILE", "fast")
        .env("HEARTH_LOG", "info")
        .current_dir(data);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(url) = db_url {
        cmd.env("HEARTH_DATABASE_URL", url);
    }
    cmd
}

/// `hearth serve` on a free port; waits (bounded) for its "listening on" line.
pub fn serve(data: &Path, db_url: Option<&str>, env: &[(&str, &str)], log: &str) -> Server {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join(log))
        .unwrap();
    let mut child = hearth(data, db_url, env)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("starting hearth serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on http://") {
                let _ = tx.send(addr.trim().to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server did not start");
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

/// A fresh PostgreSQL database for one test (`None` without TEST_PG_URL): its URL, and the
/// guard that drops it.
pub async fn fresh_postgres() -> Option<(String, hearth_store::testing::TestDbGuard)> {
    let base = hearth_store::testing::pg_url()?;
    let (db, guard) = hearth_store::testing::fresh_postgres_db(&base)
        .await
        .expect("fresh PostgreSQL database");
    db.close().await;
    let url = hearth_store::testing::with_database(&base, guard.name()).unwrap();
    Some((url, guard))
}
