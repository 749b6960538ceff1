//! file/get_info: one key, comma lists, paths, anonymous callers, trashed files.

use hearth_core::tree::Target;

use super::{alice, fails, folder, put, put_in, xml};
use crate::harness::{get, json, TestServer};

const NEVER_ISSUED: &str = "zzzzzzzzzzzzzzz";

#[tokio::test]
async fn owner_view_has_every_field_in_order() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.txt", b"hello").await;
    let c = s.login(2).await;
    let v = c
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let info = &v["response"]["file_info"];
    let keys: Vec<&str> = info
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "quickkey",
            "filename",
            "ready",
            "created",
            "downloads",
            "views",
            "description",
            "size",
            "privacy",
            "password_protected",
            "hash",
            "filetype",
            "mimetype",
            "owner_name",
            "flag",
            "parent_folderkey",
            "permissions",
            "revision",
            "view",
            "edit",
            "links",
            "created_utc"
        ]
    );
    assert_eq!(info["quickkey"], f.quickkey.as_str());
    assert_eq!(info["filename"], "a.txt");
    assert_eq!(info["ready"], "yes");
    assert_eq!(info["size"], "5");
    assert_eq!(info["privacy"], "private");
    assert_eq!(info["password_protected"], "no");
    assert_eq!(
        info["hash"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(info["filetype"], "document");
    assert_eq!(info["mimetype"], "text/plain");
    assert_eq!(info["owner_name"], "Alice Liddell");
    assert_eq!(info["parent_folderkey"], "myfiles");
    assert_eq!(info["permissions"]["write"], "1");
    assert_eq!(info["revision"], f.revision.to_string());
    assert_eq!(info["edit"], "1");
    // A private file has no public page (pages.rs); a public one's is tested there.
    assert_eq!(info["links"]["normal_download"], "");
    assert!(info["links"]["normal_download_error_message"]
        .as_str()
        .unwrap()
        .starts_with("Only public files have a page"));
    assert!(info.get("delete_date").is_none());
    assert!(info["created_utc"].as_str().unwrap().ends_with('Z'));

    let (status, body) = xml(&c, "file/get_info", &[("quick_key", &f.quickkey)]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(
            "<file_info><quickkey>{}</quickkey><filename>a.txt</filename><ready>yes</ready><created>",
            f.quickkey
        )),
        "{body}"
    );
    assert!(
        body.contains("<parent_folderkey>myfiles</parent_folderkey><permissions><value>2</value>"),
        "{body}"
    );
    assert!(
        body.contains("<links><normal_download></normal_download><normal_download_error_message>"),
        "{body}"
    );
}

#[tokio::test]
async fn lists_paths_and_missing_keys() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let a = put(&s, uid, "a.txt", b"a").await;
    let docs = folder(&s, uid, "docs").await;
    let b = put_in(&s, uid, Target::Key(&docs.folderkey), "b.txt", b"bb").await;
    let c = s.login(2).await;

    let list = format!("{},{NEVER_ISSUED},bad,{}", b.quickkey, a.quickkey);
    let v = c
        .call("file/get_info", &[("quick_key", &list)])
        .await
        .unwrap();
    let infos = v["response"]["file_infos"].as_array().unwrap();
    assert_eq!(infos.len(), 2, "unknown keys are left out: {v}");
    assert_eq!(infos[0]["quickkey"], b.quickkey.as_str());
    assert_eq!(infos[0]["parent_folderkey"], docs.folderkey.as_str());
    assert_eq!(infos[1]["quickkey"], a.quickkey.as_str());
    let (status, body) = xml(&c, "file/get_info", &[("quick_key", &list)]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(
            "<file_infos><file_info><quickkey>{}</quickkey>",
            b.quickkey
        )),
        "{body}"
    );

    let none = format!("{NEVER_ISSUED},yyyyyyyyyyyyyyy");
    assert_eq!(
        fails(&c, "file/get_info", &[("quick_key", &none)]).await,
        (404, 110, "Unknown or Invalid QuickKey".into())
    );
    let v = c
        .call("file/get_info", &[("file_path", "/docs/b.txt")])
        .await
        .unwrap();
    assert_eq!(v["response"]["file_info"]["quickkey"], b.quickkey.as_str());
    assert_eq!(
        fails(&c, "file/get_info", &[("file_path", "/docs/nope.txt")])
            .await
            .1,
        110
    );
    assert_eq!(
        fails(&c, "file/get_info", &[]).await,
        (400, 111, "Quick Key is missing".into())
    );
}

#[tokio::test]
async fn anonymous_callers_read_public_files_only() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let public = put(&s, uid, "pub.mp3", b"song").await;
    let private = put(&s, uid, "priv.txt", b"secret").await;
    let c = s.login(2).await;
    c.call(
        "file/update",
        &[("quick_key", &public.quickkey), ("privacy", "public")],
    )
    .await
    .unwrap();

    let url = |k: &str| {
        s.url(&format!(
            "/api/1.5/file/get_info.php?quick_key={k}&response_format=json"
        ))
    };
    let (status, _, body) = get(&url(&public.quickkey)).await;
    assert_eq!(status, 200, "{body}");
    let info = &json(&body)["response"]["file_info"];
    assert_eq!(info["filename"], "pub.mp3");
    assert_eq!(info["filetype"], "audio");
    assert_eq!(info["owner_name"], "Alice Liddell");
    assert_eq!(info["permissions"]["write"], "0");
    assert!(
        info.get("parent_folderkey").is_none(),
        "owner field: {info}"
    );
    assert!(info.get("downloads").is_none(), "owner field: {info}");

    let (status, _, private_body) = get(&url(&private.quickkey)).await;
    let (status2, _, never_body) = get(&url(NEVER_ISSUED)).await;
    assert_eq!((status, status2), (404, 404));
    assert_eq!(private_body, never_body);
    assert_eq!(json(&private_body)["response"]["error"], 110);

    // A path names the caller's own tree: anonymous callers have none.
    let (status, _, body) =
        get(&s.url("/api/1.5/file/get_info.php?file_path=/pub.mp3&response_format=json")).await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (403, Some(104))
    );
    // XML for anonymous callers too.
    let (status, ct, body) = get(&s.url(&format!(
        "/api/1.5/file/get_info.php?quick_key={}",
        public.quickkey
    )))
    .await;
    assert_eq!((status, ct.as_str()), (200, "text/xml"));
    assert!(
        body.contains("<owner_name>Alice Liddell</owner_name><flag>0</flag><permissions>"),
        "{body}"
    );
}

#[tokio::test]
async fn trashed_files_show_the_trash_to_their_owner_only() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "gone.txt", b"x").await;
    let c = s.login(2).await;
    c.call(
        "file/update",
        &[("quick_key", &f.quickkey), ("privacy", "public")],
    )
    .await
    .unwrap();
    c.call("file/delete", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let v = c
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let info = &v["response"]["file_info"];
    assert_eq!(info["parent_folderkey"], "trash");
    assert_eq!(info["delete_date"].as_str().unwrap().len(), 19, "{info}");
    let (status, _, body) = get(&s.url(&format!(
        "/api/1.5/file/get_info.php?quick_key={}&response_format=json",
        f.quickkey
    )))
    .await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (404, Some(110))
    );
}
