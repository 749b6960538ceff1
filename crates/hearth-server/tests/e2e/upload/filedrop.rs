//! Uploads into a FileDrop with its `filedrop_key` and no session: simple and resumable files
//! land in the owner's FileDrop folder (owner's quota, pollable keys, bytes intact, a new name
//! when taken); bad, turned-off and trashed keys are 214 alike; the uploader learns nothing of
//! the account (check and instant answer the same for known and unknown content) and cannot
//! write anywhere else.

use hearth_client::Client;
use hearth_core::sessions::Caller;
use hearth_core::tree::{FolderRow, Target};
use serde_json::Value;

use super::{bytes, multipart, poll, raw, send, sha, Body};
use crate::file::{alice, bob, folder, put, put_in};
use crate::harness::TestServer;

const MIB: usize = 1024 * 1024;

fn empty() -> Body<'static> {
    Body {
        headers: vec![],
        content_type: "application/x-www-form-urlencoded".into(),
        bytes: vec![],
    }
}

/// Makes `folder_key` a FileDrop; answers its key.
async fn enable(c: &Client, folder_key: &str) -> String {
    let v = c
        .call(
            "folder/configure_filedrop",
            &[("folder_key", folder_key), ("action", "enable")],
        )
        .await
        .unwrap();
    v["response"]["filedrop_key"].as_str().unwrap().to_string()
}

/// A server where alice (`uid`, signed in as `c`) made her folder "Drop" a FileDrop (`key`).
async fn with_filedrop() -> (TestServer, i64, Client, FolderRow, String) {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let drop = folder(&s, uid, "Drop").await;
    let key = enable(&c, &drop.folderkey).await;
    (s, uid, c, drop, key)
}

/// An anonymous call (no session token).
async fn anon(s: &TestServer, action: &str, params: &[(&str, &str)], body: Body<'_>) -> Value {
    send(s, None, None, action, params, body).await["response"].clone()
}

/// The files of a folder as its owner lists them: (name, quickkey).
async fn files_of(c: &Client, folder_key: &str) -> Vec<(String, String)> {
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", folder_key), ("content_type", "files")],
        )
        .await
        .unwrap();
    v["response"]["folder_content"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().unwrap().to_string(),
                f["quickkey"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The bytes of a file, fetched through the owner's direct-download link.
async fn download(c: &Client, quickkey: &str) -> Vec<u8> {
    let v = c
        .call(
            "file/get_links",
            &[("quick_key", quickkey), ("link_type", "direct_download")],
        )
        .await
        .unwrap();
    let url = v["response"]["links"][0]["direct_download"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string();
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

/// A successful anonymous upload/simple into the FileDrop: the finished poll answer.
async fn drop_simple(s: &TestServer, key: &str, extra: &[(&str, &str)], body: Body<'_>) -> Value {
    let mut params = vec![("filedrop_key", key)];
    params.extend_from_slice(extra);
    let r = anon(s, "upload/simple", &params, body).await;
    assert_eq!(r["result"], "Success", "{r}");
    assert_eq!(r["doupload"]["result"], "0", "{r}");
    let upload_key = r["doupload"]["key"].as_str().unwrap();
    assert_eq!(upload_key.len(), 11, "an ordinary, pollable upload key");
    let p = poll(s, upload_key).await;
    assert_eq!(p["status"], "99", "{p}");
    p
}

#[tokio::test]
async fn anonymous_simple_uploads_land_in_the_owners_filedrop() {
    let (s, uid, c, drop, key) = with_filedrop().await;
    let other = folder(&s, uid, "Elsewhere").await;
    let used_before = s.core.user(uid).await.unwrap().used_bytes;

    let data = bytes(3000, 1);
    let p = drop_simple(&s, &key, &[], raw("report.txt", &data)).await;
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(p["filename"], "report.txt");
    assert_eq!(p["hash"], sha(&data));
    let q1 = p["quickkey"].as_str().unwrap().to_string();
    assert_eq!(
        files_of(&c, &drop.folderkey).await,
        [("report.txt".to_string(), q1.clone())]
    );
    assert_eq!(download(&c, &q1).await, data);
    assert_eq!(
        s.core.user(uid).await.unwrap().used_bytes,
        used_before + 3000,
        "the owner's storage pays"
    );

    // The same name again, asking to replace, and pointing folder_key elsewhere: a new file
    // with a unique name in the FileDrop; the poll shows the name as sent; the first file and
    // the other folder are untouched.
    let data2 = bytes(500, 2);
    let p = drop_simple(
        &s,
        &key,
        &[
            ("action_on_duplicate", "replace"),
            ("folder_key", &other.folderkey),
        ],
        raw("report.txt", &data2),
    )
    .await;
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(p["filename"], "report.txt", "the unique name is not shown");
    let q2 = p["quickkey"].as_str().unwrap().to_string();
    assert_ne!(q1, q2);
    let mut listed = files_of(&c, &drop.folderkey).await;
    listed.sort();
    assert_eq!(
        listed,
        [
            ("report (1).txt".to_string(), q2.clone()),
            ("report.txt".to_string(), q1.clone())
        ]
    );
    assert_eq!(download(&c, &q1).await, data, "never overwritten");
    assert_eq!(download(&c, &q2).await, data2);
    assert!(files_of(&c, &other.folderkey).await.is_empty());

    // Multipart, with the key as a form field, and a path below the FileDrop.
    let data3 = bytes(200, 3);
    let r = anon(
        &s,
        "upload/simple",
        &[("path", "inbox/2026")],
        multipart(&[("filedrop_key", &key)], "photo.bin", &data3),
    )
    .await;
    assert_eq!(r["doupload"]["result"], "0", "{r}");
    let p = poll(&s, r["doupload"]["key"].as_str().unwrap()).await;
    assert_eq!(p["fileerror"], "", "{p}");
    let q3 = p["quickkey"].as_str().unwrap().to_string();
    let v = c
        .call(
            "file/get_info",
            &[("quick_key", &q3), ("response_format", "json")],
        )
        .await
        .unwrap();
    let parent = v["response"]["file_info"]["parent_folderkey"]
        .as_str()
        .unwrap()
        .to_string();
    let inbox = s
        .core
        .folder_for_read(Some(&Caller::owner(uid)), Target::Key(&parent))
        .await
        .unwrap()
        .row;
    assert_eq!(inbox.name, "2026");
    assert_eq!(download(&c, &q3).await, data3);

    // A signed-in caller (bob) using the key also uploads as the FileDrop: alice's file and
    // storage, not bob's.
    let (bc, bob_id) = bob(&s).await;
    let bob_used = s.core.user(bob_id).await.unwrap().used_bytes;
    let d = super::simple(
        &s,
        &bc,
        &[("filedrop_key", &key)],
        raw("from-bob.txt", b"hi"),
    )
    .await;
    let p = poll(&s, d["key"].as_str().unwrap()).await;
    assert_eq!(p["fileerror"], "", "{p}");
    assert!(files_of(&c, &drop.folderkey)
        .await
        .iter()
        .any(|(n, _)| n == "from-bob.txt"));
    assert_eq!(s.core.user(bob_id).await.unwrap().used_bytes, bob_used);
}

fn unit_body(data: &[u8], unit: usize, id: usize, name: Option<&str>) -> Body<'static> {
    let part = &data[id * unit..((id + 1) * unit).min(data.len())];
    let mut headers = vec![
        ("X-Filesize", data.len().to_string().into_bytes()),
        ("X-Filehash", sha(data).into_bytes()),
        ("x-unit-id", id.to_string().into_bytes()),
        ("x-unit-size", part.len().to_string().into_bytes()),
        ("x-unit-hash", sha(part).into_bytes()),
    ];
    if let Some(n) = name {
        headers.push(("X-Filename", n.as_bytes().to_vec()));
    }
    Body {
        headers,
        content_type: "application/octet-stream".into(),
        bytes: part.to_vec(),
    }
}

/// One unit of `data` sent anonymously into the FileDrop.
async fn drop_unit(
    s: &TestServer,
    key: &str,
    data: &[u8],
    unit: usize,
    id: usize,
    name: Option<&str>,
) -> Value {
    let body = unit_body(data, unit, id, name);
    anon(s, "upload/resumable", &[("filedrop_key", key)], body).await
}

/// `upload/check resumable=yes` of `data` named `name`: the owner's own (signed in with `c`)
/// or, with a `filedrop_key`, the FileDrop's (anonymous).
async fn check_resumable(
    s: &TestServer,
    c: Option<&Client>,
    key: Option<&str>,
    name: &str,
    data: &[u8],
) -> Value {
    let size = data.len().to_string();
    let hash = sha(data);
    let mut params = vec![
        ("filename", name),
        ("hash", hash.as_str()),
        ("size", size.as_str()),
        ("resumable", "yes"),
    ];
    params.extend(key.map(|k| ("filedrop_key", k)));
    let r = send(s, c, None, "upload/check", &params, empty()).await["response"].clone();
    assert_eq!(r["result"], "Success", "{r}");
    r
}

async fn drop_check(s: &TestServer, key: &str, name: &str, data: &[u8]) -> Value {
    check_resumable(s, None, Some(key), name, data).await
}

#[tokio::test]
async fn anonymous_resumable_upload_with_its_own_session() {
    let (s, _, c, drop, key) = with_filedrop().await;
    let data = bytes(4 * MIB + 10, 7);

    // The owner opens a session of their own for the same content (and sends one unit).
    let v = check_resumable(&s, Some(&c), None, "mine.bin", &data).await;
    let owners = v["resumable_upload"].clone();
    let owners_key = owners["upload_key"].as_str().unwrap().to_string();
    let v = send(
        &s,
        Some(&c),
        None,
        "upload/resumable",
        &[],
        unit_body(&data, MIB, 4, None),
    )
    .await;
    assert_eq!(v["response"]["doupload"]["result"], "0", "{v}");

    // The FileDrop's session is another one: nothing received, another key.
    let r = drop_check(&s, &key, "big.bin", &data).await;
    let u = &r["resumable_upload"];
    assert_eq!(u["number_of_units"], "5", "{r}");
    assert_eq!(u["unit_size"], MIB.to_string());
    assert_eq!(u["all_units_ready"], "no");
    assert_eq!(
        u["bitmap"]["words"][0], "0",
        "the owner's unit is not shown"
    );
    let upload_key = u["upload_key"].as_str().unwrap().to_string();
    assert_ne!(upload_key, owners_key);
    assert_eq!(poll(&s, &upload_key).await["status"], "17");

    for id in [3, 0, 1, 4] {
        let r = drop_unit(&s, &key, &data, MIB, id, None).await;
        assert_eq!(r["doupload"]["result"], "0", "{r}");
        assert_eq!(r["doupload"]["key"], upload_key.as_str());
        assert_eq!(r["resumable_upload"]["all_units_ready"], "no");
    }
    let r = drop_check(&s, &key, "big.bin", &data).await;
    assert_eq!(
        r["resumable_upload"]["bitmap"]["words"][0],
        (1 + 2 + 8 + 16).to_string()
    );
    let r = drop_unit(&s, &key, &data, MIB, 2, None).await;
    assert_eq!(r["resumable_upload"]["all_units_ready"], "yes", "{r}");

    let p = poll(&s, &upload_key).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(p["filename"], "big.bin");
    let q = p["quickkey"].as_str().unwrap().to_string();
    assert_eq!(
        files_of(&c, &drop.folderkey).await,
        [("big.bin".to_string(), q.clone())]
    );
    assert_eq!(download(&c, &q).await, data);

    // The owner's session is untouched: still one unit in, still bound for the root.
    let v = check_resumable(&s, Some(&c), None, "mine.bin", &data).await;
    let u = &v["resumable_upload"];
    assert_eq!(u["upload_key"], owners_key.as_str());
    assert_eq!(u["bitmap"]["words"][0], "16", "{v}");

    // A later check of the same content in the FileDrop starts afresh (a finished session is
    // not shown to the next uploader).
    let r = drop_check(&s, &key, "big.bin", &data).await;
    assert_eq!(r["resumable_upload"]["all_units_ready"], "no", "{r}");
    assert_ne!(r["resumable_upload"]["upload_key"], upload_key.as_str());

    // Without a check, a unit naming its file opens the session.
    let small = bytes(1000, 8);
    let r = drop_unit(&s, &key, &small, 4 * MIB, 0, Some("small.bin")).await;
    assert_eq!(r["resumable_upload"]["all_units_ready"], "yes", "{r}");
    let p = poll(&s, r["doupload"]["key"].as_str().unwrap()).await;
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(download(&c, p["quickkey"].as_str().unwrap()).await, small);
}

#[tokio::test]
async fn bad_turned_off_and_trashed_filedrop_keys_are_refused_alike() {
    let (s, uid, c, drop, key) = with_filedrop().await;
    let data = bytes(100, 1);
    let hash = sha(&data);

    let try_all = |k: String| {
        let s = &s;
        let data = data.clone();
        let hash = hash.clone();
        async move {
            let mut out = Vec::new();
            for (action, body) in [
                ("upload/check", empty()),
                ("upload/instant", empty()),
                ("upload/simple", raw("x.txt", &data)),
                (
                    "upload/resumable",
                    unit_body(&data, 4 * MIB, 0, Some("x.txt")),
                ),
            ] {
                let r = anon(
                    s,
                    action,
                    &[
                        ("filedrop_key", &k),
                        ("filename", "x.txt"),
                        ("hash", &hash),
                        ("size", "100"),
                    ],
                    body,
                )
                .await;
                out.push(r);
            }
            out
        }
    };
    let refused = |rs: Vec<Value>| {
        for r in rs {
            assert_eq!(r["result"], "Error", "{r}");
            assert_eq!(r["error"], 214, "{r}");
            assert_eq!(r["message"], "The specified FileDrop Key is invalid");
        }
    };
    refused(try_all("0".repeat(64)).await);
    refused(try_all("not a key".into()).await);
    let mut flipped = key.clone();
    let last = if flipped.pop() == Some('0') { '1' } else { '0' };
    flipped.push(last);
    refused(try_all(flipped).await);

    // A working key, then the FileDrop turned off.
    let ok = try_all(key.clone()).await;
    assert_eq!(ok[0]["result"], "Success", "{:?}", ok[0]);
    c.call(
        "folder/configure_filedrop",
        &[("folder_key", &drop.folderkey), ("action", "disable")],
    )
    .await
    .unwrap();
    refused(try_all(key.clone()).await);

    // Another FileDrop whose folder goes to the trash.
    let drop2 = folder(&s, uid, "Drop 2").await;
    let key2 = enable(&c, &drop2.folderkey).await;
    assert_eq!(try_all(key2.clone()).await[0]["result"], "Success");
    c.call("folder/delete", &[("folder_key", &drop2.folderkey)])
        .await
        .unwrap();
    refused(try_all(key2).await);

    // No key and no token: a token is needed, as before; and the calls that take no
    // filedrop_key still need one.
    let r = anon(&s, "upload/simple", &[], raw("x.txt", &data)).await;
    assert_eq!(r["error"], 104, "{r}");
    let r = anon(
        &s,
        "upload/update",
        &[("filedrop_key", &key), ("quick_key", "abcdefghijklmno")],
        raw("x.txt", &data),
    )
    .await;
    assert_eq!(r["error"], 104, "{r}");
}

#[tokio::test]
async fn the_uploader_learns_nothing_of_the_account() {
    let (s, uid, c, drop, key) = with_filedrop().await;
    // Content the owner holds, in the FileDrop and at the root.
    let secret = bytes(777, 42);
    put_in(&s, uid, Target::Key(&drop.folderkey), "secret.txt", &secret).await;
    put(&s, uid, "secret-root.txt", &secret).await;
    let unknown = bytes(777, 43);
    let files_before = files_of(&c, &drop.folderkey).await;

    let answer = |data: Vec<u8>, name: &'static str, action: &'static str| {
        let s = &s;
        let key = key.clone();
        async move {
            let hash = sha(&data);
            let size = data.len().to_string();
            let r = send(
                s,
                None,
                None,
                action,
                &[
                    ("filedrop_key", &key),
                    ("filename", name),
                    ("hash", &hash),
                    ("size", &size),
                ],
                empty(),
            )
            .await;
            r["response"].clone()
        }
    };
    let known = answer(secret.clone(), "secret.txt", "upload/check").await;
    let fresh = answer(unknown.clone(), "other.txt", "upload/check").await;
    assert_eq!(
        known, fresh,
        "check: the same answer for held and unknown content"
    );
    for f in ["hash_exists", "in_account", "in_folder", "file_exists"] {
        assert_eq!(known[f], "no", "{known}");
    }
    assert_eq!(known["storage_limit_exceeded"], "no");
    for f in [
        "duplicate_quickkey",
        "available_space",
        "storage_limit",
        "used_storage_size",
        "folder_key",
    ] {
        assert!(known.get(f).is_none(), "{f} shown: {known}");
    }

    let known = answer(secret.clone(), "secret.txt", "upload/instant").await;
    let fresh = answer(unknown, "other.txt", "upload/instant").await;
    assert_eq!(
        known, fresh,
        "instant: the same refusal for held and unknown content"
    );
    assert_eq!(known["error"], 129, "{known}");
    assert_eq!(files_of(&c, &drop.folderkey).await, files_before);

    // Nothing to read with the key: listing the FileDrop's folder anonymously (private) is
    // the never-issued answer.
    let r = anon(
        &s,
        "folder/get_content",
        &[
            ("folder_key", &drop.folderkey),
            ("content_type", "files"),
            ("filedrop_key", &key),
        ],
        empty(),
    )
    .await;
    assert_eq!(r["error"], 112, "{r}");
}

#[tokio::test]
async fn the_owners_quota_is_enforced() {
    let (s, uid, c, drop, key) = with_filedrop().await;
    let used = s.core.user(uid).await.unwrap().used_bytes as u64;
    s.core.set_quota(uid, used + 1000).await.unwrap();

    let big = bytes(1500, 5);
    let r = drop_check(&s, &key, "big.bin", &big).await;
    assert_eq!(r["storage_limit_exceeded"], "yes", "{r}");
    let p = drop_simple(&s, &key, &[], raw("big.bin", &big)).await;
    assert_eq!(p["fileerror"], "15", "{p}");
    assert!(p.get("quickkey").is_none());
    let r = drop_unit(&s, &key, &big, 4 * MIB, 0, Some("big.bin")).await;
    assert_eq!(r["error"], 162, "{r}");
    assert!(files_of(&c, &drop.folderkey).await.is_empty());

    // What fits still goes in.
    let small = bytes(900, 6);
    let p = drop_simple(&s, &key, &[], raw("small.bin", &small)).await;
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(
        s.core.user(uid).await.unwrap().used_bytes as u64,
        used + 900
    );
}
