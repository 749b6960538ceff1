//! Direct downloads (`/download/<quickkey>/<name>`): bytes, ranges, validators, names; who may
//! fetch (open files, signed owner links, passwords, one-time keys) and the one 404.

use std::time::Duration;

use hearth_client::Client;
use hearth_core::files::FileUpdate;
use hearth_core::links::OneTimeOptions;
use hearth_core::sessions::Caller;
use hearth_core::tree::FileRow;
use hearth_server::TlsMode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::file::{alice, bob, put, row};
use crate::harness::TestServer;

const NAME: &str = "naïve \"quote\";.txt";

fn content() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 7 % 251) as u8).collect()
}

async fn make_public(s: &TestServer, uid: i64, key: &str, password: Option<&str>) {
    s.core
        .update_file(
            &Caller::owner(uid),
            Some(key),
            FileUpdate {
                privacy: Some("public"),
                password,
                ..FileUpdate::default()
            },
        )
        .await
        .unwrap();
}

/// `direct_download` of `file/get_links` for one key (or the whole link entry).
async fn link_entry(c: &Client, key: &str) -> Value {
    let v = c
        .call(
            "file/get_links",
            &[("quick_key", key), ("link_type", "direct_download")],
        )
        .await
        .unwrap();
    v["response"]["links"][0].clone()
}

async fn link(c: &Client, key: &str) -> String {
    let e = link_entry(c, key).await;
    e["direct_download"]
        .as_str()
        .unwrap_or_else(|| panic!("no link: {e}"))
        .to_string()
}

struct Got {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn h(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or("<non-ascii>"))
    }
}

async fn fetch_with(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
) -> Got {
    let mut rb = http.request(method, url);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let r = rb.send().await.unwrap();
    Got {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.bytes().await.unwrap().to_vec(),
    }
}

async fn fetch(url: &str, headers: &[(&str, &str)]) -> Got {
    fetch_with(&reqwest::Client::new(), reqwest::Method::GET, url, headers).await
}

async fn head(url: &str) -> Got {
    fetch_with(&reqwest::Client::new(), reqwest::Method::HEAD, url, &[]).await
}

async fn downloads(s: &TestServer, uid: i64, key: &str) -> i64 {
    row(s, uid, key).await.unwrap().downloads
}

/// Waits for the counter (bumped just after the last byte is handed over) to reach `n`.
async fn downloads_reach(s: &TestServer, uid: i64, key: &str, n: i64) {
    for _ in 0..100 {
        if downloads(s, uid, key).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(downloads(s, uid, key).await, n);
}

/// The one refusal, with everything a client could compare.
fn refusal(g: &Got) -> (u16, String, String, Vec<u8>) {
    (
        g.status,
        g.h("content-type").to_string(),
        g.h("content-length").to_string(),
        g.body.clone(),
    )
}

#[tokio::test]
async fn a_public_file_streams_with_ranges_and_validators() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let data = content();
    let f = put(&s, uid, NAME, &data).await;
    make_public(&s, uid, &f.quickkey, None).await;
    let c = s.login(2).await;
    let url = link(&c, &f.quickkey).await;
    assert_eq!(
        url,
        s.url(&format!(
            "/download/{}/na%C3%AFve%20%22quote%22%3B.txt",
            f.quickkey
        )),
        "a public file gets the plain URL"
    );

    let g = fetch(&url, &[]).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body, data);
    assert_eq!(g.h("content-type"), "text/plain");
    assert_eq!(g.h("content-length"), "1000");
    assert_eq!(g.h("accept-ranges"), "bytes");
    let etag = format!("\"{}\"", f.hash);
    assert_eq!(g.h("etag"), etag);
    assert_eq!(
        g.h("content-disposition"),
        "attachment; filename=\"na_ve _quote_;.txt\"; filename*=UTF-8''na%C3%AFve%20%22quote%22%3B.txt"
    );
    let last_modified = g.h("last-modified").to_string();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");
    downloads_reach(&s, uid, &f.quickkey, 1).await;

    // HEAD: the same headers, no body, not counted.
    let h = head(&url).await;
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert_eq!(h.h("content-length"), "1000");
    assert_eq!(h.h("etag"), etag);
    assert_eq!(h.h("content-type"), "text/plain");

    // Single, open, suffix and over-long suffix ranges.
    for (range, from, to) in [
        ("bytes=10-19", 10, 19),
        ("bytes=995-", 995, 999),
        ("bytes=-5", 995, 999),
        ("bytes=990-5000", 990, 999),
        ("bytes=-5000", 0, 999),
    ] {
        let g = fetch(&url, &[("range", range)]).await;
        assert_eq!(g.status, 206, "{range}");
        assert_eq!(g.h("content-range"), format!("bytes {from}-{to}/1000"));
        assert_eq!(g.body, &data[from..=to], "{range}");
        assert_eq!(g.h("content-length"), (to - from + 1).to_string());
    }

    // Several ranges: multipart/byteranges.
    let g = fetch(&url, &[("range", "bytes=0-1, 10-12,-2")]).await;
    assert_eq!(g.status, 206);
    let ct = g.h("content-type").to_string();
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{ct}"));
    assert_eq!(g.h("content-length"), g.body.len().to_string());
    let mut want = Vec::new();
    for (a, b) in [(0usize, 1usize), (10, 12), (998, 999)] {
        want.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes {a}-{b}/1000\r\n\r\n"
            )
            .as_bytes(),
        );
        want.extend_from_slice(&data[a..=b]);
    }
    want.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(g.body, want);

    // Unsatisfiable.
    for range in ["bytes=1000-1001", "bytes=5-1,2000-"] {
        let g = fetch(&url, &[("range", range)]).await;
        assert_eq!(g.status, 416, "{range}");
        assert_eq!(g.h("content-range"), "bytes */1000");
    }
    // A malformed Range is ignored.
    let g = fetch(&url, &[("range", "lines=1-2")]).await;
    assert_eq!((g.status, g.body.len()), (200, 1000));

    // Validators.
    for inm in [
        etag.clone(),
        format!("W/{etag}"),
        "*".into(),
        format!("\"x\", {etag}"),
    ] {
        let g = fetch(&url, &[("if-none-match", &inm)]).await;
        assert_eq!(g.status, 304, "{inm}");
        assert!(g.body.is_empty());
        assert_eq!(g.h("etag"), etag);
    }
    let g = fetch(&url, &[("if-none-match", "\"other\"")]).await;
    assert_eq!((g.status, g.body.len()), (200, 1000));
    let g = fetch(&url, &[("if-modified-since", &last_modified)]).await;
    assert_eq!(g.status, 304);
    let g = fetch(
        &url,
        &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    .await;
    assert_eq!(g.status, 200);
    // If-None-Match wins over If-Modified-Since.
    let g = fetch(
        &url,
        &[
            ("if-none-match", "\"other\""),
            ("if-modified-since", &last_modified),
        ],
    )
    .await;
    assert_eq!(g.status, 200);
    // If-Range: the range only while the representation is the same.
    let g = fetch(&url, &[("range", "bytes=0-3"), ("if-range", &etag)]).await;
    assert_eq!((g.status, g.body.as_slice()), (206, &data[..4]));
    let g = fetch(
        &url,
        &[("range", "bytes=0-3"), ("if-range", &last_modified)],
    )
    .await;
    assert_eq!(g.status, 206);
    let g = fetch(&url, &[("range", "bytes=0-3"), ("if-range", "\"old\"")]).await;
    assert_eq!((g.status, g.body.len()), (200, 1000));

    // Counted: the first GET, two "other" validators, the old date, the malformed range, the
    // stale If-Range — full GETs only (not HEAD, 304 or 206).
    downloads_reach(&s, uid, &f.quickkey, 6).await;

    // The MIME table decides the type; the name in the URL does not matter.
    let img = put(&s, uid, "p.PNG", b"not really").await;
    make_public(&s, uid, &img.quickkey, None).await;
    let g = fetch(&s.url(&format!("/download/{}/x.txt", img.quickkey)), &[]).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.h("content-type"), "image/png");
    // An empty file: 200 with no bytes; any range is unsatisfiable.
    let empty = put(&s, uid, "empty.bin", b"").await;
    make_public(&s, uid, &empty.quickkey, None).await;
    let eurl = s.url(&format!("/download/{}/empty.bin", empty.quickkey));
    let g = fetch(&eurl, &[]).await;
    assert_eq!(
        (g.status, g.h("content-length"), g.body.len()),
        (200, "0", 0)
    );
    assert_eq!(g.h("content-type"), "application/octet-stream");
    let g = fetch(&eurl, &[("range", "bytes=0-")]).await;
    assert_eq!((g.status, g.h("content-range")), (416, "bytes */0"));
}

#[tokio::test]
async fn private_files_need_the_owners_signed_link_and_refusals_leak_nothing() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let data = content();
    let f = put(&s, uid, "secret.txt", &data).await;
    let c = s.login(2).await;
    let plain = s.url(&format!("/download/{}/secret.txt", f.quickkey));

    let unknown = fetch(&s.url("/download/zzzzzzzzzzzzzzz/secret.txt"), &[]).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body, b"not found\n");
    let private = fetch(&plain, &[]).await;
    assert_eq!(refusal(&private), refusal(&unknown), "private == unknown");
    assert_eq!(refusal(&head(&plain).await).0, 404);
    for path in [
        "/download/",
        "/download/short/x",
        &format!("/download/{}", f.quickkey),
        &format!("/download/{}/", f.quickkey),
    ] {
        assert_eq!(
            refusal(&fetch(&s.url(path), &[]).await),
            refusal(&unknown),
            "{path}"
        );
    }

    // The owner's link: signed, works without any session.
    let url = link(&c, &f.quickkey).await;
    assert!(url.contains("?expires=") && url.contains("&sig="), "{url}");
    let g = fetch(&url, &[]).await;
    assert_eq!((g.status, g.body.as_slice()), (200, data.as_slice()));
    assert_eq!(g.h("cache-control"), "private, no-cache");
    assert_eq!(
        link(&c, &f.quickkey).await,
        url,
        "links issued together are equal"
    );

    // Forged, moved to another key, expired.
    let (head_part, sig) = url.split_once("&sig=").unwrap();
    let flipped = format!(
        "{head_part}&sig={}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    let other = put(&s, uid, "other.txt", b"other").await;
    let moved = url.replace(&f.quickkey, &other.quickkey);
    let exp: i64 = url
        .split("expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let later = url.replace(
        &format!("expires={exp}"),
        &format!("expires={}", exp + 3600),
    );
    let past = s
        .core
        .signed_download_query_until(&f, 1_000_000_000)
        .await
        .unwrap();
    let expired = format!("{plain}?{past}");
    for bad in [flipped, moved, later, expired, format!("{plain}?sig={sig}")] {
        assert_eq!(refusal(&fetch(&bad, &[]).await), refusal(&unknown), "{bad}");
    }

    // Bob gets no link to alice's file, and not her bytes.
    let (bc, _) = bob(&s).await;
    let e = link_entry(&bc, &f.quickkey).await;
    assert_eq!(
        e,
        serde_json::json!({"quickkey": f.quickkey, "error": "Unknown or Invalid QuickKey"})
    );

    // A trashed file: the owner's signed link still works, the public URL does not.
    make_public(&s, uid, &f.quickkey, None).await;
    assert_eq!(fetch(&plain, &[]).await.status, 200);
    s.core
        .delete_files(&Caller::owner(uid), &[&f.quickkey])
        .await
        .unwrap();
    assert_eq!(refusal(&fetch(&plain, &[]).await), refusal(&unknown));
    let trashed = link(&c, &f.quickkey).await;
    assert!(trashed.contains("&sig="));
    assert_eq!(fetch(&trashed, &[]).await.status, 200);
    assert!(
        link_entry(&bc, &f.quickkey).await.get("error").is_some(),
        "trashed looks never issued to bob"
    );
}

#[tokio::test]
async fn a_password_protected_file_takes_its_password() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "pw.bin", b"guarded").await;
    make_public(&s, uid, &f.quickkey, Some("open sesame")).await;
    let plain = s.url(&format!("/download/{}/pw.bin", f.quickkey));
    let unknown = fetch(&s.url("/download/zzzzzzzzzzzzzzz/pw.bin"), &[]).await;
    assert_eq!(refusal(&fetch(&plain, &[]).await), refusal(&unknown));
    assert_eq!(
        refusal(&fetch(&format!("{plain}?password=wrong"), &[]).await),
        refusal(&unknown)
    );
    let g = fetch(&format!("{plain}?password=open%20sesame"), &[]).await;
    assert_eq!((g.status, g.body.as_slice()), (200, &b"guarded"[..]));

    // The owner gets a signed link; a visitor no link (but can use the password).
    let c = s.login(2).await;
    let url = link(&c, &f.quickkey).await;
    assert!(url.contains("&sig="));
    assert_eq!(fetch(&url, &[]).await.status, 200);
    let (bc, _) = bob(&s).await;
    let e = link_entry(&bc, &f.quickkey).await;
    assert!(e.get("direct_download").is_none(), "{e}");
    assert_eq!(
        e["direct_download_error_message"],
        "This file is password protected"
    );

    // A private file does not take its password.
    s.core
        .update_file(
            &Caller::owner(uid),
            Some(&f.quickkey),
            FileUpdate {
                privacy: Some("private"),
                ..FileUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        refusal(&fetch(&format!("{plain}?password=open%20sesame"), &[]).await),
        refusal(&unknown)
    );
}

async fn one_time(s: &TestServer, uid: i64, f: &FileRow, o: OneTimeOptions<'_>) -> String {
    s.core
        .create_one_time_key(&Caller::owner(uid), Some(&f.quickkey), &o)
        .await
        .unwrap()
        .token
}

#[tokio::test]
async fn one_time_keys_are_spent_by_downloads() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let f = put(&s, uid, "once.txt", b"once").await;
    let other = put(&s, uid, "other.txt", b"other").await;
    let url = |token: &str| s.url(&format!("/download/{}/once.txt?otk={token}", f.quickkey));
    let unknown = fetch(&s.url("/download/zzzzzzzzzzzzzzz/x"), &[]).await;

    // Burn after one use (needs bind_ip): HEAD and 304 do not spend it, a GET does.
    let burn = one_time(
        &s,
        uid,
        &f,
        OneTimeOptions {
            bind_ip: Some("127.0.0.0/8"),
            burn_after_use: Some(true),
            ..OneTimeOptions::default()
        },
    )
    .await;
    assert_eq!(head(&url(&burn)).await.status, 200);
    let etag = format!("\"{}\"", f.hash);
    assert_eq!(
        fetch(&url(&burn), &[("if-none-match", &etag)]).await.status,
        304
    );
    let g = fetch(&url(&burn), &[]).await;
    assert_eq!((g.status, g.body.as_slice()), (200, &b"once"[..]));
    assert_eq!(refusal(&fetch(&url(&burn), &[]).await), refusal(&unknown));

    // Without burning: usable until it expires.
    let many = one_time(&s, uid, &f, OneTimeOptions::default()).await;
    for _ in 0..3 {
        assert_eq!(fetch(&url(&many), &[]).await.status, 200);
    }
    // Only for its own file.
    let wrong = s.url(&format!("/download/{}/x?otk={many}", other.quickkey));
    assert_eq!(refusal(&fetch(&wrong, &[]).await), refusal(&unknown));
    // Bound to other addresses.
    let far = one_time(
        &s,
        uid,
        &f,
        OneTimeOptions {
            bind_ip: Some("10.0.0.0/8, 192.168.1.1"),
            ..OneTimeOptions::default()
        },
    )
    .await;
    assert_eq!(refusal(&fetch(&url(&far), &[]).await), refusal(&unknown));
    // Disabled (duration=0).
    s.core
        .configure_one_time_key(
            &Caller::owner(uid),
            &many,
            &OneTimeOptions {
                duration_minutes: Some(0),
                ..OneTimeOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(refusal(&fetch(&url(&many), &[]).await), refusal(&unknown));
    assert_eq!(
        refusal(&fetch(&url("yuuib4pk0i0uf586ta6gil1r3j92f98"), &[]).await),
        refusal(&unknown)
    );
    // The URL file/one_time_key answers works.
    let c = s.login(2).await;
    let v = c
        .call("file/one_time_key", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    let api_url = v["response"]["links"]["download"].as_str().unwrap();
    let g = fetch(api_url, &[]).await;
    assert_eq!((g.status, g.body.as_slice()), (200, &b"once"[..]));
    // A key of a trashed file does not work.
    let live = one_time(&s, uid, &f, OneTimeOptions::default()).await;
    assert_eq!(fetch(&url(&live), &[]).await.status, 200);
    s.core
        .delete_files(&Caller::owner(uid), &[&f.quickkey])
        .await
        .unwrap();
    assert_eq!(refusal(&fetch(&url(&live), &[]).await), refusal(&unknown));
}

#[tokio::test]
async fn links_follow_the_scheme_and_port_of_the_request() {
    let s = TestServer::start_with(
        |_| {},
        TlsMode::SelfSigned {
            cert_out: Default::default(),
        },
    )
    .await;
    let port = s.addr.port();
    let uid = alice(&s).await;
    let f = put(&s, uid, "tls.txt", b"over tls").await;
    let c = Client::insecure(&format!("https://127.0.0.1:{port}"));
    c.login(
        crate::harness::APP_ID,
        None,
        crate::harness::EMAIL,
        crate::harness::PASSWORD,
        2,
    )
    .await
    .unwrap();
    let url = link(&c, &f.quickkey).await;
    let prefix = format!("https://127.0.0.1:{port}/download/{}/tls.txt?", f.quickkey);
    assert!(url.starts_with(&prefix), "{url}");
    let cert = reqwest::Certificate::from_pem(&std::fs::read(s.cert_path()).unwrap()).unwrap();
    let tls = reqwest::Client::builder()
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let g = fetch_with(&tls, reqwest::Method::GET, &url, &[("range", "bytes=5-")]).await;
    assert_eq!((g.status, g.body.as_slice()), (206, &b"tls"[..]));
    // Over plain HTTP on the same port, links are http.
    let plain = s.login(2).await;
    assert!(link(&plain, &f.quickkey)
        .await
        .starts_with(&format!("http://127.0.0.1:{port}/download/")));
}
