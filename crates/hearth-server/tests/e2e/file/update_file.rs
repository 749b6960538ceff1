//! file/update_file: one file takes another's content as a new version (238 when identical, 162
//! over quota), both the caller's; privacy as everywhere.

use hearth_core::files::FileUpdate;
use hearth_core::sessions::Caller;

use super::{alice, bob, device_rev, fails, new_rev, put, refs, row, xml};
use crate::harness::TestServer;

#[tokio::test]
async fn the_target_gets_the_sources_content_as_a_new_version() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let to = put(&s, uid, "notes.txt", b"first draft").await;
    let from = put(&s, uid, "draft2.txt", b"second draft!").await;
    let used_before = s.core.user(uid).await.unwrap().used_bytes;
    let c = s.login(2).await;

    let v = c
        .call(
            "file/update_file",
            &[
                ("to_quickkey", &to.quickkey),
                ("from_quickkey", &from.quickkey),
            ],
        )
        .await
        .unwrap();
    let rev = new_rev(&v);
    assert_eq!(rev, device_rev(&s, uid).await);
    let now = row(&s, uid, &to.quickkey).await.unwrap();
    assert_eq!(
        (now.hash.as_str(), now.size),
        (from.hash.as_str(), from.size)
    );
    assert_eq!(now.name, "notes.txt", "the target keeps its key and name");
    assert_eq!(now.revision, rev);
    // The source is left as it is; its content has one more reference; the old head is kept
    // as an earlier version.
    assert_eq!(row(&s, uid, &from.quickkey).await.unwrap(), from);
    assert_eq!(refs(&s, &from.hash).await, Some(2));
    assert_eq!(refs(&s, &to.hash).await, Some(1));
    let v = c
        .call("file/get_versions", &[("quick_key", &to.quickkey)])
        .await
        .unwrap();
    assert_eq!(
        v["response"]["file_versions"].as_array().unwrap().len(),
        2,
        "{v}"
    );
    assert_eq!(
        s.core.user(uid).await.unwrap().used_bytes,
        used_before - to.size + from.size
    );

    // Again: nothing changes (238), and the same file with itself too.
    let (status, code, _) = fails(
        &c,
        "file/update_file",
        &[
            ("to_quickkey", &to.quickkey),
            ("from_quickkey", &from.quickkey),
        ],
    )
    .await;
    assert_eq!((status, code), (400, 238));
    let (_, code, _) = fails(
        &c,
        "file/update_file",
        &[
            ("to_quickkey", &from.quickkey),
            ("from_quickkey", &from.quickkey),
        ],
    )
    .await;
    assert_eq!(code, 238);
    assert_eq!(device_rev(&s, uid).await, rev);

    // `quick_key` names the target too.
    let third = put(&s, uid, "third.txt", b"3").await;
    let v = c
        .call(
            "file/update_file",
            &[
                ("quick_key", &third.quickkey),
                ("from_quickkey", &to.quickkey),
            ],
        )
        .await
        .unwrap();
    assert!(new_rev(&v) > rev);
    assert_eq!(row(&s, uid, &third.quickkey).await.unwrap().hash, from.hash);
}

#[tokio::test]
async fn quota_missing_unknown_and_trashed() {
    let s = TestServer::with_settings(|st| st.default_quota_bytes = 12).await;
    let uid = alice(&s).await;
    let small = put(&s, uid, "small.txt", b"ab").await;
    let big = put(&s, uid, "big.txt", b"123456789").await;
    let gone = put(&s, uid, "gone.txt", b"x").await;
    s.core
        .delete_files(&Caller::owner(uid), &[&gone.quickkey])
        .await
        .unwrap();
    let c = s.login(2).await;
    let rev = device_rev(&s, uid).await;
    let call = |to: &str, from: &str| {
        let mut p = Vec::new();
        if !to.is_empty() {
            p.push(("to_quickkey", to.to_string()));
        }
        if !from.is_empty() {
            p.push(("from_quickkey", from.to_string()));
        }
        p
    };
    for (to, from, want) in [
        // 2 + 9 + 1 used; the small file taking the big one's content would use 18 > 12.
        (small.quickkey.as_str(), big.quickkey.as_str(), 162),
        ("", big.quickkey.as_str(), 111),
        (small.quickkey.as_str(), "", 111),
        ("abcdefghijklmno", big.quickkey.as_str(), 110),
        (small.quickkey.as_str(), "abcdefghijklmno", 110),
        (small.quickkey.as_str(), "bad", 110),
        (gone.quickkey.as_str(), small.quickkey.as_str(), 211),
        (big.quickkey.as_str(), gone.quickkey.as_str(), 211),
    ] {
        let p = call(to, from);
        let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(fails(&c, "file/update_file", &p).await.1, want, "{p:?}");
    }
    assert_eq!(device_rev(&s, uid).await, rev);
    assert_eq!(row(&s, uid, &small.quickkey).await.unwrap(), small);
    // The big file taking the small one's content fits.
    c.call(
        "file/update_file",
        &[
            ("to_quickkey", &big.quickkey),
            ("from_quickkey", &small.quickkey),
        ],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn another_users_files_look_never_issued() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let private = put(&s, uid, "p.txt", b"alice's").await;
    let public = put(&s, uid, "pub.txt", b"alice's public").await;
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
    let (b, bid) = bob(&s).await;
    let mine = put(&s, bid, "mine.txt", b"bob's").await;
    let alice_rev = device_rev(&s, uid).await;

    for (to, from) in [
        (mine.quickkey.as_str(), private.quickkey.as_str()),
        (private.quickkey.as_str(), mine.quickkey.as_str()),
    ] {
        let theirs = fails(
            &b,
            "file/update_file",
            &[("to_quickkey", to), ("from_quickkey", from)],
        )
        .await;
        fn never<'k>(k: &'k str, private: &str) -> &'k str {
            if k == private {
                "abcdefghijklmno"
            } else {
                k
            }
        }
        let fresh = fails(
            &b,
            "file/update_file",
            &[
                ("to_quickkey", never(to, &private.quickkey)),
                ("from_quickkey", never(from, &private.quickkey)),
            ],
        )
        .await;
        assert_eq!(theirs, fresh);
        assert_eq!(theirs.1, 110);
    }
    // Someone else's public file, as target or as source: not the owner.
    for (to, from) in [
        (public.quickkey.as_str(), mine.quickkey.as_str()),
        (mine.quickkey.as_str(), public.quickkey.as_str()),
    ] {
        assert_eq!(
            fails(
                &b,
                "file/update_file",
                &[("to_quickkey", to), ("from_quickkey", from)]
            )
            .await
            .1,
            114
        );
    }
    assert_eq!(device_rev(&s, uid).await, alice_rev);
    assert_eq!(row(&s, uid, &private.quickkey).await.unwrap(), private);
    assert_eq!(row(&s, bid, &mine.quickkey).await.unwrap(), mine);
}

#[tokio::test]
async fn xml_answers() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let a = put(&s, uid, "a.txt", b"a").await;
    let b = put(&s, uid, "b.txt", b"b").await;
    let c = s.login(2).await;
    let (status, body) = xml(
        &c,
        "file/update_file",
        &[("to_quickkey", &a.quickkey), ("from_quickkey", &b.quickkey)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rev = device_rev(&s, uid).await;
    assert!(
        body.contains(&format!("<new_device_revision>{rev}</new_device_revision>")),
        "{body}"
    );
    assert!(body.contains(&format!("<device_revision>{rev}</device_revision>")));
    let (status, body) = xml(
        &c,
        "file/update_file",
        &[("to_quickkey", &a.quickkey), ("from_quickkey", &b.quickkey)],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<error>238</error>"), "{body}");
}
