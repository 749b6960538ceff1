//! folder/configure_filedrop: enabling, changing and disabling a FileDrop, `dropbox_enabled`
//! in folder entries, revisions, privacy, and what is stored for FileDrop uploads.

use hearth_core::sessions::Caller;
use hearth_core::tree::Target;
use serde_json::Value;

use super::{at, bob, err, rev, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

fn drop_key(v: &Value) -> String {
    let k = at(v, &["filedrop_key"]).to_string();
    assert_eq!(k.len(), 64, "{v}");
    assert!(
        k.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{k}"
    );
    k
}

async fn dropbox(a: &Alice, key: &str) -> String {
    let v =
        a.c.call("folder/get_info", &[("folder_key", key)])
            .await
            .unwrap();
    at(&v, &["folder_info", "dropbox_enabled"]).to_string()
}

#[tokio::test]
async fn enable_change_disable() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (drop, _) = a.mk("Inbox", None).await;
    let (plain, _) = a.mk("Plain", None).await;
    assert_eq!(dropbox(&a, &drop).await, "no");

    let v =
        a.c.call(
            "folder/configure_filedrop",
            &[("folder_key", &drop), ("action", "enable")],
        )
        .await
        .unwrap();
    let key = drop_key(&v);
    let r1 = rev(&v);
    assert_eq!(r1, a.device_revision(&s).await);
    assert_eq!(at(&v, &["folderkey"]), drop);
    assert_eq!(at(&v, &["dropbox_enabled"]), "yes");
    // Defaults from the spec.
    assert_eq!(at(&v, &["allow_description"]), "no");
    assert_eq!(at(&v, &["allow_multiple_uploads"]), "no");
    assert_eq!(at(&v, &["embed_size"]), "480");
    assert_eq!(at(&v, &["message"]), "");
    assert_eq!(at(&v, &["notification_emails"]), "yes");
    // No page is served yet: never a URL.
    assert!(!v.to_string().contains("http"), "{v}");
    assert!(v["response"]["hosted_file_drop_error_message"].is_string());
    assert!(v["response"].get("hosted_file_drop").is_none());

    // The folder changed at that revision, and shows as a FileDrop everywhere.
    assert_eq!(super::folder_revision(&a.c, &drop).await, r1);
    assert_eq!(dropbox(&a, &drop).await, "yes");
    assert_eq!(dropbox(&a, &plain).await, "no");
    let v =
        a.c.call("folder/get_content", &[("content_type", "folders")])
            .await
            .unwrap();
    for f in v["response"]["folder_content"]["folders"]
        .as_array()
        .unwrap()
    {
        let want = if f["folderkey"] == drop.as_str() {
            "yes"
        } else {
            "no"
        };
        assert_eq!(f["dropbox_enabled"], want, "{f}");
    }
    let v =
        a.c.call("folder/get_siblings", &[("folder_key", &plain)])
            .await
            .unwrap();
    let sib = &v["response"]["siblings"]["folders"][0];
    assert_eq!(sib["folderkey"], drop.as_str(), "{v}");
    assert_eq!(sib["dropbox_enabled"], "yes");
    let changes =
        a.c.call("device/get_changes", &[("revision", &(r1 - 1).to_string())])
            .await
            .unwrap();
    assert!(changes.to_string().contains(&drop), "{changes}");

    // Changing settings keeps the key; settings not given keep their values.
    let v =
        a.c.call(
            "folder/configure_filedrop",
            &[
                ("folder_key", &drop),
                ("action", "enable"),
                ("allow_description", "yes"),
                ("embed_size", "full"),
                ("message", "Send me your photos"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(drop_key(&v), key);
    let r2 = rev(&v);
    assert!(r2 > r1);
    let v =
        a.c.call(
            "folder/configure_filedrop",
            &[
                ("folder_path", "/Inbox"),
                ("action", "enable"),
                ("notification_emails", "no"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(drop_key(&v), key);
    assert_eq!(at(&v, &["allow_description"]), "yes");
    assert_eq!(at(&v, &["embed_size"]), "full");
    assert_eq!(at(&v, &["message"]), "Send me your photos");
    assert_eq!(at(&v, &["notification_emails"]), "no");
    // What uploads will need, found by the key.
    let d = s.core.filedrop_by_key(&key).await.unwrap().unwrap();
    assert_eq!(d.user_id, a.uid);
    assert!(d.allow_description && !d.allow_multiple_uploads && !d.notification_emails);

    // Disable: the key dies; disabling again changes nothing (no revision).
    let v =
        a.c.call(
            "folder/configure_filedrop",
            &[("folder_key", &drop), ("action", "disable")],
        )
        .await
        .unwrap();
    let r3 = rev(&v);
    assert_eq!(at(&v, &["dropbox_enabled"]), "no");
    assert!(v["response"].get("filedrop_key").is_none());
    assert_eq!(dropbox(&a, &drop).await, "no");
    assert!(s.core.filedrop_by_key(&key).await.unwrap().is_none());
    let v =
        a.c.call(
            "folder/configure_filedrop",
            &[("folder_key", &drop), ("action", "disable")],
        )
        .await
        .unwrap();
    assert!(v["response"].get("new_device_revision").is_none(), "{v}");
    assert_eq!(a.device_revision(&s).await, r3);
    // Enabling again issues a new key.
    let v =
        a.c.call(
            "folder/configure_filedrop",
            &[("folder_key", &drop), ("action", "enable")],
        )
        .await
        .unwrap();
    let key2 = drop_key(&v);
    assert_ne!(key2, key);
    assert_eq!(
        at(&v, &["message"]),
        "",
        "a new FileDrop starts from the defaults"
    );

    // A purged folder takes its FileDrop with it.
    s.core
        .purge_folders(&Caller::owner(a.uid), &[&drop])
        .await
        .unwrap();
    assert!(s.core.filedrop_by_key(&key2).await.unwrap().is_none());
}

#[tokio::test]
async fn the_root_can_be_a_filedrop() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let v =
        a.c.call(
            "folder/configure_filedrop",
            &[("folder_key", "myfiles"), ("action", "enable")],
        )
        .await
        .unwrap();
    drop_key(&v);
    assert_eq!(at(&v, &["folderkey"]), "myfiles");
    let v = a.c.call("folder/get_info", &[]).await.unwrap();
    assert_eq!(at(&v, &["folder_info", "dropbox_enabled"]), "yes");
    // Without a key or path: the root as well.
    let v =
        a.c.call("folder/configure_filedrop", &[("action", "disable")])
            .await
            .unwrap();
    assert_eq!(at(&v, &["folderkey"]), "myfiles");
    rev(&v);
    let v = a.c.call("folder/get_info", &[]).await.unwrap();
    assert_eq!(at(&v, &["folder_info", "dropbox_enabled"]), "no");
}

#[tokio::test]
async fn bad_requests() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (f, _) = a.mk("F", None).await;
    let (binned, _) = a.mk("Binned", None).await;
    s.core
        .delete_folders(&Caller::owner(a.uid), &[&binned])
        .await
        .unwrap();
    let before = a.device_revision(&s).await;
    let long = "x".repeat(91);
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (vec![("folder_key", &f)], 128),
        (vec![("folder_key", &f), ("action", "toggle")], 129),
        (
            vec![
                ("folder_key", &f),
                ("action", "enable"),
                ("embed_size", "640"),
            ],
            129,
        ),
        (
            vec![("folder_key", &f), ("action", "enable"), ("message", &long)],
            129,
        ),
        (
            vec![
                ("folder_key", &f),
                ("action", "enable"),
                ("allow_description", "1"),
            ],
            129,
        ),
        (
            vec![
                ("folder_key", &f),
                ("action", "enable"),
                ("allow_multiple_uploads", "x"),
            ],
            129,
        ),
        (
            vec![
                ("folder_key", &f),
                ("action", "enable"),
                ("notification_emails", "x"),
            ],
            129,
        ),
        (
            vec![("folder_key", NEVER_ISSUED), ("action", "enable")],
            112,
        ),
        (vec![("folder_key", "bad"), ("action", "enable")], 112),
        (vec![("folder_path", "/Nope"), ("action", "enable")], 112),
        (vec![("folder_key", &binned), ("action", "enable")], 211),
    ];
    for (p, want) in cases {
        let (code, _, _) = err(a.c.call("folder/configure_filedrop", &p).await);
        assert_eq!(code, want, "{p:?}");
    }
    assert_eq!(a.device_revision(&s).await, before);
    // 90 characters are fine.
    let ninety = "y".repeat(90);
    a.c.call(
        "folder/configure_filedrop",
        &[
            ("folder_key", &f),
            ("action", "enable"),
            ("message", &ninety),
        ],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn another_users_folders_look_never_issued() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (private, _) = a.mk("Private", None).await;
    let (public, _) = a.mk("Public", None).await;
    a.c.call(
        "folder/update",
        &[("folder_key", &public), ("privacy", "public")],
    )
    .await
    .unwrap();
    // Alice's public FileDrop folder shows as one to others.
    a.c.call(
        "folder/configure_filedrop",
        &[("folder_key", &public), ("action", "enable")],
    )
    .await
    .unwrap();
    let before = a.device_revision(&s).await;
    let b = bob(&s).await;
    for action in ["enable", "disable"] {
        let theirs = err(b
            .call(
                "folder/configure_filedrop",
                &[("folder_key", &private), ("action", action)],
            )
            .await);
        let never = err(b
            .call(
                "folder/configure_filedrop",
                &[("folder_key", NEVER_ISSUED), ("action", action)],
            )
            .await);
        assert_eq!(theirs, never);
        assert_eq!(theirs.0, 112);
        let (code, _, _) = err(b
            .call(
                "folder/configure_filedrop",
                &[("folder_key", &public), ("action", action)],
            )
            .await);
        assert_eq!(code, 114);
    }
    assert_eq!(a.device_revision(&s).await, before);
    let v = b
        .call("folder/get_info", &[("folder_key", &public)])
        .await
        .unwrap();
    assert_eq!(at(&v, &["folder_info", "dropbox_enabled"]), "yes");
    assert!(!v.to_string().contains("filedrop_key"));
    assert!(s
        .core
        .filedrop_folders(&[s
            .core
            .folder_for_read(Some(&Caller::owner(a.uid)), Target::Key(&private))
            .await
            .unwrap()
            .row
            .id])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn xml_answers() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (f, _) = a.mk("F", None).await;
    let (status, body) = a
        .xml(
            "folder/configure_filedrop",
            &[
                ("folder_key", &f),
                ("action", "enable"),
                ("message", "a & b"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<filedrop_key>"), "{body}");
    assert!(body.contains("<message>a &amp; b</message>"), "{body}");
    assert!(
        body.contains("<dropbox_enabled>yes</dropbox_enabled>"),
        "{body}"
    );
    assert!(body.contains("<new_device_revision>"), "{body}");
    let (_, body) = a
        .xml("folder/get_content", &[("content_type", "folders")])
        .await;
    assert!(
        body.contains("<dropbox_enabled>yes</dropbox_enabled>"),
        "{body}"
    );
    let (status, body) = a
        .xml(
            "folder/configure_filedrop",
            &[("folder_key", NEVER_ISSUED), ("action", "enable")],
        )
        .await;
    assert_eq!(status, 404);
    assert!(body.contains("<error>112</error>"), "{body}");
}
