//! The file calls Hearth does not serve yet answer 253 with HTTP 404, never a fake success.

use super::{alice, put};
use crate::harness::TestServer;

#[tokio::test]
async fn unserved_calls_are_253() {
    let s = TestServer::start().await;
    let f = put(&s, alice(&s).await, "a.txt", b"a").await;
    let c = s.login(1).await;
    for action in ["file/set_artwork"] {
        let r = c
            .call_raw(action, &[("quick_key", &f.quickkey)])
            .await
            .unwrap();
        let body = r.text();
        assert_eq!(r.status, 404, "{action}: {body}");
        assert!(body.contains("\"error\":253"), "{action}: {body}");
    }
}
