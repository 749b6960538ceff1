//! folder/move and folder/copy.

use super::{at, err, folder_revision, names, rev, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

async fn children(a: &Alice, key: &str) -> Vec<String> {
    let v =
        a.c.call(
            "folder/get_content",
            &[("folder_key", key), ("content_type", "folders")],
        )
        .await
        .unwrap();
    names(&v["response"]["folder_content"]["folders"], "name")
}

#[tokio::test]
async fn move_folders_between_parents() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (src, _) = a.mk("Src", None).await;
    let (dst, _) = a.mk("Dst", None).await;
    let (x, _) = a.mk("x", Some(&src)).await;
    let (y, _) = a.mk("y", Some(&src)).await;
    let (under_x, r) = a.mk("under-x", Some(&x)).await;

    // A comma list with a space after the comma.
    let list = format!("{x}, {y}");
    let v =
        a.c.call(
            "folder/move",
            &[("folder_key_src", &list), ("folder_key_dst", &dst)],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
    assert_eq!(rev(&v), r + 1);
    assert_eq!(children(&a, &dst).await, ["x", "y"]);
    assert!(children(&a, &src).await.is_empty());
    assert_eq!(
        folder_revision(&a.c, &src).await,
        r + 1,
        "the old parent follows"
    );
    assert_eq!(
        folder_revision(&a.c, &dst).await,
        r + 1,
        "the new parent follows"
    );
    assert_eq!(folder_revision(&a.c, &x).await, r + 1);
    let v =
        a.c.call("folder/get_depth", &[("folder_key", &under_x)])
            .await
            .unwrap();
    assert_eq!(
        v["response"]["folder_depth"]["depth"], "3",
        "depths move along"
    );
    let v =
        a.c.call("folder/get_info", &[("folder_key", &x)])
            .await
            .unwrap();
    assert_eq!(at(&v, &["folder_info", "parent_folderkey"]), dst);

    // By path, to the root by default.
    let v =
        a.c.call("folder/move", &[("folder_path_src", "/Dst/y")])
            .await
            .unwrap();
    assert_eq!(rev(&v), r + 2);
    assert_eq!(children(&a, "myfiles").await, ["Dst", "Src", "y"]);
    // folder_path_dst.
    a.c.call(
        "folder/move",
        &[("folder_key_src", &y), ("folder_path_dst", "/Src")],
    )
    .await
    .unwrap();
    assert_eq!(children(&a, &src).await, ["y"]);

    // Into itself or below itself: 115.
    for dest in [x.as_str(), under_x.as_str()] {
        let e = err(a
            .c
            .call(
                "folder/move",
                &[("folder_key_src", &x), ("folder_key_dst", dest)],
            )
            .await);
        assert_eq!(
            (e.0, e.1.as_str(), e.2),
            (
                115,
                "Cannot move/copy a Folder to itself or to one of its Sub-Folders",
                400
            )
        );
    }
    let e = err(a.c.call("folder/move", &[("folder_key_dst", &dst)]).await);
    assert_eq!((e.0, e.2), (113, 400));
    let e = err(a
        .c
        .call(
            "folder/move",
            &[("folder_key_src", NEVER_ISSUED), ("folder_key_dst", &dst)],
        )
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let e = err(a
        .c
        .call(
            "folder/move",
            &[("folder_key_src", &x), ("folder_key_dst", NEVER_ISSUED)],
        )
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    // Into a trashed folder: 211.
    let (bin, _) = a.mk("Bin", None).await;
    a.c.call("folder/delete", &[("folder_key", &bin)])
        .await
        .unwrap();
    let e = err(a
        .c
        .call(
            "folder/move",
            &[("folder_key_src", &x), ("folder_key_dst", &bin)],
        )
        .await);
    assert_eq!((e.0, e.2), (211, 403));

    let (status, xml) = a
        .xml(
            "folder/move",
            &[("folder_key_src", &x), ("folder_key_dst", "myfiles")],
        )
        .await;
    assert_eq!(status, 200);
    let now = a.device_revision(&s).await;
    assert!(
        xml.contains(&format!(
            "<asynchronous>no</asynchronous><new_device_revision>{now}</new_device_revision>"
        )),
        "{xml}"
    );
}

#[tokio::test]
async fn copy_folders_with_their_content() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (src, _) = a.mk("Src", None).await;
    let (inner, _) = a.mk("Inner", Some(&src)).await;
    a.file(&s, Some(&src), "a.txt", b"aaaa").await;
    a.file(&s, Some(&inner), "b.txt", b"bb").await;
    let (gone, _) = a.mk("Gone", Some(&src)).await;
    a.c.call("folder/delete", &[("folder_key", &gone)])
        .await
        .unwrap();
    let (dst, _) = a.mk("Dst", None).await;
    let (other, r) = a.mk("Other", None).await;

    let list = format!("{src}, {other}");
    let v =
        a.c.call(
            "folder/copy",
            &[("folder_key_src", &list), ("folder_key_dst", &dst)],
        )
        .await
        .unwrap();
    assert_eq!(rev(&v), r + 1);
    assert_eq!(v["response"]["asynchronous"], "no");
    let new = v["response"]["new_folderkeys"].as_array().unwrap().clone();
    assert_eq!(new.len(), 2, "{v}");
    let copy = new[0].as_str().unwrap().to_string();
    assert!(copy != src && copy.len() == 13);
    assert_eq!(children(&a, &dst).await, ["Other", "Src"]);
    assert_eq!(children(&a, &copy).await, ["Inner"], "live content only");
    let info =
        a.c.call(
            "folder/get_info",
            &[("folder_key", &copy), ("details", "yes")],
        )
        .await
        .unwrap();
    let i = &info["response"]["folder_info"];
    assert_eq!(
        (i["total_files"].as_str(), i["total_size"].as_str()),
        (Some("2"), Some("6"))
    );
    assert_eq!(i["parent_folderkey"], dst.as_str());
    assert_eq!(folder_revision(&a.c, &dst).await, r + 1);
    // The source is untouched.
    assert_eq!(children(&a, &src).await, ["Inner"]);
    // To the root by default, by path.
    let v =
        a.c.call("folder/copy", &[("folder_path_src", "/Src/Inner")])
            .await
            .unwrap();
    assert_eq!(rev(&v), r + 2);
    assert_eq!(
        children(&a, "myfiles").await,
        ["Dst", "Inner", "Other", "Src"]
    );

    for dest in [src.as_str(), inner.as_str()] {
        let e = err(a
            .c
            .call(
                "folder/copy",
                &[("folder_key_src", &src), ("folder_key_dst", dest)],
            )
            .await);
        assert_eq!((e.0, e.2), (115, 400), "{dest}");
    }
    let e = err(a
        .c
        .call(
            "folder/copy",
            &[("folder_key_src", &gone), ("folder_key_dst", &dst)],
        )
        .await);
    assert_eq!((e.0, e.2), (211, 403), "a trashed source");
    let e = err(a.c.call("folder/copy", &[]).await);
    assert_eq!((e.0, e.2), (113, 400));
    let e = err(a
        .c
        .call("folder/copy", &[("folder_key_src", NEVER_ISSUED)])
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    assert_eq!(a.device_revision(&s).await, r + 2, "errors change nothing");

    let (status, xml) = a.xml("folder/copy", &[("folder_key_src", &other)]).await;
    assert_eq!(status, 200);
    assert!(xml.contains("<new_folderkeys><new_folderkey>"), "{xml}");
    assert!(
        xml.contains("</new_folderkey></new_folderkeys><asynchronous>no</asynchronous>"),
        "{xml}"
    );
}

#[tokio::test]
async fn copy_limits_objects_and_storage() {
    let s = TestServer::with_settings(|st| st.limits.max_objects = 3).await;
    let a = Alice::login(&s).await;
    let (small, _) = a.mk("Small", None).await;
    a.file(&s, Some(&small), "one.bin", &[7u8; 100]).await;
    let (big, _) = a.mk("Big", None).await;
    for n in ["1", "2", "3"] {
        a.mk(n, Some(&big)).await;
    }
    let e = err(a.c.call("folder/copy", &[("folder_key_src", &big)]).await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (207, "Total number of files copied cannot exceed 3", 403)
    );
    // Storage: 100 bytes used, quota 150; a copy would need 100 more.
    s.core.set_quota(a.uid, 150).await.unwrap();
    let r = a.device_revision(&s).await;
    let e = err(a.c.call("folder/copy", &[("folder_key_src", &small)]).await);
    assert_eq!((e.0, e.2), (162, 403));
    assert_eq!(a.device_revision(&s).await, r);
    assert_eq!(children(&a, "myfiles").await, ["Big", "Small"]);
    s.core.set_quota(a.uid, 200).await.unwrap();
    a.c.call("folder/copy", &[("folder_key_src", &small)])
        .await
        .unwrap();
    assert_eq!(children(&a, "myfiles").await, ["Big", "Small", "Small"]);
}

#[tokio::test]
async fn moving_a_folder_with_its_own_descendant_keeps_depths_true() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (src, _) = a.mk("Src", None).await;
    let (x, _) = a.mk("x", Some(&src)).await;
    let (under, _) = a.mk("under", Some(&x)).await;
    let (leaf, _) = a.mk("leaf", Some(&under)).await;
    let (outer, _) = a.mk("Outer", None).await;
    let (dst, _) = a.mk("Dst", Some(&outer)).await;
    let list = format!("{x},{under}");
    a.c.call(
        "folder/move",
        &[("folder_key_src", &list), ("folder_key_dst", &dst)],
    )
    .await
    .unwrap();
    // Both now sit directly in Dst; every depth equals the length of its ancestor chain.
    for (key, depth) in [(&x, "3"), (&under, "3"), (&leaf, "4")] {
        let v =
            a.c.call("folder/get_depth", &[("folder_key", key)])
                .await
                .unwrap();
        let d = &v["response"]["folder_depth"];
        assert_eq!(
            d["chain_folders"].as_array().unwrap().len().to_string(),
            d["depth"].as_str().unwrap(),
            "{v}"
        );
        assert_eq!(d["depth"], depth, "{v}");
    }
}
