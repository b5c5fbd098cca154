//! The pure protocol pieces of the Innography API: HMAC request signing, HMAC verification for
//! servers, and version negotiation through `Accept` / `Content-Type`.
//!
//! Like `aws-sigv4`, this crate has no HTTP client: it turns request parts, credentials and an
//! injected time into header values, and checks such headers on the server side.
//!
//! The string to sign is `Date: <IMF-fixdate GMT>\nContent-MD5: <base64 MD5 of the body>` (no
//! trailing newline); a bodiless request signs and sends the MD5 of `[]`, as the API requires.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use innography_hmac::{Algorithm, Credentials, Secret, Signer};
//!
//! let creds = Credentials::new("obiwan", Secret::new("74f43da743aa47c3a90a9c5ef493bc8d"))?;
//! let signer = Signer::new(&creds, Algorithm::HmacSha1);
//! // Thu, 12 Jan 2017 16:17:39 GMT
//! let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_484_237_859);
//! let signed = signer.sign(date, br#"{"data":"sample"}"#);
//! assert_eq!(signed.date, "Thu, 12 Jan 2017 16:17:39 GMT");
//! assert_eq!(signed.content_md5, "kumW7r4Mo58KzBliGOerdA==");
//! assert_eq!(
//!     signed.authorization,
//!     r#"hmac username="obiwan", algorithm="hmac-sha1", headers="Date Content-MD5", signature="2zS0VJJ6YipaXDU3IcerHJZdpP8=""#
//! );
//! # Ok::<(), innography_hmac::CredentialsError>(())
//! ```

mod auth_header;
mod negotiation;
mod sign;
mod verify;

pub use auth_header::{AuthorizationHeader, format_authorization, parse_authorization};
pub use negotiation::{
    Accept, ApiVersion, MEDIA_TYPE, NegotiationError, Quality, ResponseType, Selection,
    content_type_for, multiple_choices_body, parse_content_type, parse_offered_versions,
    select_version,
};
pub use sign::{
    Algorithm, Credentials, CredentialsError, EMPTY_BODY_CONTENT_MD5, SIGNED_HEADERS, Secret,
    SignedHeaders, Signer, content_md5, format_date, string_to_sign,
};
pub use verify::{MAX_CLOCK_SKEW, Verified, Verifier, VerifyError, VerifyRequest};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
