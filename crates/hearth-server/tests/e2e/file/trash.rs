//! file/delete, file/restore (out of the trash), file/move out of the trash, file/purge.

use hearth_core::sessions::Caller;
use hearth_core::tree::Target;

use super::{alice, device_rev, fails, folder, folder_rev, new_rev, put, put_in, refs, row, xml};
use crate::harness::TestServer;

#[tokio::test]
async fn delete_then_restore_to_its_folder() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let docs = folder(&s, uid, "docs").await;
    let f = put_in(&s, uid, Target::Key(&docs.folderkey), "a.txt", b"a").await;
    let c = s.login(2).await;
    let k = f.quickkey.as_str();

    let before = device_rev(&s, uid).await;
    let (status, body) = xml(&c, "file/delete", &[("quick_key", k)]).await;
    assert_eq!(status, 200, "{body}");
    let rev = before + 1;
    assert!(
        body.contains(&format!(
            "<new_device_revision>{rev}</new_device_revision><device_revision>{rev}</device_revision>"
        )),
        "{body}"
    );
    assert_eq!(device_rev(&s, uid).await, rev);
    assert_eq!(folder_rev(&s, uid, Some(&docs.folderkey)).await, rev);
    let r = row(&s, uid, k).await.unwrap();
    assert_eq!(
        (r.trash_state, r.revision),
        (hearth_core::tree::DELETED, rev)
    );

    assert_eq!(
        fails(&c, "file/delete", &[("quick_key", k)]).await,
        (400, 210, "This file has already been deleted".into())
    );
    assert_eq!(
        fails(
            &c,
            "file/update",
            &[("quick_key", k), ("filename", "b.txt")]
        )
        .await,
        (403, 211, "Items in the Trash Can cannot be modified".into())
    );
    assert_eq!(
        fails(&c, "file/restore", &[("quick_key", k), ("revision", "1")])
            .await
            .1,
        211
    );
    assert_eq!(device_rev(&s, uid).await, rev, "refusals change nothing");

    let v = c.call("file/restore", &[("quick_key", k)]).await.unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
    assert_eq!(new_rev(&v), rev + 1);
    assert_eq!(folder_rev(&s, uid, Some(&docs.folderkey)).await, rev + 1);
    let info = c.call("file/get_info", &[("quick_key", k)]).await.unwrap();
    let info = &info["response"]["file_info"];
    assert_eq!(info["parent_folderkey"], docs.folderkey.as_str());
    assert!(info.get("delete_date").is_none(), "{info}");
    // A live file without a revision to restore: 128.
    assert_eq!(fails(&c, "file/restore", &[("quick_key", k)]).await.1, 128);
    // A second delete after the restore works again.
    c.call("file/delete", &[("quick_key", k)]).await.unwrap();
}

#[tokio::test]
async fn restore_goes_to_the_root_when_the_folder_is_trashed() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let docs = folder(&s, uid, "docs").await;
    let f = put_in(&s, uid, Target::Key(&docs.folderkey), "a.txt", b"a").await;
    let c = s.login(2).await;
    c.call("file/delete", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    s.core
        .delete_folders(&Caller::owner(uid), &[docs.folderkey.as_str()])
        .await
        .unwrap();
    let (status, body) = xml(&c, "file/restore", &[("quick_key", &f.quickkey)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<asynchronous>no</asynchronous><new_device_revision>"),
        "{body}"
    );
    let info = c
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    assert_eq!(info["response"]["file_info"]["parent_folderkey"], "myfiles");
    assert_eq!(folder_rev(&s, uid, None).await, device_rev(&s, uid).await);
}

#[tokio::test]
async fn move_takes_a_file_out_of_the_trash() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let docs = folder(&s, uid, "docs").await;
    let f = put(&s, uid, "a.txt", b"a").await;
    let c = s.login(2).await;
    c.call("file/delete", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let v = c
        .call(
            "file/move",
            &[("quick_key", &f.quickkey), ("folder_key", &docs.folderkey)],
        )
        .await
        .unwrap();
    let rev = new_rev(&v);
    let r = row(&s, uid, &f.quickkey).await.unwrap();
    assert_eq!((r.trash_state, r.folder_id, r.revision), (0, docs.id, rev));
    assert_eq!(folder_rev(&s, uid, Some(&docs.folderkey)).await, rev);
    let info = c
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    assert_eq!(
        info["response"]["file_info"]["parent_folderkey"],
        docs.folderkey.as_str()
    );
    // Live again: it can be changed.
    c.call(
        "file/update",
        &[("quick_key", &f.quickkey), ("description", "back")],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn purge_releases_content_trashed_or_not() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let a = put(&s, uid, "a.txt", b"same").await;
    let b = put(&s, uid, "b.txt", b"same").await;
    let other = put(&s, uid, "c.txt", b"other").await;
    let c = s.login(2).await;
    assert_eq!(refs(&s, &a.hash).await, Some(2));
    let used = s.core.user(uid).await.unwrap().used_bytes;

    let before = device_rev(&s, uid).await;
    // A key listed twice is purged once: the shared content keeps b's reference.
    let twice = format!("{},{}", a.quickkey, a.quickkey);
    let v = c
        .call("file/purge", &[("quick_key", &twice)])
        .await
        .unwrap();
    assert_eq!(new_rev(&v), before + 1);
    assert_eq!(folder_rev(&s, uid, None).await, before + 1);
    assert_eq!(refs(&s, &a.hash).await, Some(1));
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, used - 4);
    assert_eq!(
        fails(&c, "file/get_info", &[("quick_key", &a.quickkey)])
            .await
            .1,
        110
    );

    c.call("file/delete", &[("quick_key", &b.quickkey)])
        .await
        .unwrap();
    let (status, body) = xml(
        &c,
        "file/purge",
        &[("quick_key", &format!("{},{}", b.quickkey, other.quickkey))],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<new_device_revision>"), "{body}");
    assert_eq!(refs(&s, &a.hash).await, Some(0));
    assert_eq!(refs(&s, &other.hash).await, Some(0));
    assert_eq!(s.core.user(uid).await.unwrap().used_bytes, used - 13);
    assert_eq!(
        fails(&c, "file/purge", &[("quick_key", &b.quickkey)]).await,
        (404, 110, "Unknown or Invalid QuickKey".into())
    );
    assert_eq!(fails(&c, "file/delete", &[]).await.1, 111);
}
