//! file/get_versions and file/restore with a revision; versions pruned to the account setting.

use hearth_core::sessions::Caller;
use hearth_core::tree::FileRow;

use super::{alice, device_rev, fails, new_rev, put, refs, row, xml};
use crate::harness::TestServer;

/// Replaces the content of `f` through the core; returns the new hash.
async fn replace(s: &TestServer, uid: i64, f: &FileRow, content: &[u8]) -> String {
    let blob = hearth_store::blob::put_bytes(s.core.blobs().as_ref(), content)
        .await
        .unwrap();
    let current = row(s, uid, &f.quickkey).await.unwrap();
    s.core
        .replace_content(
            &Caller::owner(uid),
            &current,
            &blob.to_hex(),
            content.len() as i64,
        )
        .await
        .unwrap();
    blob.to_hex()
}

#[tokio::test]
async fn versions_and_restoring_one() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.txt", b"one").await;
    let c = s.login(2).await;
    let r1 = f.revision;
    let h2 = replace(&s, uid, &f, b"two!").await;
    let r2 = row(&s, uid, &f.quickkey).await.unwrap().revision;
    replace(&s, uid, &f, b"three").await;
    let r3 = row(&s, uid, &f.quickkey).await.unwrap().revision;
    assert!(r1 < r2 && r2 < r3);

    let v = c
        .call("file/get_versions", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let list = v["response"]["file_versions"].as_array().unwrap();
    let seen: Vec<(String, String)> = list
        .iter()
        .map(|e| {
            assert_eq!(e["date"].as_str().unwrap().len(), 19, "{e}");
            (
                e["revision"].as_str().unwrap().to_string(),
                e["head"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (r3.to_string(), "yes".to_string()),
            (r2.to_string(), "no".to_string()),
            (r1.to_string(), "no".to_string())
        ]
    );
    let (status, body) = xml(&c, "file/get_versions", &[("quick_key", &f.quickkey)]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(
            "<file_versions><file_version><revision>{r3}</revision><date>"
        )),
        "{body}"
    );
    assert!(
        body.contains("<head>yes</head></file_version><file_version>"),
        "{body}"
    );

    // Restore r2: its content becomes the newest version; the old head becomes an earlier one.
    let before = device_rev(&s, uid).await;
    let v = c
        .call(
            "file/restore",
            &[("quick_key", &f.quickkey), ("revision", &r2.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
    let rev = new_rev(&v);
    assert_eq!(rev, before + 1);
    let now = row(&s, uid, &f.quickkey).await.unwrap();
    assert_eq!(
        (now.hash.as_str(), now.size, now.revision),
        (h2.as_str(), 4, rev)
    );
    let info = c
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    assert_eq!(info["response"]["file_info"]["hash"], h2.as_str());
    assert_eq!(info["response"]["file_info"]["size"], "4");
    let v = c
        .call("file/get_versions", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let revs: Vec<&str> = v["response"]["file_versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["revision"].as_str().unwrap())
        .collect();
    assert_eq!(revs, [rev.to_string(), r3.to_string(), r1.to_string()]);

    for bad in ["999999", "abc", &r2.to_string()] {
        assert_eq!(
            fails(
                &c,
                "file/restore",
                &[("quick_key", &f.quickkey), ("revision", bad)]
            )
            .await,
            (
                400,
                223,
                "The revision you requested is invalid or cannot be restored".into()
            ),
            "{bad}"
        );
    }
    assert_eq!(fails(&c, "file/get_versions", &[]).await.1, 111);
}

#[tokio::test]
async fn versions_are_pruned_to_the_account_setting() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.txt", b"v0").await;
    let c = s.login(2).await;
    c.call("user/set_settings", &[("previous_file_versions", "2")])
        .await
        .unwrap();
    let mut hashes = vec![f.hash.clone()];
    for i in 1..=4 {
        hashes.push(replace(&s, uid, &f, format!("version {i}").as_bytes()).await);
    }
    let v = c
        .call("file/get_versions", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let list = v["response"]["file_versions"].as_array().unwrap();
    assert_eq!(list.len(), 3, "the head and two earlier versions: {v}");
    assert_eq!(
        refs(&s, &hashes[0]).await,
        Some(0),
        "pruned content is released"
    );
    assert_eq!(refs(&s, &hashes[1]).await, Some(0));
    assert_eq!(refs(&s, &hashes[2]).await, Some(1));
    assert_eq!(refs(&s, &hashes[3]).await, Some(1));
    assert_eq!(refs(&s, &hashes[4]).await, Some(1));

    // A purge releases the head and every kept version.
    c.call("file/purge", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    for h in &hashes[2..] {
        assert_eq!(refs(&s, h).await, Some(0));
    }
}
