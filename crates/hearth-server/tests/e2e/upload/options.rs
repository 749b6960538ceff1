//! upload/get_options and upload/set_options: defaults, round trip (also seen by
//! user/get_settings), refusals, and the stored action_on_duplicate applied when an upload call
//! (simple, instant, add_web_upload) names none.

use serde_json::Value;

use super::web::{add, allow_loopback, done, Origin};
use super::{bytes, raw, sha, upload_fails, upload_ok};
use crate::file::{alice, fails, row, xml};
use crate::harness::TestServer;

async fn options(c: &hearth_client::Client) -> Value {
    let v = c.call("upload/get_options", &[]).await.unwrap();
    v["response"].clone()
}

#[tokio::test]
async fn options_round_trip() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let o = options(&c).await;
    assert_eq!(o["action_on_duplicate"], "skip", "{o}");
    assert_eq!(o["disable_instant"], "no");
    assert_eq!(o["disable_flash"], "no");
    assert_eq!(o["disable_html5"], "no");
    assert_eq!(o["used_storage_size"], "0");
    assert_eq!(
        o["storage_limit"],
        s.core.user(uid).await.unwrap().quota_bytes.to_string()
    );
    assert_eq!(o["storage_limit_exceeded"], "no");

    c.call(
        "upload/set_options",
        &[
            ("action_on_duplicate", "keep"),
            ("disable_instant", "yes"),
            ("disable_flash", "yes"),
        ],
    )
    .await
    .unwrap();
    let o = options(&c).await;
    assert_eq!(o["action_on_duplicate"], "keep", "{o}");
    assert_eq!(o["disable_instant"], "yes");
    assert_eq!(o["disable_flash"], "yes");
    assert_eq!(o["disable_html5"], "no");
    // disable_instant is the inverse of user/get_settings' instant_uploads_enabled.
    let v = c.call("user/get_settings", &[]).await.unwrap();
    assert_eq!(v["response"]["settings"]["instant_uploads_enabled"], "no");
    c.call("user/set_settings", &[("instant_uploads_enabled", "yes")])
        .await
        .unwrap();
    assert_eq!(options(&c).await["disable_instant"], "no");

    // Every value is checked before any is stored.
    for bad in [
        [
            ("action_on_duplicate", "overwrite"),
            ("disable_html5", "yes"),
        ],
        [("disable_html5", "yes"), ("disable_flash", "maybe")],
    ] {
        let (_, code, _) = fails(&c, "upload/set_options", &bad).await;
        assert_eq!(code, 129);
    }
    let o = options(&c).await;
    assert_eq!(o["disable_html5"], "no", "{o}");
    assert_eq!(o["action_on_duplicate"], "keep");
    // Nothing given changes nothing.
    c.call("upload/set_options", &[]).await.unwrap();
    assert_eq!(options(&c).await["action_on_duplicate"], "keep");

    // XML: the fields sit at the top level of the response.
    let (status, body) = xml(&c, "upload/get_options", &[]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<action_on_duplicate>keep</action_on_duplicate>"),
        "{body}"
    );
    assert!(
        body.contains("<disable_flash>yes</disable_flash>"),
        "{body}"
    );

    // Another user's options are their own.
    let (b, _) = crate::file::bob(&s).await;
    assert_eq!(options(&b).await["action_on_duplicate"], "skip");
}

#[tokio::test]
async fn the_stored_action_on_duplicate_applies_when_an_upload_names_none() {
    let s = TestServer::with_settings(allow_loopback).await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let first = bytes(1000, 61);
    let second = bytes(1000, 62);
    let original = upload_ok(&s, &c, &[], raw("a.bin", &first)).await["quickkey"]
        .as_str()
        .unwrap()
        .to_string();
    // Default skip: the same name with other content is fileerror 13.
    assert_eq!(upload_fails(&s, &c, &[], raw("a.bin", &second)).await, "13");

    c.call("upload/set_options", &[("action_on_duplicate", "keep")])
        .await
        .unwrap();
    let p = upload_ok(&s, &c, &[], raw("a.bin", &second)).await;
    assert_eq!(p["filename"], "a (1).bin", "{p}");
    // An explicit value still wins.
    assert_eq!(
        upload_fails(
            &s,
            &c,
            &[("action_on_duplicate", "skip")],
            raw("a.bin", &second)
        )
        .await,
        "13"
    );
    // upload/instant: a new name too.
    let v = c
        .call(
            "upload/instant",
            &[
                ("filename", "a.bin"),
                ("hash", &sha(&second)),
                ("size", "1000"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["filename"], "a (2).bin", "{v}");

    // A web upload too; then replace makes a new version of the same file.
    let o = Origin::start(bytes(60_000, 63)).await;
    let k = add(&c, &[("url", &o.url("/small.bin")), ("filename", "a.bin")]).await;
    let w = done(&c, &k).await;
    assert_eq!(w["error_status"], "0", "{w}");
    assert_eq!(w["filename"], "a (3).bin", "{w}");
    c.call("upload/set_options", &[("action_on_duplicate", "replace")])
        .await
        .unwrap();
    let p = upload_ok(&s, &c, &[], raw("a.bin", &second)).await;
    // The same file as the first upload, with the new content as a new version.
    assert_eq!(p["quickkey"], original.as_str(), "{p}");
    let f = row(&s, uid, &original).await.unwrap();
    assert_eq!(
        (f.name.as_str(), f.hash.as_str()),
        ("a.bin", sha(&second).as_str())
    );
    let v = c
        .call("folder/get_content", &[("content_type", "files")])
        .await
        .unwrap();
    assert_eq!(
        v["response"]["folder_content"]["files"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}
