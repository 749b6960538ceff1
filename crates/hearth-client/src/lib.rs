//! hearth-client: a typed async client for the MediaFire Core API as Hearth serves it.
//! Logs in (v1 or v2 tokens), signs v2 calls, rotates the secret key on `new_key=yes`, and
//! classifies failures by MediaFire error code, never by HTTP status class.

use std::sync::Mutex;

use hearth_api::signature::{call_signature, login_signature, next_secret_key};
use serde_json::Value;

/// How calls travel: as a GET query (like mediafire-fuse) or a POST form (like the PyPI SDK).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Get,
    Post,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a MediaFire error envelope.
    #[error("MediaFire error {code}: {message} (HTTP {http_status})")]
    Api {
        code: u16,
        message: String,
        http_status: u16,
    },
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("protocol: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The MediaFire error code, if the server sent one.
    pub fn code(&self) -> Option<u16> {
        match self {
            ClientError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The state of a logged-in session.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    /// v2 only.
    pub secret_key: Option<u32>,
    pub time: Option<String>,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    version: String,
    transport: Transport,
    session: Mutex<Option<Session>>,
}

/// One HTTP answer, as received.
pub struct RawResponse {
    pub status: u16,
    pub content_type: String,
    pub body: bytes::Bytes,
}

impl RawResponse {
    pub fn json(&self) -> Result<Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ClientError::Protocol(format!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            ))
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    /// `base` is `http://host:port`; calls go to `/api/<version>/…`.
    pub fn new(base: &str) -> Client {
        Client::with_http(base, reqwest::Client::new())
    }

    /// A client that trusts any certificate (for the self-signed test listener).
    pub fn insecure(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .expect("building an HTTP client");
        Client::with_http(base, http)
    }

    pub fn with_http(base: &str, http: reqwest::Client) -> Client {
        Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            version: "1.5".into(),
            transport: Transport::Post,
            session: Mutex::new(None),
        }
    }

    pub fn version(mut self, v: &str) -> Self {
        self.version = v.to_string();
        self
    }

    pub fn transport(mut self, t: Transport) -> Self {
        self.transport = t;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn session(&self) -> Option<Session> {
        self.session.lock().unwrap().clone()
    }

    pub fn set_session(&self, s: Option<Session>) {
        *self.session.lock().unwrap() = s;
    }

    /// The path of a call, e.g. `/api/1.5/user/get_info.php` (`/api/user/…` for version "").
    pub fn path(&self, action: &str) -> String {
        if self.version.is_empty() {
            format!("/api/{action}.php")
        } else {
            format!("/api/{}/{action}.php", self.version)
        }
    }

    /// `user/get_session_token` with the SHA-1 login signature; keeps the session.
    pub async fn login(
        &self,
        application_id: &str,
        api_key: Option<&str>,
        email: &str,
        password: &str,
        token_version: u8,
    ) -> Result<Value, ClientError> {
        let mut parts: Vec<&[u8]> = vec![
            email.as_bytes(),
            password.as_bytes(),
            application_id.as_bytes(),
        ];
        if let Some(k) = api_key {
            parts.push(k.as_bytes());
        }
        let signature = login_signature(&parts);
        let version = token_version.to_string();
        let params = [
            ("email", email),
            ("password", password),
            ("application_id", application_id),
            ("signature", signature.as_str()),
            ("token_version", version.as_str()),
            ("response_format", "json"),
        ];
        let resp = self
            .send_unsigned("user/get_session_token", &params)
            .await?;
        let v = envelope(&resp)?;
        let r = &v["response"];
        let token = r["session_token"]
            .as_str()
            .ok_or_else(|| ClientError::Protocol("no session_token".into()))?
            .to_string();
        let secret_key = r["secret_key"].as_str().and_then(|s| s.parse().ok());
        let time = r["time"].as_str().map(str::to_string);
        self.set_session(Some(Session {
            token,
            secret_key,
            time,
        }));
        Ok(v)
    }

    /// A call with the session (signed for v2) in JSON; rotates the key on `new_key=yes`.
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<Value, ClientError> {
        let resp = self.call_raw(action, params).await?;
        envelope(&resp)
    }

    /// Like [`Client::call`] but returns the raw answer (any format); still rotates the key
    /// when a JSON answer says `new_key=yes`.
    pub async fn call_raw(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<RawResponse, ClientError> {
        let session = self.session();
        let mut all: Vec<(&str, &str)> = params.to_vec();
        if !all.iter().any(|(k, _)| *k == "response_format") {
            all.push(("response_format", "json"));
        }
        let Some(session) = session else {
            return self.send_unsigned(action, &all).await;
        };
        all.push(("session_token", session.token.as_str()));
        let query = encode(&all);
        let path = self.path(action);
        let signed = match (session.secret_key, &session.time) {
            (Some(key), Some(time)) => {
                let sig = call_signature(key, time, &path, query.as_bytes());
                format!("{query}&signature={sig}")
            }
            _ => query,
        };
        let resp = self.send(&path, &signed).await?;
        if let Some(key) = session.secret_key {
            if let Ok(v) = serde_json::from_slice::<Value>(&resp.body) {
                if v["response"]["new_key"].as_str() == Some("yes") {
                    let mut s = self.session.lock().unwrap();
                    if let Some(s) = s.as_mut() {
                        s.secret_key = Some(next_secret_key(key));
                    }
                }
            }
        }
        Ok(resp)
    }

    /// A call without any session, in the configured transport.
    pub async fn send_unsigned(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<RawResponse, ClientError> {
        self.send(&self.path(action), &encode(params)).await
    }

    /// Sends an already-encoded parameter string to `path`.
    pub async fn send(&self, path: &str, encoded: &str) -> Result<RawResponse, ClientError> {
        let url = format!("{}{}", self.base, path);
        let req = match self.transport {
            Transport::Get => self.http.get(format!("{url}?{encoded}")),
            Transport::Post => self
                .http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded.to_string()),
        };
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp.bytes().await?;
        Ok(RawResponse {
            status,
            content_type,
            body,
        })
    }
}

/// `k=v&…` with form encoding (spaces as `+`), in the given order.
pub fn encode(params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Parses a JSON envelope; an `Error` result becomes [`ClientError::Api`].
pub fn envelope(resp: &RawResponse) -> Result<Value, ClientError> {
    let v = resp.json()?;
    let r = &v["response"];
    match r["result"].as_str() {
        Some("Success") => Ok(v),
        Some("Error") => Err(ClientError::Api {
            code: r["error"].as_u64().unwrap_or(0) as u16,
            message: r["message"].as_str().unwrap_or("").to_string(),
            http_status: resp.status,
        }),
        _ => Err(ClientError::Protocol(format!(
            "no result in {}",
            resp.text()
        ))),
    }
}
