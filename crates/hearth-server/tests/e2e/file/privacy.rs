//! Someone else's files: a private quickkey answers exactly like a never-issued one (110),
//! changing a public one is 114, reading and copying a public one works.

use hearth_client::Client;

use super::{alice, bob, put, refs, xml};
use crate::harness::TestServer;

const NEVER_ISSUED: &str = "zzzzzzzzzzzzzzz";

/// (HTTP status, raw JSON body) of a call.
async fn raw(c: &Client, action: &str, params: &[(&str, &str)]) -> (u16, String) {
    let r = c.call_raw(action, params).await.unwrap();
    (r.status, r.text())
}

#[tokio::test]
async fn private_keys_look_never_issued() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let private = put(&s, uid, "diary.txt", b"dear diary").await;
    let (b, _) = bob(&s).await;
    let calls: &[(&str, &[(&str, &str)])] = &[
        ("file/get_info", &[]),
        ("file/get_versions", &[]),
        ("file/update", &[("description", "mine now")]),
        ("file/delete", &[]),
        ("file/purge", &[]),
        ("file/restore", &[]),
        ("file/move", &[]),
        ("file/copy", &[]),
    ];
    for (action, extra) in calls {
        let mut with_private = vec![("quick_key", private.quickkey.as_str())];
        with_private.extend_from_slice(extra);
        let mut with_never = vec![("quick_key", NEVER_ISSUED)];
        with_never.extend_from_slice(extra);
        let (status, body) = raw(&b, action, &with_private).await;
        let never = raw(&b, action, &with_never).await;
        assert_eq!((status, &body), (never.0, &never.1), "{action}");
        assert_eq!(status, 404, "{action}: {body}");
        assert!(
            body.contains("\"error\":110") && body.contains("Unknown or Invalid QuickKey"),
            "{action}: {body}"
        );
    }
    let (status, body) = xml(&b, "file/get_info", &[("quick_key", &private.quickkey)]).await;
    assert_eq!(status, 404);
    assert!(
        body.contains("<message>Unknown or Invalid QuickKey</message><error>110</error>"),
        "{body}"
    );
    // Nothing changed.
    let c = s.login(2).await;
    let v = c
        .call("file/get_info", &[("quick_key", &private.quickkey)])
        .await
        .unwrap();
    assert_eq!(v["response"]["file_info"]["description"], "");
    assert_eq!(v["response"]["file_info"]["parent_folderkey"], "myfiles");
}

#[tokio::test]
async fn public_files_can_be_read_and_copied_not_changed() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "song.mp3", b"la la la").await;
    let c = s.login(2).await;
    c.call(
        "file/update",
        &[("quick_key", &f.quickkey), ("privacy", "public")],
    )
    .await
    .unwrap();
    let (b, bob_id) = bob(&s).await;
    let v = b
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    assert_eq!(v["response"]["file_info"]["owner_name"], "Alice Liddell");
    assert_eq!(v["response"]["file_info"]["permissions"]["write"], "0");

    for (action, extra) in [
        ("file/update", ("description", "mine")),
        ("file/delete", ("x", "")),
        ("file/purge", ("x", "")),
        ("file/move", ("x", "")),
        ("file/get_versions", ("x", "")),
        ("file/restore", ("revision", "1")),
    ] {
        let (status, body) = raw(&b, action, &[("quick_key", &f.quickkey), extra]).await;
        assert_eq!(status, 403, "{action}: {body}");
        assert!(
            body.contains("\"error\":114") && body.contains("\"message\":\"Access denied\""),
            "{action}: {body}"
        );
    }
    let (status, body) = xml(&b, "file/delete", &[("quick_key", &f.quickkey)]).await;
    assert_eq!(status, 403);
    assert!(body.contains("<error>114</error>"), "{body}");

    assert_eq!(refs(&s, &f.hash).await, Some(1));
    let v = b
        .call("file/copy", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let copy = v["response"]["new_quickkeys"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(refs(&s, &f.hash).await, Some(2));
    let v = b
        .call("file/get_info", &[("quick_key", &copy)])
        .await
        .unwrap();
    let info = &v["response"]["file_info"];
    assert_eq!(info["owner_name"], "Bob Builder");
    assert_eq!(
        info["privacy"], "private",
        "a copy of someone else's file is private"
    );
    assert_eq!(info["parent_folderkey"], "myfiles");
    assert_eq!(s.core.user(bob_id).await.unwrap().used_bytes, 8);
    // Alice's file is untouched.
    let v = c
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    assert_eq!(v["response"]["file_info"]["description"], "");
}
