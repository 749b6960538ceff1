//! user/get_action_token and destroy_action_token.

use crate::harness::{code, get, json, TestServer};

#[tokio::test]
async fn action_tokens_are_unsigned_typed_and_destroyable() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let v = c
        .call(
            "user/get_action_token",
            &[("type", "upload"), ("lifespan", "60")],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["new_key"], "yes");
    let token = v["response"]["action_token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 160);
    // Not a session token for ordinary calls.
    let (status, _, body) = get(&s.url(&format!(
        "/api/1.5/user/get_info.php?response_format=json&session_token={token}"
    )))
    .await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (403, Some(105))
    );
    assert_eq!(code(c.call("user/get_action_token", &[]).await), 128);
    assert_eq!(
        code(c.call("user/get_action_token", &[("type", "video")]).await),
        129
    );
    assert_eq!(
        code(
            c.call(
                "user/get_action_token",
                &[("type", "image"), ("lifespan", "-3")]
            )
            .await
        ),
        129
    );
    c.call("user/get_action_token", &[("type", "image")])
        .await
        .unwrap();

    c.call("user/destroy_action_token", &[("action_token", &token)])
        .await
        .unwrap();
    assert_eq!(
        code(
            c.call("user/destroy_action_token", &[("action_token", &token)])
                .await
        ),
        100
    );
    assert_eq!(code(c.call("user/destroy_action_token", &[]).await), 128);
}

#[tokio::test]
async fn another_users_action_token_cannot_be_destroyed() {
    let s = TestServer::start().await;
    s.core
        .create_user("bob@example.com", "bobpass", "", "", false)
        .await
        .unwrap();
    let alice = s.login(1).await;
    let v = alice
        .call("user/get_action_token", &[("type", "upload")])
        .await
        .unwrap();
    let token = v["response"]["action_token"].as_str().unwrap().to_string();
    let bob = s.client();
    bob.login(
        crate::harness::APP_ID,
        None,
        "bob@example.com",
        "bobpass",
        1,
    )
    .await
    .unwrap();
    assert_eq!(
        code(
            bob.call("user/destroy_action_token", &[("action_token", &token)])
                .await
        ),
        100
    );
    alice
        .call("user/destroy_action_token", &[("action_token", &token)])
        .await
        .unwrap();
}

/// Revoking a user's sessions (disabling the account, a password change) revokes their action
/// tokens too: an upload token must not outlive the account's access.
#[tokio::test]
async fn action_tokens_end_with_the_accounts_sessions() {
    let s = TestServer::start().await;
    let uid = crate::file::alice(&s).await;
    let upload_ok = |token: String| {
        let url = s.url(&format!(
            "/api/1.5/upload/check.php?response_format=json&session_token={token}&filename=a.txt"
        ));
        async move {
            let (_, _, body) = get(&url).await;
            json(&body)["response"].clone()
        }
    };
    async fn token(c: &hearth_client::Client) -> String {
        let v = c
            .call("user/get_action_token", &[("type", "upload")])
            .await
            .unwrap();
        v["response"]["action_token"].as_str().unwrap().to_string()
    }
    let t = token(&s.login(2).await).await;
    assert_eq!(upload_ok(t.clone()).await["result"], "Success");
    s.core.set_disabled(uid, true).await.unwrap();
    assert_eq!(upload_ok(t).await["error"], 105);
    s.core.set_disabled(uid, false).await.unwrap();

    let c = s.login(2).await;
    let t = token(&c).await;
    c.call(
        "user/update",
        &[
            ("current_password", crate::harness::PASSWORD),
            ("password", "a new long password"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(upload_ok(t).await["error"], 105);
}
