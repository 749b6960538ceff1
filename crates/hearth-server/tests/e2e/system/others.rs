//! system/get_info, get_limits, get_status, get_mime_types, get_supported_media,
//! get_editable_media: real values from the running server's configuration.

use crate::harness::{get, json, TestServer};

async fn sys(s: &TestServer, call: &str, query: &str) -> serde_json::Value {
    let (status, _, body) = get(&s.url(&format!(
        "/api/1.5/system/{call}.php?response_format=json{query}"
    )))
    .await;
    assert_eq!(status, 200, "{body}");
    json(&body)["response"].clone()
}

#[tokio::test]
async fn limits_come_from_the_configuration() {
    let s = TestServer::with_settings(|st| st.limits.folder_depth_limit = 42).await;
    let r = sys(&s, "get_limits", "").await;
    assert_eq!(r["limits"]["folder_depth_limit"], "42");
    assert_eq!(r["limits"]["max_keys"], "500");
    let (_, _, xml) = get(&s.url("/api/1.5/system/get_limits.php")).await;
    assert!(
        xml.contains("<limits><max_objects>6000</max_objects>"),
        "{xml}"
    );
}

#[tokio::test]
async fn info_status_and_media() {
    let s = TestServer::start().await;
    let info = sys(&s, "get_info", "").await;
    assert_eq!(info["max_keys"], "500");
    assert!(info["viewable"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "pdf"));
    assert!(info["editable"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "txt"));
    assert_eq!(info["terms_of_service"]["revision"], "1.0");

    let status = sys(&s, "get_status", "").await;
    assert_eq!(status["database"], "1");

    let mime = sys(&s, "get_mime_types", "").await;
    let list = mime["mime_types"].as_array().unwrap();
    let jpg = list.iter().find(|m| m["extension"] == "jpg").unwrap();
    assert_eq!(jpg["mimetype"], "image/jpeg");
    assert_eq!(jpg["type"], "image");
    let (_, _, xml) = get(&s.url("/api/1.5/system/get_mime_types.php")).await;
    assert!(
        xml.contains("<mime_types><mime_type><extension>7z</extension>"),
        "{xml}"
    );

    let sup = sys(&s, "get_supported_media", "").await;
    assert!(sup["viewable"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "pdf"));
    let grouped = sys(&s, "get_supported_media", "&group_by_filetype=yes").await;
    assert!(grouped["viewable"]["document"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "pdf"));
    let ed = sys(&s, "get_editable_media", "").await;
    assert!(ed["editable"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "py"));
    let (status, _, body) = get(&s.url(
        "/api/1.5/system/get_editable_media.php?response_format=json&group_by_filetype=maybe",
    ))
    .await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (400, Some(129))
    );
}
