//! Verification of signed requests, for servers (the sandbox's Innography emulator, test servers).

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};

use crate::auth_header::parse_authorization;
use crate::sign::{Algorithm, Secret, format_date, string_to_sign};

/// How far the request's `Date` may be from the server's clock, either way: 5 minutes.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Why a request was rejected. Every variant is a distinct failure; the message names the problem
/// and what the client must fix. Header text quoted in errors is truncated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No `Authorization` header (or an empty one).
    #[error("no Authorization header; sign the request with the hmac scheme")]
    MissingAuthorization,
    /// The scheme is not `hmac`.
    #[error("Authorization scheme `{0}` is not supported; use `hmac username=\"..\", ...`")]
    WrongScheme(String),
    /// `hmac` with nothing after it.
    #[error(
        "Authorization header has no parameters; add username, algorithm, headers and signature"
    )]
    NoParameters,
    /// A character that cannot start a parameter name.
    #[error(
        "Authorization header: expected a parameter name at byte {position} after `hmac `; use name=\"value\" pairs separated by commas"
    )]
    ExpectedParameterName {
        /// Byte offset after the scheme.
        position: usize,
    },
    /// A comma with nothing after it.
    #[error("Authorization header ends with a comma; remove the trailing comma")]
    TrailingComma,
    /// A parameter name without `=`.
    #[error("Authorization parameter `{0}` has no `=`; write {0}=\"value\"")]
    MissingEquals(String),
    /// A value that is not a quoted string.
    #[error("Authorization parameter `{0}` is not quoted; put the value in double quotes")]
    UnquotedValue(String),
    /// A quoted string that never ends.
    #[error("Authorization parameter `{0}` has an unterminated quoted value; close it with `\"`")]
    UnterminatedQuote(String),
    /// A backslash escape other than `\"` or `\\`.
    #[error("Authorization parameter `{0}` has an invalid escape; only \\\" and \\\\ are allowed")]
    InvalidEscape(String),
    /// A control character inside a quoted value.
    #[error("Authorization parameter `{0}` contains a control character; remove it")]
    ControlCharacter(String),
    /// Something other than a comma between parameters.
    #[error(
        "Authorization header: expected `,` at byte {position} after `hmac `; separate parameters with commas"
    )]
    ExpectedComma {
        /// Byte offset after the scheme.
        position: usize,
    },
    /// A parameter this scheme does not define.
    #[error(
        "Authorization parameter `{0}` is unknown; only username, algorithm, headers and signature are allowed"
    )]
    UnknownParameter(String),
    /// A parameter given twice.
    #[error("Authorization parameter `{0}` appears twice; give it once")]
    DuplicateParameter(&'static str),
    /// A required parameter is missing.
    #[error("Authorization parameter `{0}` is missing; add {0}=\"...\"")]
    MissingParameter(&'static str),
    /// `username=""`.
    #[error("Authorization username is empty; send the username paired with the secret")]
    EmptyUsername,
    /// An algorithm other than `hmac-sha1` / `hmac-sha256`.
    #[error("Authorization algorithm `{0}` is not supported; use hmac-sha1 or hmac-sha256")]
    UnknownAlgorithm(String),
    /// `headers` other than `Date Content-MD5`.
    #[error("Authorization headers=\"{0}\" is not supported; sign exactly \"Date Content-MD5\"")]
    UnsupportedSignedHeaders(String),
    /// The signature is not standard base64.
    #[error(
        "Authorization signature is not valid base64; send the base64 (with padding) of the HMAC"
    )]
    SignatureNotBase64,
    /// The signature has the wrong length for its algorithm.
    #[error("Authorization signature is {actual} bytes, but {algorithm} signatures are {} bytes; sign with the algorithm you name", algorithm.output_len())]
    SignatureLength {
        /// The algorithm named in the header.
        algorithm: Algorithm,
        /// Decoded length received.
        actual: usize,
    },
    /// No `Date` header.
    #[error("no Date header; send the signed date as `Date: <IMF-fixdate GMT>`")]
    MissingDate,
    /// `Date` is not an IMF-fixdate in GMT.
    #[error("Date `{0}` is not an IMF-fixdate in GMT; use e.g. `Thu, 12 Jan 2017 16:17:39 GMT`")]
    InvalidDate(String),
    /// The `Date` is more than 5 minutes old.
    #[error(
        "the request's Date is {age_secs} s old, more than the 300 s allowed; sign the request again just before sending it and check the client clock"
    )]
    DateExpired {
        /// Seconds between the Date and the server's clock.
        age_secs: u64,
    },
    /// The `Date` is more than 5 minutes ahead.
    #[error(
        "the request's Date is {ahead_secs} s in the future, more than the 300 s allowed; fix the client clock (NTP)"
    )]
    DateInFuture {
        /// Seconds the Date is ahead of the server's clock.
        ahead_secs: u64,
    },
    /// No `Content-MD5` header.
    #[error(
        "no Content-MD5 header; send the base64 MD5 of the body (of `[]` when there is no body)"
    )]
    MissingContentMd5,
    /// `Content-MD5` is not the base64 of 16 bytes.
    #[error("Content-MD5 `{0}` is not the base64 of a 16-byte MD5 digest; send base64(md5(body))")]
    InvalidContentMd5(String),
    /// `Content-MD5` does not match the body.
    #[error(
        "Content-MD5 does not match the body received; hash exactly the bytes you send (`[]` for no body)"
    )]
    ContentMd5Mismatch,
    /// The username is not known to the server.
    #[error("unknown username `{0}`; check the username paired with your secret")]
    UnknownUser(String),
    /// The signature does not match.
    #[error(
        "the HMAC signature does not match; check the secret, the algorithm and that Date and Content-MD5 are sent exactly as signed"
    )]
    SignatureMismatch,
}

/// The parts of a request the verifier needs.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// `Authorization` header value.
    pub authorization: Option<&'a str>,
    /// `Date` header value.
    pub date: Option<&'a str>,
    /// `Content-MD5` header value.
    pub content_md5: Option<&'a str>,
    /// The body bytes received (empty for none).
    pub body: &'a [u8],
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The authenticated username.
    pub username: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
}

/// Checks signed requests: strict header parsing, `Date` within the allowed skew, `Content-MD5`
/// equal to the body's, constant-time signature comparison.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use innography_hmac::{Secret, Verifier, VerifyRequest};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_484_237_859 + 60);
/// let req = VerifyRequest {
///     authorization: Some(r#"hmac username="obiwan", algorithm="hmac-sha1", headers="Date Content-MD5", signature="33K74OzzqvrSXsQ5RWw91EH4rJs=""#),
///     date: Some("Thu, 12 Jan 2017 16:17:39 GMT"),
///     content_md5: Some("11FxOYiYfpMxmANj4kGJzg=="),
///     body: b"",
/// };
/// let ok = Verifier::new().verify(&req, now, |user| {
///     (user == "obiwan").then(|| Secret::new("74f43da743aa47c3a90a9c5ef493bc8d"))
/// });
/// assert_eq!(ok.map(|v| v.username).as_deref(), Ok("obiwan"));
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    max_skew: Duration,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier allowing [`MAX_CLOCK_SKEW`].
    pub fn new() -> Self {
        Self {
            max_skew: MAX_CLOCK_SKEW,
        }
    }

    /// Changes the allowed clock skew.
    pub fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// Verifies `req` at server time `now`; `secret_for` looks up the secret of a username.
    pub fn verify<F>(
        &self,
        req: &VerifyRequest<'_>,
        now: SystemTime,
        secret_for: F,
    ) -> Result<Verified, VerifyError>
    where
        F: FnOnce(&str) -> Option<Secret>,
    {
        let auth =
            parse_authorization(req.authorization.ok_or(VerifyError::MissingAuthorization)?)?;
        let date = req.date.ok_or(VerifyError::MissingDate)?;
        let sent = httpdate::parse_http_date(date)
            .ok()
            .filter(|t| format_date(*t) == date)
            .ok_or_else(|| VerifyError::InvalidDate(short(date)))?;
        match now.duration_since(sent) {
            Ok(age) if age > self.max_skew => {
                return Err(VerifyError::DateExpired {
                    age_secs: age.as_secs(),
                });
            }
            Ok(_) => {}
            Err(e) if e.duration() > self.max_skew => {
                return Err(VerifyError::DateInFuture {
                    ahead_secs: e.duration().as_secs(),
                });
            }
            Err(_) => {}
        }
        let md5_header = req.content_md5.ok_or(VerifyError::MissingContentMd5)?;
        let claimed = STANDARD
            .decode(md5_header.as_bytes())
            .ok()
            .filter(|d| d.len() == 16)
            .ok_or_else(|| VerifyError::InvalidContentMd5(short(md5_header)))?;
        let body: &[u8] = if req.body.is_empty() { b"[]" } else { req.body };
        let actual = Md5::digest(body);
        if !constant_time_eq(&claimed, &actual) {
            return Err(VerifyError::ContentMd5Mismatch);
        }
        let secret = secret_for(&auth.username)
            .ok_or_else(|| VerifyError::UnknownUser(short(&auth.username)))?;
        let key = ring::hmac::Key::new(auth.algorithm.ring(), secret.expose());
        let sts = string_to_sign(date, md5_header);
        ring::hmac::verify(&key, sts.as_bytes(), &auth.signature)
            .map_err(|_| VerifyError::SignatureMismatch)?;
        Ok(Verified {
            username: auth.username,
            algorithm: auth.algorithm,
        })
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn short(s: &str) -> String {
    s.chars().take(64).collect()
}
