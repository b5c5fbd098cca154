//! The `Authorization: hmac username="..", algorithm="..", headers="..", signature=".."` header:
//! formatting and a strict parser.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::sign::{Algorithm, SIGNED_HEADERS};
use crate::verify::VerifyError;

/// A parsed, syntactically valid `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    /// The `username` parameter (unescaped).
    pub username: String,
    /// The `algorithm` parameter.
    pub algorithm: Algorithm,
    /// The raw signature bytes (base64-decoded, length checked against the algorithm).
    pub signature: Vec<u8>,
}

/// Formats the header value; `"` and `\` in the username are escaped.
pub fn format_authorization(username: &str, algorithm: Algorithm, signature_b64: &str) -> String {
    let mut s = String::with_capacity(80 + username.len() + signature_b64.len());
    s.push_str("hmac username=\"");
    for c in username.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push_str("\", algorithm=\"");
    s.push_str(algorithm.name());
    s.push_str("\", headers=\"");
    s.push_str(SIGNED_HEADERS);
    s.push_str("\", signature=\"");
    s.push_str(signature_b64);
    s.push('"');
    s
}

const PARAMS: [&str; 4] = ["username", "algorithm", "headers", "signature"];

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses an `Authorization` header value strictly.
///
/// Grammar (RFC 9110 auth-param, with quoted values required): `hmac` 1*SP
/// `name BWS "=" BWS quoted-string *( OWS "," OWS name BWS "=" BWS quoted-string )`. The four
/// parameters `username`, `algorithm`, `headers`, `signature` must each appear exactly once;
/// anything else is an error with its own [`VerifyError`] variant.
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader, VerifyError> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if value.is_empty() {
        return Err(VerifyError::MissingAuthorization);
    }
    let (scheme, rest) = match value.find([' ', '\t']) {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("hmac") {
        return Err(VerifyError::WrongScheme(truncate(scheme)));
    }
    let b = rest.as_bytes();
    if b.iter().all(|&c| is_ows(c)) {
        return Err(VerifyError::NoParameters);
    }
    let mut values: [Option<String>; 4] = [None, None, None, None];
    let mut i = 0;
    loop {
        while i < b.len() && is_ows(b[i]) {
            i += 1;
        }
        // name
        let start = i;
        while i < b.len() && is_tchar(b[i]) {
            i += 1;
        }
        if i == start {
            return Err(if i >= b.len() {
                VerifyError::TrailingComma
            } else {
                VerifyError::ExpectedParameterName { position: i }
            });
        }
        let name = &rest[start..i];
        while i < b.len() && is_ows(b[i]) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            return Err(VerifyError::MissingEquals(truncate(name)));
        }
        i += 1;
        while i < b.len() && is_ows(b[i]) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'"' {
            return Err(VerifyError::UnquotedValue(truncate(name)));
        }
        i += 1;
        let mut val = String::new();
        let mut closed = false;
        let mut chars = rest[i..].char_indices();
        while let Some((off, c)) = chars.next() {
            match c {
                '"' => {
                    i += off + 1;
                    closed = true;
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => val.push(e),
                    Some(_) => return Err(VerifyError::InvalidEscape(truncate(name))),
                    None => break,
                },
                c if c.is_control() => return Err(VerifyError::ControlCharacter(truncate(name))),
                c => val.push(c),
            }
        }
        if !closed {
            return Err(VerifyError::UnterminatedQuote(truncate(name)));
        }
        let Some(idx) = PARAMS.iter().position(|p| p.eq_ignore_ascii_case(name)) else {
            return Err(VerifyError::UnknownParameter(truncate(name)));
        };
        if values[idx].is_some() {
            return Err(VerifyError::DuplicateParameter(PARAMS[idx]));
        }
        values[idx] = Some(val);
        while i < b.len() && is_ows(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if b[i] != b',' {
            return Err(VerifyError::ExpectedComma { position: i });
        }
        i += 1;
    }
    let [username, algorithm, headers, signature] = values;
    let username = username.ok_or(VerifyError::MissingParameter("username"))?;
    let algorithm = algorithm.ok_or(VerifyError::MissingParameter("algorithm"))?;
    let headers = headers.ok_or(VerifyError::MissingParameter("headers"))?;
    let signature = signature.ok_or(VerifyError::MissingParameter("signature"))?;
    if username.is_empty() {
        return Err(VerifyError::EmptyUsername);
    }
    let algorithm = Algorithm::from_name(&algorithm)
        .ok_or(VerifyError::UnknownAlgorithm(truncate(&algorithm)))?;
    let mut listed = headers.split([' ', '\t']).filter(|h| !h.is_empty());
    let ok = listed
        .next()
        .is_some_and(|h| h.eq_ignore_ascii_case("date"))
        && listed
            .next()
            .is_some_and(|h| h.eq_ignore_ascii_case("content-md5"))
        && listed.next().is_none();
    if !ok {
        return Err(VerifyError::UnsupportedSignedHeaders(truncate(&headers)));
    }
    let raw = STANDARD
        .decode(signature.as_bytes())
        .map_err(|_| VerifyError::SignatureNotBase64)?;
    if raw.len() != algorithm.output_len() {
        return Err(VerifyError::SignatureLength {
            algorithm,
            actual: raw.len(),
        });
    }
    Ok(AuthorizationHeader {
        username,
        algorithm,
        signature: raw,
    })
}

/// Keeps attacker-controlled text in errors short.
fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_escaped_usernames() {
        let sig = STANDARD.encode([7u8; 20]);
        let h = format_authorization(r#"ob"i\wan"#, Algorithm::HmacSha1, &sig);
        assert_eq!(
            h,
            format!(
                r#"hmac username="ob\"i\\wan", algorithm="hmac-sha1", headers="Date Content-MD5", signature="{sig}""#
            )
        );
        let parsed = parse_authorization(&h).expect("parses");
        assert_eq!(parsed.username, r#"ob"i\wan"#);
        assert_eq!(parsed.signature, vec![7u8; 20]);
    }

    #[test]
    fn accepts_flexible_whitespace_and_order() {
        let sig = STANDARD.encode([1u8; 32]);
        let h = format!(
            "HMAC\tsignature = \"{sig}\" ,headers=\"date  content-md5\",algorithm=\"hmac-sha256\",  username=\"u\""
        );
        let p = parse_authorization(&h).expect("parses");
        assert_eq!(p.algorithm, Algorithm::HmacSha256);
        assert_eq!(p.username, "u");
    }
}
