//! file/zip (Bulk Download): the archive of files and folder subtrees, unzipped and compared
//! byte for byte; sanitized and unique entry names; another user's private keys answer like
//! never-issued ones; the raw answer leaves the v2 key unrotated; limits and errors in JSON and
//! XML; and the acceptance test: a Zip64 archive of 1,100 files (~4.3 GiB) streamed to disk and
//! checked with Python's `zipfile` and `unzip -t`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::time::Instant;

use futures_util::StreamExt;
use hearth_client::{Client, Transport};
use hearth_core::files::FileUpdate;
use hearth_core::sessions::Caller;
use hearth_core::tree::{FileRow, FolderRow, OnDuplicate, Target};

use super::{alice, bob, folder, put, put_in};
use crate::harness::{TestServer, APP_ID, EMAIL, PASSWORD};

const NEVER_ISSUED_FILE: &str = "zzzzzzzzzzzzzzz";
const NEVER_ISSUED_FOLDER: &str = "zzzzzzzzzzzzz";

/// A folder below `parent`, made through the core.
async fn sub(s: &TestServer, uid: i64, parent: &FolderRow, name: &str) -> FolderRow {
    s.core
        .create_folder(
            &Caller::owner(uid),
            Target::Key(&parent.folderkey),
            Some(name),
            OnDuplicate::Allow,
            None,
        )
        .await
        .unwrap()
        .0
}

async fn file_in(s: &TestServer, uid: i64, dir: &FolderRow, name: &str, content: &[u8]) -> FileRow {
    put_in(s, uid, Target::Key(&dir.folderkey), name, content).await
}

async fn make_public_file(s: &TestServer, uid: i64, key: &str, password: Option<&str>) {
    s.core
        .update_file(
            &Caller::owner(uid),
            Some(key),
            FileUpdate {
                privacy: Some("public"),
                password,
                ..FileUpdate::default()
            },
        )
        .await
        .unwrap();
}

async fn make_public_folder(s: &TestServer, uid: i64, key: &str) {
    s.core
        .update_folder(
            &Caller::owner(uid),
            Target::Key(key),
            None,
            None,
            Some("public"),
            false,
            None,
        )
        .await
        .unwrap();
}

/// Pseudo-random bytes (xorshift), different per seed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The entries of an archive: path → `None` for a directory, the bytes for a file (each read
/// in full, so the reader checks its CRC-32).
fn unzip(bytes: &[u8]) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut z = ::zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        assert_eq!(e.compression(), ::zip::CompressionMethod::Stored, "{name}");
        let value = if e.is_dir() {
            None
        } else {
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            Some(data)
        };
        assert!(out.insert(name.clone(), value).is_none(), "{name} twice");
    }
    out
}

/// No entry name escapes the archive's folder.
fn assert_safe_names(entries: &BTreeMap<String, Option<Vec<u8>>>) {
    for name in entries.keys() {
        assert!(!name.starts_with('/'), "{name}");
        assert!(!name.contains('\\'), "{name}");
        assert!(!name.chars().any(char::is_control), "{name}");
        let parts: Vec<&str> = name.trim_end_matches('/').split('/').collect();
        assert!(
            parts
                .iter()
                .all(|p| !p.is_empty() && *p != "." && *p != ".."),
            "{name}"
        );
    }
}

/// A raw call: (HTTP status, content type, body). `c` may be logged in or anonymous.
async fn raw(c: &Client, params: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let r = c.call_raw("file/zip", params).await.unwrap();
    (r.status, r.content_type.clone(), r.body.to_vec())
}

/// The call fails with `code` (and `http`) in JSON and in XML; returns the JSON message.
async fn fails_both(c: &Client, params: &[(&str, &str)], code: u16, http: u16) -> String {
    let (status, ct, body) = raw(c, params).await;
    let text = String::from_utf8_lossy(&body).to_string();
    assert_eq!((status, ct.as_str()), (http, "application/json"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["response"]["error"], code, "{text}");
    assert_eq!(v["response"]["result"], "Error", "{text}");
    assert_eq!(v["response"]["action"], "file/zip", "{text}");
    let message = v["response"]["message"].as_str().unwrap().to_string();

    let mut xml_params = params.to_vec();
    xml_params.push(("response_format", "xml"));
    let (status, ct, body) = raw(c, &xml_params).await;
    let text = String::from_utf8_lossy(&body).to_string();
    assert_eq!((status, ct.as_str()), (http, "text/xml"), "{text}");
    assert!(text.contains(&format!("<error>{code}</error>")), "{text}");
    assert!(text.contains("<result>Error</result>"), "{text}");
    message
}

#[tokio::test]
async fn files_and_folder_subtrees_unzip_byte_for_byte() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let caller = Caller::owner(uid);

    // Named on their own: three files of the root (awkward names) and one in another folder
    // with the same name as the first.
    let a = put(&s, uid, "a.txt", b"alpha").await;
    let awkward_name = "naïve 名前 \"q\";%.txt";
    let awkward = put(&s, uid, awkward_name, &noise(1, 3000)).await;
    let evil = put(&s, uid, "..\\..\\evil.txt", b"not outside").await;
    let other = folder(&s, uid, "Other").await;
    let other_a = file_in(&s, uid, &other, "a.txt", b"the other alpha").await;

    // A subtree: duplicates, a file beside a folder of the same name, nested and empty folders,
    // a folder of dots holding a name with DEL, and trashed things that stay out.
    let top = folder(&s, uid, "Top 📁").await;
    let dup1 = file_in(&s, uid, &top, "dup.txt", b"one").await;
    let dup2 = file_in(&s, uid, &top, "dup.txt", b"two").await;
    file_in(&s, uid, &top, "Sub", b"a file named like the folder").await;
    let sub_dir = sub(&s, uid, &top, "Sub").await;
    let deep = sub(&s, uid, &sub_dir, "Deep").await;
    let deep_bytes = noise(2, 100_000);
    file_in(&s, uid, &deep, "deep.bin", &deep_bytes).await;
    sub(&s, uid, &top, "Empty").await;
    let dots = sub(&s, uid, &top, "...").await;
    file_in(&s, uid, &dots, "x\u{7f}.bin", b"del").await;
    let binned = file_in(&s, uid, &top, "binned.txt", b"trashed").await;
    s.core
        .delete_files(&caller, &[&binned.quickkey])
        .await
        .unwrap();
    let gone = sub(&s, uid, &top, "Gone").await;
    file_in(&s, uid, &gone, "inside.txt", b"trashed with its folder").await;
    s.core
        .delete_folders(&caller, &[&gone.folderkey])
        .await
        .unwrap();

    let c = s.login(2).await;
    let keys = format!(
        "{}, {},{} {},{}",
        a.quickkey, awkward.quickkey, evil.quickkey, top.folderkey, other_a.quickkey
    );
    let (status, ct, body) = raw(&c, &[("keys", &keys)]).await;
    assert_eq!((status, ct.as_str()), (200, "application/zip"));
    let entries = unzip(&body);
    assert_safe_names(&entries);
    let f = |b: &[u8]| Some(b.to_vec());
    let mut expected: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();
    expected.insert("a.txt".into(), f(b"alpha"));
    expected.insert(awkward_name.into(), f(&noise(1, 3000)));
    expected.insert(".._.._evil.txt".into(), f(b"not outside"));
    expected.insert("a (1).txt".into(), f(b"the other alpha"));
    expected.insert("Top 📁/".into(), None);
    expected.insert("Top 📁/dup.txt".into(), f(b"one"));
    expected.insert("Top 📁/dup (1).txt".into(), f(b"two"));
    expected.insert("Top 📁/Sub/".into(), None);
    expected.insert("Top 📁/Sub (1)".into(), f(b"a file named like the folder"));
    expected.insert("Top 📁/Sub/Deep/".into(), None);
    expected.insert("Top 📁/Sub/Deep/deep.bin".into(), Some(deep_bytes.clone()));
    expected.insert("Top 📁/Empty/".into(), None);
    expected.insert("Top 📁/___/".into(), None);
    expected.insert("Top 📁/___/x_.bin".into(), f(b"del"));
    assert_eq!(
        entries.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert_eq!(entries, expected);
    // The first of two equal names keeps it (by name, then by creation).
    assert!(dup1.id < dup2.id);

    // The raw answer did not rotate the key: the next call signed with the same key works.
    let v = c.call("user/get_info", &[]).await.unwrap();
    assert_eq!(v["response"]["new_key"], "yes");

    // One folder: named after it; GET works too.
    let g = Client::new(&s.base).transport(Transport::Get);
    g.login(APP_ID, None, EMAIL, PASSWORD, 2).await.unwrap();
    let r = g
        .call_raw("file/zip", &[("keys", &deep.folderkey)])
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "application/zip")
    );
    let entries = unzip(&r.body);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries["Deep/deep.bin"], Some(deep_bytes.clone()));
    // A v2 token without its signature: refused before anything is streamed, in the envelope.
    let http = reqwest::Client::new();
    let session = g.session().unwrap();
    let url = format!(
        "{}/api/1.5/file/zip.php?session_token={}&folder_key={}&response_format=json",
        s.base, session.token, deep.folderkey
    );
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["response"]["result"], "Error", "{v}");
    // Content-Disposition: the folder's name, RFC 6266 (checked on a fresh request).
    let session = g.session().unwrap();
    let path = "/api/1.5/file/zip.php";
    let query = hearth_client::encode(&[
        ("folder_key", top.folderkey.as_str()),
        ("session_token", session.token.as_str()),
    ]);
    let sig = hearth_api::signature::call_signature(
        session.secret_key.unwrap(),
        session.time.as_deref().unwrap(),
        path,
        query.as_bytes(),
    );
    let resp = http
        .get(format!("{}{path}?{query}&signature={sig}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"Top _.zip\"; filename*=UTF-8''Top%20%F0%9F%93%81.zip"
    );
    assert_eq!(resp.headers()["cache-control"], "private, no-store");
    let entries = unzip(&resp.bytes().await.unwrap());
    assert_eq!(entries.len(), 10, "{:?}", entries.keys());

    // meta_only=yes: the envelope, which rotates as usual.
    let v = c
        .call(
            "file/zip",
            &[("keys", &top.folderkey), ("meta_only", "yes")],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["result"], "Success");
    assert_eq!(v["response"]["new_key"], "yes");
    c.call("user/get_info", &[]).await.unwrap();
}

#[tokio::test]
async fn private_items_of_another_user_answer_like_missing_keys() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let caller = Caller::owner(uid);
    let private = put(&s, uid, "diary.txt", b"dear diary").await;
    let secret = folder(&s, uid, "secret").await;
    file_in(&s, uid, &secret, "plans.txt", b"plans").await;
    let binned = put(&s, uid, "binned.txt", b"gone").await;
    make_public_file(&s, uid, &binned.quickkey, None).await;
    s.core
        .delete_files(&caller, &[&binned.quickkey])
        .await
        .unwrap();
    let public = put(&s, uid, "public.txt", b"for everyone").await;
    make_public_file(&s, uid, &public.quickkey, None).await;
    let locked = put(&s, uid, "locked.txt", b"with a password").await;
    make_public_file(&s, uid, &locked.quickkey, Some("pw")).await;
    // A public folder with a public file, a private file and a private subfolder.
    let shared = folder(&s, uid, "shared").await;
    make_public_folder(&s, uid, &shared.folderkey).await;
    let open = file_in(&s, uid, &shared, "open.txt", b"open").await;
    make_public_file(&s, uid, &open.quickkey, None).await;
    file_in(&s, uid, &shared, "closed.txt", b"closed").await;
    let inner = sub(&s, uid, &shared, "inner").await;
    file_in(&s, uid, &inner, "hidden.txt", b"hidden").await;

    let (b, bob_id) = bob(&s).await;
    let bobs = put(&s, bob_id, "bobs.txt", b"bob").await;
    let anonymous = s.client();

    for c in [&b, &anonymous] {
        for format in ["json", "xml"] {
            let probes: [(&str, String, String); 5] = [
                ("keys", private.quickkey.clone(), NEVER_ISSUED_FILE.into()),
                ("keys", binned.quickkey.clone(), NEVER_ISSUED_FILE.into()),
                (
                    "quick_key",
                    private.quickkey.clone(),
                    NEVER_ISSUED_FILE.into(),
                ),
                ("keys", secret.folderkey.clone(), NEVER_ISSUED_FOLDER.into()),
                (
                    "folder_key",
                    secret.folderkey.clone(),
                    NEVER_ISSUED_FOLDER.into(),
                ),
            ];
            for (param, theirs, never) in probes {
                for own in [None, Some(&bobs.quickkey)] {
                    let list = |k: &str| match own {
                        Some(o) if param != "folder_key" => format!("{o},{k}"),
                        _ => k.to_string(),
                    };
                    let with_theirs = list(&theirs);
                    let with_never = list(&never);
                    let a = raw(c, &[(param, &with_theirs), ("response_format", format)]).await;
                    let n = raw(c, &[(param, &with_never), ("response_format", format)]).await;
                    let a_text = String::from_utf8_lossy(&a.2).replace(&theirs, "KEY");
                    let n_text = String::from_utf8_lossy(&n.2).replace(never.as_str(), "KEY");
                    assert_eq!(
                        (a.0, &a.1, &a_text),
                        (n.0, &n.1, &n_text),
                        "{param}={theirs}"
                    );
                    assert!(matches!(a.0, 404 | 403), "{a_text}");
                    assert!(a_text.contains("110") || a_text.contains("112"), "{a_text}");
                }
            }
        }
    }
    // The signed caller's key still works after all those errors (errors never rotate).
    b.call("user/get_info", &[]).await.unwrap();

    // Public items are zipped for anyone; a public folder holds only its public content.
    for c in [&b, &anonymous] {
        let (status, _, body) = raw(c, &[("keys", &public.quickkey)]).await;
        assert_eq!(status, 200);
        assert_eq!(unzip(&body)["public.txt"], Some(b"for everyone".to_vec()));
        let (status, _, body) = raw(c, &[("keys", &shared.folderkey)]).await;
        assert_eq!(status, 200);
        let entries = unzip(&body);
        assert_eq!(
            entries.keys().collect::<Vec<_>>(),
            ["shared/", "shared/open.txt"]
        );
        // A password-protected file cannot be bulk-downloaded by others.
        let m = fails_both(c, &[("keys", &locked.quickkey)], 186, 403).await;
        assert_eq!(m, "Cannot download password-protected files in bulk");
    }
    // Items of two owners: 147.
    let two = format!("{},{}", public.quickkey, bobs.quickkey);
    fails_both(&b, &[("keys", &two)], 147, 400).await;
    // The owner gets everything live, the password-protected file too.
    let a = s.login(2).await;
    let (status, _, body) = raw(
        &a,
        &[("keys", &format!("{},{}", shared.folderkey, locked.quickkey))],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        unzip(&body).keys().collect::<Vec<_>>(),
        [
            "locked.txt",
            "shared/",
            "shared/closed.txt",
            "shared/inner/",
            "shared/inner/hidden.txt",
            "shared/open.txt"
        ]
    );
    // The owner's own trashed file is left out: nothing left is 151.
    fails_both(&a, &[("keys", &binned.quickkey)], 151, 400).await;
}

#[tokio::test]
async fn limits_and_errors_in_both_formats() {
    const MIB: usize = 1024 * 1024;
    let s = TestServer::with_settings(|s| {
        s.limits.zip_max_filesize = 3 * MIB as u64;
        s.limits.zip_max_total_filesize = 5 * MIB as u64;
        s.limits.max_objects = 3;
        s.limits.max_keys = 4;
    })
    .await;
    let uid = alice(&s).await;
    let c = s.login(2).await;

    // Parameters.
    fails_both(&c, &[], 128, 400).await;
    fails_both(&c, &[("keys", " , ")], 128, 400).await;
    let small = put(&s, uid, "small.txt", b"small").await;
    fails_both(
        &c,
        &[("keys", &small.quickkey), ("meta_only", "maybe")],
        129,
        400,
    )
    .await;
    fails_both(
        &c,
        &[("keys", &small.quickkey), ("confirm_download", "please")],
        129,
        400,
    )
    .await;
    let five = [small.quickkey.as_str(); 5].join(",");
    fails_both(&c, &[("keys", &five)], 129, 400).await;
    fails_both(&c, &[("keys", "short")], 112, 404).await;
    fails_both(&c, &[("quick_key", "short")], 110, 404).await;

    // No file at all: 151.
    let empty = folder(&s, uid, "empty").await;
    sub(&s, uid, &empty, "inner").await;
    let m = fails_both(&c, &[("keys", &empty.folderkey)], 151, 400).await;
    assert!(
        m.starts_with("The item you selected contained no files"),
        "{m}"
    );

    // Per file: 150, with the limit in MB.
    let big = put(&s, uid, "big.bin", &noise(3, 4 * MIB)).await;
    let m = fails_both(&c, &[("keys", &big.quickkey)], 150, 403).await;
    assert!(m.contains("Files must be 3 MB or less"), "{m}");

    // In total: 153 unless confirmed by a signed-in caller.
    let b1 = put(&s, uid, "b1.bin", &noise(4, 3 * MIB)).await;
    let b2 = put(&s, uid, "b2.bin", &noise(5, 3 * MIB)).await;
    let both = format!("{},{}", b1.quickkey, b2.quickkey);
    let m = fails_both(&c, &[("keys", &both)], 153, 403).await;
    assert!(m.contains("larger than 5 MB"), "{m}");
    let (status, ct, body) = raw(&c, &[("keys", &both), ("confirm_download", "yes")]).await;
    assert_eq!((status, ct.as_str()), (200, "application/zip"));
    let entries = unzip(&body);
    assert_eq!(entries["b1.bin"], Some(noise(4, 3 * MIB)));
    assert_eq!(entries["b2.bin"], Some(noise(5, 3 * MIB)));
    make_public_file(&s, uid, &b1.quickkey, None).await;
    make_public_file(&s, uid, &b2.quickkey, None).await;
    let anonymous = s.client();
    fails_both(&anonymous, &[("keys", &both)], 153, 403).await;
    fails_both(
        &anonymous,
        &[("keys", &both), ("confirm_download", "yes")],
        104,
        403,
    )
    .await;
    // meta_only=yes passes the same checks.
    fails_both(&c, &[("keys", &both), ("meta_only", "yes")], 153, 403).await;
    let v = c
        .call(
            "file/zip",
            &[
                ("keys", &both),
                ("meta_only", "yes"),
                ("confirm_download", "yes"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["result"], "Success");
    let (status, ct, body) = raw(
        &c,
        &[
            ("keys", &small.quickkey),
            ("meta_only", "yes"),
            ("response_format", "xml"),
        ],
    )
    .await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!((status, ct.as_str()), (200, "text/xml"), "{text}");
    assert!(text.contains("<result>Success</result>"), "{text}");
    assert!(text.contains("<new_key>yes</new_key>"), "{text}");
    let mut session = c.session().unwrap();
    session.secret_key = session
        .secret_key
        .map(hearth_api::signature::next_secret_key);
    c.set_session(Some(session));

    // Count: 154, with the limit.
    let many = folder(&s, uid, "many").await;
    for i in 0..4 {
        file_in(&s, uid, &many, &format!("f{i}"), b"x").await;
    }
    let m = fails_both(&c, &[("keys", &many.folderkey)], 154, 403).await;
    assert!(m.contains("Cannot add more than 3 files"), "{m}");
    c.call("user/get_info", &[]).await.unwrap();
}

/// The acceptance test: 1,100 files of 4 MiB (one stored content, copied) zipped into one
/// Zip64 stream of ~4.3 GiB, saved to a temp file, and checked by Python's `zipfile` (every
/// entry read back: CRC-32 and bytes) and by `unzip -t`. The temp file is removed at the end.
// Two workers: the server's side and the client's side of 4.3 GiB each get a core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zip64_archive_of_1100_files_passes_python_and_unzip() {
    const FILES: usize = 1100;
    const SIZE: usize = 4 * 1024 * 1024;
    let unzip_bin = std::process::Command::new("unzip").arg("-v").output();
    assert!(
        unzip_bin.is_ok_and(|o| o.status.success()),
        "`unzip` is missing (Debian package unzip; .ci/run installs it)"
    );
    let started = Instant::now();
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let dir = folder(&s, uid, "big").await;
    let content = noise(7, SIZE);
    let first = file_in(&s, uid, &dir, "part.bin", &content).await;
    let copies = vec![first.quickkey.as_str(); FILES - 1];
    s.core
        .copy_files(&Caller::owner(uid), &copies, Target::Key(&dir.folderkey))
        .await
        .unwrap();
    let made = started.elapsed();

    // A signed streaming request (the client's call_raw would hold the body in memory).
    let c = s.login(2).await;
    let session = c.session().unwrap();
    let path = "/api/1.5/file/zip.php";
    let query = hearth_client::encode(&[
        ("keys", dir.folderkey.as_str()),
        ("confirm_download", "yes"),
        ("session_token", session.token.as_str()),
    ]);
    let sig = hearth_api::signature::call_signature(
        session.secret_key.unwrap(),
        session.time.as_deref().unwrap(),
        path,
        query.as_bytes(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("big.zip");
    let resp = reqwest::get(format!("{}{path}?{query}&signature={sig}", s.base))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let mut out =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&zip_path).unwrap());
    let mut stream = resp.bytes_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        total += chunk.len() as u64;
        tokio::task::block_in_place(|| std::io::Write::write_all(&mut out, &chunk)).unwrap();
    }
    std::io::Write::flush(&mut out).unwrap();
    drop(out);
    let streamed = started.elapsed();
    assert!(total > (FILES * SIZE) as u64, "{total}");
    assert!(total > u32::MAX as u64);
    // The key was not rotated by the raw answer.
    c.call("user/get_info", &[]).await.unwrap();

    let expected_path = tmp.path().join("part.bin");
    std::fs::write(&expected_path, &content).unwrap();
    let script = r#"
import sys, zipfile
path, expected_path, files = sys.argv[1], sys.argv[2], int(sys.argv[3])
expected = open(expected_path, "rb").read()
with zipfile.ZipFile(path) as z:
    infos = z.infolist()
    assert len(infos) == files + 1, len(infos)
    assert infos[0].is_dir() and infos[0].filename == "big/", infos[0].filename
    names = set()
    for info in infos[1:]:
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.file_size == len(expected), (info.filename, info.file_size)
        with z.open(info) as f:  # reading to the end checks the CRC-32
            assert f.read() == expected, info.filename
        names.add(info.filename)
    assert "big/part.bin" in names and "big/part (1099).bin" in names, sorted(names)[:3]
    assert len(names) == files
    assert infos[-1].header_offset > 0xFFFFFFFF, infos[-1].header_offset
print("ok", len(infos))
"#;
    // Both checkers at once (each reads the whole file; unzip's CRC-32 is the slow one).
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&zip_path)
        .arg(&expected_path)
        .arg(FILES.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let t = std::process::Command::new("unzip")
        .arg("-tq")
        .arg(&zip_path)
        .output()
        .expect("unzip");
    let unzip_done = started.elapsed();
    let py = py.wait_with_output().unwrap();
    assert!(
        py.status.success(),
        "python zipfile: {}{}",
        String::from_utf8_lossy(&py.stdout),
        String::from_utf8_lossy(&py.stderr)
    );
    let said = String::from_utf8_lossy(&t.stdout);
    assert!(
        t.status.success() && said.contains("No errors detected"),
        "unzip -t: {said}{}",
        String::from_utf8_lossy(&t.stderr)
    );
    std::fs::remove_file(&zip_path).unwrap();
    println!(
        "zip64 acceptance: {total} bytes; files made in {made:?}, streamed to disk in {:?}, \
         unzip -t in {:?}, python zipfile done {:?} later",
        streamed - made,
        unzip_done - streamed,
        started.elapsed() - unzip_done
    );
}
