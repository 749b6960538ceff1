//! Fetching a URL on a user's behalf (`upload/add_web_upload`, `user/set_avatar url=`) without
//! letting them reach the server's own networks (SSRF).
//!
//! - Only `http` and `https` URLs with a host.
//! - The host is resolved once ([`tokio::net::lookup_host`], bounded in time) and every address
//!   it resolves to is checked ([`refusal`]); one refused address refuses the host. The
//!   connection then goes to exactly the checked addresses: the HTTP client gets them as the
//!   fixed resolution of that host name, and its own resolver ([`NoLookup`]) fails every other
//!   look-up, so no second DNS answer is ever used. The `Host` header and the TLS server name
//!   stay the URL's. An IP-literal host is checked as it is.
//! - Redirects are followed here, at most [`MAX_REDIRECTS`], each target checked the same way.
//! - No proxies (the environment's are ignored), no cookies, no decompression.
//! - One deadline covers everything: look-ups, connects, headers and the body.
//!
//! Refused unless listed in the allow list (`web_upload_allow_cidrs`): every address that is not
//! public unicast — see [`refusal`] for the ranges, which follow the IANA special-purpose
//! registries. IPv4 embedded in IPv6 (mapped `::ffff:a.b.c.d`, translated, NAT64 `64:ff9b::/96`,
//! 6to4 `2002::/16`) is judged as the IPv4 address it carries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ipnet::IpNet;
use reqwest::Url;
use tokio::time::Instant;

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 4096;
/// A name look-up gets at most this long (within the overall deadline).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a fetch did not happen or broke off. The `Display` text is meant for the user: it never
/// tells what a host name resolves to, so the server's resolver cannot be used as an oracle
/// for internal names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// Not an absolute `http`/`https` URL with a host.
    BadUrl(&'static str),
    /// An IP-literal host in a refused range.
    RefusedAddress { addr: IpAddr, why: &'static str },
    /// A host name that resolves to a refused address (or to none).
    RefusedHost { host: String },
    /// More than [`MAX_REDIRECTS`] redirects.
    TooManyRedirects,
    /// The server answered with an error status (or a redirect without `Location`).
    Status(u16),
    /// The deadline passed.
    TimedOut,
    /// Connecting failed or the connection broke off.
    Network,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::BadUrl(why) => write!(f, "{why}"),
            FetchError::RefusedAddress { addr, why } => write!(
                f,
                "{addr} is a {why} address; this server fetches only from public addresses"
            ),
            FetchError::RefusedHost { host } => write!(
                f,
                "the host {host} does not resolve to a public address; this server fetches only from public addresses"
            ),
            FetchError::TooManyRedirects => {
                write!(f, "more than {MAX_REDIRECTS} redirects")
            }
            FetchError::Status(s) => write!(f, "the server answered HTTP {s}"),
            FetchError::TimedOut => write!(f, "the time limit was reached"),
            FetchError::Network => write!(f, "the connection failed or broke off"),
        }
    }
}

impl std::error::Error for FetchError {}

/// Parses a comma- or whitespace-separated list of CIDR blocks (`127.0.0.1/32`, `::1/128`); a
/// bare address means that one address.
pub fn parse_cidrs(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an address or CIDR block"))
        })
        .collect()
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// IPv4 ranges that are not public unicast (IANA IPv4 special-purpose registry), beyond what
/// std classifies.
const V4_REFUSED: &[([u8; 4], u32, &str)] = &[
    ([0, 0, 0, 0], 8, "\"this network\""),
    ([100, 64, 0, 0], 10, "carrier-grade NAT"),
    ([192, 0, 0, 0], 24, "IETF protocol assignment"),
    ([192, 88, 99, 0], 24, "6to4 relay anycast"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([240, 0, 0, 0], 4, "reserved"),
];

/// IPv6 ranges that are not public unicast (IANA IPv6 special-purpose registry), beyond what
/// std classifies and the IPv4-carrying ones handled by [`refusal_v6`].
const V6_REFUSED: &[([u16; 8], u32, &str)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible (deprecated)"),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use NAT64"),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
    (
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignment",
    ),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation"),
    ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "SRv6 SID"),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (deprecated)"),
];

/// Why `ip` may not be fetched from, or `None` for a public unicast address.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_private() {
        return Some("private");
    }
    if ip.is_link_local() {
        return Some("link-local");
    }
    if ip.is_broadcast() {
        return Some("broadcast");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    if ip.is_documentation() {
        return Some("documentation");
    }
    V4_REFUSED
        .iter()
        .find(|(net, len, _)| in_v4(ip, *net, *len))
        .map(|(_, _, why)| *why)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    if ip.is_unique_local() {
        return Some("private (unique local)");
    }
    if ip.is_unicast_link_local() {
        return Some("link-local");
    }
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d.
    if let Some(m) = ip.to_ipv4_mapped() {
        return refusal_v4(m);
    }
    if in_v6(ip, [0, 0, 0, 0, 0xffff, 0, 0, 0], 96) {
        return refusal_v4(v4(s[6], s[7]));
    }
    // NAT64 (well-known prefix) and 6to4 reach the IPv4 address they carry.
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return refusal_v4(v4(s[6], s[7]));
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        return refusal_v4(v4(s[1], s[2]));
    }
    V6_REFUSED
        .iter()
        .find(|(net, len, _)| in_v6(ip, *net, *len))
        .map(|(_, _, why)| *why)
}

/// `Ok` when `ip` may be fetched from: public, or in the allow list (checked against the address
/// and, for IPv4-mapped IPv6, the IPv4 address it carries).
pub fn check_addr(ip: IpAddr, allow: &[IpNet]) -> Result<(), &'static str> {
    let Some(why) = refusal(ip) else {
        return Ok(());
    };
    let canonical = ip.to_canonical();
    if allow
        .iter()
        .any(|n| n.contains(&ip) || n.contains(&canonical))
    {
        Ok(())
    } else {
        Err(why)
    }
}

/// What a fetch may do.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Addresses allowed although they are in a refused range.
    pub allow: Vec<IpNet>,
    /// Everything ends by then.
    pub deadline: Instant,
}

impl Policy {
    pub fn new(allow: Vec<IpNet>, timeout: Duration) -> Policy {
        Policy {
            allow,
            deadline: Instant::now() + timeout,
        }
    }
}

/// A URL whose host was resolved and whose addresses were checked: fetch it with [`fetch`].
#[derive(Clone, Debug)]
pub struct Checked {
    pub url: Url,
    addrs: Vec<SocketAddr>,
}

/// Parses `url` and checks it (scheme, host, every address the host resolves to).
pub async fn check(url: &str, policy: &Policy) -> Result<Checked, FetchError> {
    let url = url.trim();
    if url.len() > MAX_URL_LEN {
        return Err(FetchError::BadUrl("the URL is too long"));
    }
    let url = Url::parse(url).map_err(|_| FetchError::BadUrl("not an absolute URL"))?;
    check_url(url, policy).await
}

async fn check_url(url: Url, policy: &Policy) -> Result<Checked, FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl(
            "only http and https URLs can be fetched",
        ));
    }
    let port = url
        .port_or_known_default()
        .ok_or(FetchError::BadUrl("the URL has no port"))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        None => return Err(FetchError::BadUrl("the URL has no host")),
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => {
            let host = name.to_string();
            let until = policy.deadline.min(Instant::now() + LOOKUP_TIMEOUT);
            let found = match tokio::time::timeout_at(
                until,
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await
            {
                Err(_) if Instant::now() >= policy.deadline => return Err(FetchError::TimedOut),
                Err(_) | Ok(Err(_)) => Vec::new(),
                Ok(Ok(addrs)) => addrs.collect(),
            };
            let refused = found
                .iter()
                .find_map(|a| check_addr(a.ip(), &policy.allow).err().map(|w| (a.ip(), w)));
            if found.is_empty() || refused.is_some() {
                match refused {
                    Some((addr, why)) => {
                        tracing::info!(%host, %addr, why, "fetch refused: host resolves to a refused address")
                    }
                    None => tracing::info!(%host, "fetch refused: host does not resolve"),
                }
                return Err(FetchError::RefusedHost { host });
            }
            return Ok(Checked { url, addrs: found });
        }
    };
    for a in &addrs {
        if let Err(why) = check_addr(a.ip(), &policy.allow) {
            return Err(FetchError::RefusedAddress { addr: a.ip(), why });
        }
    }
    Ok(Checked { url, addrs })
}

/// The resolver the HTTP client is given: it refuses every look-up, so the client can only
/// connect to the addresses fixed for the checked host (or to a checked IP literal).
struct NoLookup;

impl reqwest::dns::Resolve for NoLookup {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            Err(format!("look-up of {name} refused: only checked addresses are used").into())
        })
    }
}

/// An HTTP client for one request to `to`, which may connect only to its checked addresses.
fn client_for(to: &Checked, policy: &Policy) -> Result<reqwest::Client, FetchError> {
    let remaining = policy.deadline.saturating_duration_since(Instant::now());
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(NoLookup))
        .connect_timeout(remaining.max(Duration::from_millis(1)))
        .pool_max_idle_per_host(0)
        .user_agent(concat!(
            "Hearth/",
            env!("CARGO_PKG_VERSION"),
            " (web upload)"
        ));
    if let Some(url::Host::Domain(name)) = to.url.host() {
        b = b.resolve_to_addrs(name, &to.addrs);
    }
    b.build().map_err(|e| {
        tracing::error!(error = %e, "building the fetch client");
        FetchError::Network
    })
}

/// A response with a success status, its body still to be read with [`Response::chunk`].
pub struct Response {
    /// The URL that answered (after redirects).
    pub url: Url,
    pub content_length: Option<u64>,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    inner: reqwest::Response,
    deadline: Instant,
}

impl Response {
    /// The next piece of the body; `Ok(None)` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        match tokio::time::timeout_at(self.deadline, self.inner.chunk()).await {
            Err(_) => Err(FetchError::TimedOut),
            Ok(Err(e)) => {
                tracing::info!(error = %e, url = %self.url, "fetch broke off");
                Err(FetchError::Network)
            }
            Ok(Ok(c)) => Ok(c),
        }
    }
}

/// GETs a checked URL, following redirects (each checked like the first), until a success
/// status. Anything but 2xx (after redirects) is [`FetchError::Status`].
pub async fn fetch(first: Checked, policy: &Policy) -> Result<Response, FetchError> {
    let mut to = first;
    let mut redirects = 0;
    loop {
        let client = client_for(&to, policy)?;
        let req = client
            .get(to.url.clone())
            .header(reqwest::header::ACCEPT, "*/*")
            .header(reqwest::header::ACCEPT_ENCODING, "identity");
        let resp = match tokio::time::timeout_at(policy.deadline, req.send()).await {
            Err(_) => return Err(FetchError::TimedOut),
            Ok(Err(e)) => {
                tracing::info!(error = %e, url = %to.url, "fetch failed");
                return Err(FetchError::Network);
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status();
        if status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED {
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| std::str::from_utf8(l.as_bytes()).ok())
                .and_then(|l| to.url.join(l.trim()).ok())
                .ok_or(FetchError::Status(status.as_u16()))?;
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects);
            }
            to = check_url(next, policy).await?;
            continue;
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
                .map(str::to_string)
        };
        return Ok(Response {
            url: to.url.clone(),
            content_length: resp.content_length(),
            content_type: header(reqwest::header::CONTENT_TYPE),
            content_disposition: header(reqwest::header::CONTENT_DISPOSITION),
            inner: resp,
            deadline: policy.deadline,
        });
    }
}

/// The file name a response suggests: `Content-Disposition` (`filename*` before `filename`),
/// else the URL's last path segment; sanitized (see [`sanitize_name`]).
pub fn suggested_name(content_disposition: Option<&str>, url: &Url) -> Option<String> {
    content_disposition
        .and_then(disposition_filename)
        .and_then(|n| sanitize_name(&n))
        .or_else(|| {
            let seg = url.path_segments()?.next_back()?;
            let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
            sanitize_name(&decoded)
        })
}

/// The `filename*` (RFC 8187: `charset'lang'percent-encoded`, UTF-8 or ISO-8859-1) or
/// `filename` (token or quoted string) parameter of a `Content-Disposition` value.
fn disposition_filename(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for (name, v) in disposition_params(value) {
        match name.to_ascii_lowercase().as_str() {
            "filename*" => {
                let mut parts = v.splitn(3, '\'');
                let (charset, _lang, encoded) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
                extended = match charset.to_ascii_lowercase().as_str() {
                    "utf-8" => String::from_utf8(bytes).ok(),
                    "iso-8859-1" => Some(bytes.iter().map(|&b| char::from(b)).collect()),
                    _ => None,
                };
            }
            "filename" => plain = Some(v),
            _ => {}
        }
    }
    extended.or(plain)
}

/// The `name=value` parameters after the disposition type; quoted values unescaped.
fn disposition_params(value: &str) -> Vec<(String, String)> {
    // Split on `;` outside quoted strings.
    let mut pieces = vec![String::new()];
    let (mut quoted, mut escaped) = (false, false);
    for c in value.chars() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c == '"' {
            quoted = true;
        } else if c == ';' {
            pieces.push(String::new());
            continue;
        }
        if let Some(p) = pieces.last_mut() {
            p.push(c);
        }
    }
    pieces
        .iter()
        .skip(1)
        .filter_map(|p| {
            let (name, v) = p.split_once('=')?;
            let v = v.trim();
            let v = match v.strip_prefix('"') {
                Some(inner) => unquote(inner),
                None => v.to_string(),
            };
            Some((name.trim().to_string(), v))
        })
        .collect()
}

/// The text of a quoted string whose opening quote is already consumed.
fn unquote(inner: &str) -> String {
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => break,
            c => out.push(c),
        }
    }
    out
}

/// A name safe to store: the last component of any path, without control characters,
/// trimmed, at most 255 bytes (cut on a character boundary); `None` if nothing is left or the
/// name is `.` / `..`.
pub fn sanitize_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = last.chars().filter(|c| !c.is_control()).collect();
    name = name.trim().to_string();
    if name.len() > 255 {
        let mut cut = 255;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
        name = name.trim_end().to_string();
    }
    if name.is_empty() || name == "." || name == ".." {
        None
    } else {
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        refusal(s.parse().unwrap()).is_some()
    }

    #[test]
    fn every_refused_range_is_refused() {
        for a in [
            // IPv4
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "169.254.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.0.1",
            "192.168.255.255",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
            // IPv6
            "::",
            "::1",
            "::127.0.0.1",
            "::8.8.8.8",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::ffff:0:127.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::192.168.1.1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2001:2::1",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
        ] {
            assert!(refused(a), "{a} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.167.255.255",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:200::1",
        ] {
            assert!(
                !refused(a),
                "{a} must pass, got {:?}",
                refusal(a.parse().unwrap())
            );
        }
    }

    #[test]
    fn the_allow_list_opens_exactly_what_it_lists() {
        let allow = parse_cidrs("127.0.0.1/32, 10.1.0.0/16").unwrap();
        let ok = |s: &str| check_addr(s.parse().unwrap(), &allow).is_ok();
        assert!(ok("127.0.0.1"));
        assert!(ok("::ffff:127.0.0.1"), "mapped form of an allowed address");
        assert!(ok("10.1.2.3"));
        assert!(!ok("127.0.0.2"));
        assert!(!ok("::1"));
        assert!(!ok("10.2.0.1"));
        assert!(!ok("169.254.169.254"));
        assert!(ok("8.8.8.8"));
        assert_eq!(check_addr("::1".parse().unwrap(), &[]), Err("loopback"));
        assert_eq!(parse_cidrs("").unwrap(), vec![]);
        assert_eq!(parse_cidrs("::1").unwrap().len(), 1);
        assert!(parse_cidrs("localhost").is_err());
        assert!(parse_cidrs("10.0.0.0/33").is_err());
    }

    #[tokio::test]
    async fn urls_are_checked_before_anything_is_sent() {
        async fn bad(u: &str) -> FetchError {
            let p = Policy::new(vec![], Duration::from_secs(5));
            check(u, &p).await.unwrap_err()
        }
        assert!(matches!(
            bad("ftp://example.com/x").await,
            FetchError::BadUrl(_)
        ));
        assert!(matches!(
            bad("file:///etc/passwd").await,
            FetchError::BadUrl(_)
        ));
        assert!(matches!(bad("not a url").await, FetchError::BadUrl(_)));
        assert!(matches!(bad("/relative").await, FetchError::BadUrl(_)));
        for u in [
            "http://127.0.0.1/",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "https://2130706433/",
            "http://0x7f.1/",
            "http://[64:ff9b::7f00:1]/",
        ] {
            assert!(
                matches!(bad(u).await, FetchError::RefusedAddress { .. }),
                "{u}"
            );
        }
        assert!(matches!(
            bad("http://localhost:1/").await,
            FetchError::RefusedHost { .. }
        ));
    }

    /// A one-request-per-connection HTTP server on 127.0.0.1 answering `reply`; sends back the
    /// `Host` header of each request it got.
    async fn origin(
        reply: &'static str,
    ) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let host = head
                    .lines()
                    .find_map(|l| l.strip_prefix("host: ").or(l.strip_prefix("Host: ")))
                    .unwrap_or("")
                    .to_string();
                let _ = tx.send(host);
                s.write_all(reply.as_bytes()).await.unwrap();
                s.shutdown().await.unwrap();
            }
        });
        (addr, rx)
    }

    #[tokio::test]
    async fn a_host_name_connects_only_to_its_checked_addresses() {
        let (addr, mut hosts) =
            origin("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello").await;
        let p = Policy::new(
            parse_cidrs("127.0.0.1/32").unwrap(),
            Duration::from_secs(10),
        );
        // A name no resolver knows, fixed to the checked address: the request reaches it, with
        // the name as its Host, and nothing looks the name up.
        let checked = Checked {
            url: Url::parse(&format!(
                "http://files.example.invalid:{}/a.bin",
                addr.port()
            ))
            .unwrap(),
            addrs: vec![addr],
        };
        let mut r = fetch(checked, &p).await.unwrap();
        assert_eq!(r.content_length, Some(5));
        assert_eq!(r.chunk().await.unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(r.chunk().await.unwrap(), None);
        assert_eq!(
            hosts.recv().await.unwrap(),
            format!("files.example.invalid:{}", addr.port())
        );
        // A redirect to another name is resolved and checked anew: this one does not resolve.
        let (addr2, mut hosts2) = origin(
            "HTTP/1.1 302 Found\r\nlocation: http://other.example.invalid/x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        let checked = check(&format!("http://127.0.0.1:{}/r", addr2.port()), &p)
            .await
            .unwrap();
        assert_eq!(
            fetch(checked, &p).await.err(),
            Some(FetchError::RefusedHost {
                host: "other.example.invalid".into()
            })
        );
        assert_eq!(
            hosts2.recv().await.unwrap(),
            format!("127.0.0.1:{}", addr2.port())
        );
        // The same name with the loopback not allowed: refused before connecting.
        let strict = Policy::new(vec![], Duration::from_secs(10));
        assert!(matches!(
            check(&format!("http://127.0.0.1:{}/a.bin", addr.port()), &strict).await,
            Err(FetchError::RefusedAddress { .. })
        ));
    }

    #[test]
    fn names_come_from_the_disposition_or_the_url() {
        let url = Url::parse("http://h/dir/some%20file.tar.gz?x=1").unwrap();
        assert_eq!(
            suggested_name(None, &url).as_deref(),
            Some("some file.tar.gz")
        );
        assert_eq!(
            suggested_name(Some("attachment; filename=\"a \\\"b\\\".txt\""), &url).as_deref(),
            Some("a \"b\".txt")
        );
        assert_eq!(
            suggested_name(
                Some("attachment; filename=plain.bin; filename*=UTF-8''%C3%A9t%C3%A9.txt"),
                &url
            )
            .as_deref(),
            Some("été.txt")
        );
        assert_eq!(
            suggested_name(Some("attachment; filename=\"../../etc/passwd\""), &url).as_deref(),
            Some("passwd")
        );
        assert_eq!(
            suggested_name(Some("inline"), &Url::parse("http://h/").unwrap()),
            None
        );
        assert_eq!(
            suggested_name(None, &Url::parse("http://h/a/..%2F..%2Fx%0a").unwrap()).as_deref(),
            Some("x")
        );
        assert_eq!(sanitize_name(".."), None);
        assert_eq!(sanitize_name(" \t "), None);
        let long = "é".repeat(200);
        let s = sanitize_name(&long).unwrap();
        assert!(s.len() <= 255 && s.chars().all(|c| c == 'é'));
    }
}
