//! Who sees what: another user's private folders answer exactly like never-issued keys, public
//! folders are readable by anyone (their public children only), and only the owner writes.

use super::{bob, err, names, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

#[tokio::test]
async fn private_folders_look_like_unknown_keys_to_others() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (secret, _) = a.mk("Secret", None).await;
    let (open, _) = a.mk("Open", None).await;
    a.c.call(
        "folder/update",
        &[("folder_key", &open), ("privacy", "public")],
    )
    .await
    .unwrap();
    let b = bob(&s).await;
    let anon = s.client();
    let (bobs, _) = {
        let v = b
            .call("folder/create", &[("foldername", "Bob's")])
            .await
            .unwrap();
        (
            v["response"]["folder_key"].as_str().unwrap().to_string(),
            (),
        )
    };
    let r = a.device_revision(&s).await;

    // Every call that names a folder: the private key and a never-issued key answer the same.
    let calls: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("folder/get_info", vec![("folder_key", "{k}".into())]),
        (
            "folder/get_content",
            vec![
                ("folder_key", "{k}".into()),
                ("content_type", "files".into()),
            ],
        ),
        ("folder/get_depth", vec![("folder_key", "{k}".into())]),
        ("folder/get_siblings", vec![("folder_key", "{k}".into())]),
        (
            "folder/search",
            vec![("folder_key", "{k}".into()), ("search_text", "a".into())],
        ),
        (
            "folder/update",
            vec![("folder_key", "{k}".into()), ("foldername", "mine".into())],
        ),
        ("folder/delete", vec![("folder_key", "{k}".into())]),
        ("folder/purge", vec![("folder_key", "{k}".into())]),
        (
            "folder/move",
            vec![
                ("folder_key_src", "{k}".into()),
                ("folder_key_dst", bobs.clone()),
            ],
        ),
        (
            "folder/copy",
            vec![
                ("folder_key_src", "{k}".into()),
                ("folder_key_dst", bobs.clone()),
            ],
        ),
        (
            "folder/create",
            vec![("parent_key", "{k}".into()), ("foldername", "in".into())],
        ),
    ];
    for (call, params) in &calls {
        let with = |k: &str| -> Vec<(String, String)> {
            params
                .iter()
                .map(|(n, v)| (n.to_string(), v.replace("{k}", k)))
                .collect()
        };
        let run = |k: &str| {
            let p = with(k);
            let b = &b;
            async move {
                let p: Vec<(&str, &str)> =
                    p.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                err(b.call(call, &p).await)
            }
        };
        let private = run(&secret).await;
        let unknown = run(NEVER_ISSUED).await;
        assert_eq!(private, unknown, "{call}");
        assert_eq!(
            private,
            (112, "Unknown or invalid FolderKey".to_string(), 404),
            "{call}"
        );
        // Anonymous callers of the optional-token calls: the same.
        if matches!(
            *call,
            "folder/get_info" | "folder/get_content" | "folder/search"
        ) {
            let p = with(&secret);
            let p: Vec<(&str, &str)> = p.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            assert_eq!(err(anon.call(call, &p).await), unknown, "anonymous {call}");
        }
    }
    // Also as a destination and inside lists.
    let e = err(b
        .call(
            "folder/move",
            &[("folder_key_src", &bobs), ("folder_key_dst", &secret)],
        )
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let e = err(b
        .call(
            "folder/get_info",
            &[("folder_key", &format!("{bobs},{secret}"))],
        )
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    // Someone else's public folder: readable, but writes are 114.
    for (call, params) in [
        (
            "folder/update",
            vec![("folder_key", open.as_str()), ("foldername", "x")],
        ),
        ("folder/delete", vec![("folder_key", open.as_str())]),
        ("folder/purge", vec![("folder_key", open.as_str())]),
        (
            "folder/create",
            vec![("parent_key", open.as_str()), ("foldername", "x")],
        ),
        ("folder/copy", vec![("folder_key_src", open.as_str())]),
        ("folder/move", vec![("folder_key_src", open.as_str())]),
    ] {
        let e = err(b.call(call, &params).await);
        assert_eq!(
            (e.0, e.1.as_str(), e.2),
            (114, "Access denied", 403),
            "{call}"
        );
    }
    assert_eq!(a.device_revision(&s).await, r, "nothing of alice's changed");
    assert_eq!(
        names(
            &a.c.call("folder/get_content", &[]).await.unwrap()["response"]["folder_content"]
                ["folders"],
            "name"
        ),
        ["Open", "Secret"]
    );
}

#[tokio::test]
async fn public_folders_are_readable_anonymously() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (open, _) = a.mk("Open", None).await;
    let (pub_sub, _) = a.mk("PublicSub", Some(&open)).await;
    let (priv_sub, _) = a.mk("PrivateSub", Some(&open)).await;
    let shown = a.file(&s, Some(&open), "shown.txt", b"1").await;
    a.file(&s, Some(&open), "hidden.txt", b"2").await;
    a.publish_file(&s, &shown).await;
    for k in [&open, &pub_sub] {
        a.c.call("folder/update", &[("folder_key", k), ("privacy", "public")])
            .await
            .unwrap();
    }
    let anon = s.client();
    let v = anon
        .call("folder/get_info", &[("folder_key", &open)])
        .await
        .unwrap();
    let i = &v["response"]["folder_info"];
    assert_eq!(i["name"], "Open");
    assert_eq!(i["owner_name"], "Alice Liddell");
    assert_eq!(i["permissions"]["write"], "0");
    assert_eq!(i["parent_folderkey"], "myfiles");
    assert_eq!(
        (i["folder_count"].as_str(), i["file_count"].as_str()),
        (Some("1"), Some("1")),
        "counts reveal no private children: {v}"
    );
    let v = anon
        .call(
            "folder/get_info",
            &[("folder_key", &open), ("details", "yes")],
        )
        .await
        .unwrap();
    let i = &v["response"]["folder_info"];
    assert_eq!(
        (
            i["total_folders"].as_str(),
            i["total_files"].as_str(),
            i["total_size"].as_str()
        ),
        (Some("1"), Some("1"), Some("1"))
    );
    let v =
        a.c.call(
            "folder/get_info",
            &[("folder_key", &open), ("details", "yes")],
        )
        .await
        .unwrap();
    let i = &v["response"]["folder_info"];
    assert_eq!(
        (i["folder_count"].as_str(), i["file_count"].as_str()),
        (Some("2"), Some("2"))
    );
    assert_eq!(
        (
            i["total_folders"].as_str(),
            i["total_files"].as_str(),
            i["total_size"].as_str()
        ),
        (Some("2"), Some("2"), Some("2"))
    );
    let v = anon
        .call(
            "folder/get_content",
            &[("folder_key", &open), ("content_type", "folders")],
        )
        .await
        .unwrap();
    let folders = &v["response"]["folder_content"]["folders"];
    assert_eq!(
        names(folders, "name"),
        ["PublicSub"],
        "public children only"
    );
    assert_eq!(folders[0]["permissions"]["write"], "0");
    let v = anon
        .call(
            "folder/get_content",
            &[("folder_key", &open), ("content_type", "files")],
        )
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["files"], "filename"),
        ["shown.txt"]
    );
    // A private child of a public folder stays hidden.
    let e = err(anon
        .call("folder/get_info", &[("folder_key", &priv_sub)])
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    // The owner still sees everything.
    let v =
        a.c.call("folder/get_content", &[("folder_key", &open)])
            .await
            .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        ["PrivateSub", "PublicSub"]
    );
    // Bob too reads it like anyone; a trashed public folder disappears for him.
    let b = bob(&s).await;
    b.call("folder/get_info", &[("folder_key", &pub_sub)])
        .await
        .unwrap();
    a.c.call("folder/delete", &[("folder_key", &pub_sub)])
        .await
        .unwrap();
    let e = err(b.call("folder/get_info", &[("folder_key", &pub_sub)]).await);
    assert_eq!((e.0, e.2), (112, 404));

    // Anonymous XML.
    let r = anon
        .call_raw(
            "folder/get_content",
            &[
                ("folder_key", &open),
                ("content_type", "files"),
                ("response_format", "xml"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains(&format!("<files><file><quickkey>{shown}</quickkey>")),
        "{}",
        r.text()
    );
}
