//! folder/get_depth and folder/get_siblings.

use super::{err, names, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

#[tokio::test]
async fn depth_and_the_chain_of_ancestors() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (x, _) = a.mk("X", None).await;
    let (y, _) = a.mk("Y", Some(&x)).await;
    let (z, _) = a.mk("Z", Some(&y)).await;
    let v =
        a.c.call("folder/get_depth", &[("folder_key", &z)])
            .await
            .unwrap();
    let d = &v["response"]["folder_depth"];
    assert_eq!(d["folderkey"], z.as_str());
    assert_eq!(d["name"], "Z");
    assert_eq!(d["depth"], "3");
    assert_eq!(
        names(&d["chain_folders"], "folderkey"),
        ["myfiles", x.as_str(), y.as_str()]
    );
    assert_eq!(names(&d["chain_folders"], "name"), ["myfiles", "X", "Y"]);

    for p in [vec![], vec![("folder_key", "myfiles")]] {
        let v = a.c.call("folder/get_depth", &p).await.unwrap();
        let d = &v["response"]["folder_depth"];
        assert_eq!(
            (d["folderkey"].as_str(), d["depth"].as_str()),
            (Some("myfiles"), Some("0"))
        );
        assert_eq!(d["chain_folders"], serde_json::json!([]));
    }
    let v =
        a.c.call("folder/get_depth", &[("folder_path", "/X/Y")])
            .await
            .unwrap();
    assert_eq!(v["response"]["folder_depth"]["depth"], "2");

    let list = format!("{x}, {z}");
    let v =
        a.c.call("folder/get_depth", &[("folder_key", &list)])
            .await
            .unwrap();
    let ds = &v["response"]["folder_depths"];
    assert_eq!(names(ds, "folderkey"), [x.as_str(), z.as_str()]);
    assert_eq!(names(ds, "depth"), ["1", "3"]);

    let e = err(a
        .c
        .call("folder/get_depth", &[("folder_key", NEVER_ISSUED)])
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let e = err(s
        .client()
        .call("folder/get_depth", &[("folder_key", &x)])
        .await);
    assert_eq!((e.0, e.2), (104, 403));

    let (status, xml) = a.xml("folder/get_depth", &[("folder_key", &y)]).await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<folder_depth><folderkey>{y}</folderkey><name>Y</name><depth>2</depth><chain_folders><folder><folderkey>myfiles</folderkey><name>myfiles</name></folder><folder><folderkey>{x}</folderkey><name>X</name></folder></chain_folders></folder_depth>"
        )),
        "{xml}"
    );
}

#[tokio::test]
async fn siblings_of_a_folder() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (p, _) = a.mk("Parent", None).await;
    let (b, _) = a.mk("b", Some(&p)).await;
    let (first, _) = a.mk("a", Some(&p)).await;
    let (c, _) = a.mk("c", Some(&p)).await;
    let (d, _) = a.mk("d", Some(&p)).await;
    let (gone, _) = a.mk("gone", Some(&p)).await;
    a.c.call("folder/delete", &[("folder_key", &gone)])
        .await
        .unwrap();
    a.file(&s, Some(&p), "f.txt", b"1").await;
    a.mk("nephew", Some(&c)).await;

    let v =
        a.c.call("folder/get_siblings", &[("folder_key", &b)])
            .await
            .unwrap();
    let sb = &v["response"]["siblings"];
    assert_eq!(sb["folderkey"], b.as_str());
    assert_eq!(sb["parent_folderkey"], p.as_str());
    assert_eq!(
        names(&sb["folders"], "folderkey"),
        [first.as_str(), c.as_str(), d.as_str()],
        "the others, by name, without trashed ones"
    );
    assert_eq!(names(&sb["files"], "filename"), ["f.txt"]);
    assert_eq!(sb["more"], "no");

    let v =
        a.c.call(
            "folder/get_siblings",
            &[
                ("folder_key", &b),
                ("content_filter", "folders"),
                ("start", "1"),
                ("limit", "1"),
            ],
        )
        .await
        .unwrap();
    let sb = &v["response"]["siblings"];
    assert_eq!(names(&sb["folders"], "name"), ["c"]);
    assert!(sb["files"].is_null(), "{v}");
    assert_eq!(sb["more"], "yes");
    let v =
        a.c.call(
            "folder/get_siblings",
            &[("folder_key", &b), ("content_filter", "files")],
        )
        .await
        .unwrap();
    assert!(v["response"]["siblings"]["folders"].is_null());
    // Top-level folders are siblings of each other; the root has none.
    let v =
        a.c.call("folder/get_siblings", &[("folder_key", &p)])
            .await
            .unwrap();
    assert_eq!(v["response"]["siblings"]["parent_folderkey"], "myfiles");
    assert_eq!(v["response"]["siblings"]["folders"], serde_json::json!([]));
    let v = a.c.call("folder/get_siblings", &[]).await.unwrap();
    assert_eq!(v["response"]["siblings"]["folderkey"], "myfiles");
    assert_eq!(v["response"]["siblings"]["parent_folderkey"], "");
    assert_eq!(v["response"]["siblings"]["folders"], serde_json::json!([]));

    let e = err(a
        .c
        .call(
            "folder/get_siblings",
            &[("folder_key", &b), ("content_filter", "everything")],
        )
        .await);
    assert_eq!((e.0, e.2), (129, 400));
    let e = err(a
        .c
        .call(
            "folder/get_siblings",
            &[("folder_key", &b), ("start", "-1")],
        )
        .await);
    assert_eq!((e.0, e.2), (129, 400));
    let e = err(a
        .c
        .call("folder/get_siblings", &[("folder_key", NEVER_ISSUED)])
        .await);
    assert_eq!((e.0, e.2), (112, 404));

    let (status, xml) = a
        .xml(
            "folder/get_siblings",
            &[
                ("folder_key", &c),
                ("content_filter", "folders"),
                ("limit", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<siblings><folderkey>{c}</folderkey><parent_folderkey>{p}</parent_folderkey><folders><folder><folderkey>{first}</folderkey>"
        )),
        "{xml}"
    );
}
