//! One port serving both TLS and plain HTTP.

use hearth_server::TlsMode;

use crate::harness::TestServer;

#[tokio::test]
async fn tls_and_plain_http_on_the_same_port() {
    let s = TestServer::start_with(
        |_| {},
        TlsMode::SelfSigned {
            cert_out: Default::default(),
        },
    )
    .await;
    let port = s.addr.port();
    let cert = reqwest::Certificate::from_pem(&std::fs::read(s.cert_path()).unwrap()).unwrap();
    let tls = reqwest::Client::builder()
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let r = tls
        .get(format!(
            "https://127.0.0.1:{port}/api/1.5/system/get_version.php?response_format=json"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = tls
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = reqwest::get(format!(
        "http://127.0.0.1:{port}/api/1.5/system/get_version.php?response_format=json"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // mediafire-shell's pattern: log in over https, then call over http with the same token.
    let c = hearth_client::Client::with_http(&format!("https://127.0.0.1:{port}"), tls);
    c.login(
        crate::harness::APP_ID,
        None,
        crate::harness::EMAIL,
        crate::harness::PASSWORD,
        2,
    )
    .await
    .unwrap();
    let plain = hearth_client::Client::new(&format!("http://127.0.0.1:{port}"));
    plain.set_session(c.session());
    plain.call("user/get_info", &[]).await.unwrap();
}
