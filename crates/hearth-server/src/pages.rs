//! Public HTML pages outside `/api/` (spec/download.md): the `normal_download` landing page of a
//! file, `GET|HEAD|POST /file/<quickkey>[/<Name_with_underscores>/file]`, and the page of a
//! public folder, `GET|HEAD /folder/<folderkey>[/<name>][?page=N]`; the legacy forms
//! `/?<quickkey>` and `/download.php?<quickkey>` redirect to the landing page.
//!
//! A landing page has no session: it shows a file that is open to all, a password form for a
//! public file with a password (the right password redirects to a short-lived signed download
//! link, so the password never travels in a URL), and any live file for a usable one-time key
//! (`?otk=`) or a signed owner link (`?expires=&sig=`, what `file/get_links` hands the owner),
//! passed on to the download button; viewing never spends a one-time key. Everything else —
//! private, trashed, unknown, malformed — is one not-found page, byte for byte.
//!
//! HTML comes from maud templates (every interpolation escaped); responses carry a strict
//! Content-Security-Policy (no script at all, the one stylesheet by its hash), `nosniff`, no
//! framing and no referrer (links may carry keys).

use std::sync::{Arc, LazyLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine as _;
use hearth_api::errors::codes;
use hearth_api::keys::{FolderKey, QuickKey};
use hearth_core::downloads::{open_to_all, DownloadRequest};
use hearth_core::folder_query::{Filter, Listing};
use hearth_core::time_fmt;
use hearth_core::tree::{FileRow, FolderRow, Order, Target};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest as _, Sha256};

use crate::download;
use crate::listener::ConnInfo;
use crate::AppState;

/// The routes (axum path syntax).
pub const FILE_ROUTE: &str = "/file/{*rest}";
pub const FOLDER_ROUTE: &str = "/folder/{*rest}";
/// Legacy `?<quickkey>` forms.
pub const ROOT_ROUTE: &str = "/";
pub const DOWNLOAD_PHP_ROUTE: &str = "/download.php";

/// Items of each kind (sub-folders, files) on one folder page.
pub const FOLDER_PAGE_SIZE: i64 = 100;
/// Highest page number served (beyond: the last pages are empty anyway).
const MAX_PAGE: i64 = 1_000_000;
/// How long the download link behind a right password works, in seconds.
pub const PASSWORD_LINK_SECS: i64 = 600;
/// Largest password form body read.
const MAX_FORM: usize = 8 * 1024;

/// Unreserved characters stay as they are in a URL path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const CSS: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}\
main{max-width:46rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px}\
h1{font-size:1.4rem;overflow-wrap:anywhere}dt{font-weight:600}dd{margin:0 0 .6rem}\
.button{display:inline-block;padding:.6rem 1.4rem;background:#1769d1;color:#fff;border:0;\
border-radius:4px;text-decoration:none;font-size:1rem}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;\
border-bottom:1px solid #eee;overflow-wrap:anywhere}.error{color:#b00020}\
nav a{margin-right:1rem}";

/// The Content-Security-Policy of every page: nothing but the stylesheet above, forms only
/// to this origin, never framed.
static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
});

/// A name as a URL path segment, spaces as underscores (MediaFire's `Name_with_underscores`).
fn slug(name: &str) -> String {
    utf8_percent_encode(&name.replace(' ', "_"), PATH_SEGMENT).to_string()
}

/// The landing page of a file under `base_url` (`scheme://host:port`, or empty for a path):
/// `normal_download` of file/get_links and of file entries.
pub fn file_url(base_url: &str, f: &FileRow) -> String {
    format!("{base_url}/file/{}/{}/file", f.quickkey, slug(&f.name))
}

/// The page of a folder (path only).
fn folder_path(key: &str, name: &str) -> String {
    format!("/folder/{key}/{}", slug(name))
}

/// How long pages may be kept.
#[derive(Clone, Copy)]
enum Cache {
    /// Public content: may be stored, revalidated each time.
    Public,
    /// Carries a credential (one-time key, signed link) or a form: never stored.
    NoStore,
}

fn html_response(status: StatusCode, cache: Cache, page: Markup) -> Response {
    let mut resp = Response::new(Body::from(page.into_string()));
    *resp.status_mut() = status;
    security_headers(resp.headers_mut(), cache);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

fn security_headers(h: &mut HeaderMap, cache: Cache) {
    if let Ok(v) = HeaderValue::from_str(&CSP) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match cache {
            Cache::Public => "public, no-cache",
            Cache::NoStore => "private, no-store",
        }),
    );
}

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Hearth" }
                style { (PreEscaped(CSS)) }
            }
            body { main { (body) } }
        }
    }
}

/// The one refusal: unknown, private, trashed, malformed, expired — the same bytes.
pub fn not_found() -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        Cache::NoStore,
        layout(
            "Not found",
            html! {
                h1 { "Not found" }
                p { "There is nothing here, or it is not shared." }
            },
        ),
    )
}

fn internal() -> Response {
    html_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        Cache::NoStore,
        layout("Error", html! { h1 { "Something went wrong" } }),
    )
}

fn redirect(status: StatusCode, location: &str) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    security_headers(resp.headers_mut(), Cache::NoStore);
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(header::LOCATION, v);
            resp
        }
        Err(_) => internal(),
    }
}

/// `1536` → `1.5 KB`.
fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `2026-01-02 03:04:05 UTC`.
fn when(us: i64) -> String {
    format!("{} UTC", time_fmt::date_time(us))
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The per-address rate limit of the API applies to pages too.
fn admitted(state: &AppState, req: &Request) -> bool {
    match req.extensions().get::<ConnInfo>() {
        Some(c) => state
            .core
            .rate_limiter()
            .admit_address(c.peer.ip(), state.core.settings().rate_limit_per_address),
        None => true,
    }
}

fn too_many() -> Response {
    html_response(
        StatusCode::TOO_MANY_REQUESTS,
        Cache::NoStore,
        layout("Slow down", html! { h1 { "Too many requests" } }),
    )
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The quickkey of a `/file/<quickkey>[/…]` path.
fn file_key(req: &Request) -> Option<String> {
    let rest = req.uri().path().strip_prefix("/file/")?;
    let key = rest.split('/').next()?;
    QuickKey::parse(key).map(|k| k.as_str().to_string())
}

/// `GET|HEAD|POST /file/<quickkey>[/<name>/file]`.
pub async fn file(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if !admitted(&state, &req) {
        return too_many();
    }
    let Some(key) = file_key(&req) else {
        return not_found();
    };
    let client = req.extensions().get::<ConnInfo>().map(|c| c.peer.ip());
    let q = query_pairs(&req);
    if req.method() == Method::POST {
        return password_post(&state, &key, client, req).await;
    }
    let ask = DownloadRequest {
        quickkey: &key,
        expires: param(&q, "expires"),
        sig: param(&q, "sig"),
        password: None,
        otk: param(&q, "otk"),
        client,
    };
    let core = &state.core;
    match core.download_grant(&ask).await {
        Ok(Some(grant)) => {
            let f = &grant.file;
            let (query, cache) = if grant.one_time_key.is_some() {
                (
                    format!("otk={}", param(&q, "otk").unwrap_or("")),
                    Cache::NoStore,
                )
            } else if open_to_all(f) {
                (String::new(), Cache::Public)
            } else {
                let signed = format!(
                    "expires={}&sig={}",
                    param(&q, "expires").unwrap_or(""),
                    param(&q, "sig").unwrap_or("")
                );
                (signed, Cache::NoStore)
            };
            let link = download::url("", f, &query);
            html_response(StatusCode::OK, cache, file_page(f, &link))
        }
        Ok(None) => match password_file(&state, &key).await {
            Ok(Some(f)) => html_response(StatusCode::OK, Cache::NoStore, password_page(&f, false)),
            Ok(None) => not_found(),
            Err(()) => internal(),
        },
        Err(_) => internal(),
    }
}

/// The file behind a landing page that asks a password: public, live, with a password.
async fn password_file(state: &AppState, key: &str) -> Result<Option<FileRow>, ()> {
    match state.core.file_for_read(None, Some(key), None).await {
        Ok(v) if !v.row.password_hash.is_empty() && v.row.privacy == "public" => Ok(Some(v.row)),
        Ok(_) => Ok(None),
        Err(e) if e.code == codes::INTERNAL => Err(()),
        Err(_) => Ok(None),
    }
}

/// The password form posted: the right password answers 303 to a signed download link valid
/// for [`PASSWORD_LINK_SECS`]; a wrong one the form again (403).
async fn password_post(
    state: &AppState,
    key: &str,
    client: Option<std::net::IpAddr>,
    req: Request,
) -> Response {
    let f = match password_file(state, key).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(),
        Err(()) => return internal(),
    };
    let body = match axum::body::to_bytes(req.into_body(), MAX_FORM).await {
        Ok(b) => b,
        Err(_) => {
            return html_response(
                StatusCode::BAD_REQUEST,
                Cache::NoStore,
                password_page(&f, true),
            )
        }
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let password = param(&form, "password");
    let ask = DownloadRequest {
        quickkey: key,
        password,
        client,
        ..DownloadRequest::default()
    };
    let core = &state.core;
    match core.download_grant(&ask).await {
        Ok(Some(g)) if password.is_some() => {
            let query = if open_to_all(&g.file) {
                String::new()
            } else {
                match core
                    .signed_download_query_until(&g.file, now_secs() + PASSWORD_LINK_SECS)
                    .await
                {
                    Ok(q) => q,
                    Err(_) => return internal(),
                }
            };
            redirect(StatusCode::SEE_OTHER, &download::url("", &g.file, &query))
        }
        Ok(_) => html_response(
            StatusCode::FORBIDDEN,
            Cache::NoStore,
            password_page(&f, true),
        ),
        Err(_) => internal(),
    }
}

fn file_facts(f: &FileRow) -> Markup {
    html! {
        dl {
            dt { "Size" }
            dd { (human_size(f.size)) " (" (f.size) " bytes)" }
            dt { "Uploaded" }
            dd { (when(f.created_us)) }
            @if !f.description.is_empty() {
                dt { "Description" }
                dd { (f.description) }
            }
        }
    }
}

fn file_page(f: &FileRow, link: &str) -> Markup {
    layout(
        &f.name,
        html! {
            h1 { (f.name) }
            (file_facts(f))
            p { a.button href=(link) rel="nofollow" { "Download" } }
        },
    )
}

fn password_page(f: &FileRow, wrong: bool) -> Markup {
    layout(
        &f.name,
        html! {
            h1 { (f.name) }
            (file_facts(f))
            p { "This file is protected by a password." }
            @if wrong {
                p.error { "Wrong password." }
            }
            form method="post" action=(file_url("", f)) {
                p {
                    label for="password" { "Password " }
                    input #password type="password" name="password" required autocomplete="off";
                }
                p { button.button type="submit" { "Download" } }
            }
        },
    )
}

/// `GET|HEAD /folder/<folderkey>[/<name>][?page=N]`: a public, live folder's public sub-folders
/// and files, [`FOLDER_PAGE_SIZE`] of each per page, by name.
pub async fn folder(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if !admitted(&state, &req) {
        return too_many();
    }
    let Some(key) = req
        .uri()
        .path()
        .strip_prefix("/folder/")
        .and_then(|r| r.split('/').next())
        .and_then(FolderKey::parse)
        .filter(|k| !k.is_root())
    else {
        return not_found();
    };
    let q = query_pairs(&req);
    let page = param(&q, "page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=MAX_PAGE).contains(p))
        .unwrap_or(1);
    let core = &state.core;
    let view = match core.folder_for_read(None, Target::Key(key.as_str())).await {
        Ok(v) => v,
        Err(e) if e.code == codes::INTERNAL => return internal(),
        Err(_) => return not_found(),
    };
    let filter = Filter::All;
    let listing = Listing {
        order: Order::Name,
        descending: false,
        offset: (page - 1) * FOLDER_PAGE_SIZE,
        limit: FOLDER_PAGE_SIZE + 1,
        filter: &filter,
    };
    let listed = async {
        let mut folders = core
            .list_folders_chunk(&view, &listing, page, FOLDER_PAGE_SIZE)
            .await?;
        let mut files = core
            .list_files_chunk(&view, &listing, page, FOLDER_PAGE_SIZE)
            .await?;
        let more = folders.len() as i64 > FOLDER_PAGE_SIZE || files.len() as i64 > FOLDER_PAGE_SIZE;
        folders.truncate(FOLDER_PAGE_SIZE as usize);
        files.truncate(FOLDER_PAGE_SIZE as usize);
        let counts = core.visible_counts(false, view.row.id).await?;
        Ok::<_, hearth_api::errors::ApiError>((folders, files, more, counts))
    };
    let (folders, files, more, counts) = match listed.await {
        Ok(l) => l,
        Err(_) => return internal(),
    };
    html_response(
        StatusCode::OK,
        Cache::Public,
        folder_page(&view.row, &folders, &files, page, more, counts),
    )
}

fn folder_page(
    folder: &FolderRow,
    folders: &[FolderRow],
    files: &[FileRow],
    page: i64,
    more: bool,
    (n_folders, n_files): (i64, i64),
) -> Markup {
    let here = folder_path(&folder.folderkey, &folder.name);
    layout(
        &folder.name,
        html! {
            h1 { (folder.name) }
            @if !folder.description.is_empty() {
                p { (folder.description) }
            }
            p { (n_folders) " folders, " (n_files) " files" }
            @if !folders.is_empty() {
                h2 { "Folders" }
                ul.folders {
                    @for f in folders {
                        li { a href=(folder_path(&f.folderkey, &f.name)) { (f.name) } }
                    }
                }
            }
            @if !files.is_empty() {
                h2 { "Files" }
                table.files {
                    thead { tr { th { "Name" } th { "Size" } th { "Uploaded" } } }
                    tbody {
                        @for f in files {
                            tr {
                                td {
                                    a href=(file_url("", f)) { (f.name) }
                                    @if !f.password_hash.is_empty() { " (password)" }
                                }
                                td { (human_size(f.size)) }
                                td { (when(f.created_us)) }
                            }
                        }
                    }
                }
            }
            @if folders.is_empty() && files.is_empty() {
                p { "Nothing here." }
            }
            @if page > 1 || more {
                nav {
                    @if page > 1 {
                        a rel="prev" href={ (here) "?page=" (page - 1) } { "Previous" }
                    }
                    @if more {
                        a rel="next" href={ (here) "?page=" (page + 1) } { "Next" }
                    }
                }
            }
        },
    )
}

/// `GET|HEAD /?<quickkey>` and `/download.php?<quickkey>` (older MediaFire link forms):
/// 301 to the landing page; anything else is the not-found page.
pub async fn legacy(req: Request) -> Response {
    let q = req.uri().query().unwrap_or("");
    match QuickKey::parse(q.split('&').next().unwrap_or("")) {
        Some(k) => redirect(
            StatusCode::MOVED_PERMANENTLY,
            &format!("/file/{}", k.as_str()),
        ),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1023), "1023 bytes");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MB");
    }

    #[test]
    fn slugs_use_underscores_and_escape_the_rest() {
        assert_eq!(slug("Lorem ipsum.txt"), "Lorem_ipsum.txt");
        assert_eq!(slug("<a>/b?"), "%3Ca%3E%2Fb%3F");
    }

    #[test]
    fn the_policy_names_the_stylesheet_hash() {
        let page = layout("t", html! {}).into_string();
        let start = page.find("<style>").unwrap() + "<style>".len();
        let end = page.find("</style>").unwrap();
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(&page.as_bytes()[start..end]));
        assert!(CSP.contains(&format!("'sha256-{hash}'")), "{}", *CSP);
        assert!(
            !CSP.contains("script-src"),
            "no script is ever allowed (default-src 'none')"
        );
    }
}
