//! file/recently_modified: the caller's live files, most recently changed first.

use super::{alice, bob, fails, put, xml};
use crate::harness::TestServer;

#[tokio::test]
async fn newest_first_with_a_limit() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let mut keys = Vec::new();
    for i in 0..12 {
        keys.push(put(&s, uid, &format!("f{i}.txt"), b"x").await.quickkey);
    }
    let c = s.login(2).await;
    // Change the oldest; trash the newest.
    c.call(
        "file/update",
        &[("quick_key", &keys[0]), ("description", "touched")],
    )
    .await
    .unwrap();
    c.call("file/delete", &[("quick_key", &keys[11])])
        .await
        .unwrap();

    let list = |v: serde_json::Value| -> Vec<String> {
        v["response"]["quickkeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    let v = c.call("file/recently_modified", &[]).await.unwrap();
    let got = list(v);
    let mut want = vec![keys[0].clone()];
    want.extend(keys[1..11].iter().rev().cloned());
    want.truncate(10);
    assert_eq!(got, want, "default 10, newest first, trash left out");

    let got = list(
        c.call("file/recently_modified", &[("number_of_files", "2")])
            .await
            .unwrap(),
    );
    assert_eq!(got, [keys[0].clone(), keys[10].clone()]);
    let got = list(
        c.call("file/recently_modified", &[("number_of_files", "500")])
            .await
            .unwrap(),
    );
    assert_eq!(got.len(), 11, "capped at 100, 11 live files");

    for bad in ["0", "-3", "many"] {
        assert_eq!(
            fails(&c, "file/recently_modified", &[("number_of_files", bad)]).await,
            (
                400,
                129,
                "One or more parameters for this request are invalid".into()
            )
        );
    }
    let (status, body) = xml(&c, "file/recently_modified", &[("number_of_files", "1")]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(
            "<quickkeys><quickkey>{}</quickkey></quickkeys>",
            keys[0]
        )),
        "{body}"
    );

    // Another account sees only its own files.
    let (b, _) = bob(&s).await;
    let v = b.call("file/recently_modified", &[]).await.unwrap();
    assert_eq!(v["response"]["quickkeys"], serde_json::json!([]));
    let (_, body) = xml(&b, "file/recently_modified", &[]).await;
    assert!(body.contains("<quickkeys/>"), "{body}");
}
