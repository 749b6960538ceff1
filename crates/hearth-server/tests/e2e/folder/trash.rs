//! folder/delete, folder/purge and the undelete (folder/move out of the trash).

use super::{at, err, folder_revision, names, rev, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

async fn listing(a: &Alice, key: &str, kind: &str) -> Vec<String> {
    let v =
        a.c.call(
            "folder/get_content",
            &[("folder_key", key), ("content_type", kind)],
        )
        .await
        .unwrap();
    let field = if kind == "files" { "filename" } else { "name" };
    names(&v["response"]["folder_content"][kind], field)
}

#[tokio::test]
async fn delete_then_restore_by_moving_out_of_the_trash() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (home, _) = a.mk("Home", None).await;
    let (old, _) = a.mk("Old", Some(&home)).await;
    let (sub, _) = a.mk("Sub", Some(&old)).await;
    a.file(&s, Some(&sub), "deep.txt", b"deep").await;
    let r = a.device_revision(&s).await;

    let v =
        a.c.call("folder/delete", &[("folder_key", &old)])
            .await
            .unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
    assert_eq!(rev(&v), r + 1);
    assert!(
        listing(&a, &home, "folders").await.is_empty(),
        "excluded from get_content"
    );
    assert_eq!(
        folder_revision(&a.c, &home).await,
        r + 1,
        "the parent follows"
    );
    let v =
        a.c.call("folder/get_info", &[("folder_key", &old)])
            .await
            .unwrap();
    assert_eq!(at(&v, &["folder_info", "parent_folderkey"]), "trash");
    // Totals count live content only.
    let v =
        a.c.call(
            "folder/get_info",
            &[("folder_key", &home), ("details", "yes")],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["folder_info", "total_folders"]), "0");

    // Again: 209; modifying it: 211; creating inside it: 211.
    let e = err(a.c.call("folder/delete", &[("folder_key", &old)]).await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (209, "This folder has already been deleted", 400)
    );
    let e = err(a
        .c
        .call(
            "folder/update",
            &[("folder_key", &old), ("description", "x")],
        )
        .await);
    assert_eq!((e.0, e.2), (211, 403));
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "n"), ("parent_key", &sub)],
        )
        .await);
    assert_eq!((e.0, e.2), (211, 403), "inside a trashed folder");
    assert_eq!(a.device_revision(&s).await, r + 1);

    // Undelete: move it out of the trash; the subtree comes back with it.
    let v =
        a.c.call(
            "folder/move",
            &[("folder_key_src", &old), ("folder_key_dst", &home)],
        )
        .await
        .unwrap();
    assert_eq!(rev(&v), r + 2);
    assert_eq!(listing(&a, &home, "folders").await, ["Old"]);
    assert_eq!(listing(&a, &old, "folders").await, ["Sub"]);
    assert_eq!(listing(&a, &sub, "files").await, ["deep.txt"]);
    let v =
        a.c.call("folder/get_info", &[("folder_key", &old)])
            .await
            .unwrap();
    let i = &v["response"]["folder_info"];
    assert_eq!(i["parent_folderkey"], home.as_str());
    assert!(i["delete_date"].is_null(), "{v}");
    // Live again: it can change.
    a.c.call(
        "folder/update",
        &[("folder_key", &sub), ("description", "back")],
    )
    .await
    .unwrap();
    assert_eq!(a.device_revision(&s).await, r + 3);

    let (status, xml) = a.xml("folder/delete", &[("folder_key", &sub)]).await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<asynchronous>no</asynchronous><new_device_revision>{}</new_device_revision>",
            r + 4
        )),
        "{xml}"
    );
    let (status, xml) = a.xml("folder/delete", &[("folder_key", &sub)]).await;
    assert_eq!(status, 400);
    assert!(xml.contains("<error>209</error>"), "{xml}");
}

#[tokio::test]
async fn delete_lists_paths_and_errors() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (one, _) = a.mk("One", None).await;
    let (two, _) = a.mk("Two", None).await;
    a.mk("Three", None).await;
    let list = format!("{one}, {two}");
    let v =
        a.c.call("folder/delete", &[("folder_key", &list)])
            .await
            .unwrap();
    let r = rev(&v);
    assert_eq!(
        r,
        a.device_revision(&s).await,
        "one revision for the whole list"
    );
    assert_eq!(listing(&a, "myfiles", "folders").await, ["Three"]);
    a.c.call("folder/delete", &[("folder_path", "/Three")])
        .await
        .unwrap();
    assert!(listing(&a, "myfiles", "folders").await.is_empty());
    let e = err(a.c.call("folder/delete", &[]).await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (113, "Folder Key is missing", 400)
    );
    let e = err(a
        .c
        .call("folder/delete", &[("folder_key", NEVER_ISSUED)])
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let e = err(a
        .c
        .call("folder/delete", &[("folder_key", "myfiles")])
        .await);
    assert_eq!((e.0, e.2), (114, 403), "the root cannot be deleted");
    let e = err(a.c.call("folder/delete", &[("folder_path", "/Nope")]).await);
    assert_eq!((e.0, e.2), (112, 404));
}

#[tokio::test]
async fn purge_removes_for_good() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (live, _) = a.mk("Live", None).await;
    let (inner, _) = a.mk("Inner", Some(&live)).await;
    a.file(&s, Some(&inner), "x.bin", &[1u8; 10]).await;
    let (trashed, _) = a.mk("Trashed", None).await;
    a.c.call("folder/delete", &[("folder_key", &trashed)])
        .await
        .unwrap();
    let used = |s: &TestServer| {
        let core = s.core.clone();
        let uid = a.uid;
        async move { core.user(uid).await.unwrap().used_bytes }
    };
    assert_eq!(used(&s).await, 10);
    let r = a.device_revision(&s).await;

    // A live folder, from the tree.
    let v =
        a.c.call("folder/purge", &[("folder_key", &live)])
            .await
            .unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
    assert_eq!(rev(&v), r + 1);
    for k in [&live, &inner] {
        let e = err(a.c.call("folder/get_info", &[("folder_key", k)]).await);
        assert_eq!((e.0, e.2), (112, 404), "gone for good");
    }
    assert_eq!(used(&s).await, 0, "storage released");
    // A trashed folder.
    let v =
        a.c.call("folder/purge", &[("folder_key", &trashed)])
            .await
            .unwrap();
    assert_eq!(rev(&v), r + 2);
    let e = err(a
        .c
        .call("folder/get_info", &[("folder_key", &trashed)])
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let e = err(a.c.call("folder/purge", &[("folder_key", &trashed)]).await);
    assert_eq!((e.0, e.2), (112, 404), "twice");
    let e = err(a.c.call("folder/purge", &[("folder_key", "myfiles")]).await);
    assert_eq!((e.0, e.2), (114, 403));
    let e = err(a.c.call("folder/purge", &[]).await);
    assert_eq!((e.0, e.2), (113, 400));
    assert_eq!(folder_revision(&a.c, "myfiles").await, r + 2);

    let (k, _) = a.mk("ByXml", None).await;
    let (status, xml) = a.xml("folder/purge", &[("folder_key", &k)]).await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<new_device_revision>{}</new_device_revision>",
            r + 4
        )),
        "{xml}"
    );
}
