//! folder/get_info: the root, one folder, a list, details, trashed folders, devices.

use super::{at, err, names, rev, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

#[tokio::test]
async fn the_root_is_myfiles_with_the_device_revision() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (photos, _) = a.mk("Photos", None).await;
    a.file(&s, None, "a.txt", b"hello").await;
    let (_, r) = a.mk("Docs", None).await;
    for params in [
        vec![],
        vec![("folder_key", "myfiles")],
        vec![("folder_key", "")],
    ] {
        let v = a.c.call("folder/get_info", &params).await.unwrap();
        let i = &v["response"]["folder_info"];
        assert_eq!(i["folderkey"], "myfiles", "{v}");
        assert_eq!(i["name"], "myfiles");
        assert!(
            i["parent_folderkey"].is_null(),
            "the root has no parent: {v}"
        );
        assert!(i["created"].is_null() && i["privacy"].is_null(), "{v}");
        assert_eq!(i["folder_count"], "2");
        assert_eq!(i["file_count"], "1");
        assert_eq!(
            i["revision"],
            r.to_string(),
            "root revision = device revision"
        );
        assert_eq!(i["owner_name"], "Alice Liddell");
        assert_eq!(i["avatar"], "");
        assert_eq!(i["dropbox_enabled"], "no");
    }
    assert_eq!(r, a.device_revision(&s).await);
    // A file added through the core bumps the root too.
    a.file(&s, Some(&photos), "b.txt", b"x").await;
    let v = a.c.call("folder/get_info", &[]).await.unwrap();
    assert_eq!(at(&v, &["folder_info", "revision"]), (r + 1).to_string());

    let (status, xml) = a.xml("folder/get_info", &[]).await;
    assert_eq!(status, 200);
    assert!(
        xml.contains("<folder_info><folderkey>myfiles</folderkey><name>myfiles</name>"),
        "{xml}"
    );
    assert!(!xml.contains("parent_folderkey"), "{xml}");
}

#[tokio::test]
async fn one_folder_a_list_and_details() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (top, _) = a.mk("Top", None).await;
    let (mid, _) = a.mk("Mid", Some(&top)).await;
    let (_, _) = a.mk("Leaf", Some(&mid)).await;
    a.file(&s, Some(&top), "one.txt", b"12345").await;
    a.file(&s, Some(&mid), "two.txt", b"123").await;
    let v =
        a.c.call("folder/get_info", &[("folder_key", &top)])
            .await
            .unwrap();
    let i = &v["response"]["folder_info"];
    assert_eq!(i["folderkey"], top.as_str());
    assert_eq!(i["name"], "Top");
    assert_eq!(i["parent_folderkey"], "myfiles");
    assert_eq!(i["privacy"], "private");
    assert_eq!(i["folder_count"], "1", "direct children only");
    assert_eq!(i["file_count"], "1");
    assert_eq!(i["owner_name"], "Alice Liddell");
    assert_eq!(i["permissions"]["write"], "1");
    assert!(i["created_utc"].as_str().unwrap().ends_with('Z'));
    assert!(
        i["total_files"].is_null(),
        "totals only with details=yes: {v}"
    );
    assert!(i["delete_date"].is_null());

    let v =
        a.c.call(
            "folder/get_info",
            &[("folder_key", &top), ("details", "yes")],
        )
        .await
        .unwrap();
    let i = &v["response"]["folder_info"];
    assert_eq!(
        (&i["total_folders"], &i["total_files"], &i["total_size"]),
        (&"2".into(), &"2".into(), &"8".into()),
        "{v}"
    );
    let v =
        a.c.call(
            "folder/get_info",
            &[("folder_key", &top), ("details", "shallow")],
        )
        .await
        .unwrap();
    assert!(v["response"]["folder_info"]["total_size"].is_null());
    let e = err(a
        .c
        .call(
            "folder/get_info",
            &[("folder_key", &top), ("details", "lots")],
        )
        .await);
    assert_eq!((e.0, e.2), (129, 400));

    // A comma list (spaces tolerated, `myfiles` allowed) answers folder_infos, in order.
    let list = format!("{mid}, {top},myfiles");
    let v =
        a.c.call("folder/get_info", &[("folder_key", &list)])
            .await
            .unwrap();
    assert!(v["response"]["folder_info"].is_null());
    let infos = &v["response"]["folder_infos"];
    assert_eq!(
        names(infos, "folderkey"),
        [mid.as_str(), top.as_str(), "myfiles"]
    );
    assert_eq!(infos[0]["parent_folderkey"], top.as_str());
    // One bad key fails the whole call.
    let list = format!("{mid},{NEVER_ISSUED}");
    let e = err(a.c.call("folder/get_info", &[("folder_key", &list)]).await);
    assert_eq!((e.0, e.2), (112, 404));
    let (status, xml) = a
        .xml(
            "folder/get_info",
            &[("folder_key", &format!("{top},{mid}"))],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<folder_infos><folder_info><folderkey>{top}</folderkey><name>Top</name>"
        )),
        "{xml}"
    );

    // folder_path works for the caller's own tree.
    let v =
        a.c.call("folder/get_info", &[("folder_path", "/Top/Mid")])
            .await
            .unwrap();
    assert_eq!(at(&v, &["folder_info", "folderkey"]), mid);
}

#[tokio::test]
async fn trashed_folders_and_devices() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (k, _) = a.mk("Old", None).await;
    let (inner, _) = a.mk("Inner", Some(&k)).await;
    let v =
        a.c.call("folder/delete", &[("folder_key", &k)])
            .await
            .unwrap();
    let r = rev(&v);
    let v =
        a.c.call("folder/get_info", &[("folder_key", &k)])
            .await
            .unwrap();
    let i = &v["response"]["folder_info"];
    assert_eq!(i["parent_folderkey"], "trash", "{v}");
    assert_eq!(i["revision"], r.to_string());
    assert_eq!(i["delete_date"].as_str().unwrap().len(), 19, "{v}");
    // Inside a trashed folder: still its real parent.
    let v =
        a.c.call("folder/get_info", &[("folder_key", &inner)])
            .await
            .unwrap();
    assert_eq!(at(&v, &["folder_info", "parent_folderkey"]), k);

    a.c.call("folder/get_info", &[("device_id", "0")])
        .await
        .unwrap();
    let e = err(a.c.call("folder/get_info", &[("device_id", "1")]).await);
    assert_eq!((e.0, e.2), (141, 404));
    let e = err(a
        .c
        .call("folder/get_info", &[("folder_key", NEVER_ISSUED)])
        .await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (112, "Unknown or invalid FolderKey", 404)
    );
    let e = err(a
        .c
        .call("folder/get_info", &[("folder_path", "/Nope")])
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    // Anonymous: the root needs a token.
    let e = err(s.client().call("folder/get_info", &[]).await);
    assert_eq!((e.0, e.2), (104, 403));
    let (status, xml) = a
        .xml("folder/get_info", &[("folder_key", NEVER_ISSUED)])
        .await;
    assert_eq!(status, 404);
    assert!(
        xml.contains("<message>Unknown or invalid FolderKey</message><error>112</error>"),
        "{xml}"
    );
}
