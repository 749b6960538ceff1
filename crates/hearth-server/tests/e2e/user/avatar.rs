//! user/get_avatar and set_avatar (set_default, remove).

use crate::harness::{code, TestServer};

#[tokio::test]
async fn set_default_get_and_remove() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    assert_eq!(code(c.call("user/get_avatar", &[]).await), 230);
    c.call("user/set_avatar", &[("action", "set_default")])
        .await
        .unwrap();
    let v = c.call("user/get_avatar", &[]).await.unwrap();
    let url = v["response"]["avatar"].as_str().unwrap().to_string();
    assert_eq!(url, format!("{}/avatar/default.png", s.base));
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    c.call("user/set_avatar", &[("action", "remove")])
        .await
        .unwrap();
    assert_eq!(code(c.call("user/get_avatar", &[]).await), 230);
    assert_eq!(code(c.call("user/set_avatar", &[]).await), 128);
    assert_eq!(
        code(c.call("user/set_avatar", &[("action", "explode")]).await),
        129
    );
    assert_eq!(
        code(
            c.call("user/set_avatar", &[("quick_key", "abcdefghijklmno")])
                .await
        ),
        110
    );
}

/// `quick_key=`: an image file the caller can read becomes the avatar (the file is referred to,
/// not copied). Downloads are not served yet, so `user/get_avatar` answers the default image.
#[tokio::test]
async fn set_from_a_stored_image() {
    use hearth_core::files::FileUpdate;
    use hearth_core::sessions::Caller;

    use crate::file::{alice, bob, fails, put, xml};

    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let img = put(&s, uid, "me.PNG", b"\x89PNG fake").await;
    let txt = put(&s, uid, "notes.txt", b"text").await;
    let binned = put(&s, uid, "old.jpg", b"jpg").await;
    s.core
        .delete_files(&Caller::owner(uid), &[&binned.quickkey])
        .await
        .unwrap();
    let c = s.login(2).await;
    let rev = s.core.device_revision(uid).await.unwrap();

    let v = c
        .call("user/set_avatar", &[("quick_key", &img.quickkey)])
        .await
        .unwrap();
    assert_eq!(v["response"]["quick_key"], img.quickkey.as_str());
    assert!(v["response"]["avatar_error_message"].is_string(), "{v}");
    assert!(v["response"].get("new_device_revision").is_none());
    assert_eq!(s.core.device_revision(uid).await.unwrap(), rev);
    assert_eq!(
        s.core.avatar_file(uid).await.unwrap().as_deref(),
        Some(img.quickkey.as_str())
    );
    let v = c.call("user/get_avatar", &[]).await.unwrap();
    assert_eq!(
        v["response"]["avatar"],
        format!("{}/avatar/default.png", s.base).as_str()
    );

    // Not an image: 142; unknown: 110; the owner's own file in the trash: 211.
    let (status, err, _) = fails(&c, "user/set_avatar", &[("quick_key", &txt.quickkey)]).await;
    assert_eq!((status, err), (400, 142));
    assert_eq!(
        fails(&c, "user/set_avatar", &[("quick_key", "abcdefghijklmno")])
            .await
            .1,
        110
    );
    assert_eq!(
        fails(&c, "user/set_avatar", &[("quick_key", &binned.quickkey)])
            .await
            .1,
        211
    );
    // `action` wins over `quick_key`, and forgets the image.
    c.call(
        "user/set_avatar",
        &[("action", "remove"), ("quick_key", &img.quickkey)],
    )
    .await
    .unwrap();
    assert_eq!(s.core.avatar_file(uid).await.unwrap(), None);
    assert_eq!(code(c.call("user/get_avatar", &[]).await), 230);

    // Another user: alice's private image is like a never-issued key; her public image may be
    // used (it is readable).
    let (b, bid) = bob(&s).await;
    let theirs = fails(&b, "user/set_avatar", &[("quick_key", &img.quickkey)]).await;
    let never = fails(&b, "user/set_avatar", &[("quick_key", "abcdefghijklmno")]).await;
    assert_eq!(theirs, never);
    assert_eq!(s.core.avatar_file(bid).await.unwrap(), None);
    s.core
        .update_file(
            &Caller::owner(uid),
            Some(&img.quickkey),
            FileUpdate {
                privacy: Some("public"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    b.call("user/set_avatar", &[("quick_key", &img.quickkey)])
        .await
        .unwrap();
    assert_eq!(
        s.core.avatar_file(bid).await.unwrap().as_deref(),
        Some(img.quickkey.as_str())
    );
    assert_eq!(s.core.avatar_file(uid).await.unwrap(), None);

    // XML.
    let (status, body) = xml(&c, "user/set_avatar", &[("quick_key", &img.quickkey)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("<quick_key>{}</quick_key>", img.quickkey)),
        "{body}"
    );
    let (status, body) = xml(&c, "user/set_avatar", &[("quick_key", &txt.quickkey)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("<error>142</error>"), "{body}");
}
