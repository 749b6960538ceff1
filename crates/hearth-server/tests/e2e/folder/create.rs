//! folder/create: the answer's fields, revisions, duplicate names, validation.

use super::{at, err, folder_revision, rev, Alice, NEVER_ISSUED};
use crate::harness::TestServer;

#[tokio::test]
async fn create_answers_the_spec_fields_and_bumps_revisions() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let r0 = a.device_revision(&s).await;
    let v =
        a.c.call("folder/create", &[("foldername", "Photos")])
            .await
            .unwrap();
    let key = at(&v, &["folder_key"]).to_string();
    assert_eq!(key.len(), 13, "{v}");
    assert!(key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(at(&v, &["folderkey"]), key);
    assert_eq!(at(&v, &["upload_key"]), key, "upload_key is the folderkey");
    assert_eq!(at(&v, &["parent_folderkey"]), "myfiles");
    assert_eq!(at(&v, &["name"]), "Photos");
    assert_eq!(at(&v, &["description"]), "");
    assert_eq!(at(&v, &["privacy"]), "private");
    assert_eq!(at(&v, &["file_count"]), "0");
    assert_eq!(at(&v, &["folder_count"]), "0");
    assert_eq!(at(&v, &["dropbox_enabled"]), "no");
    assert_eq!(at(&v, &["permissions", "write"]), "1");
    let created = at(&v, &["created"]);
    assert_eq!(created.len(), 19, "YYYY-MM-DD HH:MM:SS: {created}");
    assert_eq!(rev(&v), r0 + 1, "one mutation, one revision");
    assert_eq!(at(&v, &["revision"]), (r0 + 1).to_string());

    // A child: the parent's revision follows, and so does the root's (= device revision).
    let (child, r2) = a.mk("2024", Some(&key)).await;
    assert_eq!(r2, r0 + 2);
    assert_eq!(folder_revision(&a.c, &key).await, r2);
    assert_eq!(folder_revision(&a.c, "myfiles").await, r2);
    let v =
        a.c.call("folder/get_info", &[("folder_key", &child)])
            .await
            .unwrap();
    assert_eq!(at(&v, &["folder_info", "parent_folderkey"]), key);

    // parent_path names the parent too (the key wins when both are sent).
    let v =
        a.c.call(
            "folder/create",
            &[("foldername", "Deep"), ("parent_path", "/Photos/2024")],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["parent_folderkey"]), child);
    assert_eq!(rev(&v), r0 + 3);
    let v =
        a.c.call(
            "folder/create",
            &[
                ("foldername", "Beside"),
                ("parent_key", &key),
                ("parent_path", "/Photos/2024"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["parent_folderkey"]), key);
    // `myfiles` names the root.
    let v =
        a.c.call(
            "folder/create",
            &[
                ("foldername", "Top"),
                ("parent_key", "myfiles"),
                ("mtime", "2014-05-01T12:00:00Z"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["parent_folderkey"]), "myfiles");
    assert_eq!(a.device_revision(&s).await, r0 + 5);
}

#[tokio::test]
async fn duplicate_names_follow_action_on_duplicate() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (first, _) = a.mk("Docs", None).await;
    // Default (≤1.3 allow_duplicate_name=yes): a second folder of the same name.
    let (second, r) = a.mk("Docs", None).await;
    assert_ne!(first, second);

    // skip: the existing folder, nothing changes, no new revision.
    let v =
        a.c.call(
            "folder/create",
            &[("foldername", "Docs"), ("action_on_duplicate", "skip")],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["folder_key"]), first, "the first of that name");
    assert!(v["response"]["new_device_revision"].is_null(), "{v}");
    assert_eq!(a.device_revision(&s).await, r);
    // replace: nothing to overwrite for a folder, so the same as skip.
    let v =
        a.c.call(
            "folder/create",
            &[("foldername", "Docs"), ("action_on_duplicate", "replace")],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["folder_key"]), first);

    // keep: a new folder under a numbered name.
    let v =
        a.c.call(
            "folder/create",
            &[("foldername", "Docs"), ("action_on_duplicate", "keep")],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["name"]), "Docs (1)");
    assert_eq!(rev(&v), r + 1);

    // allow_duplicate_name=no: 144.
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "Docs"), ("allow_duplicate_name", "no")],
        )
        .await);
    assert_eq!((e.0, e.2), (144, 400));
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "Docs"), ("action_on_duplicate", "merge")],
        )
        .await);
    assert_eq!((e.0, e.2), (129, 400));
    // A fresh name with allow_duplicate_name=no is fine.
    let v =
        a.c.call(
            "folder/create",
            &[("foldername", "Other"), ("allow_duplicate_name", "no")],
        )
        .await
        .unwrap();
    assert_eq!(at(&v, &["name"]), "Other");
}

#[tokio::test]
async fn create_validates_names_parents_and_tokens() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let r0 = a.device_revision(&s).await;
    let e = err(a.c.call("folder/create", &[]).await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (117, "Folder Name is missing", 400)
    );
    let e = err(a.c.call("folder/create", &[("foldername", "")]).await);
    assert_eq!((e.0, e.2), (117, 400));
    for bad in ["a/b", "..", "tab\there", " "] {
        let e = err(a.c.call("folder/create", &[("foldername", bad)]).await);
        assert_eq!((e.0, e.2), (185, 400), "{bad:?}");
    }
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "x"), ("parent_key", NEVER_ISSUED)],
        )
        .await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (112, "Unknown or invalid FolderKey", 404)
    );
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "x"), ("parent_key", "not-a-key")],
        )
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "x"), ("parent_path", "/No/Such")],
        )
        .await);
    assert_eq!((e.0, e.2), (112, 404));
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "x"), ("mtime", "yesterday")],
        )
        .await);
    assert_eq!((e.0, e.2), (116, 400));
    // Inside a trashed folder: 211.
    let (gone, _) = a.mk("Gone", None).await;
    a.c.call("folder/delete", &[("folder_key", &gone)])
        .await
        .unwrap();
    let e = err(a
        .c
        .call(
            "folder/create",
            &[("foldername", "x"), ("parent_key", &gone)],
        )
        .await);
    assert_eq!((e.0, e.2), (211, 403));
    // No token: 104.
    let e = err(s
        .client()
        .call("folder/create", &[("foldername", "x")])
        .await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (104, "Session Token is missing", 403)
    );
    assert_eq!(
        a.device_revision(&s).await,
        r0 + 2,
        "only the Gone folder and its deletion changed anything"
    );
}

#[tokio::test]
async fn create_in_xml() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (status, xml) = a
        .xml("folder/create", &[("foldername", "Über & <more>")])
        .await;
    assert_eq!(status, 200);
    let key_start = xml.find("<folder_key>").expect("folder_key") + "<folder_key>".len();
    let key = &xml[key_start..key_start + 13];
    assert!(
        xml.contains(&format!(
            "<folder_key>{key}</folder_key><folderkey>{key}</folderkey><parent_folderkey>myfiles</parent_folderkey><name>Über &amp; &lt;more&gt;</name>"
        )),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<upload_key>{key}</upload_key>")),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<new_device_revision>1</new_device_revision><device_revision>1</device_revision>"
        ),
        "{xml}"
    );
    let (status, xml) = a.xml("folder/create", &[]).await;
    assert_eq!(status, 400);
    assert!(xml.contains("<error>117</error>"), "{xml}");
}
