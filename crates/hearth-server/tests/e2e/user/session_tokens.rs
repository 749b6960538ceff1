//! user/get_session_token, renew_session_token, upgrade_session_token.

use crate::harness::{code, get, TestServer, APP_ID, EMAIL, PASSWORD};
use hearth_api::signature::login_signature;

#[tokio::test]
async fn login_answers_in_xml_with_every_field() {
    let s = TestServer::start().await;
    let sig = login_signature(&[EMAIL.as_bytes(), PASSWORD.as_bytes(), APP_ID.as_bytes()]);
    let q = hearth_client::encode(&[
        ("email", EMAIL),
        ("password", PASSWORD),
        ("application_id", APP_ID),
        ("signature", &sig),
        ("token_version", "2"),
    ]);
    let (status, ct, body) = get(&s.url(&format!("/api/1.4/user/get_session_token.php?{q}"))).await;
    assert_eq!((status, ct.as_str()), (200, "text/xml"));
    for field in [
        "<session_token>",
        "<secret_key>",
        "<time>",
        "<ekey>",
        "<pkey>",
        "<result>Success</result>",
    ] {
        assert!(body.contains(field), "{field} in {body}");
    }
    assert!(!body.contains("new_key"), "a login never rotates");
    // v1: no secret_key, no time.
    let q = hearth_client::encode(&[
        ("email", EMAIL),
        ("password", PASSWORD),
        ("application_id", APP_ID),
        ("signature", &sig),
    ]);
    let (_, _, body) = get(&s.url(&format!("/api/1.5/user/get_session_token.php?{q}"))).await;
    assert!(
        body.contains("<session_token>") && !body.contains("<secret_key>"),
        "{body}"
    );
}

#[tokio::test]
async fn upgrade_turns_v1_into_v2_and_refuses_v2() {
    let s = TestServer::start().await;
    let v1 = s.login(1).await;
    let v = v1.call("user/upgrade_session_token", &[]).await.unwrap();
    let r = &v["response"];
    let v2 = s.client();
    v2.set_session(Some(hearth_client::Session {
        token: r["session_token"].as_str().unwrap().to_string(),
        secret_key: r["secret_key"].as_str().unwrap().parse().ok(),
        time: r["time"].as_str().map(str::to_string),
    }));
    v2.call("user/get_info", &[]).await.unwrap();
    v2.call("user/get_info", &[]).await.unwrap();
    assert_eq!(code(v2.call("user/upgrade_session_token", &[]).await), 252);
    // The v1 token still works.
    v1.call("user/get_info", &[]).await.unwrap();
}

#[tokio::test]
async fn renew_keeps_the_token_and_rotates_v2() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let v = c.call("user/renew_session_token", &[]).await.unwrap();
    assert_eq!(v["response"]["new_key"], "yes");
    assert_eq!(
        v["response"]["session_token"],
        c.session().unwrap().token.as_str()
    );
    c.call("user/get_info", &[]).await.unwrap();
}
