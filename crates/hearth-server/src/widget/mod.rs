//! The login widget (spec/auth.md §6): `/auth/mediafire_login.js` (`MF.login`) and the popup
//! page `/auth/mediafire_login.php?app_id=&origin=` that signs a user in and hands a version-1
//! session token to the opener with postMessage. The token is posted only to origins listed in
//! `cors_origins` (browser clients need them there for their API calls anyway).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hearth_api::errors::codes;

use crate::AppState;

const SCRIPT: &str = include_str!("mediafire_login.js");

/// `GET /auth/mediafire_login.js`: the widget, pointed at this server's own origin.
pub async fn script(
    headers: HeaderMap,
    conn: Option<axum::Extension<crate::listener::ConnInfo>>,
) -> Response {
    let origin = own_origin(&headers, conn.map(|c| c.0));
    let body = SCRIPT.replace("__HEARTH_ORIGIN__", &origin);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `scheme://host[:port]` of this server as the browser reached it.
fn own_origin(headers: &HeaderMap, conn: Option<crate::listener::ConnInfo>) -> String {
    let scheme = if conn.is_some_and(|c| c.tls) {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map(str::to_string)
        .or_else(|| conn.map(|c| c.local.to_string()))
        .unwrap_or_else(|| "127.0.0.1".into());
    format!("{scheme}://{host}")
}

fn form(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `GET` shows the form; `POST` signs in.
pub async fn page(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    method: axum::http::Method,
    body: Bytes,
) -> Response {
    let query = form(query.unwrap_or_default().as_bytes());
    let posted = if method == axum::http::Method::POST {
        form(&body)
    } else {
        Vec::new()
    };
    let get = |name: &str| {
        field(&posted, name)
            .or_else(|| field(&query, name))
            .unwrap_or("")
    };
    let (app_id, origin) = (get("app_id").to_string(), get("origin").to_string());
    if !state.widget_origin_allowed(&origin) {
        return html(
            StatusCode::FORBIDDEN,
            &message_page("This site is not allowed to use this server's login."),
        );
    }
    if method != axum::http::Method::POST {
        return html(StatusCode::OK, &form_page(&app_id, &origin, ""));
    }
    match state
        .core
        .widget_login(Some(&app_id), get("email"), get("password"))
        .await
    {
        Ok(token) => html(StatusCode::OK, &success_page(&token.session_token, &origin)),
        Err(e) => {
            let text = match e.code {
                codes::INVALID_APPID | codes::MISSING_PARAMS if app_id.is_empty() => {
                    "Unknown application."
                }
                codes::INVALID_APPID => "Unknown application.",
                codes::APPLICATION_DISABLED | codes::APPLICATION_SUSPENDED => {
                    "This application is not available."
                }
                codes::ACCOUNT_TEMPORARILY_LOCKED => {
                    "This account is temporarily locked. Please, try again later."
                }
                codes::ACCESS_LIMIT_REACHED => "Too many attempts. Please, try again later.",
                codes::MISSING_PARAMS => "Please enter your e-mail address and password.",
                _ => "The e-mail address or password is wrong.",
            };
            html(StatusCode::FORBIDDEN, &form_page(&app_id, &origin, text))
        }
    }
}

fn html(status: StatusCode, body: &str) -> Response {
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The popup must never be framed (clickjacking of the password form).
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

/// Text for HTML element content and attribute values.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A JavaScript string literal safe inside a `<script>` element.
fn js_string(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_else(|_| "\"\"".into())
        .replace("</", "<\\/")
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;}label{display:block;margin:.6em 0;}input{width:100%;padding:.3em;}p.error{color:#b00;}";

fn message_page(text: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title><style>{STYLE}</style></head><body><p class=\"error\">{}</p></body></html>",
        escape_html(text)
    )
}

fn form_page(app_id: &str, origin: &str, error: &str) -> String {
    let error = if error.is_empty() {
        String::new()
    } else {
        format!("<p class=\"error\">{}</p>", escape_html(error))
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title><style>{STYLE}</style></head><body>\
<h1>Sign in</h1>{error}\
<form method=\"post\" action=\"/auth/mediafire_login.php\">\
<input type=\"hidden\" name=\"app_id\" value=\"{app}\"><input type=\"hidden\" name=\"origin\" value=\"{origin_attr}\">\
<label>E-mail <input type=\"email\" name=\"email\" autocomplete=\"username\" required></label>\
<label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\
<button type=\"submit\">Sign in</button></form>\
<script>window.addEventListener(\"message\",function(e){{if(e.origin==={origin_js}&&String(e.data).trim()===\"ping\"){{e.source.postMessage(\"pong\",e.origin);}}}});</script>\
</body></html>",
        app = escape_html(app_id),
        origin_attr = escape_html(origin),
        origin_js = js_string(origin),
    )
}

fn success_page(token: &str, origin: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title><style>{STYLE}</style></head><body>\
<p>Signed in. You can close this window.</p>\
<script>(function(){{var t={token};try{{if(window.opener){{window.opener.postMessage(t,{origin});}}}}catch(e){{}}window.name=t;}})();</script>\
</body></html>",
        token = js_string(token),
        origin = js_string(origin),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_literals_cannot_close_the_script() {
        assert_eq!(js_string("</script><b>"), "\"<\\/script><b>\"");
        assert_eq!(escape_html("\"<a>'&"), "&quot;&lt;a&gt;&#39;&amp;");
    }
}
