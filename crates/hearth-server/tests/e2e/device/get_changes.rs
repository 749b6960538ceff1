//! device/get_changes: parameters, the entries each kind of mutation produces, the windows.

use hearth_client::Client;
use hearth_core::files::FileUpdate;
use hearth_core::tree::Target;
use serde_json::{json, Value};

use super::{e, entries, Owner};
use crate::harness::{code, TestServer, EMAIL};

async fn changes(c: &Client, since: i64) -> Value {
    let v = c
        .call("device/get_changes", &[("revision", &since.to_string())])
        .await
        .unwrap();
    v["response"].clone()
}

type Entries = Vec<(String, i64, String)>;

/// (updated files, updated folders, deleted files, deleted folders).
fn lists(r: &Value) -> (Entries, Entries, Entries, Entries) {
    (
        entries(&r["updated"]["files"], "quickkey"),
        entries(&r["updated"]["folders"], "folderkey"),
        entries(&r["deleted"]["files"], "quickkey"),
        entries(&r["deleted"]["folders"], "folderkey"),
    )
}

#[tokio::test]
async fn parameters() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    assert_eq!(code(c.call("device/get_changes", &[]).await), 128);
    assert_eq!(
        code(c.call("device/get_changes", &[("revision", "")]).await),
        128
    );
    for bad in ["abc", "-1", "1.5", "99999999999999999999"] {
        assert_eq!(
            code(c.call("device/get_changes", &[("revision", bad)]).await),
            129,
            "{bad}"
        );
    }
    assert_eq!(
        code(
            c.call(
                "device/get_changes",
                &[("revision", "0"), ("device_id", "3")]
            )
            .await
        ),
        141
    );
    c.call(
        "device/get_changes",
        &[("revision", "0"), ("device_id", "0")],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_empty_window_has_the_captured_shape() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let alice = Owner::of(&s, EMAIL).await;
    alice.folder(&s, None, "A").await;
    for since in [1, 2, 1000] {
        let r = c
            .call_raw("device/get_changes", &[("revision", &since.to_string())])
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            r.json().unwrap(),
            json!({"response": {
                "action": "device/get_changes",
                "updated": {"files": [], "folders": []},
                "deleted": {"files": [], "folders": []},
                "device_revision": "1",
                "changes_list_block": "500",
                "result": "Success",
                "new_key": "yes",
                "current_api_version": "1.5"
            }})
        );
    }
}

#[tokio::test]
async fn changes_after_each_kind_of_mutation() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let alice = Owner::of(&s, EMAIL).await;
    let me = &alice.caller;

    // Create: a folder, a folder inside it, a file inside it. The root never appears.
    let (a, r1) = alice.folder(&s, None, "A").await;
    let (b, r2) = alice.folder(&s, Some(&a), "B").await;
    let (q, r3) = alice.file(&s, Some(&a), "a.txt", b"hi").await;
    assert_eq!((r1, r2, r3), (1, 2, 3));
    let r = changes(&c, 0).await;
    assert_eq!(r["device_revision"], "3");
    assert_eq!(
        lists(&r),
        (
            vec![e(&q, 3, &a)],
            vec![e(&b, 2, &a), e(&a, 3, "")],
            vec![],
            vec![]
        )
    );
    let file = &r["updated"]["files"][0];
    assert_eq!(file["filename"], "a.txt");
    assert_eq!(file["created"].as_str().unwrap().len(), 19, "{file}");
    assert_eq!(
        r["updated"]["folders"][0]["created"]
            .as_str()
            .unwrap()
            .len(),
        19
    );
    let r = changes(&c, 2).await;
    assert_eq!(
        lists(&r),
        (vec![e(&q, 3, &a)], vec![e(&a, 3, "")], vec![], vec![])
    );

    // Rename a folder: only the folder. Rename a file: the file and its folder.
    let r4 = s
        .core
        .update_folder(me, Target::Key(&a), Some("A2"), None, None, false, None)
        .await
        .unwrap();
    assert_eq!(r4, 4);
    assert_eq!(
        lists(&changes(&c, 3).await),
        (vec![], vec![e(&a, 4, "")], vec![], vec![])
    );
    let r5 = s
        .core
        .update_file(
            me,
            Some(&q),
            FileUpdate {
                filename: Some("b.txt"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r5, 5);
    let r = changes(&c, 4).await;
    assert_eq!(
        lists(&r),
        (vec![e(&q, 5, &a)], vec![e(&a, 5, "")], vec![], vec![])
    );
    assert_eq!(r["updated"]["files"][0]["filename"], "b.txt");

    // Move the file from A into B: the file with its new parent, both folders.
    let r6 = s.core.move_files(me, &[&q], Target::Key(&b)).await.unwrap();
    assert_eq!(r6, 6);
    assert_eq!(
        lists(&changes(&c, 5).await),
        (
            vec![e(&q, 6, &b)],
            vec![e(&a, 6, ""), e(&b, 6, &a)],
            vec![],
            vec![]
        )
    );

    // Delete the file: its parent is `trash`, its folder and the trash pseudo-folder changed.
    let r7 = s.core.delete_files(me, &[&q]).await.unwrap();
    assert_eq!(r7, 7);
    assert_eq!(
        lists(&changes(&c, 6).await),
        (
            vec![e(&q, 7, "trash")],
            vec![e(&b, 7, &a), e("trash", 7, "")],
            vec![],
            vec![]
        )
    );

    // Restore it: back in B, the trash and B changed.
    let r8 = s.core.restore_file(me, Some(&q), None).await.unwrap();
    assert_eq!(r8, 8);
    assert_eq!(
        lists(&changes(&c, 7).await),
        (
            vec![e(&q, 8, &b)],
            vec![e(&b, 8, &a), e("trash", 8, "")],
            vec![],
            vec![]
        )
    );

    // Delete B with the file inside: B in the trash, the file still inside B.
    let r9 = s.core.delete_folders(me, &[&b]).await.unwrap();
    assert_eq!(r9, 9);
    assert_eq!(
        lists(&changes(&c, 8).await),
        (
            vec![e(&q, 9, &b)],
            vec![e(&a, 9, ""), e(&b, 9, "trash"), e("trash", 9, "")],
            vec![],
            vec![]
        )
    );

    // Purge B from the trash: B and the file are deleted, the trash changed.
    let r10 = s.core.purge_folders(me, &[&b]).await.unwrap();
    assert_eq!(r10, 10);
    let r = changes(&c, 9).await;
    let (uf, ufo, df, dfo) = lists(&r);
    assert_eq!((uf, ufo), (vec![], vec![e("trash", 10, "")]));
    assert_eq!(
        df.iter()
            .map(|(k, r, _)| (k.as_str(), *r))
            .collect::<Vec<_>>(),
        [(q.as_str(), 10)]
    );
    assert_eq!(
        dfo.iter()
            .map(|(k, r, _)| (k.as_str(), *r))
            .collect::<Vec<_>>(),
        [(b.as_str(), 10)]
    );

    // Purge a live file: deleted, and its folder changed.
    let (q2, r11) = alice.file(&s, Some(&a), "c.txt", b"c").await;
    let r12 = s.core.purge_files(me, &[&q2]).await.unwrap();
    assert_eq!((r11, r12), (11, 12));
    let r = changes(&c, 11).await;
    let (uf, ufo, df, dfo) = lists(&r);
    assert_eq!((uf, ufo, dfo), (vec![], vec![e(&a, 12, "")], vec![]));
    assert_eq!(
        df.iter()
            .map(|(k, r, _)| (k.as_str(), *r))
            .collect::<Vec<_>>(),
        [(q2.as_str(), 12)]
    );

    // From the start: each key once, with its latest revision.
    let r = changes(&c, 0).await;
    assert_eq!(r["device_revision"], "12");
    let (uf, ufo, df, dfo) = lists(&r);
    assert_eq!(uf, vec![]);
    assert_eq!(ufo, vec![e("trash", 10, ""), e(&a, 12, "")]);
    let keys = |l: &Entries| {
        l.iter()
            .map(|(k, r, _)| (k.clone(), *r))
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&df), vec![(q.clone(), 10), (q2.clone(), 12)]);
    assert_eq!(keys(&dfo), vec![(b.clone(), 10)]);
}

#[tokio::test]
async fn another_users_changes_are_not_mine() {
    let s = TestServer::start().await;
    let alice = Owner::of(&s, EMAIL).await;
    let (a, _) = alice.folder(&s, None, "A").await;
    alice.file(&s, Some(&a), "a.txt", b"hi").await;
    s.core
        .create_user("bob@example.com", "bob password", "Bob", "B", false)
        .await
        .unwrap();
    let bob = s.client();
    bob.login(
        crate::harness::APP_ID,
        None,
        "bob@example.com",
        "bob password",
        2,
    )
    .await
    .unwrap();
    let r = changes(&bob, 0).await;
    assert_eq!(r["device_revision"], "0");
    assert_eq!(lists(&r), (vec![], vec![], vec![], vec![]));
}

#[tokio::test]
async fn windows_of_500_revisions() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let alice = Owner::of(&s, EMAIL).await;
    let mut keys = Vec::new();
    for i in 0..520 {
        let (k, rev) = alice.folder(&s, None, &format!("f{i}")).await;
        assert_eq!(rev, i + 1);
        keys.push(k);
    }
    let window = |r: &Value| {
        assert_eq!(r["device_revision"], "520");
        assert_eq!(r["changes_list_block"], "500");
        let (uf, ufo, df, dfo) = lists(r);
        assert!(uf.is_empty() && df.is_empty() && dfo.is_empty());
        ufo
    };
    let expect = |revs: std::ops::RangeInclusive<i64>| -> Entries {
        revs.map(|r| e(&keys[r as usize - 1], r, "")).collect()
    };
    assert_eq!(window(&changes(&c, 0).await), expect(1..=500));
    assert_eq!(window(&changes(&c, 1).await), expect(2..=500));
    assert_eq!(window(&changes(&c, 498).await), expect(499..=500));
    // 499 is the C++ SDK's cursor edge: its next cursor is 1000, so this window runs there.
    assert_eq!(window(&changes(&c, 499).await), expect(500..=520));
    assert_eq!(window(&changes(&c, 500).await), expect(501..=520));
    assert_eq!(window(&changes(&c, 519).await), expect(520..=520));
    assert_eq!(window(&changes(&c, 520).await), vec![]);
    assert_eq!(window(&changes(&c, 5000).await), vec![]);
    // The largest revision there is: an empty window, not an overflow.
    assert_eq!(window(&changes(&c, i64::MAX).await), vec![]);

    // The C++ SDK's loop: start at 0, advance to the next block, until the current revision.
    let mut seen = Vec::new();
    let mut start = 0;
    while start < 520 {
        seen.extend(window(&changes(&c, start).await));
        start = ((start + 1) / 500 + 1) * 500;
    }
    assert_eq!(seen, expect(1..=520));
}

#[tokio::test]
async fn the_block_follows_the_configured_limit() {
    let s = TestServer::with_settings(|st| st.limits.device_changes_list_limit = 3).await;
    let c = s.login(1).await;
    let alice = Owner::of(&s, EMAIL).await;
    let mut keys = Vec::new();
    for i in 0..5 {
        keys.push(alice.folder(&s, None, &format!("f{i}")).await.0);
    }
    let r = changes(&c, 0).await;
    assert_eq!(r["changes_list_block"], "3");
    assert_eq!(
        lists(&r).1,
        vec![e(&keys[0], 1, ""), e(&keys[1], 2, ""), e(&keys[2], 3, "")]
    );
    assert_eq!(
        lists(&changes(&c, 3).await).1,
        vec![e(&keys[3], 4, ""), e(&keys[4], 5, "")]
    );
}

#[tokio::test]
async fn xml_answer() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let alice = Owner::of(&s, EMAIL).await;
    let (a, _) = alice.folder(&s, None, "A").await;
    let (q, _) = alice.file(&s, Some(&a), "x&y.txt", b"hi").await;
    let r = c
        .call_raw(
            "device/get_changes",
            &[("revision", "1"), ("response_format", "xml")],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "text/xml");
    let body = r.text();
    let created = |tag: &str| {
        let start = body.find(tag).unwrap() + tag.len();
        let from = body[start..].find("<created>").unwrap() + start + 9;
        body[from..from + 19].to_string()
    };
    let (fc, dc) = (created("<file>"), created("<folder>"));
    assert_eq!(
        body,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><action>device/get_changes</action>\
             <updated><files><file><quickkey>{q}</quickkey><filename>x&amp;y.txt</filename>\
             <revision>2</revision><parent_folderkey>{a}</parent_folderkey><created>{fc}</created>\
             </file></files><folders><folder><folderkey>{a}</folderkey><revision>2</revision>\
             <parent_folderkey></parent_folderkey><created>{dc}</created></folder></folders></updated>\
             <deleted><files/><folders/></deleted><device_revision>2</device_revision>\
             <changes_list_block>500</changes_list_block><result>Success</result>\
             <current_api_version>1.5</current_api_version></response>"
        )
    );
}
