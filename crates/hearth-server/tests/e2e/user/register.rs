//! user/register: off by default; on, it validates and creates accounts.

use crate::harness::{code, TestServer, APP_ID};

#[tokio::test]
async fn registration_is_off_by_default() {
    let s = TestServer::start().await;
    let c = s.client();
    let r = c
        .send_unsigned(
            "user/register",
            &[
                ("application_id", APP_ID),
                ("email", "new@example.com"),
                ("password", "pw"),
                ("response_format", "json"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.json().unwrap()["response"]["error"].as_u64()),
        (403, Some(114))
    );
    assert!(s
        .core
        .user_by_email("new@example.com")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn registration_when_allowed() {
    let s = TestServer::with_settings(|st| st.allow_registration = true).await;
    let c = s.client();
    let reg = |email: &'static str, pw: &'static str| {
        let c = &c;
        async move {
            let r = c
                .send_unsigned(
                    "user/register",
                    &[
                        ("application_id", APP_ID),
                        ("email", email),
                        ("password", pw),
                        ("first_name", "N"),
                        ("response_format", "json"),
                    ],
                )
                .await
                .unwrap();
            hearth_client::envelope(&r)
        }
    };
    let v = reg("New@Example.com", "pw").await.unwrap();
    assert_eq!(v["response"]["email"], "new@example.com");
    assert_eq!(v["response"]["pkey"].as_str().unwrap().len(), 10);
    assert!(v["response"]["created_utc"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(code(reg("new@example.com", "pw").await), 120);
    assert_eq!(code(reg("no-at-sign", "pw").await), 122);
    assert_eq!(code(reg("x@y.z", "").await), 128);
    c.login(APP_ID, None, "new@example.com", "pw", 1)
        .await
        .unwrap();
}
