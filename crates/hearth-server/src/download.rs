//! Direct downloads: `GET|HEAD /download/<quickkey>/<name>` streams a file's current content
//! with ranges (single and `multipart/byteranges`), validators (strong SHA-256 `ETag`,
//! `Last-Modified`) and an RFC 6266 `Content-Disposition`. Access is decided by the core
//! (`hearth_core::downloads`): open files, signed owner links (`expires`, `sig`), `password`,
//! one-time keys (`otk`). Anything refused answers exactly like a key never issued.

use std::collections::VecDeque;
use std::io::SeekFrom;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hearth_api::keys::QuickKey;
use hearth_core::downloads::{open_to_all, DownloadRequest};
use hearth_core::tree::FileRow;
use hearth_core::Core;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use http_range_header::{parse_range_header, StartPosition};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::handlers::system::media::mime_for;
use crate::listener::ConnInfo;
use crate::AppState;

/// The route (axum path syntax).
pub const ROUTE: &str = "/download/{*rest}";
/// Bytes read from the blob file per body chunk: each read is a round trip to tokio's blocking
/// pool, so chunks are large (64 KiB chunks made a 1 GiB download ~2x slower than nginx).
const CHUNK: u64 = 256 * 1024;

/// `attr-char` of RFC 5987: everything else is percent-encoded in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');
/// Unreserved characters stay as they are in a URL path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The direct-download URL of a file under `base_url` (`scheme://host:port`), with `query`
/// (without `?`; empty for none).
pub fn url(base_url: &str, f: &FileRow, query: &str) -> String {
    let name = utf8_percent_encode(&f.name, PATH_SEGMENT);
    let mut u = format!("{base_url}/download/{}/{name}", f.quickkey);
    if !query.is_empty() {
        u.push('?');
        u.push_str(query);
    }
    u
}

/// The link `file/get_links` hands out for `direct_download`: the plain URL for a file open to
/// all, else (the owner only) a signed one.
pub async fn link_for(
    core: &Core,
    base_url: &str,
    f: &FileRow,
) -> Result<String, hearth_api::errors::ApiError> {
    if open_to_all(f) {
        Ok(url(base_url, f, ""))
    } else {
        Ok(url(base_url, f, &core.signed_download_query(f).await?))
    }
}

/// The one refusal: unknown, private, expired, forged — all the same bytes (and the same as
/// any unknown path).
fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

fn internal() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}

/// `Content-Disposition: attachment` with an ASCII fallback (anything but printable ASCII, and
/// `"`, `\`, `%`, replaced by `_`) and the exact UTF-8 name in `filename*` (RFC 6266/5987).
pub fn disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Whether an `If-None-Match` list matches the entity tag (weak comparison).
fn none_match(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// One piece of a response body: literal bytes, or `len` bytes of the file from `start`.
enum Seg {
    Text(Bytes),
    File { start: u64, len: u64 },
}

struct BodyState {
    file: tokio::fs::File,
    segs: VecDeque<Seg>,
    left: u64,
    /// Counted as a completed download when the last byte has been handed over.
    count: Option<(Core, i64)>,
}

/// A streamed body over the blob file: no buffering beyond one chunk, seeking for ranges.
fn body(file: tokio::fs::File, segs: Vec<Seg>, count: Option<(Core, i64)>) -> Body {
    let st = BodyState {
        file,
        segs: segs.into(),
        left: 0,
        count,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        loop {
            if st.left > 0 {
                let n = st.left.min(CHUNK) as usize;
                // Not zero-filled: read_buf reads into the spare capacity, which may exceed
                // `n`, hence the `take`.
                let mut buf = bytes::BytesMut::with_capacity(n);
                match (&mut st.file).take(n as u64).read_buf(&mut buf).await {
                    Ok(0) | Err(_) => {
                        st.segs.clear();
                        st.left = 0;
                        st.count = None;
                        let e =
                            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "blob short");
                        return Some((Err(e), st));
                    }
                    Ok(got) => {
                        st.left -= got as u64;
                        // The last byte is handed over: counted now (hyper stops polling a
                        // body once its Content-Length is sent, so there is no "after").
                        if st.left == 0 && st.segs.is_empty() {
                            if let Some((core, id)) = st.count.take() {
                                tokio::spawn(async move {
                                    if let Err(e) = core.count_download(id).await {
                                        tracing::warn!(code = e.code, "download not counted");
                                    }
                                });
                            }
                        }
                        return Some((Ok(buf.freeze()), st));
                    }
                }
            }
            match st.segs.pop_front() {
                Some(Seg::Text(b)) => return Some((Ok(b), st)),
                Some(Seg::File { start, len }) => {
                    if let Err(e) = st.file.seek(SeekFrom::Start(start)).await {
                        st.segs.clear();
                        st.count = None;
                        return Some((Err(e), st));
                    }
                    st.left = len;
                }
                None => return None,
            }
        }
    });
    Body::from_stream(stream)
}

/// `GET|HEAD /download/<quickkey>/<name>[?expires=…&sig=…|password=…|otk=…]`.
pub async fn serve(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let core = &state.core;
    let method = req.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    let Some(rest) = req.uri().path().strip_prefix("/download/") else {
        return not_found();
    };
    let Some((key, name)) = rest.split_once('/') else {
        return not_found();
    };
    if QuickKey::parse(key).is_none() || name.is_empty() {
        return not_found();
    }
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let client = req.extensions().get::<ConnInfo>().map(|c| c.peer.ip());
    let ask = DownloadRequest {
        quickkey: key,
        expires: param("expires"),
        sig: param("sig"),
        password: param("password"),
        otk: param("otk"),
        client,
    };
    let grant = match core.download_grant(&ask).await {
        Ok(Some(g)) => g,
        Ok(None) => return not_found(),
        Err(_) => return internal(),
    };
    let f = grant.file;
    let file = match core.open_content(&f).await {
        Ok(file) => file,
        Err(_) => return internal(),
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(_) => return internal(),
    };

    let h = req.headers();
    let etag = format!("\"{}\"", f.hash);
    let modified = UNIX_EPOCH + Duration::from_secs((f.mtime_us.max(0) / 1_000_000) as u64);
    let last_modified = httpdate::fmt_http_date(modified);
    let mime = mime_for(&f.name);
    let mut base = HeaderMap::new();
    let mut put = |k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            base.insert(k, v);
        }
    };
    put(header::ETAG, &etag);
    put(header::LAST_MODIFIED, &last_modified);
    put(header::ACCEPT_RANGES, "bytes");
    put(
        header::CACHE_CONTROL,
        if open_to_all(&f) {
            "public, no-cache"
        } else {
            "private, no-cache"
        },
    );

    // Conditional requests (RFC 9110 §13.2.2): If-None-Match first; If-Modified-Since only
    // without it.
    let not_modified = match header_str(h, header::IF_NONE_MATCH) {
        Some(list) => none_match(list, &etag),
        None => header_str(h, header::IF_MODIFIED_SINCE)
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .is_some_and(|since| modified <= since),
    };
    if not_modified {
        return (StatusCode::NOT_MODIFIED, base).into_response();
    }

    // Range, unless If-Range names another representation.
    let if_range_ok = match header_str(h, header::IF_RANGE) {
        None => true,
        Some(v) if v.starts_with('"') => v == etag,
        Some(v) => httpdate::parse_http_date(v).is_ok_and(|d| d == modified),
    };
    let ranges = match header_str(h, header::RANGE).filter(|_| if_range_ok) {
        None => None,
        Some(r) => match parse_range_header(r) {
            // A malformed Range is ignored (the whole file).
            Err(_) => None,
            Ok(mut parsed) => {
                // A suffix longer than the file means the whole file (RFC 9110 §14.1.2).
                for r in &mut parsed.ranges {
                    if let StartPosition::FromLast(n) = r.start {
                        r.start = StartPosition::FromLast(n.min(len));
                    }
                }
                match parsed.validate(len) {
                    Ok(v) if len > 0 && v.iter().all(|r| r.start() <= r.end()) => Some(v),
                    _ => {
                        put_unsatisfiable(&mut base, len);
                        return (StatusCode::RANGE_NOT_SATISFIABLE, base).into_response();
                    }
                }
            }
        },
    };

    let get = method == Method::GET;
    if get {
        if let Some(id) = grant.one_time_key {
            match core.spend_one_time_key(id).await {
                Ok(true) => {}
                Ok(false) => return not_found(),
                Err(_) => return internal(),
            }
        }
    }

    let (status, segs, length, count) = match ranges {
        None => {
            base.insert(header::CONTENT_TYPE, value(mime));
            base.insert(header::CONTENT_DISPOSITION, value(&disposition(&f.name)));
            let count = get.then(|| (core.clone(), f.id));
            if len == 0 && get {
                if let Err(e) = core.count_download(f.id).await {
                    tracing::warn!(code = e.code, "download not counted");
                }
            }
            (
                StatusCode::OK,
                vec![Seg::File { start: 0, len }],
                len,
                count,
            )
        }
        Some(v) if v.len() == 1 => {
            let (a, b) = (*v[0].start(), *v[0].end());
            base.insert(header::CONTENT_TYPE, value(mime));
            base.insert(header::CONTENT_DISPOSITION, value(&disposition(&f.name)));
            base.insert(
                header::CONTENT_RANGE,
                value(&format!("bytes {a}-{b}/{len}")),
            );
            let seg = Seg::File {
                start: a,
                len: b - a + 1,
            };
            (StatusCode::PARTIAL_CONTENT, vec![seg], b - a + 1, None)
        }
        Some(v) => {
            let boundary = hearth_api::keys::random_token(32);
            let mut segs = Vec::new();
            let mut total = 0u64;
            for r in &v {
                let (a, b) = (*r.start(), *r.end());
                let head = format!(
                    "\r\n--{boundary}\r\nContent-Type: {mime}\r\nContent-Range: bytes {a}-{b}/{len}\r\n\r\n"
                );
                total += head.len() as u64 + (b - a + 1);
                segs.push(Seg::Text(Bytes::from(head)));
                segs.push(Seg::File {
                    start: a,
                    len: b - a + 1,
                });
            }
            let tail = format!("\r\n--{boundary}--\r\n");
            total += tail.len() as u64;
            segs.push(Seg::Text(Bytes::from(tail)));
            base.insert(
                header::CONTENT_TYPE,
                value(&format!("multipart/byteranges; boundary={boundary}")),
            );
            base.insert(header::CONTENT_DISPOSITION, value(&disposition(&f.name)));
            (StatusCode::PARTIAL_CONTENT, segs, total, None)
        }
    };
    base.insert(header::CONTENT_LENGTH, value(&length.to_string()));
    let body = if get {
        body(file, segs, count)
    } else {
        Body::empty()
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = base;
    resp
}

fn put_unsatisfiable(h: &mut HeaderMap, len: u64) {
    h.insert(header::CONTENT_RANGE, value(&format!("bytes */{len}")));
}

/// A header value from text this module built (always visible ASCII).
fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_carry_any_name_safely() {
        assert_eq!(
            disposition("naïve \"quote\";.txt"),
            "attachment; filename=\"na_ve _quote_;.txt\"; filename*=UTF-8''na%C3%AFve%20%22quote%22%3B.txt"
        );
        assert_eq!(
            disposition("a%b\\c.bin"),
            "attachment; filename=\"a_b_c.bin\"; filename*=UTF-8''a%25b%5Cc.bin"
        );
    }

    #[test]
    fn if_none_match_lists() {
        assert!(none_match("\"x\", W/\"abc\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abd\"", "\"abc\""));
    }
}
