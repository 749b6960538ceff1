//! user/get_avatar and set_avatar (set_default, remove).

use crate::harness::{code, TestServer};

#[tokio::test]
async fn set_default_get_and_remove() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    assert_eq!(code(c.call("user/get_avatar", &[]).await), 230);
    c.call("user/set_avatar", &[("action", "set_default")])
        .await
        .unwrap();
    let v = c.call("user/get_avatar", &[]).await.unwrap();
    let url = v["response"]["avatar"].as_str().unwrap().to_string();
    assert_eq!(url, format!("{}/avatar/default.png", s.base));
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    c.call("user/set_avatar", &[("action", "remove")])
        .await
        .unwrap();
    assert_eq!(code(c.call("user/get_avatar", &[]).await), 230);
    assert_eq!(code(c.call("user/set_avatar", &[]).await), 128);
    assert_eq!(
        code(c.call("user/set_avatar", &[("action", "explode")]).await),
        129
    );
    assert_eq!(
        code(
            c.call("user/set_avatar", &[("quick_key", "abcdefghijklmno")])
                .await
        ),
        110
    );
}
