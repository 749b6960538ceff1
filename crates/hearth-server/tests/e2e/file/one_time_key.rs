//! file/one_time_key and file/configure_one_time_key: keys stored for the download path (file,
//! token hash, expiry, uses, revoked), the 24-hour allowance, no URL, privacy.

use hearth_core::files::FileUpdate;
use hearth_core::links::{OneTimeOptions, ONE_TIME_KEY_DAILY_MAX};
use hearth_core::sessions::Caller;
use serde_json::Value;

use super::{alice, bob, device_rev, fails, put, xml};
use crate::harness::TestServer;

const MINUTE_US: i64 = 60_000_000;

fn token(v: &Value) -> String {
    v["response"]["token"].as_str().unwrap().to_string()
}

fn count(v: &Value, field: &str) -> i64 {
    v["response"][field].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_key_is_stored_and_answers_its_download_url() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "clip.mp4", b"video").await;
    let c = s.login(2).await;
    let before = device_rev(&s, uid).await;

    let v = c
        .call("file/one_time_key", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let t = token(&v);
    assert_eq!(t.len(), 31, "{v}");
    assert!(t
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(count(&v, "one_time_key_request_count"), 1);
    assert_eq!(
        count(&v, "one_time_key_request_max_count"),
        ONE_TIME_KEY_DAILY_MAX
    );
    assert_eq!(v["response"]["quickkey"], f.quickkey.as_str());
    let links = v["response"]["links"].as_object().unwrap();
    // The one-time URL (download.rs tests what it serves); viewers are not served.
    assert_eq!(
        links["download"],
        s.url(&format!("/download/{}/clip.mp4?otk={t}", f.quickkey))
            .as_str(),
        "{v}"
    );
    assert!(links.contains_key("watch_error_message"), "{v}");
    for k in ["download_error_message", "view", "watch", "listen"] {
        assert!(!links.contains_key(k), "{v}");
    }
    // Not a tree change.
    assert!(v["response"].get("new_device_revision").is_none());
    assert_eq!(device_rev(&s, uid).await, before);

    // What the download path needs: file, expiry (30 days by default), uses, not revoked; the
    // token itself is not stored.
    let k = s.core.one_time_key(&t).await.unwrap().unwrap();
    assert_eq!((k.user_id, k.file_id), (uid, f.id));
    assert_ne!(k.token_hash, t);
    let life = k.expires_us - k.created_us;
    assert_eq!(life, 43_200 * MINUTE_US);
    assert_eq!(k.uses_left, -1, "burn_after_use needs bind_ip");
    assert!(k.burn_after_use && !k.revoked && k.usable(k.created_us));
    assert!(!k.usable(k.expires_us));

    // Options: burning with bound addresses gives one use; a duration in minutes.
    let v = c
        .call(
            "file/one_time_key",
            &[
                ("quick_key", &f.quickkey),
                ("duration", "60"),
                (
                    "bind_ip",
                    "68.154.11.0/8, 145.230.230.115-145.230.240.33, 78.192.10.10",
                ),
                ("email_notification", "yes"),
                ("success_callback_url", "https://example.com/ok"),
                ("error_callback_url", "http://example.com/err?x=1"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(count(&v, "one_time_key_request_count"), 2);
    let k = s.core.one_time_key(&token(&v)).await.unwrap().unwrap();
    assert_eq!(k.expires_us - k.created_us, 60 * MINUTE_US);
    assert_eq!(k.uses_left, 1);
    assert_eq!(
        k.bind_ip,
        "68.154.11.0/8,145.230.230.115-145.230.240.33,78.192.10.10"
    );
    assert!(k.email_notification);
    assert_eq!(k.success_callback_url, "https://example.com/ok");
    assert_eq!(k.error_callback_url, "http://example.com/err?x=1");
    let v = c
        .call(
            "file/one_time_key",
            &[
                ("quick_key", &f.quickkey),
                ("bind_ip", "10.0.0.1"),
                ("burn_after_use", "no"),
            ],
        )
        .await
        .unwrap();
    let k = s.core.one_time_key(&token(&v)).await.unwrap().unwrap();
    assert_eq!(k.uses_left, -1);

    // Counts only: nothing created, no quick_key needed.
    let v = c
        .call("file/one_time_key", &[("get_counts_only", "yes")])
        .await
        .unwrap();
    assert_eq!(count(&v, "one_time_key_request_count"), 3);
    assert!(v["response"].get("token").is_none());

    // A purge takes the file's keys with it.
    s.core
        .purge_files(&Caller::owner(uid), &[&f.quickkey])
        .await
        .unwrap();
    assert!(s.core.one_time_key(&t).await.unwrap().is_none());
}

#[tokio::test]
async fn bad_requests() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.txt", b"a").await;
    let gone = put(&s, uid, "gone.txt", b"g").await;
    s.core
        .delete_files(&Caller::owner(uid), &[&gone.quickkey])
        .await
        .unwrap();
    let c = s.login(2).await;
    let q = f.quickkey.as_str();
    let cases: &[(&[(&str, &str)], u16)] = &[
        (&[], 111),
        (&[("quick_key", "abcdefghijklmno")], 110),
        (&[("quick_key", &gone.quickkey)], 211),
        (&[("quick_key", q), ("duration", "abc")], 129),
        (&[("quick_key", q), ("duration", "-5")], 129),
        (&[("quick_key", q), ("duration", "0")], 129),
        (&[("quick_key", q), ("duration", "99999999999")], 129),
        (&[("quick_key", q), ("bind_ip", "1.2.3")], 129),
        (&[("quick_key", q), ("bind_ip", "1.2.3.4/33")], 129),
        (&[("quick_key", q), ("burn_after_use", "maybe")], 129),
        (&[("quick_key", q), ("email_notification", "1")], 129),
        (
            &[("quick_key", q), ("success_callback_url", "ftp://x/y")],
            174,
        ),
        (
            &[("quick_key", q), ("error_callback_url", "example.com")],
            174,
        ),
        (&[("get_counts_only", "perhaps")], 129),
    ];
    for (params, want) in cases {
        let (_, code, _) = fails(&c, "file/one_time_key", params).await;
        assert_eq!(code, *want, "{params:?}");
    }
    // Nothing was created by the failures.
    let v = c
        .call("file/one_time_key", &[("get_counts_only", "yes")])
        .await
        .unwrap();
    assert_eq!(count(&v, "one_time_key_request_count"), 0);

    assert_eq!(fails(&c, "file/configure_one_time_key", &[]).await.1, 128);
    assert_eq!(
        fails(
            &c,
            "file/configure_one_time_key",
            &[("token", "yuuib4pk0i0uf586ta6gil1r3j92f98")]
        )
        .await
        .1,
        129
    );
}

#[tokio::test]
async fn configuring_and_disabling() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.txt", b"a").await;
    let c = s.login(2).await;
    let v = c
        .call("file/one_time_key", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let t = token(&v);
    let before = s.core.one_time_key(&t).await.unwrap().unwrap();
    let rev = device_rev(&s, uid).await;

    let v = c
        .call(
            "file/configure_one_time_key",
            &[
                ("token", &t),
                ("duration", "120"),
                ("email_notification", "yes"),
                ("bind_ip", "192.168.0.0/16"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(count(&v, "one_time_key_request_count"), 1);
    // The answer carries the (unchanged) device revision: a key is not part of the tree.
    assert_eq!(count(&v, "new_device_revision"), rev);
    assert_eq!(count(&v, "device_revision"), rev);
    assert_eq!(device_rev(&s, uid).await, rev);
    let k = s.core.one_time_key(&t).await.unwrap().unwrap();
    assert!(k.email_notification);
    assert_eq!(k.bind_ip, "192.168.0.0/16");
    assert_eq!(k.uses_left, 1, "burn_after_use (default yes) now applies");
    let now = hearth_store::now_us();
    assert!((k.expires_us - now - 120 * MINUTE_US).abs() < 60_000_000);
    assert!(k.expires_us < before.expires_us);

    // Options not given keep their values; duration defaults to 30 days from now (1.5).
    c.call("file/configure_one_time_key", &[("token", &t)])
        .await
        .unwrap();
    let k = s.core.one_time_key(&t).await.unwrap().unwrap();
    assert!(k.email_notification);
    assert_eq!(k.bind_ip, "192.168.0.0/16");
    assert!(k.expires_us - hearth_store::now_us() > 43_199 * MINUTE_US);
    // An empty bind_ip removes the binding (and with it burning).
    c.call(
        "file/configure_one_time_key",
        &[("token", &t), ("bind_ip", "")],
    )
    .await
    .unwrap();
    let k = s.core.one_time_key(&t).await.unwrap().unwrap();
    assert_eq!((k.bind_ip.as_str(), k.uses_left), ("", -1));

    for (p, want) in [
        (("duration", "x"), 129),
        (("bind_ip", "300.1.1.1"), 129),
        (("success_callback_url", "nope"), 174),
        (("burn_after_use", "si"), 129),
    ] {
        assert_eq!(
            fails(&c, "file/configure_one_time_key", &[("token", &t), p])
                .await
                .1,
            want,
            "{p:?}"
        );
    }

    // duration=0 disables the key for good: afterwards it is unknown.
    c.call(
        "file/configure_one_time_key",
        &[("token", &t), ("duration", "0")],
    )
    .await
    .unwrap();
    let k = s.core.one_time_key(&t).await.unwrap().unwrap();
    assert!(k.revoked && !k.usable(k.created_us));
    assert_eq!(
        fails(&c, "file/configure_one_time_key", &[("token", &t)])
            .await
            .1,
        129
    );
    // A disabled key still counted against the day's allowance.
    let v = c
        .call("file/one_time_key", &[("get_counts_only", "yes")])
        .await
        .unwrap();
    assert_eq!(count(&v, "one_time_key_request_count"), 1);
}

#[tokio::test]
async fn the_daily_allowance_is_enforced() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.txt", b"a").await;
    let me = Caller::owner(uid);
    for _ in 0..ONE_TIME_KEY_DAILY_MAX {
        s.core
            .create_one_time_key(&me, Some(&f.quickkey), &OneTimeOptions::default())
            .await
            .unwrap();
    }
    let c = s.login(2).await;
    let (status, code, _) = fails(&c, "file/one_time_key", &[("quick_key", &f.quickkey)]).await;
    assert_eq!((status, code), (403, 163));
    let v = c
        .call("file/one_time_key", &[("get_counts_only", "yes")])
        .await
        .unwrap();
    assert_eq!(
        count(&v, "one_time_key_request_count"),
        ONE_TIME_KEY_DAILY_MAX
    );
}

#[tokio::test]
async fn another_users_files_and_tokens_look_never_issued() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let private = put(&s, uid, "p.txt", b"p").await;
    let public = put(&s, uid, "pub.txt", b"q").await;
    s.core
        .update_file(
            &Caller::owner(uid),
            Some(&public.quickkey),
            FileUpdate {
                privacy: Some("public"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = s.login(2).await;
    let t = token(
        &c.call("file/one_time_key", &[("quick_key", &private.quickkey)])
            .await
            .unwrap(),
    );
    let (b, _) = bob(&s).await;

    let theirs = fails(&b, "file/one_time_key", &[("quick_key", &private.quickkey)]).await;
    let never = fails(&b, "file/one_time_key", &[("quick_key", "abcdefghijklmno")]).await;
    assert_eq!(theirs, never);
    assert_eq!(theirs.1, 110);
    // Someone else's public file: not the owner.
    assert_eq!(
        fails(&b, "file/one_time_key", &[("quick_key", &public.quickkey)])
            .await
            .1,
        114
    );
    // Alice's token in bob's hands is like a token never issued, and changes nothing.
    let theirs = fails(
        &b,
        "file/configure_one_time_key",
        &[("token", &t), ("duration", "0")],
    )
    .await;
    let never = fails(
        &b,
        "file/configure_one_time_key",
        &[
            ("token", "yuuib4pk0i0uf586ta6gil1r3j92f98"),
            ("duration", "0"),
        ],
    )
    .await;
    assert_eq!(theirs, never);
    assert!(!s.core.one_time_key(&t).await.unwrap().unwrap().revoked);
    // Bob's counter is his own.
    let v = b
        .call("file/one_time_key", &[("get_counts_only", "yes")])
        .await
        .unwrap();
    assert_eq!(count(&v, "one_time_key_request_count"), 0);
}

#[tokio::test]
async fn xml_answers() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "photo.jpg", b"jpg").await;
    let c = s.login(2).await;
    let (status, body) = xml(&c, "file/one_time_key", &[("quick_key", &f.quickkey)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<one_time_key_request_count>1</one_time_key_request_count>"));
    assert!(body.contains("<one_time_key_request_max_count>100</one_time_key_request_max_count>"));
    assert!(body.contains("<view_error_message>"), "{body}");
    let t = body
        .split("<token>")
        .nth(1)
        .and_then(|r| r.split("</token>").next())
        .unwrap()
        .to_string();
    assert_eq!(t.len(), 31);
    let (status, body) = xml(
        &c,
        "file/configure_one_time_key",
        &[("token", &t), ("duration", "5")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<new_device_revision>"), "{body}");
    let (status, body) = xml(&c, "file/one_time_key", &[("quick_key", "abcdefghijklmno")]).await;
    assert!(body.contains("<error>110</error>"), "{body}");
    assert_eq!(status, 404);
    let (_, body) = xml(&c, "file/configure_one_time_key", &[("token", "nope")]).await;
    assert!(body.contains("<error>129</error>"), "{body}");
}
