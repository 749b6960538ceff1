//! file/update: rename within the extension, description, privacy, password, mtime; revisions.

use hearth_core::tree::Target;

use super::{alice, device_rev, fails, folder, folder_rev, new_rev, put, put_in, row, xml};
use crate::harness::TestServer;

#[tokio::test]
async fn every_field_and_the_revisions() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let docs = folder(&s, uid, "docs").await;
    let f = put_in(&s, uid, Target::Key(&docs.folderkey), "a.txt", b"hello").await;
    let c = s.login(2).await;
    let k = f.quickkey.as_str();

    let before = device_rev(&s, uid).await;
    let v = c
        .call("file/update", &[("quick_key", k), ("filename", "b.TXT")])
        .await
        .unwrap();
    let rev = new_rev(&v);
    assert_eq!(rev, before + 1);
    let r = row(&s, uid, k).await.unwrap();
    assert_eq!((r.name.as_str(), r.revision), ("b.TXT", rev));
    assert_eq!(
        folder_rev(&s, uid, Some(&docs.folderkey)).await,
        rev,
        "a rename changes the folder"
    );

    let v = c
        .call(
            "file/update",
            &[
                ("quick_key", k),
                ("description", "greeting"),
                ("privacy", "public"),
                ("mtime", "2014-05-01T12:00:00Z"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(new_rev(&v), rev + 1);
    let info = c.call("file/get_info", &[("quick_key", k)]).await.unwrap()["response"]["file_info"]
        .clone();
    assert_eq!(info["description"], "greeting");
    assert_eq!(info["privacy"], "public");
    assert_eq!(info["revision"], (rev + 1).to_string());
    assert_eq!(
        row(&s, uid, k).await.unwrap().mtime_us,
        1_398_945_600_000_000
    );

    // Password: set, then an empty value removes it.
    c.call(
        "file/update",
        &[("quick_key", k), ("password", "open sesame")],
    )
    .await
    .unwrap();
    let info = c.call("file/get_info", &[("quick_key", k)]).await.unwrap();
    assert_eq!(info["response"]["file_info"]["password_protected"], "yes");
    let (status, body) = xml(&c, "file/update", &[("quick_key", k), ("password", "")]).await;
    assert_eq!(status, 200);
    let now = device_rev(&s, uid).await;
    assert!(
        body.contains(&format!(
            "<response><action>file/update</action><new_device_revision>{now}</new_device_revision><device_revision>{now}</device_revision><result>Success</result>"
        )),
        "{body}"
    );
    let info = c.call("file/get_info", &[("quick_key", k)]).await.unwrap();
    assert_eq!(info["response"]["file_info"]["password_protected"], "no");

    // An empty description clears it.
    c.call("file/update", &[("quick_key", k), ("description", "")])
        .await
        .unwrap();
    assert_eq!(row(&s, uid, k).await.unwrap().description, "");
    // file_path names the file too.
    c.call(
        "file/update",
        &[("file_path", "/docs/b.TXT"), ("description", "by path")],
    )
    .await
    .unwrap();
    assert_eq!(row(&s, uid, k).await.unwrap().description, "by path");
}

#[tokio::test]
async fn refusals() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "a.txt", b"hello").await;
    let c = s.login(2).await;
    let k = f.quickkey.as_str();
    let before = device_rev(&s, uid).await;
    assert_eq!(
        fails(
            &c,
            "file/update",
            &[("quick_key", k), ("filename", "a.pdf")]
        )
        .await,
        (
            400,
            106,
            "You cannot change the file extension by changing the file name".into()
        )
    );
    assert_eq!(
        fails(&c, "file/update", &[("quick_key", k), ("filename", "a")])
            .await
            .1,
        106
    );
    assert_eq!(
        fails(
            &c,
            "file/update",
            &[("quick_key", k), ("filename", "x/y.txt")]
        )
        .await
        .1,
        118
    );
    assert_eq!(
        fails(
            &c,
            "file/update",
            &[("quick_key", k), ("privacy", "secret")]
        )
        .await,
        (
            400,
            129,
            "One or more parameters for this request are invalid".into()
        )
    );
    assert_eq!(
        fails(
            &c,
            "file/update",
            &[("quick_key", k), ("mtime", "yesterday")]
        )
        .await
        .1,
        116
    );
    assert_eq!(
        fails(&c, "file/update", &[("quick_key", k)]).await,
        (
            400,
            128,
            "Required parameters for this request are missing".into()
        )
    );
    assert_eq!(
        fails(&c, "file/update", &[("description", "x")]).await.1,
        111
    );
    assert_eq!(device_rev(&s, uid).await, before, "refusals change nothing");
    let (status, body) = xml(
        &c,
        "file/update",
        &[("quick_key", k), ("filename", "a.pdf")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<error>106</error>"), "{body}");

    c.call("file/delete", &[("quick_key", k)]).await.unwrap();
    assert_eq!(
        fails(&c, "file/update", &[("quick_key", k), ("description", "x")]).await,
        (403, 211, "Items in the Trash Can cannot be modified".into())
    );
}
