//! device/empty_trash.

use super::{e, entries, Owner};
use crate::harness::{code, TestServer, APP_ID, EMAIL};

#[tokio::test]
async fn purges_the_trash_and_reports_deletions() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let alice = Owner::of(&s, EMAIL).await;
    let me = &alice.caller;
    let (a, _) = alice.folder(&s, None, "A").await;
    let (sub, _) = alice.folder(&s, Some(&a), "sub").await;
    let (in_a, _) = alice.file(&s, Some(&sub), "in.txt", b"1234").await;
    let (loose, _) = alice.file(&s, None, "loose.txt", b"12345").await;
    let (kept, _) = alice.file(&s, Some(&a), "kept.txt", b"123").await;
    let (live, _) = alice.folder(&s, None, "live").await;
    s.core
        .move_files(me, &[&kept], hearth_core::tree::Target::Key(&live))
        .await
        .unwrap();
    s.core.delete_folders(me, &[&a]).await.unwrap();
    s.core.delete_files(me, &[&loose]).await.unwrap();
    let before = alice.revision(&s).await;
    assert_eq!(before, 9);
    assert_eq!(s.core.user(alice.uid).await.unwrap().used_bytes, 12);

    let v = c.call("device/empty_trash", &[]).await.unwrap();
    let r = &v["response"];
    assert_eq!(r["asynchronous"], "no");
    let after = alice.revision(&s).await;
    assert!(after > before);
    assert_eq!(r["new_device_revision"], after.to_string());
    assert_eq!(r["device_revision"], after.to_string());
    let v = c.call("device/get_status", &[]).await.unwrap();
    assert_eq!(v["response"]["device_revision"], after.to_string());

    // Nothing left in the trash; the live file and its bytes stay.
    let v = c.call("device/get_trash", &[]).await.unwrap();
    assert_eq!(v["response"]["files"], serde_json::json!([]));
    assert_eq!(v["response"]["folders"], serde_json::json!([]));
    assert_eq!(s.core.user(alice.uid).await.unwrap().used_bytes, 3);
    for q in [&in_a, &loose] {
        assert_eq!(
            s.core
                .file_for_read(Some(me), Some(q), None)
                .await
                .map(|_| ())
                .unwrap_err()
                .code,
            110
        );
    }

    // get_changes: deletions for everything purged, the trash changed, nothing else.
    let v = c
        .call("device/get_changes", &[("revision", &before.to_string())])
        .await
        .unwrap();
    let r = &v["response"];
    assert_eq!(entries(&r["updated"]["files"], "quickkey"), vec![]);
    let updated = entries(&r["updated"]["folders"], "folderkey");
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0].0, "trash");
    assert!(updated[0].1 > before && updated[0].1 <= after);
    let mut files: Vec<String> = entries(&r["deleted"]["files"], "quickkey")
        .into_iter()
        .map(|(k, rev, _)| {
            assert!(rev > before && rev <= after);
            k
        })
        .collect();
    files.sort();
    let mut want = vec![in_a.clone(), loose.clone()];
    want.sort();
    assert_eq!(files, want);
    let mut folders: Vec<String> = entries(&r["deleted"]["folders"], "folderkey")
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    folders.sort();
    let mut want = vec![a.clone(), sub.clone()];
    want.sort();
    assert_eq!(folders, want);
    let v = c
        .call("device/get_changes", &[("revision", "0")])
        .await
        .unwrap();
    let all = entries(&v["response"]["updated"]["files"], "quickkey");
    assert_eq!(all, vec![e(&kept, 7, &live)]);

    // An empty trash: nothing happens, the answer carries the current revision.
    let v = c.call("device/empty_trash", &[]).await.unwrap();
    assert_eq!(v["response"]["new_device_revision"], after.to_string());
    assert_eq!(alice.revision(&s).await, after);
}

#[tokio::test]
async fn only_the_callers_trash() {
    let s = TestServer::start().await;
    let alice = Owner::of(&s, EMAIL).await;
    let (q, _) = alice.file(&s, None, "a.txt", b"hi").await;
    s.core.delete_files(&alice.caller, &[&q]).await.unwrap();
    s.core
        .create_user("bob@example.com", "bob password", "Bob", "B", false)
        .await
        .unwrap();
    let bob = s.client();
    bob.login(APP_ID, None, "bob@example.com", "bob password", 2)
        .await
        .unwrap();
    let v = bob.call("device/empty_trash", &[]).await.unwrap();
    assert_eq!(v["response"]["new_device_revision"], "0");
    assert_eq!(alice.revision(&s).await, 2);
    let c = s.login(1).await;
    let v = c.call("device/get_trash", &[]).await.unwrap();
    assert_eq!(v["response"]["files"][0]["quickkey"], q.as_str());
}

#[tokio::test]
async fn xml_answer_and_errors() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let alice = Owner::of(&s, EMAIL).await;
    let (q, _) = alice.file(&s, None, "a.txt", b"hi").await;
    s.core.delete_files(&alice.caller, &[&q]).await.unwrap();
    assert_eq!(
        code(c.call("device/empty_trash", &[("device_id", "9")]).await),
        141
    );
    assert_eq!(alice.revision(&s).await, 2);
    let r = c
        .call_raw("device/empty_trash", &[("response_format", "xml")])
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><action>device/empty_trash</action>\
         <asynchronous>no</asynchronous><new_device_revision>3</new_device_revision>\
         <device_revision>3</device_revision><result>Success</result>\
         <current_api_version>1.5</current_api_version></response>"
    );
}
