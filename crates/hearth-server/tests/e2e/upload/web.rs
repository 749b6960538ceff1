//! upload/add_web_upload, upload/get_web_uploads and user/set_avatar url=: fetches from a local
//! origin server (loopback allowed by `web_upload_allow`), progress, the SSRF refusals with
//! default settings (loopback, private, link-local, mapped, other schemes, redirects), size and
//! time limits leaving no file, the running cap, restarts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Response, StatusCode, Uri};
use bytes::Bytes;
use hearth_client::Client;
use hearth_core::safe_fetch::parse_cidrs;
use hearth_core::Settings;
use hearth_store::blob::BlobId;
use serde_json::Value;
use tokio::io::AsyncReadExt as _;

use super::{bytes, poll, sha};
use crate::file::{alice, bob, fails, folder, row, xml};
use crate::harness::TestServer;

/// A local HTTP server to fetch from, counting the requests it gets.
pub struct Origin {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct OriginState {
    data: Vec<u8>,
    hits: Arc<AtomicUsize>,
}

fn ok(content_type: &str, body: Body) -> Response<Body> {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .unwrap()
}

/// `data` in two halves, with `pause` between them, as a streamed body.
fn pieces(data: Vec<u8>, pause: Duration) -> Body {
    let half = data.len() / 2;
    let parts: Vec<(Bytes, Duration)> = vec![
        (Bytes::copy_from_slice(&data[..half]), Duration::ZERO),
        (Bytes::copy_from_slice(&data[half..]), pause),
    ];
    let stream = futures_util::stream::unfold(parts.into_iter(), |mut it| async move {
        let (b, wait) = it.next()?;
        tokio::time::sleep(wait).await;
        Some((Ok::<_, Infallible>(b), it))
    });
    Body::from_stream(stream)
}

async fn serve(State(st): State<Arc<OriginState>>, uri: Uri) -> Response<Body> {
    st.hits.fetch_add(1, Ordering::SeqCst);
    let data = st.data.clone();
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let redirect = |to: &str| {
        Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, to)
            .body(Body::empty())
            .unwrap()
    };
    match uri.path() {
        "/file.bin" => ok("application/octet-stream", Body::from(data)),
        "/small.bin" => ok(
            "application/octet-stream",
            Body::from(data[..50_000].to_vec()),
        ),
        "/dir/named" => Response::builder()
            .header(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"plain.bin\"; filename*=UTF-8''r%C3%A9port%20final.bin",
            )
            .body(Body::from(data))
            .unwrap(),
        // No Content-Length: chunked.
        "/chunked.bin" => ok("application/octet-stream", pieces(data, Duration::ZERO)),
        "/slow.bin" => Response::builder()
            .header(header::CONTENT_LENGTH, data.len())
            .body(pieces(data, Duration::from_millis(2000)))
            .unwrap(),
        // Announces 50 000 bytes, sends 1000, then nothing.
        "/hang.bin" => {
            let len = data.len().min(50_000);
            let first = Bytes::copy_from_slice(&data[..1000]);
            let stream = futures_util::stream::unfold(Some(first), |s| async move {
                match s {
                    Some(b) => Some((Ok::<_, Infallible>(b), None)),
                    None => {
                        futures_util::future::pending::<()>().await;
                        None
                    }
                }
            });
            Response::builder()
                .header(header::CONTENT_LENGTH, len)
                .body(Body::from_stream(stream))
                .unwrap()
        }
        "/redirect" => {
            let to = query
                .iter()
                .find(|(k, _)| k == "to")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            redirect(&to)
        }
        "/loop" => redirect("/loop"),
        "/avatar.png" => ok("image/png", Body::from(data[..5000].to_vec())),
        "/photo" => ok(
            "image/jpeg; charset=binary",
            Body::from(data[..3000].to_vec()),
        ),
        "/text.txt" => ok("text/plain", Body::from("not an image")),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("missing"))
            .unwrap(),
    }
}

impl Origin {
    pub async fn start(data: Vec<u8>) -> Origin {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let st = Arc::new(OriginState {
            data,
            hits: hits.clone(),
        });
        let app = axum::Router::new().fallback(serve).with_state(st);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Origin { addr, hits, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Loopback (127.0.0.1 only) allowed, as a test setting.
pub fn allow_loopback(s: &mut Settings) {
    s.web_upload_allow = parse_cidrs("127.0.0.1/32").unwrap();
}

/// upload/add_web_upload: the upload key.
pub async fn add(c: &Client, params: &[(&str, &str)]) -> String {
    let v = c.call("upload/add_web_upload", params).await.unwrap();
    let key = v["response"]["upload_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 11, "{v}");
    key
}

/// The caller's web uploads (`all_web_uploads`, optionally one key).
pub async fn list(c: &Client, all: bool, key: Option<&str>) -> Vec<Value> {
    let mut p = vec![("all_web_uploads", if all { "yes" } else { "no" })];
    if let Some(k) = key {
        p.push(("upload_key", k));
    }
    let v = c.call("upload/get_web_uploads", &p).await.unwrap();
    v["response"]["web_uploads"].as_array().unwrap().clone()
}

/// Waits (bounded) until the web upload `key` is complete; its entry.
pub async fn done(c: &Client, key: &str) -> Value {
    for _ in 0..400 {
        let l = list(c, true, Some(key)).await;
        assert_eq!(l.len(), 1, "{l:?}");
        if l[0]["status_code"] == "99" {
            assert_eq!(l[0]["active"], "no");
            return l[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("web upload {key} did not finish");
}

/// A web upload that must fail: its entry, after checking the poll says 99 + the same fileerror.
async fn failed(s: &TestServer, c: &Client, key: &str, error_status: &str) -> Value {
    let w = done(c, key).await;
    assert_eq!(w["error_status"], error_status, "{w}");
    assert_eq!(w["quickkey"], "", "{w}");
    assert_ne!(w["percentage"], "100", "{w}");
    let p = poll(s, key).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["fileerror"], error_status, "{p}");
    assert!(p.get("quickkey").is_none(), "{p}");
    w
}

async fn blob_bytes(s: &TestServer, hash: &str) -> Vec<u8> {
    let mut f = s
        .core
        .blobs()
        .open(&BlobId::parse(hash).unwrap())
        .await
        .unwrap();
    let mut out = Vec::new();
    f.read_to_end(&mut out).await.unwrap();
    out
}

/// Names of the live files of a folder (the root for `None`).
async fn file_names(c: &Client, folder_key: Option<&str>) -> Vec<String> {
    let mut p = vec![("content_type", "files")];
    if let Some(k) = folder_key {
        p.push(("folder_key", k));
    }
    let v = c.call("folder/get_content", &p).await.unwrap();
    v["response"]["folder_content"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_web_upload_lands_byte_for_byte_and_polls_like_any_upload() {
    let s = TestServer::with_settings(allow_loopback).await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(300_007, 41);
    let o = Origin::start(data.clone()).await;
    let dir = folder(&s, uid, "Web").await;
    let key = add(
        &c,
        &[
            ("url", &o.url("/file.bin")),
            ("filename", "fetched.bin"),
            ("folder_key", &dir.folderkey),
        ],
    )
    .await;
    let w = done(&c, &key).await;
    assert_eq!(w["uploadkey"], key);
    assert_eq!(w["error_status"], "0", "{w}");
    assert_eq!(w["status"], "Complete");
    assert_eq!(w["percentage"], "100");
    assert_eq!(w["size"], data.len().to_string());
    assert_eq!(w["bytes_received"], data.len().to_string());
    assert_eq!(w["total_size"], data.len().to_string());
    assert_eq!(w["filename"], "fetched.bin");
    assert_eq!(w["url"], o.url("/file.bin"));
    assert!(w["created"].as_str().is_some_and(|d| !d.is_empty()));
    let q = w["quickkey"].as_str().unwrap();
    let p = poll(&s, &key).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["fileerror"], "");
    assert_eq!(p["quickkey"], q);
    assert_eq!(p["hash"], sha(&data));
    assert_eq!(p["size"], data.len().to_string());
    assert_eq!(p["filename"], "fetched.bin");
    let f = row(&s, uid, q).await.unwrap();
    assert_eq!(
        (f.folder_id, f.name.as_str(), f.size),
        (dir.id, "fetched.bin", data.len() as i64)
    );
    assert_eq!(f.hash, sha(&data));
    assert_eq!(blob_bytes(&s, &f.hash).await, data, "byte for byte");
    assert_eq!(
        s.core.user(uid).await.unwrap().used_bytes,
        data.len() as i64
    );
    // Finished uploads are listed only with all_web_uploads=yes.
    assert!(list(&c, false, None).await.is_empty());
    assert_eq!(list(&c, true, None).await.len(), 1);
    // Both formats.
    let (status, body) = xml(&c, "upload/get_web_uploads", &[("all_web_uploads", "yes")]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<web_uploads><web_upload><uploadkey>"),
        "{body}"
    );
    assert!(
        body.contains(&format!("<uploadkey>{key}</uploadkey>")),
        "{body}"
    );
    assert!(body.contains("<status_code>99</status_code>"), "{body}");
    let (status, body) = xml(
        &c,
        "upload/add_web_upload",
        &[("url", &o.url("/small.bin"))],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("<upload_key>"), "{body}");

    // Bob sees none of it, even with the key.
    let (b, _) = bob(&s).await;
    assert!(list(&b, true, Some(&key)).await.is_empty());
    assert!(list(&b, true, None).await.is_empty());
}

#[tokio::test]
async fn names_come_from_the_request_the_response_or_the_url() {
    let s = TestServer::with_settings(allow_loopback).await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(70_001, 42);
    let o = Origin::start(data.clone()).await;
    let dir = folder(&s, uid, "Web").await;
    // Content-Disposition (filename* wins); folder_path folders are created.
    let k1 = add(
        &c,
        &[
            ("url", &o.url("/dir/named")),
            ("folder_key", &dir.folderkey),
            ("folder_path", "a/b"),
        ],
    )
    .await;
    // The URL's last segment; chunked (no Content-Length).
    let k2 = add(&c, &[("url", &o.url("/chunked.bin?x=1"))]).await;
    let w1 = done(&c, &k1).await;
    let w2 = done(&c, &k2).await;
    assert_eq!(w1["filename"], "réport final.bin", "{w1}");
    assert_eq!(w2["filename"], "chunked.bin", "{w2}");
    assert_eq!(w2["error_status"], "0", "{w2}");
    assert_eq!(w2["size"], data.len().to_string());
    let f1 = row(&s, uid, w1["quickkey"].as_str().unwrap())
        .await
        .unwrap();
    let f2 = row(&s, uid, w2["quickkey"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(f1.hash, sha(&data));
    assert_eq!(f2.hash, sha(&data));
    assert_eq!(blob_bytes(&s, &f2.hash).await, data);
    let v = c
        .call("folder/get_info", &[("folder_key", &dir.folderkey)])
        .await
        .unwrap();
    assert_eq!(v["response"]["folder_info"]["name"], "Web");
    assert!(file_names(&c, None)
        .await
        .contains(&"chunked.bin".to_string()));
    // f1 sits in Web/a/b.
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", &dir.folderkey), ("content_type", "folders")],
        )
        .await
        .unwrap();
    let a = v["response"]["folder_content"]["folders"][0]["folderkey"]
        .as_str()
        .unwrap()
        .to_string();
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", &a), ("content_type", "folders")],
        )
        .await
        .unwrap();
    let b = v["response"]["folder_content"]["folders"][0]["folderkey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(file_names(&c, Some(&b)).await, vec!["réport final.bin"]);

    // A bad name, a missing URL, an unknown folder.
    let (_, code, _) = fails(
        &c,
        "upload/add_web_upload",
        &[("url", &o.url("/file.bin")), ("filename", "a/b")],
    )
    .await;
    assert_eq!(code, 118);
    let (_, code, _) = fails(&c, "upload/add_web_upload", &[("filename", "x.bin")]).await;
    assert_eq!(code, 128);
    let (_, code, _) = fails(
        &c,
        "upload/add_web_upload",
        &[
            ("url", &o.url("/file.bin")),
            ("folder_key", "zzzzzzzzzzzzz"),
        ],
    )
    .await;
    assert_eq!(code, 112);
}

#[tokio::test]
async fn progress_is_visible_while_the_body_arrives() {
    let s = TestServer::with_settings(allow_loopback).await;
    let c = s.login(2).await;
    let data = bytes(200_000, 43);
    let o = Origin::start(data.clone()).await;
    let key = add(&c, &[("url", &o.url("/slow.bin"))]).await;
    // The first half arrives, then the origin pauses 2 s.
    let mut seen = None;
    for _ in 0..100 {
        let l = list(&c, false, None).await;
        if let Some(w) = l.first() {
            if w["bytes_received"] == "100000" {
                seen = Some(w.clone());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let w = seen.expect("progress at half the body while the origin pauses");
    assert_eq!(w["uploadkey"], key);
    assert_eq!(w["active"], "yes");
    assert_eq!(w["status_code"], "3", "{w}");
    assert_eq!(w["status"], "Transferring");
    assert_eq!(w["percentage"], "50");
    assert_eq!(w["total_size"], "200000");
    assert_eq!(w["size"], "200000");
    assert_eq!(w["quickkey"], "");
    let p = poll(&s, &key).await;
    assert_eq!(p["status"], "3", "{p}");
    assert_eq!(p["description"], "Upload is in progress");
    assert_eq!(p["fileerror"], "");
    assert!(p.get("quickkey").is_none());
    let w = done(&c, &key).await;
    assert_eq!(w["error_status"], "0", "{w}");
    assert_eq!(poll(&s, &key).await["hash"], sha(&data));
}

#[tokio::test]
async fn loopback_and_private_addresses_are_refused_by_default() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(60_000, 44);
    let o = Origin::start(data).await;
    let port = o.addr.port();
    let refused = [
        o.url("/file.bin"),
        format!("http://localhost:{port}/file.bin"),
        format!("http://[::1]:{port}/file.bin"),
        format!("http://[::ffff:127.0.0.1]:{port}/file.bin"),
        format!("http://0.0.0.0:{port}/file.bin"),
        format!("http://2130706433:{port}/file.bin"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        "https://192.168.1.1/".to_string(),
        "http://[fd00::1]/".to_string(),
        "http://[64:ff9b::7f00:1]/".to_string(),
    ];
    for url in &refused {
        let (status, code, message) = fails(
            &c,
            "upload/add_web_upload",
            &[("url", url), ("filename", "x.bin")],
        )
        .await;
        assert_eq!((status, code), (400, 174), "{url}: {message}");
        assert!(
            message.contains("only from public addresses"),
            "{url}: {message}"
        );
    }
    for url in [
        "ftp://127.0.0.1/file.bin",
        "file:///etc/passwd",
        "gopher://example.com/",
        "not a url",
        "//example.com/x",
    ] {
        let (_, code, message) = fails(
            &c,
            "upload/add_web_upload",
            &[("url", url), ("filename", "x.bin")],
        )
        .await;
        assert_eq!(code, 174, "{url}: {message}");
    }
    // The avatar path refuses the same way.
    let (_, code, _) = fails(&c, "user/set_avatar", &[("url", &o.url("/avatar.png"))]).await;
    assert_eq!(code, 174);
    assert_eq!(o.hits(), 0, "nothing was fetched");
    assert!(list(&c, true, None).await.is_empty());
    assert!(file_names(&c, None).await.is_empty());
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, 0);
}

#[tokio::test]
async fn redirects_are_checked_at_every_hop() {
    let s = TestServer::with_settings(allow_loopback).await;
    let c = s.login(2).await;
    let data = bytes(60_000, 45);
    let o = Origin::start(data.clone()).await;
    let port = o.addr.port();
    // An allowed redirect (relative) is followed.
    let k = add(&c, &[("url", &o.url("/redirect?to=%2Fdir%2Fnamed"))]).await;
    let w = done(&c, &k).await;
    assert_eq!(w["error_status"], "0", "{w}");
    assert_eq!(w["filename"], "réport final.bin");
    let hits = o.hits();
    // Redirects to refused addresses or schemes end the upload (fileerror 6) with the reason.
    for (to, why) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "only from public addresses",
        ),
        (
            &format!("http://[::1]:{port}/file.bin"),
            "only from public addresses",
        ),
        (
            &format!("http://127.0.0.2:{port}/file.bin"),
            "only from public addresses",
        ),
        ("http://10.0.0.1/", "only from public addresses"),
        (
            &format!("ftp://127.0.0.1:{port}/file.bin"),
            "only http and https",
        ),
    ] {
        let url = format!(
            "{}?to={}",
            o.url("/redirect"),
            form_urlencoded::byte_serialize(to.as_bytes()).collect::<String>()
        );
        let k = add(&c, &[("url", &url), ("filename", "r.bin")]).await;
        let w = failed(&s, &c, &k, "6").await;
        assert!(
            w["error_message"].as_str().unwrap().contains(why),
            "{to}: {w}"
        );
    }
    assert_eq!(
        o.hits(),
        hits + 5,
        "only the redirecting requests reached the origin"
    );
    let k = add(&c, &[("url", &o.url("/loop"))]).await;
    let w = failed(&s, &c, &k, "6").await;
    assert!(
        w["error_message"]
            .as_str()
            .unwrap()
            .contains("more than 5 redirects"),
        "{w}"
    );
    let k = add(&c, &[("url", &o.url("/missing"))]).await;
    let w = failed(&s, &c, &k, "6").await;
    assert!(
        w["error_message"].as_str().unwrap().contains("HTTP 404"),
        "{w}"
    );
    assert_eq!(file_names(&c, None).await, vec!["réport final.bin"]);
}

#[tokio::test]
async fn size_and_time_limits_end_the_upload_with_no_file() {
    let s = TestServer::with_settings(|s| {
        allow_loopback(s);
        s.web_upload_max_bytes = 100_000;
        s.web_upload_timeout = Duration::from_millis(2000);
        s.web_upload_max_active = 1;
    })
    .await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(200_000, 46);
    let o = Origin::start(data.clone()).await;
    // Content-Length over the limit: refused before the body is read.
    let k = add(&c, &[("url", &o.url("/file.bin"))]).await;
    let w = failed(&s, &c, &k, "1").await;
    assert!(
        w["error_message"]
            .as_str()
            .unwrap()
            .contains("larger than 100000 bytes"),
        "{w}"
    );
    assert_eq!(
        (w["total_size"].as_str(), w["bytes_received"].as_str()),
        (Some("200000"), Some("0"))
    );
    // No Content-Length: cut off once past the limit.
    let k = add(&c, &[("url", &o.url("/chunked.bin"))]).await;
    failed(&s, &c, &k, "1").await;
    // Over the quota.
    s.core.set_quota(uid, 10_000).await.unwrap();
    let k = add(&c, &[("url", &o.url("/small.bin"))]).await;
    failed(&s, &c, &k, "15").await;
    s.core.set_quota(uid, 1 << 30).await.unwrap();
    // A server that stops sending: the time limit ends it.
    let started = std::time::Instant::now();
    let k = add(
        &c,
        &[("url", &o.url("/hang.bin")), ("filename", "hang.bin")],
    )
    .await;
    // One running upload at a time here: another is 163 until it ends.
    let (_, code, _) = fails(
        &c,
        "upload/add_web_upload",
        &[("url", &o.url("/small.bin"))],
    )
    .await;
    assert_eq!(code, 163);
    let w = failed(&s, &c, &k, "6").await;
    assert!(
        w["error_message"].as_str().unwrap().contains("time limit"),
        "{w}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        file_names(&c, None).await.is_empty(),
        "no file from failed web uploads"
    );
    for d in [&data[..], &data[..50_000]] {
        assert!(!s.core.blobs().exists(&BlobId::of(d)).await.unwrap());
    }
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, 0);
    // The slot is free again.
    let k = add(&c, &[("url", &o.url("/small.bin"))]).await;
    assert_eq!(done(&c, &k).await["error_status"], "0");
    assert_eq!(file_names(&c, None).await, vec!["small.bin"]);
}

#[tokio::test]
async fn a_restart_ends_running_web_uploads_as_failed() {
    let s = TestServer::with_settings(allow_loopback).await;
    let c = s.login(2).await;
    let o = Origin::start(bytes(20_000, 47)).await;
    let k = add(&c, &[("url", &o.url("/hang.bin"))]).await;
    assert_eq!(list(&c, false, None).await.len(), 1);
    // A new process on the same database starts its worker, as `hearth serve` does.
    let db = hearth_store::Db::connect(&s.db_url()).await.unwrap();
    let next = hearth_core::Core::new(db, s.core.settings().clone(), s.core.blobs().clone());
    next.start_jobs();
    if hearth_store::testing::pg_url().is_none() {
        // SQLite: one process per data directory, so the old one's upload is over.
        let w = failed(&s, &c, &k, "6").await;
        assert!(
            w["error_message"].as_str().unwrap().contains("interrupted"),
            "{w}"
        );
    } else {
        // PostgreSQL: another node may be running it; only its deadline ends it.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let l = list(&c, false, None).await;
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0]["active"], "yes");
    }
}

#[tokio::test]
async fn an_avatar_can_come_from_a_url() {
    let s = TestServer::with_settings(|s| {
        allow_loopback(s);
        s.limits.max_image_size = 4000;
    })
    .await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(10_000, 48);
    let o = Origin::start(data.clone()).await;
    // image/jpeg without an extension in the URL: the MIME table's extension is appended.
    let v = c
        .call("user/set_avatar", &[("url", &o.url("/photo"))])
        .await
        .unwrap();
    let r = &v["response"];
    let q = r["quick_key"].as_str().unwrap();
    let f = row(&s, uid, q).await.unwrap();
    assert_eq!(f.name, "photo.jpeg");
    assert_eq!(f.hash, sha(&data[..3000]));
    assert_eq!(s.core.avatar_file(uid).await.unwrap().as_deref(), Some(q));
    let p = poll(&s, r["upload_key"].as_str().unwrap()).await;
    assert_eq!(
        (p["status"].as_str(), p["quickkey"].as_str()),
        (Some("99"), Some(q))
    );
    assert_eq!(r["device_revision"], r["new_device_revision"]);
    // Larger than max_image_size: 169, nothing stored.
    let (_, code, message) = fails(&c, "user/set_avatar", &[("url", &o.url("/avatar.png"))]).await;
    assert_eq!(code, 169, "{message}");
    assert!(message.contains("larger than 4000 bytes"), "{message}");
    // Not an image: 142.
    let (_, code, _) = fails(&c, "user/set_avatar", &[("url", &o.url("/text.txt"))]).await;
    assert_eq!(code, 142);
    let (_, code, _) = fails(&c, "user/set_avatar", &[("url", &o.url("/missing"))]).await;
    assert_eq!(code, 169);
    assert_eq!(file_names(&c, None).await, vec!["photo.jpeg"]);
    assert_eq!(s.core.avatar_file(uid).await.unwrap().as_deref(), Some(q));
}
