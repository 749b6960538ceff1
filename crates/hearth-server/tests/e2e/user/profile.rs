//! user/get_info, get_limits, update, get_devices.

use crate::harness::{code, get, TestServer, APP_ID, EMAIL, PASSWORD};

#[tokio::test]
async fn get_info_and_limits_in_both_formats() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let v = c.call("user/get_info", &[]).await.unwrap();
    let u = &v["response"]["user_info"];
    assert_eq!(u["email"], EMAIL);
    assert_eq!(u["first_name"], "Alice");
    assert_eq!(u["display_name"], "Alice Liddell");
    assert_eq!(u["storage_limit"], (50u64 << 30).to_string());
    assert_eq!(u["used_storage_size"], "0");
    assert_eq!(u["facebook"]["linked"], "no");
    assert_eq!(u["ekey"].as_str().unwrap().len(), 32);
    let token = c.session().unwrap().token;
    let (status, ct, xml) =
        get(&s.url(&format!("/api/1.5/user/get_info.php?session_token={token}"))).await;
    assert_eq!((status, ct.as_str()), (200, "text/xml"));
    assert!(
        xml.contains(&format!(
            "<user_info><ekey>{}</ekey><email>{EMAIL}</email>",
            u["ekey"].as_str().unwrap()
        )),
        "{xml}"
    );

    let l = c.call("user/get_limits", &[]).await.unwrap();
    assert_eq!(l["response"]["storage_limit"], (50u64 << 30).to_string());
    assert_eq!(l["response"]["storage_used"], "0");

    s.core
        .set_quota(s.core.user_by_email(EMAIL).await.unwrap().unwrap().id, 1234)
        .await
        .unwrap();
    let l = c.call("user/get_limits", &[]).await.unwrap();
    assert_eq!(l["response"]["storage_limit"], "1234");

    let d = c.call("user/get_devices", &[]).await.unwrap();
    assert_eq!(d["response"]["devices"], serde_json::json!([]));
}

#[tokio::test]
async fn update_profile_fields_and_validation() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    c.call(
        "user/update",
        &[
            ("first_name", "Al"),
            ("location", "Oxford"),
            ("gender", "female"),
            ("birth_date", "1852-05-04"),
        ],
    )
    .await
    .unwrap();
    let u = c.call("user/get_info", &[]).await.unwrap()["response"]["user_info"].clone();
    assert_eq!(
        (
            u["first_name"].as_str(),
            u["location"].as_str(),
            u["gender"].as_str(),
            u["birth_date"].as_str()
        ),
        (
            Some("Al"),
            Some("Oxford"),
            Some("female"),
            Some("1852-05-04")
        )
    );
    assert_eq!(
        code(c.call("user/update", &[("gender", "robot")]).await),
        129
    );
    assert_eq!(
        code(c.call("user/update", &[("birth_date", "1852-13-40")]).await),
        116
    );
    assert_eq!(code(c.call("user/update", &[]).await), 128);
    assert_eq!(
        code(c.call("user/update", &[("email", "new@example.com")]).await),
        128,
        "needs current_password"
    );
    assert_eq!(
        code(
            c.call(
                "user/update",
                &[("email", "new@example.com"), ("current_password", "nope")]
            )
            .await
        ),
        107
    );
    assert_eq!(
        code(
            c.call(
                "user/update",
                &[("email", "no-at-sign"), ("current_password", PASSWORD)]
            )
            .await
        ),
        122
    );
    assert_eq!(
        code(
            c.call(
                "user/update",
                &[("email", "a@b"), ("current_password", PASSWORD)]
            )
            .await
        ),
        216
    );
    s.core
        .create_user("taken@example.com", "x", "", "", false)
        .await
        .unwrap();
    assert_eq!(
        code(
            c.call(
                "user/update",
                &[
                    ("email", "taken@example.com"),
                    ("current_password", PASSWORD)
                ]
            )
            .await
        ),
        120
    );
    c.call(
        "user/update",
        &[
            ("email", "alice2@example.com"),
            ("current_password", PASSWORD),
        ],
    )
    .await
    .unwrap();
    s.client()
        .login(APP_ID, None, "alice2@example.com", PASSWORD, 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_and_changes_the_pkey() {
    let s = TestServer::start().await;
    let this = s.login(2).await;
    let other = s.login(1).await;
    let before = s.core.user_by_email(EMAIL).await.unwrap().unwrap().pkey;
    this.call(
        "user/update",
        &[("password", "new secret"), ("current_password", PASSWORD)],
    )
    .await
    .unwrap();
    assert_ne!(
        s.core.user_by_email(EMAIL).await.unwrap().unwrap().pkey,
        before
    );
    assert_eq!(code(other.call("user/get_info", &[]).await), 105);
    this.call("user/get_info", &[]).await.unwrap();
    assert_eq!(
        code(s.client().login(APP_ID, None, EMAIL, PASSWORD, 1).await),
        107
    );
    s.client()
        .login(APP_ID, None, EMAIL, "new secret", 1)
        .await
        .unwrap();
}
