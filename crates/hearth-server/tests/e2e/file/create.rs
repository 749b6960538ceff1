//! file/create: an empty file in a folder, answered as `fileinfo`.

use hearth_core::sessions::Caller;

use super::{alice, device_rev, fails, folder, folder_rev, new_rev, refs, row, xml};
use crate::harness::TestServer;

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[tokio::test]
async fn creates_empty_files() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let docs = folder(&s, uid, "docs").await;
    let c = s.login(2).await;

    let before = device_rev(&s, uid).await;
    let v = c
        .call(
            "file/create",
            &[
                ("filename", "notes"),
                ("file_extension", "txt"),
                ("parent_key", &docs.folderkey),
                ("mtime", "2015-01-02 03:04:05"),
            ],
        )
        .await
        .unwrap();
    let rev = new_rev(&v);
    assert_eq!(rev, before + 1);
    let fi = &v["response"]["fileinfo"];
    let keys: Vec<&str> = fi.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "quickkey",
            "filename",
            "created",
            "description",
            "downloads",
            "hash",
            "size",
            "filetype",
            "mimetype",
            "revision",
            "flag",
            "password_protected",
            "privacy",
            "links",
            "created_utc"
        ]
    );
    assert_eq!(fi["filename"], "notes.txt");
    assert_eq!(fi["size"], "0");
    assert_eq!(fi["hash"], EMPTY_SHA256);
    assert_eq!(fi["mimetype"], "text/plain");
    assert_eq!(fi["revision"], rev.to_string());
    assert_eq!(folder_rev(&s, uid, Some(&docs.folderkey)).await, rev);
    let k = fi["quickkey"].as_str().unwrap();
    assert_eq!(k.len(), 15);
    let r = row(&s, uid, k).await.unwrap();
    assert_eq!((r.folder_id, r.mtime_us), (docs.id, 1_420_167_845_000_000));
    assert_eq!(refs(&s, EMPTY_SHA256).await, Some(1));
    let info = c.call("file/get_info", &[("quick_key", k)]).await.unwrap();
    assert_eq!(
        info["response"]["file_info"]["parent_folderkey"],
        docs.folderkey.as_str()
    );

    // The same name again: numbered. By path. XML.
    let (status, body) = xml(
        &c,
        "file/create",
        &[
            ("filename", "notes.txt"),
            ("file_extension", "txt"),
            ("parent_path", "/docs"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<fileinfo><quickkey>"), "{body}");
    assert!(
        body.contains("<filename>notes (1).txt</filename>"),
        "{body}"
    );
    assert!(body.contains("<new_device_revision>"), "{body}");
    assert_eq!(refs(&s, EMPTY_SHA256).await, Some(2));

    // Defaults: the root, `Untitled`.
    let v = c.call("file/create", &[]).await.unwrap();
    assert_eq!(v["response"]["fileinfo"]["filename"], "Untitled");
    assert_eq!(folder_rev(&s, uid, None).await, new_rev(&v));

    assert_eq!(
        fails(&c, "file/create", &[("parent_key", "zzzzzzzzzzzzz")]).await,
        (404, 112, "Unknown or invalid FolderKey".into())
    );
    assert_eq!(
        fails(
            &c,
            "file/create",
            &[("filename", "a/b"), ("file_extension", "txt")]
        )
        .await
        .1,
        118
    );
    assert_eq!(fails(&c, "file/create", &[("mtime", "soon")]).await.1, 116);
    s.core
        .delete_folders(&Caller::owner(uid), &[docs.folderkey.as_str()])
        .await
        .unwrap();
    assert_eq!(
        fails(&c, "file/create", &[("parent_key", &docs.folderkey)]).await,
        (403, 211, "Items in the Trash Can cannot be modified".into())
    );
}
