//! upload/update: new content for an existing file, streamed like upload/simple and polled;
//! the old head becomes an earlier version; 238 when identical, 162 over quota, privacy.

use hearth_core::sessions::Caller;
use hearth_store::blob::BlobId;

use super::{bytes, multipart, poll, raw, send, sha};
use crate::file::{alice, bob, put, refs, row};
use crate::harness::TestServer;

async fn update(
    s: &TestServer,
    c: &hearth_client::Client,
    q: &str,
    body: super::Body<'_>,
) -> serde_json::Value {
    send(s, Some(c), None, "upload/update", &[("quick_key", q)], body).await
}

#[tokio::test]
async fn new_content_becomes_the_head_and_the_old_one_a_version() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let old = put(&s, uid, "notes.bin", b"first draft").await;
    let c = s.login(2).await;
    let data = bytes(1024 * 1024 + 5, 7);
    let v = update(&s, &c, &old.quickkey, raw("ignored.bin", &data)).await;
    assert_eq!(v["response"]["result"], "Success", "{v}");
    let d = &v["response"]["doupload"];
    assert_eq!(d["result"], "0", "{v}");
    let p = poll(&s, d["key"].as_str().unwrap()).await;
    assert_eq!(
        (&p["status"], &p["fileerror"]),
        (&"99".into(), &"".into()),
        "{p}"
    );
    assert_eq!(p["quickkey"], old.quickkey.as_str());
    assert_eq!(p["filename"], "notes.bin", "the file keeps its name");
    assert_eq!(p["hash"], sha(&data));
    assert_eq!(p["size"], data.len().to_string());
    let now = row(&s, uid, &old.quickkey).await.unwrap();
    assert_eq!(
        (now.hash.clone(), now.size),
        (sha(&data), data.len() as i64)
    );
    assert_eq!(p["revision"], now.revision.to_string());
    assert!(now.revision > old.revision);
    assert_eq!(refs(&s, &now.hash).await, Some(1));
    assert_eq!(
        refs(&s, &old.hash).await,
        Some(1),
        "kept as an earlier version"
    );
    assert_eq!(
        s.core.user(uid).await.unwrap().used_bytes,
        data.len() as i64
    );
    let v = c
        .call("file/get_versions", &[("quick_key", &old.quickkey)])
        .await
        .unwrap();
    assert_eq!(
        v["response"]["file_versions"].as_array().unwrap().len(),
        2,
        "{v}"
    );

    // The same content again: 238, nothing changes.
    let v = update(&s, &c, &old.quickkey, raw("x", &data)).await;
    assert_eq!(v["response"]["error"], 238, "{v}");
    assert_eq!(row(&s, uid, &old.quickkey).await.unwrap(), now);

    // A multipart body works too (`quickkey` is accepted as an alias).
    let v = send(
        &s,
        Some(&c),
        None,
        "upload/update",
        &[("quickkey", &old.quickkey)],
        multipart(&[], "part.txt", b"third"),
    )
    .await;
    let p = poll(&s, v["response"]["doupload"]["key"].as_str().unwrap()).await;
    assert_eq!(p["quickkey"], old.quickkey.as_str(), "{p}");
    assert_eq!(
        row(&s, uid, &old.quickkey).await.unwrap().hash,
        sha(b"third")
    );
}

#[tokio::test]
async fn mismatch_quota_and_bad_targets() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.bin", b"aaaa").await;
    let c = s.login(2).await;

    // A hash mismatch ends the key with fileerror 7 and changes nothing.
    let data = bytes(5000, 9);
    let mut body = raw("a.bin", &data);
    body.headers[2].1 = sha(b"other").into_bytes();
    let v = update(&s, &c, &f.quickkey, body).await;
    let p = poll(&s, v["response"]["doupload"]["key"].as_str().unwrap()).await;
    assert_eq!(
        (&p["status"], &p["fileerror"]),
        (&"99".into(), &"7".into()),
        "{p}"
    );
    assert!(p.get("quickkey").is_none(), "{p}");
    assert_eq!(row(&s, uid, &f.quickkey).await.unwrap(), f);
    assert!(!s.core.blobs().exists(&BlobId::of(&data)).await.unwrap());

    // Over quota (the old head's bytes count as freed): 162, with or without X-Filesize.
    s.core.set_quota(uid, 1000).await.unwrap();
    let big = bytes(1001, 4);
    let v = update(&s, &c, &f.quickkey, raw("a.bin", &big)).await;
    assert_eq!(v["response"]["error"], 162, "{v}");
    let mut body = raw("a.bin", &big);
    body.headers.truncate(1);
    let v = update(&s, &c, &f.quickkey, body).await;
    assert_eq!(v["response"]["error"], 162, "{v}");
    assert!(!s.core.blobs().exists(&BlobId::of(&big)).await.unwrap());
    let v = update(&s, &c, &f.quickkey, raw("a.bin", &big[..1000])).await;
    assert_eq!(v["response"]["doupload"]["result"], "0", "{v}");

    // Missing key 128, unknown 110, someone else's file like an unknown one, trash 211.
    let v = send(&s, Some(&c), None, "upload/update", &[], raw("a", b"z")).await;
    assert_eq!(v["response"]["error"], 128, "{v}");
    let v = update(&s, &c, "abcdefghijklmno", raw("a", b"z")).await;
    assert_eq!(v["response"]["error"], 110, "{v}");
    let (bc, _) = bob(&s).await;
    let v = update(&s, &bc, &f.quickkey, raw("a", b"z")).await;
    assert_eq!(v["response"]["error"], 110, "{v}");
    s.core
        .delete_files(&Caller::owner(uid), &[&f.quickkey])
        .await
        .unwrap();
    let v = update(&s, &c, &f.quickkey, raw("a", b"z")).await;
    assert_eq!(v["response"]["error"], 211, "{v}");
}
