//! Signature math (spec/auth.md §2, §4): the SHA-1 login signature, the MD5 call signature of
//! v2 session tokens, its candidate query strings, and the MINSTD secret-key rotation.

use md5::{Digest as _, Md5};
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// The MINSTD modulus; secret keys live in `1..MODULUS`.
pub const SECRET_KEY_MODULUS: u32 = 2_147_483_647;
const MULTIPLIER: u64 = 16_807;

/// The name of the call-signature parameter.
pub const SIGNATURE_PARAM: &[u8] = b"signature";

/// The next v2 secret key: `k × 16807 mod 2147483647`.
pub fn next_secret_key(k: u32) -> u32 {
    // The result is below the modulus, so it fits in u32.
    ((u64::from(k) * MULTIPLIER) % u64::from(SECRET_KEY_MODULUS)) as u32
}

/// Lowercase hex `MD5(str(k mod 256) + time + path + "?" + query)`.
pub fn call_signature(secret_key: u32, time: &str, path: &str, query: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update((secret_key % 256).to_string().as_bytes());
    md5.update(time.as_bytes());
    md5.update(path.as_bytes());
    md5.update(b"?");
    md5.update(query);
    hex::encode(md5.finalize())
}

fn is_signature_pair(pair: &[u8]) -> bool {
    let key = pair.split(|&b| b == b'=').next().unwrap_or_default();
    key == SIGNATURE_PARAM
}

/// The raw query or urlencoded body without any `signature[=…]` pair and its joining `&`;
/// everything else stays byte for byte.
pub fn strip_signature_param(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut first = true;
    for pair in raw.split(|&b| b == b'&') {
        if is_signature_pair(pair) {
            continue;
        }
        if !first {
            out.push(b'&');
        }
        out.extend_from_slice(pair);
        first = false;
    }
    out
}

/// The strings a client may have signed (auth.md §4.4 step 3): A the raw string, B the same
/// with `+` → space and `%XX` decoded. Duplicates are dropped.
pub fn signature_candidates(raw_without_sig: &[u8]) -> Vec<Vec<u8>> {
    let plus_as_space: Vec<u8> = raw_without_sig
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let decoded: Vec<u8> = percent_decode(&plus_as_space).collect();
    let mut out = vec![raw_without_sig.to_vec()];
    if decoded != raw_without_sig {
        out.push(decoded);
    }
    out
}

/// Go's `url.QueryEscape`: everything but `A-Za-z0-9-_.~` is escaped (space as `+`, below).
const QUERY_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn query_escape(s: &str) -> String {
    utf8_percent_encode(s, QUERY_ESCAPE)
        .to_string()
        .replace("%20", "+")
}

/// The candidate for multipart uploads whose API fields arrive as text parts (Go client):
/// `k=v` pairs sorted by key (stable for repeated keys), URL-encoded like Go's
/// `url.Values.Encode`, joined by `&`. A `signature` field is left out.
pub fn sorted_encoded_candidate(fields: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = fields
        .iter()
        .filter(|(k, _)| k.as_bytes() != SIGNATURE_PARAM)
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Compares two hex digests, ignoring ASCII case, without an early exit on the first
/// differing byte.
fn hex_eq(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| {
        acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase())
    }) == 0
}

/// Whether `signature` matches any candidate under `secret_key`.
pub fn verify_call_signature(
    secret_key: u32,
    time: &str,
    path: &str,
    candidates: &[Vec<u8>],
    signature: &str,
) -> bool {
    candidates.iter().fold(false, |ok, candidate| {
        let expected = call_signature(secret_key, time, path, candidate);
        hex_eq(&expected, signature) | ok
    })
}

/// Lowercase hex SHA-1 of the concatenated parts.
pub fn login_signature(parts: &[&[u8]]) -> String {
    let mut sha = Sha1::new();
    for part in parts {
        sha.update(part);
    }
    hex::encode(sha.finalize())
}

/// Verifies a `user/get_session_token` signature: `SHA1(parts + app_id + api_key)`, or
/// `SHA1(parts + app_id)` when the app does not require its key or has none.
pub fn verify_login_signature(
    credential_parts: &[&[u8]],
    application_id: &str,
    api_key: Option<&str>,
    require_key: bool,
    signature: &str,
) -> bool {
    let mut parts: Vec<&[u8]> = credential_parts.to_vec();
    parts.push(application_id.as_bytes());
    let without_key = login_signature(&parts);
    let mut ok = false;
    if let Some(key) = api_key {
        parts.push(key.as_bytes());
        ok |= hex_eq(&login_signature(&parts), signature);
    }
    if !require_key || api_key.is_none() {
        ok |= hex_eq(&without_key, signature);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIME: &str = "1359061000.8125";

    fn token() -> String {
        "0123456789".repeat(14)
    }

    /// The server's path: strip, build candidates, verify.
    fn server_accepts(key: u32, path: &str, raw_with_sig: &str, sig: &str) -> bool {
        let stripped = strip_signature_param(raw_with_sig.as_bytes());
        let candidates = signature_candidates(&stripped);
        verify_call_signature(key, TIME, path, &candidates, sig)
    }

    // auth.md §2.2
    #[test]
    fn login_vectors() {
        let app = "9999";
        let key = "abcdefghijklmnopqrst";
        let email: &[&[u8]] = &[b"testemail@domain.com", b"111111"];
        let with_key = "d9ce3bfaba1e0bef7a5d99bdab706e36b4ee8c71";
        let without_key = "75f885810b23d94a2c0bbdc5fb66dccad0b30bd2";
        assert_eq!(
            login_signature(&[b"testemail@domain.com", b"111111", b"9999", key.as_bytes()]),
            with_key
        );
        assert!(verify_login_signature(
            email,
            app,
            Some(key),
            true,
            with_key
        ));
        assert!(verify_login_signature(
            email,
            app,
            Some(key),
            false,
            with_key
        ));
        assert!(verify_login_signature(
            email,
            app,
            Some(key),
            false,
            without_key
        ));
        assert!(!verify_login_signature(
            email,
            app,
            Some(key),
            true,
            without_key
        ));
        assert!(verify_login_signature(email, app, None, true, without_key));
        assert!(verify_login_signature(email, app, None, false, without_key));
        assert!(!verify_login_signature(email, app, None, false, with_key));
        assert!(verify_login_signature(
            email,
            app,
            Some(key),
            true,
            &with_key.to_uppercase()
        ));
        assert!(!verify_login_signature(
            email,
            "9998",
            Some(key),
            false,
            with_key
        ));
        assert!(!verify_login_signature(email, app, Some(key), false, ""));

        let ekey: &[&[u8]] = &[b"abcdefghijklmnop", b"111111"];
        assert!(verify_login_signature(
            ekey,
            app,
            Some(key),
            true,
            "9b1e0ca58be383676339a6ae9c0040835e101ac3"
        ));
        let fb: &[&[u8]] = &[b"FBTOKEN123"];
        assert!(verify_login_signature(
            fb,
            app,
            Some(key),
            true,
            "dc5226741199e775aa52e24b50424cfa7ff5455e"
        ));
        assert!(!verify_login_signature(
            fb,
            app,
            Some("other"),
            true,
            "dc5226741199e775aa52e24b50424cfa7ff5455e"
        ));
    }

    // auth.md §4.2
    #[test]
    fn rotation_vectors() {
        let chain = [9316931u32, 1970836733, 1065200203, 1396130429, 1357793081];
        let mods = [67u32, 253, 75, 125, 57];
        for i in 0..chain.len() {
            assert_eq!(chain[i] % 256, mods[i]);
            if i + 1 < chain.len() {
                assert_eq!(next_secret_key(chain[i]), chain[i + 1]);
            }
        }
        // Never leaves 1..MODULUS and never overflows at the top of the range.
        let top = next_secret_key(SECRET_KEY_MODULUS - 1);
        assert!(top > 0 && top < SECRET_KEY_MODULUS);
        assert_eq!(next_secret_key(1), 16807);
    }

    // auth.md §4.3
    #[test]
    fn seed_call_vectors() {
        let t = token();
        let q1 = format!("session_token={t}");
        let q2 = format!("session_token={t}&content_type=files");
        assert_eq!(
            call_signature(9316931, TIME, "/api/user/get_info.php", q1.as_bytes()),
            "938a3a05ba087245fc2c7f96512cdbd8"
        );
        assert_eq!(
            call_signature(
                1970836733,
                TIME,
                "/api/folder/get_content.php",
                q2.as_bytes()
            ),
            "7b3faa54b895254aaff9f5caa30e25a4"
        );

        let cases = [
            (
                9316931,
                "/api/user/get_info.php",
                &q1,
                "938a3a05ba087245fc2c7f96512cdbd8",
            ),
            (
                1970836733,
                "/api/folder/get_content.php",
                &q2,
                "7b3faa54b895254aaff9f5caa30e25a4",
            ),
            (
                9316931,
                "/api/1.5/user/get_info.php",
                &q1,
                "6eb08a977bb012467b57cd27f7722bb0",
            ),
            (
                1970836733,
                "/api/1.5/folder/get_content.php",
                &q2,
                "a6163d57157aec17ac827d58158b56f5",
            ),
        ];
        for (key, path, query, sig) in cases {
            let raw = format!("{query}&signature={sig}");
            assert!(server_accepts(key, path, &raw, sig), "{path}");
            assert!(
                server_accepts(key, path, &raw, &sig.to_uppercase()),
                "{path}"
            );
            // Signature first in the query works too.
            let raw_first = format!("signature={sig}&{query}");
            assert!(server_accepts(key, path, &raw_first, sig), "{path}");
            // Wrong key (one step behind or the next one) and wrong path fail.
            assert!(!server_accepts(next_secret_key(key), path, &raw, sig));
            assert!(!server_accepts(
                key,
                "/api/1.4/user/get_info.php",
                &raw,
                sig
            ));
        }
        // The versioned and unversioned paths are not interchangeable.
        assert!(!server_accepts(
            9316931,
            "/api/1.5/user/get_info.php",
            &format!("{q1}&signature=938a3a05ba087245fc2c7f96512cdbd8"),
            "938a3a05ba087245fc2c7f96512cdbd8"
        ));
    }

    // auth.md §4.4
    #[test]
    fn candidate_vectors() {
        let t = token();
        let key = 1065200203;
        assert_eq!(key % 256, 75);
        let path = "/api/1.5/folder/create.php";
        let pct = format!("session_token={t}&foldername=My%20Photos&response_format=json");
        let plus = format!("session_token={t}&foldername=My+Photos&response_format=json");
        let decoded = format!("session_token={t}&foldername=My Photos&response_format=json");
        let sig_pct = "15a3c475e09fb40bafc9b4a16f150f58";
        let sig_plus = "cff8694d4eb54e57c9f1300857b25a48";
        let sig_decoded = "f60e62e14f696521f620f1ebaed6a61d";
        assert_eq!(call_signature(key, TIME, path, pct.as_bytes()), sig_pct);
        assert_eq!(call_signature(key, TIME, path, plus.as_bytes()), sig_plus);
        assert_eq!(
            call_signature(key, TIME, path, decoded.as_bytes()),
            sig_decoded
        );

        // Client signs what it sends (JS: %20; PyPI/Go: +).
        assert!(server_accepts(
            key,
            path,
            &format!("{pct}&signature={sig_pct}"),
            sig_pct
        ));
        assert!(server_accepts(
            key,
            path,
            &format!("{plus}&signature={sig_plus}"),
            sig_plus
        ));
        // Client signs the unencoded text and sends it encoded (Java, C++ GET, ObjC).
        assert!(server_accepts(
            key,
            path,
            &format!("{plus}&signature={sig_decoded}"),
            sig_decoded
        ));
        assert!(server_accepts(
            key,
            path,
            &format!("{pct}&signature={sig_decoded}"),
            sig_decoded
        ));
        // A signature over a different encoding than the one sent is not reconstructed.
        assert!(!server_accepts(
            key,
            path,
            &format!("{pct}&signature={sig_plus}"),
            sig_plus
        ));
        assert!(!server_accepts(
            key,
            path,
            &format!("{plus}&signature={sig_pct}"),
            sig_pct
        ));
    }

    #[test]
    fn strip_signature() {
        let cases: [(&str, &str); 9] = [
            ("a=1&signature=ff&b=2", "a=1&b=2"),
            ("signature=ff&a=1", "a=1"),
            ("a=1&signature=ff", "a=1"),
            ("signature=ff", ""),
            ("a=1&signature&b=2", "a=1&b=2"),
            ("a=1&signature=1&signature=2", "a=1"),
            ("a=1&&b=2&1452541234567", "a=1&&b=2&1452541234567"),
            ("signatures=1&xsignature=2", "signatures=1&xsignature=2"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(
                strip_signature_param(raw.as_bytes()),
                want.as_bytes(),
                "{raw}"
            );
        }
    }

    #[test]
    fn candidates() {
        assert_eq!(signature_candidates(b"a=1&b=2"), vec![b"a=1&b=2".to_vec()]);
        assert_eq!(
            signature_candidates(b"a=x+y%2B%26z"),
            vec![b"a=x+y%2B%26z".to_vec(), b"a=x y+&z".to_vec()]
        );
        // Invalid UTF-8 after decoding is kept as bytes.
        assert_eq!(signature_candidates(b"a=%FF")[1], vec![b'a', b'=', 0xFF]);
    }

    #[test]
    fn sorted_candidate() {
        let fields = vec![
            ("session_token".to_string(), "T".to_string()),
            ("signature".to_string(), "abc".to_string()),
            ("folder_key".to_string(), "myfiles".to_string()),
            ("filename".to_string(), "a b*~&é.txt".to_string()),
            ("response_format".to_string(), "json".to_string()),
        ];
        assert_eq!(
            String::from_utf8(sorted_encoded_candidate(&fields)).unwrap(),
            "filename=a+b%2A~%26%C3%A9.txt&folder_key=myfiles&response_format=json&session_token=T"
        );
        assert!(sorted_encoded_candidate(&[]).is_empty());
    }

    #[test]
    fn signature_compare() {
        let sig = call_signature(67, TIME, "/p", b"q");
        assert!(verify_call_signature(
            67,
            TIME,
            "/p",
            &[b"q".to_vec()],
            &sig
        ));
        assert!(!verify_call_signature(
            67,
            TIME,
            "/p",
            &[b"q".to_vec()],
            &sig[..31]
        ));
        assert!(!verify_call_signature(67, TIME, "/p", &[], &sig));
        assert!(!verify_call_signature(67, TIME, "/p", &[b"q".to_vec()], ""));
        // Only k mod 256 matters.
        assert!(verify_call_signature(
            67 + 256,
            TIME,
            "/p",
            &[b"q".to_vec()],
            &sig
        ));
    }
}
