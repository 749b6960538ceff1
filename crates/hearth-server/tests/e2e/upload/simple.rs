//! upload/simple and upload/poll_upload: raw and multipart bodies, UTF-8 names, header checks
//! (a mismatch stores nothing), quota, duplicates, destinations, tokens.

use hearth_core::sessions::Caller;
use hearth_core::tree::Target;
use hearth_store::blob::BlobId;

use super::{bytes, multipart, poll, raw, send, sha, simple, upload_fails, upload_ok};
use crate::file::{alice, folder, refs, row};
use crate::harness::TestServer;

#[tokio::test]
async fn a_raw_upload_with_a_utf8_name_is_stored_and_polled() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(1024 * 1024 + 17, 1);
    let name = "Résumé ☃ 日本.bin";
    let p = upload_ok(&s, &c, &[], raw(name, &data)).await;
    assert_eq!(p["filename"], name);
    assert_eq!(p["hash"], sha(&data));
    assert_eq!(p["size"], data.len().to_string());
    assert!(p["created"].as_str().is_some() && p["created_utc"].as_str().is_some());
    let q = p["quickkey"].as_str().unwrap();
    let f = row(&s, uid, q).await.unwrap();
    assert_eq!((f.name.as_str(), f.size), (name, data.len() as i64));
    assert_eq!(f.hash, sha(&data));
    assert_eq!(p["revision"], f.revision.to_string());
    assert_eq!(refs(&s, &f.hash).await, Some(1));
    assert!(s.core.blobs().exists(&BlobId::of(&data)).await.unwrap());
    assert_eq!(
        s.core.user(uid).await.unwrap().used_bytes,
        data.len() as i64
    );
    // The signed v2 call rotated the key: the client still works.
    c.call("user/get_info", &[]).await.unwrap();
}

#[tokio::test]
async fn a_multipart_upload_takes_fields_and_the_parts_name() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let dir = folder(&s, uid, "Docs").await;
    let data = b"multipart content\r\n--not a boundary\r\n".to_vec();
    // The destination comes as a text field before the file part.
    let body = multipart(&[("folder_key", &dir.folderkey)], "ünïcode.txt", &data);
    let p = upload_ok(&s, &c, &[], body).await;
    assert_eq!(p["filename"], "ünïcode.txt");
    assert_eq!(p["hash"], sha(&data));
    let f = row(&s, uid, p["quickkey"].as_str().unwrap()).await.unwrap();
    assert_eq!(f.folder_id, dir.id);
    assert_eq!(f.size, data.len() as i64);
    // The legacy alias upload/upload.php with `uploadkey` answers as upload/simple.
    let v = send(
        &s,
        Some(&c),
        None,
        "upload/upload",
        &[("uploadkey", &dir.folderkey)],
        multipart(&[], "legacy.txt", b"old style"),
    )
    .await;
    assert_eq!(v["response"]["action"], "upload/simple", "{v}");
    let p = poll(&s, v["response"]["doupload"]["key"].as_str().unwrap()).await;
    let f = row(&s, uid, p["quickkey"].as_str().unwrap()).await.unwrap();
    assert_eq!((f.folder_id, f.name.as_str()), (dir.id, "legacy.txt"));
}

#[tokio::test]
async fn a_hash_or_size_mismatch_stores_nothing() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(300_000, 2);
    let mut body = raw("bad.bin", &data);
    body.headers[2].1 = sha(b"something else").into_bytes();
    assert_eq!(upload_fails(&s, &c, &[], body).await, "7");
    let mut body = raw("short.bin", &data);
    body.headers[1].1 = b"300001".to_vec();
    assert_eq!(upload_fails(&s, &c, &[], body).await, "7");
    assert!(!s.core.blobs().exists(&BlobId::of(&data)).await.unwrap());
    assert_eq!(refs(&s, &sha(&data)).await, None);
    for name in ["bad.bin", "short.bin"] {
        let v = c.call("upload/check", &[("filename", name)]).await.unwrap();
        assert_eq!(v["response"]["file_exists"], "no", "{v}");
    }
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, 0);
    // Malformed headers and a missing name are refused in doupload.result.
    let mut body = raw("x.bin", &data);
    body.headers[2].1 = b"zz".to_vec();
    assert_eq!(simple(&s, &c, &[], body).await["result"], "-90");
    let mut body = raw("x.bin", &data);
    body.headers[1].1 = b"-3".to_vec();
    assert_eq!(simple(&s, &c, &[], body).await["result"], "-48");
    let mut body = raw("", &data);
    body.headers.remove(0);
    assert_eq!(simple(&s, &c, &[], body).await["result"], "-49");
}

#[tokio::test]
async fn over_quota_is_fileerror_15() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    s.core.set_quota(uid, 1000).await.unwrap();
    let data = bytes(1001, 3);
    assert_eq!(upload_fails(&s, &c, &[], raw("big.bin", &data)).await, "15");
    // Without X-Filesize the stream itself is cut off.
    let mut body = raw("big.bin", &data);
    body.headers.truncate(1);
    assert_eq!(upload_fails(&s, &c, &[], body).await, "15");
    assert!(!s.core.blobs().exists(&BlobId::of(&data)).await.unwrap());
    upload_ok(&s, &c, &[], raw("fits.bin", &data[..1000])).await;
}

#[tokio::test]
async fn duplicates_follow_action_on_duplicate() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let one = b"version one".to_vec();
    let two = b"version two!".to_vec();
    let first = upload_ok(&s, &c, &[], raw("a.txt", &one)).await;
    let q = first["quickkey"].as_str().unwrap();
    // skip (the default): the same content answers the existing file, other content is 13.
    let again = upload_ok(&s, &c, &[], raw("a.txt", &one)).await;
    assert_eq!(again["quickkey"], q);
    let skip = [("action_on_duplicate", "skip")];
    assert_eq!(upload_fails(&s, &c, &skip, raw("a.txt", &two)).await, "13");
    // keep: a new file with a numbered name.
    let kept = upload_ok(
        &s,
        &c,
        &[("action_on_duplicate", "keep")],
        raw("a.txt", &two),
    )
    .await;
    assert_eq!(kept["filename"], "a (1).txt");
    assert_ne!(kept["quickkey"], q);
    // replace: a new version of the same file.
    let rep = [("action_on_duplicate", "replace")];
    let replaced = upload_ok(&s, &c, &rep, raw("a.txt", &two)).await;
    assert_eq!(replaced["quickkey"], q);
    let f = row(&s, uid, q).await.unwrap();
    assert_eq!(f.hash, sha(&two));
    let versions = s
        .core
        .file_versions(&Caller::owner(uid), Some(q))
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        refs(&s, &sha(&one)).await,
        Some(1),
        "kept as an earlier version"
    );
    // An unknown value is 129.
    let v = send(
        &s,
        Some(&c),
        None,
        "upload/simple",
        &[("action_on_duplicate", "merge")],
        raw("a.txt", &one),
    )
    .await;
    assert_eq!(v["response"]["error"], 129, "{v}");
}

#[tokio::test]
async fn destination_folder_and_path() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let dir = folder(&s, uid, "Photos").await;
    let p = upload_ok(
        &s,
        &c,
        &[("folder_key", &dir.folderkey), ("path", "2014/May")],
        raw("pic.jpg", b"jpeg bytes"),
    )
    .await;
    let f = row(&s, uid, p["quickkey"].as_str().unwrap()).await.unwrap();
    let made = s
        .core
        .folder_for_read(Some(&Caller::owner(uid)), Target::Path("Photos/2014/May"))
        .await
        .unwrap();
    assert_eq!(f.folder_id, made.row.id);
    // An unknown folder key is 112 before any byte is stored.
    let v = send(
        &s,
        Some(&c),
        None,
        "upload/simple",
        &[("folder_key", "abcdefghijklm")],
        raw("x.txt", b"never"),
    )
    .await;
    assert_eq!(v["response"]["error"], 112, "{v}");
    assert!(!s.core.blobs().exists(&BlobId::of(b"never")).await.unwrap());
}

#[tokio::test]
async fn tokens_action_v1_and_none() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let v = c
        .call("user/get_action_token", &[("type", "upload")])
        .await
        .unwrap();
    let token = v["response"]["action_token"].as_str().unwrap().to_string();
    let v = send(
        &s,
        None,
        Some(&token),
        "upload/simple",
        &[],
        raw("by-action-token.txt", b"action"),
    )
    .await;
    assert_eq!(v["response"]["doupload"]["result"], "0", "{v}");
    assert!(
        v["response"].get("new_key").is_none(),
        "action tokens never rotate"
    );
    let key = v["response"]["doupload"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    // poll_upload takes the action token too, or nothing.
    let pv = send(
        &s,
        None,
        Some(&token),
        "upload/poll_upload",
        &[("key", &key)],
        raw("", b""),
    )
    .await;
    assert_eq!(pv["response"]["doupload"]["status"], "99", "{pv}");
    let p = poll(&s, &key).await;
    assert!(row(&s, uid, p["quickkey"].as_str().unwrap())
        .await
        .is_some());
    // A v1 session token, unsigned.
    let c1 = s.login(1).await;
    upload_ok(&s, &c1, &[], raw("by-v1.txt", b"v1")).await;
    // No token at all: 104; a bad signature: 127 and nothing stored.
    let v = send(
        &s,
        None,
        None,
        "upload/simple",
        &[],
        raw("anon.txt", b"anon"),
    )
    .await;
    assert_eq!(v["response"]["error"], 104, "{v}");
    let v = send(
        &s,
        None,
        Some(&c.session().unwrap().token),
        "upload/simple",
        &[],
        raw("unsigned.txt", b"unsigned v2"),
    )
    .await;
    assert_ne!(v["response"]["result"], "Success", "{v}");
    assert!(!s
        .core
        .blobs()
        .exists(&BlobId::of(b"unsigned v2"))
        .await
        .unwrap());
}

#[tokio::test]
async fn poll_of_unknown_and_malformed_keys() {
    let s = TestServer::start().await;
    let p = poll(&s, "abcdefghijk").await;
    assert_eq!(p["result"], "-80");
    let p = poll(&s, "short").await;
    assert_eq!(p["result"], "-20");
    for k in ["status", "description", "filename", "fileerror"] {
        assert!(p.get(k).is_some(), "{k} missing: {p}");
    }
}
