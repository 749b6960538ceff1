//! upload/instant: a new file from content the account holds, by name and destination.

use super::{raw, sha, upload_ok};
use crate::file::{alice, folder, new_rev, refs, row};
use crate::harness::{code, TestServer};

#[tokio::test]
async fn instant_makes_a_file_from_held_content() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = b"the same bytes again".to_vec();
    let first = upload_ok(&s, &c, &[], raw("one.txt", &data)).await;
    let dir = folder(&s, uid, "Copies").await;
    let h = sha(&data);
    let size = data.len().to_string();
    let v = c
        .call(
            "upload/instant",
            &[
                ("filename", "twö.txt"),
                ("hash", &h),
                ("size", &size),
                ("folder_key", &dir.folderkey),
            ],
        )
        .await
        .unwrap();
    let r = &v["response"];
    assert_eq!(r["filename"], "twö.txt");
    let q = r["quickkey"].as_str().unwrap();
    assert_ne!(q, first["quickkey"].as_str().unwrap());
    let rev = new_rev(&v);
    let f = row(&s, uid, q).await.unwrap();
    assert_eq!(
        (f.hash.as_str(), f.size, f.folder_id),
        (h.as_str(), data.len() as i64, dir.id)
    );
    assert_eq!(f.revision, rev);
    assert_eq!(refs(&s, &h).await, Some(2));
    // Same name again: skip answers the same file; keep numbers it.
    let args = |dup: &'static str| {
        vec![
            ("filename", "twö.txt".to_string()),
            ("hash", h.clone()),
            ("folder_key", dir.folderkey.clone()),
            ("action_on_duplicate", dup.to_string()),
        ]
    };
    let a = args("skip");
    let a: Vec<(&str, &str)> = a.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let v = c.call("upload/instant", &a).await.unwrap();
    assert_eq!(v["response"]["quickkey"], q);
    let a = args("keep");
    let a: Vec<(&str, &str)> = a.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let v = c.call("upload/instant", &a).await.unwrap();
    assert_eq!(v["response"]["filename"], "twö (1).txt");
    // Unknown content, a wrong size, no name: errors.
    let e = c
        .call(
            "upload/instant",
            &[("filename", "x"), ("hash", &sha(b"nope")), ("size", "4")],
        )
        .await;
    assert_eq!(code(e), 129);
    let e = c
        .call(
            "upload/instant",
            &[("filename", "x"), ("hash", &h), ("size", "1")],
        )
        .await;
    assert_eq!(code(e), 129);
    let e = c
        .call("upload/instant", &[("hash", &h), ("size", &size)])
        .await;
    assert_eq!(code(e), 118);
    // Quota: the new file counts.
    let used = s.core.user(uid).await.unwrap().used_bytes as u64;
    s.core.set_quota(uid, used).await.unwrap();
    let e = c
        .call(
            "upload/instant",
            &[("filename", "three.txt"), ("hash", &h), ("size", &size)],
        )
        .await;
    assert_eq!(code(e), 162);
}
