//! Signing: credentials, the string to sign, the signature and the `Authorization` header.

use std::fmt;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};

use crate::auth_header::format_authorization;

/// The `Content-MD5` of a bodiless request: the MD5 of the two bytes `[]` (the API requires an
/// empty JSON array, not an empty string, `null` or `{}`).
pub const EMPTY_BODY_CONTENT_MD5: &str = "11FxOYiYfpMxmANj4kGJzg==";

/// The only `headers="..."` value the API defines.
pub const SIGNED_HEADERS: &str = "Date Content-MD5";

/// The HMAC algorithm named in the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// `hmac-sha1`: the documented algorithm.
    #[default]
    HmacSha1,
    /// `hmac-sha256`.
    HmacSha256,
}

impl Algorithm {
    /// The name used in the header: `hmac-sha1` or `hmac-sha256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "hmac-sha1",
            Self::HmacSha256 => "hmac-sha256",
        }
    }

    /// Parses `hmac-sha1` / `hmac-sha256` (ASCII case-insensitive); `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("hmac-sha1") {
            Some(Self::HmacSha1)
        } else if name.eq_ignore_ascii_case("hmac-sha256") {
            Some(Self::HmacSha256)
        } else {
            None
        }
    }

    /// Length in bytes of the raw signature.
    pub fn output_len(self) -> usize {
        match self {
            Self::HmacSha1 => 20,
            Self::HmacSha256 => 32,
        }
    }

    pub(crate) fn ring(self) -> ring::hmac::Algorithm {
        match self {
            Self::HmacSha1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::HmacSha256 => ring::hmac::HMAC_SHA256,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An HMAC secret. Its `Debug` output is redacted, it has no `Display`, its bytes are zeroed
/// when it is dropped, and `==` compares in time independent of where the bytes differ.
#[derive(Clone)]
pub struct Secret(zeroize::Zeroizing<Vec<u8>>);

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        crate::verify::constant_time_eq(&self.0, &other.0)
    }
}

impl Eq for Secret {}

impl Secret {
    /// Wraps the secret's bytes (the HMAC key is the secret's bytes as given, e.g. the 32 hex
    /// characters of the document's example, not their decoded value).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(zeroize::Zeroizing::new(bytes.into()))
    }

    /// The key bytes. Handle with care: never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why [`Credentials::new`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// The username is empty.
    #[error("the Innography username is empty; set the username you were given with the secret")]
    EmptyUsername,
    /// The username contains a control character.
    #[error(
        "the Innography username contains a control character; check the username for stray newlines or tabs"
    )]
    ControlCharacter,
    /// The secret is empty.
    #[error("the Innography secret is empty; set the secret delivered with the username")]
    EmptySecret,
}

/// A username and its secret. `Debug` shows the username only.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    secret: Secret,
}

impl Credentials {
    /// Checks and pairs a username with its secret.
    pub fn new(username: impl Into<String>, secret: Secret) -> Result<Self, CredentialsError> {
        let username = username.into();
        if username.is_empty() {
            return Err(CredentialsError::EmptyUsername);
        }
        if username.chars().any(char::is_control) {
            return Err(CredentialsError::ControlCharacter);
        }
        if secret.is_empty() {
            return Err(CredentialsError::EmptySecret);
        }
        Ok(Self { username, secret })
    }

    /// The username sent in the `Authorization` header.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &self.secret)
            .finish()
    }
}

/// Base64 MD5 of the exact body bytes; for an empty body, the MD5 of `[]`
/// ([`EMPTY_BODY_CONTENT_MD5`]).
pub fn content_md5(body: &[u8]) -> String {
    let bytes: &[u8] = if body.is_empty() { b"[]" } else { body };
    STANDARD.encode(Md5::digest(bytes))
}

/// Formats `time` as an IMF-fixdate in GMT, e.g. `Thu, 12 Jan 2017 16:17:39 GMT`.
pub fn format_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

/// The string to sign: `Date: <date>\nContent-MD5: <md5>`, without a trailing newline.
pub fn string_to_sign(date: &str, content_md5: &str) -> String {
    let mut s = String::with_capacity(22 + date.len() + content_md5.len());
    s.push_str("Date: ");
    s.push_str(date);
    s.push_str("\nContent-MD5: ");
    s.push_str(content_md5);
    s
}

/// Everything the signer produced, stage by stage. The three public fields are the header values
/// to send (`Date`, `Content-MD5`, `Authorization`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `Date` header value.
    pub date: String,
    /// `Content-MD5` header value.
    pub content_md5: String,
    /// `Authorization` header value.
    pub authorization: String,
    string_to_sign: String,
    signature: String,
}

impl SignedHeaders {
    /// The string that was signed.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The base64 signature placed in the `Authorization` header.
    pub fn signature(&self) -> &str {
        &self.signature
    }
}

/// Signs requests for one credential pair; the HMAC key is prepared once.
pub struct Signer {
    username: String,
    algorithm: Algorithm,
    key: ring::hmac::Key,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("username", &self.username)
            .field("algorithm", &self.algorithm)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Signer {
    /// A signer for `credentials` using `algorithm`.
    pub fn new(credentials: &Credentials, algorithm: Algorithm) -> Self {
        Self {
            username: credentials.username.clone(),
            algorithm,
            key: ring::hmac::Key::new(algorithm.ring(), credentials.secret.expose()),
        }
    }

    /// The algorithm in use.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The username in use.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Signs a request sent at `date` with exactly these `body` bytes (empty for no body).
    pub fn sign(&self, date: SystemTime, body: &[u8]) -> SignedHeaders {
        self.sign_with_date_str(format_date(date), body)
    }

    /// Signs with an already formatted `Date` value (used by the verifier and tests).
    pub(crate) fn sign_with_date_str(&self, date: String, body: &[u8]) -> SignedHeaders {
        let content_md5 = content_md5(body);
        let string_to_sign = string_to_sign(&date, &content_md5);
        let tag = ring::hmac::sign(&self.key, string_to_sign.as_bytes());
        let signature = STANDARD.encode(tag.as_ref());
        let authorization = format_authorization(&self.username, self.algorithm, &signature);
        SignedHeaders {
            date,
            content_md5,
            authorization,
            string_to_sign,
            signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_secret() {
        let creds = Credentials::new("obiwan", Secret::new("74f43da743aa47c3a90a9c5ef493bc8d"))
            .expect("valid");
        let text = format!("{creds:?} {:?}", Signer::new(&creds, Algorithm::HmacSha1));
        assert!(text.contains("obiwan"));
        assert!(!text.contains("74f43da7"), "{text}");
    }

    #[test]
    fn secrets_compare_by_value() {
        assert_eq!(Secret::new("abc"), Secret::new(b"abc".to_vec()));
        assert_ne!(Secret::new("abc"), Secret::new("abd"));
        assert_ne!(Secret::new("abc"), Secret::new("abcd"));
    }

    #[test]
    fn credentials_are_checked() {
        assert_eq!(
            Credentials::new("", Secret::new("x")).err(),
            Some(CredentialsError::EmptyUsername)
        );
        assert_eq!(
            Credentials::new("a\nb", Secret::new("x")).err(),
            Some(CredentialsError::ControlCharacter)
        );
        assert_eq!(
            Credentials::new("a", Secret::new("")).err(),
            Some(CredentialsError::EmptySecret)
        );
    }

    #[test]
    fn empty_body_hashes_an_empty_array() {
        assert_eq!(content_md5(b""), EMPTY_BODY_CONTENT_MD5);
        assert_eq!(content_md5(b"[]"), EMPTY_BODY_CONTENT_MD5);
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in [Algorithm::HmacSha1, Algorithm::HmacSha256] {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
        }
        assert_eq!(Algorithm::from_name("hmac-md5"), None);
    }
}
