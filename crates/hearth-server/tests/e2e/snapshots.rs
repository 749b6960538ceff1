//! Snapshots of the tree calls' envelopes, XML and JSON, with keys and times redacted
//! (`[folderkey]`, `[quickkey]`, `[date]`): a change of field names, order or types shows here.
//! Update on purpose with `INSTA_UPDATE=always cargo test -p hearth-server --test e2e snapshots`.

use hearth_store::blob::put_bytes;

use crate::harness::TestServer;

/// Replaces keys (runs of exactly 13 or 15 characters of `[a-z0-9]`) and dates.
fn redact(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_key_char = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let digits = |s: &[u8], pattern: &str| {
        s.len() >= pattern.len()
            && pattern.bytes().zip(s).all(|(p, c)| {
                if p == b'9' {
                    c.is_ascii_digit()
                } else {
                    p == *c
                }
            })
    };
    while i < b.len() {
        let rest = &b[i..];
        if digits(rest, "9999-99-99T99:99:99Z") {
            out.push_str("[date]");
            i += 20;
            continue;
        }
        if digits(rest, "9999-99-99 99:99:99") {
            out.push_str("[date]");
            i += 19;
            continue;
        }
        if is_key_char(b[i]) && (i == 0 || !is_key_char(b[i - 1])) {
            let len = rest.iter().take_while(|c| is_key_char(**c)).count();
            let bounded = rest
                .get(len)
                .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_');
            if bounded && (len == 13 || len == 15) && !rest[..len].iter().all(u8::is_ascii_digit) {
                out.push_str(if len == 13 {
                    "[folderkey]"
                } else {
                    "[quickkey]"
                });
                i += len;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

#[test]
fn redaction() {
    assert_eq!(
        redact(
            r#"{"folderkey":"ab12cd34ef56g","quickkey":"abcdefghij12345","created":"2026-11-27 03:19:27","x":"2026-11-27T03:19:27Z","name":"myfiles"}"#
        ),
        r#"{"folderkey":"[folderkey]","quickkey":"[quickkey]","created":"[date]","x":"[date]","name":"myfiles"}"#
    );
}

#[tokio::test]
async fn tree_envelopes() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let token = c.session().unwrap().token;
    let call = |action: &'static str, params: Vec<(&'static str, String)>| {
        let s = &s;
        let token = token.clone();
        async move {
            let mut out = String::new();
            for format in ["json", "xml"] {
                let mut q: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                q.push(("session_token", &token));
                q.push(("response_format", format));
                let url = s.url(&format!(
                    "/api/1.5/{action}.php?{}",
                    hearth_client::encode(&q)
                ));
                let r = reqwest::get(url).await.unwrap();
                out.push_str(&format!("{} {}\n", r.status().as_u16(), format));
                out.push_str(&redact(&r.text().await.unwrap()));
                out.push('\n');
            }
            out
        }
    };
    let v = c
        .call("folder/create", &[("foldername", "Photos")])
        .await
        .unwrap();
    let folder = v["response"]["folder_key"].as_str().unwrap().to_string();
    let user = s
        .core
        .user_by_email(crate::harness::EMAIL)
        .await
        .unwrap()
        .unwrap();
    let blob = put_bytes(s.core.blobs().as_ref(), b"hello").await.unwrap();
    let (file, _) = s
        .core
        .add_file(
            user.id,
            hearth_core::tree::Target::Key(&folder),
            "hello.txt",
            &blob.to_hex(),
            5,
            hearth_core::tree::OnDuplicate::Allow,
            None,
        )
        .await
        .unwrap();

    insta::assert_snapshot!(
        "folder_create",
        call("folder/create", vec![("foldername", "Music".into())]).await
    );
    insta::assert_snapshot!(
        "folder_get_info_root",
        call("folder/get_info", vec![]).await
    );
    insta::assert_snapshot!(
        "folder_get_info",
        call("folder/get_info", vec![("folder_key", folder.clone())]).await
    );
    insta::assert_snapshot!(
        "folder_get_content_folders",
        call(
            "folder/get_content",
            vec![("content_type", "folders".into())]
        )
        .await
    );
    insta::assert_snapshot!(
        "folder_get_content_files",
        call(
            "folder/get_content",
            vec![
                ("content_type", "files".into()),
                ("folder_key", folder.clone())
            ]
        )
        .await
    );
    insta::assert_snapshot!(
        "folder_get_content_empty",
        call("folder/get_content", vec![("content_type", "files".into())]).await
    );
    insta::assert_snapshot!(
        "file_get_info",
        call("file/get_info", vec![("quick_key", file.quickkey.clone())]).await
    );
    insta::assert_snapshot!(
        "file_get_info_unknown",
        call(
            "file/get_info",
            vec![("quick_key", "abcdefghij12345".into())]
        )
        .await
    );
    insta::assert_snapshot!(
        "file_delete",
        call("file/delete", vec![("quick_key", file.quickkey.clone())]).await
    );
    insta::assert_snapshot!("device_get_trash", call("device/get_trash", vec![]).await);
    insta::assert_snapshot!(
        "device_get_changes",
        call("device/get_changes", vec![("revision", "0".into())]).await
    );
    insta::assert_snapshot!("device_get_status", call("device/get_status", vec![]).await);
}
