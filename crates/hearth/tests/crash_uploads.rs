//! Uploads survive `kill -9`: 20 clients upload (10 through upload/simple, 10 through
//! upload/check + upload/resumable) against the real binary, which is killed with SIGKILL in
//! the middle. After a restart on the same data: every upload that poll_upload reported
//! complete downloads byte for byte, every visible file has exactly the bytes its name implies
//! (no partial file is ever visible), and `hearth admin fsck --verify-hashes` finds nothing
//! wrong (reference counts equal references, every blob present with its size and hash).
//! On SQLite, and on PostgreSQL (a fresh database) when TEST_PG_URL is set.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{hearth, serve, Server};
use hearth_client::Client;
use hearth_store::blob::BlobId;
use serde_json::Value;

const EMAIL: &str = "crash@example.com";
const PASSWORD: &str = "correct horse";
const APP_ID: &str = "42709";
const SIMPLE_CLIENTS: usize = 10;
const RESUMABLE_CLIENTS: usize = 10;
const MIB: usize = 1024 * 1024;

/// The bytes of upload `seq` of client `client`: simple uploads 64 KiB to ~1 MiB; resumable
/// ones just over 4 MiB (five 1 MiB units).
fn content(client: usize, seq: usize) -> Vec<u8> {
    let len = if client < SIMPLE_CLIENTS {
        64 * 1024 + (client * 7919 + seq * 104_729) % MIB
    } else {
        4 * MIB + 1 + (client * 131 + seq * 977) % (MIB / 2)
    };
    let seed = (client as u32 + 1).wrapping_mul(65_537) ^ (seq as u32).wrapping_mul(40_503);
    hearth_store::testing::pseudo_random_bytes(len, seed)
}

fn name(client: usize, seq: usize) -> String {
    format!("c{client}-{seq}.bin")
}

fn parse_name(name: &str) -> Option<(usize, usize)> {
    let (c, s) = name
        .strip_prefix('c')?
        .strip_suffix(".bin")?
        .split_once('-')?;
    Some((c.parse().ok()?, s.parse().ok()?))
}

fn sha(data: &[u8]) -> String {
    BlobId::of(data).to_hex()
}

struct Uploader {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Uploader {
    fn url(&self, call: &str, query: &[(&str, &str)]) -> String {
        let mut q = vec![
            ("session_token", self.token.as_str()),
            ("response_format", "json"),
        ];
        q.extend_from_slice(query);
        format!(
            "{}/api/1.5/{call}.php?{}",
            self.base,
            hearth_client::encode(&q)
        )
    }

    async fn post(
        &self,
        call: &str,
        query: &[(&str, &str)],
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Option<Value> {
        let mut req = self
            .http
            .post(self.url(call, query))
            .header("Content-Type", "application/octet-stream")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let text = req.send().await.ok()?.text().await.ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        Some(v["response"].clone())
    }

    /// Polls until the upload ends: its quickkey when it completed.
    async fn poll(&self, key: &str) -> Option<String> {
        let start = Instant::now();
        loop {
            let text = self
                .http
                .get(self.url("upload/poll_upload", &[("key", key)]))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            let d = &v["response"]["doupload"];
            if d["status"] == "99" {
                return d["quickkey"]
                    .as_str()
                    .filter(|q| !q.is_empty())
                    .map(String::from);
            }
            if start.elapsed() > Duration::from_secs(30) {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn simple(&self, name: &str, data: &[u8]) -> Option<String> {
        let headers = [
            ("X-Filename", name.to_string()),
            ("X-Filesize", data.len().to_string()),
            ("X-Filehash", sha(data)),
        ];
        let r = self
            .post("upload/simple", &[], &headers, data.to_vec())
            .await?;
        let key = r["doupload"]["key"].as_str()?.to_string();
        self.poll(&key).await
    }

    async fn resumable(&self, name: &str, data: &[u8]) -> Option<String> {
        let (size, hash) = (data.len().to_string(), sha(data));
        let r = self
            .post(
                "upload/check",
                &[
                    ("filename", name),
                    ("hash", &hash),
                    ("size", &size),
                    ("resumable", "yes"),
                ],
                &[],
                Vec::new(),
            )
            .await?;
        let unit = r["resumable_upload"]["unit_size"]
            .as_str()?
            .parse::<usize>()
            .ok()?;
        let units = r["resumable_upload"]["number_of_units"]
            .as_str()?
            .parse::<usize>()
            .ok()?;
        let mut key = None;
        // The last unit first: assembly starts with whichever unit completes the set.
        for id in (0..units).rev() {
            let part = &data[id * unit..((id + 1) * unit).min(data.len())];
            let headers = [
                ("X-Filename", name.to_string()),
                ("X-Filesize", size.clone()),
                ("X-Filehash", hash.clone()),
                ("x-unit-id", id.to_string()),
                ("x-unit-size", part.len().to_string()),
                ("x-unit-hash", sha(part)),
            ];
            let r = self
                .post("upload/resumable", &[], &headers, part.to_vec())
                .await?;
            if r["result"] != "Success" {
                return None;
            }
            key = r["doupload"]["key"].as_str().map(String::from);
        }
        self.poll(&key?).await
    }
}

async fn login(base: &str) -> Client {
    let c = Client::new(base);
    c.login(APP_ID, None, EMAIL, PASSWORD, 1)
        .await
        .expect("login");
    c
}

async fn call(c: &Client, action: &str, params: &[(&str, &str)]) -> Value {
    c.call(action, params)
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"))["response"]
        .clone()
}

async fn killed_while_uploading(data: &Path, db_url: Option<&str>) {
    let server = serve(data, db_url, &[], "serve-1.log");
    let out = hearth(data, db_url, &[])
        .args([
            "admin",
            "user",
            "create",
            "--email",
            EMAIL,
            "--password",
            PASSWORD,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let c = login(&server.base).await;
    let token = c.session().unwrap().token;

    let stop = Arc::new(AtomicBool::new(false));
    let completed: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut clients = Vec::new();
    for client in 0..SIMPLE_CLIENTS + RESUMABLE_CLIENTS {
        let up = Uploader {
            http: reqwest::Client::new(),
            base: server.base.clone(),
            token: token.clone(),
        };
        let (stop, completed) = (stop.clone(), completed.clone());
        clients.push(tokio::spawn(async move {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let (n, bytes) = (name(client, seq), content(client, seq));
                let done = if client < SIMPLE_CLIENTS {
                    up.simple(&n, &bytes).await
                } else {
                    up.resumable(&n, &bytes).await
                };
                if let Some(q) = done {
                    completed.lock().unwrap().push((n, q));
                }
                seq += 1;
            }
        }));
    }
    // Kill in the middle: once some uploads completed, with many more in flight.
    let start = Instant::now();
    while completed.lock().unwrap().len() < 30 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "uploads too slow"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut server: Server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in clients {
        tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("a client hung after the kill")
            .unwrap();
    }
    drop(server);
    let completed = completed.lock().unwrap().clone();

    let server = serve(data, db_url, &[], "serve-2.log");
    let c = login(&server.base).await;
    let http = reqwest::Client::new();
    // Every completed upload is there, byte for byte.
    for (n, quickkey) in &completed {
        let (client, seq) = parse_name(n).unwrap();
        let r = call(
            &c,
            "file/get_links",
            &[("quick_key", quickkey), ("link_type", "direct_download")],
        )
        .await;
        let url = r["links"][0]["direct_download"]
            .as_str()
            .unwrap()
            .to_string();
        let got = http.get(&url).send().await.unwrap().bytes().await.unwrap();
        assert!(
            got[..] == content(client, seq)[..],
            "{n} ({quickkey}) differs after the restart"
        );
    }
    // Every visible file has exactly the bytes its name implies: nothing partial is listed.
    let mut visible = 0;
    let mut chunk = 1;
    loop {
        let chunk_text = chunk.to_string();
        let r = call(
            &c,
            "folder/get_content",
            &[
                ("folder_key", "myfiles"),
                ("content_type", "files"),
                ("chunk_size", "1000"),
                ("chunk", &chunk_text),
            ],
        )
        .await;
        for f in r["folder_content"]["files"].as_array().unwrap() {
            let n = f["filename"].as_str().unwrap();
            let (client, seq) = parse_name(n).unwrap_or_else(|| panic!("unexpected file {n}"));
            let want = content(client, seq);
            assert_eq!(f["hash"], sha(&want), "{n}");
            assert_eq!(f["size"], want.len().to_string(), "{n}");
            visible += 1;
        }
        if r["folder_content"]["more_chunks"] != "yes" {
            break;
        }
        chunk += 1;
    }
    assert!(
        visible >= completed.len(),
        "{visible} < {}",
        completed.len()
    );
    eprintln!(
        "{} uploads completed before the kill, {visible} files visible after",
        completed.len()
    );
    drop(server);
    // The store is consistent: counts, blobs, sizes, hashes.
    let out = hearth(data, db_url, &[])
        .args(["admin", "fsck", "--verify-hashes"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "fsck: {stdout} {out:?}");
    assert!(stdout.lines().any(|l| l == "ok"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_uploads_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    killed_while_uploading(dir.path(), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_uploads_survive_kill_9() {
    let Some((url, guard)) = common::fresh_postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    killed_while_uploading(dir.path(), Some(&url)).await;
    drop(guard);
}
