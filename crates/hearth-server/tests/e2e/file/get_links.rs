//! file/get_links: one entry per key; `direct_download` is a working URL (download.rs tests
//! the bytes), `normal_download` the landing page (pages.rs tests it), other link types answer
//! their `*_error_message`, and a key the caller may not see gets an `error` entry.

use super::{alice, bob, fails, put, xml};
use crate::harness::TestServer;

const NEVER_ISSUED: &str = "zzzzzzzzzzzzzzz";

#[tokio::test]
async fn one_entry_per_key_with_a_working_direct_link() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let doc = put(&s, uid, "a.txt", b"a").await;
    let song = put(&s, uid, "b.mp3", b"b").await;
    let c = s.login(2).await;
    let (_, bob_id) = bob(&s).await;
    let bobs = put(&s, bob_id, "bob.txt", b"private").await;

    let list = format!(
        "{},{NEVER_ISSUED},{},{}",
        doc.quickkey, bobs.quickkey, song.quickkey
    );
    let v = c
        .call(
            "file/get_links",
            &[("quick_key", &list), ("link_type", "direct_download")],
        )
        .await
        .unwrap();
    let links = v["response"]["links"].as_array().unwrap();
    assert_eq!(links.len(), 4);
    assert_eq!(links[0]["quickkey"], doc.quickkey.as_str());
    let url = links[0]["direct_download"].as_str().unwrap();
    assert!(
        url.starts_with(&s.url(&format!("/download/{}/a.txt?expires=", doc.quickkey))),
        "{url}"
    );
    assert!(links[0].get("direct_download_error_message").is_none());
    for (i, key) in [(1, NEVER_ISSUED), (2, bobs.quickkey.as_str())] {
        assert_eq!(
            links[i],
            serde_json::json!({"quickkey": key, "error": "Unknown or Invalid QuickKey"}),
            "a foreign private key looks never issued"
        );
    }
    assert_eq!(links[3]["quickkey"], song.quickkey.as_str());

    // No link_type: every type that applies.
    let v = c
        .call("file/get_links", &[("quick_key", &song.quickkey)])
        .await
        .unwrap();
    let keys: Vec<&str> = v["response"]["links"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "quickkey",
            "normal_download",
            "direct_download",
            "listen_error_message",
            "streaming_error_message"
        ]
    );
    let v = c
        .call("file/get_links", &[("quick_key", &doc.quickkey)])
        .await
        .unwrap();
    assert!(
        v["response"]["links"][0]["edit_error_message"].is_string(),
        "{v}"
    );

    // A list of types, with the old `one_time` name.
    let v = c
        .call(
            "file/get_links",
            &[("quick_key", &doc.quickkey), ("link_type", "view,one_time")],
        )
        .await
        .unwrap();
    let keys: Vec<&str> = v["response"]["links"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "quickkey",
            "view_error_message",
            "one_time_download_error_message"
        ]
    );

    let (status, body) = xml(
        &c,
        "file/get_links",
        &[
            ("quick_key", &format!("{},{NEVER_ISSUED}", doc.quickkey)),
            ("link_type", "normal_download"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(
            "<links><link><quickkey>{}</quickkey><normal_download>{}?expires=",
            doc.quickkey,
            s.url(&format!("/file/{}/a.txt/file", doc.quickkey))
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "<link><quickkey>{NEVER_ISSUED}</quickkey><error>Unknown or Invalid QuickKey</error></link></links><result>Success</result>"
        )),
        "{body}"
    );

    assert_eq!(
        fails(
            &c,
            "file/get_links",
            &[("quick_key", &doc.quickkey), ("link_type", "teleport")]
        )
        .await,
        (
            400,
            129,
            "One or more parameters for this request are invalid".into()
        )
    );
    assert_eq!(
        fails(&c, "file/get_links", &[]).await,
        (400, 111, "Quick Key is missing".into())
    );
    // A session is required.
    let (status, _, body) = crate::harness::get(&s.url(&format!(
        "/api/1.5/file/get_links.php?quick_key={}&response_format=json",
        doc.quickkey
    )))
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("\"error\":104"), "{body}");
}
