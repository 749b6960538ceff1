//! device/get_status.

use hearth_client::Transport;

use super::Owner;
use crate::harness::{code, TestServer, EMAIL};

#[tokio::test]
async fn the_revision_counts_the_mutations() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let alice = Owner::of(&s, EMAIL).await;
    let status = |v: serde_json::Value| v["response"]["device_revision"].clone();
    assert_eq!(status(c.call("device/get_status", &[]).await.unwrap()), "0");

    let (a, _) = alice.folder(&s, None, "A").await;
    let (q, _) = alice.file(&s, Some(&a), "a.txt", b"hi").await;
    assert_eq!(status(c.call("device/get_status", &[]).await.unwrap()), "2");
    s.core.delete_files(&alice.caller, &[&q]).await.unwrap();
    s.core.delete_folders(&alice.caller, &[&a]).await.unwrap();
    s.core.purge_folders(&alice.caller, &[&a]).await.unwrap();
    assert_eq!(status(c.call("device/get_status", &[]).await.unwrap()), "5");
    // A refused mutation changes nothing.
    assert_eq!(
        s.core
            .delete_folders(&alice.caller, &[&a])
            .await
            .unwrap_err()
            .code,
        112
    );
    let v = c.call("device/get_status", &[]).await.unwrap();
    assert_eq!(status(v), "5");
    assert_eq!(alice.revision(&s).await, 5);
}

#[tokio::test]
async fn full_and_simple_reports_in_json() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let v = c.call("device/get_status", &[]).await.unwrap();
    let r = &v["response"];
    assert_eq!(r["action"], "device/get_status");
    assert_eq!(r["device_revision"], "0");
    assert_eq!(r["async_jobs_in_progress"], "no");
    assert_eq!(r["async_job_types"], serde_json::json!([]));
    assert_eq!(r["new_key"], "yes");

    for simple in ["yes", "true", "1", "YES"] {
        let v = c
            .call("device/get_status", &[("simple_report", simple)])
            .await
            .unwrap();
        let r = &v["response"];
        assert_eq!(r["device_revision"], "0");
        assert_eq!(r["async_jobs_in_progress"], "no", "{simple}");
        assert!(r.get("async_job_types").is_none(), "{simple}: {r}");
    }
    for full in ["no", "false", "0", ""] {
        let v = c
            .call("device/get_status", &[("simple_report", full)])
            .await
            .unwrap();
        assert_eq!(v["response"]["async_job_types"], serde_json::json!([]));
    }
    assert_eq!(
        code(
            c.call("device/get_status", &[("simple_report", "maybe")])
                .await
        ),
        129
    );
}

#[tokio::test]
async fn xml_answer() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let alice = Owner::of(&s, EMAIL).await;
    alice.folder(&s, None, "A").await;
    let r = c
        .call_raw("device/get_status", &[("response_format", "xml")])
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "text/xml");
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><action>device/get_status</action>\
         <device_revision>1</device_revision><async_jobs_in_progress>no</async_jobs_in_progress>\
         <async_job_types/><result>Success</result><current_api_version>1.5</current_api_version>\
         </response>"
    );
}

#[tokio::test]
async fn devices_and_tokens() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    c.call("device/get_status", &[("device_id", "0")])
        .await
        .unwrap();
    c.call("device/get_status", &[("device_id", "")])
        .await
        .unwrap();
    let r = c
        .call_raw("device/get_status", &[("device_id", "7")])
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.json().unwrap()["response"]["error"], 141);
    assert_eq!(
        code(c.call("device/get_status", &[("device_id", "x")]).await),
        129
    );
    // Errors did not rotate the key: the client still signs correctly.
    c.call("device/get_status", &[]).await.unwrap();

    let anonymous = s.client().transport(Transport::Get);
    assert_eq!(code(anonymous.call("device/get_status", &[]).await), 104);
}
