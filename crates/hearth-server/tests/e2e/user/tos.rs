//! user/fetch_tos and accept_tos.

use crate::harness::{code, TestServer};

#[tokio::test]
async fn accept_the_terms_with_the_token() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let v = c.call("user/fetch_tos", &[]).await.unwrap();
    let t = &v["response"]["terms_of_service"];
    assert_eq!(t["user_accepted_terms"], "no");
    assert_eq!(t["revision"], "1.0");
    let token = t["acceptance_token"].as_str().unwrap().to_string();
    assert_eq!(
        code(
            c.call("user/accept_tos", &[("acceptance_token", "nope")])
                .await
        ),
        160
    );
    assert_eq!(code(c.call("user/accept_tos", &[]).await), 128);
    c.call("user/accept_tos", &[("acceptance_token", &token)])
        .await
        .unwrap();
    let v = c.call("user/fetch_tos", &[]).await.unwrap();
    assert_eq!(
        v["response"]["terms_of_service"]["user_accepted_terms"],
        "yes"
    );
    assert!(v["response"]["terms_of_service"]
        .get("acceptance_token")
        .is_none());
}
