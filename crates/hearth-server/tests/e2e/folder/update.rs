//! folder/update: rename, description, privacy (recursive), mtime, and its errors.

use hearth_core::sessions::Caller;

use super::{at, err, folder_revision, rev, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

#[tokio::test]
async fn update_changes_fields_and_revisions() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (top, _) = a.mk("Top", None).await;
    let (mid, _) = a.mk("Mid", Some(&top)).await;
    let (leaf, r0) = a.mk("Leaf", Some(&mid)).await;
    let q = a.file(&s, Some(&mid), "in-mid.txt", b"x").await;
    let r0 = r0 + 1;

    // Rename: the folder and its parent get the new revision.
    let v =
        a.c.call(
            "folder/update",
            &[("folder_key", &mid), ("foldername", "Middle")],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
    assert_eq!(rev(&v), r0 + 1);
    let i =
        a.c.call("folder/get_info", &[("folder_key", &mid)])
            .await
            .unwrap();
    assert_eq!(at(&i, &["folder_info", "name"]), "Middle");
    assert_eq!(at(&i, &["folder_info", "revision"]), (r0 + 1).to_string());
    assert_eq!(
        folder_revision(&a.c, &top).await,
        r0 + 1,
        "the parent lists the new name"
    );

    // Description (and clearing it), mtime.
    let v =
        a.c.call(
            "folder/update",
            &[
                ("folder_key", &mid),
                ("description", "all the middles"),
                ("mtime", "2015-01-02 03:04:05"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(rev(&v), r0 + 2);
    let i =
        a.c.call("folder/get_info", &[("folder_key", &mid)])
            .await
            .unwrap();
    assert_eq!(at(&i, &["folder_info", "description"]), "all the middles");
    let v =
        a.c.call(
            "folder/update",
            &[("folder_key", &mid), ("description", "")],
        )
        .await
        .unwrap();
    assert_eq!(rev(&v), r0 + 3);
    let i =
        a.c.call("folder/get_info", &[("folder_key", &mid)])
            .await
            .unwrap();
    assert_eq!(at(&i, &["folder_info", "description"]), "");

    // Privacy: alone, then for the whole subtree.
    a.c.call(
        "folder/update",
        &[("folder_key", &mid), ("privacy", "public")],
    )
    .await
    .unwrap();
    let privacy = |key: String| {
        let c = &a.c;
        async move {
            let v = c
                .call("folder/get_info", &[("folder_key", &key)])
                .await
                .unwrap();
            at(&v, &["folder_info", "privacy"]).to_string()
        }
    };
    assert_eq!(privacy(mid.clone()).await, "public");
    assert_eq!(privacy(leaf.clone()).await, "private");
    let v =
        a.c.call(
            "folder/update",
            &[
                ("folder_key", &top),
                ("privacy", "public"),
                ("privacy_recursive", "yes"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(rev(&v), r0 + 5);
    assert_eq!(privacy(leaf.clone()).await, "public");
    let f = s
        .core
        .file_for_read(Some(&Caller::owner(a.uid)), Some(&q), None)
        .await
        .unwrap();
    assert_eq!(f.row.privacy, "public", "files follow too");
    // The root may change its description (not its name), by `myfiles`.
    a.c.call(
        "folder/update",
        &[("folder_key", "myfiles"), ("description", "home")],
    )
    .await
    .unwrap();
    assert_eq!(a.device_revision(&s).await, r0 + 6);

    let (status, xml) = a
        .xml(
            "folder/update",
            &[("folder_key", &top), ("foldername", "Top2")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<asynchronous>no</asynchronous><new_device_revision>{}</new_device_revision><device_revision>{}</device_revision>",
            r0 + 7,
            r0 + 7
        )),
        "{xml}"
    );
}

/// Parameters, expected code, expected HTTP status.
type Case<'a> = (Vec<(&'a str, &'a str)>, u16, u16);

#[tokio::test]
async fn update_errors() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (k, _) = a.mk("K", None).await;
    let r = a.device_revision(&s).await;
    let cases: Vec<Case> = vec![
        (vec![("foldername", "x")], 113, 400),
        (vec![("folder_key", &k)], 128, 400),
        (vec![("folder_key", &k), ("foldername", "a/b")], 185, 400),
        (vec![("folder_key", &k), ("privacy", "secret")], 129, 400),
        (
            vec![
                ("folder_key", &k),
                ("privacy_recursive", "perhaps"),
                ("privacy", "public"),
            ],
            129,
            400,
        ),
        (vec![("folder_key", &k), ("mtime", "13/13/2013")], 116, 400),
        (
            vec![("folder_key", NEVER_ISSUED), ("foldername", "x")],
            112,
            404,
        ),
        (
            vec![("folder_key", "myfiles"), ("foldername", "x")],
            114,
            403,
        ),
        (
            vec![("folder_path", "/Nope"), ("foldername", "x")],
            112,
            404,
        ),
    ];
    for (params, code, status) in cases {
        let e = err(a.c.call("folder/update", &params).await);
        assert_eq!((e.0, e.2), (code, status), "{params:?}");
    }
    assert_eq!(a.device_revision(&s).await, r, "no error changed anything");
    // By path.
    a.c.call(
        "folder/update",
        &[("folder_path", "/K"), ("foldername", "K2")],
    )
    .await
    .unwrap();
    // In the trash: 211.
    a.c.call("folder/delete", &[("folder_key", &k)])
        .await
        .unwrap();
    let e = err(a
        .c
        .call("folder/update", &[("folder_key", &k), ("foldername", "x")])
        .await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (211, "Items in the Trash Can cannot be modified", 403)
    );
}
