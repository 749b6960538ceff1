//! file/move and file/copy: destinations, revisions of the folders involved, shared content.

use hearth_core::sessions::Caller;

use super::{alice, device_rev, fails, folder, folder_rev, new_rev, put, refs, row, xml};
use crate::harness::TestServer;

#[tokio::test]
async fn move_between_folders_and_back_to_the_root() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let docs = folder(&s, uid, "docs").await;
    let a = put(&s, uid, "a.txt", b"a").await;
    let b = put(&s, uid, "b.txt", b"b").await;
    let c = s.login(2).await;

    let before = device_rev(&s, uid).await;
    let list = format!("{},{}", a.quickkey, b.quickkey);
    let v = c
        .call(
            "file/move",
            &[("quick_key", &list), ("folder_key", &docs.folderkey)],
        )
        .await
        .unwrap();
    let rev = new_rev(&v);
    assert_eq!(rev, before + 1, "one revision for the whole list");
    assert_eq!(folder_rev(&s, uid, Some(&docs.folderkey)).await, rev);
    assert_eq!(
        folder_rev(&s, uid, None).await,
        rev,
        "the old folder changed too"
    );
    for k in [&a.quickkey, &b.quickkey] {
        let info = c.call("file/get_info", &[("quick_key", k)]).await.unwrap();
        assert_eq!(
            info["response"]["file_info"]["parent_folderkey"],
            docs.folderkey.as_str()
        );
        assert_eq!(info["response"]["file_info"]["revision"], rev.to_string());
    }

    // No folder_key: the root. XML answer.
    let (status, body) = xml(&c, "file/move", &[("quick_key", &a.quickkey)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!(
            "<new_device_revision>{}</new_device_revision>",
            rev + 1
        )),
        "{body}"
    );
    assert_eq!(folder_rev(&s, uid, None).await, rev + 1);
    assert_eq!(folder_rev(&s, uid, Some(&docs.folderkey)).await, rev + 1);
    let r = row(&s, uid, &a.quickkey).await.unwrap();
    assert_eq!(r.folder_id, s.core.root_folder(uid).await.unwrap().id);

    // By path, into a path.
    c.call(
        "file/move",
        &[("file_path", "/a.txt"), ("folder_path", "/docs")],
    )
    .await
    .unwrap();
    assert_eq!(row(&s, uid, &a.quickkey).await.unwrap().folder_id, docs.id);

    assert_eq!(
        fails(
            &c,
            "file/move",
            &[("quick_key", &a.quickkey), ("folder_key", "zzzzzzzzzzzzz")]
        )
        .await,
        (404, 112, "Unknown or invalid FolderKey".into())
    );
    s.core
        .delete_folders(&Caller::owner(uid), &[docs.folderkey.as_str()])
        .await
        .unwrap();
    assert_eq!(
        fails(
            &c,
            "file/move",
            &[("quick_key", &b.quickkey), ("folder_key", &docs.folderkey)]
        )
        .await,
        (403, 211, "Items in the Trash Can cannot be modified".into())
    );
}

#[tokio::test]
async fn copies_share_content_and_count_storage() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let docs = folder(&s, uid, "docs").await;
    let a = put(&s, uid, "a.txt", b"hello").await;
    let c = s.login(2).await;
    assert_eq!(refs(&s, &a.hash).await, Some(1));
    let used = s.core.user(uid).await.unwrap().used_bytes;

    let before = device_rev(&s, uid).await;
    let list = format!("{},{}", a.quickkey, a.quickkey);
    let v = c
        .call(
            "file/copy",
            &[("quick_key", &list), ("folder_key", &docs.folderkey)],
        )
        .await
        .unwrap();
    let rev = new_rev(&v);
    assert_eq!(rev, before + 1);
    let r = &v["response"];
    let new_keys: Vec<String> = r["new_quickkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(new_keys.len(), 2);
    assert_ne!(new_keys[0], new_keys[1]);
    assert_eq!(
        (r["skipped_count"].as_str(), r["other_count"].as_str()),
        (Some("0"), Some("0"))
    );
    assert_eq!(refs(&s, &a.hash).await, Some(3), "copies share the content");
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, used + 10);
    assert_eq!(folder_rev(&s, uid, Some(&docs.folderkey)).await, rev);
    for k in &new_keys {
        let info = c.call("file/get_info", &[("quick_key", k)]).await.unwrap();
        let info = &info["response"]["file_info"];
        assert_eq!(info["filename"], "a.txt");
        assert_eq!(info["hash"], a.hash.as_str());
        assert_eq!(info["parent_folderkey"], docs.folderkey.as_str());
        assert_eq!(info["revision"], rev.to_string());
    }

    // XML: <new_quickkeys><new_quickkey>…; default destination is the root.
    let (status, body) = xml(&c, "file/copy", &[("quick_key", &a.quickkey)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<new_quickkeys><new_quickkey>"), "{body}");
    assert_eq!(refs(&s, &a.hash).await, Some(4));

    // A purge releases one reference.
    c.call("file/purge", &[("quick_key", &new_keys[0])])
        .await
        .unwrap();
    assert_eq!(refs(&s, &a.hash).await, Some(3));
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, used + 10);

    // A trashed source or a trashed destination: 211.
    c.call("file/delete", &[("quick_key", &new_keys[1])])
        .await
        .unwrap();
    assert_eq!(
        fails(&c, "file/copy", &[("quick_key", &new_keys[1])])
            .await
            .1,
        211
    );
    s.core
        .delete_folders(&Caller::owner(uid), &[docs.folderkey.as_str()])
        .await
        .unwrap();
    assert_eq!(
        fails(
            &c,
            "file/copy",
            &[("quick_key", &a.quickkey), ("folder_key", &docs.folderkey)]
        )
        .await
        .1,
        211
    );
    assert_eq!(fails(&c, "file/copy", &[]).await.1, 111);

    // Over quota: 162 (nothing copied).
    s.core.set_quota(uid, 16).await.unwrap();
    let refs_before = refs(&s, &a.hash).await;
    let code = fails(&c, "file/copy", &[("quick_key", &a.quickkey)])
        .await
        .1;
    assert_eq!(code, 162);
    assert_eq!(refs(&s, &a.hash).await, refs_before);
}
