//! The public HTML pages (pages.rs): a file's landing page (`normal_download`) with escaped
//! names and a download button that fetches the bytes; the one not-found page for private,
//! trashed, unknown and malformed keys; the password form; one-time keys; the public folder
//! page with paging; security headers; HEAD; legacy `/?<quickkey>` links.

use hearth_core::files::FileUpdate;
use hearth_core::links::OneTimeOptions;
use hearth_core::sessions::Caller;
use hearth_core::tree::{FileRow, FolderRow, OnDuplicate, Target};
use reqwest::header::HeaderMap;

use crate::file::{alice, folder, put, put_in};
use crate::harness::TestServer;

const EVIL: &str = "<img src=x onerror=alert(1)> & \"q\" 'a'.txt";

struct Got {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Got {
    fn h(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or("<non-ascii>"))
    }

    /// Everything a client could tell two answers apart by.
    fn whole(&self) -> (u16, Vec<(String, String)>, String) {
        let mut h: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(k, _)| k.as_str() != "date")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        h.sort();
        (self.status, h, self.body.clone())
    }

    /// The first `href` starting with `prefix`, unescaped.
    fn href(&self, prefix: &str) -> Option<String> {
        let start = self.body.find(&format!("href=\"{prefix}"))? + "href=\"".len();
        let len = self.body[start..].find('"')?;
        Some(self.body[start..start + len].replace("&amp;", "&"))
    }

    fn count(&self, needle: &str) -> usize {
        self.body.matches(needle).count()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn req(method: reqwest::Method, url: &str, form: Option<&[(&str, &str)]>) -> Got {
    let mut rb = http().request(method, url);
    if let Some(f) = form {
        rb = rb.form(f);
    }
    let r = rb.send().await.unwrap();
    Got {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

async fn get(url: &str) -> Got {
    req(reqwest::Method::GET, url, None).await
}

async fn bytes_at(url: &str) -> (u16, Vec<u8>) {
    let r = http().get(url).send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 % 251) as u8).collect()
}

async fn update(s: &TestServer, uid: i64, key: &str, u: FileUpdate<'_>) {
    s.core
        .update_file(&Caller::owner(uid), Some(key), u)
        .await
        .unwrap();
}

async fn make_public(s: &TestServer, uid: i64, f: &FileRow) {
    let u = FileUpdate {
        privacy: Some("public"),
        ..FileUpdate::default()
    };
    update(s, uid, &f.quickkey, u).await;
}

async fn folder_privacy(s: &TestServer, uid: i64, f: &FolderRow, privacy: &str) {
    s.core
        .update_folder(
            &Caller::owner(uid),
            Target::Key(&f.folderkey),
            None,
            None,
            Some(privacy),
            true,
            None,
        )
        .await
        .unwrap();
}

async fn subfolder(s: &TestServer, uid: i64, parent: &FolderRow, name: &str) -> FolderRow {
    s.core
        .create_folder(
            &Caller::owner(uid),
            Target::Key(&parent.folderkey),
            Some(name),
            OnDuplicate::Allow,
            None,
        )
        .await
        .unwrap()
        .0
}

/// `normal_download` of file/get_links, as the signed-in owner asks.
async fn normal_download(c: &hearth_client::Client, key: &str) -> String {
    let v = c
        .call(
            "file/get_links",
            &[("quick_key", key), ("link_type", "normal_download")],
        )
        .await
        .unwrap();
    v["response"]["links"][0]["normal_download"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

fn assert_safe_html(g: &Got) {
    assert_eq!(g.h("content-type"), "text/html; charset=utf-8");
    assert_eq!(g.h("x-content-type-options"), "nosniff");
    assert_eq!(g.h("x-frame-options"), "DENY");
    assert_eq!(g.h("referrer-policy"), "no-referrer");
    let csp = g.h("content-security-policy");
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    assert!(!csp.contains("script") && !csp.contains("unsafe"), "{csp}");
    assert!(!g.body.contains("<script"), "no script in any page");
}

#[tokio::test]
async fn a_public_files_landing_page_escapes_and_downloads() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = content(1536);
    let f = put(&s, uid, EVIL, &data).await;
    make_public(&s, uid, &f).await;

    let url = normal_download(&c, &f.quickkey).await;
    assert_eq!(
        url,
        s.url(&format!(
            "/file/{}/%3Cimg_src%3Dx_onerror%3Dalert%281%29%3E_%26_%22q%22_%27a%27.txt/file",
            f.quickkey
        )),
        "MediaFire's form: spaces as underscores, the rest escaped; public: unsigned"
    );
    let g = get(&url).await;
    assert_eq!(g.status, 200);
    assert_safe_html(&g);
    assert_eq!(g.h("cache-control"), "public, no-cache");
    assert!(!g.body.contains("<img"), "{}", g.body);
    assert!(
        g.body
            .contains("<h1>&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot; 'a'.txt</h1>"),
        "{}",
        g.body
    );
    assert!(g.body.contains("1.5 KB (1536 bytes)"), "{}", g.body);
    assert!(g.body.contains(" UTC"), "the upload date");

    // The button is the direct link, and its bytes are the file's.
    let link = g.href("/download/").unwrap();
    assert_eq!(
        link,
        format!(
            "/download/{}/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%20%26%20%22q%22%20%27a%27.txt",
            f.quickkey
        )
    );
    assert_eq!(bytes_at(&s.url(&link)).await, (200, data.clone()));

    // HEAD: the same head, no body. Other spellings of the page.
    let h = req(reqwest::Method::HEAD, &url, None).await;
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert_eq!(h.h("content-type"), "text/html; charset=utf-8");
    for path in [
        format!("/file/{}", f.quickkey),
        format!("/file/{}/whatever", f.quickkey),
    ] {
        let g2 = get(&s.url(&path)).await;
        assert_eq!((g2.status, &g2.body), (200, &g.body), "{path}");
    }
    for legacy in [
        format!("/?{}", f.quickkey),
        format!("/download.php?{}", f.quickkey),
    ] {
        let r = get(&s.url(&legacy)).await;
        assert_eq!(r.status, 301, "{legacy}");
        assert_eq!(r.h("location"), format!("/file/{}", f.quickkey));
    }

    // Listings carry the same landing page.
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", "myfiles"), ("content_type", "files")],
        )
        .await
        .unwrap();
    assert_eq!(
        v["response"]["folder_content"]["files"][0]["links"]["normal_download"],
        url.as_str()
    );
    let v = c
        .call("file/get_info", &[("quick_key", &f.quickkey)])
        .await
        .unwrap();
    assert_eq!(
        v["response"]["file_info"]["links"],
        serde_json::json!({ "normal_download": url })
    );
}

#[tokio::test]
async fn private_trashed_and_unknown_files_get_the_same_page() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let data = content(300);
    let private = put(&s, uid, "secret.txt", &data).await;
    let trashed = put(&s, uid, "gone.txt", b"x").await;
    make_public(&s, uid, &trashed).await;
    c.call("file/delete", &[("quick_key", &trashed.quickkey)])
        .await
        .unwrap();

    let reference = get(&s.url("/file/zzzzzzzzzzzzzzz/never_issued.txt/file")).await;
    assert_eq!(reference.status, 404);
    assert_safe_html(&reference);
    assert_eq!(reference.h("cache-control"), "private, no-store");
    for path in [
        format!("/file/{}/secret.txt/file", private.quickkey),
        format!("/file/{}", private.quickkey),
        format!("/file/{}/gone.txt/file", trashed.quickkey),
        "/file/not-a-key/x/file".to_string(),
        format!(
            "/file/{}/secret.txt/file?expires=99999999999&sig={}",
            private.quickkey,
            "0".repeat(64)
        ),
        format!(
            "/file/{}?otk=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            private.quickkey
        ),
        "/?nonsense".to_string(),
        "/".to_string(),
    ] {
        let g = get(&s.url(&path)).await;
        assert_eq!(g.whole(), reference.whole(), "{path}");
    }
    let post = req(
        reqwest::Method::POST,
        &s.url(&format!("/file/{}", private.quickkey)),
        Some(&[("password", "x")]),
    )
    .await;
    assert_eq!(post.whole(), reference.whole(), "POST to a private file");

    // The owner's normal_download of a private file is signed: it shows the page and its
    // button downloads.
    let url = normal_download(&c, &private.quickkey).await;
    assert!(
        url.starts_with(&s.url(&format!(
            "/file/{}/secret.txt/file?expires=",
            private.quickkey
        ))),
        "{url}"
    );
    let g = get(&url).await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.h("cache-control"), "private, no-store");
    let link = g.href("/download/").unwrap();
    assert!(link.contains("?expires="), "{link}");
    assert_eq!(bytes_at(&s.url(&link)).await, (200, data));
    let forged = url.replace("&sig=", "&sig=0");
    assert_eq!(get(&forged).await.whole(), reference.whole());

    // Listings give a private file no page link (it would be the not-found page).
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", "myfiles"), ("content_type", "files")],
        )
        .await
        .unwrap();
    let files = v["response"]["folder_content"]["files"].as_array().unwrap();
    let entry = files
        .iter()
        .find(|e| e["quickkey"] == private.quickkey.as_str())
        .unwrap();
    assert!(entry.get("links").is_none(), "{entry}");
}

#[tokio::test]
async fn a_password_file_asks_for_it_and_then_downloads() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let data = content(400);
    let f = put(&s, uid, "locked.bin", &data).await;
    update(
        &s,
        uid,
        &f.quickkey,
        FileUpdate {
            privacy: Some("public"),
            password: Some("open sesame"),
            ..FileUpdate::default()
        },
    )
    .await;
    let url = s.url(&format!("/file/{}/locked.bin/file", f.quickkey));

    let g = get(&url).await;
    assert_eq!(g.status, 200);
    assert_safe_html(&g);
    assert_eq!(g.h("cache-control"), "private, no-store");
    assert!(g.body.contains("<form method=\"post\""), "{}", g.body);
    assert!(
        g.href("/download/").is_none(),
        "no download link before the password"
    );
    assert!(!g.body.contains("Wrong password"));
    // The plain direct link is refused.
    let plain = s.url(&format!("/download/{}/locked.bin", f.quickkey));
    assert_eq!(bytes_at(&plain).await.0, 404);

    let wrong = req(
        reqwest::Method::POST,
        &url,
        Some(&[("password", "open barley")]),
    )
    .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("Wrong password"), "{}", wrong.body);
    assert!(wrong.h("location").is_empty());
    let empty = req(reqwest::Method::POST, &url, Some(&[("x", "y")])).await;
    assert_eq!(empty.status, 403);

    let right = req(
        reqwest::Method::POST,
        &url,
        Some(&[("password", "open sesame")]),
    )
    .await;
    assert_eq!(right.status, 303, "{}", right.body);
    let location = right.h("location").to_string();
    assert!(
        location.starts_with(&format!("/download/{}/locked.bin?expires=", f.quickkey)),
        "{location}"
    );
    assert!(
        !location.contains("sesame"),
        "the password stays out of URLs"
    );
    assert_eq!(bytes_at(&s.url(&location)).await, (200, data));
}

#[tokio::test]
async fn a_one_time_key_shows_the_page_until_it_is_spent() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let data = content(700);
    let f = put(&s, uid, "once.txt", &data).await; // private
    let k = s
        .core
        .create_one_time_key(
            &Caller::owner(uid),
            Some(&f.quickkey),
            &OneTimeOptions {
                bind_ip: Some("127.0.0.1"),
                burn_after_use: Some(true),
                ..OneTimeOptions::default()
            },
        )
        .await
        .unwrap();
    let url = s.url(&format!(
        "/file/{}/once.txt/file?otk={}",
        f.quickkey, k.token
    ));
    let not_found = get(&s.url(&format!("/file/{}/once.txt/file", f.quickkey))).await;
    assert_eq!(not_found.status, 404);

    let g = get(&url).await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.h("cache-control"), "private, no-store");
    assert_eq!(
        get(&url).await.status,
        200,
        "viewing does not spend the key"
    );
    let link = g.href("/download/").unwrap();
    assert_eq!(
        link,
        format!("/download/{}/once.txt?otk={}", f.quickkey, k.token)
    );
    assert_eq!(bytes_at(&s.url(&link)).await, (200, data));
    assert_eq!(
        get(&url).await.whole(),
        not_found.whole(),
        "spent: the not-found page"
    );
}

#[tokio::test]
async fn a_public_folder_page_lists_public_children_in_pages() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let top = folder(&s, uid, "<b>Shared & co").await;
    let public_sub = subfolder(&s, uid, &top, "Open <sub>").await;
    let private_sub = subfolder(&s, uid, &top, "Hidden").await;
    for i in 0..130 {
        put_in(
            &s,
            uid,
            Target::Key(&top.folderkey),
            &format!("f{i:03}.txt"),
            b"x",
        )
        .await;
    }
    let secret = put_in(&s, uid, Target::Key(&top.folderkey), "zz-secret.txt", b"s").await;
    folder_privacy(&s, uid, &top, "public").await;
    folder_privacy(&s, uid, &private_sub, "private").await;
    update(
        &s,
        uid,
        &secret.quickkey,
        FileUpdate {
            privacy: Some("private"),
            ..FileUpdate::default()
        },
    )
    .await;

    let url = s.url(&format!("/folder/{}", top.folderkey));
    let g = get(&url).await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_safe_html(&g);
    assert!(
        g.body.contains("<h1>&lt;b&gt;Shared &amp; co</h1>"),
        "{}",
        g.body
    );
    assert!(!g.body.contains("<b>"));
    assert!(g.body.contains("1 folders, 130 files"), "{}", g.body);
    assert_eq!(g.count("href=\"/file/"), 100, "100 files a page");
    assert!(g.body.contains(">f000.txt<") && g.body.contains(">f099.txt<"));
    assert!(!g.body.contains(">f100.txt<"));
    assert!(g.body.contains("Open &lt;sub&gt;"));
    assert!(!g.body.contains("Hidden") && !g.body.contains("zz-secret"));
    assert!(g.href("/folder/").is_some());
    assert!(!g.body.contains("rel=\"prev\""));

    let at = g.body.find("rel=\"next\" href=\"").unwrap() + "rel=\"next\" href=\"".len();
    let next_link = &g.body[at..at + g.body[at..].find('"').unwrap()];
    assert!(next_link.ends_with("?page=2"), "{next_link}");
    let p2 = get(&s.url(next_link)).await;
    assert_eq!(p2.status, 200);
    assert_eq!(p2.count("href=\"/file/"), 30);
    assert!(p2.body.contains(">f100.txt<") && p2.body.contains(">f129.txt<"));
    assert!(p2.body.contains("rel=\"prev\"") && !p2.body.contains("rel=\"next\""));
    assert!(
        !p2.body.contains("Open &lt;sub&gt;"),
        "folders fit on page 1"
    );
    let p3 = get(&format!("{url}?page=3")).await;
    assert_eq!(p3.status, 200);
    assert_eq!(p3.count("href=\"/file/"), 0);
    assert!(get(&format!("{url}?page=x")).await.body == g.body);

    // Links lead on: a file's landing page, the public sub-folder's page.
    let file_page = get(&s.url(&g.href("/file/").unwrap())).await;
    assert_eq!(file_page.status, 200);
    let sub = get(&s.url(&format!("/folder/{}", public_sub.folderkey))).await;
    assert_eq!(sub.status, 200);
    assert!(sub.body.contains("Nothing here."));
    let h = req(reqwest::Method::HEAD, &url, None).await;
    assert_eq!((h.status, h.body.as_str()), (200, ""));

    // Private, unknown, the root: the not-found page of files, byte for byte.
    let reference = get(&s.url("/file/zzzzzzzzzzzzzzz")).await;
    for path in [
        format!("/folder/{}", private_sub.folderkey),
        "/folder/zzzzzzzzzzzzz".to_string(),
        "/folder/myfiles".to_string(),
    ] {
        assert_eq!(
            get(&s.url(&path)).await.whole(),
            reference.whole(),
            "{path}"
        );
    }
    let root = s.core.root_folder(uid).await.unwrap();
    assert_eq!(
        get(&s.url(&format!("/folder/{}", root.folderkey)))
            .await
            .whole(),
        reference.whole()
    );
}
