//! The one route for every API call: path → call, raw parameters, authentication (token,
//! signature, key rotation), handler, envelope.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use hearth_api::calls::{parse_api_path, AuthKind, CallSpec};
use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{self, Envelope, Format, Obj, Outcome};
use hearth_api::signature::{signature_candidates, strip_signature_param};
use hearth_core::sessions::{Accepts, Caller, SignedRequest};
use http::{header, HeaderValue, Method, StatusCode};
use tracing::Instrument;

use crate::handlers::upload::{UploadBody, UploadHeaders, UploadSource};
use crate::handlers::{self, Ctx};
use crate::listener::ConnInfo;
use crate::params::{format_hint, Params};
use crate::AppState;

/// Largest urlencoded (or multipart, for calls that carry no file) body read: beyond it, 129.
pub const MAX_FORM_BODY: usize = 1024 * 1024;

/// Entry point for every path the router does not know otherwise.
pub async fn entry(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let started = Instant::now();
    let span = tracing::info_span!(
        "api",
        call = tracing::field::Empty,
        user = tracing::field::Empty,
        code = tracing::field::Empty,
        micros = tracing::field::Empty,
    );
    let response = handle(&state, req).instrument(span.clone()).await;
    span.record("micros", started.elapsed().as_micros() as u64);
    // One line per call, with the span's fields; parameters (tokens, signatures, passwords)
    // are never logged.
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "api call"));
    response
}

async fn handle(state: &AppState, req: Request) -> Response {
    let conn = req.extensions().get::<ConnInfo>().copied();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").as_bytes().to_vec();
    let hinted_format = Format::from_param(format_hint(&raw_query).as_deref());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);

    let spec = match parse_api_path(&path) {
        Ok(p) => p.call,
        Err(e) => return error_response(&action_of(&path), hinted_format, e),
    };
    let action = spec.name();
    let span = tracing::Span::current();
    span.record("call", action.as_str());

    let core = &state.core;
    if let Some(c) = conn {
        if !core
            .rate_limiter()
            .admit_address(c.peer.ip(), core.settings().rate_limit_per_address)
        {
            return error_response(
                &action,
                hinted_format,
                ApiError::new(codes::ACCESS_LIMIT_REACHED),
            );
        }
    }

    let read = if streams_body(spec) {
        read_upload_params(req, &raw_query).await
    } else {
        read_params(req, &raw_query)
            .await
            .map(|(p, s)| (p, s, None))
    };
    let (params, signed_raw, upload) = match read {
        Ok(p) => p,
        Err(e) => return error_response(&action, hinted_format, e),
    };
    let format = Format::from_param(params.get("response_format"));

    let caller = match authenticate(state, spec, &params, &path, &signed_raw).await {
        Ok(c) => c,
        Err(e) => return error_response(&action, format, e),
    };
    if let Some(c) = &caller {
        span.record("user", c.user_id);
    }

    let base_url = base_url(conn.as_ref(), host.as_deref());
    let cx = Ctx {
        core,
        params: &params,
        caller: caller.as_ref(),
        base_url,
        upload: std::sync::Mutex::new(upload),
        raw: std::sync::Mutex::new(None),
    };
    // A panic in a handler is a bug, but the client still gets an envelope (100) and the
    // connection survives; the token's claim is released unrotated below.
    let result = std::panic::AssertUnwindSafe(handlers::dispatch(&action, &cx))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!(call = %action, "handler panicked");
            Err(ApiError::new(codes::INTERNAL))
        });
    // A raw answer (not an envelope) cannot carry new_key: it releases the key unrotated.
    let raw = match result {
        Ok(_) => cx.raw.lock().unwrap_or_else(|e| e.into_inner()).take(),
        Err(_) => None,
    };
    let new_key = match &caller {
        Some(c) => core.finish(c, result.is_ok() && raw.is_none()).await,
        None => false,
    };
    if let Some(raw) = raw {
        span.record("code", 0);
        return raw;
    }
    match result {
        Ok(body) => {
            span.record("code", 0);
            envelope_response(
                StatusCode::OK,
                format,
                &Envelope {
                    action,
                    body,
                    outcome: Outcome::Success { new_key },
                },
            )
        }
        Err(e) => error_response(&action, format, e),
    }
}

/// `scheme://host[:port]` of this request (its Host header, else the local address), so that
/// links in answers use the scheme and port the client used.
fn base_url(conn: Option<&ConnInfo>, host: Option<&str>) -> String {
    let scheme = if conn.is_some_and(|c| c.tls) {
        "https"
    } else {
        "http"
    };
    let host_ok = |h: &&str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    };
    match (host.filter(host_ok), conn) {
        (Some(h), _) => format!("{scheme}://{h}"),
        (None, Some(c)) => format!("{scheme}://{}", c.local),
        (None, None) => format!("{scheme}://127.0.0.1"),
    }
}

/// The `action` to echo for a path that names no known call: `group/call` when it looks like one.
fn action_of(path: &str) -> String {
    let trimmed = path.trim_end_matches(".php");
    let parts: Vec<&str> = trimmed.rsplitn(3, '/').collect();
    match parts.as_slice() {
        [call, group, ..] if !call.is_empty() && !group.is_empty() => format!("{group}/{call}"),
        _ => String::new(),
    }
}

/// The calls whose body carries file bytes: their body is streamed to the handler, never read
/// into parameters.
fn streams_body(spec: &CallSpec) -> bool {
    spec.group == "upload" && matches!(spec.call, "simple" | "resumable" | "update" | "patch")
}

/// A header's raw bytes as UTF-8 (`X-Filename` is sent as raw UTF-8, not ISO-8859-1).
fn header_text(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| String::from_utf8(v.as_bytes().to_vec()).ok())
}

/// Parameters of a byte-carrying upload call: the query string and, for a multipart body, the
/// text fields before the file part. The body (or the file part) is handed on unread, with the
/// upload headers; the signed string is the query (or, with an empty query, the sorted
/// multipart fields as for other calls).
async fn read_upload_params(
    req: Request,
    raw_query: &[u8],
) -> Result<(Params, Vec<u8>, Option<UploadBody>), ApiError> {
    if !matches!(*req.method(), Method::GET | Method::POST | Method::HEAD) {
        return Err(ApiError::new(codes::INVALID_PARAMS));
    }
    let mut params = Params::default();
    params.add_urlencoded(raw_query)?;
    let mut signed = raw_query.to_vec();
    let headers = req.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let upload_headers = UploadHeaders {
        filename: header_text(headers, "x-filename"),
        filesize: header_text(headers, "x-filesize"),
        filehash: header_text(headers, "x-filehash"),
        unit_id: header_text(headers, "x-unit-id"),
        unit_hash: header_text(headers, "x-unit-hash"),
        unit_size: header_text(headers, "x-unit-size"),
        content_type: content_type.clone(),
    };
    let lower = content_type.to_ascii_lowercase();
    if lower.starts_with("application/x-www-form-urlencoded") {
        // No file bytes travel in a form body: its parameters are read as for any call.
        let (params, signed) = read_params(req, raw_query).await?;
        let body = UploadBody {
            headers: upload_headers,
            part_filename: None,
            source: UploadSource::Empty,
        };
        return Ok((params, signed, Some(body)));
    }
    let body = req.into_body();
    if !lower.starts_with("multipart/form-data") {
        let source = UploadSource::Raw(body.into_data_stream());
        return Ok((
            params,
            signed,
            Some(UploadBody {
                headers: upload_headers,
                part_filename: None,
                source,
            }),
        ));
    }
    let boundary =
        multer::parse_boundary(&content_type).map_err(|_| ApiError::new(codes::INVALID_PARAMS))?;
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut fields = Vec::new();
    let mut text_bytes = 0usize;
    let mut file = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| ApiError::new(codes::INVALID_PARAMS))?
    {
        if field.file_name().is_some() {
            file = Some(field);
            break;
        }
        let name = field.name().unwrap_or("").to_string();
        let mut value = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|_| ApiError::new(codes::INVALID_PARAMS))?
        {
            text_bytes += chunk.len();
            if text_bytes > MAX_FORM_BODY {
                return Err(ApiError::new(codes::INVALID_PARAMS));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value).map_err(|_| ApiError::new(codes::INVALID_PARAMS))?;
        fields.push((name, value));
    }
    let sig_fields: Vec<(String, String)> = fields
        .iter()
        .filter(|(n, _)| n != "signature")
        .cloned()
        .collect();
    if !sig_fields.is_empty() && signed.is_empty() {
        signed = hearth_api::signature::sorted_encoded_candidate(&sig_fields);
    }
    for (n, v) in fields {
        params.add(n, v);
    }
    let part_filename = file
        .as_ref()
        .and_then(|f| f.file_name())
        .map(str::to_string);
    let source = match file {
        Some(f) => UploadSource::Part(Box::new((multipart, f))),
        None => UploadSource::Empty,
    };
    Ok((
        params,
        signed,
        Some(UploadBody {
            headers: upload_headers,
            part_filename,
            source,
        }),
    ))
}

/// Reads every parameter, and the raw string a v2 signature covers: the query, then an
/// urlencoded body (joined by `&`).
async fn read_params(req: Request, raw_query: &[u8]) -> Result<(Params, Vec<u8>), ApiError> {
    if !matches!(*req.method(), Method::GET | Method::POST | Method::HEAD) {
        return Err(ApiError::new(codes::INVALID_PARAMS));
    }
    let mut params = Params::default();
    params.add_urlencoded(raw_query)?;
    let mut signed = raw_query.to_vec();

    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(&content_type)
            .map_err(|_| ApiError::new(codes::INVALID_PARAMS))?;
        let body = read_limited(req.into_body(), MAX_FORM_BODY).await?;
        let mut multipart = multer::Multipart::new(
            futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) }),
            boundary,
        );
        let mut fields = Vec::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|_| ApiError::new(codes::INVALID_PARAMS))?
        {
            if field.file_name().is_some() {
                continue; // file parts belong to the upload calls, which stream them
            }
            let name = field.name().unwrap_or("").to_string();
            let value = field
                .text()
                .await
                .map_err(|_| ApiError::new(codes::INVALID_PARAMS))?;
            fields.push((name, value));
        }
        // Multipart clients sign their API fields sorted and urlencoded (spec/auth.md §4.4).
        let sig_fields: Vec<(String, String)> = fields
            .iter()
            .filter(|(n, _)| n != "signature")
            .cloned()
            .collect();
        if !sig_fields.is_empty() && signed.is_empty() {
            signed = hearth_api::signature::sorted_encoded_candidate(&sig_fields);
        }
        for (n, v) in fields {
            params.add(n, v);
        }
    } else {
        let body = read_limited(req.into_body(), MAX_FORM_BODY).await?;
        if !body.is_empty() {
            params.add_urlencoded(&body)?;
            if !signed.is_empty() {
                signed.push(b'&');
            }
            signed.extend_from_slice(&body);
        }
    }
    Ok((params, signed))
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::new(codes::INVALID_PARAMS))?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::with_message(
                codes::INVALID_PARAMS,
                format!(
                    "One or more parameters for this request are invalid. The request body exceeds {limit} bytes."
                ),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

async fn authenticate(
    state: &AppState,
    spec: &CallSpec,
    params: &Params,
    path: &str,
    signed_raw: &[u8],
) -> Result<Option<Caller>, ApiError> {
    let accepts = match spec.auth {
        AuthKind::None | AuthKind::Ignored => return Ok(None),
        // Polling needs no token, but the JS uploader sends its upload action token.
        AuthKind::Optional if spec.group == "upload" && spec.call == "poll_upload" => {
            Accepts::SessionOrUploadToken
        }
        AuthKind::Optional | AuthKind::Session => Accepts::SessionOnly,
        AuthKind::SessionOrUploadToken => Accepts::SessionOrUploadToken,
    };
    let token = match params.non_empty("session_token") {
        Some(t) => t,
        None if matches!(spec.auth, AuthKind::Optional) => return Ok(None),
        // A FileDrop upload's credential is its `filedrop_key` (checked by the handler).
        None if handlers::upload::filedrop::anonymous_allowed(spec, params) => return Ok(None),
        None => return Err(ApiError::new(codes::MISSING_TOKEN)),
    };
    let candidates = signature_candidates(&strip_signature_param(signed_raw));
    let signed = SignedRequest {
        path,
        candidates: &candidates,
        signature: params.non_empty("signature"),
    };
    state
        .core
        .authenticate(token, &signed, accepts)
        .await
        .map(Some)
}

fn error_response(action: &str, format: Format, e: ApiError) -> Response {
    tracing::Span::current().record("code", e.code);
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    envelope_response(
        status,
        format,
        &Envelope {
            action: action.to_string(),
            body: Obj::new(),
            outcome: Outcome::Error {
                code: e.code,
                message: e.message.clone(),
            },
        },
    )
}

fn envelope_response(status: StatusCode, format: Format, env: &Envelope) -> Response {
    let (bytes, content_type) = match format {
        Format::Json => (response::to_json(env), response::JSON_CONTENT_TYPE),
        Format::Xml => (response::to_xml(env), response::XML_CONTENT_TYPE),
    };
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn action_of_unknown_paths() {
        assert_eq!(super::action_of("/api/1.5/foo/bar.php"), "foo/bar");
        assert_eq!(super::action_of("/api/nope"), "api/nope");
    }
}
