//! The wire contract under bad input: every refusal is a MediaFire error in an envelope,
//! never a panic, and nothing stored changes.

use crate::harness::{get, json, post, TestServer};

async fn user_count(s: &TestServer) -> usize {
    s.core.list_users().await.unwrap().len()
}

#[tokio::test]
async fn a_2_mib_parameter_in_a_post_body_is_129() {
    let s = TestServer::start().await;
    let before = user_count(&s).await;
    let body = format!(
        "response_format=json&email=x@y.z&password={}",
        "a".repeat(2 << 20)
    );
    let (status, ct, text) = post(
        &s.url("/api/1.5/user/register.php?response_format=json"),
        body,
    )
    .await;
    assert_eq!((status, ct.as_str()), (400, "application/json"));
    assert_eq!(json(&text)["response"]["error"], 129);
    assert_eq!(user_count(&s).await, before);
}

#[tokio::test]
async fn invalid_percent_encoding_is_129_in_query_and_body() {
    let s = TestServer::start().await;
    let (status, _, text) =
        get(&s.url("/api/1.5/system/get_version.php?response_format=json&x=%FF")).await;
    assert_eq!(status, 400);
    assert_eq!(json(&text)["response"]["error"], 129);
    let (status, _, text) = post(
        &s.url("/api/1.5/system/get_version.php?response_format=json"),
        "x=%FF",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(json(&text)["response"]["error"], 129);
    // XML by default, still an envelope.
    let (status, ct, text) = get(&s.url("/api/1.5/system/get_version.php?a=%C3")).await;
    assert_eq!((status, ct.as_str()), (400, "text/xml"));
    assert!(text.contains("<error>129</error>"), "{text}");
}

#[tokio::test]
async fn doubled_value_less_and_unknown_parameters_are_tolerated() {
    let s = TestServer::start().await;
    // The last occurrence wins: the doubled response_format asks for JSON.
    let (status, ct, _) = get(&s.url("/api/1.5/system/get_version.php?response_format=xml&response_format=json&1452541234567&r=abc&version=1.5&empty=")).await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    // The body wins over the query.
    let (status, ct, _) = post(
        &s.url("/api/1.5/system/get_version.php?response_format=xml"),
        "response_format=json&&=&x",
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
}

#[tokio::test]
async fn a_100_kib_query_string_is_refused_by_the_http_layer() {
    // Documented in docs/api-quirks.md: the HTTP layer refuses URIs over ~64 KiB with a bare
    // status before any Hearth code runs; POST bodies are the way to send large parameters.
    let s = TestServer::start().await;
    // reqwest refuses to build such a URL, so speak HTTP/1.1 by hand.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let request = format!(
        "GET /api/1.5/system/get_version.php?x={} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer).await;
    let head = String::from_utf8_lossy(&answer[..answer.len().min(40)]).to_string();
    assert!(
        head.starts_with("HTTP/1.1 400")
            || head.starts_with("HTTP/1.1 414")
            || head.starts_with("HTTP/1.1 431"),
        "{head}"
    );
    // The server is still there.
    let (status, _, _) = get(&s.url("/api/1.5/system/get_version.php")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unsupported_methods_and_other_paths() {
    let s = TestServer::start().await;
    let r = reqwest::Client::new()
        .delete(s.url("/api/1.5/system/get_version.php?response_format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(json(&r.text().await.unwrap())["response"]["error"], 129);
    let (status, _, _) = get(&s.url("/nothing-here")).await;
    assert_eq!(status, 404);
    let (status, _, body) = get(&s.url("/healthz")).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
}

#[tokio::test]
async fn multipart_fields_are_parameters() {
    let s = TestServer::start().await;
    let form = reqwest::multipart::Form::new().text("response_format", "json");
    let r = reqwest::Client::new()
        .post(s.url("/api/1.5/system/get_version.php"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let s = TestServer::start().await;
    let c = reqwest::Client::new();
    let r = c
        .get(s.url("/api/1.5/system/get_version.php"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let r = c
        .get(s.url("/api/1.5/system/get_version.php"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}
