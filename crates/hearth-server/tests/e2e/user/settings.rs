//! user/get_settings and set_settings.

use crate::harness::{code, TestServer};

#[tokio::test]
async fn settings_round_trip_and_validation() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let v = c.call("user/get_settings", &[]).await.unwrap();
    let st = &v["response"]["settings"];
    assert_eq!(st["previous_file_versions"], "5");
    assert_eq!(st["default_share_link_status"], "enabled");
    assert_eq!(st["share_link_status"], "enabled");
    assert_eq!(st["show_download_page"]["me_from_me"], "no");
    c.call(
        "user/set_settings",
        &[("previous_file_versions", "2"), ("collect_metadata", "no")],
    )
    .await
    .unwrap();
    let st = c.call("user/get_settings", &[]).await.unwrap()["response"]["settings"].clone();
    assert_eq!(
        (
            st["previous_file_versions"].as_str(),
            st["collect_metadata"].as_str()
        ),
        (Some("2"), Some("no"))
    );
    assert_eq!(code(c.call("user/set_settings", &[]).await), 128);
    assert_eq!(
        code(
            c.call(
                "user/set_settings",
                &[
                    ("previous_file_versions", "2"),
                    ("default_share_link_status", "maybe")
                ]
            )
            .await
        ),
        129
    );
    let st = c.call("user/get_settings", &[]).await.unwrap()["response"]["settings"].clone();
    assert_eq!(
        st["default_share_link_status"], "enabled",
        "a refused call changes nothing"
    );
}
