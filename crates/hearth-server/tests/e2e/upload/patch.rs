//! upload/patch: deltas made by the real `xdelta3` program (Debian's, LZMA sections by default)
//! applied to a file's head over HTTP — the new content downloads byte for byte and the old one
//! is a version; truncated, hostile and mismatched deltas, a stale `source_hash` and over-size
//! bodies leave no revision; missing and malformed parameters, privacy, XML.

use std::process::Command;

use hearth_api::signature::{call_signature, next_secret_key};
use hearth_client::{encode, Client};
use hearth_core::sessions::Caller;
use hearth_core::tree::FileRow;
use hearth_store::blob::BlobId;
use serde_json::Value;

use super::{bytes, poll, sha};
use crate::file::{alice, bob, put, refs, row};
use crate::harness::{json, TestServer};

/// `xdelta3 -e <args> -s OLD NEW`. The program is required (CI installs Debian's `xdelta3`).
fn xdelta3(args: &[&str], old: &[u8], new: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (o, n, p) = (
        dir.path().join("old"),
        dir.path().join("new"),
        dir.path().join("delta"),
    );
    std::fs::write(&o, old).unwrap();
    std::fs::write(&n, new).unwrap();
    let status = Command::new("xdelta3")
        .arg("-e")
        .args(args)
        .arg("-s")
        .args([&o, &n, &p])
        .status()
        .unwrap_or_else(|e| {
            panic!("the xdelta3 program is required (apt-get install xdelta3; .ci/run installs it): {e}")
        });
    assert!(status.success(), "xdelta3 failed");
    std::fs::read(p).unwrap()
}

/// Compressible text with some noise, so that xdelta3's LZMA sections are used.
fn text(len: usize, seed: u32) -> Vec<u8> {
    let noise = bytes(len / 4 + 16, seed);
    let words: [&[u8]; 5] = [b"hearth ", b"ember ", b"kindling ", b"flue\n", b"grate "];
    let mut v = Vec::with_capacity(len + 16);
    let mut i = 0;
    while v.len() < len {
        let r = noise[i % noise.len()];
        i += 1;
        if r.is_multiple_of(7) {
            v.extend_from_slice(&noise[i % noise.len()..(i % noise.len() + 3).min(noise.len())]);
        } else {
            v.extend_from_slice(words[(r % 5) as usize]);
        }
    }
    v.truncate(len);
    v
}

/// `old` with a few regions replaced and some text appended.
fn edited(old: &[u8], seed: u32) -> Vec<u8> {
    let mut new = old[..old.len() / 3].to_vec();
    new.extend(text(5000, seed));
    new.extend_from_slice(&old[old.len() / 3 + 2000..old.len() * 2 / 3]);
    new.extend(bytes(3000, seed + 1));
    new.extend_from_slice(&old[old.len() * 2 / 3..]);
    new
}

/// The query of a patch: `quickkey`, the hashes and the size.
fn query<'a>(
    key: &'a str,
    source: &'a str,
    target: &'a str,
    size: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("quickkey", key),
        ("source_hash", source),
        ("target_hash", target),
        ("target_size", size),
    ]
}

/// POSTs upload/patch as mediafire-fuse does: the query signed with the client's v2 session,
/// `X-Filename: dummy.patch`, `X-Filesize` (the body's length unless `filesize` says otherwise;
/// `Some("")`: no header), raw body. The client's key rotates on `new_key`. Answers the raw
/// text in `format`.
async fn send_patch(
    s: &TestServer,
    c: &Client,
    params: &[(&str, &str)],
    filesize: Option<&str>,
    delta: &[u8],
    format: &str,
) -> String {
    let path = "/api/1.5/upload/patch.php";
    let sess = c.session().unwrap();
    let mut all = params.to_vec();
    all.push(("response_format", format));
    all.push(("session_token", &sess.token));
    let query = encode(&all);
    let (k, t) = (sess.secret_key.unwrap(), sess.time.clone().unwrap());
    let sig = call_signature(k, &t, path, query.as_bytes());
    let len = delta.len().to_string();
    let mut req = reqwest::Client::new()
        .post(s.url(&format!("{path}?{query}&signature={sig}")))
        .header("content-type", "application/octet-stream")
        .header("x-filename", "dummy.patch");
    match filesize.unwrap_or(&len) {
        "" => {}
        n => req = req.header("x-filesize", n),
    }
    let text = req
        .body(delta.to_vec())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    if text.contains("\"new_key\":\"yes\"") || text.contains("<new_key>yes</new_key>") {
        let mut sess = sess;
        sess.secret_key = Some(next_secret_key(k));
        c.set_session(Some(sess));
    }
    text
}

async fn patch(s: &TestServer, c: &Client, params: &[(&str, &str)], delta: &[u8]) -> Value {
    json(&send_patch(s, c, params, None, delta, "json").await)
}

/// A patch that is accepted (`doupload.result 0`) and the poll of its key.
async fn patch_polled(s: &TestServer, c: &Client, params: &[(&str, &str)], delta: &[u8]) -> Value {
    let v = patch(s, c, params, delta).await;
    assert_eq!(v["response"]["result"], "Success", "{v}");
    assert_eq!(v["response"]["doupload"]["result"], "0", "{v}");
    let key = v["response"]["doupload"]["key"].as_str().unwrap();
    assert_eq!(key.len(), 11, "{v}");
    let p = poll(s, key).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["description"], "No more requests for this key", "{p}");
    p
}

/// The fileerror of a patch that was accepted and then failed; no quickkey in the poll.
async fn patch_fails(s: &TestServer, c: &Client, params: &[(&str, &str)], delta: &[u8]) -> String {
    let p = patch_polled(s, c, params, delta).await;
    assert!(p.get("quickkey").is_none(), "{p}");
    p["fileerror"].as_str().unwrap().to_string()
}

async fn versions(c: &Client, key: &str) -> usize {
    let v = c
        .call("file/get_versions", &[("quick_key", key)])
        .await
        .unwrap();
    v["response"]["file_versions"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .len()
}

/// The file's content as a direct download (file/get_links).
async fn download(c: &Client, key: &str) -> Vec<u8> {
    let v = c
        .call(
            "file/get_links",
            &[("quick_key", key), ("link_type", "direct_download")],
        )
        .await
        .unwrap();
    let url = v["response"]["links"][0]["direct_download"]
        .as_str()
        .unwrap_or_else(|| panic!("no link: {v}"))
        .to_string();
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

/// The file is exactly as it was: same head, same revision, same versions.
async fn unchanged(s: &TestServer, c: &Client, uid: i64, f: &FileRow, n_versions: usize) {
    assert_eq!(row(s, uid, &f.quickkey).await.unwrap(), *f);
    assert_eq!(versions(c, &f.quickkey).await, n_versions);
}

#[tokio::test]
async fn xdelta3_deltas_become_new_revisions() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let old = text(200_000, 1);
    let f = put(&s, uid, "notes.txt", &old).await;
    let c = s.login(2).await;
    assert_eq!(versions(&c, &f.quickkey).await, 1);

    // Debian's default: LZMA-compressed sections.
    let new = edited(&old, 2);
    let delta = xdelta3(&[], &old, &new);
    assert!(delta.len() < new.len() / 4, "a real delta: {}", delta.len());
    let (hs, ht, size) = (sha(&old), sha(&new), new.len().to_string());
    let p = patch_polled(&s, &c, &query(&f.quickkey, &hs, &ht, &size), &delta).await;
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(p["quickkey"], f.quickkey.as_str(), "{p}");
    assert_eq!(p["filename"], "notes.txt", "the file keeps its name");
    assert_eq!(
        (&p["hash"], &p["size"]),
        (&ht.clone().into(), &size.clone().into())
    );
    let now = row(&s, uid, &f.quickkey).await.unwrap();
    assert_eq!((now.hash.clone(), now.size), (ht.clone(), new.len() as i64));
    assert!(now.revision > f.revision);
    assert_eq!(p["revision"], now.revision.to_string());
    assert!(
        download(&c, &f.quickkey).await == new,
        "downloads byte for byte"
    );
    assert_eq!(
        versions(&c, &f.quickkey).await,
        2,
        "the old head is a version"
    );
    assert_eq!(refs(&s, &hs).await, Some(1), "the old content is kept");
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, new.len() as i64);

    // Many small windows (the LZMA state carries across them), a reordered target, the
    // `quick_key` alias, plain sections.
    let newer = [&new[120_000..], &text(30_000, 3)[..], &new[..120_000]].concat();
    for (args, from, to) in [
        (vec!["-W", "16384"], &new, &newer),
        (vec!["-S", "none", "-W", "16384"], &newer, &new),
    ] {
        let delta = xdelta3(&args, from, to);
        let (hs, ht, size) = (sha(from), sha(to), to.len().to_string());
        let params = [
            ("quick_key", f.quickkey.as_str()),
            ("source_hash", &hs),
            ("target_hash", &ht),
            ("target_size", &size),
        ];
        let p = patch_polled(&s, &c, &params, &delta).await;
        assert_eq!(
            (&p["fileerror"], &p["quickkey"]),
            (&"".into(), &f.quickkey.as_str().into()),
            "{args:?}: {p}"
        );
        assert!(download(&c, &f.quickkey).await == *to, "{args:?}");
    }
    assert_eq!(versions(&c, &f.quickkey).await, 4);

    // An empty file can be patched too (no source blob is read).
    let empty = put(&s, uid, "empty.bin", b"").await;
    let content = text(10_000, 9);
    let delta = xdelta3(&[], b"", &content);
    let (hs, ht, size) = (sha(b""), sha(&content), content.len().to_string());
    let p = patch_polled(&s, &c, &query(&empty.quickkey, &hs, &ht, &size), &delta).await;
    assert_eq!(p["fileerror"], "", "{p}");
    assert!(download(&c, &empty.quickkey).await == content);
}

#[tokio::test]
async fn refused_deltas_leave_no_revision() {
    let s = TestServer::with_settings(|s| s.patch_max_target = 150_000).await;
    let uid = alice(&s).await;
    let old = text(100_000, 4);
    let f = put(&s, uid, "doc.txt", &old).await;
    let c = s.login(2).await;
    let new = edited(&old, 5);
    let delta = xdelta3(&["-W", "16384"], &old, &new);
    let (hs, ht, size) = (sha(&old), sha(&new), new.len().to_string());
    let ok = query(&f.quickkey, &hs, &ht, &size);
    let stored = || async { s.core.blobs().exists(&BlobId::of(&new)).await.unwrap() };

    // A truncated delta, random bytes, a delta declaring a huge target window, a damaged
    // one: fileerror 17 (the patch could not be applied).
    let mut huge = vec![0xD6, 0xC3, 0xC4, 0x00, 0x00, 0x00, 0x0A];
    huge.extend([0x90, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00]);
    let mut damaged = delta.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x55;
    for bad in [
        delta[..delta.len() / 2].to_vec(),
        bytes(5000, 6),
        huge,
        damaged,
        Vec::new(),
    ] {
        assert_eq!(
            patch_fails(&s, &c, &ok, &bad).await,
            "17",
            "{} bytes",
            bad.len()
        );
        unchanged(&s, &c, uid, &f, 1).await;
    }

    // A source_hash that is not the head: fileerror 16 (revision conflict).
    let other = sha(b"some other revision");
    let q = query(&f.quickkey, &other, &ht, &size);
    assert_eq!(patch_fails(&s, &c, &q, &delta).await, "16");
    // A target_hash or target_size that the delta does not build: fileerror 7.
    let q = query(&f.quickkey, &hs, &other, &size);
    assert_eq!(patch_fails(&s, &c, &q, &delta).await, "7");
    for wrong in [new.len() - 1, new.len() + 1] {
        let wrong = wrong.to_string();
        let q = query(&f.quickkey, &hs, &ht, &wrong);
        assert_eq!(patch_fails(&s, &c, &q, &delta).await, "7", "size {wrong}");
    }
    // A delta over patch_max_target: fileerror 1; a target over it: -700 at once.
    let v = send_patch(&s, &c, &ok, Some(""), &bytes(150_001, 8), "json").await;
    let key = json(&v)["response"]["doupload"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(poll(&s, &key).await["fileerror"], "1", "{v}");
    let v = patch(&s, &c, &query(&f.quickkey, &hs, &ht, "150001"), &delta).await;
    assert_eq!(v["response"]["doupload"]["result"], "-700", "{v}");
    // X-Filesize must be the delta's length (-51) and a number (-48).
    let t = send_patch(&s, &c, &ok, Some("12"), &delta, "json").await;
    assert_eq!(json(&t)["response"]["doupload"]["result"], "-51", "{t}");
    let t = send_patch(&s, &c, &ok, Some("many"), &delta, "json").await;
    assert_eq!(json(&t)["response"]["doupload"]["result"], "-48", "{t}");
    // Without X-Filesize the body's length is what counts.
    let t = send_patch(&s, &c, &ok, Some(""), &delta[..10], "json").await;
    let key = json(&t)["response"]["doupload"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(poll(&s, &key).await["fileerror"], "17", "{t}");
    unchanged(&s, &c, uid, &f, 1).await;
    assert!(!stored().await, "nothing of a refused target is stored");

    // The same delta, correctly described, still applies.
    let p = patch_polled(&s, &c, &ok, &delta).await;
    assert_eq!(p["quickkey"], f.quickkey.as_str(), "{p}");
    assert!(stored().await);
    assert_eq!(versions(&c, &f.quickkey).await, 2);
    // …but not twice: the head is no longer its source.
    assert_eq!(patch_fails(&s, &c, &ok, &delta).await, "16");
    assert_eq!(versions(&c, &f.quickkey).await, 2);
}

#[tokio::test]
async fn parameters_privacy_formats_and_quota() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let old = text(20_000, 10);
    let f = put(&s, uid, "a.txt", &old).await;
    let c = s.login(2).await;
    let new = edited(&old, 11);
    let delta = xdelta3(&[], &old, &new);
    let (hs, ht, size) = (sha(&old), sha(&new), new.len().to_string());
    let ok = query(&f.quickkey, &hs, &ht, &size);

    // Each parameter is required (128); hashes are 64 hex digits and the size a number (129).
    for i in 0..ok.len() {
        let mut q = ok.clone();
        q.remove(i);
        let v = patch(&s, &c, &q, &delta).await;
        assert_eq!(v["response"]["error"], 128, "without {}: {v}", ok[i].0);
    }
    for (i, bad) in [(1, "abc"), (2, &hs[..63]), (3, "-5"), (3, "x")] {
        let mut q = ok.clone();
        q[i].1 = bad;
        let v = patch(&s, &c, &q, &delta).await;
        assert_eq!(v["response"]["error"], 129, "{} = {bad}: {v}", q[i].0);
    }

    // Someone else's file answers like a key never issued; trash 211; same content 238.
    let (bc, _) = bob(&s).await;
    let v = patch(&s, &bc, &ok, &delta).await;
    assert_eq!(v["response"]["error"], 110, "{v}");
    let v = patch(&s, &c, &query("abcdefghijklmno", &hs, &ht, &size), &delta).await;
    assert_eq!(v["response"]["error"], 110, "{v}");
    let v = patch(&s, &c, &query(&f.quickkey, &hs, &hs, "20000"), &delta).await;
    assert_eq!(v["response"]["error"], 238, "{v}");

    // Over quota (the old head's bytes count as freed): 162, before the body is read.
    s.core.set_quota(uid, new.len() as u64 - 1).await.unwrap();
    let v = patch(&s, &c, &ok, &delta).await;
    assert_eq!(v["response"]["error"], 162, "{v}");
    s.core.set_quota(uid, 1 << 30).await.unwrap();
    unchanged(&s, &c, uid, &f, 1).await;

    // XML: the same doupload object.
    let x = send_patch(&s, &c, &ok, None, &delta, "xml").await;
    assert!(x.contains("<action>upload/patch</action>"), "{x}");
    assert!(x.contains("<doupload><result>0</result><key>"), "{x}");
    assert!(x.contains("<result>Success</result>"), "{x}");
    let key = x
        .split("<key>")
        .nth(1)
        .and_then(|r| r.split("</key>").next())
        .unwrap();
    let p = poll(&s, key).await;
    assert_eq!(
        (&p["fileerror"], &p["quickkey"]),
        (&"".into(), &f.quickkey.as_str().into())
    );
    assert!(download(&c, &f.quickkey).await == new);

    s.core
        .delete_files(&Caller::owner(uid), &[&f.quickkey])
        .await
        .unwrap();
    let q = query(&f.quickkey, &ht, &hs, "20000");
    let v = patch(&s, &c, &q, &delta).await;
    assert_eq!(v["response"]["error"], 211, "{v}");
}
