//! End-to-end tests of the upload group (check, instant, simple, poll_upload) and the helpers
//! they share: signed raw uploads with the upload headers, multipart bodies, polling.

mod check;
mod durability;
mod filedrop;
mod gc;
mod instant;
mod options;
mod patch;
mod resumable;
mod simple;
mod update;
mod web;

use hearth_api::signature::{call_signature, next_secret_key};
use hearth_client::{encode, Client};
use hearth_store::blob::BlobId;
use serde_json::Value;

use crate::harness::{json, TestServer};

/// Deterministic pseudo-random bytes.
pub fn bytes(len: usize, seed: u32) -> Vec<u8> {
    hearth_store::testing::pseudo_random_bytes(len, seed)
}

pub fn sha(data: &[u8]) -> String {
    BlobId::of(data).to_hex()
}

/// What an upload request carries besides its query.
pub struct Body<'a> {
    pub headers: Vec<(&'a str, Vec<u8>)>,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A raw octet-stream body with `X-Filename` (raw UTF-8), `X-Filesize` and `X-Filehash`.
pub fn raw(name: &str, data: &[u8]) -> Body<'static> {
    Body {
        headers: vec![
            ("X-Filename", name.as_bytes().to_vec()),
            ("X-Filesize", data.len().to_string().into_bytes()),
            ("X-Filehash", sha(data).into_bytes()),
        ],
        content_type: "application/octet-stream".into(),
        bytes: data.to_vec(),
    }
}

/// A multipart body: text `fields` first, then one file part named `file`.
pub fn multipart(fields: &[(&str, &str)], filename: &str, data: &[u8]) -> Body<'static> {
    let b = "hearthboundary7MA4YWxkTrZu0gW";
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    Body {
        headers: vec![],
        content_type: format!("multipart/form-data; boundary={b}"),
        bytes: out,
    }
}

/// POSTs `action` with `params` in the query — signed with the client's session (v2 keys
/// rotate on `new_key`), or with `token` unsigned (an action token) — and `body`.
pub async fn send(
    s: &TestServer,
    c: Option<&Client>,
    token: Option<&str>,
    action: &str,
    params: &[(&str, &str)],
    body: Body<'_>,
) -> Value {
    let path = format!("/api/1.5/{action}.php");
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("response_format", "json"));
    let session = c.and_then(|c| c.session());
    let tok = token
        .map(str::to_string)
        .or_else(|| session.as_ref().map(|s| s.token.clone()));
    if let Some(t) = &tok {
        all.push(("session_token", t));
    }
    let mut query = encode(&all);
    let mut signed_key = None;
    if let (None, Some(sess)) = (token, &session) {
        if let (Some(k), Some(t)) = (sess.secret_key, &sess.time) {
            let sig = call_signature(k, t, &path, query.as_bytes());
            query = format!("{query}&signature={sig}");
            signed_key = Some(k);
        }
    }
    let mut req = reqwest::Client::new()
        .post(s.url(&format!("{path}?{query}")))
        .header("content-type", body.content_type.clone());
    for (k, v) in &body.headers {
        req = req.header(*k, reqwest::header::HeaderValue::from_bytes(v).unwrap());
    }
    let text = req
        .body(body.bytes)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = json(&text);
    if let (Some(c), Some(k)) = (c, signed_key) {
        if v["response"]["new_key"] == "yes" {
            let mut sess = c.session().unwrap();
            sess.secret_key = Some(next_secret_key(k));
            c.set_session(Some(sess));
        }
    }
    v
}

/// upload/simple with the client's session; answers `doupload`.
pub async fn simple(s: &TestServer, c: &Client, params: &[(&str, &str)], body: Body<'_>) -> Value {
    let v = send(s, Some(c), None, "upload/simple", params, body).await;
    assert_eq!(v["response"]["result"], "Success", "{v}");
    v["response"]["doupload"].clone()
}

/// upload/poll_upload without a token; answers `doupload`.
pub async fn poll(s: &TestServer, key: &str) -> Value {
    let (_, _, body) = crate::harness::get(&s.url(&format!(
        "/api/1.5/upload/poll_upload.php?key={key}&response_format=json"
    )))
    .await;
    let v = json(&body);
    assert_eq!(v["response"]["result"], "Success", "{v}");
    v["response"]["doupload"].clone()
}

/// Uploads through simple and polls: the successful poll answer.
pub async fn upload_ok(
    s: &TestServer,
    c: &Client,
    params: &[(&str, &str)],
    body: Body<'_>,
) -> Value {
    let d = simple(s, c, params, body).await;
    assert_eq!(d["result"], "0", "{d}");
    let key = d["key"].as_str().unwrap();
    assert_eq!(key.len(), 11);
    let p = poll(s, key).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(p["description"], "No more requests for this key");
    p
}

/// Uploads through simple and polls: the fileerror of a failed upload (no quickkey).
pub async fn upload_fails(
    s: &TestServer,
    c: &Client,
    params: &[(&str, &str)],
    body: Body<'_>,
) -> String {
    let d = simple(s, c, params, body).await;
    assert_eq!(d["result"], "0", "{d}");
    let p = poll(s, d["key"].as_str().unwrap()).await;
    assert_eq!(p["status"], "99", "{p}");
    assert!(p.get("quickkey").is_none(), "{p}");
    p["fileerror"].as_str().unwrap().to_string()
}
