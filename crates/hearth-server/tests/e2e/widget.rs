//! The login widget: the script, the popup page, and the token it hands to the opener.

use crate::harness::{get, TestServer, EMAIL, PASSWORD};

const ORIGIN: &str = "https://app.example";

async fn post_form(url: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(hearth_client::encode(fields))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The token the success page posts to the opener.
fn posted_token(page: &str) -> String {
    let start = page.find("var t=\"").expect("token literal") + "var t=\"".len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn the_script_targets_this_server() {
    let s = TestServer::start().await;
    let (status, ct, js) = get(&s.url("/auth/mediafire_login.js")).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/javascript"), "{ct}");
    assert!(
        js.contains(&format!("var ORIGIN = \"{}\";", s.base)),
        "{js}"
    );
    assert!(js.contains("MF.login") && js.contains("event.origin !== ORIGIN"));
}

#[tokio::test]
async fn sign_in_hands_a_working_v1_token_to_the_allowed_origin_only() {
    let s = TestServer::start().await;
    let page = s.url("/auth/mediafire_login.php");
    let (status, _, form) = get(&format!(
        "{page}?app_id=42709&origin={}",
        "https%3A%2F%2Fapp.example"
    ))
    .await;
    assert_eq!(status, 200);
    assert!(
        form.contains("name=\"password\"") && form.contains("value=\"https://app.example\""),
        "{form}"
    );

    let (status, body) = post_form(
        &page,
        &[
            ("app_id", "42709"),
            ("origin", ORIGIN),
            ("email", EMAIL),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("wrong") && !body.contains("var t="), "{body}");

    let (status, body) = post_form(
        &page,
        &[
            ("app_id", "42709"),
            ("origin", ORIGIN),
            ("email", EMAIL),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("window.opener.postMessage(t,\"https://app.example\")"),
        "{body}"
    );
    let token = posted_token(&body);
    // A version-1 token: used unsigned, as the JS SDK does after a widget login.
    let (status, _, info) = get(&s.url(&format!(
        "/api/1.5/user/get_info.php?response_format=json&session_token={token}"
    )))
    .await;
    assert_eq!(status, 200, "{info}");
    assert!(info.contains(EMAIL));

    // Another origin never gets a token, nor even the form.
    let (status, body) = post_form(
        &page,
        &[
            ("app_id", "42709"),
            ("origin", "https://evil.example"),
            ("email", EMAIL),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(!body.contains("var t="));
    let (status, _, _) = get(&format!(
        "{page}?app_id=42709&origin=https%3A%2F%2Fevil.example"
    ))
    .await;
    assert_eq!(status, 403);

    // Unknown application.
    let (status, body) = post_form(
        &page,
        &[
            ("app_id", "999"),
            ("origin", ORIGIN),
            ("email", EMAIL),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("Unknown application"), "{body}");
}

#[tokio::test]
async fn the_page_escapes_what_it_echoes_and_cannot_be_framed() {
    let s = TestServer::with_settings(|_| {}).await;
    let r = reqwest::get(s.url(
        "/auth/mediafire_login.php?app_id=%22%3E%3Cscript%3E&origin=https%3A%2F%2Fapp.example",
    ))
    .await
    .unwrap();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"&quot;&gt;&lt;script&gt;\""),
        "{body}"
    );
}
