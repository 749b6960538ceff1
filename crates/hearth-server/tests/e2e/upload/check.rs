//! upload/check: same-named files, content the account holds (never another account's),
//! quota figures, the resolved `path`, and the resumable layout.

use super::{bytes, raw, sha, upload_ok};
use crate::file::{alice, bob, folder};
use crate::harness::TestServer;

#[tokio::test]
async fn check_before_and_after_an_upload() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(5000, 4);
    let h = sha(&data);
    let size = data.len().to_string();
    let args = [
        ("filename", "c.bin"),
        ("hash", h.as_str()),
        ("size", size.as_str()),
    ];
    let v = c.call("upload/check", &args).await.unwrap();
    let r = &v["response"];
    for (k, want) in [
        ("hash_exists", "no"),
        ("in_account", "no"),
        ("in_folder", "no"),
        ("file_exists", "no"),
        ("different_hash", "no"),
        ("storage_limit_exceeded", "no"),
        ("used_storage_size", "0"),
    ] {
        assert_eq!(r[k], want, "{k}: {v}");
    }
    assert_eq!(r["available_space"], r["storage_limit"]);
    assert!(r.get("resumable_upload").is_none());
    let p = upload_ok(&s, &c, &[], raw("c.bin", &data)).await;
    let v = c.call("upload/check", &args).await.unwrap();
    let r = &v["response"];
    assert_eq!(
        (&r["hash_exists"], &r["in_account"], &r["in_folder"]),
        (&"yes".into(), &"yes".into(), &"yes".into()),
        "{v}"
    );
    assert_eq!(r["file_exists"], "yes");
    assert_eq!(r["different_hash"], "no");
    assert_eq!(r["duplicate_quickkey"], p["quickkey"]);
    assert_eq!(r["used_storage_size"], size);
    // Another name in another folder: the content is held, not in that folder.
    let dir = folder(&s, uid, "Other").await;
    let other = [
        ("filename", "c.bin"),
        ("hash", h.as_str()),
        ("folder_key", dir.folderkey.as_str()),
    ];
    let v = c.call("upload/check", &other).await.unwrap();
    let r = &v["response"];
    assert_eq!(
        (&r["hash_exists"], &r["in_folder"]),
        (&"yes".into(), &"no".into())
    );
    assert_eq!(r["file_exists"], "no");
    // Different content under the taken name.
    let v = c
        .call(
            "upload/check",
            &[("filename", "c.bin"), ("hash", &sha(b"x"))],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["different_hash"], "yes");
    assert_eq!(v["response"]["hash_exists"], "no");
    // Quota and bad input.
    s.core.set_quota(uid, 6000).await.unwrap();
    let v = c
        .call("upload/check", &[("filename", "d.bin"), ("size", "1001")])
        .await
        .unwrap();
    assert_eq!(v["response"]["storage_limit_exceeded"], "yes", "{v}");
    assert_eq!(v["response"]["available_space"], "1000");
    let e = c.call("upload/check", &[("filename", "a/b")]).await;
    assert_eq!(crate::harness::code(e), 118);
    let e = c.call("upload/check", &[("hash", "nothex")]).await;
    assert_eq!(crate::harness::code(e), 129);
}

#[tokio::test]
async fn dedup_never_reveals_another_accounts_content() {
    let s = TestServer::start().await;
    alice(&s).await;
    let (b, _) = bob(&s).await;
    let data = b"bob's secret".to_vec();
    upload_ok(&s, &b, &[], raw("secret.txt", &data)).await;
    let c = s.login(2).await;
    let h = sha(&data);
    let v = c
        .call("upload/check", &[("filename", "mine.txt"), ("hash", &h)])
        .await
        .unwrap();
    assert_eq!(v["response"]["hash_exists"], "no", "{v}");
    let size = data.len().to_string();
    let e = c
        .call(
            "upload/instant",
            &[("filename", "mine.txt"), ("hash", &h), ("size", &size)],
        )
        .await;
    assert_eq!(crate::harness::code(e), 129);
}

#[tokio::test]
async fn resumable_layout_and_path() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let five_mib = (5 * 1024 * 1024).to_string();
    let v = c
        .call(
            "upload/check",
            &[
                ("filename", "big.iso"),
                ("size", &five_mib),
                ("resumable", "yes"),
            ],
        )
        .await
        .unwrap();
    let r = &v["response"]["resumable_upload"];
    assert_eq!(r["unit_size"], "1048576", "{v}");
    assert_eq!(r["number_of_units"], "5");
    assert_eq!(r["all_units_ready"], "no");
    assert_eq!(r["bitmap"]["count"], "1");
    assert_eq!(r["bitmap"]["words"], serde_json::json!(["0"]));
    let v = c
        .call(
            "upload/check",
            &[("filename", "s.txt"), ("size", "10"), ("resumable", "yes")],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["resumable_upload"]["unit_size"], "4194304");
    assert_eq!(v["response"]["resumable_upload"]["number_of_units"], "1");
    // `path` relative to the root resolves to its folder key.
    let dir = folder(&s, uid, "Music").await;
    let v = c
        .call("upload/check", &[("filename", "s.mp3"), ("path", "Music")])
        .await
        .unwrap();
    assert_eq!(v["response"]["folder_key"], dir.folderkey);
    // With an upload action token.
    let t = c
        .call("user/get_action_token", &[("type", "upload")])
        .await
        .unwrap()["response"]["action_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, _, body) = crate::harness::get(&s.url(&format!(
        "/api/1.5/upload/check.php?filename=x&session_token={t}&response_format=json"
    )))
    .await;
    assert_eq!(
        crate::harness::json(&body)["response"]["file_exists"],
        "no",
        "{body}"
    );
}
