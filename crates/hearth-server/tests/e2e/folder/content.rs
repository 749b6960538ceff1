//! folder/get_content: chunks, ordering (the same bytewise order on SQLite and PostgreSQL),
//! filters, details, parameter validation, trash exclusion.

use hearth_core::sessions::Caller;
use hearth_core::tree::{OnDuplicate, Target};

use super::{at, err, names, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

#[tokio::test]
async fn chunks_of_a_folder_with_250_subfolders() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (big, _) = a.mk("Big", None).await;
    let owner = Caller::owner(a.uid);
    for i in 0..250 {
        s.core
            .create_folder(
                &owner,
                Target::Key(&big),
                Some(&format!("f{i:03}")),
                OnDuplicate::Allow,
                None,
            )
            .await
            .unwrap();
    }
    let list = |chunk: &'static str, size: Option<&'static str>| {
        let big = big.clone();
        let c = &a.c;
        async move {
            let mut p = vec![
                ("folder_key", big.as_str()),
                ("content_type", "folders"),
                ("chunk", chunk),
            ];
            if let Some(sz) = size {
                p.push(("chunk_size", sz));
            }
            c.call("folder/get_content", &p).await.unwrap()
        }
    };
    let mut seen = Vec::new();
    for (chunk, count, more) in [("1", 100, "yes"), ("2", 100, "yes"), ("3", 50, "no")] {
        let v = list(chunk, None).await;
        let fc = &v["response"]["folder_content"];
        assert_eq!(fc["chunk_size"], "100", "the default chunk size");
        assert_eq!(fc["chunk_number"], chunk);
        assert_eq!(fc["content_type"], "folders");
        assert_eq!(fc["folderkey"], big.as_str());
        assert_eq!(fc["more_chunks"], more, "chunk {chunk}");
        assert_eq!(fc["folders"].as_array().unwrap().len(), count);
        assert!(fc["files"].is_null(), "only the requested list");
        assert_eq!(v["response"]["asynchronous"], "no");
        seen.extend(names(&fc["folders"], "name"));
    }
    let expected: Vec<String> = (0..250).map(|i| format!("f{i:03}")).collect();
    assert_eq!(seen, expected, "name order, no item twice or missing");
    // Past the end: empty, no more chunks.
    let v = list("4", None).await;
    let fc = &v["response"]["folder_content"];
    assert_eq!(fc["folders"], serde_json::json!([]));
    assert_eq!(fc["more_chunks"], "no");
    // One chunk of everything; sizes above 1000 are capped.
    let v = list("1", Some("1000")).await;
    assert_eq!(
        v["response"]["folder_content"]["folders"]
            .as_array()
            .unwrap()
            .len(),
        250
    );
    assert_eq!(v["response"]["folder_content"]["more_chunks"], "no");
    let v = list("1", Some("5000")).await;
    assert_eq!(v["response"]["folder_content"]["chunk_size"], "1000");
    let v = list("2", Some("249")).await;
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        ["f249"]
    );
    // chunk=0 reads as the first chunk.
    let v = list("0", Some("10")).await;
    assert_eq!(v["response"]["folder_content"]["chunk_number"], "1");
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name")[0],
        "f000"
    );
    for (name, bad) in [
        ("chunk_size", "0"),
        ("chunk_size", "-5"),
        ("chunk_size", "ten"),
        ("chunk", "-1"),
        ("chunk", "x"),
    ] {
        let e = err(a
            .c
            .call(
                "folder/get_content",
                &[
                    ("folder_key", &big),
                    ("content_type", "folders"),
                    (name, bad),
                ],
            )
            .await);
        assert_eq!((e.0, e.2), (129, 400), "{name}={bad}");
    }
    let (status, xml) = a
        .xml(
            "folder/get_content",
            &[
                ("folder_key", &big),
                ("content_type", "folders"),
                ("chunk", "9"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<folder_content><chunk_size>100</chunk_size><content_type>folders</content_type><chunk_number>9</chunk_number><folderkey>{big}</folderkey><folders/><more_chunks>no</more_chunks>"
        )),
        "{xml}"
    );
    assert!(xml.contains("<asynchronous>no</asynchronous>"), "{xml}");
}

/// Names whose order differs between byte order, case-folding and locale collations.
const TRICKY: &[&str] = &[
    "banana",
    "Banana",
    "apple",
    "Apple",
    "éclair",
    "Eclair",
    "zebra",
    "Zebra",
    "10",
    "9",
    "a10",
    "a9",
    "_under",
    "Ångström",
    "ö",
    "o",
    "100",
    "Ärger",
];

#[tokio::test]
async fn name_order_is_bytewise_on_every_database() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (dir, _) = a.mk("Sorted", None).await;
    let owner = Caller::owner(a.uid);
    for n in TRICKY {
        s.core
            .create_folder(&owner, Target::Key(&dir), Some(n), OnDuplicate::Allow, None)
            .await
            .unwrap();
        a.file(&s, Some(&dir), &format!("{n}.txt"), n.as_bytes())
            .await;
    }
    let mut expected: Vec<String> = TRICKY.iter().map(|n| n.to_string()).collect();
    expected.sort(); // Rust's str order is byte order.
    assert_eq!(
        &expected[..6],
        ["10", "100", "9", "Apple", "Banana", "Eclair"],
        "the test's own expectation"
    );
    let v =
        a.c.call(
            "folder/get_content",
            &[
                ("folder_key", &dir),
                ("content_type", "folders"),
                ("order_by", "name"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        expected
    );
    let v =
        a.c.call(
            "folder/get_content",
            &[
                ("folder_key", &dir),
                ("content_type", "folders"),
                ("order_direction", "desc"),
            ],
        )
        .await
        .unwrap();
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        reversed
    );
    let v =
        a.c.call(
            "folder/get_content",
            &[("folder_key", &dir), ("content_type", "files")],
        )
        .await
        .unwrap();
    let files: Vec<String> = expected.iter().map(|n| format!("{n}.txt")).collect();
    assert_eq!(
        names(&v["response"]["folder_content"]["files"], "filename"),
        files
    );
    // created: insertion order.
    let v =
        a.c.call(
            "folder/get_content",
            &[
                ("folder_key", &dir),
                ("content_type", "folders"),
                ("order_by", "created"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        TRICKY
    );
    // size: the file bodies are the names, so sizes are their byte lengths.
    let v =
        a.c.call(
            "folder/get_content",
            &[
                ("folder_key", &dir),
                ("content_type", "files"),
                ("order_by", "size"),
                ("order_direction", "desc"),
            ],
        )
        .await
        .unwrap();
    let sizes: Vec<u64> = names(&v["response"]["folder_content"]["files"], "size")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert_eq!(sizes[0], "Ångström".len() as u64);
}

#[tokio::test]
async fn content_types_filters_details_and_validation() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (dir, _) = a.mk("Mixed", None).await;
    let (sub, _) = a.mk("Sub", Some(&dir)).await;
    a.mk("Sub2", Some(&dir)).await;
    a.file(&s, Some(&sub), "deep.bin", b"123456").await;
    let pic = a.file(&s, Some(&dir), "Holiday.JPG", b"jpeg").await;
    a.file(&s, Some(&dir), "notes.txt", b"text").await;
    a.file(&s, Some(&dir), "song.mp3", b"mp3").await;
    a.publish_file(&s, &pic).await;
    a.c.call(
        "folder/update",
        &[("folder_key", &sub), ("privacy", "public")],
    )
    .await
    .unwrap();
    let get = |extra: Vec<(&'static str, &'static str)>| {
        let dir = dir.clone();
        let c = &a.c;
        async move {
            let mut p = vec![("folder_key", dir.as_str())];
            p.extend(extra);
            c.call("folder/get_content", &p).await
        }
    };
    // No content_type: the folders.
    let v = get(vec![]).await.unwrap();
    assert_eq!(v["response"]["folder_content"]["content_type"], "folders");
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        ["Sub", "Sub2"]
    );
    let f = &v["response"]["folder_content"]["folders"][0];
    assert_eq!(f["file_count"], "1");
    assert_eq!(f["privacy"], "public");
    assert!(f["total_size"].is_null());
    let v = get(vec![("details", "yes")]).await.unwrap();
    assert_eq!(
        v["response"]["folder_content"]["folders"][0]["total_size"],
        "6"
    );

    let v = get(vec![("content_type", "files")]).await.unwrap();
    let files = &v["response"]["folder_content"]["files"];
    assert_eq!(
        names(files, "filename"),
        ["Holiday.JPG", "notes.txt", "song.mp3"]
    );
    assert_eq!(files[0]["filetype"], "image");
    assert_eq!(files[0]["quickkey"], pic.as_str());
    assert!(v["response"]["folder_content"]["folders"].is_null());
    // Filters: a category (extension case ignored), privacy.
    let v = get(vec![("content_type", "files"), ("filter", "image")])
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["files"], "filename"),
        ["Holiday.JPG"]
    );
    let v = get(vec![("content_type", "files"), ("filter", "audio")])
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["files"], "filename"),
        ["song.mp3"]
    );
    let v = get(vec![("content_type", "files"), ("filter", "private")])
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["files"], "filename"),
        ["notes.txt", "song.mp3"]
    );
    let v = get(vec![("content_type", "files"), ("filter", "public")])
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["files"], "filename"),
        ["Holiday.JPG"]
    );
    let v = get(vec![("content_type", "folders"), ("filter", "private")])
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        ["Sub2"]
    );
    // A category does not restrict folders.
    let v = get(vec![("content_type", "folders"), ("filter", "image")])
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["folder_content"]["folders"], "name"),
        ["Sub", "Sub2"]
    );
    let v = get(vec![("content_type", "files"), ("filter", "all")])
        .await
        .unwrap();
    assert_eq!(
        v["response"]["folder_content"]["files"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    for bad in [
        ("content_type", "both"),
        ("order_by", "colour"),
        ("order_direction", "up"),
        ("filter", "pictures"),
        ("details", "maybe"),
    ] {
        let e = err(get(vec![bad]).await);
        assert_eq!(
            (e.0, e.1.as_str(), e.2),
            (
                129,
                "One or more parameters for this request are invalid",
                400
            ),
            "{bad:?}"
        );
    }
    let e = err(get(vec![("device_id", "7")]).await);
    assert_eq!((e.0, e.2), (141, 404));
    let e = err(a
        .c
        .call("folder/get_content", &[("folder_key", NEVER_ISSUED)])
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let (status, xml) = a
        .xml(
            "folder/get_content",
            &[
                ("folder_key", &dir),
                ("content_type", "files"),
                ("filter", "image"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!("<files><file><quickkey>{pic}</quickkey>")),
        "{xml}"
    );
}

#[tokio::test]
async fn the_root_listing_revisions_and_the_trash() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (keep, _) = a.mk("Keep", None).await;
    let (drop_me, _) = a.mk("Drop", None).await;
    let (child, r) = a.mk("Child", Some(&keep)).await;
    // The root: no key, or `myfiles`; its revision is the device revision.
    for p in [
        vec![("content_type", "folders")],
        vec![("folder_key", "myfiles"), ("content_type", "folders")],
    ] {
        let v = a.c.call("folder/get_content", &p).await.unwrap();
        let fc = &v["response"]["folder_content"];
        assert_eq!(fc["folderkey"], "myfiles");
        assert_eq!(fc["revision"], r.to_string());
        assert_eq!(names(&fc["folders"], "name"), ["Drop", "Keep"]);
    }
    let v =
        a.c.call("folder/get_content", &[("folder_key", &keep)])
            .await
            .unwrap();
    let fc = &v["response"]["folder_content"];
    assert_eq!(
        fc["revision"],
        r.to_string(),
        "the parent follows its child"
    );
    assert_eq!(names(&fc["folders"], "folderkey"), [child.as_str()]);
    assert_eq!(fc["folders"][0]["revision"], r.to_string());

    let v =
        a.c.call("folder/delete", &[("folder_key", &drop_me)])
            .await
            .unwrap();
    let r2 = super::rev(&v);
    let v = a.c.call("folder/get_content", &[]).await.unwrap();
    let fc = &v["response"]["folder_content"];
    assert_eq!(
        names(&fc["folders"], "name"),
        ["Keep"],
        "trashed folders are not listed"
    );
    assert_eq!(fc["revision"], r2.to_string());
    // Anonymous: the root needs a token.
    let e = err(s
        .client()
        .call("folder/get_content", &[("content_type", "folders")])
        .await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (104, "Session Token is missing", 403)
    );
    assert_eq!(at(&v, &["folder_content", "more_chunks"]), "no");
}
