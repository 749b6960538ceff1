//! Request parameters, read from the raw request: the query string, then an urlencoded or
//! multipart body, in received order. Repeated keys (the last one wins, so the body wins over
//! the query), empty values, value-less keys (`&1452541234567`) and unknown keys are tolerated.
//! A name or value that does not decode to UTF-8 is 129.

use hearth_api::errors::{codes, ApiError};
use percent_encoding::percent_decode;

#[derive(Default, Debug, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Adds the pairs of an `application/x-www-form-urlencoded` string (a query or a body).
    pub fn add_urlencoded(&mut self, raw: &[u8]) -> Result<(), ApiError> {
        for piece in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.iter().position(|b| *b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &b""[..]),
            };
            self.pairs.push((decode(name)?, decode(value)?));
        }
        Ok(())
    }

    pub fn add(&mut self, name: String, value: String) {
        self.pairs.push((name, value));
    }

    /// The value of `name` (the last occurrence), if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` when present and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The first present, non-empty value among `names` (a parameter and its legacy aliases).
    pub fn any_of(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.non_empty(n))
    }

    /// A required parameter: 128 when missing or empty.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.non_empty(name)
            .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))
    }

    /// A `yes`/`no` flag; anything else is 129.
    pub fn yes_no(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("yes") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("no") => Ok(Some(false)),
            Some(_) => Err(ApiError::new(codes::INVALID_PARAMS)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

fn decode(raw: &[u8]) -> Result<String, ApiError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes).map_err(|_| ApiError::new(codes::INVALID_PARAMS))
}

/// `response_format` read leniently from a raw query, for answering before the body is read.
pub fn format_hint(query: &[u8]) -> Option<String> {
    let mut p = Params::default();
    for piece in query.split(|b| *b == b'&') {
        if piece.starts_with(b"response_format=") {
            let _ = p.add_urlencoded(piece);
        }
    }
    p.get("response_format").map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_parsing() {
        let mut p = Params::default();
        p.add_urlencoded(b"a=1&b=&c&a=2&name=My+Photos%21&&1452541234567")
            .unwrap();
        assert_eq!(p.get("a"), Some("2"), "the last occurrence wins");
        assert_eq!(p.get("b"), Some(""));
        assert_eq!(p.get("c"), Some(""));
        assert_eq!(p.non_empty("b"), None);
        assert_eq!(p.get("name"), Some("My Photos!"));
        assert_eq!(p.get("1452541234567"), Some(""));
    }

    #[test]
    fn invalid_utf8_is_129() {
        let mut p = Params::default();
        let err = p.add_urlencoded(b"x=%FF").unwrap_err();
        assert_eq!(err.code, codes::INVALID_PARAMS);
        let err = p.add_urlencoded(b"%C3=1").unwrap_err();
        assert_eq!(err.code, codes::INVALID_PARAMS);
    }

    #[test]
    fn format_hint_reads_only_the_format() {
        assert_eq!(
            format_hint(b"x=%FF&response_format=json").as_deref(),
            Some("json")
        );
        assert_eq!(format_hint(b"x=1").as_deref(), None);
    }
}
