//! system/get_version on every accepted version path, both formats; bad versions are 253/404.

use crate::harness::{get, json, TestServer};

#[tokio::test]
async fn every_accepted_version_path_answers_in_both_formats() {
    let s = TestServer::start().await;
    let prefixes = [
        "/api/1.0", "/api/1.1", "/api/1.2", "/api/1.3", "/api/1.4", "/api/1.5", "/api/1.6",
        "/api/1.7", "/api",
    ];
    for prefix in prefixes {
        let (status, ct, body) = get(&s.url(&format!(
            "{prefix}/system/get_version.php?response_format=json"
        )))
        .await;
        assert_eq!((status, ct.as_str()), (200, "application/json"), "{prefix}");
        assert_eq!(
            body,
            r#"{"response":{"action":"system/get_version","result":"Success","current_api_version":"1.5"}}"#
        );
        let (status, ct, body) = get(&s.url(&format!("{prefix}/system/get_version.php"))).await;
        assert_eq!((status, ct.as_str()), (200, "text/xml"), "{prefix}");
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><action>system/get_version</action><result>Success</result><current_api_version>1.5</current_api_version></response>"
        );
    }
}

#[tokio::test]
async fn unknown_versions_and_calls_are_253_with_404() {
    let s = TestServer::start().await;
    for path in [
        "/api/1.8/system/get_version.php",
        "/api/2.0/system/get_version.php",
        "/api/1.5/system/get_nothing.php",
        "/api/1.5/nogroup/get_version.php",
        "/api/1.5/system/get_version",
    ] {
        let (status, ct, body) = get(&s.url(&format!("{path}?response_format=json"))).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(ct, "application/json");
        let v = json(&body);
        assert_eq!(v["response"]["error"], 253, "{path}");
        assert_eq!(v["response"]["result"], "Error");
        let (status, ct, body) = get(&s.url(path)).await;
        assert_eq!((status, ct.as_str()), (404, "text/xml"));
        assert!(body.contains("<error>253</error>"), "{body}");
    }
}

#[tokio::test]
async fn a_token_sent_to_a_system_call_is_ignored_and_never_rotates() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let before = c.session().unwrap().secret_key;
    let v = c.call("system/get_version", &[]).await.unwrap();
    assert!(v["response"].get("new_key").is_none(), "{v}");
    assert_eq!(c.session().unwrap().secret_key, before);
    // The key still works for a session call afterwards.
    c.call("user/get_info", &[]).await.unwrap();
}
