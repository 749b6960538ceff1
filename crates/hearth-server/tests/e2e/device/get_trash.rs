//! device/get_trash: the top of the trash, in chunks.

use serde_json::Value;

use super::Owner;
use crate::harness::{code, TestServer, APP_ID, EMAIL};

fn keys(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| e[key].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_empty_trash() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let v = c.call("device/get_trash", &[]).await.unwrap();
    let r = &v["response"];
    assert_eq!(r["action"], "device/get_trash");
    assert_eq!(r["folderkey"], "trash");
    assert_eq!(r["chunk_number"], "1");
    assert_eq!(r["chunk_size"], "100");
    assert_eq!(r["more_chunks"], "no");
    assert_eq!(r["folders"], serde_json::json!([]));
    assert_eq!(r["files"], serde_json::json!([]));
    assert!(r.get("content_type").is_none());
}

#[tokio::test]
async fn lists_what_was_deleted_not_what_it_held() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let alice = Owner::of(&s, EMAIL).await;
    let me = &alice.caller;
    let (a, _) = alice.folder(&s, None, "A").await;
    let (b, _) = alice.folder(&s, None, "B").await;
    let (inner, _) = alice.folder(&s, Some(&a), "inner").await;
    let (in_a, _) = alice.file(&s, Some(&a), "in_a.txt", b"1").await;
    let (f1, _) = alice.file(&s, None, "f1.txt", b"22").await;
    let (f2, _) = alice.file(&s, None, "f2.txt", b"333").await;
    let (f3, _) = alice.file(&s, Some(&b), "f3.txt", b"4444").await;
    let (live, _) = alice.file(&s, None, "live.txt", b"5").await;
    // Deleted in this order; the trash lists the latest deletion first.
    s.core.delete_files(me, &[&f1]).await.unwrap();
    s.core.delete_folders(me, &[&a]).await.unwrap();
    s.core.delete_files(me, &[&f2]).await.unwrap();
    s.core.delete_files(me, &[&f3]).await.unwrap();
    s.core.delete_folders(me, &[&b]).await.unwrap();

    let v = c.call("device/get_trash", &[]).await.unwrap();
    let r = &v["response"];
    assert_eq!(keys(&r["folders"], "folderkey"), [b.clone(), a.clone()]);
    assert_eq!(
        keys(&r["files"], "quickkey"),
        [f3.clone(), f2.clone(), f1.clone()]
    );
    assert_eq!(r["more_chunks"], "no");
    for e in r["files"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["folders"].as_array().unwrap())
    {
        assert_eq!(e["delete_date"].as_str().unwrap().len(), 19, "{e}");
    }
    assert_eq!(r["files"][2]["filename"], "f1.txt");
    assert_eq!(r["files"][2]["size"], "2");
    assert_eq!(r["folders"][1]["name"], "A");
    let all = r.to_string();
    for hidden in [&inner, &in_a, &live] {
        assert!(!all.contains(hidden.as_str()), "{hidden} listed: {all}");
    }

    // content_type picks one list; the other stays an empty list.
    let v = c
        .call("device/get_trash", &[("content_type", "files")])
        .await
        .unwrap();
    assert_eq!(v["response"]["content_type"], "files");
    assert_eq!(v["response"]["folders"], serde_json::json!([]));
    assert_eq!(keys(&v["response"]["files"], "quickkey").len(), 3);
    let v = c
        .call("device/get_trash", &[("content_type", "folders")])
        .await
        .unwrap();
    assert_eq!(v["response"]["files"], serde_json::json!([]));
    assert_eq!(
        keys(&v["response"]["folders"], "folderkey"),
        [b.clone(), a.clone()]
    );

    // Chunks of 2: 0 means the first chunk.
    for first in ["0", "1"] {
        let v = c
            .call("device/get_trash", &[("chunk", first), ("chunk_size", "2")])
            .await
            .unwrap();
        let r = &v["response"];
        assert_eq!(r["chunk_number"], "1");
        assert_eq!(r["chunk_size"], "2");
        assert_eq!(r["more_chunks"], "yes");
        assert_eq!(keys(&r["files"], "quickkey"), [f3.clone(), f2.clone()]);
        assert_eq!(keys(&r["folders"], "folderkey"), [b.clone(), a.clone()]);
    }
    let v = c
        .call("device/get_trash", &[("chunk", "2"), ("chunk_size", "2")])
        .await
        .unwrap();
    let r = &v["response"];
    assert_eq!(r["chunk_number"], "2");
    assert_eq!(r["more_chunks"], "no");
    assert_eq!(keys(&r["files"], "quickkey"), [f1.clone()]);
    assert_eq!(r["folders"], serde_json::json!([]));
    // Only folders asked for: two folders fill the chunk exactly, nothing more.
    let v = c
        .call(
            "device/get_trash",
            &[("chunk_size", "2"), ("content_type", "folders")],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["more_chunks"], "no");
    let v = c
        .call("device/get_trash", &[("chunk", "9"), ("chunk_size", "2")])
        .await
        .unwrap();
    assert_eq!(v["response"]["more_chunks"], "no");
    assert_eq!(v["response"]["files"], serde_json::json!([]));

    // Another user's trash is empty, whatever alice deleted.
    s.core
        .create_user("bob@example.com", "bob password", "Bob", "B", false)
        .await
        .unwrap();
    let bob = s.client();
    bob.login(APP_ID, None, "bob@example.com", "bob password", 2)
        .await
        .unwrap();
    let v = bob.call("device/get_trash", &[]).await.unwrap();
    assert_eq!(v["response"]["files"], serde_json::json!([]));
    assert_eq!(v["response"]["folders"], serde_json::json!([]));
}

#[tokio::test]
async fn bad_parameters() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    for (k, v) in [
        ("content_type", "all"),
        ("chunk", "-1"),
        ("chunk", "x"),
        ("chunk_size", "0"),
        ("chunk_size", "1001"),
        ("chunk_size", "-5"),
        ("data_only", "perhaps"),
    ] {
        assert_eq!(
            code(c.call("device/get_trash", &[(k, v)]).await),
            129,
            "{k}={v}"
        );
    }
    assert_eq!(
        code(c.call("device/get_trash", &[("device_id", "2")]).await),
        141
    );
    c.call("device/get_trash", &[("chunk_size", "1000")])
        .await
        .unwrap();
    let v = c
        .call("device/get_trash", &[("data_only", "yes")])
        .await
        .unwrap();
    assert_eq!(v["response"]["folderkey"], "trash");
    assert!(v["response"].get("files").is_none());
}

#[tokio::test]
async fn xml_answer() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let alice = Owner::of(&s, EMAIL).await;
    let (q, _) = alice.file(&s, None, "gone.txt", b"x").await;
    s.core.delete_files(&alice.caller, &[&q]).await.unwrap();
    let r = c
        .call_raw(
            "device/get_trash",
            &[("response_format", "xml"), ("content_type", "files")],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let body = r.text();
    assert!(
        body.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><action>device/get_trash</action>\
             <folderkey>trash</folderkey><name>Trash</name><content_type>files</content_type>\
             <chunk_size>100</chunk_size><chunk_number>1</chunk_number><more_chunks>no</more_chunks>\
             <folders/><files><file>"
        ),
        "{body}"
    );
    assert!(
        body.contains(&format!("<quickkey>{q}</quickkey>")),
        "{body}"
    );
    assert!(body.contains("<filename>gone.txt</filename>"), "{body}");
    assert!(body.contains("<delete_date>"), "{body}");
    assert!(body.ends_with(
        "</file></files><result>Success</result><current_api_version>1.5</current_api_version></response>"
    ));
}
